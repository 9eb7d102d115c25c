#include "enclavectl/core/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string_view>

namespace enclavectl::core::io {
namespace {

std::string Reason(int error) { return std::strerror(error); }  // NOLINT(concurrency-mt-unsafe)

// The temporary files being written, for the signal handler and the exit hook. Fixed storage:
// the handler may only read memory and call unlink(2), both async-signal-safe.
constexpr std::size_t kSlots = 32;
constexpr std::size_t kPathMax = 4096;
struct TempSlot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 live
  std::array<char, kPathMax> path{};
};
std::array<TempSlot, kSlots> g_temps;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

int RegisterTemp(const std::string& path) noexcept {
  if (path.size() >= kPathMax) {
    return -1;
  }
  for (std::size_t i = 0; i < kSlots; ++i) {
    int expected = 0;
    if (g_temps[i].state.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_temps[i].path.data(), path.c_str(), path.size() + 1);
      g_temps[i].state.store(2, std::memory_order_release);
      return static_cast<int>(i);
    }
  }
  return -1;  // more outputs at once than slots: no signal cleanup for this one
}

void UnregisterTemp(int slot) noexcept {
  if (slot >= 0) {
    g_temps[static_cast<std::size_t>(slot)].state.store(0, std::memory_order_release);
  }
}

void RemoveTemps() noexcept {
  for (auto& slot : g_temps) {
    if (slot.state.load(std::memory_order_acquire) == 2) {
      ::unlink(slot.path.data());
    }
  }
}

extern "C" void OnTerminatingSignal(int signal_number) {
  RemoveTemps();
  ::signal(signal_number, SIG_DFL);  // NOLINT(cert-err33-c): nothing to do on failure
  ::raise(signal_number);            // NOLINT(cert-err33-c)
}

extern "C" void RemoveTempsAtExit() { RemoveTemps(); }

// The process's umask, read without changing it where /proc allows.
mode_t Umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    }
  }
  const mode_t old = ::umask(022);
  ::umask(old);
  return old;
}

// Paths that name an already open descriptor of this process: written to, never resolved
// (resolving /dev/stdout to the file the shell opened and replacing it would detach the
// shell's descriptor).
bool NamesOpenDescriptor(std::string_view path) {
  return path == "/dev/stdout" || path == "/dev/stderr" || path.rfind("/dev/fd/", 0) == 0 ||
         path.rfind("/proc/self/fd/", 0) == 0;
}

// Writes all of `data` to `fd`, at `offset` (pwrite) or at the descriptor's position (write),
// retrying on EINTR and short writes.
Status WriteLoop(int fd, std::optional<std::uint64_t> offset, ByteView data,
                 const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = offset ? ::pwrite(fd, data.data() + done, data.size() - done,  // NOLINT
                                        static_cast<off_t>(*offset + done))
                             : ::write(fd, data.data() + done, data.size() - done);  // NOLINT
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Fail(ErrorCode::kIoWrite, "cannot write " + what + ": " + Reason(n < 0 ? errno : EIO));
    }
    done += static_cast<std::size_t>(n);
  }
  return Ok();
}

// An unlinked scratch file in $TMPDIR (else /tmp) for outputs copied out at Commit and for
// standard input read by position (no name to clean up): O_TMPFILE where the file system has
// it (never a name at all), else mkstemp then unlink.
Result<int> OpenSpool(const std::string& what = "the output") {
  const char* env = std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe)
  const std::string dir(env != nullptr && *env != '\0' ? env : "/tmp");
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);  // NOLINT(*-vararg)
  if (fd >= 0) {
    return fd;
  }
  std::string name = dir + "/.enclavectl-spool.XXXXXX";
  fd = ::mkstemp(name.data());
  if (fd < 0) {
    return Fail(ErrorCode::kIoWrite,
                "cannot create a scratch file in " + dir + " for " + what + ": " + Reason(errno));
  }
  ::unlink(name.c_str());
  return fd;
}

Status CopySpool(int spool, std::uint64_t size, int out, const std::string& what) {
  std::array<std::uint8_t, 65536> buffer{};
  std::uint64_t offset = 0;
  while (offset < size) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset));
    const ssize_t n = ::pread(spool, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Fail(ErrorCode::kIoWrite,
                  "cannot read back the output for " + what + ": " + Reason(n < 0 ? errno : EIO));
    }
    ENCLAVECTL_RETURN_IF_ERROR(
        WriteAllTo(out, ByteView(buffer.data(), static_cast<std::size_t>(n)), what));
    offset += static_cast<std::uint64_t>(n);
  }
  return Ok();
}

}  // namespace

Status WriteAllTo(int fd, ByteView data, const std::string& what) {
  return WriteLoop(fd, std::nullopt, data, what);
}

Result<UniqueFd> SpoolToFile(int fd, std::uint64_t max_bytes) {
  struct stat st = {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::lseek(fd, 0, SEEK_CUR) == 0) {
    UniqueFd same(::fcntl(fd, F_DUPFD_CLOEXEC, 0));  // NOLINT(*-vararg): already a file
    if (same.valid()) {
      return same;
    }
  }
  auto spool = OpenSpool("standard input");
  if (!spool) {
    return Fail(spool.error());
  }
  UniqueFd out(*spool);
  std::array<std::uint8_t, 65536> buffer{};
  std::uint64_t total = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Fail(ErrorCode::kIoRead, "cannot read standard input: " + Reason(errno));
    }
    if (n == 0) {
      return out;
    }
    total += static_cast<std::uint64_t>(n);
    if (total > max_bytes) {
      return Fail(ErrorCode::kInputTooLarge, "standard input is larger than the limit of " +
                                                 std::to_string(max_bytes) + " bytes");
    }
    ENCLAVECTL_RETURN_IF_ERROR(WriteAllTo(out.get(),
                                          ByteView(buffer.data(), static_cast<std::size_t>(n)),
                                          "the copy of standard input"));
  }
}

void InstallOutputCleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction action = {};
      action.sa_handler = OnTerminatingSignal;  // NOLINT(cppcoreguidelines-pro-type-union-access)
      sigemptyset(&action.sa_mask);
      ::sigaction(signal_number, &action, nullptr);
    }
    std::atexit(RemoveTempsAtExit);  // NOLINT(cert-err33-c)
  });
}

Result<std::unique_ptr<OutputFile>> OutputFile::Open(const std::string& path,
                                                     const OutputOptions& options) {
  std::unique_ptr<OutputFile> out(new OutputFile());
  out->path_ = path;
  out->target_ = path;
  out->mode_ = options.fixed_mode != 0 ? options.fixed_mode
               : options.private_file  ? 0600
                                       : (0666 & ~Umask());
  if (path.empty()) {
    return Fail(ErrorCode::kIoWrite, "no output path given (use - for standard output)");
  }
  if (path == "-") {
    out->kind_ = Kind::kStdout;
  } else if (NamesOpenDescriptor(path)) {
    out->kind_ = Kind::kDirect;
  } else {
    struct stat link_st = {};
    struct stat st = {};
    const bool exists = ::lstat(path.c_str(), &link_st) == 0;
    if (!exists && errno != ENOENT) {
      return Fail(ErrorCode::kIoWrite, "cannot write " + path + ": " + Reason(errno));
    }
    if (exists && S_ISLNK(link_st.st_mode)) {
      if (::stat(path.c_str(), &st) != 0) {
        return Fail(ErrorCode::kIoWrite, "cannot write " + path +
                                             ": it is a symbolic link to a path that does not "
                                             "exist (" +
                                             Reason(errno) + "); give the target path itself");
      }
      std::error_code ec;
      const auto resolved = std::filesystem::canonical(path, ec);
      if (ec) {
        return Fail(ErrorCode::kIoWrite,
                    "cannot resolve the symbolic link " + path + ": " + ec.message());
      }
      out->target_ = resolved.string();
    } else {
      st = link_st;
    }
    if (!exists || S_ISREG(st.st_mode)) {
      out->kind_ = Kind::kReplace;
      if (exists && options.fixed_mode == 0 && !options.private_file) {
        out->mode_ = st.st_mode & 07777;  // a replaced file keeps its permission bits
      }
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
      out->kind_ = Kind::kDirect;
    } else {
      const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                         : S_ISBLK(st.st_mode)  ? "a block device"
                         : S_ISSOCK(st.st_mode) ? "a socket"
                                                : "not a regular file";
      return Fail(ErrorCode::kIoWrite,
                  "cannot write " + path + ": it is " + what + ", not a file to write");
    }
  }
  if (out->kind_ != Kind::kReplace) {
    auto spool = OpenSpool();
    if (!spool) {
      return Fail(spool.error());
    }
    out->fd_ = *spool;
    return out;
  }
  const std::filesystem::path target(out->target_);
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  out->temp_path_ = (dir / ("." + target.filename().string() + ".tmpXXXXXX")).string();
  out->fd_ = ::mkstemp(out->temp_path_.data());
  if (out->fd_ < 0) {
    return Fail(ErrorCode::kIoWrite,
                "cannot create a file in " + dir.string() + ": " + Reason(errno));
  }
  out->slot_ = RegisterTemp(out->temp_path_);
  if (::fchmod(out->fd_, static_cast<mode_t>(out->mode_)) != 0) {
    return Fail(ErrorCode::kIoWrite, "cannot set the mode of " + path + ": " + Reason(errno));
  }
  return out;
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (kind_ == Kind::kReplace && !committed_ && !temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
  }
  UnregisterTemp(slot_);
}

Status OutputFile::WriteAt(std::uint64_t offset, ByteView data) {
  ENCLAVECTL_RETURN_IF_ERROR(WriteLoop(fd_, offset, data, path_));
  size_ = std::max(size_, offset + data.size());
  return Ok();
}

Status OutputFile::Append(ByteView data) { return WriteAt(size_, data); }

Status OutputFile::Commit() {
  if (committed_ || fd_ < 0) {
    return Fail(ErrorCode::kIoWrite, "the output " + path_ + " was already written");
  }
  if (kind_ == Kind::kStdout) {
    ENCLAVECTL_RETURN_IF_ERROR(CopySpool(fd_, size_, STDOUT_FILENO, "standard output"));
    committed_ = true;
    return Ok();
  }
  if (kind_ == Kind::kDirect) {
    const int out = ::open(target_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);  // NOLINT
    if (out < 0) {
      return Fail(ErrorCode::kIoWrite, "cannot open " + path_ + ": " + Reason(errno));
    }
    Status copied = CopySpool(fd_, size_, out, path_);
    const int closed = ::close(out);
    if (copied && closed != 0) {
      copied = Fail(ErrorCode::kIoWrite, "cannot write " + path_ + ": " + Reason(errno));
    }
    committed_ = copied.has_value();
    return copied;
  }
  const int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    return Fail(ErrorCode::kIoWrite, "cannot write " + path_ + ": " + Reason(errno));
  }
  committed_ = true;
  UnregisterTemp(std::exchange(slot_, -1));
  const std::filesystem::path target(target_);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // NOLINT
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Ok();
}

Status WriteOutput(const std::string& path, ByteView data, const OutputOptions& options) {
  auto out = OutputFile::Open(path, options);
  if (!out) {
    return Fail(out.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR((*out)->Append(data));
  return (*out)->Commit();
}

}  // namespace enclavectl::core::io

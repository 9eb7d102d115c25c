#include "enclavectl/eif/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif::io {
namespace {

using core::ErrorCode;
using core::Fail;

std::string Reason(int err) { return std::strerror(err); }  // NOLINT(concurrency-mt-unsafe)

core::Result<core::UniqueFd> OpenRegular(const std::string& path, struct stat& st) {
  core::UniqueFd fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC));  // NOLINT(cppcoreguidelines-pro-type-vararg)
  if (!fd.valid()) {
    return Fail(ErrorCode::kIoRead, "cannot open " + path + ": " + Reason(errno));
  }
  if (::fstat(fd.get(), &st) != 0) {
    return Fail(ErrorCode::kIoRead, "cannot stat " + path + ": " + Reason(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Fail(ErrorCode::kIoRead, path + " is not a regular file");
  }
  return fd;
}

}  // namespace

core::Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  struct stat st = {};
  if (path == "-") {
    auto spool = core::io::SpoolToFile(STDIN_FILENO, core::limits::kMaxEifStdinBytes);
    if (!spool || ::fstat(spool->get(), &st) != 0) {
      return Fail(spool ? core::Error{ErrorCode::kIoRead, "cannot stat standard input's copy", -1}
                        : spool.error());
    }
    return std::make_unique<FileSource>(std::move(*spool), static_cast<std::uint64_t>(st.st_size),
                                        "(standard input)");
  }
  auto fd = OpenRegular(path, st);
  if (!fd) {
    return Fail(fd.error());
  }
  return std::make_unique<FileSource>(std::move(*fd), static_cast<std::uint64_t>(st.st_size), path);
}

core::Status FileSource::ReadAt(std::uint64_t offset, std::span<std::uint8_t> out) const {
  if (offset > size_ || out.size() > size_ - offset) {
    return Fail(ErrorCode::kTruncated, path_ + ": read past the end");
  }
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,  // NOLINT
                              static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Fail(ErrorCode::kIoRead, "cannot read " + path_ + ": " + Reason(errno));
    }
    if (n == 0) {
      return Fail(ErrorCode::kIoRead, path_ + " became shorter while it was read");
    }
    done += static_cast<std::size_t>(n);
  }
  return core::Ok();
}

SourceOpener FileOpener(std::string path) {
  return [path = std::move(path)]() -> core::Result<std::unique_ptr<ByteSource>> {
    auto file = FileSource::Open(path);
    if (!file) {
      return Fail(file.error());
    }
    return std::unique_ptr<ByteSource>(std::move(*file));
  };
}

core::Result<ArchiveEntry> FileEntry(const std::string& host_path) {
  struct stat st = {};
  auto fd = OpenRegular(host_path, st);
  if (!fd) {
    return Fail(fd.error());
  }
  ArchiveEntry entry;
  entry.path = std::filesystem::path(host_path).filename().string();
  entry.kind = EntryKind::kFile;
  entry.size = static_cast<std::uint64_t>(st.st_size);
  entry.permissions = NormalizedPermissions(EntryKind::kFile, st.st_mode);
  entry.open = FileOpener(host_path);
  return entry;
}

core::Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path) {
  // A fixed mode: the image's bytes never depend on the umask, and neither does its mode.
  auto out = core::io::OutputFile::Open(path, {.fixed_mode = 0644});
  if (!out) {
    return Fail(out.error());
  }
  return std::make_unique<FileSink>(std::move(*out));
}

FileSink::FileSink(std::unique_ptr<core::io::OutputFile> out) noexcept : out_(std::move(out)) {}

FileSink::~FileSink() = default;

core::Status FileSink::Append(core::ByteView data) { return out_->Append(data); }

core::Status FileSink::WriteAt(std::uint64_t offset, core::ByteView data) {
  return out_->WriteAt(offset, data);
}

std::uint64_t FileSink::Size() const noexcept { return out_->size(); }

core::Status FileSink::Commit() { return out_->Commit(); }

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

core::Result<std::vector<ArchiveEntry>> ReadDirectoryTree(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Fail(ErrorCode::kIoRead, root + " is not a directory");
  }
  std::vector<ArchiveEntry> entries;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  const fs::recursive_directory_iterator end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path& host = it->path();
    const fs::file_status status = fs::symlink_status(host, ec);
    if (ec) {
      break;
    }
    auto relative = NormalizeArchivePath(host.lexically_relative(root).generic_string());
    if (!relative) {
      return Fail(relative.error());
    }
    if (entries.size() >= core::limits::kMaxRootfsEntries) {
      return Fail(ErrorCode::kRootfsPathInvalid, root + " has too many entries");
    }
    ArchiveEntry entry;
    entry.path = *relative;
    const auto mode = static_cast<std::uint32_t>(status.permissions());
    switch (status.type()) {
      case fs::file_type::directory:
        entry.kind = EntryKind::kDirectory;
        break;
      case fs::file_type::symlink: {
        entry.kind = EntryKind::kSymlink;
        entry.link_target = fs::read_symlink(host, ec).string();
        if (ec) {
          return Fail(ErrorCode::kIoRead,
                      "cannot read link " + host.string() + ": " + ec.message());
        }
        break;
      }
      case fs::file_type::regular: {
        entry.kind = EntryKind::kFile;
        entry.size = fs::file_size(host, ec);
        if (ec) {
          return Fail(ErrorCode::kIoRead, "cannot stat " + host.string() + ": " + ec.message());
        }
        entry.open = FileOpener(host.string());
        break;
      }
      default:
        return Fail(ErrorCode::kCpioUnsupportedEntry,
                    host.string() + " is a device, fifo or socket, which an image cannot carry");
    }
    entry.permissions = NormalizedPermissions(entry.kind, mode);
    entries.push_back(std::move(entry));
  }
  if (ec) {
    return Fail(ErrorCode::kIoRead, "cannot list " + root + ": " + ec.message());
  }
  return entries;
}

core::Result<core::SecretBytes> ReadSecretFile(const std::string& path, std::size_t max_bytes) {
  struct stat st = {};
  auto fd = OpenRegular(path, st);
  if (!fd) {
    return Fail(fd.error());
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Fail(ErrorCode::kInputTooLarge,
                path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  core::SecretBytes out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd->get(), out.MutableData() + done, out.size() - done);  // NOLINT
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Fail(ErrorCode::kIoRead, "cannot read " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  return out;
}

core::Result<std::map<std::uint64_t, core::Bytes>> MeasureImageFile(const std::string& path) {
  auto file = FileSource::Open(path);
  if (!file) {
    return core::Fail(file.error());
  }
  auto report = InspectImage(**file);
  if (!report) {
    core::Error error = report.error();
    error.detail = path + ": " + error.detail;
    return core::Fail(std::move(error));
  }
  if (const core::Error* failure = report->FirstFailure()) {
    core::Error error = *failure;
    error.detail = path + ": " + error.detail;
    return core::Fail(std::move(error));
  }
  return MeasurementsAsSet(report->measurements);
}

}  // namespace enclavectl::eif::io

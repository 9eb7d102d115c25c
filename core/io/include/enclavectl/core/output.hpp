// Where a command's output goes (`--out FILE|-`), written so that the path stays what it is.
//
//   "-"                       standard output.
//   a regular file, or a path that does not exist yet
//                             replaced atomically: a temporary file in the same directory,
//                             fsync, rename. An existing file keeps its permission bits; a
//                             new one gets 0666 minus the umask (0600 with `private_file`).
//   a symbolic link           written through to the file it points at, by the rules here
//                             (a link that points nowhere is refused, never replaced).
//   a FIFO or character device (/dev/null, /dev/stdout, a terminal, a pipe)
//                             written to directly, never replaced.
//   a directory, a block device, a socket
//                             refused.
//
// A temporary file never outlives the process: it is removed when the output is abandoned,
// at exit(), and on SIGINT, SIGTERM and SIGHUP once InstallOutputCleanup() has run. Every
// failure is kIoWrite naming the path and the system's reason (e.g. ENOSPC on /dev/full).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::core::io {

struct OutputOptions {
  // A new file is created 0600 whatever the umask (keys, state).
  bool private_file = false;
  // A fixed mode for a new or replaced regular file (e.g. 0644 for images, whose mode must
  // not depend on the umask); 0 = the rules above.
  unsigned fixed_mode = 0;
};

// An output being written. Bytes may be written at any offset (a format whose header is
// written last); nothing is visible at the path until Commit().
class OutputFile {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OutputFile>> Open(const std::string& path,
                                                                const OutputOptions& options = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  [[nodiscard]] Status WriteAt(std::uint64_t offset, ByteView data);
  [[nodiscard]] Status Append(ByteView data);
  std::uint64_t size() const noexcept { return size_; }
  // Publishes the bytes at the path (rename, or a copy to a FIFO/device/stdout).
  [[nodiscard]] Status Commit();

  // How the path was found; for messages and tests.
  enum class Kind : std::uint8_t { kStdout, kReplace, kDirect };
  Kind kind() const noexcept { return kind_; }

 private:
  OutputFile() = default;
  std::string path_;       // as given, for messages
  std::string target_;     // the resolved path renamed over (kReplace) or opened (kDirect)
  std::string temp_path_;  // kReplace: the temporary file beside the target
  int fd_ = -1;            // the temporary file (kReplace) or an unlinked spool (others)
  int slot_ = -1;          // the cleanup registry's slot for temp_path_
  Kind kind_ = Kind::kReplace;
  unsigned mode_ = 0600;
  std::uint64_t size_ = 0;
  bool committed_ = false;
};

// Writes `data` to `path` by the rules above.
[[nodiscard]] Status WriteOutput(const std::string& path, ByteView data,
                                 const OutputOptions& options = {});

// Writes all of `data` to file descriptor `fd` (1: standard output), retrying on EINTR and
// short writes. Fails with kIoWrite naming `what` (e.g. "standard output") and the reason.
[[nodiscard]] Status WriteAllTo(int fd, ByteView data, const std::string& what);

// Input `-` where a reader needs a regular file (to read by position, e.g. an EIF): the file
// behind `fd` (0: standard input) when it is one at offset 0, else its bytes copied to an
// unlinked scratch file in $TMPDIR (else /tmp; O_TMPFILE, or mkstemp then unlink), so nothing
// is left behind on any exit. Copies at most `max_bytes`. Fails with kIoRead, kIoWrite (the
// scratch file) or kInputTooLarge.
[[nodiscard]] Result<UniqueFd> SpoolToFile(int fd, std::uint64_t max_bytes);

// Installs the SIGINT/SIGTERM/SIGHUP handlers and the exit hook that remove temporary output
// files, then let the signal take its default action. Idempotent; called once by each main().
void InstallOutputCleanup();

}  // namespace enclavectl::core::io

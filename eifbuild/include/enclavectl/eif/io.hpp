// The file adapters of eifbuild: images and inputs are read by position (never whole),
// built images are written to a temporary file renamed into place, and root filesystem
// directories are listed without following symlinks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/output.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/eif/cpio.hpp"
#include "enclavectl/eif/source.hpp"

namespace enclavectl::eif::io {

// A regular file read with pread. Its size is taken when opened; a file that shrinks
// afterwards fails reads with kIoRead.
class FileSource final : public ByteSource {
 public:
  // "-" is standard input, copied first when it is not a regular file (core::io::SpoolToFile,
  // at most kMaxEifStdinBytes). Fails with kIoRead (cannot open, not a regular file),
  // kInputTooLarge, or kIoWrite (the scratch copy).
  [[nodiscard]] static core::Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  std::uint64_t Size() const noexcept override { return size_; }
  [[nodiscard]] core::Status ReadAt(std::uint64_t offset,
                                    std::span<std::uint8_t> out) const override;
  const std::string& path() const noexcept { return path_; }

  // Takes an open regular file of `size` bytes; use Open().
  FileSource(core::UniqueFd fd, std::uint64_t size, std::string path) noexcept
      : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}

 private:
  core::UniqueFd fd_;
  std::uint64_t size_;
  std::string path_;
};

// Measures the image file at `path` like `nitro-cli describe-eif` and returns PCR0, PCR1,
// PCR2 and, for a signed image, PCR8. An image whose CRC, layout, metadata or signature check
// fails is refused: nothing may pin (or simulate) a damaged image. Fails with kIoRead or the
// EIF codes (6xx) of the first failed check; the detail names the path.
[[nodiscard]] core::Result<std::map<std::uint64_t, core::Bytes>> MeasureImageFile(
    const std::string& path);

// Opens `path` when called.
SourceOpener FileOpener(std::string path);

// A file entry (kind kFile, size from the file now, NormalizedPermissions of its mode)
// whose data is read from `host_path` when written. Fails with kIoRead.
[[nodiscard]] core::Result<ArchiveEntry> FileEntry(const std::string& host_path);

// Writes an image to `path` by the output rules of core/output.hpp: a regular file (or a new
// one) is replaced atomically with mode 0644 (never umask-dependent), "-" is standard output,
// a FIFO or device is written directly, a symlink is written through, a directory is refused.
// Nothing is visible before Commit(); destroyed without Commit, or on SIGINT/SIGTERM once
// core::io::InstallOutputCleanup() has run, it leaves no temporary file.
class FileSink final : public ByteSink {
 public:
  // Fails with kIoWrite.
  [[nodiscard]] static core::Result<std::unique_ptr<FileSink>> Create(const std::string& path);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  [[nodiscard]] core::Status Append(core::ByteView data) override;
  [[nodiscard]] core::Status WriteAt(std::uint64_t offset, core::ByteView data) override;
  std::uint64_t Size() const noexcept override;
  // Fails with kIoWrite.
  [[nodiscard]] core::Status Commit();

  // Takes an opened output; use Create().
  explicit FileSink(std::unique_ptr<core::io::OutputFile> out) noexcept;

 private:
  std::unique_ptr<core::io::OutputFile> out_;
};

// True when `path` names a directory (following symlinks).
bool IsDirectory(const std::string& path);

// Lists the tree below `root` (root itself excluded) as archive entries: paths relative
// to root, symlinks kept as symlinks (never followed), permissions normalized, owners and
// times ignored; files are opened when written. Fails with kIoRead, kCpioUnsupportedEntry
// (device, fifo, socket) or kRootfsPathInvalid.
[[nodiscard]] core::Result<std::vector<ArchiveEntry>> ReadDirectoryTree(const std::string& root);

// Reads a small secret file (a private key) straight into wiped memory. Fails with kIoRead
// or kInputTooLarge.
[[nodiscard]] core::Result<core::SecretBytes> ReadSecretFile(const std::string& path,
                                                             std::size_t max_bytes);

}  // namespace enclavectl::eif::io

// Deterministic cpio "newc" archives (eif-build.md section 5), the format the kernel
// unpacks as initramfs. Everything in a header is pinned, nothing comes from the host:
// paths sorted by byte order (parents first), inode numbers 1, 2, ... in archive order,
// uid/gid 0, nlink 2 for directories and 1 otherwise, one fixed mtime, device numbers 0,
// check 0, the TRAILER!!! entry, and zero padding to a multiple of 512 bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/eif/source.hpp"

namespace enclavectl::eif {

enum class EntryKind : std::uint8_t { kDirectory, kFile, kSymlink };

// One archive member. Paths are relative ("etc/passwd"): no leading or trailing '/', no
// empty, "." or ".." component (NormalizeArchivePath makes them so).
struct ArchiveEntry {
  std::string path;
  EntryKind kind = EntryKind::kFile;
  std::uint32_t permissions = 0644;  // 0..07777
  std::uint64_t size = 0;            // kFile: data length
  std::string link_target;           // kSymlink
  SourceOpener open;                 // kFile: the data, opened when written
};

// The permission bits enclavectl gives a host file, so that umask and chmod noise never
// reach an image: directories 0755, files 0755 when any execute bit is set else 0644,
// symlinks 0777. Set-id and sticky bits are dropped.
std::uint32_t NormalizedPermissions(EntryKind kind, std::uint32_t host_mode) noexcept;

// Turns an archive path from a tar header or a directory walk (untrusted) into the form
// above: strips leading "/" and "./", trailing "/", repeated "/" and "." components.
// Returns "" for the root itself. Fails with kRootfsPathInvalid for a ".." component, a
// NUL byte or more than kMaxRootfsPathBytes bytes.
[[nodiscard]] core::Result<std::string> NormalizeArchivePath(std::string_view path);

// Sorts entries by path bytes, adds missing parent directories (0755) and checks them:
// fails with kRootfsPathInvalid (invalid or repeated path, a path below a non-directory,
// more than kMaxRootfsEntries entries) or kCpioUnsupportedEntry (a file of 4 GiB or more,
// a symlink target that is empty or too long).
[[nodiscard]] core::Result<std::vector<ArchiveEntry>> PrepareArchive(
    std::vector<ArchiveEntry> entries);

// Size in bytes of the archive WriteCpio writes for `entries` (prepared).
std::uint64_t CpioSize(const std::vector<ArchiveEntry>& entries);

// Writes the archive of prepared `entries` with every mtime = `mtime`, handing the bytes to
// `out` in order (pieces of any size). File data is read through each entry's opener; a
// file whose size differs from entry.size fails with kIoRead. Fails with out's error.
[[nodiscard]] core::Status WriteCpio(const std::vector<ArchiveEntry>& entries, std::uint32_t mtime,
                                     const std::function<core::Status(core::ByteView)>& out);

}  // namespace enclavectl::eif

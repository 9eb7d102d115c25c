#include "enclavectl/eif/cpio.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "enclavectl/core/limits.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kNewcHeaderSize = 110;
constexpr std::uint64_t kBlock = 512;
constexpr std::string_view kTrailer = "TRAILER!!!";
constexpr std::uint32_t kTypeDirectory = 0040000;
constexpr std::uint32_t kTypeFile = 0100000;
constexpr std::uint32_t kTypeSymlink = 0120000;

constexpr std::uint64_t Align4(std::uint64_t n) noexcept { return (n + 3) & ~std::uint64_t{3}; }

std::uint64_t EntrySize(std::size_t name_len, std::uint64_t data_len) noexcept {
  return Align4(kNewcHeaderSize + name_len + 1) + Align4(data_len);
}

// "070701" and 13 fields of 8 upper-case hex digits.
std::array<char, kNewcHeaderSize> NewcHeader(std::uint32_t ino, std::uint32_t mode,
                                             std::uint32_t nlink, std::uint32_t mtime,
                                             std::uint32_t file_size, std::uint32_t name_size) {
  std::array<char, kNewcHeaderSize> out{};
  const std::string_view magic = "070701";
  std::copy(magic.begin(), magic.end(), out.begin());
  const std::array<std::uint32_t, 13> fields = {ino, mode, 0, 0, nlink,     mtime, file_size,
                                                0,   0,    0, 0, name_size, 0};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t pos = magic.size();
  for (const std::uint32_t field : fields) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      out[pos++] = kHex[(field >> shift) & 0xf];
    }
  }
  return out;
}

core::Status Pad(std::uint64_t len, const std::function<core::Status(core::ByteView)>& out) {
  static constexpr std::array<std::uint8_t, kBlock> kZeros{};
  while (len > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(len, kZeros.size()));
    ENCLAVECTL_RETURN_IF_ERROR(out(core::ByteView(kZeros).first(n)));
    len -= n;
  }
  return core::Ok();
}

core::Status WriteMember(std::uint32_t ino, std::uint32_t mode, std::uint32_t nlink,
                         std::uint32_t mtime, std::uint32_t file_size, std::string_view name,
                         const std::function<core::Status(core::ByteView)>& out) {
  const std::size_t name_size = name.size() + 1;
  const auto header =
      NewcHeader(ino, mode, nlink, mtime, file_size, static_cast<std::uint32_t>(name_size));
  ENCLAVECTL_RETURN_IF_ERROR(out(core::AsBytes(std::string_view(header.data(), header.size()))));
  ENCLAVECTL_RETURN_IF_ERROR(out(core::AsBytes(name)));
  const std::uint64_t used = kNewcHeaderSize + name.size();
  // The name's NUL plus padding of header+name to 4 bytes.
  return Pad(Align4(used + 1) - used, out);
}

}  // namespace

std::uint32_t NormalizedPermissions(EntryKind kind, std::uint32_t host_mode) noexcept {
  switch (kind) {
    case EntryKind::kDirectory:
      return 0755;
    case EntryKind::kSymlink:
      return 0777;
    case EntryKind::kFile:
      break;
  }
  return (host_mode & 0111) != 0 ? 0755 : 0644;
}

core::Result<std::string> NormalizeArchivePath(std::string_view path) {
  if (path.size() > core::limits::kMaxRootfsPathBytes) {
    return Fail(
        ErrorCode::kRootfsPathInvalid,
        "a path is longer than " + std::to_string(core::limits::kMaxRootfsPathBytes) + " bytes");
  }
  if (path.find('\0') != std::string_view::npos) {
    return Fail(ErrorCode::kRootfsPathInvalid, "a path contains a NUL byte");
  }
  std::string out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t slash = std::min(path.find('/', pos), path.size());
    const std::string_view component = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      return Fail(ErrorCode::kRootfsPathInvalid,
                  "path \"" + std::string(path) + "\" has a .. component");
    }
    if (!out.empty()) {
      out += '/';
    }
    out += component;
  }
  return out;
}

core::Result<std::vector<ArchiveEntry>> PrepareArchive(std::vector<ArchiveEntry> entries) {
  if (entries.size() > core::limits::kMaxRootfsEntries) {
    return Fail(ErrorCode::kRootfsPathInvalid,
                "more than " + std::to_string(core::limits::kMaxRootfsEntries) + " entries");
  }
  std::set<std::string> directories;
  std::set<std::string> others;
  for (const ArchiveEntry& entry : entries) {
    auto normalized = NormalizeArchivePath(entry.path);
    if (!normalized) {
      return Fail(normalized.error());
    }
    if (normalized->empty() || *normalized != entry.path) {
      return Fail(ErrorCode::kRootfsPathInvalid,
                  "archive path \"" + entry.path + "\" is not in normal form");
    }
    if (entry.kind == EntryKind::kFile && entry.size > std::numeric_limits<std::uint32_t>::max()) {
      return Fail(ErrorCode::kCpioUnsupportedEntry,
                  entry.path + " is 4 GiB or larger, which newc cannot record");
    }
    if (entry.kind == EntryKind::kSymlink &&
        (entry.link_target.empty() ||
         entry.link_target.size() > core::limits::kMaxRootfsPathBytes ||
         entry.link_target.find('\0') != std::string::npos)) {
      return Fail(ErrorCode::kCpioUnsupportedEntry,
                  "symlink " + entry.path + " has an empty, too long or NUL-containing target");
    }
    std::set<std::string>& set = entry.kind == EntryKind::kDirectory ? directories : others;
    if (directories.count(entry.path) != 0 || others.count(entry.path) != 0) {
      return Fail(ErrorCode::kRootfsPathInvalid, "path \"" + entry.path + "\" appears twice");
    }
    set.insert(entry.path);
  }
  // Parents: every prefix must be a directory; missing ones are added.
  std::vector<ArchiveEntry> parents;
  for (const ArchiveEntry& entry : entries) {
    std::size_t slash = entry.path.find('/');
    while (slash != std::string::npos) {
      std::string parent = entry.path.substr(0, slash);
      if (others.count(parent) != 0) {
        return Fail(ErrorCode::kRootfsPathInvalid,
                    "\"" + entry.path + "\" is below \"" + parent + "\", which is not a directory");
      }
      if (directories.insert(parent).second) {
        ArchiveEntry dir;
        dir.path = std::move(parent);
        dir.kind = EntryKind::kDirectory;
        dir.permissions = 0755;
        parents.push_back(std::move(dir));
      }
      slash = entry.path.find('/', slash + 1);
    }
  }
  for (ArchiveEntry& parent : parents) {
    entries.push_back(std::move(parent));
  }
  if (entries.size() > core::limits::kMaxRootfsEntries) {
    return Fail(ErrorCode::kRootfsPathInvalid,
                "more than " + std::to_string(core::limits::kMaxRootfsEntries) + " entries");
  }
  // Byte order (std::string compares as unsigned char); a prefix sorts before its children.
  std::sort(entries.begin(), entries.end(),
            [](const ArchiveEntry& a, const ArchiveEntry& b) { return a.path < b.path; });
  return entries;
}

std::uint64_t CpioSize(const std::vector<ArchiveEntry>& entries) {
  std::uint64_t total = 0;
  for (const ArchiveEntry& entry : entries) {
    const std::uint64_t data = entry.kind == EntryKind::kFile      ? entry.size
                               : entry.kind == EntryKind::kSymlink ? entry.link_target.size()
                                                                   : 0;
    total += EntrySize(entry.path.size(), data);
  }
  total += EntrySize(kTrailer.size(), 0);
  return (total + kBlock - 1) / kBlock * kBlock;
}

core::Status WriteCpio(const std::vector<ArchiveEntry>& entries, std::uint32_t mtime,
                       const std::function<core::Status(core::ByteView)>& out) {
  std::uint64_t written = 0;
  const auto counted = [&out, &written](core::ByteView piece) {
    written += piece.size();
    return out(piece);
  };
  core::Bytes buffer;
  std::uint32_t ino = 0;
  for (const ArchiveEntry& entry : entries) {
    ++ino;
    const std::uint32_t perms = entry.permissions & 07777;
    switch (entry.kind) {
      case EntryKind::kDirectory:
        ENCLAVECTL_RETURN_IF_ERROR(
            WriteMember(ino, kTypeDirectory | perms, 2, mtime, 0, entry.path, counted));
        break;
      case EntryKind::kSymlink: {
        const auto len = static_cast<std::uint32_t>(entry.link_target.size());
        ENCLAVECTL_RETURN_IF_ERROR(
            WriteMember(ino, kTypeSymlink | perms, 1, mtime, len, entry.path, counted));
        ENCLAVECTL_RETURN_IF_ERROR(counted(core::AsBytes(entry.link_target)));
        ENCLAVECTL_RETURN_IF_ERROR(Pad(Align4(len) - len, counted));
        break;
      }
      case EntryKind::kFile: {
        const auto len = static_cast<std::uint32_t>(entry.size);
        ENCLAVECTL_RETURN_IF_ERROR(
            WriteMember(ino, kTypeFile | perms, 1, mtime, len, entry.path, counted));
        if (len > 0) {
          auto source = entry.open();
          if (!source) {
            return Fail(source.error());
          }
          if ((*source)->Size() != entry.size) {
            return Fail(ErrorCode::kIoRead, entry.path + " changed size while the image was built");
          }
          buffer.resize(std::min<std::size_t>(len, std::size_t{1} << 20));
          ENCLAVECTL_RETURN_IF_ERROR(ForEachChunk(**source, 0, len, buffer, counted));
        }
        ENCLAVECTL_RETURN_IF_ERROR(Pad(Align4(len) - len, counted));
        break;
      }
    }
  }
  ENCLAVECTL_RETURN_IF_ERROR(WriteMember(0, 0, 1, 0, 0, kTrailer, counted));
  return Pad((kBlock - (written % kBlock)) % kBlock, counted);
}

}  // namespace enclavectl::eif

#include "enclavectl/eif/tar.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/reader.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kBlockSize = 512;

// Field positions of a ustar header (POSIX.1-2001 pax "ustar Interchange Format").
struct Field {
  std::size_t offset;
  std::size_t len;
};
constexpr Field kName{0, 100};
constexpr Field kMode{100, 8};
constexpr Field kSize{124, 12};
constexpr Field kChecksum{148, 8};
constexpr Field kTypeflag{156, 1};
constexpr Field kLinkname{157, 100};
constexpr Field kMagic{257, 8};
constexpr Field kPrefix{345, 155};

auto Malformed(std::string detail, std::uint64_t offset) {
  return Fail(ErrorCode::kTarMalformed,
              std::move(detail) + " (header at offset " + std::to_string(offset) + ")");
}

core::ByteView FieldBytes(core::ByteView block, Field field) {
  core::Reader reader(block);
  // A 512-byte block always holds every field.
  static_cast<void>(reader.Skip(field.offset));
  return *reader.Take(field.len);
}

// Text up to the first NUL.
std::string CString(core::ByteView bytes) {
  std::string_view text = core::AsChars(bytes);
  return std::string(text.substr(0, text.find('\0')));
}

// An octal number field (leading spaces, then digits, then NUL/space), or GNU base-256
// (first byte 0x80, big-endian positive value).
std::optional<std::uint64_t> ParseNumber(core::ByteView bytes) {
  if (!bytes.empty() && bytes[0] == 0x80) {
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < bytes.size(); ++i) {
      if (value > (std::numeric_limits<std::uint64_t>::max() >> 8)) {
        return std::nullopt;
      }
      value = (value << 8) | bytes[i];
    }
    return value;
  }
  std::string_view text = core::AsChars(bytes);
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == ' ') {
    ++pos;
  }
  std::size_t end = pos;
  while (end < text.size() && text[end] >= '0' && text[end] <= '7') {
    ++end;
  }
  for (std::size_t i = end; i < text.size(); ++i) {
    if (text[i] != '\0' && text[i] != ' ') {
      return std::nullopt;
    }
  }
  if (end == pos) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (std::size_t i = pos; i < end; ++i) {
    if (value > (std::numeric_limits<std::uint64_t>::max() >> 3)) {
      return std::nullopt;
    }
    value = (value << 3) | static_cast<std::uint64_t>(text[i] - '0');
  }
  return value;
}

bool ChecksumMatches(core::ByteView block) {
  const std::optional<std::uint64_t> stored = ParseNumber(FieldBytes(block, kChecksum));
  if (!stored) {
    return false;
  }
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < block.size(); ++i) {
    const bool in_field = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.len;
    const std::uint8_t b = in_field ? std::uint8_t{' '} : block[i];
    unsigned_sum += b;
    signed_sum += static_cast<std::int8_t>(b);
  }
  // Some old writers summed signed chars.
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

// pax extended header records: "LEN key=value\n", LEN counting the whole record.
core::Result<std::map<std::string, std::string>> ParsePax(core::ByteView data,
                                                          std::uint64_t offset) {
  std::map<std::string, std::string> out;
  std::string_view text = core::AsChars(data);
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    std::size_t len = 0;
    if (space == std::string_view::npos || space == 0) {
      return Malformed("a pax record has no length", offset);
    }
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + space, len);
    if (ec != std::errc() || ptr != text.data() + space || len <= space + 1 || len > text.size() ||
        text[len - 1] != '\n') {
      return Malformed("a pax record has a bad length", offset);
    }
    const std::string_view record = text.substr(space + 1, len - space - 2);
    const std::size_t eq = record.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Malformed("a pax record has no key=value", offset);
    }
    out[std::string(record.substr(0, eq))] = std::string(record.substr(eq + 1));
    text.remove_prefix(len);
  }
  return out;
}

// The extended headers (pax 'x', global 'g', GNU long name 'L' and long link 'K') that
// describe the next member.
struct PendingHeaders {
  std::map<std::string, std::string> pax;
  std::optional<std::string> long_name;
  std::optional<std::string> long_link;
};

// Reads the data of an extended header of `type` at `data_offset` into `pending`.
core::Status ReadExtendedHeader(const ByteSource& tar, char type, std::uint64_t offset,
                                std::uint64_t data_offset, std::uint64_t data_size,
                                PendingHeaders& pending) {
  if (data_size > core::limits::kMaxTarExtendedHeaderBytes) {
    return Malformed("an extended header is larger than 1 MiB", offset);
  }
  auto data = ReadRange(tar, data_offset, data_size);
  if (!data) {
    return Fail(data.error());
  }
  if (type == 'x' || type == 'g') {
    auto records = ParsePax(*data, offset);
    if (!records) {
      return Fail(records.error());
    }
    if (type == 'x') {
      for (auto& [key, value] : *records) {
        pending.pax[key] = std::move(value);
      }
    }
  } else {
    (type == 'L' ? pending.long_name : pending.long_link) = CString(*data);
  }
  return core::Ok();
}

// The member's data size: the header's, or a pax "size" for a member (not a pax header).
core::Result<std::uint64_t> MemberDataSize(const PendingHeaders& pending, char type,
                                           std::uint64_t declared, std::uint64_t offset) {
  std::uint64_t data_size = declared;
  if (auto it = pending.pax.find("size"); it != pending.pax.end() && type != 'x' && type != 'g') {
    const auto [ptr, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), data_size);
    if (ec != std::errc() || ptr != it->second.data() + it->second.size()) {
      return Malformed("the pax size is not a number", offset);
    }
  }
  return data_size;
}

// The member's name and link target: ustar prefix, then GNU long names, then pax; consumes
// the pending headers.
std::pair<std::string, std::string> MemberNames(const std::array<std::uint8_t, kBlockSize>& block,
                                                PendingHeaders& pending) {
  std::string name = CString(FieldBytes(block, kName));
  const std::string prefix = CString(FieldBytes(block, kPrefix));
  if (core::AsChars(FieldBytes(block, kMagic)).substr(0, 6) == std::string_view("ustar\0", 6) &&
      !prefix.empty()) {
    name = prefix + "/" + name;
  }
  if (pending.long_name) {
    name = *pending.long_name;
  }
  if (auto it = pending.pax.find("path"); it != pending.pax.end()) {
    name = it->second;
  }
  std::string link = pending.long_link ? *pending.long_link : CString(FieldBytes(block, kLinkname));
  if (auto it = pending.pax.find("linkpath"); it != pending.pax.end()) {
    link = it->second;
  }
  pending = PendingHeaders();
  return {std::move(name), std::move(link)};
}

// Fills the kind, size, contents and permissions of `entry` (its path set) from a member of
// `type`; `files` maps earlier files' paths to their index in `entries` (hard link targets).
core::Status FillEntry(const ByteSource& tar, char type, std::uint64_t mode,
                       const std::string& link, std::uint64_t offset, std::uint64_t data_offset,
                       std::uint64_t data_size, const std::vector<ArchiveEntry>& entries,
                       const std::map<std::string, std::size_t>& files, ArchiveEntry& entry) {
  const auto host_mode = static_cast<std::uint32_t>(mode & 07777);
  switch (type) {
    case '0':
    case '\0':
    case '7': {
      entry.kind = EntryKind::kFile;
      entry.size = data_size;
      const std::uint64_t start = data_offset;
      entry.open = [&tar, start, data_size]() -> core::Result<std::unique_ptr<ByteSource>> {
        return std::make_unique<SliceSource>(tar, start, data_size);
      };
      break;
    }
    case '1': {
      auto target = NormalizeArchivePath(link);
      auto it = target ? files.find(*target) : files.end();
      if (it == files.end()) {
        return Malformed("hard link " + entry.path + " points to no earlier file", offset);
      }
      const ArchiveEntry& original = entries[it->second];
      entry.kind = EntryKind::kFile;
      entry.size = original.size;
      entry.open = original.open;
      entry.permissions = original.permissions;
      break;
    }
    case '2':
      entry.kind = EntryKind::kSymlink;
      entry.link_target = link;
      break;
    case '5':
      entry.kind = EntryKind::kDirectory;
      break;
    case '3':
    case '4':
    case '6':
      return Fail(ErrorCode::kCpioUnsupportedEntry,
                  entry.path + " is a device or fifo, which an image cannot carry");
    default:
      return Malformed(
          "member " + entry.path + " has unsupported type '" + std::string(1, type) + "'", offset);
  }
  if (type != '1') {
    entry.permissions = NormalizedPermissions(entry.kind, host_mode);
  }
  return core::Ok();
}

}  // namespace

core::Result<std::vector<ArchiveEntry>> ReadTar(const ByteSource& tar) {
  std::vector<ArchiveEntry> entries;
  std::map<std::string, std::size_t> files;  // path -> index in entries (hard link targets)
  PendingHeaders pending;                    // applies to the next member
  const std::uint64_t size = tar.Size();
  std::uint64_t offset = 0;
  std::array<std::uint8_t, kBlockSize> block{};
  while (true) {
    if (size - offset < kBlockSize) {
      if (offset == size) {
        return Malformed("the archive ends without its end-of-archive blocks", offset);
      }
      return Malformed("the archive ends inside a header block", offset);
    }
    ENCLAVECTL_RETURN_IF_ERROR(tar.ReadAt(offset, block));
    if (core::IsAllZero(block)) {
      break;  // end of archive (a second zero block and record padding may follow)
    }
    if (!ChecksumMatches(block)) {
      return Malformed("header checksum mismatch", offset);
    }
    const std::optional<std::uint64_t> declared = ParseNumber(FieldBytes(block, kSize));
    const std::optional<std::uint64_t> mode = ParseNumber(FieldBytes(block, kMode));
    if (!declared || !mode) {
      return Malformed("the size or mode field is not a number", offset);
    }
    const char type = static_cast<char>(FieldBytes(block, kTypeflag)[0]);
    auto data_size = MemberDataSize(pending, type, *declared, offset);
    if (!data_size) {
      return Fail(data_size.error());
    }
    const std::uint64_t data_offset = offset + kBlockSize;
    if (*data_size > size - data_offset) {
      return Malformed("member data extends past the end of the archive", offset);
    }
    const std::uint64_t padded =
        *data_size + ((kBlockSize - (*data_size % kBlockSize)) % kBlockSize);
    const std::uint64_t next = data_offset + std::min(padded, size - data_offset);

    // Extended headers describe the next member.
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      ENCLAVECTL_RETURN_IF_ERROR(
          ReadExtendedHeader(tar, type, offset, data_offset, *data_size, pending));
      offset = next;
      continue;
    }

    auto [name, link] = MemberNames(block, pending);
    auto path = NormalizeArchivePath(name);
    if (!path) {
      return Fail(path.error());
    }
    ArchiveEntry entry;
    entry.path = *path;
    ENCLAVECTL_RETURN_IF_ERROR(
        FillEntry(tar, type, *mode, link, offset, data_offset, *data_size, entries, files, entry));
    offset = next;
    if (entry.path.empty()) {
      continue;  // the root directory itself
    }
    if (entry.kind == EntryKind::kFile) {
      files[entry.path] = entries.size();
    }
    if (entries.size() >= core::limits::kMaxRootfsEntries) {
      return Fail(ErrorCode::kRootfsPathInvalid, "the archive has too many members");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace enclavectl::eif

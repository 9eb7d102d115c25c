#include "enclavectl/eif/format.hpp"

#include <string>

#include "enclavectl/core/reader.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

template <std::size_t N>
void PutBe(std::array<std::uint8_t, N>& out, std::size_t offset, std::uint64_t value,
           std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i) {
    out[offset + i] = static_cast<std::uint8_t>(value >> (8 * (len - 1 - i)));
  }
}

}  // namespace

std::string_view SectionTypeName(SectionType type) noexcept {
  switch (type) {
    case SectionType::kKernel:
      return "Kernel";
    case SectionType::kCmdline:
      return "Cmdline";
    case SectionType::kRamdisk:
      return "Ramdisk";
    case SectionType::kSignature:
      return "Signature";
    case SectionType::kMetadata:
      return "Metadata";
    case SectionType::kInvalid:
      break;
  }
  return "Invalid";
}

std::string_view ArchName(Arch arch) noexcept {
  return arch == Arch::kAarch64 ? "aarch64" : "x86_64";
}

core::Result<Header> DecodeHeader(ByteView bytes) {
  // eif.md section 3.
  if (bytes.size() < kHeaderSize) {
    return Fail(ErrorCode::kEifHeaderTruncated,
                "the file has " + std::to_string(bytes.size()) + " bytes, fewer than the " +
                    std::to_string(kHeaderSize) + "-byte EIF header");
  }
  core::Reader reader(bytes.first(kHeaderSize));
  auto magic = reader.Take(kMagic.size());
  if (!magic || !core::Equal(*magic, kMagic)) {
    return Fail(ErrorCode::kEifBadMagic, "the file does not start with the EIF magic \".eif\"");
  }
  Header header;
  // The reader cannot fail below: exactly kHeaderSize bytes are consumed.
  header.version = *reader.ReadU16();
  header.flags = *reader.ReadU16();
  header.default_mem = *reader.ReadU64();
  header.default_cpus = *reader.ReadU64();
  header.reserved = *reader.ReadU16();
  header.num_sections = *reader.ReadU16();
  for (std::uint64_t& offset : header.section_offsets) {
    offset = *reader.ReadU64();
  }
  for (std::uint64_t& size : header.section_sizes) {
    size = *reader.ReadU64();
  }
  header.unused = *reader.ReadU32();
  header.crc32 = *reader.ReadU32();
  // eif.md section 11: versions 0 and 1 were internal, above 4 is undefined.
  if (header.version < kMinVersion || header.version > kCurrentVersion) {
    return Fail(ErrorCode::kEifUnsupportedVersion,
                "EIF version " + std::to_string(header.version) + " is not 2, 3 or 4");
  }
  if (header.num_sections > kSectionSlots) {
    return Fail(ErrorCode::kEifTooManySections, "the header declares " +
                                                    std::to_string(header.num_sections) +
                                                    " sections; at most 32 fit its tables");
  }
  return header;
}

std::array<std::uint8_t, kHeaderSize> EncodeHeader(const Header& header) {
  std::array<std::uint8_t, kHeaderSize> out{};
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  PutBe(out, 4, header.version, 2);
  PutBe(out, 6, header.flags, 2);
  PutBe(out, 8, header.default_mem, 8);
  PutBe(out, 16, header.default_cpus, 8);
  PutBe(out, 24, header.reserved, 2);
  PutBe(out, 26, header.num_sections, 2);
  for (std::size_t i = 0; i < kSectionSlots; ++i) {
    PutBe(out, 28 + (8 * i), header.section_offsets[i], 8);
    PutBe(out, 284 + (8 * i), header.section_sizes[i], 8);
  }
  PutBe(out, 540, header.unused, 4);
  PutBe(out, kCrcOffset, header.crc32, 4);
  return out;
}

core::Result<SectionHeader> DecodeSectionHeader(ByteView bytes, int index) {
  core::Reader reader(bytes);
  auto type = reader.ReadU16();
  auto flags = type ? reader.ReadU16() : core::Result<std::uint16_t>(0);
  auto size = flags ? reader.ReadU64() : core::Result<std::uint64_t>(0);
  if (!type || !flags || !size) {
    return Fail(ErrorCode::kTruncated,
                "section header " + std::to_string(index) + " is shorter than 12 bytes", index);
  }
  // eif.md section 4: type 0 is EifSectionInvalid, 6 and above are unknown.
  if (*type == 0 || *type > static_cast<std::uint16_t>(SectionType::kMetadata)) {
    return Fail(ErrorCode::kEifSectionType,
                "section " + std::to_string(index) + " has type " + std::to_string(*type) +
                    " (valid types are 1..5)",
                index);
  }
  return SectionHeader{static_cast<SectionType>(*type), *flags, *size};
}

std::array<std::uint8_t, kSectionHeaderSize> EncodeSectionHeader(const SectionHeader& header) {
  std::array<std::uint8_t, kSectionHeaderSize> out{};
  PutBe(out, 0, static_cast<std::uint16_t>(header.type), 2);
  PutBe(out, 2, header.flags, 2);
  PutBe(out, 4, header.size, 8);
  return out;
}

}  // namespace enclavectl::eif

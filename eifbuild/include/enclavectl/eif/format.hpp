// The Enclave Image Format (EIF) on the wire: the 548-byte header and the 12-byte section
// headers (../shared/spec/eif.md sections 2-5). Pure decoding and encoding of fixed-size
// records; walking a whole image is measure.hpp's job.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::eif {

using core::Bytes;
using core::ByteView;

inline constexpr std::array<std::uint8_t, 4> kMagic = {0x2e, 0x65, 0x69, 0x66};  // ".eif"
inline constexpr std::size_t kHeaderSize = 548;
// The CRC field is the header's last 4 bytes; everything before it is covered.
inline constexpr std::size_t kCrcOffset = 544;
inline constexpr std::size_t kSectionHeaderSize = 12;
inline constexpr std::size_t kSectionSlots = 32;
inline constexpr std::uint16_t kMinVersion = 2;
inline constexpr std::uint16_t kCurrentVersion = 4;
// Header flag bit 0: the image is for aarch64 (0: x86_64). Other bits are not defined by
// AWS's EifBuilder (third-party builders use some); they are reported, never interpreted.
inline constexpr std::uint16_t kFlagAarch64 = 0x0001;
// What EifBuilder writes into the unused default_mem / default_cpus fields.
inline constexpr std::uint64_t kDefaultMem = 1ULL << 30;
inline constexpr std::uint64_t kDefaultCpus = 2;

enum class SectionType : std::uint16_t {
  kInvalid = 0,
  kKernel = 1,
  kCmdline = 2,
  kRamdisk = 3,
  kSignature = 4,
  kMetadata = 5,
};

// "Kernel", "Cmdline", "Ramdisk", "Signature", "Metadata" (upstream's names without the
// EifSection prefix), "Invalid" otherwise.
std::string_view SectionTypeName(SectionType type) noexcept;

enum class Arch : std::uint8_t { kX86_64, kAarch64 };
std::string_view ArchName(Arch arch) noexcept;

// The EIF header (eif.md section 3). All fields big-endian on the wire.
struct Header {
  std::uint16_t version = kCurrentVersion;
  std::uint16_t flags = 0;
  std::uint64_t default_mem = kDefaultMem;
  std::uint64_t default_cpus = kDefaultCpus;
  std::uint16_t reserved = 0;
  std::uint16_t num_sections = 0;
  // Absolute offset of each section's *section header*, in file order; unused slots 0.
  std::array<std::uint64_t, kSectionSlots> section_offsets{};
  // Size of each section's *data* (without its 12-byte header); unused slots 0.
  std::array<std::uint64_t, kSectionSlots> section_sizes{};
  std::uint32_t unused = 0;
  std::uint32_t crc32 = 0;

  Arch arch() const noexcept {
    return (flags & kFlagAarch64) != 0 ? Arch::kAarch64 : Arch::kX86_64;
  }
  // Flag bits other than kFlagAarch64.
  std::uint16_t unknown_flags() const noexcept {
    return static_cast<std::uint16_t>(flags & ~kFlagAarch64);
  }
};

// Decodes the header from the first bytes of an image (untrusted; extra bytes are ignored).
// Fails with kEifHeaderTruncated (fewer than 548 bytes), kEifBadMagic,
// kEifUnsupportedVersion (not 2..4) or kEifTooManySections (num_sections above 32).
// The offset/size tables are returned as found; measure.hpp checks them against the file.
[[nodiscard]] core::Result<Header> DecodeHeader(ByteView bytes);

// The 548 header bytes, CRC field included as given.
std::array<std::uint8_t, kHeaderSize> EncodeHeader(const Header& header);

// A section header (eif.md section 4).
struct SectionHeader {
  SectionType type = SectionType::kInvalid;
  std::uint16_t flags = 0;  // reserved, always 0 from EifBuilder
  std::uint64_t size = 0;   // data length
};

// Decodes the 12 bytes of the section header of section number `index` (untrusted).
// Fails with kTruncated (fewer than 12 bytes) or kEifSectionType (type 0 or above 5);
// Error::index = `index`.
[[nodiscard]] core::Result<SectionHeader> DecodeSectionHeader(ByteView bytes, int index);

std::array<std::uint8_t, kSectionHeaderSize> EncodeSectionHeader(const SectionHeader& header);

}  // namespace enclavectl::eif

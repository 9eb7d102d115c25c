// Helpers for EIF tests: crafting images section by section, fixing CRCs after a
// deliberate mutation, in-memory sources.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/eif/crc32.hpp"
#include "enclavectl/eif/format.hpp"
#include "enclavectl/eif/source.hpp"
#include "test_paths.hpp"

namespace enclavectl::eif::testutil {

struct RawSection {
  SectionType type;
  core::Bytes data;
  std::uint16_t raw_type = 0;  // when non-zero, written instead of `type` (invalid types)
};

// A well-formed image of `sections` (header tables and CRC consistent with them).
inline core::Bytes Assemble(const std::vector<RawSection>& sections, std::uint16_t version = 4,
                            std::uint16_t flags = 0) {
  Header header;
  header.version = version;
  header.flags = flags;
  header.num_sections = static_cast<std::uint16_t>(sections.size());
  core::Bytes body;
  std::uint64_t offset = kHeaderSize;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    SectionHeader section{sections[i].type, 0, sections[i].data.size()};
    auto bytes = EncodeSectionHeader(section);
    if (sections[i].raw_type != 0) {
      bytes[0] = static_cast<std::uint8_t>(sections[i].raw_type >> 8);
      bytes[1] = static_cast<std::uint8_t>(sections[i].raw_type);
    }
    if (i < kSectionSlots) {
      header.section_offsets[i] = offset;
      header.section_sizes[i] = sections[i].data.size();
    }
    body.insert(body.end(), bytes.begin(), bytes.end());
    body.insert(body.end(), sections[i].data.begin(), sections[i].data.end());
    offset += kSectionHeaderSize + sections[i].data.size();
  }
  const auto head = EncodeHeader(header);
  core::Bytes image(head.begin(), head.end());
  image.insert(image.end(), body.begin(), body.end());
  return image;
}

// Recomputes the header CRC over header[0, 544) and everything after the header.
inline void FixCrc(core::Bytes& image) {
  Crc32 crc;
  crc.Update(core::ByteView(image).first(kCrcOffset));
  crc.Update(core::ByteView(image).subspan(kHeaderSize));
  const std::uint32_t value = crc.Value();
  for (int i = 0; i < 4; ++i) {
    image[kCrcOffset + static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(value >> (24 - (8 * i)));
  }
}

inline void PutBe64(core::Bytes& image, std::size_t offset, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    image[offset + static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(value >> (56 - (8 * i)));
  }
}

inline core::Bytes Text(std::string_view text) { return core::ToBytes(core::AsBytes(text)); }

// A valid metadata section's bytes.
inline core::Bytes MinimalMetadata() {
  return Text(
      "{\"ImageName\":\"t\",\"ImageVersion\":\"1\",\"BuildMetadata\":{\"BuildTime\":\"0\","
      "\"BuildTool\":\"t\",\"BuildToolVersion\":\"0\",\"OperatingSystem\":\"Linux\","
      "\"KernelVersion\":\"6\"},\"DockerInfo\":null,\"CustomMetadata\":null}");
}

// An opener over owned bytes.
inline SourceOpener Holder(core::Bytes bytes) {
  auto shared = std::make_shared<const core::Bytes>(std::move(bytes));
  return [shared]() -> core::Result<std::unique_ptr<ByteSource>> {
    return std::make_unique<MemorySource>(*shared);
  };
}

inline std::filesystem::path FixtureDir() { return testing::TestdataDir() / "eif"; }
inline core::Bytes Fixture(const std::string& name) {
  return testing::ReadBytes(FixtureDir() / name);
}
inline constexpr const char* kUnsigned = "oracle_x86_64_unsigned_nitrocli-blobs.eif";
inline constexpr const char* kSigned = "oracle_aarch64_signed-p384.eif";
inline constexpr const char* kSignedCert = "oracle_aarch64_signed-p384.cert.pem";
inline constexpr const char* kSignedKey = "oracle_aarch64_signed-p384.TEST-ONLY-key.pem";

}  // namespace enclavectl::eif::testutil

// The EIF reader on arbitrary bytes: never crashes or hangs, and what it reports is
// consistent with the input: the decoded header re-encodes to the input's first 548 bytes,
// the walked sections tile the file, the CRC verdict is stored == computed, a passing table
// check means the tables describe the walk, and inline and two-thread hashing agree.
#include <cstddef>
#include <cstdint>

#include "enclavectl/eif/measure.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  const core::ByteView input(data, size);
  const eif::MemorySource source(input);
  eif::InspectOptions options;
  options.parallel = false;
  options.chunk_bytes = 64;
  auto report = eif::InspectImage(source, options);
  if (!report) {
    FUZZ_CHECK(report.error().code != core::ErrorCode::kInternal);
    return 0;
  }
  FUZZ_CHECK(size >= eif::kHeaderSize);
  const auto header = eif::EncodeHeader(report->header);
  FUZZ_CHECK(core::Equal(header, input.first(eif::kHeaderSize)));
  std::uint64_t offset = eif::kHeaderSize;
  for (const eif::SectionInfo& section : report->sections) {
    FUZZ_CHECK(section.offset == offset);
    offset += eif::kSectionHeaderSize + section.size;
    FUZZ_CHECK(offset <= size);
  }
  FUZZ_CHECK(offset + report->trailing_bytes == size);
  FUZZ_CHECK(report->trailing_bytes < eif::kSectionHeaderSize);
  FUZZ_CHECK(report->sections.size() <= eif::kSectionSlots);
  const eif::Check* crc = report->FindCheck("crc");
  FUZZ_CHECK(crc != nullptr && (crc->status == eif::CheckStatus::kPass) == report->CrcOk());
  const eif::Check* table = report->FindCheck("section_table");
  if (table != nullptr && table->status == eif::CheckStatus::kPass) {
    FUZZ_CHECK(report->header.num_sections == report->sections.size());
    for (std::size_t i = 0; i < report->sections.size(); ++i) {
      FUZZ_CHECK(report->header.section_offsets[i] == report->sections[i].offset);
      FUZZ_CHECK(report->header.section_sizes[i] == report->sections[i].size);
    }
  }
  FUZZ_CHECK(report->measurements.pcr8.has_value() == report->certificate.has_value());
  FUZZ_CHECK(!report->measurements.pcr8 || report->is_signed);
  if (size <= (1 << 16)) {
    options.parallel = true;
    options.chunk_bytes = 1000;
    auto again = eif::InspectImage(source, options);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->measurements == report->measurements);
    FUZZ_CHECK(again->computed_crc == report->computed_crc);
  }
  return 0;
}

#include "enclavectl/eif/measure.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <string>
#include <system_error>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/crc32.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

std::string Hex16(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const auto nibble = static_cast<unsigned>((value >> shift) & 0xf);
    if (nibble != 0 || started || shift == 0) {
      out += kHex[nibble];
      started = true;
    }
  }
  return out;
}

Check Pass(std::string name, std::string reason) {
  return Check{std::move(name), CheckStatus::kPass, std::move(reason), std::nullopt};
}
Check Skipped(std::string name, std::string reason) {
  return Check{std::move(name), CheckStatus::kSkipped, std::move(reason), std::nullopt};
}
Check Failed(std::string name, core::Error error) {
  std::string reason = error.detail;
  return Check{std::move(name), CheckStatus::kFail, std::move(reason), std::move(error)};
}

// eif.md 10.3: the header's count and tables must describe exactly the walked sections.
Check CheckSectionTable(const ImageReport& report) {
  const Header& header = report.header;
  const std::size_t walked = report.sections.size();
  if (header.num_sections != walked) {
    return Failed("section_table",
                  core::Error{ErrorCode::kEifSectionTable,
                              "the header declares " + std::to_string(header.num_sections) +
                                  " sections, the file contains " + std::to_string(walked),
                              -1});
  }
  for (std::size_t i = 0; i < kSectionSlots; ++i) {
    const int index = static_cast<int>(i);
    const std::uint64_t offset = header.section_offsets[i];
    const std::uint64_t size = header.section_sizes[i];
    if (offset > std::numeric_limits<std::uint64_t>::max() - kSectionHeaderSize ||
        size > std::numeric_limits<std::uint64_t>::max() - kSectionHeaderSize - offset) {
      return Failed("section_table", core::Error{ErrorCode::kEifOffsetOverflow,
                                                 "table entry " + std::to_string(i) + ": offset " +
                                                     std::to_string(offset) + " + 12 + size " +
                                                     std::to_string(size) + " overflows 64 bits",
                                                 index});
    }
    if (i >= walked) {
      if (offset != 0 || size != 0) {
        return Failed(
            "section_table",
            core::Error{ErrorCode::kEifSectionTable,
                        "unused table entry " + std::to_string(i) + " is not zero", index});
      }
      continue;
    }
    const SectionInfo& section = report.sections[i];
    if (offset != section.offset || size != section.size) {
      return Failed("section_table",
                    core::Error{ErrorCode::kEifSectionTable,
                                "table entry " + std::to_string(i) + " (offset " +
                                    std::to_string(offset) + ", size " + std::to_string(size) +
                                    ") differs from the section in the file (offset " +
                                    std::to_string(section.offset) + ", size " +
                                    std::to_string(section.size) + ")",
                                index});
    }
  }
  if (report.trailing_bytes != 0) {
    return Failed("section_table",
                  core::Error{ErrorCode::kEifSectionTable,
                              std::to_string(report.trailing_bytes) +
                                  " bytes follow the last section (not covered by the CRC)",
                              -1});
  }
  return Pass("section_table", std::to_string(walked) + " sections match the header tables");
}

// eif.md section 5 format rules, plus at most one metadata and one signature section.
Check CheckLayout(const ImageReport& report) {
  int kernels = 0;
  int metadata = 0;
  int signatures = 0;
  for (std::size_t i = 0; i < report.sections.size(); ++i) {
    const int index = static_cast<int>(i);
    switch (report.sections[i].type) {
      case SectionType::kKernel:
        ++kernels;
        break;
      case SectionType::kRamdisk:
        if (kernels == 0) {
          return Failed("layout", core::Error{ErrorCode::kEifSectionLayout,
                                              "a ramdisk comes before the kernel", index});
        }
        break;
      case SectionType::kMetadata:
        ++metadata;
        break;
      case SectionType::kSignature:
        ++signatures;
        break;
      case SectionType::kCmdline:
      case SectionType::kInvalid:
        break;
    }
  }
  if (kernels != 1) {
    return Failed("layout", core::Error{ErrorCode::kEifSectionLayout,
                                        "the image has " + std::to_string(kernels) +
                                            " kernel sections; exactly one is required",
                                        -1});
  }
  if (report.header.version >= 4 && metadata == 0) {
    return Failed("layout", core::Error{ErrorCode::kEifSectionLayout,
                                        "an EIF v4 image must have a metadata section", -1});
  }
  if (metadata > 1 || signatures > 1) {
    return Failed("layout", core::Error{ErrorCode::kEifSectionLayout,
                                        "more than one metadata or signature section", -1});
  }
  if (report.header.version < 3 && signatures > 0) {
    return Failed("layout",
                  core::Error{ErrorCode::kEifSectionLayout, "EIF v2 has no signature section", -1});
  }
  return Pass("layout", "one kernel, ramdisks after it" +
                            std::string(report.header.version >= 4 ? ", metadata present" : ""));
}

// What the walk keeps of the small, unmeasured sections.
struct SmallSection {
  int index = 0;
  std::optional<core::Bytes> bytes;  // unset when larger than its limit
  std::uint64_t size = 0;
};

}  // namespace

core::Sha384Digest PcrFromDigest(const core::Sha384Digest& data_digest) {
  core::Sha384Hasher extend;
  const core::Sha384Digest zero{};
  extend.Update(zero);
  extend.Update(data_digest);
  return extend.Finish();
}

core::Result<core::Sha384Digest> PcrOfSource(const ByteSource& source) {
  PcrHasher hasher;
  core::Bytes buffer(PcrPipeline::kDefaultChunkBytes);
  ENCLAVECTL_RETURN_IF_ERROR(
      ForEachChunk(source, 0, source.Size(), buffer, [&hasher](core::ByteView chunk) {
        hasher.Update(chunk);
        return core::Ok();
      }));
  return hasher.Finish();
}

// ---- PcrPipeline ----

PcrPipeline::PcrPipeline(bool parallel, std::size_t chunk_bytes) {
  const std::size_t len = std::max<std::size_t>(chunk_bytes, 1);
  for (Slot& slot : slots_) {
    slot.data.resize(len);
    if (!parallel) {
      break;  // inline hashing uses slot 0 only
    }
  }
  if (!parallel) {
    return;
  }
  try {
    workers_.emplace_back([this] { Work(0); });
    workers_.emplace_back([this] { Work(1); });
  } catch (const std::system_error&) {
    // No threads available: finish what started and hash inline from now on.
    StopWorkers();
    closed_ = false;
  }
}

void PcrPipeline::StopWorkers() {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) {
    worker.join();
  }
  workers_.clear();
}

PcrPipeline::~PcrPipeline() {
  if (!workers_.empty()) {
    StopWorkers();
  }
}

std::span<std::uint8_t> PcrPipeline::Acquire() {
  if (workers_.empty()) {
    return slots_[0].data;
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return produced_ - std::min(consumed_[0], consumed_[1]) < kSlots; });
  return slots_[produced_ % kSlots].data;
}

void PcrPipeline::Submit(std::size_t len, Route route) {
  if (workers_.empty()) {
    Slot& slot = slots_[0];
    slot.len = len;
    slot.route = route;
    try {
      Hash(0, slot);
      Hash(1, slot);
    } catch (const std::bad_alloc&) {
      failed_ = true;
    }
    return;
  }
  {
    const std::lock_guard<std::mutex> lock(mu_);
    Slot& slot = slots_[produced_ % kSlots];
    slot.len = len;
    slot.route = route;
    ++produced_;
  }
  cv_.notify_all();
}

void PcrPipeline::Feed(core::ByteView data, Route route) {
  while (!data.empty()) {
    std::span<std::uint8_t> buffer = Acquire();
    const std::size_t n = std::min(buffer.size(), data.size());
    std::copy_n(data.begin(), n, buffer.begin());
    Submit(n, route);
    data = data.subspan(n);
  }
}

void PcrPipeline::Hash(int worker, const Slot& slot) {
  const core::ByteView chunk(slot.data.data(), slot.len);
  if (worker == 0) {
    pcr0_.Update(chunk);
  } else if (slot.route == Route::kBoot) {
    pcr1_.Update(chunk);
  } else {
    pcr2_.Update(chunk);
  }
}

void PcrPipeline::Work(int worker) {
  const auto w = static_cast<std::size_t>(worker);
  while (true) {
    const Slot* slot = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this, w] { return consumed_[w] < produced_ || closed_; });
      if (consumed_[w] == produced_) {
        return;  // closed and drained
      }
      slot = &slots_[consumed_[w] % kSlots];
    }
    bool ok = true;
    try {
      Hash(worker, *slot);
    } catch (const std::bad_alloc&) {
      ok = false;
    }
    {
      const std::lock_guard<std::mutex> lock(mu_);
      failed_ = failed_ || !ok;
      ++consumed_[w];
    }
    cv_.notify_all();
  }
}

core::Result<Measurements> PcrPipeline::Finish() {
  if (!workers_.empty()) {
    StopWorkers();
  }
  if (failed_ || finished_) {
    return Fail(ErrorCode::kInternal, "a SHA-384 hasher failed");
  }
  finished_ = true;
  Measurements out;
  out.pcr0 = pcr0_.Finish();
  out.pcr1 = pcr1_.Finish();
  out.pcr2 = pcr2_.Finish();
  return out;
}

// ---- the walk ----

const Check* ImageReport::FindCheck(std::string_view name) const noexcept {
  return core::FindCheck(checks, name);
}

const core::Error* ImageReport::FirstFailure() const noexcept {
  for (const Check& check : checks) {
    if (check.status == CheckStatus::kFail && check.error) {
      return &*check.error;
    }
  }
  return nullptr;
}

namespace {

// The sections the walk keeps for the checks after it.
struct WalkedSections {
  std::optional<SmallSection> metadata;
  std::vector<SmallSection> signatures;
};

// One walk over the image: the CRC over everything it reads, and the PCR pipeline.
struct ImageWalk {
  ImageWalk(const ByteSource& image_in, const InspectOptions& options_in, ImageReport& report_in)
      : image(image_in),
        options(options_in),
        report(report_in),
        pipeline(options_in.parallel, options_in.chunk_bytes) {}

  const ByteSource& image;
  const InspectOptions& options;
  ImageReport& report;
  Crc32 crc;
  PcrPipeline pipeline;
  bool seen_ramdisk = false;
  WalkedSections kept;
};

// eif.md 10.1: the header.
core::Status ReadImageHeader(ImageWalk& walk) {
  std::array<std::uint8_t, kHeaderSize> header_bytes{};
  if (walk.report.file_size < kHeaderSize) {
    return Fail(ErrorCode::kEifHeaderTruncated, "the file has " +
                                                    std::to_string(walk.report.file_size) +
                                                    " bytes, fewer than the 548-byte EIF header");
  }
  ENCLAVECTL_RETURN_IF_ERROR(walk.image.ReadAt(0, header_bytes));
  auto header = DecodeHeader(header_bytes);
  if (!header) {
    return Fail(header.error());
  }
  walk.report.header = *header;
  walk.crc.Update(core::ByteView(header_bytes).first(kCrcOffset));
  return core::Ok();
}

// The section header at `offset`, checked against the file's size and recorded in the report.
core::Result<SectionHeader> ReadSectionHeader(ImageWalk& walk, std::uint64_t offset) {
  const std::uint64_t size = walk.report.file_size;
  const std::size_t number = walk.report.sections.size();
  const int index = static_cast<int>(number);
  if (number >= core::limits::kMaxEifSections) {
    return Fail(ErrorCode::kEifTooManySections, "the file contains more than 32 sections", index);
  }
  std::array<std::uint8_t, kSectionHeaderSize> section_bytes{};
  ENCLAVECTL_RETURN_IF_ERROR(walk.image.ReadAt(offset, section_bytes));
  auto section = DecodeSectionHeader(section_bytes, index);
  if (!section) {
    return Fail(section.error());
  }
  walk.crc.Update(section_bytes);
  const std::uint64_t data_offset = offset + kSectionHeaderSize;
  if (section->size > std::numeric_limits<std::uint64_t>::max() - data_offset) {
    return Fail(ErrorCode::kEifOffsetOverflow,
                "section " + std::to_string(number) + " at offset " + std::to_string(offset) +
                    " declares size " + std::to_string(section->size) + ", which overflows 64 bits",
                index);
  }
  if (section->size > size - data_offset) {
    return Fail(ErrorCode::kEifSectionTruncated,
                "section " + std::to_string(number) + " (" +
                    std::string(SectionTypeName(section->type)) + ") declares " +
                    std::to_string(section->size) + " bytes but only " +
                    std::to_string(size - data_offset) + " remain in the file",
                index);
  }
  if (section->flags != 0) {
    walk.report.notes.push_back("section " + std::to_string(number) + " has reserved flags " +
                                Hex16(section->flags));
  }
  walk.report.sections.push_back(SectionInfo{section->type, section->flags, offset, section->size});
  return std::move(*section);
}

// eif.md 9.2: kernel, cmdline and the first ramdisk go to PCR1, later ramdisks to PCR2; the
// data streams through the pipeline in chunks.
core::Status HashMeasuredSection(ImageWalk& walk, const SectionHeader& section,
                                 std::uint64_t data_offset) {
  const Route route = section.type == SectionType::kRamdisk && walk.seen_ramdisk
                          ? Route::kApplication
                          : Route::kBoot;
  walk.seen_ramdisk = walk.seen_ramdisk || section.type == SectionType::kRamdisk;
  std::uint64_t done = 0;
  while (done < section.size) {
    std::span<std::uint8_t> buffer = walk.pipeline.Acquire();
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(section.size - done, buffer.size()));
    ENCLAVECTL_RETURN_IF_ERROR(walk.image.ReadAt(data_offset + done, buffer.first(n)));
    walk.crc.Update(buffer.first(n));
    walk.pipeline.Submit(n, route);
    done += n;
    if (walk.options.progress) {
      walk.options.progress(data_offset + done, walk.report.file_size);
    }
  }
  return core::Ok();
}

// A metadata or signature section: kept when within its limit, else only covered by the CRC
// (its check reports it).
core::Status KeepSmallSection(ImageWalk& walk, const SectionHeader& section, int index,
                              std::uint64_t data_offset) {
  const std::size_t limit = section.type == SectionType::kMetadata
                                ? core::limits::kMaxEifMetadataBytes
                                : core::limits::kMaxEifSignatureBytes;
  SmallSection small{index, std::nullopt, section.size};
  if (section.size <= limit) {
    auto bytes = ReadRange(walk.image, data_offset, section.size);
    if (!bytes) {
      return Fail(bytes.error());
    }
    walk.crc.Update(*bytes);
    small.bytes = std::move(*bytes);
  } else {
    core::Bytes buffer(PcrPipeline::kDefaultChunkBytes);
    Crc32& crc = walk.crc;
    ENCLAVECTL_RETURN_IF_ERROR(
        ForEachChunk(walk.image, data_offset, section.size, buffer, [&crc](core::ByteView chunk) {
          crc.Update(chunk);
          return core::Ok();
        }));
  }
  if (section.type == SectionType::kMetadata) {
    walk.kept.metadata = std::move(small);
  } else {
    walk.kept.signatures.push_back(std::move(small));
  }
  if (walk.options.progress) {
    walk.options.progress(data_offset + section.size, walk.report.file_size);
  }
  return core::Ok();
}

// eif.md 10.2: walk sections until fewer than 12 bytes remain; returns where the walk ended.
core::Result<std::uint64_t> WalkSections(ImageWalk& walk) {
  const std::uint64_t size = walk.report.file_size;
  std::uint64_t offset = kHeaderSize;
  while (size - offset >= kSectionHeaderSize) {
    const int index = static_cast<int>(walk.report.sections.size());
    auto section = ReadSectionHeader(walk, offset);
    if (!section) {
      return Fail(section.error());
    }
    const std::uint64_t data_offset = offset + kSectionHeaderSize;
    const bool measured = section->type == SectionType::kKernel ||
                          section->type == SectionType::kCmdline ||
                          section->type == SectionType::kRamdisk;
    ENCLAVECTL_RETURN_IF_ERROR(measured ? HashMeasuredSection(walk, *section, data_offset)
                                        : KeepSmallSection(walk, *section, index, data_offset));
    offset = data_offset + section->size;
  }
  return offset;
}

void AddHeaderNotes(ImageReport& report) {
  if (report.header.unknown_flags() != 0) {
    report.notes.push_back(
        "header flags " + Hex16(report.header.flags) +
        " have bits EifBuilder never sets: " + Hex16(report.header.unknown_flags()));
  }
  if (report.header.unused != 0) {
    report.notes.push_back("the header's unused field is " + Hex16(report.header.unused));
  }
}

Check CheckCrc(const ImageReport& report) {
  if (report.CrcOk()) {
    return Pass("crc",
                "stored CRC-32 " + Hex16(report.header.crc32) + " matches the header and sections");
  }
  return Failed("crc", core::Error{ErrorCode::kEifCrcMismatch,
                                   "stored CRC-32 " + Hex16(report.header.crc32) +
                                       " but computed " + Hex16(report.computed_crc),
                                   -1});
}

// eif.md 8.4: the metadata section decodes; sets report.metadata.
Check CheckMetadata(const std::optional<SmallSection>& metadata, ImageReport& report) {
  if (!metadata) {
    return Skipped("metadata", "no metadata section (EIF v2/v3 layout)");
  }
  if (!metadata->bytes) {
    return Failed("metadata", core::Error{ErrorCode::kEifSectionTooLarge,
                                          "metadata section of " + std::to_string(metadata->size) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(core::limits::kMaxEifMetadataBytes),
                                          metadata->index});
  }
  auto decoded = DecodeMetadata(*metadata->bytes);
  if (!decoded) {
    core::Error error = decoded.error();
    error.index = metadata->index;
    return Failed("metadata", std::move(error));
  }
  report.metadata = std::move(*decoded);
  return Pass("metadata", report.metadata ? "metadata JSON is well formed" : "metadata is null");
}

// One signature section: its first entry, certificate (fed to `pcr8`) and signature over
// PCR0, recorded in the report; the error, if any, with the section's index.
std::optional<core::Error> CheckSignatureSection(const SmallSection& section, PcrHasher& pcr8,
                                                 bool& pcr8_fed, ImageReport& report) {
  report.signature.reset();
  report.certificate.reset();
  if (!section.bytes) {
    return core::Error{ErrorCode::kEifSectionTooLarge,
                       "signature section of " + std::to_string(section.size) +
                           " bytes exceeds the limit of " +
                           std::to_string(core::limits::kMaxEifSignatureBytes),
                       section.index};
  }
  auto entries = DecodeSignatureSection(*section.bytes);
  if (!entries) {
    core::Error error = entries.error();
    error.index = section.index;
    return error;
  }
  report.signature = entries->front();
  auto cert = ParseCertificatePem(report.signature->signing_certificate);
  if (!cert) {
    return core::Error{ErrorCode::kEifSignatureMalformed,
                       "signing certificate: " + cert.error().detail, section.index};
  }
  pcr8.Update(cert->der);
  pcr8_fed = true;
  report.certificate = DescribeCertificate(cert->x509.get());
  auto verified = VerifySignatureEntry(*report.signature, report.measurements.pcr0);
  if (!verified) {
    core::Error error = verified.error();
    error.index = section.index;
    return error;
  }
  return std::nullopt;
}

// eif.md 9.2 quirk: every signature section's certificate extends PCR8; the last one is
// checked. CheckLayout already fails images with more than one.
Check CheckSignatures(const std::vector<SmallSection>& signatures, ImageReport& report) {
  std::optional<core::Error> signature_error;
  PcrHasher pcr8;
  bool pcr8_fed = false;
  for (const SmallSection& section : signatures) {
    signature_error = CheckSignatureSection(section, pcr8, pcr8_fed, report);
  }
  if (pcr8_fed) {
    report.measurements.pcr8 = pcr8.Finish();
  }
  if (signature_error) {
    return Failed("signature", std::move(*signature_error));
  }
  return Pass("signature",
              "the COSE_Sign1 verifies with the embedded certificate and signs "
              "{register_index: 0, register_value: PCR0}");
}

}  // namespace

core::Result<ImageReport> InspectImage(const ByteSource& image, const InspectOptions& options) {
  ImageReport report;
  report.file_size = image.Size();
  ImageWalk walk(image, options, report);
  ENCLAVECTL_RETURN_IF_ERROR(ReadImageHeader(walk));
  auto end = WalkSections(walk);
  if (!end) {
    return Fail(end.error());
  }
  report.trailing_bytes = report.file_size - *end;
  auto measurements = walk.pipeline.Finish();
  if (!measurements) {
    return Fail(measurements.error());
  }
  report.measurements = *measurements;
  report.computed_crc = walk.crc.Value();
  AddHeaderNotes(report);

  // Checks, in report order.
  report.checks.push_back(CheckCrc(report));
  report.checks.push_back(CheckSectionTable(report));
  report.checks.push_back(CheckLayout(report));
  report.checks.push_back(CheckMetadata(walk.kept.metadata, report));
  report.is_signed = !walk.kept.signatures.empty();
  if (!report.is_signed) {
    report.checks.push_back(Skipped("signature", "the image is not signed"));
    return report;
  }
  report.checks.push_back(CheckSignatures(walk.kept.signatures, report));
  return report;
}

// ---- comparison ----

PcrSet MeasurementsAsSet(const Measurements& measurements) {
  PcrSet out;
  out[0] = core::ToBytes(measurements.pcr0);
  out[1] = core::ToBytes(measurements.pcr1);
  out[2] = core::ToBytes(measurements.pcr2);
  if (measurements.pcr8) {
    out[8] = core::ToBytes(*measurements.pcr8);
  }
  return out;
}

core::Result<ComparisonResult> CompareMeasurements(const Measurements& measurements,
                                                   const PcrSet& required,
                                                   const std::vector<PcrSet>& allowed) {
  if (required.empty() && allowed.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no expected PCR values were given");
  }
  const PcrSet actual = MeasurementsAsSet(measurements);
  const std::vector<PcrSet> candidates = allowed.empty() ? std::vector<PcrSet>{PcrSet{}} : allowed;
  std::optional<ComparisonResult> best;
  std::size_t best_mismatches = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    PcrSet expected = candidates[i];
    for (const auto& [index, value] : required) {
      expected[index] = value;
    }
    ComparisonResult result;
    result.set_index = i;
    std::size_t mismatches = 0;
    for (const auto& [index, value] : expected) {
      PcrComparison comparison{index, value, std::nullopt, false};
      if (auto it = actual.find(index); it != actual.end()) {
        comparison.actual = it->second;
        comparison.match = core::Equal(it->second, value);
      }
      mismatches += comparison.match ? 0 : 1;
      result.pcrs.push_back(std::move(comparison));
    }
    result.matched = mismatches == 0;
    if (!best || mismatches < best_mismatches) {
      best = std::move(result);
      best_mismatches = mismatches;
    }
    if (best_mismatches == 0) {
      break;
    }
  }
  return *best;
}

const core::Error* MeasureOutcome::Verdict() const noexcept {
  if (const core::Error* failure = report.FirstFailure()) {
    return failure;
  }
  return mismatch ? &*mismatch : nullptr;
}

std::string_view MeasureOutcome::VerdictName() const noexcept {
  if (const core::Error* failure = report.FirstFailure()) {
    return core::ExitCodeFor(core::InfoFor(failure->code).exit_class) == 2 ? "malformed"
                                                                           : "invalid";
  }
  return mismatch ? "mismatch" : comparison ? "match" : "measured";
}

core::Result<MeasureOutcome> JudgeMeasurements(ImageReport report, const PcrSet& required,
                                               const std::vector<PcrSet>& allowed) {
  MeasureOutcome outcome;
  outcome.against_sets = !allowed.empty();
  if (!required.empty() || !allowed.empty()) {
    auto compared = CompareMeasurements(report.measurements, required, allowed);
    if (!compared) {
      return Fail(compared.error());
    }
    outcome.comparison = std::move(*compared);
  }
  if (outcome.comparison && !outcome.comparison->matched) {
    core::Error mismatch{allowed.empty() ? ErrorCode::kPcrMismatch : ErrorCode::kPcrSetNoMatch,
                         "the image's PCRs differ from the expected values", -1};
    for (const PcrComparison& pcr : outcome.comparison->pcrs) {
      if (!pcr.match) {
        mismatch.index = static_cast<int>(pcr.index);
        break;
      }
    }
    outcome.mismatch = std::move(mismatch);
  }
  outcome.report = std::move(report);
  return outcome;
}

}  // namespace enclavectl::eif

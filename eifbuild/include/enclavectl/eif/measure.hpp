// Measuring an EIF: one streaming pass over the file computes PCR0, PCR1, PCR2 (and PCR8
// from the signing certificate) and the CRC-32, walking the sections the way nitro-cli's
// reader does, then checks the header tables, the section layout, the metadata and the
// signature (eif.md sections 6, 8.4, 9, 10). Never holds more than a few chunks of the
// image in memory; the PCR0 hasher and the PCR1/PCR2 hasher run on two threads.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/check.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/eif/format.hpp"
#include "enclavectl/eif/metadata.hpp"
#include "enclavectl/eif/signature.hpp"
#include "enclavectl/eif/source.hpp"

namespace enclavectl::eif {

// PCR(data) = SHA-384(48 zero bytes || SHA-384(data)) (eif.md 9.1): one extend of a zero
// register with the digest of the data.
core::Sha384Digest PcrFromDigest(const core::Sha384Digest& data_digest);

// Incremental PCR(data).
class PcrHasher {
 public:
  void Update(core::ByteView data) { inner_.Update(data); }
  core::Sha384Digest Finish() { return PcrFromDigest(inner_.Finish()); }

 private:
  core::Sha384Hasher inner_;
};

// PCR of a whole source (`nitro-cli pcr --input`), read in 1 MiB pieces. Fails with the
// source's error.
[[nodiscard]] core::Result<core::Sha384Digest> PcrOfSource(const ByteSource& source);

struct Measurements {
  core::Sha384Digest pcr0{};
  core::Sha384Digest pcr1{};
  core::Sha384Digest pcr2{};
  std::optional<core::Sha384Digest> pcr8;  // only when the image has a signature section
  friend bool operator==(const Measurements&, const Measurements&) = default;
};

// The string nitro-cli prints for HashAlgorithm (eif.md section 11: informational).
inline constexpr const char* kHashAlgorithmName = "Sha384 { ... }";

// Which registers a chunk of measured section data extends besides PCR0 (eif.md 9.2).
enum class Route : std::uint8_t {
  kBoot,         // kernel, cmdline, first ramdisk: PCR0 and PCR1
  kApplication,  // further ramdisks: PCR0 and PCR2
};

// The hashing half of a measurement: chunks are filled by one producer thread and hashed
// by two workers, one for PCR0 and one for PCR1/PCR2, so an image is measured at the speed
// of one SHA-384 pass. With `parallel` false (or when threads cannot be started) the
// producer hashes inline. Not copyable or movable.
class PcrPipeline {
 public:
  static constexpr std::size_t kDefaultChunkBytes = std::size_t{1} << 20;

  explicit PcrPipeline(bool parallel, std::size_t chunk_bytes = kDefaultChunkBytes);
  ~PcrPipeline();
  PcrPipeline(const PcrPipeline&) = delete;
  PcrPipeline& operator=(const PcrPipeline&) = delete;

  // A buffer of chunk_bytes to fill; blocks until the workers have released one. Valid
  // until the matching Submit. Precondition: no other buffer is outstanding.
  std::span<std::uint8_t> Acquire();
  // Hands the first `len` bytes of the acquired buffer to the hashers.
  void Submit(std::size_t len, Route route);
  // Convenience: copies `data` through Acquire/Submit in chunk-sized pieces.
  void Feed(core::ByteView data, Route route);
  // Waits for the workers and returns PCR0, PCR1, PCR2 (PCR8 unset). Call once. Fails with
  // kInternal when a hasher failed (OpenSSL allocation).
  [[nodiscard]] core::Result<Measurements> Finish();

 private:
  struct Slot {
    core::Bytes data;
    std::size_t len = 0;
    Route route = Route::kBoot;
  };
  void Work(int worker);
  // Closes the queue, lets the workers drain it and joins them.
  void StopWorkers();
  void Hash(int worker, const Slot& slot);

  static constexpr std::size_t kSlots = 4;
  std::array<Slot, kSlots> slots_;
  PcrHasher pcr0_;
  PcrHasher pcr1_;
  PcrHasher pcr2_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t produced_ = 0;
  std::array<std::uint64_t, 2> consumed_{};
  bool closed_ = false;
  bool failed_ = false;
  bool finished_ = false;
  std::vector<std::thread> workers_;
};

// One check of an image, reported whether it passed, failed or was skipped (with why); names:
// crc, section_table, layout, metadata, signature.
using core::Check;
using core::CheckStatus;
using core::CheckStatusName;

struct SectionInfo {
  SectionType type = SectionType::kInvalid;
  std::uint16_t flags = 0;
  std::uint64_t offset = 0;  // of the section header
  std::uint64_t size = 0;    // of the data
};

struct ImageReport {
  std::uint64_t file_size = 0;
  Header header;
  std::vector<SectionInfo> sections;  // in file order, as walked
  std::uint64_t trailing_bytes = 0;   // after the last section (not covered by the CRC)
  std::uint32_t computed_crc = 0;
  Measurements measurements;
  bool is_signed = false;                      // a signature section exists
  std::optional<Metadata> metadata;            // decoded, non-null metadata
  std::optional<SignatureEntry> signature;     // element [0] of the (last) signature section
  std::optional<CertificateInfo> certificate;  // of that element, when it parses
  std::vector<Check> checks;                   // crc, section_table, layout, metadata, signature
  std::vector<std::string> notes;              // unknown flag bits and other oddities

  bool CrcOk() const noexcept { return computed_crc == header.crc32; }
  // The check named `name`, or null.
  const Check* FindCheck(std::string_view name) const noexcept;
  // The error of the first failed check, in the order above; null when none failed.
  const core::Error* FirstFailure() const noexcept;
};

struct InspectOptions {
  bool parallel = true;
  std::size_t chunk_bytes = PcrPipeline::kDefaultChunkBytes;
  // Called after each chunk with the bytes walked so far and the file size.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// Walks and measures an image (untrusted). Structural failures that stop the walk are
// errors: kEifHeaderTruncated, kEifBadMagic, kEifUnsupportedVersion, kEifTooManySections,
// kEifSectionType, kEifOffsetOverflow, kEifSectionTruncated (Error::index = section
// number), and the source's kIoRead. Everything found after a complete walk is a check in
// the report (FirstFailure): kEifCrcMismatch, kEifSectionTable, kEifOffsetOverflow (a table
// entry), kEifSectionLayout, kEifSectionTooLarge, kEifMetadata, kEifSignatureMalformed,
// kEifSignatureInvalid, kEifSignaturePcr0Mismatch.
[[nodiscard]] core::Result<ImageReport> InspectImage(const ByteSource& image,
                                                     const InspectOptions& options = {});

// Expected PCR values (index -> value); the same shape as verifier::PcrSet.
using PcrSet = std::map<std::uint64_t, core::Bytes>;

// One PCR compared.
struct PcrComparison {
  std::uint64_t index = 0;
  core::Bytes expected;
  std::optional<core::Bytes> actual;  // unset: the image has no such PCR (PCR8 unsigned)
  bool match = false;
};

struct ComparisonResult {
  bool matched = false;
  // The set that matched, or the closest one (fewest mismatches) when none did.
  std::size_t set_index = 0;
  std::vector<PcrComparison> pcrs;
};

// The image's PCRs as a set: 0, 1, 2 and 8 when signed.
PcrSet MeasurementsAsSet(const Measurements& measurements);

// `eif measure`'s expected PCRs as given on the command line: --expect-pcr0/1/2/8 HEX and
// --expect-pcr N=HEX (repeatable; N one of 0, 1, 2, 8; 96 hex digits each).
struct RequiredPcrFlags {
  std::string pcr0;
  std::string pcr1;
  std::string pcr2;
  std::string pcr8;
  std::vector<std::string> pcr;
};

// The PCR set the flags require. Fails with kInvalidArgument on a malformed value, an index
// an image has no PCR for, or one PCR expected with two different values.
[[nodiscard]] core::Result<PcrSet> ParseRequiredPcrs(const RequiredPcrFlags& flags);

// Compares the measurements with `required` (every listed PCR must match) and, when
// `allowed` is not empty, with the allowed sets (one must match as a whole). Fails with
// kInvalidArgument when both are empty.
[[nodiscard]] core::Result<ComparisonResult> CompareMeasurements(
    const Measurements& measurements, const PcrSet& required, const std::vector<PcrSet>& allowed);

// `eif measure`'s judgement: an inspected image against the PCRs the caller expects.
struct MeasureOutcome {
  ImageReport report;
  std::optional<ComparisonResult> comparison;  // set when any PCR was expected
  bool against_sets = false;                   // allowed sets were given
  // The PCRs differ: kPcrMismatch (required PCRs only) or kPcrSetNoMatch (allowed sets), with
  // the index of the first differing PCR.
  std::optional<core::Error> mismatch;

  // The error that decides: the image's first failed check (a malformed image's PCRs mean
  // nothing, so it outranks a mismatch), else the mismatch; null when accepted.
  const core::Error* Verdict() const noexcept;
  // "malformed" or "invalid" (a failed check, by its exit class), "mismatch", "match" or
  // "measured" (nothing was expected).
  std::string_view VerdictName() const noexcept;
};

// Compares `report`'s measurements with `required` and `allowed` (CompareMeasurements) when
// either is given. Fails only with CompareMeasurements's errors.
[[nodiscard]] core::Result<MeasureOutcome> JudgeMeasurements(ImageReport report,
                                                             const PcrSet& required,
                                                             const std::vector<PcrSet>& allowed);

}  // namespace enclavectl::eif

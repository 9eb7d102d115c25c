#include "enclavectl/eif/build.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/eif/crc32.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

ArchiveEntry Directory(std::string path) {
  ArchiveEntry entry;
  entry.path = std::move(path);
  entry.kind = EntryKind::kDirectory;
  entry.permissions = 0755;
  return entry;
}

ArchiveEntry GeneratedFile(std::string path, std::string content) {
  ArchiveEntry entry;
  entry.path = std::move(path);
  entry.kind = EntryKind::kFile;
  entry.permissions = 0644;
  entry.size = content.size();
  auto bytes = std::make_shared<const core::Bytes>(content.begin(), content.end());
  entry.open = [bytes]() -> core::Result<std::unique_ptr<ByteSource>> {
    return std::make_unique<MemorySource>(*bytes);
  };
  return entry;
}

core::Result<std::string> Lines(const std::vector<std::string>& items, const char* what) {
  std::string out;
  for (const std::string& item : items) {
    if (item.find('\n') != std::string::npos || item.find('\0') != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(what) + " entries cannot contain a newline or NUL");
    }
    out += item;
    out += '\n';
  }
  return out;
}

// Streams the bytes of the image's sections to the sink, the running CRC and, for measured
// sections, the PCR pipeline (reading straight into its buffers).
class SectionWriter {
 public:
  SectionWriter(ByteSink& sink, PcrPipeline& pipeline) : sink_(sink), pipeline_(pipeline) {}

  // Starts a section: writes its header. `route` is set for measured sections.
  core::Status Begin(SectionType type, std::uint64_t size, std::optional<Route> route) {
    offset_ = sink_.Size();
    sections_.push_back(SectionInfo{type, 0, offset_, size});
    route_ = route;
    expected_ = size;
    written_ = 0;
    const auto header = EncodeSectionHeader(SectionHeader{type, 0, size});
    return Emit(header);
  }

  core::Status Write(core::ByteView data) {
    written_ += data.size();
    if (!route_) {
      return Emit(data);
    }
    while (!data.empty()) {
      if (buffer_.empty()) {
        buffer_ = pipeline_.Acquire();
        filled_ = 0;
      }
      const std::size_t n = std::min(buffer_.size() - filled_, data.size());
      std::copy_n(data.begin(), n, buffer_.begin() + static_cast<std::ptrdiff_t>(filled_));
      filled_ += n;
      data = data.subspan(n);
      if (filled_ == buffer_.size()) {
        ENCLAVECTL_RETURN_IF_ERROR(Flush());
      }
    }
    return core::Ok();
  }

  // Copies a whole source (which must hold `len` bytes) into the current section.
  core::Status WriteSource(const ByteSource& source, std::uint64_t len) {
    core::Bytes buffer(static_cast<std::size_t>(
        std::min<std::uint64_t>(std::max<std::uint64_t>(len, 1), PcrPipeline::kDefaultChunkBytes)));
    return ForEachChunk(source, 0, len, buffer,
                        [this](core::ByteView chunk) { return Write(chunk); });
  }

  core::Status End() {
    ENCLAVECTL_RETURN_IF_ERROR(Flush());
    if (written_ != expected_) {
      return Fail(ErrorCode::kInternal, "a section's size differs from its plan");
    }
    return core::Ok();
  }

  std::uint32_t crc() const noexcept { return crc_.Value(); }
  std::uint64_t crc_len() const noexcept { return crc_len_; }
  const std::vector<SectionInfo>& sections() const noexcept { return sections_; }

 private:
  core::Status Emit(core::ByteView data) {
    crc_.Update(data);
    crc_len_ += data.size();
    return sink_.Append(data);
  }
  core::Status Flush() {
    if (buffer_.empty() || filled_ == 0) {
      return core::Ok();
    }
    const core::ByteView chunk(buffer_.data(), filled_);
    ENCLAVECTL_RETURN_IF_ERROR(Emit(chunk));
    pipeline_.Submit(filled_, *route_);
    buffer_ = {};
    filled_ = 0;
    return core::Ok();
  }

  ByteSink& sink_;
  PcrPipeline& pipeline_;
  Crc32 crc_;
  std::uint64_t crc_len_ = 0;
  std::vector<SectionInfo> sections_;
  std::uint64_t offset_ = 0;
  std::optional<Route> route_;
  std::span<std::uint8_t> buffer_;
  std::size_t filled_ = 0;
  std::uint64_t expected_ = 0;
  std::uint64_t written_ = 0;
};

core::Result<std::unique_ptr<ByteSource>> Open(const SourceOpener& opener, const char* what) {
  if (!opener) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is missing");
  }
  return opener();
}

// Appends the signature section for PCR0 and fills PCR8.
core::Status AppendSignature(const Signer& signer, SectionWriter& writer, Measurements& pcrs) {
  auto entry = SignPcr0(signer, pcrs.pcr0);
  if (!entry) {
    return Fail(entry.error());
  }
  const core::Bytes section = EncodeSignatureSection({*entry});
  ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(SectionType::kSignature, section.size(), std::nullopt));
  ENCLAVECTL_RETURN_IF_ERROR(writer.Write(section));
  ENCLAVECTL_RETURN_IF_ERROR(writer.End());
  PcrHasher pcr8;
  pcr8.Update(signer.certificate.der);
  pcrs.pcr8 = pcr8.Finish();
  return core::Ok();
}

// Writes the final header over the placeholder; the CRC covers header[0, 544) followed by
// every section byte written.
core::Result<BuildResult> Finish(std::uint16_t version, Arch arch, std::uint16_t flags_extra,
                                 const SectionWriter& writer, const Measurements& pcrs,
                                 ByteSink& out) {
  Header header;
  header.version = version;
  header.flags =
      static_cast<std::uint16_t>((arch == Arch::kAarch64 ? kFlagAarch64 : 0) | flags_extra);
  const std::vector<SectionInfo>& sections = writer.sections();
  header.num_sections = static_cast<std::uint16_t>(sections.size());
  for (std::size_t i = 0; i < sections.size(); ++i) {
    header.section_offsets[i] = sections[i].offset;
    header.section_sizes[i] = sections[i].size;
  }
  auto bytes = EncodeHeader(header);
  Crc32 header_crc;
  header_crc.Update(core::ByteView(bytes).first(kCrcOffset));
  header.crc32 = Crc32Combine(header_crc.Value(), writer.crc(), writer.crc_len());
  bytes = EncodeHeader(header);
  ENCLAVECTL_RETURN_IF_ERROR(out.WriteAt(0, bytes));
  BuildResult result;
  result.measurements = pcrs;
  result.size = out.Size();
  result.crc32 = header.crc32;
  result.sections = sections;
  return result;
}

}  // namespace

RamdiskInput BootstrapRamdisk(ArchiveEntry init, std::optional<ArchiveEntry> nsm_ko) {
  RamdiskInput ramdisk;
  ramdisk.name = "bootstrap";
  init.path = "init";
  init.kind = EntryKind::kFile;
  init.permissions = 0755;
  ramdisk.entries.push_back(Directory("dev"));
  ramdisk.entries.push_back(std::move(init));
  if (nsm_ko) {
    nsm_ko->path = "nsm.ko";
    nsm_ko->kind = EntryKind::kFile;
    nsm_ko->permissions = 0755;
    ramdisk.entries.push_back(std::move(*nsm_ko));
  }
  return ramdisk;
}

core::Result<RamdiskInput> ApplicationRamdisk(std::vector<ArchiveEntry> rootfs,
                                              const std::vector<std::string>& cmd,
                                              const std::vector<std::string>& env) {
  if (cmd.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "the application needs a command (--cmd)");
  }
  auto cmd_text = Lines(cmd, "cmd");
  auto env_text = cmd_text ? Lines(env, "env") : cmd_text;
  if (!env_text) {
    return Fail(env_text.error());
  }
  RamdiskInput ramdisk;
  ramdisk.name = "application";
  ramdisk.entries.push_back(GeneratedFile("cmd", std::move(*cmd_text)));
  ramdisk.entries.push_back(GeneratedFile("env", std::move(*env_text)));
  ramdisk.entries.push_back(Directory("rootfs"));
  bool present[6] = {};
  static constexpr const char* kMountPoints[6] = {"dev", "run", "sys", "var", "proc", "tmp"};
  for (ArchiveEntry& entry : rootfs) {
    for (std::size_t i = 0; i < 6; ++i) {
      present[i] = present[i] || entry.path == kMountPoints[i];
    }
    entry.path = "rootfs/" + entry.path;
    ramdisk.entries.push_back(std::move(entry));
  }
  for (std::size_t i = 0; i < 6; ++i) {
    if (!present[i]) {
      ramdisk.entries.push_back(Directory(std::string("rootfs/") + kMountPoints[i]));
    }
  }
  return ramdisk;
}

namespace {

// The spec's own limits: a command line without NUL bytes, at most 32 sections.
core::Status CheckSpec(const ImageSpec& spec) {
  if (spec.cmdline.find('\0') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "the kernel command line contains a NUL byte");
  }
  const std::size_t num_sections = 3 + spec.ramdisks.size() + (spec.signer != nullptr ? 1 : 0);
  if (num_sections > core::limits::kMaxEifSections) {
    return Fail(
        ErrorCode::kEifTooManySections,
        "an image holds at most 32 sections; this one would have " + std::to_string(num_sections));
  }
  return core::Ok();
}

// The prepared archive of each ramdisk built from entries (empty for raw ramdisks), so that
// every size is known before writing.
core::Result<std::vector<std::vector<ArchiveEntry>>> PrepareArchives(const ImageSpec& spec) {
  std::vector<std::vector<ArchiveEntry>> archives(spec.ramdisks.size());
  for (std::size_t i = 0; i < spec.ramdisks.size(); ++i) {
    if (!spec.ramdisks[i].raw) {
      auto prepared = PrepareArchive(spec.ramdisks[i].entries);
      if (!prepared) {
        core::Error error = prepared.error();
        error.detail = spec.ramdisks[i].name + ": " + error.detail;
        return Fail(std::move(error));
      }
      archives[i] = std::move(*prepared);
    }
  }
  return archives;
}

// One ramdisk section: a raw source copied, or `archive` written as cpio.
core::Status WriteRamdisk(SectionWriter& writer, const RamdiskInput& ramdisk,
                          const std::vector<ArchiveEntry>& archive, Route route,
                          std::uint32_t mtime) {
  if (ramdisk.raw) {
    auto source = ramdisk.raw();
    if (!source) {
      return Fail(source.error());
    }
    const std::uint64_t len = (*source)->Size();
    ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(SectionType::kRamdisk, len, route));
    ENCLAVECTL_RETURN_IF_ERROR(writer.WriteSource(**source, len));
  } else {
    ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(SectionType::kRamdisk, CpioSize(archive), route));
    ENCLAVECTL_RETURN_IF_ERROR(
        WriteCpio(archive, mtime, [&writer](core::ByteView piece) { return writer.Write(piece); }));
  }
  return writer.End();
}

}  // namespace

core::Result<BuildResult> BuildImage(const ImageSpec& spec, ByteSink& out) {
  ENCLAVECTL_RETURN_IF_ERROR(CheckSpec(spec));
  auto archives = PrepareArchives(spec);
  if (!archives) {
    return Fail(archives.error());
  }
  const core::Bytes metadata = EncodeMetadata(spec.metadata);

  PcrPipeline pipeline(spec.parallel);
  SectionWriter writer(out, pipeline);
  const std::array<std::uint8_t, kHeaderSize> placeholder{};
  ENCLAVECTL_RETURN_IF_ERROR(out.Append(placeholder));

  // eif.md section 5: Kernel, Cmdline, Metadata, Ramdisk x N [, Signature].
  auto kernel = Open(spec.kernel, "the kernel");
  if (!kernel) {
    return Fail(kernel.error());
  }
  const std::uint64_t kernel_len = (*kernel)->Size();
  ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(SectionType::kKernel, kernel_len, Route::kBoot));
  ENCLAVECTL_RETURN_IF_ERROR(writer.WriteSource(**kernel, kernel_len));
  ENCLAVECTL_RETURN_IF_ERROR(writer.End());
  kernel->reset();

  ENCLAVECTL_RETURN_IF_ERROR(
      writer.Begin(SectionType::kCmdline, spec.cmdline.size(), Route::kBoot));
  ENCLAVECTL_RETURN_IF_ERROR(writer.Write(core::AsBytes(spec.cmdline)));
  ENCLAVECTL_RETURN_IF_ERROR(writer.End());

  ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(SectionType::kMetadata, metadata.size(), std::nullopt));
  ENCLAVECTL_RETURN_IF_ERROR(writer.Write(metadata));
  ENCLAVECTL_RETURN_IF_ERROR(writer.End());

  for (std::size_t i = 0; i < spec.ramdisks.size(); ++i) {
    ENCLAVECTL_RETURN_IF_ERROR(WriteRamdisk(writer, spec.ramdisks[i], (*archives)[i],
                                            i == 0 ? Route::kBoot : Route::kApplication,
                                            spec.mtime));
  }
  auto pcrs = pipeline.Finish();
  if (!pcrs) {
    return Fail(pcrs.error());
  }
  if (spec.signer != nullptr) {
    ENCLAVECTL_RETURN_IF_ERROR(AppendSignature(*spec.signer, writer, *pcrs));
  }
  return Finish(kCurrentVersion, spec.arch, 0, writer, *pcrs, out);
}

core::Result<BuildResult> SignImage(const ByteSource& image, const Signer& signer, ByteSink& out) {
  auto report = InspectImage(image);
  if (!report) {
    return Fail(report.error());
  }
  for (const Check& check : report->checks) {
    if (check.status == CheckStatus::kFail && check.name != "signature") {
      return Fail(*check.error);
    }
  }
  if (report->header.version < 3) {
    return Fail(ErrorCode::kEifUnsupportedVersion, "EIF v2 images cannot carry a signature");
  }
  const std::size_t kept = static_cast<std::size_t>(
      std::count_if(report->sections.begin(), report->sections.end(),
                    [](const SectionInfo& s) { return s.type != SectionType::kSignature; }));
  if (kept + 1 > core::limits::kMaxEifSections) {
    return Fail(ErrorCode::kEifTooManySections, "no room for a signature section");
  }
  // Copy every other section, measuring again: the signature must cover the bytes written,
  // even if the file changed since it was inspected.
  PcrPipeline pipeline(true);
  SectionWriter writer(out, pipeline);
  const std::array<std::uint8_t, kHeaderSize> placeholder{};
  ENCLAVECTL_RETURN_IF_ERROR(out.Append(placeholder));
  bool seen_ramdisk = false;
  for (const SectionInfo& section : report->sections) {
    if (section.type == SectionType::kSignature) {
      continue;
    }
    std::optional<Route> route;
    if (section.type == SectionType::kKernel || section.type == SectionType::kCmdline ||
        section.type == SectionType::kRamdisk) {
      route = section.type == SectionType::kRamdisk && seen_ramdisk ? Route::kApplication
                                                                    : Route::kBoot;
      seen_ramdisk = seen_ramdisk || section.type == SectionType::kRamdisk;
    }
    ENCLAVECTL_RETURN_IF_ERROR(writer.Begin(section.type, section.size, route));
    const SliceSource data(image, section.offset + kSectionHeaderSize, section.size);
    ENCLAVECTL_RETURN_IF_ERROR(writer.WriteSource(data, section.size));
    ENCLAVECTL_RETURN_IF_ERROR(writer.End());
  }
  auto pcrs = pipeline.Finish();
  if (!pcrs) {
    return Fail(pcrs.error());
  }
  if (pcrs->pcr0 != report->measurements.pcr0 || pcrs->pcr1 != report->measurements.pcr1 ||
      pcrs->pcr2 != report->measurements.pcr2) {
    return Fail(ErrorCode::kIoRead, "the image changed while it was being signed");
  }
  ENCLAVECTL_RETURN_IF_ERROR(AppendSignature(signer, writer, *pcrs));
  // The version and flags stay; default_mem/default_cpus become EifBuilder's values.
  return Finish(report->header.version, report->header.arch(), report->header.unknown_flags(),
                writer, *pcrs, out);
}

core::Result<BuildTime> ResolveBuildTime(std::optional<std::string_view> flag,
                                         std::optional<std::string_view> source_date_epoch) {
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::uint32_t>::max();
  const auto parse_seconds = [](std::string_view text) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
      return std::nullopt;
    }
    return value;
  };
  const auto from_seconds = [&](std::int64_t seconds, const char* what) -> core::Result<BuildTime> {
    if (seconds < 0 || seconds > kMaxSeconds) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(what) + " must be between 1970 and 2106 (newc's 32-bit mtime)");
    }
    std::string text = core::FormatRfc3339(core::UnixMillis{seconds * 1000});
    // "...Z" -> "...+00:00", the offset form eif_build and nitro-cli write.
    if (!text.empty() && text.back() == 'Z') {
      text.pop_back();
      text += "+00:00";
    }
    return BuildTime{std::move(text), static_cast<std::uint32_t>(seconds)};
  };
  if (flag) {
    if (auto seconds = parse_seconds(*flag)) {
      return from_seconds(*seconds, "--build-time");
    }
    auto parsed = core::ParseTime(*flag);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--build-time must be RFC 3339 or Unix seconds: " + parsed.error().detail);
    }
    const std::int64_t seconds = parsed->Seconds();
    if (seconds < 0 || seconds > kMaxSeconds) {
      return Fail(ErrorCode::kInvalidArgument, "--build-time must be between 1970 and 2106");
    }
    return BuildTime{std::string(*flag), static_cast<std::uint32_t>(seconds)};
  }
  if (source_date_epoch) {
    auto seconds = parse_seconds(*source_date_epoch);
    if (!seconds) {
      return Fail(ErrorCode::kInvalidArgument, "SOURCE_DATE_EPOCH is not a number of seconds");
    }
    return from_seconds(*seconds, "SOURCE_DATE_EPOCH");
  }
  return from_seconds(0, "the default build time");
}

KernelConfigInfo ParseKernelConfig(std::string_view text) {
  std::string_view line;
  for (int i = 0; i < 3; ++i) {
    const std::size_t eol = text.find('\n');
    line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (eol == std::string_view::npos && i < 2) {
      line = {};
      break;
    }
  }
  std::vector<std::string> pieces;
  std::string current;
  for (const char c : line) {
    if (c == ' ' || c == '/' || c == '-') {
      pieces.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  pieces.push_back(std::move(current));
  KernelConfigInfo info;
  info.operating_system = pieces.size() > 1 && !line.empty() ? pieces[1] : "Unknown";
  info.kernel_version = pieces.size() > 3 && !line.empty() ? pieces[3] : "Unknown";
  return info;
}

}  // namespace enclavectl::eif

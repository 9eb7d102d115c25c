// `enclavectl eif`: describe, measure, pcr, build and sign Enclave Image Format files.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/report_json.hpp"
#include "enclavectl/eif/tar.hpp"
#include "enclavectl/verifier/policy.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif

namespace enclavectl::cli {
namespace {

using core::Error;
using core::ErrorCode;

constexpr std::uint64_t kProgressThreshold = 64ULL << 20;  // 64 MiB

int ExitFor(const Error& error) { return core::ExitCodeFor(core::InfoFor(error.code).exit_class); }

Error WithPath(Error error, const std::string& path) {
  error.detail = path + ": " + error.detail;
  return error;
}

// A one-line progress bar on stderr, only when stderr is a terminal (never in tests, pipes
// or CI logs) and the file is large enough to be worth it.
class ProgressBar {
 public:
  ProgressBar(Context& ctx, std::uint64_t total, bool quiet)
      : ctx_(ctx),
        enabled_(!quiet && total > kProgressThreshold && &ctx.err == &std::cerr &&
                 ::isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() {
    if (enabled_ && last_percent_ >= 0) {
      ctx_.err << "\r" << std::string(60, ' ') << "\r" << std::flush;
    }
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  std::function<void(std::uint64_t, std::uint64_t)> Callback() {
    if (!enabled_) {
      return {};
    }
    return [this](std::uint64_t done, std::uint64_t total) { Show(done, total); };
  }

 private:
  void Show(std::uint64_t done, std::uint64_t total) {
    const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
    if (percent == last_percent_) {
      return;
    }
    last_percent_ = percent;
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    ctx_.err << "\rmeasuring [" << std::string(static_cast<std::size_t>(filled), '#')
             << std::string(static_cast<std::size_t>(kWidth - filled), ' ') << "] " << std::setw(3)
             << percent << "% " << (done >> 20) << "/" << (total >> 20) << " MiB" << std::flush;
  }

  Context& ctx_;
  bool enabled_;
  int last_percent_ = -1;
};

core::Result<eif::ImageReport> Inspect(Context& ctx, const std::string& path, bool quiet) {
  auto file = eif::io::FileSource::Open(path);
  if (!file) {
    return core::Fail(file.error());
  }
  ProgressBar progress(ctx, (*file)->Size(), quiet);
  eif::InspectOptions options;
  options.progress = progress.Callback();
  auto report = eif::InspectImage(**file, options);
  if (!report) {
    return core::Fail(WithPath(report.error(), path));
  }
  return report;
}

void PrintChecks(std::ostream& out, const eif::ImageReport& report) {
  out << "checks\n";
  for (const eif::Check& check : report.checks) {
    out << "  " << std::left << std::setw(8) << eif::CheckStatusName(check.status) << " "
        << std::setw(14) << check.name << std::right << check.reason;
    if (check.error) {
      out << " [" << core::ErrorCodeName(check.error->code) << "]";
    }
    out << "\n";
  }
  for (const std::string& note : report.notes) {
    out << "  note     " << note << "\n";
  }
}

void PrintPcrs(std::ostream& out, const eif::Measurements& pcrs) {
  out << "  PCR0  " << core::HexEncode(pcrs.pcr0) << "\n";
  out << "  PCR1  " << core::HexEncode(pcrs.pcr1) << "\n";
  out << "  PCR2  " << core::HexEncode(pcrs.pcr2) << "\n";
  if (pcrs.pcr8) {
    out << "  PCR8  " << core::HexEncode(*pcrs.pcr8) << "\n";
  }
}

// ---- describe ----

struct DescribeOptions {
  std::string image;
  bool json = false;
};

int RunDescribe(Context& ctx, const DescribeOptions& options) {
  auto report = Inspect(ctx, options.image, options.json);
  if (!report) {
    return ReportError(ctx, report.error(), options.json, eif::kDescribeMediaType);
  }
  const Error* failure = report->FirstFailure();
  if (options.json) {
    ctx.out << eif::DescribeJson(*report).dump(2) << "\n";
  } else {
    std::ostream& out = ctx.out;
    out << (failure == nullptr ? "OK"
                               : "FAILED (" + std::string(core::ErrorCodeName(failure->code)) + ")")
        << "  " << options.image << "\n";
    out << "  EIF version   " << report->header.version << ", "
        << eif::ArchName(report->header.arch()) << ", " << report->file_size << " bytes, "
        << report->sections.size() << " sections\n";
    if (report->metadata) {
      const eif::Metadata& m = *report->metadata;
      out << "  image         " << m.image_name << " " << m.image_version << "\n";
      out << "  built         " << m.build.build_time << " by " << m.build.build_tool << " "
          << m.build.build_tool_version << " (" << m.build.operating_system << " "
          << m.build.kernel_version << ")\n";
    }
    if (report->certificate) {
      out << "  signed by     ";
      for (const auto& [key, value] : report->certificate->issuer) {
        out << key << "=" << value << " ";
      }
      out << "(valid " << report->certificate->not_before << " .. "
          << report->certificate->not_after << ")\n";
    }
    out << "measurements (" << eif::kHashAlgorithmName << ")\n";
    PrintPcrs(out, report->measurements);
    out << "sections\n";
    for (const eif::SectionInfo& section : report->sections) {
      out << "  " << std::left << std::setw(10) << eif::SectionTypeName(section.type) << std::right
          << " at " << std::setw(10) << section.offset << "  " << section.size << " bytes\n";
    }
    PrintChecks(out, *report);
    if (failure != nullptr) {
      out << "error: " << core::ErrorCodeName(failure->code) << " ("
          << static_cast<unsigned>(failure->code) << "): " << failure->detail << "\n";
    }
  }
  return failure == nullptr ? 0 : ExitFor(*failure);
}

// ---- measure ----

struct MeasureOptions {
  std::string image;
  std::string expect_pcr0;
  std::string expect_pcr1;
  std::string expect_pcr2;
  std::string expect_pcr8;
  std::string expect_pcrs_path;
  std::string output;
  bool json = false;
};

core::Result<eif::PcrSet> RequiredPcrs(const MeasureOptions& options) {
  eif::PcrSet required;
  const std::pair<std::uint64_t, const std::string*> flags[] = {{0, &options.expect_pcr0},
                                                                {1, &options.expect_pcr1},
                                                                {2, &options.expect_pcr2},
                                                                {8, &options.expect_pcr8}};
  for (const auto& [index, hex] : flags) {
    if (hex->empty()) {
      continue;
    }
    auto value = core::HexDecode(core::TrimWhitespace(*hex));
    if (!value || value->size() != 48) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-pcr" + std::to_string(index) + " must be 96 hex digits");
    }
    required[index] = std::move(*value);
  }
  return required;
}

int RunMeasure(Context& ctx, const MeasureOptions& options) {
  const char* media = eif::kMeasureMediaType;
  auto required = RequiredPcrs(options);
  if (!required) {
    return ReportError(ctx, required.error(), options.json, media);
  }
  std::vector<eif::PcrSet> allowed;
  if (!options.expect_pcrs_path.empty()) {
    auto text = core::io::ReadFile(options.expect_pcrs_path, core::limits::kMaxPolicyFileBytes);
    if (!text) {
      return ReportError(ctx, text.error(), options.json, media);
    }
    auto sets = verifier::ParsePcrSets(core::AsChars(*text));
    if (!sets) {
      return ReportError(ctx, WithPath(sets.error(), options.expect_pcrs_path), options.json,
                         media);
    }
    allowed = std::move(*sets);
  }
  auto report = Inspect(ctx, options.image, options.json);
  if (!report) {
    return ReportError(ctx, report.error(), options.json, media);
  }
  const Error* failure = report->FirstFailure();
  std::optional<eif::ComparisonResult> comparison;
  if (!required->empty() || !allowed.empty()) {
    auto compared = eif::CompareMeasurements(report->measurements, *required, allowed);
    if (!compared) {
      return ReportError(ctx, compared.error(), options.json, media);
    }
    comparison = std::move(*compared);
  }
  std::optional<Error> mismatch;
  if (comparison && !comparison->matched) {
    mismatch = Error{allowed.empty() ? ErrorCode::kPcrMismatch : ErrorCode::kPcrSetNoMatch,
                     "the image's PCRs differ from the expected values", -1};
    for (const eif::PcrComparison& pcr : comparison->pcrs) {
      if (!pcr.match) {
        mismatch->index = static_cast<int>(pcr.index);
        break;
      }
    }
  }
  // A malformed image outranks a mismatch: its PCRs mean nothing.
  const Error* verdict = failure != nullptr ? failure : (mismatch ? &*mismatch : nullptr);
  if (!options.output.empty() && failure == nullptr) {
    const nlohmann::ordered_json pcr_json = {
        {"Measurements", eif::MeasurementsJson(report->measurements)}};
    const std::string text = pcr_json.dump(2) + "\n";
    auto written = core::io::WriteFileAtomic(options.output, core::AsBytes(text));
    if (!written) {
      return ReportError(ctx, written.error(), options.json, media);
    }
  }
  if (options.json) {
    nlohmann::ordered_json out;
    out["mediaType"] = media;
    out["image"] = options.image;
    out["verdict"] = failure != nullptr ? (ExitFor(*failure) == 2 ? "malformed" : "invalid")
                     : mismatch         ? "mismatch"
                     : comparison       ? "match"
                                        : "measured";
    out["Measurements"] = eif::MeasurementsJson(report->measurements);
    nlohmann::ordered_json expected = nlohmann::ordered_json::array();
    if (comparison) {
      for (const eif::PcrComparison& pcr : comparison->pcrs) {
        expected.push_back(
            {{"pcr", pcr.index},
             {"expected", core::HexEncode(pcr.expected)},
             {"actual", pcr.actual ? nlohmann::ordered_json(core::HexEncode(*pcr.actual))
                                   : nlohmann::ordered_json(nullptr)},
             {"match", pcr.match}});
      }
      out["allowedSet"] = allowed.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(comparison->set_index);
    }
    out["expected"] = std::move(expected);
    out["checks"] = eif::ChecksJson(*report);
    if (verdict != nullptr) {
      out["error"] = {{"code", core::ErrorCodeName(verdict->code)},
                      {"value", static_cast<unsigned>(verdict->code)},
                      {"message", verdict->detail},
                      {"index", verdict->index >= 0 ? nlohmann::ordered_json(verdict->index)
                                                    : nlohmann::ordered_json(nullptr)}};
    } else {
      out["error"] = nullptr;
    }
    ctx.out << out.dump(2) << "\n";
  } else {
    std::ostream& out = ctx.out;
    const char* headline = failure != nullptr ? (ExitFor(*failure) == 2 ? "MALFORMED" : "INVALID")
                           : mismatch         ? "MISMATCH"
                           : comparison       ? "MATCH"
                                              : "MEASURED";
    out << headline << "  " << options.image << "\n";
    PrintPcrs(out, report->measurements);
    if (comparison) {
      if (!allowed.empty()) {
        out << (comparison->matched ? "matched" : "closest") << " allowed set "
            << comparison->set_index << " of " << options.expect_pcrs_path << "\n";
      }
      for (const eif::PcrComparison& pcr : comparison->pcrs) {
        out << "  PCR" << pcr.index << (pcr.match ? "  match" : "  MISMATCH") << "\n";
        if (!pcr.match) {
          out << "    expected " << core::HexEncode(pcr.expected) << "\n";
          out << "    actual   " << (pcr.actual ? core::HexEncode(*pcr.actual) : "(absent)")
              << "\n";
        }
      }
    }
    if (failure != nullptr) {
      PrintChecks(out, *report);
    }
    if (verdict != nullptr) {
      ctx.err << "enclavectl: " << core::ErrorCodeName(verdict->code) << ": " << verdict->detail
              << "\n";
    }
  }
  return verdict == nullptr ? 0 : ExitFor(*verdict);
}

// ---- pcr ----

struct PcrOptions {
  std::string input;
  std::string certificate;
};

int RunPcr(Context& ctx, const PcrOptions& options) {
  const char* media = "application/vnd.enclavectl.eif-pcr+json;version=1";
  nlohmann::ordered_json out;
  if (!options.input.empty()) {
    auto file = eif::io::FileSource::Open(options.input);
    if (!file) {
      return ReportError(ctx, file.error(), false, media);
    }
    auto pcr = eif::PcrOfSource(**file);
    if (!pcr) {
      return ReportError(ctx, pcr.error(), false, media);
    }
    out["PCR"] = core::HexEncode(*pcr);
  } else {
    auto pem = core::io::ReadFile(options.certificate, core::limits::kMaxPemFileBytes);
    if (!pem) {
      return ReportError(ctx, pem.error(), false, media);
    }
    auto cert = eif::ParseCertificatePem(*pem);
    if (!cert) {
      return ReportError(ctx, WithPath(cert.error(), options.certificate), false, media);
    }
    eif::PcrHasher hasher;
    hasher.Update(cert->der);
    out["PCR8"] = core::HexEncode(hasher.Finish());
  }
  ctx.out << out.dump(2) << "\n";
  return 0;
}

// ---- build ----

struct BuildOptions {
  std::string kernel;
  std::string cmdline;
  std::string cmdline_file;
  std::string arch = "x86_64";
  std::string init;
  std::string nsm_ko;
  std::vector<std::string> ramdisks;
  std::string rootfs;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string name;
  std::string version = "1.0";
  std::string build_time;
  std::string build_tool = "enclavectl";
  std::string build_tool_version = ENCLAVECTL_VERSION;
  std::string os;
  std::string kernel_version;
  std::string kernel_config;
  std::string metadata;
  std::string docker_info;
  std::string certificate;
  std::string private_key;
  std::string output;
  bool json = false;
};

core::Result<nlohmann::json> ReadJsonFile(const std::string& path, std::size_t max_bytes) {
  auto text = core::io::ReadFile(path, max_bytes);
  if (!text) {
    return core::Fail(text.error());
  }
  auto json = eif::ParseBoundedJson(core::AsChars(*text), max_bytes, ErrorCode::kEifMetadata);
  if (!json) {
    return core::Fail(WithPath(json.error(), path));
  }
  return json;
}

core::Result<eif::Signer> LoadSigner(const std::string& cert_path, const std::string& key_path) {
  auto cert = core::io::ReadFile(cert_path, core::limits::kMaxPemFileBytes);
  if (!cert) {
    return core::Fail(cert.error());
  }
  auto key = eif::io::ReadSecretFile(key_path, core::limits::kMaxPemFileBytes);
  if (!key) {
    return core::Fail(key.error());
  }
  auto signer = eif::MakeSigner(*cert, *key);
  if (!signer) {
    // Never the key file's content; its path only.
    return core::Fail(WithPath(
        signer.error(), signer.error().code == ErrorCode::kCertParse ? cert_path : key_path));
  }
  return signer;
}

struct BuildInputs {
  eif::ImageSpec spec;
  std::unique_ptr<eif::io::FileSource> rootfs_tar;  // kept open: entries read from it
  std::optional<eif::Signer> signer;
};

core::Status AssembleSpec(const BuildOptions& o, BuildInputs& in) {
  eif::ImageSpec& spec = in.spec;
  if (o.arch == "x86_64") {
    spec.arch = eif::Arch::kX86_64;
  } else if (o.arch == "aarch64") {
    spec.arch = eif::Arch::kAarch64;
  } else {
    return core::Fail(ErrorCode::kInvalidArgument, "--arch must be x86_64 or aarch64");
  }
  spec.kernel = eif::io::FileOpener(o.kernel);
  if (!o.cmdline_file.empty()) {
    auto text = core::io::ReadFile(o.cmdline_file, 64 * 1024);
    if (!text) {
      return core::Fail(text.error());
    }
    // nitro-cli trims the blob file (it ends in a newline the section must not hold).
    spec.cmdline = std::string(core::TrimWhitespace(core::AsChars(*text)));
  } else {
    spec.cmdline = o.cmdline;
  }
  if (!o.init.empty()) {
    auto init = eif::io::FileEntry(o.init);
    if (!init) {
      return core::Fail(init.error());
    }
    std::optional<eif::ArchiveEntry> nsm;
    if (!o.nsm_ko.empty()) {
      auto entry = eif::io::FileEntry(o.nsm_ko);
      if (!entry) {
        return core::Fail(entry.error());
      }
      nsm = std::move(*entry);
    }
    spec.ramdisks.push_back(eif::BootstrapRamdisk(std::move(*init), std::move(nsm)));
  } else if (!o.nsm_ko.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--nsm-ko needs --init");
  }
  for (const std::string& path : o.ramdisks) {
    spec.ramdisks.push_back(eif::RamdiskInput{path, eif::io::FileOpener(path), {}});
  }
  if (!o.rootfs.empty()) {
    std::vector<eif::ArchiveEntry> tree;
    if (eif::io::IsDirectory(o.rootfs)) {
      auto listed = eif::io::ReadDirectoryTree(o.rootfs);
      if (!listed) {
        return core::Fail(listed.error());
      }
      tree = std::move(*listed);
    } else {
      auto tar = eif::io::FileSource::Open(o.rootfs);
      if (!tar) {
        return core::Fail(tar.error());
      }
      in.rootfs_tar = std::move(*tar);
      auto listed = eif::ReadTar(*in.rootfs_tar);
      if (!listed) {
        return core::Fail(WithPath(listed.error(), o.rootfs));
      }
      tree = std::move(*listed);
    }
    auto app = eif::ApplicationRamdisk(std::move(tree), o.cmd, o.env);
    if (!app) {
      return core::Fail(app.error());
    }
    spec.ramdisks.push_back(std::move(*app));
  } else if (!o.cmd.empty() || !o.env.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--cmd and --env need --rootfs");
  }
  if (spec.ramdisks.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "an image needs a ramdisk: --init, --ramdisk or --rootfs");
  }

  // Metadata (eif.md section 7): fixed fields, never the clock.
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");  // NOLINT(concurrency-mt-unsafe)
  auto time = eif::ResolveBuildTime(
      o.build_time.empty() ? std::nullopt : std::optional<std::string_view>(o.build_time),
      epoch != nullptr && *epoch != '\0' ? std::optional<std::string_view>(epoch) : std::nullopt);
  if (!time) {
    return core::Fail(time.error());
  }
  spec.mtime = time->seconds;
  eif::Metadata& m = spec.metadata;
  m.image_name = o.name.empty() ? std::filesystem::path(o.kernel).filename().string() : o.name;
  m.image_version = o.version;
  m.build.build_time = time->text;
  m.build.build_tool = o.build_tool;
  m.build.build_tool_version = o.build_tool_version;
  eif::KernelConfigInfo kernel_info{"Linux", "unknown"};
  if (!o.kernel_config.empty()) {
    auto text = core::io::ReadFile(o.kernel_config, 4 << 20);
    if (!text) {
      return core::Fail(text.error());
    }
    kernel_info = eif::ParseKernelConfig(core::AsChars(*text));
  }
  m.build.operating_system = o.os.empty() ? kernel_info.operating_system : o.os;
  m.build.kernel_version = o.kernel_version.empty() ? kernel_info.kernel_version : o.kernel_version;
  if (!o.metadata.empty()) {
    auto custom = ReadJsonFile(o.metadata, core::limits::kMaxEifCustomMetadataBytes);
    if (!custom) {
      return core::Fail(custom.error());
    }
    m.custom_metadata = std::move(*custom);
  }
  if (!o.docker_info.empty()) {
    auto docker = ReadJsonFile(o.docker_info, core::limits::kMaxEifMetadataBytes / 2);
    if (!docker) {
      return core::Fail(docker.error());
    }
    m.docker_info = std::move(*docker);
  }
  if (!o.certificate.empty() || !o.private_key.empty()) {
    if (o.certificate.empty() || o.private_key.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "signing needs both --signing-certificate and --private-key");
    }
    auto signer = LoadSigner(o.certificate, o.private_key);
    if (!signer) {
      return core::Fail(signer.error());
    }
    in.signer = std::move(*signer);
    spec.signer = &*in.signer;
  }
  return core::Ok();
}

void PrintBuilt(Context& ctx, const char* media, const std::string& path,
                const eif::BuildResult& result, bool json) {
  if (json) {
    nlohmann::ordered_json out;
    out["Measurements"] = eif::MeasurementsJson(result.measurements);
    out["mediaType"] = media;
    out["image"] = path;
    out["size"] = result.size;
    out["crc32"] = result.crc32;
    ctx.out << out.dump(2) << "\n";
    return;
  }
  ctx.out << "wrote " << path << " (" << result.size << " bytes, " << result.sections.size()
          << " sections)\n";
  ctx.out << "measurements (" << eif::kHashAlgorithmName << ")\n";
  PrintPcrs(ctx.out, result.measurements);
}

int RunBuild(Context& ctx, const BuildOptions& options) {
  const char* media = eif::kBuildMediaType;
  BuildInputs inputs;
  auto assembled = AssembleSpec(options, inputs);
  if (!assembled) {
    return ReportError(ctx, assembled.error(), options.json, media);
  }
  auto sink = eif::io::FileSink::Create(options.output);
  if (!sink) {
    return ReportError(ctx, sink.error(), options.json, media);
  }
  auto built = eif::BuildImage(inputs.spec, **sink);
  if (!built) {
    return ReportError(ctx, built.error(), options.json, media);
  }
  auto committed = (*sink)->Commit();
  if (!committed) {
    return ReportError(ctx, committed.error(), options.json, media);
  }
  PrintBuilt(ctx, media, options.output, *built, options.json);
  return 0;
}

// ---- sign ----

struct SignOptions {
  std::string image;
  std::string certificate;
  std::string key;
  std::string output;
  bool json = false;
};

int RunSign(Context& ctx, const SignOptions& options) {
  const char* media = eif::kSignMediaType;
  auto signer = LoadSigner(options.certificate, options.key);
  if (!signer) {
    return ReportError(ctx, signer.error(), options.json, media);
  }
  auto image = eif::io::FileSource::Open(options.image);
  if (!image) {
    return ReportError(ctx, image.error(), options.json, media);
  }
  const std::string output = options.output.empty() ? options.image : options.output;
  auto sink = eif::io::FileSink::Create(output);
  if (!sink) {
    return ReportError(ctx, sink.error(), options.json, media);
  }
  auto signed_image = eif::SignImage(**image, *signer, **sink);
  if (!signed_image) {
    return ReportError(ctx, WithPath(signed_image.error(), options.image), options.json, media);
  }
  auto committed = (*sink)->Commit();
  if (!committed) {
    return ReportError(ctx, committed.error(), options.json, media);
  }
  PrintBuilt(ctx, media, output, *signed_image, options.json);
  return 0;
}

constexpr const char* kExitCodes =
    "Exit codes: 0 success (all checks pass, PCRs match), 1 a check failed (PCR mismatch,\n"
    "invalid signature), 2 malformed image or input, 64 usage error, 74 I/O error,\n"
    "70 internal error. Error codes: enclavectl errors.";

}  // namespace

void RegisterEif(CLI::App& app, Context& ctx) {
  CLI::App* eif = app.add_subcommand(
      "eif",
      "Enclave Image Format files: describe and measure them (PCR0/1/2/8, CRC, signature), "
      "build them reproducibly, sign them.");
  eif->require_subcommand(1);
  eif->footer(
      "Examples:\n"
      "  enclavectl eif describe image.eif --json\n"
      "  enclavectl eif measure image.eif --expect-pcr0 7a3b05...\n"
      "  enclavectl eif build --kernel bzImage --cmdline-file cmdline --init init \\\n"
      "      --nsm-ko nsm.ko --rootfs rootfs.tar --cmd /bin/app --output image.eif\n"
      "  enclavectl eif sign image.eif --cert signer.pem --key signer.key\n\n" +
      std::string(kExitCodes));

  // describe
  auto describe = std::make_shared<DescribeOptions>();
  CLI::App* cmd = eif->add_subcommand(
      "describe",
      "Read an image and print what nitro-cli describe-eif prints (EifVersion, Measurements, "
      "IsSigned, SigningCertificate, CheckCRC, SignatureCheck, ImageName, ImageVersion, "
      "Metadata), recomputed from the bytes, plus every check enclavectl makes.");
  cmd->add_option("image", describe->image, "The EIF file")->required();
  cmd->add_flag("--json", describe->json,
                "Print describe-eif's JSON (same keys and order), followed by enclavectl's "
                "mediaType, verdict, error, sections, checks and notes");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif describe image.eif\n"
      "  enclavectl eif describe image.eif --json | jq -r .Measurements.PCR0\n\n"
      "The image is untrusted: measurements are recomputed, the CRC and the header tables\n"
      "are checked, and the signature is verified against the embedded certificate (whose\n"
      "chain and validity are NOT checked). Metadata is unmeasured: anyone can change it.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, describe] { ctx.exit_code = RunDescribe(ctx, *describe); });

  // measure
  auto measure = std::make_shared<MeasureOptions>();
  cmd = eif->add_subcommand(
      "measure",
      "Recompute an image's PCR0, PCR1, PCR2 (and PCR8 when signed) in one streaming pass and "
      "compare them with the values you expect: the CI gate for reproducible images.");
  cmd->add_option("image", measure->image, "The EIF file")->required();
  cmd->add_option("--expect-pcr0", measure->expect_pcr0, "Expected PCR0 (96 hex digits)");
  cmd->add_option("--expect-pcr1", measure->expect_pcr1, "Expected PCR1 (96 hex digits)");
  cmd->add_option("--expect-pcr2", measure->expect_pcr2, "Expected PCR2 (96 hex digits)");
  cmd->add_option("--expect-pcr8", measure->expect_pcr8, "Expected PCR8 (96 hex digits)");
  cmd->add_option("--expect-pcrs", measure->expect_pcrs_path,
                  "Allowed measurement sets: a pcr.json ({\"Measurements\": ...} or "
                  "{\"PCR0\": ...}) or a JSON array of them; one must match");
  cmd->add_option("--output", measure->output,
                  "Write the measurements as pcr.json ({\"Measurements\": {...}}); not written "
                  "for a malformed image");
  cmd->add_flag("--json", measure->json,
                "Print one JSON object (application/vnd.enclavectl.eif-measure+json;version=1)");
  cmd->footer(
      "Examples:\n"
      "  # CI: rebuild, then fail unless the image is the published one\n"
      "  enclavectl eif measure image.eif --expect-pcr0 \"$PUBLISHED_PCR0\"\n"
      "  enclavectl eif measure image.eif --expect-pcrs release-pcrs.json\n"
      "  enclavectl eif measure image.eif --output pcr.json\n\n"
      "Exit codes: 0 all expected PCRs match (or none were given), 1 a PCR differs (expected\n"
      "and actual are printed), 2 the image is malformed (bad header, truncated, CRC\n"
      "mismatch, ...), 64 usage error, 74 I/O error.");
  cmd->callback([&ctx, measure] { ctx.exit_code = RunMeasure(ctx, *measure); });

  // pcr
  auto pcr = std::make_shared<PcrOptions>();
  cmd = eif->add_subcommand(
      "pcr",
      "Like nitro-cli pcr: the PCR of a file's bytes, SHA-384(0^48 || SHA-384(file)), or the "
      "PCR8 of a signing certificate.");
  auto* input = cmd->add_option("--input", pcr->input, "A file (read in a streaming pass)");
  auto* cert = cmd->add_option("--signing-certificate", pcr->certificate,
                               "A PEM certificate: prints PCR8 = PCR(DER)");
  input->excludes(cert);
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif pcr --input ramdisk.cpio\n"
      "  enclavectl eif pcr --signing-certificate signer.pem\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, pcr] {
    if (pcr->input.empty() == pcr->certificate.empty()) {
      ctx.exit_code = ReportError(
          ctx, Error{ErrorCode::kInvalidArgument, "give --input or --signing-certificate", -1},
          false, "application/vnd.enclavectl.eif-pcr+json;version=1");
      return;
    }
    ctx.exit_code = RunPcr(ctx, *pcr);
  });

  // build
  auto build = std::make_shared<BuildOptions>();
  cmd = eif->add_subcommand(
      "build",
      "Build an EIF reproducibly: kernel, command line, ramdisks (given, or a bootstrap ramdisk "
      "from init/nsm.ko and an application ramdisk from a root filesystem directory or tar, "
      "as deterministic newc archives) and fixed metadata. Same inputs, same bytes.");
  cmd->add_option("--kernel", build->kernel, "Kernel image (bzImage or arm64 Image)")->required();
  auto* cmdline = cmd->add_option("--cmdline", build->cmdline, "Kernel command line (verbatim)");
  auto* cmdline_file = cmd->add_option(
      "--cmdline-file", build->cmdline_file,
      "Kernel command line from a file (leading/trailing whitespace trimmed, like nitro-cli)");
  cmdline->excludes(cmdline_file);
  cmd->add_option("--arch", build->arch, "x86_64 (default) or aarch64: the header flag")
      ->default_str("x86_64");
  cmd->add_option("--init", build->init,
                  "Bootstrap ramdisk (first ramdisk, PCR1): this init as /init, plus /dev");
  cmd->add_option("--nsm-ko", build->nsm_ko,
                  "Add this NSM driver as /nsm.ko to the bootstrap ramdisk");
  cmd->add_option("--ramdisk", build->ramdisks,
                  "An existing ramdisk file, used verbatim (repeatable, in order, after the "
                  "bootstrap ramdisk)");
  cmd->add_option("--rootfs", build->rootfs,
                  "Application root filesystem, a directory or a tar file: becomes the last "
                  "ramdisk with /cmd, /env and /rootfs/...");
  cmd->add_option("--cmd", build->cmd,
                  "An argv element of the application (repeatable; the first is the program "
                  "inside the rootfs)");
  cmd->add_option("--env", build->env, "An environment entry KEY=VALUE (repeatable)");
  cmd->add_option("--name", build->name, "ImageName (default: the kernel's file name)");
  cmd->add_option("--version", build->version, "ImageVersion (default 1.0)");
  cmd->add_option("--build-time", build->build_time,
                  "BuildTime and archive mtime: RFC 3339 (kept verbatim) or Unix seconds; "
                  "default $SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00+00:00. Never the clock.");
  cmd->add_option("--build-tool", build->build_tool, "BuildTool (default enclavectl)");
  cmd->add_option("--build-tool-version", build->build_tool_version,
                  "BuildToolVersion (default this enclavectl's version)");
  cmd->add_option("--os", build->os, "OperatingSystem (default from --kernel-config, else Linux)");
  cmd->add_option("--kernel-version", build->kernel_version,
                  "KernelVersion (default from --kernel-config, else unknown)");
  cmd->add_option("--kernel-config", build->kernel_config,
                  "Kernel config (bzImage.config): OperatingSystem and KernelVersion from its "
                  "third line, as nitro-cli does");
  cmd->add_option("--metadata", build->metadata,
                  "CustomMetadata: a JSON file of at most 4096 bytes");
  cmd->add_option("--docker-info", build->docker_info, "DockerInfo: a JSON file (default null)");
  cmd->add_option("--signing-certificate", build->certificate,
                  "Sign with this PEM certificate (P-256 or P-384 key; adds PCR8)");
  cmd->add_option("--private-key", build->private_key, "The certificate's PEM private key");
  cmd->add_option("--output", build->output, "Where to write the image")->required();
  cmd->add_flag("--json", build->json,
                "Print {\"Measurements\": ...} (nitro-cli build-enclave's shape) with mediaType, "
                "image, size and crc32");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif build --kernel blobs/bzImage --cmdline-file blobs/cmdline \\\n"
      "      --init blobs/init --nsm-ko blobs/nsm.ko --rootfs app-rootfs.tar \\\n"
      "      --cmd /usr/bin/app --cmd --serve --env RUST_LOG=info \\\n"
      "      --name app --version 1.4.2 --build-time 2024-06-01T00:00:00Z --output app.eif\n"
      "  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) enclavectl eif build ... --json\n\n"
      "Reproducible: archive entries are sorted, owned by 0:0, dated --build-time, numbered in\n"
      "order, with permissions 0755/0644 (executables/others), directories 0755, symlinks\n"
      "kept; working directory, umask, file times and the clock never reach the image.\n"
      "Signed images differ in their signature bytes (ECDSA), never in PCR0/1/2/8.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, build] { ctx.exit_code = RunBuild(ctx, *build); });

  // sign
  auto sign = std::make_shared<SignOptions>();
  cmd = eif->add_subcommand(
      "sign",
      "Sign an image (replacing any signature) like nitro-cli sign-eif: a COSE_Sign1 "
      "ES256/ES384 over {register_index: 0, register_value: PCR0}; adds PCR8.");
  cmd->add_option("image", sign->image, "The EIF file")->required();
  cmd->add_option("--cert", sign->certificate, "PEM signing certificate")->required();
  cmd->add_option("--key", sign->key, "PEM private key (EC P-256 or P-384)")->required();
  cmd->add_option("--output", sign->output, "Write the signed image here (default: in place)");
  cmd->add_flag("--json", sign->json, "Print the measurements as JSON");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif sign image.eif --cert signer.pem --key signer.key\n"
      "  enclavectl eif sign image.eif --cert signer.pem --key signer.key --output signed.eif\n\n"
      "The image is checked first; a malformed image (bad CRC, tables, layout) is never "
      "signed.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, sign] { ctx.exit_code = RunSign(ctx, *sign); });
}

}  // namespace enclavectl::cli

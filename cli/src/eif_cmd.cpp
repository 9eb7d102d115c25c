// `enclavectl eif`: describe, measure, pcr, build and sign Enclave Image Format files.
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "context.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/progress_line.hpp"
#include "enclavectl/eif/image_files.hpp"
#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/report_json.hpp"
#include "enclavectl/eif/report_text.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "out_flag.hpp"

#ifndef ENCLAVECTL_VERSION
#define ENCLAVECTL_VERSION "0.0.0"
#endif

namespace enclavectl::cli {
namespace {

using core::Error;
using core::ErrorCode;

constexpr const char* kPcrMediaType = "application/vnd.enclavectl.eif-pcr+json;version=1";

int ExitFor(const Error& error) { return core::ExitCodeFor(core::InfoFor(error.code).exit_class); }

Error WithPath(Error error, const std::string& path) {
  error.detail = path + ": " + error.detail;
  return error;
}

core::Result<eif::ImageReport> Inspect(Context& ctx, const std::string& path, bool quiet) {
  core::io::ProgressLine progress(ctx.err, ProgressOn(ctx, quiet),
                                  {"measuring", core::ProgressUnit::kBytes, "", {}, {}});
  eif::InspectOptions options;
  options.progress = [&progress](std::uint64_t done, std::uint64_t total) {
    progress.Update(done, total);
  };
  return eif::io::InspectImageFile(path, options);
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
    eif::RenderDescribeText(ctx.out, *report, options.image);
  }
  if (failure != nullptr && !options.json) {
    eif::RenderFailure(ctx.err, *failure);
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
  std::vector<std::string> expect_pcr;  // N=HEX, repeatable
  std::string expect_pcrs_path;
  std::string output;
  bool json = false;
};

// The text of `eif measure` (eif/report_text.hpp); the verdict's error on stderr.
void PrintMeasured(Context& ctx, const MeasureOptions& options,
                   const eif::MeasureOutcome& outcome) {
  eif::RenderMeasuredText(ctx.out, outcome, options.image, options.expect_pcrs_path);
  if (const Error* verdict = outcome.Verdict()) {
    eif::RenderFailure(ctx.err, *verdict);
  }
}

int RunMeasure(Context& ctx, const MeasureOptions& options) {
  const char* media = eif::kMeasureMediaType;
  if (auto ok = CheckOutWithJson(options.output, options.json); !ok) {
    return ReportError(ctx, ok.error(), options.json, media);
  }
  auto required =
      eif::ParseRequiredPcrs({options.expect_pcr0, options.expect_pcr1, options.expect_pcr2,
                              options.expect_pcr8, options.expect_pcr});
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
  auto outcome = eif::JudgeMeasurements(std::move(*report), *required, allowed);
  if (!outcome) {
    return ReportError(ctx, outcome.error(), options.json, media);
  }
  const eif::ImageReport& image = outcome->report;
  const Error* failure = image.FirstFailure();
  if (!options.output.empty() && failure == nullptr) {
    const nlohmann::ordered_json pcr_json = {
        {"Measurements", eif::MeasurementsJson(image.measurements)}};
    const std::string text = pcr_json.dump(2) + "\n";
    auto written = WriteOut(ctx, options.output, core::AsBytes(text));
    if (!written) {
      return ReportError(ctx, written.error(), options.json, media);
    }
  }
  const Error* verdict = outcome->Verdict();
  if (options.json) {
    ctx.out << eif::MeasureJson(options.image, *outcome).dump(2) << "\n";
  } else if (options.output == "-") {
    // Standard output holds the pcr.json: the report goes to standard error.
    Context to_stderr{ctx.err, ctx.err, ctx.clock, ctx.in};
    PrintMeasured(to_stderr, options, *outcome);
  } else {
    PrintMeasured(ctx, options, *outcome);
  }
  return verdict == nullptr ? 0 : ExitFor(*verdict);
}

// ---- pcr ----

struct PcrOptions {
  std::string input;
  std::string certificate;
};

int RunPcr(Context& ctx, const PcrOptions& options) {
  const bool of_file = !options.input.empty();
  auto pcr = of_file ? eif::io::PcrOfFile(options.input)
                     : eif::io::Pcr8OfCertificateFile(options.certificate);
  if (!pcr) {
    return ReportError(ctx, pcr.error(), false, kPcrMediaType);
  }
  // nitro-cli pcr's key, then ours.
  const nlohmann::ordered_json out = {{of_file ? "PCR" : "PCR8", core::HexEncode(*pcr)},
                                      {"media_type", kPcrMediaType},
                                      {"verdict", "accepted"}};
  ctx.out << out.dump(2) << "\n";
  return 0;
}

// ---- build ----

struct BuildOptions {
  eif::io::BuildRequest request;
  std::string output;
  bool json = false;
};

void PrintBuilt(Context& ctx, const char* media, const std::string& path,
                const eif::BuildResult& result, bool json) {
  if (json) {
    ctx.out << eif::BuiltJson(media, path, result).dump(2) << "\n";
    return;
  }
  // With `--out -` standard output holds the image: the report goes to standard error.
  eif::RenderBuiltText(path == "-" ? ctx.err : ctx.out, path, result);
}

int RunBuild(Context& ctx, const BuildOptions& options) {
  eif::io::BuildRequest request = options.request;
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");  // NOLINT(concurrency-mt-unsafe)
  if (epoch != nullptr && *epoch != '\0') {
    request.source_date_epoch = epoch;
  }
  if (options.output.empty()) {
    return ReportError(ctx, {core::ErrorCode::kInvalidArgument, "--out FILE|- is required", -1},
                       options.json, eif::kBuildMediaType);
  }
  if (auto ok = CheckOutWithJson(options.output, options.json); !ok) {
    return ReportError(ctx, ok.error(), options.json, eif::kBuildMediaType);
  }
  auto built = eif::io::BuildImageFile(request, options.output);
  if (!built) {
    return ReportError(ctx, built.error(), options.json, eif::kBuildMediaType);
  }
  PrintBuilt(ctx, eif::kBuildMediaType, options.output, *built, options.json);
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
  if (options.certificate.empty() || options.key.empty()) {
    return ReportError(ctx,
                       {core::ErrorCode::kInvalidArgument,
                        "--signing-certificate and --private-key are required", -1},
                       options.json, eif::kSignMediaType);
  }
  if (auto ok = CheckOutWithJson(options.output, options.json); !ok) {
    return ReportError(ctx, ok.error(), options.json, eif::kSignMediaType);
  }
  const std::string output = options.output.empty() ? options.image : options.output;
  auto signed_image =
      eif::io::SignImageFile(options.image, options.certificate, options.key, output);
  if (!signed_image) {
    return ReportError(ctx, signed_image.error(), options.json, eif::kSignMediaType);
  }
  PrintBuilt(ctx, eif::kSignMediaType, output, *signed_image, options.json);
  return 0;
}

constexpr const char* kExitCodes =
    "Exit codes: 0 success (all checks pass, PCRs match), 1 a check failed (PCR mismatch,\n"
    "invalid signature), 2 malformed image or input, 64 usage error, 74 I/O error,\n"
    "70 internal error. Error codes: enclavectl errors.";

void RegisterDescribe(CLI::App* eif, Context& ctx) {
  auto describe = std::make_shared<DescribeOptions>();
  CLI::App* cmd = eif->add_subcommand(
      "describe",
      "Read an image and print what nitro-cli describe-eif prints (EifVersion, Measurements, "
      "IsSigned, SigningCertificate, CheckCRC, SignatureCheck, ImageName, ImageVersion, "
      "Metadata), recomputed from the bytes, plus every check enclavectl makes.");
  cmd->add_option("image", describe->image, "The EIF file ('-': standard input)")->required();
  cmd->add_flag("--json", describe->json,
                "Print describe-eif's JSON (same keys and order), followed by enclavectl's "
                "media_type, verdict, error, sections, checks and notes");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif describe image.eif\n"
      "  enclavectl eif describe image.eif --json | jq -r .Measurements.PCR0\n\n"
      "The image is untrusted: measurements are recomputed, the CRC and the header tables\n"
      "are checked, and the signature is verified against the embedded certificate (whose\n"
      "chain and validity are NOT checked). Metadata is unmeasured: anyone can change it.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, describe] { ctx.exit_code = RunDescribe(ctx, *describe); });
}

void RegisterMeasure(CLI::App* eif, Context& ctx) {
  auto measure = std::make_shared<MeasureOptions>();
  CLI::App* cmd = eif->add_subcommand(
      "measure",
      "Recompute an image's PCR0, PCR1, PCR2 (and PCR8 when signed) in one streaming pass and "
      "compare them with the values you expect: the CI gate for reproducible images.");
  cmd->add_option("image", measure->image, "The EIF file ('-': standard input)")->required();
  cmd->add_option("--expect-pcr0", measure->expect_pcr0, "Expected PCR0 (96 hex digits)");
  cmd->add_option("--expect-pcr1", measure->expect_pcr1, "Expected PCR1 (96 hex digits)");
  cmd->add_option("--expect-pcr2", measure->expect_pcr2, "Expected PCR2 (96 hex digits)");
  cmd->add_option("--expect-pcr8", measure->expect_pcr8, "Expected PCR8 (96 hex digits)");
  cmd->add_option("--expect-pcr", measure->expect_pcr,
                  "Expected PCR N=HEX (N 0, 1, 2 or 8; repeatable), as in verify");
  cmd->add_option("--expect-pcrs", measure->expect_pcrs_path,
                  "Allowed measurement sets: a pcr.json ({\"Measurements\": ...} or "
                  "{\"PCR0\": ...}) or a JSON array of them; one must match");
  AddOutOption(cmd, measure->output,
               "Write the measurements as pcr.json ({\"Measurements\": {...}}); not written "
               "for a malformed image");
  cmd->add_flag("--json", measure->json,
                "Print one JSON object (application/vnd.enclavectl.eif-measure+json;version=1)");
  cmd->footer(
      "Examples:\n"
      "  # CI: rebuild, then fail unless the image is the published one\n"
      "  enclavectl eif measure image.eif --expect-pcr0 \"$PUBLISHED_PCR0\"\n"
      "  enclavectl eif measure image.eif --expect-pcrs release-pcrs.json\n"
      "  enclavectl eif measure image.eif --out pcr.json\n\n"
      "Exit codes: 0 all expected PCRs match (or none were given), 1 a PCR differs (expected\n"
      "and actual are printed), 2 the image is malformed (bad header, truncated, CRC\n"
      "mismatch, ...), 64 usage error, 74 I/O error.");
  cmd->callback([&ctx, measure] { ctx.exit_code = RunMeasure(ctx, *measure); });
}

void RegisterPcr(CLI::App* eif, Context& ctx) {
  auto pcr = std::make_shared<PcrOptions>();
  CLI::App* cmd = eif->add_subcommand(
      "pcr",
      "Like nitro-cli pcr: the PCR of a file's bytes, SHA-384(0^48 || SHA-384(file)), or the "
      "PCR8 of a signing certificate.");
  auto* input = cmd->add_option("--input", pcr->input,
                                "A file (read in a streaming pass; '-': standard input)");
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
          false, kPcrMediaType);
      return;
    }
    ctx.exit_code = RunPcr(ctx, *pcr);
  });
}

void RegisterBuild(CLI::App* eif, Context& ctx) {
  auto build = std::make_shared<BuildOptions>();
  build->request.build_tool_version = ENCLAVECTL_VERSION;
  CLI::App* cmd = eif->add_subcommand(
      "build",
      "Build an EIF reproducibly: kernel, command line, ramdisks (given, or a bootstrap ramdisk "
      "from init/nsm.ko and an application ramdisk from a root filesystem directory or tar, "
      "as deterministic newc archives) and fixed metadata. Same inputs, same bytes.");
  cmd->add_option("--kernel", build->request.kernel, "Kernel image (bzImage or arm64 Image)")
      ->required();
  auto* cmdline =
      cmd->add_option("--cmdline", build->request.cmdline, "Kernel command line (verbatim)");
  auto* cmdline_file = cmd->add_option(
      "--cmdline-file", build->request.cmdline_file,
      "Kernel command line from a file (leading/trailing whitespace trimmed, like nitro-cli)");
  cmdline->excludes(cmdline_file);
  cmd->add_option("--arch", build->request.arch, "x86_64 (default) or aarch64: the header flag")
      ->default_str("x86_64");
  cmd->add_option("--init", build->request.init,
                  "Bootstrap ramdisk (first ramdisk, PCR1): this init as /init, plus /dev");
  cmd->add_option("--nsm-ko", build->request.nsm_ko,
                  "Add this NSM driver as /nsm.ko to the bootstrap ramdisk");
  cmd->add_option("--ramdisk", build->request.ramdisks,
                  "An existing ramdisk file, used verbatim (repeatable, in order, after the "
                  "bootstrap ramdisk)");
  cmd->add_option("--rootfs", build->request.rootfs,
                  "Application root filesystem, a directory or a tar file: becomes the last "
                  "ramdisk with /cmd, /env and /rootfs/...");
  cmd->add_option("--config", build->request.image_config,
                  "Image config JSON (previous_pcr0, maintainer_pubkey): placed at "
                  "/etc/enclavectl/image-config.json in the rootfs, so PCR0 covers it "
                  "(docs/migration.md); needs --rootfs");
  cmd->add_option("--cmd", build->request.cmd,
                  "An argv element of the application (repeatable; the first is the program "
                  "inside the rootfs)");
  cmd->add_option("--env", build->request.env, "An environment entry KEY=VALUE (repeatable)");
  cmd->add_option("--name", build->request.name, "ImageName (default: the kernel's file name)");
  cmd->add_option("--version", build->request.version, "ImageVersion (default 1.0)");
  cmd->add_option("--build-time", build->request.build_time,
                  "BuildTime and archive mtime: RFC 3339 (kept verbatim) or Unix seconds; "
                  "default $SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00+00:00. Never the clock.");
  cmd->add_option("--build-tool", build->request.build_tool, "BuildTool (default enclavectl)");
  cmd->add_option("--build-tool-version", build->request.build_tool_version,
                  "BuildToolVersion (default this enclavectl's version)");
  cmd->add_option("--os", build->request.os,
                  "OperatingSystem (default from --kernel-config, else Linux)");
  cmd->add_option("--kernel-version", build->request.kernel_version,
                  "KernelVersion (default from --kernel-config, else unknown)");
  cmd->add_option("--kernel-config", build->request.kernel_config,
                  "Kernel config (bzImage.config): OperatingSystem and KernelVersion from its "
                  "third line, as nitro-cli does");
  cmd->add_option("--metadata", build->request.metadata,
                  "CustomMetadata: a JSON file of at most 4096 bytes");
  cmd->add_option("--docker-info", build->request.docker_info,
                  "DockerInfo: a JSON file (default null)");
  cmd->add_option("--signing-certificate", build->request.certificate,
                  "Sign with this PEM certificate (P-256 or P-384 key; adds PCR8)");
  cmd->add_option("--private-key", build->request.private_key, "The certificate's PEM private key");
  AddOutOption(cmd, build->output, "Where to write the image (required)");
  cmd->add_flag("--json", build->json,
                "Print {\"Measurements\": ...} (nitro-cli build-enclave's shape) with "
                "media_type, verdict, image, size and crc32");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif build --kernel blobs/bzImage --cmdline-file blobs/cmdline \\\n"
      "      --init blobs/init --nsm-ko blobs/nsm.ko --rootfs app-rootfs.tar \\\n"
      "      --cmd /usr/bin/app --cmd --serve --env RUST_LOG=info \\\n"
      "      --name app --version 1.4.2 --build-time 2024-06-01T00:00:00Z --out app.eif\n"
      "  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) enclavectl eif build ... --json\n\n"
      "Reproducible: archive entries are sorted, owned by 0:0, dated --build-time, numbered in\n"
      "order, with permissions 0755/0644 (executables/others), directories 0755, symlinks\n"
      "kept; working directory, umask, file times and the clock never reach the image.\n"
      "Signed images differ in their signature bytes (ECDSA), never in PCR0/1/2/8.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, build] { ctx.exit_code = RunBuild(ctx, *build); });
}

void RegisterSign(CLI::App* eif, Context& ctx) {
  auto sign = std::make_shared<SignOptions>();
  CLI::App* cmd = eif->add_subcommand(
      "sign",
      "Sign an image (replacing any signature) like nitro-cli sign-eif: a COSE_Sign1 "
      "ES256/ES384 over {register_index: 0, register_value: PCR0}; adds PCR8.");
  cmd->add_option("image", sign->image, "The EIF file")->required();
  cmd->add_option("--signing-certificate", sign->certificate, "PEM signing certificate (required)");
  cmd->add_option("--cert", sign->certificate, "Old spelling of --signing-certificate")->group("");
  cmd->add_option("--private-key", sign->key, "PEM private key (EC P-256 or P-384; required)");
  cmd->add_option("--key", sign->key, "Old spelling of --private-key")->group("");
  AddOutOption(cmd, sign->output, "Write the signed image here (default: in place)");
  cmd->add_flag("--json", sign->json, "Print the measurements as JSON");
  cmd->footer(
      "Examples:\n"
      "  enclavectl eif sign image.eif --signing-certificate signer.pem --private-key signer.key\n"
      "  enclavectl eif sign image.eif --signing-certificate signer.pem --private-key signer.key "
      "--out signed.eif\n\n"
      "The image is checked first; a malformed image (bad CRC, tables, layout) is never "
      "signed.\n\n" +
      std::string(kExitCodes));
  cmd->callback([&ctx, sign] { ctx.exit_code = RunSign(ctx, *sign); });
}

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
      "      --nsm-ko nsm.ko --rootfs rootfs.tar --cmd /bin/app --out image.eif\n"
      "  enclavectl eif sign image.eif --signing-certificate signer.pem --private-key "
      "signer.key\n\n" +
      std::string(kExitCodes));
  RegisterDescribe(eif, ctx);
  RegisterMeasure(eif, ctx);
  RegisterPcr(eif, ctx);
  RegisterBuild(eif, ctx);
  RegisterSign(eif, ctx);
}

}  // namespace enclavectl::cli

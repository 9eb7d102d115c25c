// Building and signing EIFs reproducibly (eif-build.md). The output depends only on the
// inputs given here: no clock, no host names, owners, umask or file times.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/eif/cpio.hpp"
#include "enclavectl/eif/format.hpp"
#include "enclavectl/eif/measure.hpp"
#include "enclavectl/eif/metadata.hpp"
#include "enclavectl/eif/signature.hpp"
#include "enclavectl/eif/source.hpp"

namespace enclavectl::eif {

// A ramdisk section: either the bytes of an existing ramdisk (verbatim), or entries that
// become a deterministic newc archive.
struct RamdiskInput {
  std::string name;  // for messages ("bootstrap", a file name)
  SourceOpener raw;  // when set, the section is this source's bytes
  std::vector<ArchiveEntry> entries;
};

// The bootstrap ("system") ramdisk of eif-build.md section 3: dev/ (0755), init (0755) and,
// when given, nsm.ko (0755). `init` and `nsm_ko` are file entries (their path is replaced).
RamdiskInput BootstrapRamdisk(ArchiveEntry init, std::optional<ArchiveEntry> nsm_ko);

// The application ("customer") ramdisk of eif-build.md section 3: cmd (argv, one element
// per line, each ended by \n, 0644), env (KEY=VALUE lines, 0644) and rootfs/ holding
// `rootfs` plus the directories dev run sys var proc tmp. Fails with kInvalidArgument when
// an argv element or env entry contains a newline or NUL, or `cmd` is empty.
[[nodiscard]] core::Result<RamdiskInput> ApplicationRamdisk(std::vector<ArchiveEntry> rootfs,
                                                            const std::vector<std::string>& cmd,
                                                            const std::vector<std::string>& env);

struct ImageSpec {
  Arch arch = Arch::kX86_64;
  SourceOpener kernel;
  std::string cmdline;  // the exact bytes of the Cmdline section
  std::vector<RamdiskInput> ramdisks;
  Metadata metadata;
  std::uint32_t mtime = 0;         // of every archived ramdisk entry
  const Signer* signer = nullptr;  // sign at build time (ES256 / ES384)
  bool parallel = true;
};

struct BuildResult {
  Measurements measurements;
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
  std::vector<SectionInfo> sections;
};

// Writes the image to `out` (empty on entry): header, Kernel, Cmdline, Metadata,
// Ramdisk x N [, Signature] with no gaps (eif.md section 5, EifBuilder's layout and header
// values), measuring while writing. The same spec gives the same bytes on every machine;
// only a signature differs between runs (ECDSA is randomised).
// Fails with kInvalidArgument (cmdline with a NUL byte), kEifTooManySections (more than
// 28 ramdisks, or 29 unsigned), PrepareArchive's and the sources' errors, kIoRead when an
// input changes size while read, the sink's kIoWrite.
[[nodiscard]] core::Result<BuildResult> BuildImage(const ImageSpec& spec, ByteSink& out);

// Signs an existing image (untrusted): checks and measures it, then writes to `out` the
// header and every section except an existing signature, in their order, followed by a new
// signature section over PCR0 (nitro-cli sign-eif's result for images laid out by
// EifBuilder). Fails with InspectImage's errors, the first failed check other than the
// signature's (a corrupt image is never signed), kIoRead when the image changes while
// copied, the sink's errors.
[[nodiscard]] core::Result<BuildResult> SignImage(const ByteSource& image, const Signer& signer,
                                                  ByteSink& out);

// The build time: the text for BuildMetadata.BuildTime and the mtime for archive entries.
struct BuildTime {
  std::string text;
  std::uint32_t seconds = 0;
};

// From --build-time (RFC 3339, kept verbatim; or Unix seconds), else SOURCE_DATE_EPOCH
// (Unix seconds), else the Unix epoch: never the clock. Numeric inputs are rendered as
// "YYYY-MM-DDTHH:MM:SS+00:00". Fails with kInvalidArgument for an unparsable time or one
// outside 1970..2106 (newc's 32-bit mtime).
[[nodiscard]] core::Result<BuildTime> ResolveBuildTime(
    std::optional<std::string_view> flag, std::optional<std::string_view> source_date_epoch);

// OperatingSystem and KernelVersion from a kernel config as nitro-cli derives them
// (eif.md section 7): the third line split on ' ', '/' and '-', pieces 1 and 3, "Unknown"
// when missing.
struct KernelConfigInfo {
  std::string operating_system;
  std::string kernel_version;
};
KernelConfigInfo ParseKernelConfig(std::string_view text);

// `eif build` / `eif sign` for people: "wrote PATH (N bytes, M sections)" and the
// measurements ("measurements (SHA-384)").
void RenderBuiltText(std::ostream& out, const std::string& path, const BuildResult& result);

// `eif build` / `eif sign --json` (`media_type` kBuildMediaType or kSignMediaType):
// {"Measurements" (nitro-cli build-enclave's shape), "media_type", "verdict": "accepted",
// "image", "size", "crc32"}.
nlohmann::ordered_json BuiltJson(const char* media_type, const std::string& path,
                                 const BuildResult& result);

}  // namespace enclavectl::eif

// The EIF flows on files, behind `enclavectl eif describe | measure | build | sign`: inspect an
// image file, assemble a build from input files and fixed metadata, build or sign into an
// output file (written atomically). Adapter layer: it reads and writes files; the work is
// eifbuild's measure and build layers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif::io {

// Opens and inspects the image file at `path` (InspectImage). Fails with kIoRead and
// InspectImage's errors, detail prefixed with the path; failed checks are in the report.
[[nodiscard]] core::Result<ImageReport> InspectImageFile(const std::string& path,
                                                         const InspectOptions& options = {});

// The PCR of a file's bytes, SHA-384(0^48 || SHA-384(file)), read in one streaming pass
// (nitro-cli pcr --input). Fails with kIoRead.
[[nodiscard]] core::Result<core::Sha384Digest> PcrOfFile(const std::string& path);

// PCR8 of a PEM signing certificate: the PCR of its DER bytes (nitro-cli pcr
// --signing-certificate). Fails with kIoRead, kInputTooLarge or kCertParse (detail prefixed
// with the path).
[[nodiscard]] core::Result<core::Sha384Digest> Pcr8OfCertificateFile(const std::string& path);

// Reads a certificate and its private key (PEM or DER) (into wiped memory) and makes a signer.
// Fails with kIoRead, kInputTooLarge, kCertParse (detail names the certificate's path) or
// kEifSigningKey (the key's path; never its content).
[[nodiscard]] core::Result<Signer> LoadSignerFiles(const std::string& certificate_path,
                                                   const std::string& key_path);

// An image to build, as `eif build` is given it: input files and fixed metadata.
struct BuildRequest {
  std::string kernel;        // required
  std::string cmdline;       // verbatim, or
  std::string cmdline_file;  // trimmed like nitro-cli
  std::string arch = "x86_64";
  std::string init;  // bootstrap ramdisk: /init (and /nsm.ko)
  std::string nsm_ko;
  std::vector<std::string> ramdisks;  // verbatim ramdisk files
  std::string rootfs;                 // directory or tar: the application ramdisk
  // The image config (--config; image_config.hpp): checked, then placed in the rootfs at
  // etc/enclavectl/image-config.json (0644) with its exact bytes, so PCR0 covers it. Needs
  // rootfs; a rootfs that already has that path is refused.
  std::string image_config;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string name;  // default: the kernel's file name
  std::string version = "1.0";
  std::string build_time;                        // RFC 3339 or Unix seconds; default below
  std::optional<std::string> source_date_epoch;  // $SOURCE_DATE_EPOCH, when set and non-empty
  std::string build_tool = "enclavectl";
  std::string build_tool_version;
  std::string os;              // default from kernel_config, else Linux
  std::string kernel_version;  // default from kernel_config, else unknown
  std::string kernel_config;
  std::string metadata;     // CustomMetadata JSON file
  std::string docker_info;  // DockerInfo JSON file
  std::string certificate;  // sign with this PEM certificate ...
  std::string private_key;  // ... and its key (both or neither)
};

// The spec of a build and what it borrows (an open rootfs tar, the signer); not movable, since
// the spec points into it.
struct BuildInputs {
  ImageSpec spec;
  std::unique_ptr<FileSource> rootfs_tar;  // kept open: entries are read from it
  std::optional<Signer> signer;

  BuildInputs() = default;
  BuildInputs(const BuildInputs&) = delete;
  BuildInputs& operator=(const BuildInputs&) = delete;
};

// Checks the request, reads its small files (command line, kernel config, metadata, signing
// files) and lists the rootfs; large inputs are opened when written. Fails with
// kInvalidArgument (arch, flag combinations, no ramdisk, build time), kIoRead, kInputTooLarge,
// kImageConfigInvalid, kEifMetadata, kCpioUnsupportedEntry, kRootfsPathInvalid, the tar reader's
// codes and LoadSignerFiles's.
[[nodiscard]] core::Result<std::unique_ptr<BuildInputs>> AssembleBuild(const BuildRequest& request);

// Assembles and builds the image into `output` (a temporary file renamed into place). Fails
// with AssembleBuild's, BuildImage's and kIoWrite.
[[nodiscard]] core::Result<BuildResult> BuildImageFile(const BuildRequest& request,
                                                       const std::string& output);

// Signs (replacing any signature) the image at `image` into `output` (may equal `image`).
// A malformed image is never signed. Fails with LoadSignerFiles's, kIoRead, SignImage's
// (detail prefixed with the image's path) and kIoWrite.
[[nodiscard]] core::Result<BuildResult> SignImageFile(const std::string& image,
                                                      const std::string& certificate_path,
                                                      const std::string& key_path,
                                                      const std::string& output);

}  // namespace enclavectl::eif::io

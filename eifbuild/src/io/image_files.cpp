#include "enclavectl/eif/image_files.hpp"

#include <filesystem>
#include <memory>
#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/image_config.hpp"
#include "enclavectl/eif/tar.hpp"

namespace enclavectl::eif::io {
namespace {

using core::ErrorCode;

core::Error WithPath(core::Error error, const std::string& path) {
  error.detail = path + ": " + error.detail;
  return error;
}

core::Result<nlohmann::json> ReadJsonFile(const std::string& path, std::size_t max_bytes) {
  auto text = core::io::ReadFile(path, max_bytes);
  if (!text) {
    return core::Fail(text.error());
  }
  auto json = ParseBoundedJson(core::AsChars(*text), max_bytes, ErrorCode::kEifMetadata);
  if (!json) {
    return core::Fail(WithPath(json.error(), path));
  }
  return json;
}

// The image config file as a rootfs entry: read once, checked, archived with these bytes.
core::Result<ArchiveEntry> ImageConfigEntry(const std::string& path,
                                            const std::vector<ArchiveEntry>& tree) {
  for (const ArchiveEntry& entry : tree) {
    if (entry.path == kImageConfigArchivePath) {
      return core::Fail(ErrorCode::kInvalidArgument, "the rootfs already has " +
                                                         std::string(kImageConfigArchivePath) +
                                                         ": give it with --config only");
    }
  }
  auto text = core::io::ReadFile(path, kMaxImageConfigBytes);
  if (!text) {
    return core::Fail(text.error());
  }
  if (auto config = DecodeImageConfig(core::AsChars(*text)); !config) {
    return core::Fail(WithPath(config.error(), path));
  }
  ArchiveEntry entry;
  entry.path = std::string(kImageConfigArchivePath);
  entry.kind = EntryKind::kFile;
  entry.permissions = 0644;
  entry.size = text->size();
  auto bytes = std::make_shared<const core::Bytes>(std::move(*text));
  entry.open = [bytes]() -> core::Result<std::unique_ptr<ByteSource>> {
    return std::make_unique<MemorySource>(*bytes);
  };
  return entry;
}

// The application ramdisk's tree: a directory listed, or a tar read (kept open in `in`).
core::Result<std::vector<ArchiveEntry>> RootfsTree(const std::string& rootfs, BuildInputs& in) {
  if (IsDirectory(rootfs)) {
    return ReadDirectoryTree(rootfs);
  }
  auto tar = FileSource::Open(rootfs);
  if (!tar) {
    return core::Fail(tar.error());
  }
  in.rootfs_tar = std::move(*tar);
  auto listed = ReadTar(*in.rootfs_tar);
  if (!listed) {
    return core::Fail(WithPath(listed.error(), rootfs));
  }
  return listed;
}

// Kernel, command line and ramdisks (eif-build.md section 3).
core::Status AddSections(const BuildRequest& r, BuildInputs& in) {
  ImageSpec& spec = in.spec;
  if (r.arch == "x86_64") {
    spec.arch = Arch::kX86_64;
  } else if (r.arch == "aarch64") {
    spec.arch = Arch::kAarch64;
  } else {
    return core::Fail(ErrorCode::kInvalidArgument, "--arch must be x86_64 or aarch64");
  }
  spec.kernel = FileOpener(r.kernel);
  if (!r.cmdline_file.empty()) {
    auto text = core::io::ReadFile(r.cmdline_file, 64 * 1024);
    if (!text) {
      return core::Fail(text.error());
    }
    // nitro-cli trims the blob file (it ends in a newline the section must not hold).
    spec.cmdline = std::string(core::TrimWhitespace(core::AsChars(*text)));
  } else {
    spec.cmdline = r.cmdline;
  }
  if (!r.init.empty()) {
    auto init = FileEntry(r.init);
    if (!init) {
      return core::Fail(init.error());
    }
    std::optional<ArchiveEntry> nsm;
    if (!r.nsm_ko.empty()) {
      auto entry = FileEntry(r.nsm_ko);
      if (!entry) {
        return core::Fail(entry.error());
      }
      nsm = std::move(*entry);
    }
    spec.ramdisks.push_back(BootstrapRamdisk(std::move(*init), std::move(nsm)));
  } else if (!r.nsm_ko.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--nsm-ko needs --init");
  }
  for (const std::string& path : r.ramdisks) {
    spec.ramdisks.push_back(RamdiskInput{path, FileOpener(path), {}});
  }
  if (!r.rootfs.empty()) {
    auto tree = RootfsTree(r.rootfs, in);
    if (!tree) {
      return core::Fail(tree.error());
    }
    if (!r.image_config.empty()) {
      auto config = ImageConfigEntry(r.image_config, *tree);
      if (!config) {
        return core::Fail(config.error());
      }
      tree->push_back(std::move(*config));
    }
    auto app = ApplicationRamdisk(std::move(*tree), r.cmd, r.env);
    if (!app) {
      return core::Fail(app.error());
    }
    spec.ramdisks.push_back(std::move(*app));
  } else if (!r.cmd.empty() || !r.env.empty() || !r.image_config.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--cmd, --env and --config need --rootfs");
  }
  if (spec.ramdisks.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "an image needs a ramdisk: --init, --ramdisk or --rootfs");
  }
  return core::Ok();
}

// Metadata (eif.md section 7): fixed fields, never the clock.
core::Status FillMetadata(const BuildRequest& r, ImageSpec& spec) {
  auto time = ResolveBuildTime(
      r.build_time.empty() ? std::nullopt : std::optional<std::string_view>(r.build_time),
      r.source_date_epoch ? std::optional<std::string_view>(*r.source_date_epoch) : std::nullopt);
  if (!time) {
    return core::Fail(time.error());
  }
  spec.mtime = time->seconds;
  Metadata& m = spec.metadata;
  m.image_name = r.name.empty() ? std::filesystem::path(r.kernel).filename().string() : r.name;
  m.image_version = r.version;
  m.build.build_time = time->text;
  m.build.build_tool = r.build_tool;
  m.build.build_tool_version = r.build_tool_version;
  KernelConfigInfo kernel_info{"Linux", "unknown"};
  if (!r.kernel_config.empty()) {
    auto text = core::io::ReadFile(r.kernel_config, 4 << 20);
    if (!text) {
      return core::Fail(text.error());
    }
    kernel_info = ParseKernelConfig(core::AsChars(*text));
  }
  m.build.operating_system = r.os.empty() ? kernel_info.operating_system : r.os;
  m.build.kernel_version = r.kernel_version.empty() ? kernel_info.kernel_version : r.kernel_version;
  if (!r.metadata.empty()) {
    auto custom = ReadJsonFile(r.metadata, core::limits::kMaxEifCustomMetadataBytes);
    if (!custom) {
      return core::Fail(custom.error());
    }
    m.custom_metadata = std::move(*custom);
  }
  if (!r.docker_info.empty()) {
    auto docker = ReadJsonFile(r.docker_info, core::limits::kMaxEifMetadataBytes / 2);
    if (!docker) {
      return core::Fail(docker.error());
    }
    m.docker_info = std::move(*docker);
  }
  return core::Ok();
}

core::Result<BuildResult> CommitTo(FileSink& sink, core::Result<BuildResult> built) {
  if (!built) {
    return built;
  }
  ENCLAVECTL_RETURN_IF_ERROR(sink.Commit());
  return built;
}

}  // namespace

core::Result<ImageReport> InspectImageFile(const std::string& path, const InspectOptions& options) {
  auto file = FileSource::Open(path);
  if (!file) {
    return core::Fail(file.error());
  }
  auto report = InspectImage(**file, options);
  if (!report) {
    return core::Fail(WithPath(report.error(), path));
  }
  return report;
}

core::Result<core::Sha384Digest> PcrOfFile(const std::string& path) {
  auto file = FileSource::Open(path);
  if (!file) {
    return core::Fail(file.error());
  }
  return PcrOfSource(**file);
}

core::Result<core::Sha384Digest> Pcr8OfCertificateFile(const std::string& path) {
  auto pem = core::io::ReadFile(path, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return core::Fail(pem.error());
  }
  auto cert = ParseCertificate(*pem);
  if (!cert) {
    return core::Fail(WithPath(cert.error(), path));
  }
  PcrHasher hasher;
  hasher.Update(cert->der);
  return hasher.Finish();
}

core::Result<Signer> LoadSignerFiles(const std::string& certificate_path,
                                     const std::string& key_path) {
  auto cert = core::io::ReadFile(certificate_path, core::limits::kMaxPemFileBytes);
  if (!cert) {
    return core::Fail(cert.error());
  }
  auto key = ReadSecretFile(key_path, core::limits::kMaxPemFileBytes);
  if (!key) {
    return core::Fail(key.error());
  }
  auto signer = MakeSigner(*cert, *key);
  if (!signer) {
    // Never the key file's content; its path only.
    return core::Fail(WithPath(signer.error(), signer.error().code == ErrorCode::kCertParse
                                                   ? certificate_path
                                                   : key_path));
  }
  return signer;
}

core::Result<std::unique_ptr<BuildInputs>> AssembleBuild(const BuildRequest& request) {
  auto inputs = std::make_unique<BuildInputs>();
  ENCLAVECTL_RETURN_IF_ERROR(AddSections(request, *inputs));
  ENCLAVECTL_RETURN_IF_ERROR(FillMetadata(request, inputs->spec));
  if (!request.certificate.empty() || !request.private_key.empty()) {
    if (request.certificate.empty() || request.private_key.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "signing needs both --signing-certificate and --private-key");
    }
    auto signer = LoadSignerFiles(request.certificate, request.private_key);
    if (!signer) {
      return core::Fail(signer.error());
    }
    inputs->signer = std::move(*signer);
    inputs->spec.signer = &*inputs->signer;
  }
  return inputs;
}

core::Result<BuildResult> BuildImageFile(const BuildRequest& request, const std::string& output) {
  auto inputs = AssembleBuild(request);
  if (!inputs) {
    return core::Fail(inputs.error());
  }
  auto sink = FileSink::Create(output);
  if (!sink) {
    return core::Fail(sink.error());
  }
  return CommitTo(**sink, BuildImage((*inputs)->spec, **sink));
}

core::Result<BuildResult> SignImageFile(const std::string& image,
                                        const std::string& certificate_path,
                                        const std::string& key_path, const std::string& output) {
  auto signer = LoadSignerFiles(certificate_path, key_path);
  if (!signer) {
    return core::Fail(signer.error());
  }
  auto source = FileSource::Open(image);
  if (!source) {
    return core::Fail(source.error());
  }
  auto sink = FileSink::Create(output);
  if (!sink) {
    return core::Fail(sink.error());
  }
  auto signed_image = SignImage(**source, *signer, **sink);
  if (!signed_image) {
    return core::Fail(WithPath(signed_image.error(), image));
  }
  return CommitTo(**sink, std::move(signed_image));
}

}  // namespace enclavectl::eif::io

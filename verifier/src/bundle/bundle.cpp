// Evidence bundles: a deterministic zip written in memory, and a defensive reader.
#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/evidence.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;
using core::Fail;
namespace limits = core::limits;

constexpr const char* kManifest = "manifest.json";
constexpr std::array<const char*, 3> kExchangeNames = {"attestation", "info", "enclave-info"};
constexpr std::size_t kMaxRecordedHeaders = 256;
// captured_at_ms: up to the year 9999 (RFC 3339's range).
constexpr std::uint64_t kMaxCapturedAtMs = std::uint64_t{253402300799999};

// Every member a bundle may and must hold, manifest first.
std::vector<std::string> MemberNames() {
  std::vector<std::string> names = {kManifest, "document.cbor", "chain.pem", "report.json"};
  for (const char* exchange : kExchangeNames) {
    names.push_back(std::string(exchange) + ".json");
    names.push_back(std::string(exchange) + ".body");
  }
  return names;
}

nlohmann::json ExchangeToJson(const HttpExchange& exchange) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [name, value] : exchange.headers) {
    headers.push_back({name, value});
  }
  return {{"method", exchange.method},
          {"path", exchange.path},
          {"status", exchange.status},
          {"headers", std::move(headers)},
          {"tls_certificate", exchange.tls_certificate.empty()
                                  ? nlohmann::json(nullptr)
                                  : nlohmann::json(core::Base64Encode(exchange.tls_certificate))}};
}

// An exchange record (untrusted: read through the strict views, fails with kBundleMalformed).
core::Result<HttpExchange> ExchangeFromJson(const nlohmann::json& json, core::Bytes body,
                                            const std::string& member) {
  HttpExchange out;
  auto view = core::JsonObjectView::Of(json, ErrorCode::kBundleMalformed, member);
  if (!view) {
    return Fail(view.error());
  }
  auto method = view->OptionalString("method");  // absent in bundles before it was recorded
  if (!method) {
    return Fail(method.error());
  }
  auto path = view->String("path");
  if (!path) {
    return Fail(path.error());
  }
  auto status = view->Uint("status", 999);
  if (!status) {
    return Fail(status.error());
  }
  auto headers = view->Array("headers", kMaxRecordedHeaders);
  if (!headers) {
    return Fail(headers.error());
  }
  out.method = method->value_or("GET");
  out.path = std::move(*path);
  out.status = static_cast<long>(*status);  // NOLINT(google-runtime-int)
  for (const nlohmann::json& header : **headers) {
    if (!header.is_array() || header.size() != 2) {
      return Fail(ErrorCode::kBundleMalformed, member + " has a malformed header");
    }
    auto name = core::JsonString(header.front(), ErrorCode::kBundleMalformed, member + " header");
    auto value = core::JsonString(header.back(), ErrorCode::kBundleMalformed, member + " header");
    if (!name || !value) {
      return Fail(ErrorCode::kBundleMalformed, member + " has a malformed header");
    }
    out.headers.emplace_back(std::move(*name), std::move(*value));
  }
  auto certificate = view->OptionalString("tls_certificate");
  if (!certificate) {
    return Fail(ErrorCode::kBundleMalformed, member + " has a malformed tls_certificate");
  }
  if (*certificate) {
    auto der = core::Base64Decode(**certificate);
    if (!der || der->empty()) {
      return Fail(ErrorCode::kBundleMalformed, member + " has a malformed tls_certificate");
    }
    out.tls_certificate = std::move(*der);
  }
  out.body = std::move(body);
  return out;
}

std::string Dump(const nlohmann::json& json) {
  // Invalid UTF-8 (e.g. a header with odd bytes) is replaced rather than thrown on.
  return json.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// A zip archive built in memory.
class ZipWriter {
 public:
  ZipWriter() {
    zip_error_t error;
    zip_error_init(&error);
    source_.reset(zip_source_buffer_create(nullptr, 0, 0, &error));
    zip_error_fini(&error);
    if (!source_) {
      throw std::bad_alloc();
    }
    zip_source_keep(source_.get());  // the archive takes one reference, we keep ours
    zip_error_init(&error);
    archive_ = zip_open_from_source(source_.get(), ZIP_TRUNCATE, &error);
    zip_error_fini(&error);
    if (archive_ == nullptr) {
      zip_source_free(source_.get());  // the reference the archive did not take
      throw std::bad_alloc();
    }
  }
  ~ZipWriter() {
    if (archive_ != nullptr) {
      zip_discard(archive_);
    }
  }
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // `data` must stay alive until Finish().
  core::Status Add(const std::string& name, core::ByteView data, std::time_t mtime) {
    zip_source_t* member = zip_source_buffer(archive_, data.data(), data.size(), 0);
    if (member == nullptr) {
      return Fail(ErrorCode::kInternal, "zip: cannot add " + name);
    }
    const zip_int64_t index = zip_file_add(archive_, name.c_str(), member, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(member);
      return Fail(ErrorCode::kInternal, "zip: cannot add " + name);
    }
    if (zip_file_set_mtime(archive_, static_cast<zip_uint64_t>(index), mtime, 0) != 0) {
      return Fail(ErrorCode::kInternal, "zip: cannot date " + name);
    }
    return core::Ok();
  }

  core::Result<core::Bytes> Finish() {
    zip_t* archive = std::exchange(archive_, nullptr);
    if (zip_close(archive) != 0) {
      zip_discard(archive);
      return Fail(ErrorCode::kInternal, "zip: cannot write the archive");
    }
    zip_source_t* source = source_.get();
    if (zip_source_open(source) != 0) {
      return Fail(ErrorCode::kInternal, "zip: cannot read the archive back");
    }
    zip_source_seek(source, 0, SEEK_END);
    const zip_int64_t size = zip_source_tell(source);
    zip_source_seek(source, 0, SEEK_SET);
    core::Bytes out(static_cast<std::size_t>(std::max<zip_int64_t>(size, 0)));
    const zip_int64_t read = zip_source_read(source, out.data(), out.size());
    zip_source_close(source);
    if (size < 0 || read != size) {
      return Fail(ErrorCode::kInternal, "zip: cannot read the archive back");
    }
    return out;
  }

 private:
  core::ZipSourcePtr source_;
  zip_t* archive_ = nullptr;
};

}  // namespace

core::Result<core::Bytes> WriteBundle(const Evidence& evidence, const EvidenceExtras& extras) {
  std::map<std::string, std::string> members;
  members["document.cbor"] = std::string(core::AsChars(extras.document));
  members["chain.pem"] = extras.chain_pem;
  members["report.json"] = Dump(evidence.report);
  const std::array<const HttpExchange*, 3> exchanges = {&evidence.attestation, &evidence.info,
                                                        &evidence.enclave_info};
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    members[std::string(kExchangeNames[i]) + ".json"] = Dump(ExchangeToJson(*exchanges[i]));
    members[std::string(kExchangeNames[i]) + ".body"] =
        std::string(core::AsChars(exchanges[i]->body));
  }
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [name, data] : members) {
    hashes[name] = core::HexEncode(core::Sha256(core::AsBytes(data)));
  }
  members[kManifest] = Dump({{"mediaType", kEvidenceMediaType},
                             {"url", evidence.url},
                             {"captured_at", core::FormatRfc3339(evidence.captured_at)},
                             {"captured_at_ms", evidence.captured_at.value},
                             {"nonce", core::HexEncode(evidence.nonce)},
                             {"options", evidence.options},
                             {"members", std::move(hashes)}});
  ZipWriter writer;
  const std::time_t mtime = evidence.captured_at.Seconds();
  for (const std::string& name : MemberNames()) {
    ENCLAVECTL_RETURN_IF_ERROR(writer.Add(name, core::AsBytes(members.at(name)), mtime));
  }
  return writer.Finish();
}

namespace {

// `zip` opened read-only with consistency checks; libzip reads it in place.
core::Result<core::ZipPtr> OpenZip(core::ByteView zip) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip.data(), zip.size(), 0, &error);
  core::ZipPtr archive(source == nullptr
                           ? nullptr
                           : zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  const std::string reason = zip_error_strerror(&error);
  zip_error_fini(&error);
  if (!archive) {
    if (source != nullptr) {
      zip_source_free(source);
    }
    return Fail(ErrorCode::kBundleMalformed, "not a readable zip archive: " + reason);
  }
  return archive;
}

// Member `i`, named `name`, decompressed: at most one byte more than allowed is decompressed,
// whatever the header declares.
core::Result<core::Bytes> ReadMember(zip_t* archive, zip_uint64_t i, const std::string& name) {
  core::ZipFilePtr file(zip_fopen_index(archive, i, 0));
  if (!file) {
    return Fail(ErrorCode::kBundleMalformed, name + " cannot be opened");
  }
  core::Bytes data(limits::kMaxBundleMemberBytes + 1);
  std::size_t filled = 0;
  while (filled < data.size()) {
    const zip_int64_t n =
        zip_fread(file.get(), data.data() + filled, data.size() - filled);  // NOLINT
    if (n < 0) {
      return Fail(ErrorCode::kBundleMalformed, name + " does not decompress (or fails its CRC)");
    }
    if (n == 0) {
      break;
    }
    filled += static_cast<std::size_t>(n);
  }
  if (filled > limits::kMaxBundleMemberBytes) {
    return Fail(ErrorCode::kBundleTooLarge, name + " decompresses to more than " +
                                                std::to_string(limits::kMaxBundleMemberBytes) +
                                                " bytes");
  }
  data.resize(filled);
  return data;
}

// Every member, by name: each one known and present once, within the size limits.
core::Result<std::map<std::string, core::Bytes>> ReadMembers(
    zip_t* archive, const std::vector<std::string>& known) {
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count < 0 || static_cast<std::size_t>(count) > limits::kMaxBundleMembers) {
    return Fail(ErrorCode::kBundleTooLarge, "bundle has " + std::to_string(count) + " members");
  }
  std::map<std::string, core::Bytes> members;
  std::size_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, i, 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0) {
      return Fail(ErrorCode::kBundleMalformed, "member " + std::to_string(i) + " is unreadable");
    }
    const std::string name = stat.name;
    if (std::find(known.begin(), known.end(), name) == known.end() || members.count(name) != 0) {
      return Fail(ErrorCode::kBundleMemberUnexpected,
                  "unexpected or repeated member (" + std::to_string(name.size()) + "-byte name)",
                  static_cast<int>(i));
    }
    if ((stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != ZIP_EM_NONE) {
      return Fail(ErrorCode::kBundleMemberUnexpected, name + " is encrypted", static_cast<int>(i));
    }
    auto data = ReadMember(archive, i, name);
    if (!data) {
      return Fail(data.error());
    }
    const std::size_t filled = data->size();
    total += filled;
    if (total > limits::kMaxBundleTotalBytes) {
      return Fail(ErrorCode::kBundleTooLarge, "the members decompress to more than " +
                                                  std::to_string(limits::kMaxBundleTotalBytes) +
                                                  " bytes");
    }
    members.emplace(name, std::move(*data));
  }
  for (const std::string& name : known) {
    if (members.count(name) == 0) {
      return Fail(ErrorCode::kBundleMemberMissing, "the bundle has no " + name);
    }
  }
  return members;
}

// manifest.json: an enclavectl evidence manifest whose hashes match the other members; fills
// the url, capture time, nonce and options of `evidence`.
core::Status ReadManifest(const std::map<std::string, core::Bytes>& members,
                          const std::vector<std::string>& known, Evidence& evidence) {
  // Every JSON member is untrusted: the one strict reader, then typed views.
  auto manifest_json =
      core::ParseStrictJson(core::AsChars(members.at(kManifest)), limits::kMaxBundleMemberBytes,
                            ErrorCode::kBundleMalformed, kManifest);
  if (!manifest_json) {
    return Fail(ErrorCode::kBundleMalformed, manifest_json.error().detail);
  }
  auto manifest = core::JsonObjectView::Of(*manifest_json, ErrorCode::kBundleMalformed, kManifest);
  if (!manifest) {
    return Fail(manifest.error());
  }
  auto media_type = manifest->String("mediaType");
  auto url = manifest->String("url");
  auto captured_at_ms = manifest->Uint("captured_at_ms", kMaxCapturedAtMs);
  auto nonce_hex = manifest->String("nonce");
  auto hashes = manifest->Object("members");
  auto options = manifest->OptionalObject("options");
  if (!media_type || *media_type != kEvidenceMediaType || !url || !captured_at_ms || !nonce_hex ||
      !hashes || !options) {
    return Fail(ErrorCode::kBundleMalformed,
                "manifest.json is not an enclavectl evidence manifest");
  }
  if (hashes->Value().size() != known.size() - 1) {
    return Fail(ErrorCode::kBundleInconsistent, "the manifest does not list exactly the members");
  }
  for (const std::string& name : known) {
    if (name == kManifest) {
      continue;
    }
    auto hash = hashes->OptionalString(name);
    if (!hash || !*hash || **hash != core::HexEncode(core::Sha256(members.at(name)))) {
      return Fail(ErrorCode::kBundleInconsistent, name + " differs from its manifest hash");
    }
  }
  evidence.url = std::move(*url);
  evidence.captured_at = core::UnixMillis{static_cast<std::int64_t>(*captured_at_ms)};
  auto nonce = core::HexDecode(*nonce_hex);
  if (!nonce) {
    return Fail(ErrorCode::kBundleMalformed, "the manifest's nonce is not hex");
  }
  evidence.nonce = std::move(*nonce);
  evidence.options = *options ? (*options)->Value() : nlohmann::json::object();
  return core::Ok();
}

// report.json and the three recorded HTTP exchanges into `evidence`; the bodies move out of
// `members`.
core::Status ReadReportAndExchanges(std::map<std::string, core::Bytes>& members,
                                    Evidence& evidence) {
  auto report =
      core::ParseStrictJson(core::AsChars(members.at("report.json")), limits::kMaxBundleMemberBytes,
                            ErrorCode::kBundleMalformed, "report.json");
  if (!report) {
    return Fail(ErrorCode::kBundleMalformed, report.error().detail);
  }
  evidence.report = std::move(*report);
  const std::array<HttpExchange*, 3> exchanges = {&evidence.attestation, &evidence.info,
                                                  &evidence.enclave_info};
  for (std::size_t i = 0; i < exchanges.size(); ++i) {
    const std::string base = kExchangeNames[i];
    auto record = core::ParseStrictJson(core::AsChars(members.at(base + ".json")),
                                        limits::kMaxBundleMemberBytes, ErrorCode::kBundleMalformed,
                                        base + ".json");
    if (!record) {
      return Fail(ErrorCode::kBundleMalformed, record.error().detail);
    }
    auto exchange =
        ExchangeFromJson(*record, std::move(members.at(base + ".body")), base + ".json");
    if (!exchange) {
      return Fail(exchange.error());
    }
    *exchanges[i] = std::move(*exchange);
  }
  return core::Ok();
}

}  // namespace

core::Result<std::pair<Evidence, EvidenceExtras>> ReadBundle(core::ByteView zip) {
  if (zip.size() > limits::kMaxBundleBytes) {
    return Fail(ErrorCode::kBundleTooLarge, "bundle of " + std::to_string(zip.size()) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(limits::kMaxBundleBytes));
  }
  auto archive = OpenZip(zip);
  if (!archive) {
    return Fail(archive.error());
  }
  const std::vector<std::string> known = MemberNames();
  auto members = ReadMembers(archive->get(), known);
  if (!members) {
    return Fail(members.error());
  }
  Evidence evidence;
  ENCLAVECTL_RETURN_IF_ERROR(ReadManifest(*members, known, evidence));
  ENCLAVECTL_RETURN_IF_ERROR(ReadReportAndExchanges(*members, evidence));
  EvidenceExtras extras;
  extras.document = std::move(members->at("document.cbor"));
  extras.chain_pem = std::string(core::AsChars(members->at("chain.pem")));
  return std::make_pair(std::move(evidence), std::move(extras));
}

}  // namespace enclavectl::verifier

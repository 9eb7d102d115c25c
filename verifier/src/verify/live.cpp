#include "enclavectl/verifier/live.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/signatures.hpp"

namespace enclavectl::verifier {
namespace {

using core::Bytes;
using core::Error;
using core::ErrorCode;
using nlohmann::json;

constexpr std::size_t kQuotedBodyChars = 160;
constexpr const char* kSignatureHeader = "X-Attestation-Signature";
constexpr const char* kPubkeyHeader = "X-Attestation-Pubkey";

Error Err(ErrorCode code, std::string detail) { return Error{code, std::move(detail), -1}; }

Check Pass(std::string name, std::string reason) {
  return Check{std::move(name), CheckStatus::kPass, std::move(reason), std::nullopt};
}
Check Skip(std::string name, std::string reason) {
  return Check{std::move(name), CheckStatus::kSkipped, std::move(reason), std::nullopt};
}
Check FailWith(std::string name, Error error) {
  std::string reason = error.detail;
  return Check{std::move(name), CheckStatus::kFail, std::move(reason), std::move(error)};
}

std::string Describe(const HttpExchange& exchange) { return "GET " + exchange.path; }

// A service's error body, quoted for a report: its JSON message when there is one, otherwise
// the first printable characters. Error bodies carry no secrets (enclave-http.md, the app's
// errors are codes and messages).
std::string QuoteBody(const Bytes& body) {
  const json parsed = json::parse(core::AsChars(body), nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const json& error = parsed["error"];
    return error.value("code", "") + ": " + error.value("message", "");
  }
  std::string out;
  for (const std::uint8_t c : body) {
    if (out.size() >= kQuotedBodyChars) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  return out;
}

// A JSON object body, or an error naming the exchange.
core::Result<json> ObjectBody(const HttpExchange& exchange) {
  json parsed = json::parse(core::AsChars(exchange.body), nullptr, false);
  if (!parsed.is_object()) {
    return core::Fail(ErrorCode::kLiveResponseMalformed,
                      Describe(exchange) + " did not answer a JSON object");
  }
  return parsed;
}

// The secp256k1 key in string field `field` of `object` (hex, 33 or 65 bytes), compressed.
core::Result<Bytes> KeyField(const json& object, const char* field, const HttpExchange& exchange) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_string()) {
    return core::Fail(ErrorCode::kLiveResponseMalformed,
                      Describe(exchange) + " has no \"" + field + "\" string");
  }
  auto raw = core::HexDecode(it->get<std::string>());
  if (!raw) {
    return core::Fail(ErrorCode::kLiveResponseMalformed,
                      Describe(exchange) + ": \"" + field + "\" is not hex");
  }
  auto key = CompressSecp256k1PublicKey(*raw);
  if (!key) {
    return core::Fail(ErrorCode::kLiveResponseMalformed,
                      Describe(exchange) + ": \"" + field + "\" is not a secp256k1 public key");
  }
  return key;
}

std::string StringField(const json& object, const char* field) {
  const auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Abbrev(const Bytes& key) { return core::HexEncode(key).substr(0, 16) + "..."; }

class LiveVerifier {
 public:
  LiveVerifier(const Evidence& evidence, const VerifierConfig& config,
               const LiveExpectations& expectations)
      : evidence_(evidence), config_(config), expectations_(expectations) {}

  LiveReport Run() {
    CheckRequest();
    CheckHttp();
    CheckInfo();
    CheckEnclaveInfo();
    CheckDocument();
    CheckTlsBinding();
    CheckResponseSignatures();
    Finish();
    return std::move(report_);
  }

 private:
  const HttpExchange* Exchanges(std::size_t i) const {
    const std::array<const HttpExchange*, 3> all = {&evidence_.attestation, &evidence_.info,
                                                    &evidence_.enclave_info};
    return all.at(i);
  }

  void Add(Check check) { report_.checks.push_back(std::move(check)); }

  // The recorded request must carry the recorded nonce (a bundle cannot pair a document with
  // another nonce than the one its request sent).
  void CheckRequest() {
    if (evidence_.nonce.size() != kLiveNonceBytes) {
      Add(FailWith("request", Err(ErrorCode::kBundleMalformed,
                                  "the nonce is not 20 bytes (" +
                                      std::to_string(evidence_.nonce.size()) + ")")));
      return;
    }
    const std::string expected = "/enclave/attestation?nonce=" + core::HexEncode(evidence_.nonce);
    if (evidence_.attestation.path != expected) {
      Add(FailWith("request", Err(ErrorCode::kBundleInconsistent, "the attestation request was " +
                                                                      evidence_.attestation.path +
                                                                      ", not " + expected)));
      return;
    }
    Add(Pass("request", "fresh 20-byte nonce " + core::HexEncode(evidence_.nonce)));
  }

  void CheckHttp() {
    for (std::size_t i = 0; i < 3; ++i) {
      const HttpExchange& exchange = *Exchanges(i);
      if (exchange.status != 200) {
        Add(FailWith("http",
                     Err(ErrorCode::kLiveHttpStatus, Describe(exchange) + " answered " +
                                                         std::to_string(exchange.status) + " (" +
                                                         QuoteBody(exchange.body) + ")")));
        return;
      }
    }
    Add(Pass("http", "the three requests answered 200"));
  }

  static bool Answered(const HttpExchange& exchange) { return exchange.status == 200; }

  void CheckInfo() {
    const HttpExchange& exchange = evidence_.info;
    if (!Answered(exchange)) {
      Add(Skip("info", Describe(exchange) + " did not answer 200"));
      return;
    }
    auto body = ObjectBody(exchange);
    if (!body) {
      Add(FailWith("info", body.error()));
      return;
    }
    auto key = KeyField(*body, "public_key", exchange);
    if (!key) {
      Add(FailWith("info", key.error()));
      return;
    }
    report_.claims.signing_public_key = *key;
    report_.claims.key_mode = StringField(*body, "key_mode");
    Add(Pass("info",
             "signing key " + core::HexEncode(*key) +
                 (report_.claims.key_mode.empty() ? "" : " (" + report_.claims.key_mode + ")")));
  }

  void CheckEnclaveInfo() {
    const HttpExchange& exchange = evidence_.enclave_info;
    if (!Answered(exchange)) {
      Add(Skip("enclave_info", Describe(exchange) + " did not answer 200"));
      return;
    }
    auto body = ObjectBody(exchange);
    if (!body) {
      Add(FailWith("enclave_info", body.error()));
      return;
    }
    auto key = KeyField(*body, "attestation_pubkey", exchange);
    if (!key) {
      Add(FailWith("enclave_info", key.error()));
      return;
    }
    report_.claims.attestation_public_key = *key;
    report_.claims.version = StringField(*body, "version");
    const auto dev = body->find("dev");
    report_.claims.dev = dev != body->end() && dev->is_boolean() && dev->get<bool>();
    Add(Pass("enclave_info", "response-signing key " + core::HexEncode(*key) +
                                 (report_.claims.dev ? " (the service says --dev)" : "")));
  }

  // The offline verifier on the attestation, at the recorded time, with our nonce and the keys
  // the service claims.
  void CheckDocument() {
    const HttpExchange& exchange = evidence_.attestation;
    if (!Answered(exchange)) {
      Add(Skip("document", Describe(exchange) + " did not answer 200"));
      return;
    }
    auto input = DecodeDocumentInput(exchange.body);
    if (!input) {
      Error error = input.error();
      error.detail = "the attestation body: " + error.detail;
      Add(FailWith("document", std::move(error)));
      return;
    }
    VerificationPolicy policy;
    policy.time_source = TimeSource::kGiven;
    policy.time = evidence_.captured_at;
    policy.allowed_pcr_sets = expectations_.allowed_pcr_sets;
    policy.required_pcrs = expectations_.required_pcrs;
    policy.max_age_ms = expectations_.max_age_ms;
    policy.allow_debug = expectations_.allow_debug;
    policy.nonce = evidence_.nonce;
    policy.key_binding_public_key = report_.claims.signing_public_key;
    if (report_.claims.attestation_public_key) {
      policy.app_key_hash = core::Sha256(*report_.claims.attestation_public_key);
    }
    if (auto valid = ValidatePolicy(policy); !valid) {
      Add(FailWith("document", valid.error()));
      return;
    }
    report_.document = Verify(input->cbor, config_, policy);
    for (const Check& check : report_.document.checks) {
      Check copy = check;
      if (copy.status == CheckStatus::kSkipped && copy.name == "key_binding" &&
          !report_.claims.signing_public_key) {
        copy.reason = "no signing key from GET /v1/info";
      } else if (copy.status == CheckStatus::kSkipped && copy.name == "app_key_hash" &&
                 !report_.claims.attestation_public_key) {
        copy.reason = "no attestation key from GET /v1/enclave-info";
      }
      Add(std::move(copy));
    }
  }

  // nitriding binds its HTTPS certificate: tlsKeyHash = SHA-256(DER of the leaf). When the
  // document carries one, the certificate on our connection must be that one, or something
  // other than the enclave terminated TLS.
  void CheckTlsBinding() {
    const std::optional<AttestationDocument>& doc = report_.document.document;
    if (!doc || !doc->user_data) {
      Add(Skip("tls_binding", "no nitriding user_data in the document"));
      return;
    }
    auto fields = ParseNitridingUserData(*doc->user_data);
    if (!fields) {
      Add(Skip("tls_binding", "user_data is not nitriding's layout"));
      return;
    }
    if (core::IsAllZero(fields->tls_key_hash)) {
      Add(Skip("tls_binding", "the enclave binds no TLS certificate (tlsKeyHash is zero)"));
      return;
    }
    const std::string bound = core::HexEncode(fields->tls_key_hash);
    const Bytes& certificate = evidence_.attestation.tls_certificate;
    if (certificate.empty()) {
      Add(Skip("tls_binding", "plain HTTP: the certificate the enclave binds (sha256 " +
                                  bound.substr(0, 16) + "...) was not seen"));
      return;
    }
    const std::string seen = core::HexEncode(core::Sha256(certificate));
    if (seen != bound) {
      Add(FailWith("tls_binding",
                   Err(ErrorCode::kTlsBindingMismatch,
                       "the TLS certificate on the connection (sha256 " + seen.substr(0, 16) +
                           "...) is not the one the enclave binds (" + bound.substr(0, 16) +
                           "...): something other than the enclave terminated TLS")));
      return;
    }
    Add(Pass("tls_binding",
             "the TLS certificate on the connection is the one the enclave "
             "binds (sha256 " +
                 seen.substr(0, 16) + "...)"));
  }

  // Every response (the attestation, /v1/info, /v1/enclave-info) signed by the attestation key
  // the document vouches for (BIP-340 over SHA-256(body)).
  void CheckResponseSignatures() {
    if (!report_.claims.attestation_public_key) {
      Add(Skip("response_signatures", "no attestation key from GET /v1/enclave-info"));
      return;
    }
    const std::string expected_key = core::HexEncode(*report_.claims.attestation_public_key);
    for (std::size_t i = 0; i < 3; ++i) {
      const HttpExchange& exchange = *Exchanges(i);
      const std::string_view signature = exchange.Header(kSignatureHeader);
      const std::string_view pubkey = exchange.Header(kPubkeyHeader);
      if (signature.empty() || pubkey.empty()) {
        Add(FailWith("response_signatures", Err(ErrorCode::kLiveResponseUnsigned,
                                                Describe(exchange) + " has no " + kSignatureHeader +
                                                    "/" + kPubkeyHeader + " header")));
        return;
      }
      if (!core::EqualsIgnoreCase(pubkey, expected_key)) {
        Add(FailWith("response_signatures",
                     Err(ErrorCode::kAppSignatureInvalid,
                         Describe(exchange) + " is signed by " + std::string(pubkey.substr(0, 16)) +
                             "..., not by the attestation key " +
                             Abbrev(*report_.claims.attestation_public_key))));
        return;
      }
      if (auto verified = VerifyResponseSignature(core::AsChars(exchange.body), signature, pubkey);
          !verified) {
        Add(FailWith("response_signatures",
                     Err(ErrorCode::kAppSignatureInvalid,
                         Describe(exchange) + ": the body does not match its signature (" +
                             verified.error().detail + ")")));
        return;
      }
      ++report_.responses_signed;
    }
    Add(Pass("response_signatures", "3 responses BIP-340-signed by the attestation key " +
                                        Abbrev(*report_.claims.attestation_public_key)));
  }

  // The first failure in check order decides; its class says rejected or malformed.
  void Finish() {
    for (const Check& check : report_.checks) {
      if (check.status == CheckStatus::kFail) {
        report_.error = check.error;
        break;
      }
    }
    if (!report_.error) {
      report_.verdict = Verdict::kAccepted;
    } else {
      report_.verdict = core::InfoFor(report_.error->code).exit_class == core::ExitClass::kMalformed
                            ? Verdict::kMalformed
                            : Verdict::kRejected;
    }
  }

  const Evidence& evidence_;
  const VerifierConfig& config_;
  const LiveExpectations& expectations_;
  LiveReport report_;
};

json PcrSetToJson(const PcrSet& set) {
  json out = json::object();
  for (const auto& [index, value] : set) {
    out["PCR" + std::to_string(index)] = core::HexEncode(value);
  }
  return out;
}

core::Result<PcrSet> PcrSetFromJson(const json& object) {
  if (!object.is_object()) {
    return core::Fail(ErrorCode::kBundleMalformed, "a PCR set is not an object");
  }
  auto sets = ParsePcrSets(object.dump());
  if (!sets || sets->size() != 1) {
    return core::Fail(
        ErrorCode::kBundleMalformed,
        "a recorded PCR set is malformed" + (sets ? std::string() : ": " + sets.error().detail));
  }
  return std::move(sets->front());
}

std::string Pem(const Bytes& der) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), "CERTIFICATE", "", der.data(),
                            static_cast<long>(der.size())) <= 0) {  // NOLINT(google-runtime-int)
    return {};
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return {data, static_cast<std::size_t>(len)};
}

}  // namespace

std::string_view HttpExchange::Header(std::string_view name) const noexcept {
  for (const auto& [key, value] : headers) {
    if (core::EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

json ExpectationsToJson(const LiveExpectations& expectations) {
  json sets = json::array();
  for (const PcrSet& set : expectations.allowed_pcr_sets) {
    sets.push_back(PcrSetToJson(set));
  }
  return {{"allowed_pcr_sets", std::move(sets)},
          {"required_pcrs", PcrSetToJson(expectations.required_pcrs)},
          {"max_age_ms", expectations.max_age_ms ? json(*expectations.max_age_ms) : json(nullptr)},
          {"allow_debug", expectations.allow_debug}};
}

core::Result<LiveExpectations> ExpectationsFromJson(const json& object) {
  if (!object.is_object()) {
    return core::Fail(ErrorCode::kBundleMalformed, "the recorded expectations are not an object");
  }
  LiveExpectations out;
  const json sets = object.value("allowed_pcr_sets", json::array());
  if (!sets.is_array()) {
    return core::Fail(ErrorCode::kBundleMalformed, "allowed_pcr_sets is not an array");
  }
  for (const json& set : sets) {
    auto parsed = PcrSetFromJson(set);
    if (!parsed) {
      return core::Fail(parsed.error());
    }
    out.allowed_pcr_sets.push_back(std::move(*parsed));
  }
  const json required = object.value("required_pcrs", json::object());
  if (!required.empty()) {
    auto parsed = PcrSetFromJson(required);
    if (!parsed) {
      return core::Fail(parsed.error());
    }
    out.required_pcrs = std::move(*parsed);
  }
  const json age = object.value("max_age_ms", json());
  if (age.is_number_integer() && age.get<std::int64_t>() > 0) {
    out.max_age_ms = age.get<std::int64_t>();
  } else if (!age.is_null()) {
    return core::Fail(ErrorCode::kBundleMalformed, "max_age_ms is not a positive integer");
  }
  const json debug = object.value("allow_debug", json(false));
  if (!debug.is_boolean()) {
    return core::Fail(ErrorCode::kBundleMalformed, "allow_debug is not a boolean");
  }
  out.allow_debug = debug.get<bool>();
  return out;
}

LiveReport VerifyEvidence(const Evidence& evidence, const VerifierConfig& config,
                          const LiveExpectations& expectations) {
  return LiveVerifier(evidence, config, expectations).Run();
}

json LiveReportToJson(const LiveReport& report, const Evidence& evidence) {
  const auto key = [](const std::optional<Bytes>& value) {
    return value ? json(core::HexEncode(*value)) : json(nullptr);
  };
  json out;
  out["mediaType"] = kLiveMediaType;
  out["url"] = evidence.url;
  out["verdict"] = VerdictName(report.verdict);
  out["error"] = report.error ? ErrorToJson(*report.error) : json(nullptr);
  out["captured_at"] = {{"unix_ms", evidence.captured_at.value},
                        {"rfc3339", core::FormatRfc3339(evidence.captured_at)}};
  out["nonce"] = core::HexEncode(evidence.nonce);
  out["checks"] = ChecksToJson(report.checks);
  out["claims"] = {{"signing_public_key", key(report.claims.signing_public_key)},
                   {"attestation_public_key", key(report.claims.attestation_public_key)},
                   {"key_mode", report.claims.key_mode},
                   {"version", report.claims.version},
                   {"dev", report.claims.dev}};
  out["responses_signed"] = report.responses_signed;
  out["options"] = evidence.options;
  out["document"] = report.document.input_size > 0 ? ReportToJson(report.document) : json(nullptr);
  return out;
}

EvidenceExtras ExtrasFor(const LiveReport& report, const Evidence& evidence) {
  EvidenceExtras extras;
  auto input = DecodeDocumentInput(evidence.attestation.body);
  if (input) {
    extras.document = std::move(input->cbor);
  }
  if (report.document.document) {
    for (const Bytes& der : report.document.document->cabundle) {
      extras.chain_pem += Pem(der);
    }
    extras.chain_pem += Pem(report.document.document->certificate);
  }
  return extras;
}

core::Status CheckExtras(const LiveReport& report, const Evidence& evidence,
                         const EvidenceExtras& extras) {
  const EvidenceExtras expected = ExtrasFor(report, evidence);
  if (expected.document != extras.document) {
    return core::Fail(ErrorCode::kBundleInconsistent,
                      "document.cbor is not the document of attestation.body");
  }
  if (expected.chain_pem != extras.chain_pem) {
    return core::Fail(ErrorCode::kBundleInconsistent,
                      "chain.pem is not the certificate chain of the document");
  }
  return {};
}

}  // namespace enclavectl::verifier

#include "enclavectl/verifier/live.hpp"

#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/lineage.hpp"
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

// Every JSON a service answers is untrusted: parsed by the one strict reader and read through
// typed views (core/json.hpp); nothing here can throw on a value of an unexpected type.
constexpr std::size_t kMaxLiveJsonBytes = core::limits::kMaxBundleMemberBytes;

// One member of a service's error object for a report: a string (cut) or a number; anything
// else named by its type.
std::string QuoteMember(const json* value) {
  if (value == nullptr) {
    return "?";
  }
  if (value->is_string()) {
    return core::SafeExcerpt(value->get_ref<const std::string&>(), kQuotedBodyChars);
  }
  if (value->is_number()) {
    return core::DumpJson(*value);
  }
  return std::string("(") + core::JsonTypeName(*value) + ")";
}

// A service's error body, quoted for a report: its JSON error code and message when there are
// some, otherwise the first printable characters. Error bodies carry no secrets
// (enclave-http.md, the app's errors are codes and messages).
std::string QuoteBody(const Bytes& body) {
  auto parsed = core::ParseStrictJson(core::AsChars(body), kMaxLiveJsonBytes,
                                      ErrorCode::kLiveResponseMalformed, "error body");
  if (parsed) {
    auto object = core::JsonObjectView::Of(*parsed, ErrorCode::kLiveResponseMalformed, "body");
    if (object) {
      if (const json* error = object->Find("error"); error != nullptr && error->is_object()) {
        auto view = core::JsonObjectView::Of(*error, ErrorCode::kLiveResponseMalformed, "error");
        if (view) {
          return QuoteMember(view->Find("code")) + ": " + QuoteMember(view->Find("message"));
        }
      }
    }
  }
  return core::SafeExcerpt(core::AsChars(body), kQuotedBodyChars);
}

// A JSON object body, or an error (kLiveResponseMalformed) naming the exchange.
core::Result<json> ObjectBody(const HttpExchange& exchange) {
  auto parsed = core::ParseStrictJson(core::AsChars(exchange.body), kMaxLiveJsonBytes,
                                      ErrorCode::kLiveResponseMalformed, Describe(exchange));
  if (!parsed || !parsed->is_object()) {
    return core::Fail(ErrorCode::kLiveResponseMalformed,
                      Describe(exchange) + " did not answer a JSON object" +
                          (parsed ? std::string() : " (" + parsed.error().detail + ")"));
  }
  return parsed;
}

// A view of an object body whose accessors fail with kLiveResponseMalformed.
core::JsonObjectView View(const json& body, const HttpExchange& exchange) {
  auto view = core::JsonObjectView::Of(body, ErrorCode::kLiveResponseMalformed, Describe(exchange));
  return *view;  // ObjectBody checked that it is an object
}

// The secp256k1 key in string field `field` of `object` (hex, 33 or 65 bytes), compressed.
core::Result<Bytes> KeyField(const core::JsonObjectView& object, const char* field,
                             const HttpExchange& exchange) {
  auto text = object.String(field);
  if (!text) {
    return core::Fail(text.error());
  }
  auto raw = core::HexDecode(*text);
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

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// What /v1/info says beyond its signing key: key_mode, kms_key_arn, blockhash, key_policy.
// A member of the wrong type is an error, never a silent default.
core::Status ReadInfoClaims(const core::JsonObjectView& info, const HttpExchange& exchange,
                            ServiceClaims& claims) {
  auto key_mode = info.OptionalString("key_mode");
  if (!key_mode) {
    return core::Fail(key_mode.error());
  }
  auto arn = info.OptionalString("kms_key_arn");
  if (!arn) {
    return core::Fail(arn.error());
  }
  auto blockhash = info.OptionalString("blockhash");
  if (!blockhash) {
    return core::Fail(blockhash.error());
  }
  auto policy = info.OptionalObject("key_policy");
  if (!policy) {
    return core::Fail(policy.error());
  }
  ServiceClaims out = claims;
  if (*blockhash) {
    std::string lower = **blockhash;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.size() != 64 || !IsLowerHex(lower)) {
      return core::Fail(ErrorCode::kLiveResponseMalformed,
                        Describe(exchange) + ": \"blockhash\" is not 64 hex digits");
    }
    out.blockhash_hex = std::move(lower);
  }
  if (*policy) {
    const core::JsonObjectView& view = **policy;
    ServiceClaims::KeyPolicy claimed;
    auto checked = view.Bool("checked");
    if (!checked) {
      return core::Fail(checked.error());
    }
    auto sha256 = view.OptionalString("sha256");
    if (!sha256) {
      return core::Fail(sha256.error());
    }
    auto enclave_only = view.Bool("enclave_only");
    if (!enclave_only) {
      return core::Fail(enclave_only.error());
    }
    auto locked = view.Bool("locked");
    if (!locked) {
      return core::Fail(locked.error());
    }
    out.key_policy = ServiceClaims::KeyPolicy{*checked, std::move(*sha256), *enclave_only, *locked};
  }
  out.key_mode = key_mode->value_or("");
  out.kms_key_arn = std::move(*arn);
  claims = std::move(out);
  return core::Ok();
}

std::string Abbrev(const Bytes& key) { return core::HexEncode(key).substr(0, 16) + "..."; }

// The first failure in check order decides; its class says rejected or malformed.
void FinishReport(LiveReport& report) {
  report.error.reset();
  for (const Check& check : report.checks) {
    if (check.status == CheckStatus::kFail) {
      report.error = check.error;
      break;
    }
  }
  if (!report.error) {
    report.verdict = Verdict::kAccepted;
  } else {
    report.verdict = core::InfoFor(report.error->code).exit_class == core::ExitClass::kMalformed
                         ? Verdict::kMalformed
                         : Verdict::kRejected;
  }
}

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
    CheckKmsKey();
    CheckBlockhash();
    CheckPreviousPcr0Claim();
    CheckMigrationStatus();
    CheckMigration();
    CheckRetired();
    report_.image_checked = expectations_.HasImageExpectation();
    Finish();
    return std::move(report_);
  }

 private:
  const HttpExchange* Exchanges(std::size_t i) const {
    const std::array<const HttpExchange*, 4> all = {
        &evidence_.attestation, &evidence_.info, &evidence_.enclave_info,
        evidence_.migration_status ? &*evidence_.migration_status : nullptr};
    return all.at(i);
  }
  // 3, or 4 with GET /v1/migration-status.
  std::size_t ExchangeCount() const { return evidence_.migration_status ? 4 : 3; }

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
    for (std::size_t i = 0; i < ExchangeCount(); ++i) {
      const HttpExchange& exchange = *Exchanges(i);
      if (exchange.status != 200) {
        Add(FailWith("http",
                     Err(ErrorCode::kLiveHttpStatus, Describe(exchange) + " answered " +
                                                         std::to_string(exchange.status) + " (" +
                                                         QuoteBody(exchange.body) + ")")));
        return;
      }
    }
    Add(Pass("http", ExchangeCount() == 3 ? std::string("the three requests answered 200")
                                          : std::string("the four requests answered 200")));
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
    const core::JsonObjectView info = View(*body, exchange);
    auto key = KeyField(info, "public_key", exchange);
    if (!key) {
      Add(FailWith("info", key.error()));
      return;
    }
    // Introspector's name for the same key (its Go client binds PCR16 to it): when present it
    // must be that key, or a client reading it would bind another one.
    if (const json* signer = info.Find("signerPubkey"); signer != nullptr) {
      auto other = KeyField(info, "signerPubkey", exchange);
      if (!other || *other != *key) {
        Add(FailWith("info", Err(ErrorCode::kLiveResponseMalformed,
                                 Describe(exchange) +
                                     ": \"signerPubkey\" is not the public_key it serves")));
        return;
      }
    }
    if (auto claims = ReadInfoClaims(info, exchange, report_.claims); !claims) {
      Add(FailWith("info", claims.error()));
      return;
    }
    report_.claims.signing_public_key = *key;
    Add(Pass("info",
             "signing key " + core::HexEncode(*key) +
                 (report_.claims.key_mode.empty() ? "" : " (" + report_.claims.key_mode + ")") +
                 (report_.claims.kms_key_arn ? ", KMS key " + *report_.claims.kms_key_arn : "")));
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
    const core::JsonObjectView info = View(*body, exchange);
    auto key = KeyField(info, "attestation_pubkey", exchange);
    if (!key) {
      Add(FailWith("enclave_info", key.error()));
      return;
    }
    auto version = info.OptionalString("version");
    if (!version) {
      Add(FailWith("enclave_info", version.error()));
      return;
    }
    auto dev = info.OptionalBool("dev");
    if (!dev) {
      Add(FailWith("enclave_info", dev.error()));
      return;
    }
    auto previous = info.OptionalString("previous_pcr0");
    if (!previous) {
      Add(FailWith("enclave_info", previous.error()));
      return;
    }
    // The Introspector members as the Go client decodes them, and ours about migration,
    // checked for form (a hostile server's PCR0 is 96 hex digits or it is refused).
    auto introspector = DecodeIntrospectorEnclaveInfo(core::AsChars(exchange.body));
    if (!introspector) {
      Add(FailWith("enclave_info", introspector.error()));
      return;
    }
    if (auto valid = CheckEnclaveInfoMigration(*introspector); !valid) {
      Add(FailWith("enclave_info", valid.error()));
      return;
    }
    report_.claims.maintainer_pubkey = introspector->maintainer_pubkey;
    report_.claims.migrated_to_pcr0 = Lower(introspector->migrated_to_pcr0);
    report_.claims.migrated_from_pcr0 = Lower(introspector->migrated_from_pcr0);
    report_.claims.key_origin = introspector->key_origin;
    report_.claims.key_origin_provable = introspector->key_origin_provable;
    report_.claims.previous_pcr0 = *previous;
    report_.claims.attestation_public_key = *key;
    report_.claims.version = version->value_or("");
    report_.claims.dev = dev->value_or(false);
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
      // Over HTTPS a zero tlsKeyHash means nothing binds the session to the enclave: a failure
      // unless asked for by name (the bodies are still covered by their signatures).
      if (!evidence_.attestation.tls_certificate.empty() && !expectations_.allow_unbound_tls) {
        Add(FailWith("tls_binding",
                     Err(ErrorCode::kTlsKeyHashZero,
                         "served over HTTPS, but the document's tlsKeyHash is zero: the TLS "
                         "session is not bound to the enclave (--insecure-allow-unbound-tls "
                         "accepts that)")));
        return;
      }
      Add(Skip("tls_binding",
               evidence_.attestation.tls_certificate.empty()
                   ? "the enclave binds no TLS certificate (tlsKeyHash is zero)"
                   : "INSECURE (--insecure-allow-unbound-tls): served over HTTPS with a zero "
                     "tlsKeyHash; the TLS session is not bound to the enclave"));
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
    for (std::size_t i = 0; i < ExchangeCount(); ++i) {
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
      // The exchange signature, when the service sends one, binds the body to this exchange:
      // our own method, path and nonce, and the status we received.
      const std::string_view exchange_signature = exchange.Header(kExchangeSignatureHeader);
      if (exchange_signature.empty()) {
        continue;
      }
      const std::string_view path =
          std::string_view(exchange.path)
              .substr(0, std::min(exchange.path.find('?'), exchange.path.size()));
      const std::string nonce = i == 0 ? core::HexEncode(evidence_.nonce) : std::string();
      const unsigned status = exchange.status < 0 || exchange.status > 999
                                  ? 0U
                                  : static_cast<unsigned>(exchange.status);
      if (auto verified =
              VerifyExchangeSignature(exchange.method, path, status, nonce,
                                      core::AsChars(exchange.body), exchange_signature, pubkey);
          !verified) {
        Add(FailWith("response_signatures",
                     Err(ErrorCode::kAppSignatureInvalid,
                         Describe(exchange) + ": its " + std::string(kExchangeSignatureHeader) +
                             " is not for this exchange (method, path, status, nonce, body): " +
                             verified.error().detail)));
        return;
      }
      ++report_.exchange_signatures;
    }
    Add(Pass("response_signatures",
             std::to_string(ExchangeCount()) + " responses BIP-340-signed by the attestation key " +
                 Abbrev(*report_.claims.attestation_public_key) + "; " +
                 std::to_string(report_.exchange_signatures) + " exchange signature" +
                 (report_.exchange_signatures == 1 ? "" : "s") +
                 " (method, path, status, nonce) checked"));
  }

  // /v1/info kms_key_arn against --expect-kms-key. The claim is covered by the response
  // signature (checked before) under the key the document vouches for.
  void CheckKmsKey() {
    if (!expectations_.kms_key_arn) {
      Add(Skip("kms_key", report_.claims.kms_key_arn ? "no KMS key expected; the service names " +
                                                           *report_.claims.kms_key_arn
                                                     : "no KMS key expected"));
      return;
    }
    if (!report_.claims.kms_key_arn) {
      Add(FailWith("kms_key",
                   Err(ErrorCode::kKmsKeyMismatch, "GET /v1/info names no kms_key_arn; expected " +
                                                       *expectations_.kms_key_arn)));
      return;
    }
    if (*report_.claims.kms_key_arn != *expectations_.kms_key_arn) {
      Add(FailWith("kms_key", Err(ErrorCode::kKmsKeyMismatch,
                                  "the service's key comes from " +
                                      core::SafeExcerpt(*report_.claims.kms_key_arn, 200) +
                                      ", not from " + *expectations_.kms_key_arn)));
      return;
    }
    Add(Pass("kms_key", "the signing key comes from " + *expectations_.kms_key_arn));
  }

  // /v1/info blockhash against --expect-blockhash.
  void CheckBlockhash() {
    if (!expectations_.blockhash_hex) {
      Add(Skip("blockhash", "no blockhash expected"));
      return;
    }
    if (!report_.claims.blockhash_hex) {
      Add(FailWith("blockhash", Err(ErrorCode::kBlockhashMismatch,
                                    "GET /v1/info carries no blockhash; expected " +
                                        *expectations_.blockhash_hex)));
      return;
    }
    if (*report_.claims.blockhash_hex != *expectations_.blockhash_hex) {
      Add(FailWith("blockhash", Err(ErrorCode::kBlockhashMismatch,
                                    "the service's blockhash is " + *report_.claims.blockhash_hex +
                                        ", not " + *expectations_.blockhash_hex)));
      return;
    }
    Add(Pass("blockhash", "blockhash " + *expectations_.blockhash_hex));
  }

  // /v1/enclave-info previous_pcr0 (the measured image config, in a signed response) against
  // --expect-previous-pcr0.
  void CheckPreviousPcr0Claim() {
    const std::optional<std::string>& claimed = report_.claims.previous_pcr0;
    if (!expectations_.previous_pcr0) {
      Add(Skip("previous_pcr0", claimed ? "no previous PCR0 expected; the service names " +
                                              core::SafeExcerpt(*claimed, 100)
                                        : "no previous PCR0 expected"));
      return;
    }
    if (auto ok = CheckPreviousPcr0(claimed.value_or(""), *expectations_.previous_pcr0); !ok) {
      Add(FailWith("previous_pcr0", ok.error()));
      return;
    }
    Add(Pass("previous_pcr0", "the image replaces PCR0 " + *expectations_.previous_pcr0));
  }

  // The attested PCR0 (lower-case hex), when the document decoded.
  std::string AttestedPcr0() const {
    const std::optional<AttestationDocument>& doc = report_.document.document;
    if (!doc) {
      return {};
    }
    const auto it = doc->pcrs.find(0);
    return it == doc->pcrs.end() ? std::string() : core::HexEncode(it->second);
  }

  // GET /v1/migration-status (Go's decoding, then the form of every member).
  void CheckMigrationStatus() {
    if (!evidence_.migration_status) {
      Add(Skip("migration_status", "not asked for (verify --check-migration)"));
      return;
    }
    const HttpExchange& exchange = *evidence_.migration_status;
    if (!Answered(exchange)) {
      Add(Skip("migration_status", Describe(exchange) + " did not answer 200"));
      return;
    }
    auto status = DecodeMigrationStatus(core::AsChars(exchange.body));
    if (!status) {
      Add(FailWith("migration_status", status.error()));
      return;
    }
    if (auto valid = verifier::CheckMigrationStatus(*status); !valid) {
      Add(FailWith("migration_status", valid.error()));
      return;
    }
    if (status->state) {
      status->state->target_pcr0 = Lower(status->state->target_pcr0);
      status->state->source_pcr0 = Lower(status->state->source_pcr0);
      status->state->previous_pcr0 = Lower(status->state->previous_pcr0);
    }
    report_.migration = std::move(*status);
    Add(Pass("migration_status",
             report_.migration->state
                 ? "a migration to PCR0 " + report_.migration->state->target_pcr0.substr(0, 16) +
                       "..." +
                       (report_.migration->state->completed_at != 0 ? " (completed)" : " (pending)")
                 : std::string("no migration pending")));
  }

  // The migration members against each other and against what the document attests.
  void CheckMigration() {
    const ServiceClaims& claims = report_.claims;
    const std::string pcr0 = AttestedPcr0();
    const std::string previous = Lower(claims.previous_pcr0.value_or(""));
    const auto inconsistent = [this](std::string detail) {
      Add(FailWith("migration", Err(ErrorCode::kMigrationInconsistent, std::move(detail))));
    };
    if (!pcr0.empty() && claims.migrated_to_pcr0 == pcr0) {
      inconsistent("the enclave says it migrated its key to its own PCR0");
      return;
    }
    if (!pcr0.empty() && claims.migrated_from_pcr0 == pcr0) {
      inconsistent("the enclave says its key came from its own PCR0");
      return;
    }
    if (!claims.migrated_from_pcr0.empty() && !previous.empty() &&
        claims.migrated_from_pcr0 != previous) {
      inconsistent("the key came by migration from PCR0 " +
                   claims.migrated_from_pcr0.substr(0, 16) +
                   "..., not from the image this one names as its predecessor (previous_pcr0 " +
                   core::SafeExcerpt(previous, 16) + "...)");
      return;
    }
    const std::optional<MigrationState> state =
        report_.migration ? report_.migration->state : std::nullopt;
    if (state) {
      if (!pcr0.empty() && IsPcr0HexText(state->source_pcr0) && state->source_pcr0 != pcr0) {
        inconsistent("the migration state's source_pcr0 " + state->source_pcr0.substr(0, 16) +
                     "... is not this enclave's attested PCR0 " + pcr0.substr(0, 16) + "...");
        return;
      }
      if (!state->previous_pcr0.empty() && !previous.empty() && state->previous_pcr0 != previous) {
        inconsistent("the migration state's previous_pcr0 is not the enclave's previous_pcr0");
        return;
      }
      if (!claims.migrated_to_pcr0.empty() &&
          (state->target_pcr0 != claims.migrated_to_pcr0 || state->completed_at == 0)) {
        inconsistent("the enclave says it migrated to PCR0 " +
                     claims.migrated_to_pcr0.substr(0, 16) + "..., but its migration state is " +
                     (state->completed_at == 0 ? "still pending" : "for another PCR0"));
        return;
      }
      if (claims.migrated_to_pcr0.empty() && state->completed_at != 0) {
        inconsistent("the migration to PCR0 " + state->target_pcr0.substr(0, 16) +
                     "... is completed but the enclave does not say migrated_to_pcr0: it would "
                     "still sign with a key that has moved (two signers)");
        return;
      }
    }
    if (!report_.migration && claims.migrated_to_pcr0.empty() &&
        claims.migrated_from_pcr0.empty()) {
      Add(Skip("migration", "no migration status fetched and no migration members"));
      return;
    }
    Add(Pass("migration", "the migration members agree with each other and the document"));
  }

  // migrated_to_pcr0: the key has moved and the enclave no longer signs.
  void CheckRetired() {
    const std::string& to = report_.claims.migrated_to_pcr0;
    if (to.empty()) {
      Add(Pass("retired", "not retired (no migrated_to_pcr0)"));
      return;
    }
    if (!expectations_.allow_retired) {
      Add(FailWith("retired",
                   Err(ErrorCode::kEnclaveRetired,
                       "the enclave is RETIRED: it handed its key to PCR0 " + to.substr(0, 16) +
                           "... and no longer signs; verify that image instead")));
      return;
    }
    Add(Pass("retired", "RETIRED: its key moved to PCR0 " + to + "; it no longer signs"));
  }

  void Finish() { FinishReport(report_); }

  const Evidence& evidence_;
  const VerifierConfig& config_;
  const LiveExpectations& expectations_;
  LiveReport report_;
};

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

void LiveReport::AddCheck(Check check) {
  checks.push_back(std::move(check));
  FinishReport(*this);
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
  out["media_type"] = kLiveMediaType;
  out["url"] = evidence.url;
  out["verdict"] = std::string(VerdictName(report.verdict));
  out["error"] = report.error ? ErrorToJson(*report.error) : json(nullptr);
  out["captured_at"] = {{"unix_ms", evidence.captured_at.value},
                        {"rfc3339", core::FormatRfc3339(evidence.captured_at)}};
  out["nonce"] = core::HexEncode(evidence.nonce);
  out["checks"] = ChecksToJson(report.checks);
  const auto text = [](const std::optional<std::string>& value) {
    return value ? json(*value) : json(nullptr);
  };
  const auto nonempty = [](const std::string& value) {
    return value.empty() ? json(nullptr) : json(value);
  };
  json key_policy = nullptr;
  if (report.claims.key_policy) {
    key_policy = {{"checked", report.claims.key_policy->checked},
                  {"sha256", text(report.claims.key_policy->sha256_hex)},
                  {"enclave_only", report.claims.key_policy->enclave_only},
                  {"locked", report.claims.key_policy->locked}};
  }
  out["claims"] = {{"signing_public_key", key(report.claims.signing_public_key)},
                   {"attestation_public_key", key(report.claims.attestation_public_key)},
                   {"key_mode", report.claims.key_mode},
                   {"version", report.claims.version},
                   {"dev", report.claims.dev},
                   {"kms_key_arn", text(report.claims.kms_key_arn)},
                   {"blockhash", text(report.claims.blockhash_hex)},
                   {"previous_pcr0", text(report.claims.previous_pcr0)},
                   {"key_policy", std::move(key_policy)},
                   {"maintainer_pubkey", nonempty(report.claims.maintainer_pubkey)},
                   {"migrated_to_pcr0", nonempty(report.claims.migrated_to_pcr0)},
                   {"migrated_from_pcr0", nonempty(report.claims.migrated_from_pcr0)},
                   {"key_origin", nonempty(report.claims.key_origin)},
                   {"key_origin_provable", report.claims.key_origin_provable
                                               ? json(*report.claims.key_origin_provable)
                                               : json(nullptr)}};
  out["retired"] = !report.claims.migrated_to_pcr0.empty();
  if (evidence.migration_status) {
    json migration = nullptr;
    if (report.migration) {
      migration = {{"words", MigrationStateWords(report, evidence.captured_at)},
                   {"cooldown_expired", report.migration->cooldown_expired},
                   {"state", nullptr}};
      if (const auto& s = report.migration->state) {
        const auto when = [](std::int64_t seconds) {
          return seconds == 0 ? json(nullptr)
                              : json(core::FormatRfc3339(core::UnixMillis{seconds * 1000}));
        };
        migration["state"] = {
            {"target_pcr0", s->target_pcr0},
            {"v2_kms_key_id", nonempty(s->v2_kms_key_id)},
            {"initiated_at", s->initiated_at},
            {"initiated_rfc3339", when(s->initiated_at)},
            {"completed_at", s->completed_at == 0 ? json(nullptr) : json(s->completed_at)},
            {"completed_rfc3339", when(s->completed_at)},
            {"source_pcr0", nonempty(s->source_pcr0)},
            {"previous_pcr0", nonempty(s->previous_pcr0)},
            {"activation_time", s->activation_time == 0 ? json(nullptr) : json(s->activation_time)},
            {"activation_rfc3339", when(s->activation_time)},
            {"completed", s->completed_at != 0}};
      }
    }
    out["migration"] = std::move(migration);
  }
  out["responses_signed"] = report.responses_signed;
  out["exchange_signatures"] = report.exchange_signatures;
  out["image_checked"] = report.image_checked;
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

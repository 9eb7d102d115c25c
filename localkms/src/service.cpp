#include "enclavectl/localkms/service.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <variant>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/aws/arn.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::localkms {
namespace {

using core::ErrorCode;

constexpr std::int64_t kDayMs = std::int64_t{24} * 60 * 60 * 1000;
// KMS's key policy quota (kms.md 8.2).
constexpr std::size_t kPolicyQuotaBytes = 32768;
constexpr std::uint32_t kDefaultListLimit = 50;
constexpr std::uint32_t kMaxListLimit = 100;

// A KMS error answer (kms.md 1.1).
struct Fault {
  std::string type;
  std::string message;
  unsigned status = 400;
  bool capital_message = false;  // "Message": AccessDeniedException
};

Fault MakeFault(std::string type, std::string message) {
  return Fault{std::move(type), std::move(message), 400, false};
}

// A decoder's error as KMS's front end answers it.
Fault FromDecodeError(const core::Error& error) {
  if (error.code == ErrorCode::kKmsValidation) {
    return MakeFault("ValidationException", error.detail);
  }
  return MakeFault("SerializationException", error.detail);
}

double EpochSeconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// What a request's Recipient turned out to be (kms.md 5.1).
struct RecipientCheck {
  bool present = false;
  std::optional<verifier::VerifiedDocument> verified;  // set when a root accepted it
  core::EvpPkeyPtr key;                                // the document's RSA public key
  core::Bytes spki;
  std::string note;  // why the document is not trusted, for the log
};

// One operation's answer: a body or a fault.
struct Answer {
  std::optional<Fault> fault;
  std::string body;
};

Answer Ok(std::string body) { return Answer{std::nullopt, std::move(body)}; }
Answer Ok(core::SecretBytes body) {
  return Answer{std::nullopt, std::string(core::AsChars(body.View()))};
}
Answer Error(Fault fault) { return Answer{std::move(fault), {}}; }

std::string Header(const IncomingRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

}  // namespace

struct LocalKms::Impl {
  Impl(ServiceOptions options_in, KeyStore store_in, StatePersister& persister_in,
       const core::io::Clock& clock_in)
      : options(std::move(options_in)),
        store(std::move(store_in)),
        persister(persister_in),
        clock(clock_in) {}

  ServiceOptions options;
  KeyStore store;
  StatePersister& persister;
  const core::io::Clock& clock;
  mutable std::mutex mutex;

  const ServiceConfig& Config() const { return options.config; }
  std::string ArnOf(std::string_view key_id) const { return KeyArn(Config(), key_id); }
  std::string AliasArn(std::string_view alias) const {
    return "arn:aws:kms:" + Config().region + ":" + Config().account_id + ":" + std::string(alias);
  }
  std::int64_t NowMs() const { return clock.Now().value; }

  // ---- authentication (sigv4.md section 8) ----

  // The principal of a correctly signed request, or the fault AWS answers.
  std::variant<std::string, Fault> Authenticate(const IncomingRequest& request) {
    const std::string authorization = Header(request, "authorization");
    if (authorization.empty()) {
      return MakeFault("MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    auto auth = aws::ParseAuthorization(authorization);
    if (!auth) {
      return MakeFault("IncompleteSignatureException", auth.error().detail);
    }
    const std::string amz_date = Header(request, "x-amz-date");
    auto time = aws::ParseAmzDate(amz_date);
    if (!time) {
      return MakeFault("IncompleteSignatureException",
                       "Authorization header requires existence of either a 'X-Amz-Date' or a "
                       "'Date' header.");
    }
    if (auth->date != amz_date.substr(0, 8)) {
      return MakeFault("InvalidSignatureException",
                       "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                       "date from HTTP: '" +
                           auth->date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date +
                           "'.");
    }
    if (auth->service != "kms" || auth->terminator != "aws4_request") {
      return MakeFault("InvalidSignatureException",
                       "Credential should be scoped to correct service: 'kms'. ");
    }
    if (auth->region != Config().region) {
      return MakeFault("InvalidSignatureException",
                       "Credential should be scoped to a valid region. This local KMS serves " +
                           Config().region + ".");
    }
    // Headers that must be signed (sigv4.md 2, server rule); the session token may come
    // unsigned (the suite's post-sts-header-after variant).
    const auto is_signed = [&auth](std::string_view name) {
      return std::find(auth->signed_headers.begin(), auth->signed_headers.end(), name) !=
             auth->signed_headers.end();
    };
    for (const char* name : {"host", "x-amz-date", "x-amz-target", "content-type"}) {
      if (!is_signed(name)) {
        return MakeFault(
            "InvalidSignatureException",
            std::string("'") + name + "' must be a 'SignedHeader' in the AWS Authorization.");
      }
    }
    if (!Header(request, "x-amz-content-sha256").empty() && !is_signed("x-amz-content-sha256")) {
      return MakeFault("InvalidSignatureException",
                       "'x-amz-content-sha256' must be a 'SignedHeader' in the AWS Authorization.");
    }
    const AccessKey* key = FindAccessKey(auth->access_key_id);
    if (key == nullptr) {
      return MakeFault("UnrecognizedClientException",
                       "The security token included in the request is invalid.");
    }
    // Clock skew (sigv4.md 8.3).
    const std::int64_t now = NowMs();
    if (time->value < now - options.max_clock_skew_ms) {
      return MakeFault("InvalidSignatureException",
                       "Signature expired: " + amz_date + " is now earlier than " +
                           aws::AmzDate(core::UnixMillis{now - options.max_clock_skew_ms}) + " (" +
                           aws::AmzDate(core::UnixMillis{now}) + " - 5 min.)");
    }
    if (time->value > now + options.max_clock_skew_ms) {
      return MakeFault("InvalidSignatureException",
                       "Signature not yet current: " + amz_date + " is still later than " +
                           aws::AmzDate(core::UnixMillis{now + options.max_clock_skew_ms}) + " (" +
                           aws::AmzDate(core::UnixMillis{now}) + " + 5 min.)");
    }
    const std::string content_sha = Header(request, "x-amz-content-sha256");
    if (!content_sha.empty() &&
        content_sha != core::HexEncode(core::Sha256(core::AsBytes(request.body)))) {
      return MakeFault("InvalidSignatureException",
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.");
    }
    aws::SigningRequest received;
    received.method = request.method;
    received.path = request.path;
    received.query = request.query;
    received.payload = core::AsBytes(request.body);
    for (const auto& [name, value] : request.headers) {
      received.headers.push_back(aws::HttpHeader{name, value});
    }
    auto parts = aws::RecomputeSignature(received, *auth, key->secret_access_key, *time);
    if (!parts) {
      return MakeFault("IncompleteSignatureException", parts.error().detail);
    }
    if (!core::ConstantTimeEqual(core::AsBytes(parts->signature), core::AsBytes(auth->signature))) {
      return MakeFault("InvalidSignatureException",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method. Consult "
                       "the service documentation for details.");
    }
    // Session tokens: required and equal when configured, refused otherwise.
    const std::string token = Header(request, "x-amz-security-token");
    if (key->session_token.empty() != token.empty() ||
        (!token.empty() &&
         !core::ConstantTimeEqual(key->session_token.View(), core::AsBytes(token)))) {
      return MakeFault("UnrecognizedClientException",
                       "The security token included in the request is invalid.");
    }
    return key->principal;
  }

  const AccessKey* FindAccessKey(std::string_view id) {
    const auto find = [this, id]() -> const AccessKey* {
      for (const AccessKey& key : options.config.access_keys) {
        if (key.access_key_id == id) {
          return &key;
        }
      }
      return nullptr;
    };
    const AccessKey* key = find();
    if (key == nullptr && options.reload_config) {
      if (auto reloaded = options.reload_config(); reloaded &&
                                                   reloaded->account_id == Config().account_id &&
                                                   reloaded->region == Config().region) {
        options.config.access_keys = std::move(reloaded->access_keys);
        key = find();
      }
    }
    return key;
  }

  // ---- keys ----

  // The key a KeyId member names (kms.md 2): key id, key ARN, alias name or alias ARN.
  KeyRecord* Resolve(std::string_view text, Fault& fault, bool allow_alias = true) {
    std::string key_id;
    if (text.rfind("arn:", 0) == 0) {
      const std::optional<aws::Arn> arn = aws::ParseArn(text);
      if (!arn || arn->service != "kms") {
        fault = MakeFault("InvalidArnException", "Invalid arn " + core::SafeExcerpt(text, 128));
        return nullptr;
      }
      if (arn->region != Config().region || arn->account != Config().account_id) {
        fault =
            MakeFault("NotFoundException", "Key '" + core::SafeExcerpt(text, 256) + "' does not exist");
        return nullptr;
      }
      if (arn->resource.rfind("key/", 0) == 0) {
        key_id = arn->resource.substr(4);
      } else if (arn->resource.rfind("alias/", 0) == 0 && allow_alias) {
        return ResolveAlias(arn->resource, fault);
      } else {
        fault = MakeFault("InvalidArnException", "Invalid arn " + core::SafeExcerpt(text, 128));
        return nullptr;
      }
    } else if (text.rfind("alias/", 0) == 0 && allow_alias) {
      return ResolveAlias(text, fault);
    } else {
      key_id = std::string(text);
    }
    if (!IsKeyIdFormat(key_id)) {
      fault = MakeFault("NotFoundException", "Invalid keyId '" + core::SafeExcerpt(key_id, 128) + "'");
      return nullptr;
    }
    const auto it = store.keys.find(key_id);
    if (it == store.keys.end() || IsDeleted(it->second)) {
      fault = MakeFault("NotFoundException", "Key '" + ArnOf(key_id) + "' does not exist");
      return nullptr;
    }
    return &it->second;
  }

  KeyRecord* ResolveAlias(std::string_view alias, Fault& fault) {
    const auto it = store.aliases.find(std::string(alias));
    if (it == store.aliases.end()) {
      fault = MakeFault("NotFoundException",
                        "Alias " + AliasArn(core::SafeExcerpt(alias, 256)) + " is not found.");
      return nullptr;
    }
    return Resolve(it->second.target_key_id, fault, false);
  }

  // A key whose deletion window has passed is gone (deleted lazily, never resurrected).
  bool IsDeleted(const KeyRecord& key) const {
    return key.state == KeyState::kPendingDeletion && key.deletion_ms &&
           NowMs() >= *key.deletion_ms;
  }

  // Disabled / pending deletion keys refuse cryptographic operations.
  std::optional<Fault> CheckUsable(const KeyRecord& key) const {
    if (key.state == KeyState::kDisabled) {
      return MakeFault("DisabledException", ArnOf(key.key_id) + " is disabled.");
    }
    if (key.state == KeyState::kPendingDeletion) {
      return MakeFault("KMSInvalidStateException", ArnOf(key.key_id) + " is pending deletion.");
    }
    return std::nullopt;
  }

  std::optional<Fault> CheckUsage(const KeyRecord& key, KeyUsage usage,
                                  std::string_view operation) const {
    if (key.usage == usage &&
        (usage != KeyUsage::kEncryptDecrypt || key.spec == KeySpec::kSymmetricDefault)) {
      return std::nullopt;
    }
    return MakeFault("InvalidKeyUsageException",
                     std::string(KeyUsageName(key.usage)) + " key usage is not compatible with " +
                         std::string(operation) + " (" + ArnOf(key.key_id) + ", " +
                         KeySpecName(key.spec) + ")");
  }

  aws::KeyMetadata Metadata(const KeyRecord& key) const {
    aws::KeyMetadata meta;
    meta.aws_account_id = Config().account_id;
    meta.key_id = key.key_id;
    meta.arn = ArnOf(key.key_id);
    meta.creation_date = EpochSeconds(key.creation_ms);
    meta.enabled = key.state == KeyState::kEnabled;
    meta.description = key.description;
    meta.key_usage = KeyUsageName(key.usage);
    meta.key_state = KeyStateName(key.state);
    meta.origin = key.origin;
    meta.key_manager = "CUSTOMER";
    meta.key_spec = KeySpecName(key.spec);
    meta.multi_region = key.multi_region;
    if (key.deletion_ms) {
      meta.deletion_date = EpochSeconds(*key.deletion_ms);
      meta.pending_deletion_window_in_days = key.pending_window_days;
    }
    Algorithms(key, meta.encryption_algorithms, meta.signing_algorithms,
               meta.key_agreement_algorithms);
    return meta;
  }

  static void Algorithms(const KeyRecord& key, std::vector<std::string>& encryption,
                         std::vector<std::string>& signing, std::vector<std::string>& agreement) {
    if (key.usage == KeyUsage::kEncryptDecrypt) {
      encryption = {"SYMMETRIC_DEFAULT"};
    } else if (key.usage == KeyUsage::kKeyAgreement) {
      agreement = {"ECDH"};
    } else if (key.spec == KeySpec::kEccNistP384) {
      signing = {"ECDSA_SHA_384"};
    } else {
      signing = {"ECDSA_SHA_256"};
    }
  }

  // ---- persistence: apply, save, or undo ----

  // Saves the store after a change; on failure runs `undo` and answers KMSInternalException.
  template <typename Undo>
  std::optional<Fault> Persist(Undo undo) {
    if (auto saved = persister.Save(store); !saved) {
      undo();
      return Fault{"KMSInternalException",
                   "The local KMS could not persist the change; nothing was changed.", 500, false};
    }
    return std::nullopt;
  }

  // ---- authorization (kms.md 8.2) ----

  std::optional<Fault> Authorize(const std::string& principal, std::string_view operation,
                                 const KeyRecord& key, const RecipientCheck* recipient,
                                 const aws::EncryptionContext* context, std::string& note) const {
    auto policy = kmspolicy::ParsePolicy(key.policy);
    const std::string action = "kms:" + std::string(operation);
    const std::string arn = ArnOf(key.key_id);
    const std::string denied =
        "User: " + principal + " is not authorized to perform: " + action + " on resource: " + arn;
    if (!policy) {
      note = "the key policy cannot be parsed: " + policy.error().detail;
      return Fault{"AccessDeniedException",
                   denied + " because no resource-based policy allows the " + action + " action",
                   400, true};
    }
    kmspolicy::Request request;
    request.principal = principal;
    request.action = action;
    request.resource = arn;
    if (recipient != nullptr && recipient->verified) {
      kmspolicy::AddAttestationKeys(*recipient->verified, request.context);
    }
    if (context != nullptr) {
      for (const auto& [context_key, value] : *context) {
        request.context.Set("kms:EncryptionContext:" + context_key, {value});
        request.context.Add("kms:EncryptionContextKeys", context_key);
      }
    }
    request.context.Set("kms:KeySpec", {KeySpecName(key.spec)});
    request.context.Set("kms:KeyUsage", {KeyUsageName(key.usage)});
    request.context.Set("kms:KeyOrigin", {key.origin});
    kmspolicy::AddCallerKeys(request);
    auto evaluation = kmspolicy::Evaluate(*policy, request);
    if (!evaluation) {
      note = "the key policy cannot be evaluated: " + evaluation.error().detail;
      return Fault{"AccessDeniedException",
                   denied + " because no resource-based policy allows the " + action + " action",
                   400, true};
    }
    switch (evaluation->decision) {
      case kmspolicy::Decision::kAllow:
        return std::nullopt;
      case kmspolicy::Decision::kExplicitDeny:
        return Fault{"AccessDeniedException",
                     denied + " with an explicit deny in a resource-based policy", 400, true};
      case kmspolicy::Decision::kImplicitDeny:
        break;
    }
    return Fault{"AccessDeniedException",
                 denied + " because no resource-based policy allows the " + action + " action", 400,
                 true};
  }

  // The lockout safety check (kms.md 8.3): the caller must keep kms:PutKeyPolicy.
  std::optional<Fault> CheckLockout(const kmspolicy::Policy& policy, const std::string& principal,
                                    std::string_view key_id) const {
    kmspolicy::Request request;
    request.principal = principal;
    request.action = "kms:PutKeyPolicy";
    request.resource = ArnOf(key_id);
    kmspolicy::AddCallerKeys(request);
    auto evaluation = kmspolicy::Evaluate(policy, request);
    if (!evaluation || evaluation->decision != kmspolicy::Decision::kAllow) {
      return MakeFault("MalformedPolicyDocumentException",
                       "The new key policy will not allow you to update the key policy in the "
                       "future.");
    }
    return std::nullopt;
  }

  // A policy text as PutKeyPolicy/CreateKey accept it: size quota, then the IAM grammar.
  std::variant<kmspolicy::Policy, Fault> CheckPolicyText(const std::string& text) const {
    if (text.size() > kPolicyQuotaBytes) {
      return MakeFault("LimitExceededException",
                       "Policy document exceeds the maximum size of 32768 bytes");
    }
    auto policy = kmspolicy::ParsePolicy(text);
    if (!policy) {
      if (policy.error().code == ErrorCode::kPolicyStructure &&
          policy.error().detail.find("rincipal") != std::string::npos) {
        return MakeFault("MalformedPolicyDocumentException",
                         "Policy contains a statement with one or more invalid principals.");
      }
      return MakeFault("MalformedPolicyDocumentException", policy.error().detail);
    }
    return std::move(*policy);
  }

  // ---- Recipient (kms.md 5.1) ----

  // Checks a Recipient before any key is touched: a document that cannot be decoded, or
  // carries no RSA public key, is a ValidationException; a document no configured root
  // accepts is used without attestation keys (the policy then decides).
  std::optional<Fault> CheckRecipient(const std::optional<aws::RecipientInfo>& info,
                                      RecipientCheck& out) const {
    if (!info) {
      return std::nullopt;
    }
    out.present = true;
    const core::ByteView document = info->attestation_document;
    verifier::VerificationPolicy policy;
    policy.time = clock.Now();
    policy.max_age_ms = options.attestation.max_age_ms;
    // KMS accepts debug-mode documents (all-zero PCR0..2): the policy's PCR conditions decide.
    policy.allow_debug = true;
    std::optional<verifier::AttestationDocument> decoded;
    for (const verifier::TrustAnchor& root : options.attestation.roots) {
      auto verified =
          verifier::VerifyDocument(document, verifier::VerifierConfig{&root, nullptr}, policy);
      if (verified) {
        decoded = verified->Document();
        out.verified.emplace(std::move(*verified));
        break;
      }
      if (core::InfoFor(verified.error().code).exit_class == core::ExitClass::kMalformed) {
        return MakeFault("ValidationException",
                         "The attestation document in Recipient is not valid: " +
                             std::string(core::ErrorCodeName(verified.error().code)));
      }
      out.note += (out.note.empty() ? "" : "; ") + root.Describe() + ": " +
                  std::string(core::ErrorCodeName(verified.error().code)) + " (" +
                  verified.error().detail + ")";
    }
    if (!decoded) {
      auto parsed = verifier::DecodeAttestation(document);
      if (!parsed || !verifier::ValidateAttestation(*parsed)) {
        return MakeFault("ValidationException",
                         "The attestation document in Recipient is not valid");
      }
      decoded = std::move(parsed->doc);
      out.note =
          "attestation document not trusted (" +
          (options.attestation.roots.empty() ? std::string("no root configured") : out.note) +
          "): evaluated without attestation keys";
    }
    if (!decoded->public_key) {
      return MakeFault("ValidationException",
                       "The attestation document in Recipient has no public_key");
    }
    auto key = aws::ParseRecipientPublicKey(*decoded->public_key);
    if (!key) {
      return MakeFault("ValidationException",
                       "The attestation document's public_key must be an RSA public key (DER "
                       "SubjectPublicKeyInfo, 2048 to 4096 bits)");
    }
    out.key = std::move(*key);
    out.spki = *decoded->public_key;
    return std::nullopt;
  }

  // The secret for the caller: in clear, or as CiphertextForRecipient.
  std::optional<Fault> Deliver(const RecipientCheck& recipient, core::SecretBytes& secret,
                               core::Bytes& out_for_recipient) const {
    if (!recipient.present) {
      return std::nullopt;
    }
    auto envelope = aws::EncryptForRecipient(secret.View(), recipient.key.get(), recipient.spki);
    secret.Clear();
    if (!envelope) {
      return Fault{"KMSInternalException", "The result could not be encrypted to the recipient",
                   500, false};
    }
    out_for_recipient = std::move(*envelope);
    return std::nullopt;
  }

  // ---- operations (kms.md section 4) ----

  Answer CreateKey(std::string_view body, const std::string& principal) {
    auto request = aws::DecodeCreateKeyRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    if (!request->origin.empty() && request->origin != "AWS_KMS") {
      return Error(MakeFault("UnsupportedOperationException",
                             "The local KMS only creates keys with Origin AWS_KMS; import key "
                             "material with 'enclavectl kms import-key'."));
    }
    const std::string spec_name =
        request->key_spec.empty() ? "SYMMETRIC_DEFAULT" : request->key_spec;
    const std::optional<KeySpec> spec = KeySpecFromName(spec_name);
    if (!spec) {
      return Error(MakeFault("UnsupportedOperationException",
                             "The local KMS does not implement KeySpec " + spec_name +
                                 " (it implements SYMMETRIC_DEFAULT, ECC_NIST_P256, "
                                 "ECC_NIST_P384 and ECC_SECG_P256K1)"));
    }
    std::string usage_name = request->key_usage;
    if (usage_name.empty()) {
      if (*spec != KeySpec::kSymmetricDefault) {
        return Error(MakeFault("ValidationException",
                               "You must specify a KeyUsage value for an asymmetric KMS key."));
      }
      usage_name = "ENCRYPT_DECRYPT";
    }
    const std::optional<KeyUsage> usage = KeyUsageFromName(usage_name);
    if (!usage || !IsValidCombination(*spec, *usage)) {
      return Error(
          MakeFault("ValidationException",
                    "KeyUsage " + usage_name + " is not compatible with KeySpec " + spec_name));
    }
    KeyRecord key;
    key.key_id = RandomUuid();
    if (request->policy) {
      auto checked = CheckPolicyText(*request->policy);
      if (auto* fault = std::get_if<Fault>(&checked)) {
        return Error(std::move(*fault));
      }
      if (!request->bypass_policy_lockout_safety_check) {
        if (auto fault = CheckLockout(std::get<kmspolicy::Policy>(checked), principal, key.key_id)) {
          return Error(std::move(*fault));
        }
      }
      key.policy = *request->policy;
    } else {
      key.policy = DefaultKeyPolicy(Config().account_id);
    }
    auto material = GenerateKeyMaterial(*spec);
    if (!material) {
      return Error(Fault{"KMSInternalException", "key generation failed", 500, false});
    }
    key.creation_ms = NowMs();
    key.description = request->description.value_or("");
    key.spec = *spec;
    key.usage = *usage;
    key.multi_region = request->multi_region;
    key.tags = request->tags;
    key.material = std::move(material->material);
    key.public_key = std::move(material->public_key);
    const std::string id = key.key_id;
    store.keys.emplace(id, std::move(key));
    if (auto fault = Persist([this, &id] { store.keys.erase(id); })) {
      return Error(std::move(*fault));
    }
    return Ok(aws::EncodeKeyMetadataResponse(Metadata(store.keys.at(id))));
  }

  Answer DescribeKey(std::string_view body, const std::string& principal, std::string& note) {
    auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(body));
    if (!key_id) {
      return Error(FromDecodeError(key_id.error()));
    }
    Fault fault;
    const KeyRecord* key = Resolve(*key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "DescribeKey", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    return Ok(aws::EncodeKeyMetadataResponse(Metadata(*key)));
  }

  Answer GetKeyPolicy(std::string_view body, const std::string& principal, std::string& note) {
    auto request = aws::DecodeGetKeyPolicyRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    Fault fault;
    const KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "GetKeyPolicy", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (request->policy_name != "default") {
      return Error(MakeFault("NotFoundException", "No such policy exists"));
    }
    return Ok(aws::EncodeGetKeyPolicyResponse({key->policy, "default"}));
  }

  Answer PutKeyPolicy(std::string_view body, const std::string& principal, std::string& note) {
    auto request = aws::DecodePutKeyPolicyRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    Fault fault;
    KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "PutKeyPolicy", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (request->policy_name != "default") {
      return Error(MakeFault("NotFoundException", "No such policy exists"));
    }
    if (key->state == KeyState::kPendingDeletion) {
      return Error(
          MakeFault("KMSInvalidStateException", ArnOf(key->key_id) + " is pending deletion."));
    }
    auto checked = CheckPolicyText(request->policy);
    if (auto* policy_fault = std::get_if<Fault>(&checked)) {
      return Error(std::move(*policy_fault));
    }
    if (!request->bypass_policy_lockout_safety_check) {
      if (auto lockout = CheckLockout(std::get<kmspolicy::Policy>(checked), principal, key->key_id)) {
        return Error(std::move(*lockout));
      }
    }
    std::string previous = std::exchange(key->policy, request->policy);
    if (auto persist = Persist([key, &previous] { key->policy = std::move(previous); })) {
      return Error(std::move(*persist));
    }
    return Ok(std::string());
  }

  Answer Encrypt(std::string_view body, const std::string& principal, std::string& note) {
    core::SecretBytes plaintext;
    auto request = aws::DecodeEncryptRequest(core::AsBytes(body), plaintext);
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    Fault fault;
    const KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied =
            Authorize(principal, "Encrypt", *key, nullptr, &request->encryption_context, note)) {
      return Error(std::move(*denied));
    }
    if (auto unusable = CheckUsable(*key)) {
      return Error(std::move(*unusable));
    }
    if (auto wrong = CheckUsage(*key, KeyUsage::kEncryptDecrypt, "Encrypt")) {
      return Error(std::move(*wrong));
    }
    if (!request->encryption_algorithm.empty() &&
        request->encryption_algorithm != "SYMMETRIC_DEFAULT") {
      return Error(MakeFault("InvalidKeyUsageException",
                             "The encryption algorithm " + request->encryption_algorithm +
                                 " is not compatible with " + ArnOf(key->key_id)));
    }
    auto blob = SealSymmetric(*key, plaintext.View(), request->encryption_context);
    if (!blob) {
      return Error(Fault{"KMSInternalException", "encryption failed", 500, false});
    }
    return Ok(aws::EncodeEncryptResponse({std::move(*blob), ArnOf(key->key_id), "SYMMETRIC_DEFAULT"}));
  }

  Answer Decrypt(std::string_view body, const std::string& principal, std::string& note) {
    core::Bytes blob;
    auto request = aws::DecodeDecryptRequest(core::AsBytes(body), blob);
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    RecipientCheck recipient;
    if (auto invalid = CheckRecipient(request->recipient, recipient)) {
      return Error(std::move(*invalid));
    }
    note = recipient.note;
    const std::optional<std::string> named = CiphertextKeyId(blob);
    if (!named) {
      return Error(MakeFault("InvalidCiphertextException", ""));
    }
    Fault fault;
    const KeyRecord* key = Resolve(*named, fault, false);
    if (key == nullptr) {
      return Error(MakeFault("InvalidCiphertextException", ""));
    }
    if (!request->key_id.empty()) {
      const KeyRecord* asked = Resolve(request->key_id, fault);
      if (asked == nullptr) {
        return Error(std::move(fault));
      }
      if (asked != key) {
        return Error(MakeFault("IncorrectKeyException",
                               "The key ID in the request does not identify a CMK that can "
                               "perform this operation."));
      }
    }
    if (auto denied =
            Authorize(principal, "Decrypt", *key, &recipient, &request->encryption_context, note)) {
      return Error(std::move(*denied));
    }
    if (auto unusable = CheckUsable(*key)) {
      return Error(std::move(*unusable));
    }
    if (!request->encryption_algorithm.empty() &&
        request->encryption_algorithm != "SYMMETRIC_DEFAULT") {
      return Error(MakeFault("IncorrectKeyException",
                             "The encryption algorithm does not match the ciphertext"));
    }
    auto plaintext = OpenSymmetric(*key, blob, request->encryption_context);
    if (!plaintext) {
      return Error(MakeFault("InvalidCiphertextException", ""));
    }
    if (request->dry_run) {
      return Error(DryRun());
    }
    aws::DecryptResult result;
    result.key_id = ArnOf(key->key_id);
    result.encryption_algorithm = "SYMMETRIC_DEFAULT";
    result.plaintext = std::move(*plaintext);
    if (auto failed = Deliver(recipient, result.plaintext, result.ciphertext_for_recipient)) {
      return Error(std::move(*failed));
    }
    return Ok(aws::EncodeDecryptResponse(result));
  }

  static Fault DryRun() {
    return MakeFault("DryRunOperationException",
                     "The request would have succeeded, but the DryRun option is set.");
  }

  Answer GenerateDataKey(std::string_view body, const std::string& principal, std::string& note) {
    auto request = aws::DecodeGenerateDataKeyRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    RecipientCheck recipient;
    if (auto invalid = CheckRecipient(request->recipient, recipient)) {
      return Error(std::move(*invalid));
    }
    note = recipient.note;
    Fault fault;
    const KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "GenerateDataKey", *key, &recipient,
                                &request->encryption_context, note)) {
      return Error(std::move(*denied));
    }
    if (auto unusable = CheckUsable(*key)) {
      return Error(std::move(*unusable));
    }
    if (auto wrong = CheckUsage(*key, KeyUsage::kEncryptDecrypt, "GenerateDataKey")) {
      return Error(std::move(*wrong));
    }
    if (request->dry_run) {
      return Error(DryRun());
    }
    const std::size_t len = request->number_of_bytes         ? *request->number_of_bytes
                            : request->key_spec == "AES_128" ? 16
                                                             : 32;
    aws::GenerateDataKeyResult result;
    result.plaintext = core::SecretBytes(len);
    if (RAND_bytes(result.plaintext.MutableData(), static_cast<int>(len)) != 1) {
      return Error(Fault{"KMSInternalException", "the CSPRNG failed", 500, false});
    }
    auto blob = SealSymmetric(*key, result.plaintext.View(), request->encryption_context);
    if (!blob) {
      return Error(Fault{"KMSInternalException", "encryption failed", 500, false});
    }
    result.ciphertext_blob = std::move(*blob);
    result.key_id = ArnOf(key->key_id);
    if (auto failed = Deliver(recipient, result.plaintext, result.ciphertext_for_recipient)) {
      return Error(std::move(*failed));
    }
    return Ok(aws::EncodeGenerateDataKeyResponse(result));
  }

  Answer GenerateRandom(std::string_view body, std::string& note) {
    auto request = aws::DecodeGenerateRandomRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    if (!request->custom_key_store_id.empty()) {
      return Error(
          MakeFault("CustomKeyStoreNotFoundException", "The local KMS has no custom key stores"));
    }
    RecipientCheck recipient;
    if (auto invalid = CheckRecipient(request->recipient, recipient)) {
      return Error(std::move(*invalid));
    }
    note = recipient.note;
    // No key, so no key policy: kms:GenerateRandom is an IAM permission and the local KMS
    // has no IAM; every authenticated caller may call it (docs/local-stack.md).
    aws::GenerateRandomResult result;
    result.plaintext = core::SecretBytes(request->number_of_bytes);
    if (RAND_bytes(result.plaintext.MutableData(), static_cast<int>(request->number_of_bytes)) !=
        1) {
      return Error(Fault{"KMSInternalException", "the CSPRNG failed", 500, false});
    }
    if (auto failed = Deliver(recipient, result.plaintext, result.ciphertext_for_recipient)) {
      return Error(std::move(*failed));
    }
    return Ok(aws::EncodeGenerateRandomResponse(result));
  }

  Answer DeriveSharedSecret(std::string_view body, const std::string& principal,
                            std::string& note) {
    auto request = aws::DecodeDeriveSharedSecretRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    RecipientCheck recipient;
    if (auto invalid = CheckRecipient(request->recipient, recipient)) {
      return Error(std::move(*invalid));
    }
    note = recipient.note;
    Fault fault;
    const KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "DeriveSharedSecret", *key, &recipient, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (auto unusable = CheckUsable(*key)) {
      return Error(std::move(*unusable));
    }
    if (auto wrong = CheckUsage(*key, KeyUsage::kKeyAgreement, "DeriveSharedSecret")) {
      return Error(std::move(*wrong));
    }
    auto secret = localkms::DeriveSharedSecret(*key, request->public_key);
    if (!secret) {
      if (secret.error().code == ErrorCode::kKmsValidation) {
        return Error(MakeFault("ValidationException", secret.error().detail));
      }
      return Error(Fault{"KMSInternalException", "ECDH failed", 500, false});
    }
    if (request->dry_run) {
      return Error(DryRun());
    }
    aws::DeriveSharedSecretResult result;
    result.key_id = ArnOf(key->key_id);
    result.shared_secret = std::move(*secret);
    result.key_agreement_algorithm = "ECDH";
    result.key_origin = key->origin;
    if (auto failed = Deliver(recipient, result.shared_secret, result.ciphertext_for_recipient)) {
      return Error(std::move(*failed));
    }
    return Ok(aws::EncodeDeriveSharedSecretResponse(result));
  }

  Answer GetPublicKey(std::string_view body, const std::string& principal, std::string& note) {
    auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(body));
    if (!key_id) {
      return Error(FromDecodeError(key_id.error()));
    }
    Fault fault;
    const KeyRecord* key = Resolve(*key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "GetPublicKey", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (auto unusable = CheckUsable(*key)) {
      return Error(std::move(*unusable));
    }
    if (key->spec == KeySpec::kSymmetricDefault) {
      return Error(MakeFault("UnsupportedOperationException",
                             ArnOf(key->key_id) + " key usage is not supported: GetPublicKey needs "
                                                  "an asymmetric KMS key."));
    }
    aws::GetPublicKeyResult result;
    result.key_id = ArnOf(key->key_id);
    result.public_key = key->public_key;
    result.key_spec = KeySpecName(key->spec);
    result.key_usage = KeyUsageName(key->usage);
    Algorithms(*key, result.encryption_algorithms, result.signing_algorithms,
               result.key_agreement_algorithms);
    return Ok(aws::EncodeGetPublicKeyResponse(result));
  }

  Answer ScheduleKeyDeletion(std::string_view body, const std::string& principal,
                             std::string& note) {
    auto request = aws::DecodeScheduleKeyDeletionRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    Fault fault;
    KeyRecord* key = Resolve(request->key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "ScheduleKeyDeletion", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (key->state == KeyState::kPendingDeletion) {
      return Error(
          MakeFault("KMSInvalidStateException", ArnOf(key->key_id) + " is pending deletion."));
    }
    const std::uint32_t days = request->pending_window_in_days.value_or(30);
    const KeyState previous = key->state;
    key->state = KeyState::kPendingDeletion;
    key->deletion_ms = NowMs() + static_cast<std::int64_t>(days) * kDayMs;
    key->pending_window_days = days;
    if (auto persist = Persist([key, previous] {
          key->state = previous;
          key->deletion_ms.reset();
          key->pending_window_days = 0;
        })) {
      return Error(std::move(*persist));
    }
    return Ok(aws::EncodeScheduleKeyDeletionResponse(
        {ArnOf(key->key_id), EpochSeconds(*key->deletion_ms), "PendingDeletion", days}));
  }

  // CancelKeyDeletion, EnableKey, DisableKey: a state change on one key.
  Answer ChangeState(std::string_view body, const std::string& principal, std::string& note,
                     aws::KmsOperation operation) {
    auto key_id = aws::DecodeKeyIdRequest(core::AsBytes(body));
    if (!key_id) {
      return Error(FromDecodeError(key_id.error()));
    }
    Fault fault;
    KeyRecord* key = Resolve(*key_id, fault);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied =
            Authorize(principal, aws::KmsOperationName(operation), *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    const bool pending = key->state == KeyState::kPendingDeletion;
    if (pending != (operation == aws::KmsOperation::kCancelKeyDeletion)) {
      return Error(MakeFault(
          "KMSInvalidStateException",
          ArnOf(key->key_id) + (pending ? " is pending deletion." : " is not pending deletion.")));
    }
    const KeyState previous = key->state;
    const std::optional<std::int64_t> previous_deletion = key->deletion_ms;
    const std::uint32_t previous_window = key->pending_window_days;
    // A cancelled deletion leaves the key disabled, as in KMS.
    key->state = operation == aws::KmsOperation::kEnableKey ? KeyState::kEnabled : KeyState::kDisabled;
    key->deletion_ms.reset();
    key->pending_window_days = 0;
    if (auto persist = Persist([key, previous, previous_deletion, previous_window] {
          key->state = previous;
          key->deletion_ms = previous_deletion;
          key->pending_window_days = previous_window;
        })) {
      return Error(std::move(*persist));
    }
    if (operation == aws::KmsOperation::kCancelKeyDeletion) {
      return Ok(core::DumpJson(nlohmann::json{{"KeyId", ArnOf(key->key_id)}}));
    }
    return Ok(std::string());
  }

  std::optional<Fault> CheckAliasName(std::string_view name) const {
    if (name.rfind("alias/", 0) != 0 || name.size() <= 6 ||
        name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-") !=
            std::string_view::npos) {
      return MakeFault("ValidationException",
                       "1 validation error detected: Value '" + core::SafeExcerpt(name, 256) +
                           "' at 'aliasName' failed to satisfy constraint: Member must satisfy "
                           "regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$");
    }
    if (name.rfind("alias/aws/", 0) == 0) {
      return MakeFault("NotAuthorizedException",
                       "Cannot create or delete aliases that begin with alias/aws/");
    }
    return std::nullopt;
  }

  Answer CreateAlias(std::string_view body, const std::string& principal, std::string& note) {
    auto request = aws::DecodeCreateAliasRequest(core::AsBytes(body));
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    if (auto invalid = CheckAliasName(request->alias_name)) {
      return Error(std::move(*invalid));
    }
    Fault fault;
    const KeyRecord* key = Resolve(request->target_key_id, fault, false);
    if (key == nullptr) {
      return Error(std::move(fault));
    }
    if (auto denied = Authorize(principal, "CreateAlias", *key, nullptr, nullptr, note)) {
      return Error(std::move(*denied));
    }
    if (key->state == KeyState::kPendingDeletion) {
      return Error(
          MakeFault("KMSInvalidStateException", ArnOf(key->key_id) + " is pending deletion."));
    }
    if (store.aliases.count(request->alias_name) != 0) {
      return Error(
          MakeFault("AlreadyExistsException",
                    "An alias with the name " + AliasArn(request->alias_name) + " already exists"));
    }
    const std::string name = request->alias_name;
    store.aliases.emplace(name, AliasRecord{key->key_id, NowMs()});
    if (auto persist = Persist([this, &name] { store.aliases.erase(name); })) {
      return Error(std::move(*persist));
    }
    return Ok(std::string());
  }

  Answer DeleteAlias(std::string_view body, const std::string& principal, std::string& note) {
    auto name = aws::DecodeDeleteAliasRequest(core::AsBytes(body));
    if (!name) {
      return Error(FromDecodeError(name.error()));
    }
    const auto it = store.aliases.find(*name);
    if (it == store.aliases.end()) {
      return Error(MakeFault("NotFoundException",
                             "Alias " + AliasArn(core::SafeExcerpt(*name, 256)) + " is not found."));
    }
    const auto key = store.keys.find(it->second.target_key_id);
    if (key != store.keys.end()) {
      if (auto denied = Authorize(principal, "DeleteAlias", key->second, nullptr, nullptr, note)) {
        return Error(std::move(*denied));
      }
    }
    const AliasRecord previous = it->second;
    store.aliases.erase(it);
    if (auto persist =
            Persist([this, &name, &previous] { store.aliases.emplace(*name, previous); })) {
      return Error(std::move(*persist));
    }
    return Ok(std::string());
  }

  Answer ListAliases(std::string_view body) {
    auto request = aws::DecodeListRequest(core::AsBytes(body), true);
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    std::string target;
    if (!request->key_id.empty()) {
      Fault fault;
      const KeyRecord* key = Resolve(request->key_id, fault, false);
      if (key == nullptr) {
        return Error(std::move(fault));
      }
      target = key->key_id;
    }
    const std::uint32_t limit = std::min(request->limit.value_or(kDefaultListLimit), kMaxListLimit);
    aws::ListAliasesResult result;
    for (auto it = store.aliases.upper_bound(request->marker); it != store.aliases.end(); ++it) {
      const auto key = store.keys.find(it->second.target_key_id);
      if ((!target.empty() && it->second.target_key_id != target) ||
          (key != store.keys.end() && IsDeleted(key->second))) {
        continue;
      }
      if (result.aliases.size() == limit) {
        result.next_marker = result.aliases.back().alias_name;
        break;
      }
      result.aliases.push_back(aws::AliasEntry{it->first, AliasArn(it->first), it->second.target_key_id,
                                          EpochSeconds(it->second.creation_ms)});
    }
    return Ok(aws::EncodeListAliasesResponse(result));
  }

  Answer ListKeys(std::string_view body) {
    auto request = aws::DecodeListRequest(core::AsBytes(body), false);
    if (!request) {
      return Error(FromDecodeError(request.error()));
    }
    const std::uint32_t limit = std::min(request->limit.value_or(kMaxListLimit), 1000U);
    aws::ListKeysResult result;
    for (auto it = store.keys.upper_bound(request->marker); it != store.keys.end(); ++it) {
      if (IsDeleted(it->second)) {
        continue;
      }
      if (result.keys.size() == limit) {
        result.next_marker = result.keys.back().first;
        break;
      }
      result.keys.emplace_back(it->first, ArnOf(it->first));
    }
    return Ok(aws::EncodeListKeysResponse(result));
  }

  Answer Run(aws::KmsOperation operation, std::string_view body, const std::string& principal,
             std::string& note) {
    switch (operation) {
      case aws::KmsOperation::kCreateKey:
        return CreateKey(body, principal);
      case aws::KmsOperation::kDescribeKey:
        return DescribeKey(body, principal, note);
      case aws::KmsOperation::kGetKeyPolicy:
        return GetKeyPolicy(body, principal, note);
      case aws::KmsOperation::kPutKeyPolicy:
        return PutKeyPolicy(body, principal, note);
      case aws::KmsOperation::kEncrypt:
        return Encrypt(body, principal, note);
      case aws::KmsOperation::kDecrypt:
        return Decrypt(body, principal, note);
      case aws::KmsOperation::kGenerateDataKey:
        return GenerateDataKey(body, principal, note);
      case aws::KmsOperation::kGenerateRandom:
        return GenerateRandom(body, note);
      case aws::KmsOperation::kDeriveSharedSecret:
        return DeriveSharedSecret(body, principal, note);
      case aws::KmsOperation::kGetPublicKey:
        return GetPublicKey(body, principal, note);
      case aws::KmsOperation::kScheduleKeyDeletion:
        return ScheduleKeyDeletion(body, principal, note);
      case aws::KmsOperation::kCancelKeyDeletion:
      case aws::KmsOperation::kEnableKey:
      case aws::KmsOperation::kDisableKey:
        return ChangeState(body, principal, note, operation);
      case aws::KmsOperation::kCreateAlias:
        return CreateAlias(body, principal, note);
      case aws::KmsOperation::kDeleteAlias:
        return DeleteAlias(body, principal, note);
      case aws::KmsOperation::kListAliases:
        return ListAliases(body);
      case aws::KmsOperation::kListKeys:
        return ListKeys(body);
    }
    return Error(MakeFault("UnknownOperationException", ""));
  }
};

namespace {

OutgoingResponse Respond(Answer answer, std::string operation, std::string principal,
                         std::string note) {
  OutgoingResponse out;
  out.headers.emplace_back("x-amzn-RequestId", RandomUuid());
  out.operation = std::move(operation);
  out.principal = std::move(principal);
  out.note = std::move(note);
  if (answer.fault) {
    out.status = answer.fault->status;
    out.error_type = answer.fault->type;
    out.headers.emplace_back("x-amzn-ErrorType", answer.fault->type);
    out.body = aws::EncodeKmsErrorBody(answer.fault->type, answer.fault->message,
                                  answer.fault->capital_message);
  } else {
    out.body = std::move(answer.body);
  }
  return out;
}

}  // namespace

LocalKms::LocalKms(ServiceOptions options, KeyStore store, StatePersister& persister,
                   const core::io::Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(store), persister, clock)) {}

LocalKms::~LocalKms() = default;

OutgoingResponse LocalKms::Handle(const IncomingRequest& request) {
  const std::string target = Header(request, "x-amz-target");
  if (request.method != "POST" || request.path != "/") {
    return Respond(Error(MakeFault("UnknownOperationException",
                                   "The local KMS answers POST / with the KMS JSON 1.1 protocol")),
                   "", "", "");
  }
  std::string principal;
  {
    std::lock_guard lock(impl_->mutex);
    auto authenticated = impl_->Authenticate(request);
    if (auto* fault = std::get_if<Fault>(&authenticated)) {
      return Respond(Error(std::move(*fault)), "", "", "");
    }
    principal = std::get<std::string>(std::move(authenticated));
  }
  return Dispatch(target, request.body, principal);
}

OutgoingResponse LocalKms::Dispatch(std::string_view target, std::string_view body,
                                    const std::string& principal) {
  const std::optional<aws::KmsOperation> operation = aws::KmsOperationFromTarget(target);
  if (!operation) {
    return Respond(Error(MakeFault("UnknownOperationException",
                                   "The local KMS does not implement " + core::SafeExcerpt(target, 96))),
                   "", principal, "");
  }
  std::string note;
  Answer answer;
  {
    std::lock_guard lock(impl_->mutex);
    answer = impl_->Run(*operation, body, principal, note);
  }
  return Respond(std::move(answer), aws::KmsOperationName(*operation), principal, std::move(note));
}

OutgoingResponse LocalKms::Refusal(unsigned status, std::string_view reason) {
  std::string type = "SerializationException";
  if (status == 503) {
    type = "ThrottlingException";
  } else if (status == 413 || status == 431) {
    type = "ValidationException";
  } else if (status == 408) {
    type = "RequestTimeoutException";
  } else if (status >= 500) {
    type = "KMSInternalException";
  }
  OutgoingResponse out =
      Respond(Error(Fault{type, std::string(reason), status, false}), "", "", "");
  return out;
}

std::size_t LocalKms::KeyCount() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->store.keys.size();
}

std::string DefaultKeyPolicy(std::string_view account_id) {
  // KMS returns its default policy in this layout (Jackson's pretty printer).
  return "{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ "
         "{\n"
         "    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n"
         "    \"Principal\" : {\n      \"AWS\" : \"arn:aws:iam::" +
         std::string(account_id) +
         ":root\"\n    },\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}";
}

std::string KeyArn(const ServiceConfig& config, std::string_view key_id) {
  return "arn:aws:kms:" + config.region + ":" + config.account_id + ":key/" + std::string(key_id);
}

core::Result<std::string> AddImportedKey(KeyStore& store, const ServiceConfig& config,
                                         KeyRecord key, std::string_view alias,
                                         core::UnixMillis now) {
  if (!IsValidCombination(key.spec, key.usage)) {
    return core::Fail(ErrorCode::kKeyImport, std::string("KeyUsage ") + KeyUsageName(key.usage) +
                                                 " is not compatible with KeySpec " +
                                                 KeySpecName(key.spec));
  }
  if (key.key_id.empty()) {
    key.key_id = RandomUuid();
  }
  if (!IsKeyIdFormat(key.key_id)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "a key id is a lower-case UUID (8-4-4-4-12 hex digits)");
  }
  if (!alias.empty() &&
      (alias.rfind("alias/", 0) != 0 || alias.size() <= 6 || alias.rfind("alias/aws/", 0) == 0)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "the alias must be alias/NAME, not alias/aws/...");
  }
  if (const auto existing = store.keys.find(key.key_id); existing != store.keys.end()) {
    // Importing the same key again is a no-op (demo scripts rerun); other material is not.
    const auto alias_it = store.aliases.find(std::string(alias));
    if (core::Equal(existing->second.public_key, key.public_key) &&
        existing->second.spec == key.spec && existing->second.usage == key.usage &&
        (alias.empty() ||
         (alias_it != store.aliases.end() && alias_it->second.target_key_id == key.key_id))) {
      return key.key_id;
    }
    return core::Fail(ErrorCode::kInvalidArgument,
                      "key " + key.key_id + " already exists with other material or usage");
  }
  if (!alias.empty() && store.aliases.count(std::string(alias)) != 0) {
    return core::Fail(ErrorCode::kInvalidArgument, "the alias " + std::string(alias) + " is taken");
  }
  key.creation_ms = now.value;
  key.origin = "EXTERNAL";
  key.state = KeyState::kEnabled;
  if (key.policy.empty()) {
    key.policy = DefaultKeyPolicy(config.account_id);
  }
  const std::string id = key.key_id;
  store.keys.emplace(id, std::move(key));
  if (!alias.empty()) {
    store.aliases.emplace(std::string(alias), AliasRecord{id, now.value});
  }
  return id;
}

}  // namespace enclavectl::localkms

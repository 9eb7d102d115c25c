// The migration protocol's codecs and decisions (app/migration.hpp). No I/O, no clock.
#include "enclavectl/app/migration.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/kdf.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/maintainer.hpp"
#include "enclavectl/verifier/policy.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::app {
namespace {

using core::ByteView;
using core::ErrorCode;
using core::Fail;

constexpr std::int64_t kMaxTime = std::int64_t{1} << 40;  // far beyond 2100, far below overflow

bool IsLowerHex(std::string_view text, std::size_t digits) {
  return text.size() == digits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A time member of an untrusted object: absent/null -> 0.
core::Result<std::int64_t> TimeMember(const core::JsonObjectView& view, std::string_view key) {
  auto value = view.OptionalUint(key, static_cast<std::uint64_t>(kMaxTime));
  if (!value) {
    return Fail(value.error());
  }
  return static_cast<std::int64_t>(value->value_or(0));
}

core::Result<std::string> StringMember(const core::JsonObjectView& view, std::string_view key) {
  auto value = view.OptionalString(key);
  if (!value) {
    return Fail(value.error());
  }
  return value->value_or(std::string());
}

core::Result<core::Sha256Digest> Hmac(const core::SecretBytes& key, std::string_view message) {
  return core::HmacSha256(key.View(), core::AsBytes(message));
}

core::Result<core::EvpPkeyPtr> RsaKey(const std::optional<core::Bytes>& spki) {
  if (!spki || spki->empty()) {
    return Fail(ErrorCode::kMigrationPublicKeyInvalid, "the document carries no public_key");
  }
  const unsigned char* p = spki->data();
  core::EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki->size())));  // NOLINT
  if (!key || p != spki->data() + spki->size()) {
    return Fail(ErrorCode::kMigrationPublicKeyInvalid,
                "public_key is not one DER SubjectPublicKeyInfo");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return Fail(ErrorCode::kMigrationPublicKeyInvalid, "public_key is not an RSA key");
  }
  if (EVP_PKEY_get_bits(key.get()) < 2048) {
    return Fail(ErrorCode::kMigrationPublicKeyInvalid,
                "public_key is an RSA key of " + std::to_string(EVP_PKEY_get_bits(key.get())) +
                    " bits; at least 2048 are required");
  }
  return key;
}

core::Result<core::Bytes> DecodeDocumentField(const core::JsonObjectView& view) {
  auto text = view.String("attestation_doc");
  if (!text || text->empty()) {
    return Fail(ErrorCode::kMigrationRequestInvalid, "attestation_doc is required");
  }
  if (text->size() > core::limits::kMaxDocumentTextBytes) {
    return Fail(ErrorCode::kMigrationRequestInvalid, "attestation_doc is too large");
  }
  auto bytes = core::Base64Decode(*text);
  if (!bytes) {
    return Fail(ErrorCode::kMigrationRequestInvalid, "invalid base64 attestation_doc");
  }
  if (bytes->empty()) {  // e.g. " ": the base64 reader skips whitespace (found by fuzzing)
    return Fail(ErrorCode::kMigrationRequestInvalid, "attestation_doc decodes to nothing");
  }
  return std::move(*bytes);
}

core::Result<nlohmann::json> ParseBody(std::string_view body) {
  auto json = core::ParseStrictJson(body, kMigrationMaxBody, ErrorCode::kMigrationRequestInvalid,
                                    "migration request");
  if (!json) {
    return Fail(ErrorCode::kMigrationRequestInvalid, "invalid request body");
  }
  return json;
}

}  // namespace

std::string MigrationStateJson(const MigrationState& state, bool with_mac) {
  nlohmann::ordered_json out;
  out["target_pcr0"] = state.target_pcr0;
  if (!state.v2_kms_key_id.empty()) {
    out["v2_kms_key_id"] = state.v2_kms_key_id;
  }
  out["initiated_at"] = state.initiated_at;
  if (state.completed_at != 0) {
    out["completed_at"] = state.completed_at;
  }
  if (!state.source_pcr0.empty()) {
    out["source_pcr0"] = state.source_pcr0;
  }
  if (!state.previous_pcr0.empty()) {
    out["previous_pcr0"] = state.previous_pcr0;
  }
  if (state.activation_time != 0) {
    out["activation_time"] = state.activation_time;
  }
  if (!state.maintainer_sig.empty()) {
    out["maintainer_sig"] = state.maintainer_sig;
  }
  if (with_mac && !state.mac.empty()) {
    out["mac"] = state.mac;
  }
  return core::DumpJson(out);
}

core::Result<MigrationState> ParseMigrationState(std::string_view text) {
  constexpr ErrorCode kCode = ErrorCode::kMigrationStateInvalid;
  auto json = core::ParseStrictJson(text, kMigrationMaxBody, kCode, "migration state");
  if (!json) {
    return Fail(json.error());
  }
  auto view = core::JsonObjectView::Of(*json, kCode, "migration state");
  if (!view) {
    return Fail(view.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(
      view->OnlyKeys({"target_pcr0", "v2_kms_key_id", "initiated_at", "completed_at", "source_pcr0",
                      "previous_pcr0", "activation_time", "maintainer_sig", "mac"}));
  MigrationState state;
  auto target = view->String("target_pcr0");
  auto kms = StringMember(*view, "v2_kms_key_id");
  auto initiated = TimeMember(*view, "initiated_at");
  auto completed = TimeMember(*view, "completed_at");
  auto source = StringMember(*view, "source_pcr0");
  auto previous = StringMember(*view, "previous_pcr0");
  auto activation = TimeMember(*view, "activation_time");
  auto sig = StringMember(*view, "maintainer_sig");
  auto mac = StringMember(*view, "mac");
  for (const core::Error* error :
       {target ? nullptr : &target.error(), kms ? nullptr : &kms.error(),
        initiated ? nullptr : &initiated.error(), completed ? nullptr : &completed.error(),
        source ? nullptr : &source.error(), previous ? nullptr : &previous.error(),
        activation ? nullptr : &activation.error(), sig ? nullptr : &sig.error(),
        mac ? nullptr : &mac.error()}) {
    if (error != nullptr) {
      return Fail(*error);
    }
  }
  if (!IsLowerHex(*target, 96)) {
    return Fail(kCode, "migration state: target_pcr0 is not 96 lower-case hex digits");
  }
  if (*initiated == 0) {
    return Fail(kCode, "migration state: initiated_at is missing");
  }
  if (!mac->empty() && !IsLowerHex(*mac, 64)) {
    return Fail(kCode, "migration state: mac is not 64 lower-case hex digits");
  }
  state.target_pcr0 = std::move(*target);
  state.v2_kms_key_id = std::move(*kms);
  state.initiated_at = *initiated;
  state.completed_at = *completed;
  state.source_pcr0 = std::move(*source);
  state.previous_pcr0 = std::move(*previous);
  state.activation_time = *activation;
  state.maintainer_sig = std::move(*sig);
  state.mac = std::move(*mac);
  return state;
}

core::Result<core::SecretBytes> MigrationStateKey(const core::SecretBytes& signing_secret) {
  if (signing_secret.size() != 32) {
    return Fail(ErrorCode::kInvalidArgument, "the signing secret must be 32 bytes");
  }
  return core::HkdfSha256(signing_secret.View(), {}, core::AsBytes(kMigrationStateMacInfo), 32);
}

core::Result<MigrationState> SealMigrationState(MigrationState state,
                                                const core::SecretBytes& key) {
  auto mac = Hmac(key, MigrationStateJson(state, false));
  if (!mac) {
    return Fail(mac.error());
  }
  state.mac = core::HexEncode(*mac);
  return state;
}

core::Status AuthenticateMigrationState(const MigrationState& state, const core::SecretBytes& key) {
  auto expected = Hmac(key, MigrationStateJson(state, false));
  if (!expected) {
    return Fail(expected.error());
  }
  auto given = core::HexDecode(state.mac);
  if (state.mac.empty() || !given || !core::ConstantTimeEqual(*given, *expected)) {
    return Fail(ErrorCode::kMigrationStateForged,
                "the stored migration state is not authentic (its MAC does not verify under "
                "this enclave's key): it was written or edited outside this enclave");
  }
  return {};
}

std::string MigrationStatusBody(const std::optional<MigrationState>& state, std::int64_t now,
                                std::int64_t cooldown, bool with_cooldown_flag) {
  if (!state) {
    return "{\"state\":null}\n";
  }
  MigrationState shown = *state;
  shown.mac.clear();
  shown.maintainer_sig.clear();
  std::string body = "{\"state\":" + MigrationStateJson(shown);
  if (with_cooldown_flag && state->Pending() && state->initiated_at != 0 &&
      now - state->initiated_at >= cooldown) {
    body += ",\"cooldown_expired\":true";
  }
  return body + "}\n";
}

std::string MigrationNonces::Issue(const core::Bytes& random, std::int64_t now) {
  // Expired nonces go first, then the oldest while full.
  for (auto it = issued_.begin(); it != issued_.end();) {
    it = now - it->second > kMigrationNonceLifetime ? issued_.erase(it) : std::next(it);
  }
  while (issued_.size() >= kMigrationMaxNonces) {
    auto oldest =
        std::min_element(issued_.begin(), issued_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    issued_.erase(oldest);
  }
  std::string hex = core::HexEncode(random);
  issued_[hex] = now;
  return hex;
}

core::Status MigrationNonces::Consume(const std::optional<core::Bytes>& nonce, std::int64_t now) {
  if (!nonce || nonce->empty()) {
    return Fail(ErrorCode::kMigrationNonceInvalid, "the document carries no nonce");
  }
  auto it = issued_.find(core::HexEncode(*nonce));
  if (it == issued_.end()) {
    return Fail(ErrorCode::kMigrationNonceInvalid,
                "the document's nonce was not issued by this enclave or was already used (ask "
                "POST /internal/migration-nonce for a fresh one)");
  }
  const std::int64_t issued_at = it->second;
  issued_.erase(it);  // single use, also when it expired
  if (now - issued_at > kMigrationNonceLifetime) {
    return Fail(ErrorCode::kMigrationNonceInvalid, "the document's nonce expired");
  }
  return {};
}

core::Result<InitiateRequest> ParseInitiateRequest(std::string_view body) {
  constexpr ErrorCode kCode = ErrorCode::kMigrationRequestInvalid;
  auto json = ParseBody(body);
  if (!json) {
    return Fail(json.error());
  }
  auto view = core::JsonObjectView::Of(*json, kCode, "initiate-migration body");
  if (!view) {
    return Fail(kCode, "invalid request body");
  }
  InitiateRequest request;
  auto document = DecodeDocumentField(*view);
  if (!document) {
    return Fail(document.error());
  }
  request.document = std::move(*document);
  auto sig = StringMember(*view, "maintainer_sig");
  auto activation = TimeMember(*view, "activation_time");
  auto kms = StringMember(*view, "v2_kms_key_id");
  if (!sig || !activation || !kms) {
    return Fail(kCode,
                "invalid request body: maintainer_sig and v2_kms_key_id must be strings, "
                "activation_time a non-negative integer");
  }
  request.maintainer_sig = std::move(*sig);
  request.activation_time = *activation;
  request.named_kms_key = view->Has("v2_kms_key_id");
  return request;
}

core::Result<CompleteRequest> ParseCompleteRequest(std::string_view body) {
  constexpr ErrorCode kCode = ErrorCode::kMigrationRequestInvalid;
  auto json = ParseBody(body);
  if (!json) {
    return Fail(json.error());
  }
  auto view = core::JsonObjectView::Of(*json, kCode, "complete-migration body");
  if (!view) {
    return Fail(kCode, "invalid request body");
  }
  CompleteRequest request;
  auto document = DecodeDocumentField(*view);
  if (!document) {
    return Fail(document.error());
  }
  request.document = std::move(*document);
  auto nonce = view->String("v2_nonce");
  if (!nonce || !IsLowerHex(*nonce, 64)) {
    return Fail(kCode, "v2_nonce must be 64 lower-case hex digits");
  }
  request.v2_nonce = *core::HexDecode(*nonce);
  return request;
}

core::Result<PeerDocument> CheckPeerDocument(ByteView cose, const verifier::TrustAnchor& root,
                                             std::int64_t now) {
  verifier::VerifierConfig config;
  config.root = &root;
  verifier::VerificationPolicy policy;
  policy.time_source = verifier::TimeSource::kGiven;
  policy.time = core::UnixMillis{now * 1000};
  policy.allow_debug = false;
  auto verified = verifier::VerifyDocument(cose, config, policy);
  if (!verified) {
    if (verified.error().code == ErrorCode::kDebugMode) {
      return Fail(ErrorCode::kMigrationDebugDocument,
                  "attestation verification failed: a debug-mode enclave's document (PCR0 all "
                  "zero) never receives a key");
    }
    return Fail(ErrorCode::kMigrationDocumentInvalid,
                "attestation verification failed: " +
                    std::string(core::ErrorCodeName(verified.error().code)) + ": " +
                    verified.error().detail);
  }
  PeerDocument peer;
  peer.doc = verified->Document();
  auto pcr0 = peer.doc.pcrs.find(0);
  if (pcr0 == peer.doc.pcrs.end() || pcr0->second.empty()) {
    return Fail(ErrorCode::kMigrationDocumentInvalid, "attestation missing PCR0");
  }
  if (core::IsAllZero(pcr0->second)) {  // PCR0 alone zero: still a debug-mode measurement
    return Fail(ErrorCode::kMigrationDebugDocument,
                "attestation verification failed: PCR0 is all zero (debug mode)");
  }
  peer.pcr0_hex = core::HexEncode(pcr0->second);
  return peer;
}

core::Status CheckRsaPublicKey(const verifier::AttestationDocument& doc) {
  auto key = RsaKey(doc.public_key);
  if (!key) {
    return Fail(key.error());
  }
  return {};
}

core::Result<MigrationState> DecideInitiate(const MigrationSource& self,
                                            const std::optional<MigrationState>& current,
                                            const PeerDocument& peer,
                                            const InitiateRequest& request, std::int64_t now) {
  ENCLAVECTL_RETURN_IF_ERROR(CheckRsaPublicKey(peer.doc));
  if (peer.pcr0_hex == Lower(self.own_pcr0)) {
    return Fail(ErrorCode::kMigrationTargetIsSelf,
                "the target's PCR0 is this enclave's own: nothing to migrate to");
  }
  if (self.maintainer_pubkey.empty()) {
    return Fail(ErrorCode::kMigrationNoMaintainerKey,
                "maintainer authorization failed: this image has no maintainer_pubkey, so it "
                "never migrates its key");
  }
  if (request.maintainer_sig.empty() || request.activation_time == 0) {
    return Fail(ErrorCode::kMaintainerSignatureInvalid,
                "maintainer authorization failed: maintainer_sig and activation_time are "
                "required");
  }
  auto signature = verifier::VerifyMaintainerAuthorization(
      self.maintainer_pubkey, peer.pcr0_hex, request.activation_time, request.maintainer_sig);
  if (!signature) {
    return Fail(ErrorCode::kMaintainerSignatureInvalid,
                "maintainer authorization failed: " + signature.error().detail);
  }
  if (request.activation_time < now + self.cooldown) {
    return Fail(ErrorCode::kMigrationActivationTooEarly,
                "maintainer authorization failed: activation_time " +
                    std::to_string(request.activation_time) + " is before now + cooldown (" +
                    std::to_string(now + self.cooldown) + ")");
  }
  if (current && !current->Pending()) {
    return Fail(ErrorCode::kKeyMigrated, "key migrated to PCR0 " + current->target_pcr0 +
                                             ": this enclave no longer "
                                             "migrates or signs");
  }
  if (current) {
    return Fail(ErrorCode::kMigrationPending, "migration already pending");
  }
  MigrationState state;
  state.target_pcr0 = peer.pcr0_hex;
  state.initiated_at = now;
  state.source_pcr0 = Lower(self.own_pcr0);
  state.previous_pcr0 = self.previous_pcr0;
  state.activation_time = request.activation_time;
  state.maintainer_sig = Lower(request.maintainer_sig);
  return state;
}

core::Result<MigrationState> DecideComplete(const MigrationSource& self,
                                            const std::optional<MigrationState>& current,
                                            const PeerDocument& peer, std::int64_t now) {
  if (!current) {
    return Fail(ErrorCode::kMigrationNotPending, "no migration pending");
  }
  if (!current->Pending()) {
    return Fail(ErrorCode::kMigrationAlreadyCompleted, "migration already completed");
  }
  if (peer.pcr0_hex != current->target_pcr0) {
    return Fail(ErrorCode::kMigrationPcr0Mismatch, "attestation PCR0 " + peer.pcr0_hex +
                                                       " is not the migration's target " +
                                                       current->target_pcr0);
  }
  const std::int64_t elapsed = now - current->initiated_at;
  if (elapsed < self.cooldown) {
    return Fail(ErrorCode::kMigrationCooldownRunning,
                "cooldown not expired, " + std::to_string(self.cooldown - elapsed) + "s remaining");
  }
  if (now < current->activation_time) {
    return Fail(ErrorCode::kMigrationNotActive, "activation time not reached, " +
                                                    std::to_string(current->activation_time - now) +
                                                    "s remaining");
  }
  if (self.maintainer_pubkey.empty()) {
    return Fail(ErrorCode::kMigrationNoMaintainerKey,
                "maintainer authorization failed: this image has no maintainer_pubkey");
  }
  auto signature =
      verifier::VerifyMaintainerAuthorization(self.maintainer_pubkey, current->target_pcr0,
                                              current->activation_time, current->maintainer_sig);
  if (!signature) {
    return Fail(ErrorCode::kMaintainerSignatureInvalid,
                "maintainer authorization failed: " + signature.error().detail);
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckRsaPublicKey(peer.doc));
  MigrationState done = *current;
  done.completed_at = now;
  done.mac.clear();
  return done;
}

core::Result<core::Bytes> EncryptToPeer(const core::SecretBytes& secret, ByteView spki_der) {
  auto key = RsaKey(core::Bytes(spki_der.begin(), spki_der.end()));
  if (!key) {
    return Fail(key.error());
  }
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key->get(), nullptr));
  // OpenSSL takes ownership of the label buffer.
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kMigrationOaepLabel.size()));
  if (label == nullptr) {
    return Fail(ErrorCode::kInternal, "out of memory");
  }
  std::copy(kMigrationOaepLabel.begin(), kMigrationOaepLabel.end(), label);
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label,
                                       static_cast<int>(kMigrationOaepLabel.size())) != 1) {
    OPENSSL_free(label);  // NOLINT: only reached before set0 took it, or when it failed
    return Fail(ErrorCode::kInternal, "RSA-OAEP setup failed");
  }
  std::size_t out_len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &out_len, secret.View().data(), secret.size()) != 1) {
    return Fail(ErrorCode::kInternal, "RSA-OAEP failed");
  }
  core::Bytes out(out_len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, secret.View().data(), secret.size()) != 1) {
    return Fail(ErrorCode::kInternal, "RSA-OAEP failed");
  }
  out.resize(out_len);
  return out;
}

namespace {

// OAEP-SHA256 with the protocol's label on `ctx` (after *_init).
bool SetOaep(EVP_PKEY_CTX* ctx) {
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kMigrationOaepLabel.size()));
  if (label == nullptr) {
    return false;
  }
  std::copy(kMigrationOaepLabel.begin(), kMigrationOaepLabel.end(), label);
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, static_cast<int>(kMigrationOaepLabel.size())) !=
          1) {
    OPENSSL_free(label);  // NOLINT: set0 did not take it
    return false;
  }
  return true;
}

}  // namespace

core::Result<MigrationRsaKey> GenerateMigrationRsaKey() {
  MigrationRsaKey out;
  out.key.reset(EVP_RSA_gen(2048));
  if (!out.key) {
    return Fail(ErrorCode::kInternal, "RSA-2048 generation failed");
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(out.key.get(), &der);
  if (len <= 0) {
    return Fail(ErrorCode::kInternal, "RSA public key encoding failed");
  }
  out.spki.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

core::Result<core::SecretBytes> DecryptFromPeer(const MigrationRsaKey& key, ByteView ciphertext) {
  core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 || !SetOaep(ctx.get())) {
    return Fail(ErrorCode::kInternal, "RSA-OAEP setup failed");
  }
  core::SecretBytes plain(512);
  std::size_t len = plain.size();
  if (EVP_PKEY_decrypt(ctx.get(), plain.MutableData(), &len, ciphertext.data(),
                       ciphertext.size()) != 1 ||
      len != 32) {
    return Fail(ErrorCode::kMigrationSourceRefused,
                "V1's ciphertext does not open to a 32-byte key with our attested RSA key");
  }
  return core::SecretBytes(plain.View().first(32));
}

core::Status CheckSourceAnswer(const PeerDocument& source, std::string_view expected_pcr0,
                               const core::Bytes& v2_nonce, ByteView ciphertext,
                               ByteView compressed_pubkey) {
  constexpr ErrorCode kCode = ErrorCode::kMigrationSourceRefused;
  if (source.pcr0_hex != Lower(expected_pcr0)) {
    return Fail(kCode, "V1's PCR0 " + source.pcr0_hex +
                           " is not this image's previous_pcr0: not our declared predecessor");
  }
  if (!source.doc.nonce || !core::Equal(*source.doc.nonce, v2_nonce)) {
    return Fail(kCode, "V1's document does not carry our nonce (replayed or not for us)");
  }
  const core::Sha256Digest digest = core::Sha256(ciphertext);
  if (!source.doc.user_data || !core::Equal(*source.doc.user_data, digest)) {
    return Fail(kCode, "V1's document user_data is not SHA-256 of the ciphertext");
  }
  auto pcr16 = source.doc.pcrs.find(16);
  if (pcr16 != source.doc.pcrs.end() && !core::IsAllZero(pcr16->second)) {
    const core::Sha384Digest expected = verifier::KeyBindingPcrValue(compressed_pubkey);
    if (!core::Equal(pcr16->second, expected)) {
      return Fail(kCode, "V1's PCR16 does not bind the key it sent");
    }
  }
  return {};
}

int MigrationHttpStatus(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kMigrationRequestInvalid:
    case ErrorCode::kMigrationNotPending:
      return 400;
    case ErrorCode::kMigrationPending:
    case ErrorCode::kMigrationAlreadyCompleted:
      return 409;
    case ErrorCode::kKeyMigrated:
      return 410;
    case ErrorCode::kMigrationCooldownRunning:
    case ErrorCode::kMigrationNotActive:
      return 425;
    case ErrorCode::kMigrationDocumentInvalid:
    case ErrorCode::kMigrationDebugDocument:
    case ErrorCode::kMigrationNonceInvalid:
    case ErrorCode::kMigrationPublicKeyInvalid:
    case ErrorCode::kMigrationTargetIsSelf:
    case ErrorCode::kMigrationNoMaintainerKey:
    case ErrorCode::kMigrationActivationTooEarly:
    case ErrorCode::kMigrationPcr0Mismatch:
    case ErrorCode::kMaintainerSignatureInvalid:
      return 403;
    default:
      return 500;
  }
}

std::string MigrationRefusalText(const core::Error& error) {
  // The detail starts with the spec's message where it has one; the code follows.
  return error.detail + " (" + std::string(core::ErrorCodeName(error.code)) + ")\n";
}

}  // namespace enclavectl::app

// The key migration V1 -> V2 (issue 14 item 4; docs/migration.md "The migration protocol"):
// the state JSON (../shared/spec/migration.md 5.1 plus our additive fields), its MAC, the
// nonce table, the request codecs and every decision V1 and V2 take, as functions of their
// inputs and the current time. Service layer: no sockets, files or clocks (STYLE.md 1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/secret.hpp"
#include "enclavectl/verifier/document.hpp"
#include "enclavectl/verifier/trust.hpp"

namespace enclavectl::app {

inline constexpr std::int64_t kMigrationDefaultCooldown = 86400;  // spec 5: 24 h
inline constexpr std::int64_t kMigrationNonceLifetime = 300;      // seconds
inline constexpr std::size_t kMigrationMaxNonces = 64;            // outstanding, per V1
inline constexpr std::size_t kMigrationMaxBody = 64 * 1024;       // request bodies
// The RSA-OAEP label binding a ciphertext to this protocol (never a KMS call).
inline constexpr std::string_view kMigrationOaepLabel = "enclavectl-migration-v1";
// HKDF-SHA256 info of the state MAC key (IKM = V1's signing secret, no salt).
inline constexpr std::string_view kMigrationStateMacInfo = "enclavectl migration state v1";
// Store entry names (spec 1.1), under the store's prefix or directory.
inline constexpr std::string_view kMigrationStateName = "MigrationState";
inline constexpr std::string_view kMaintainerSigName = "MaintainerSig";
inline constexpr std::string_view kActivationTimeName = "MigrationActivationTime";

// Spec 5.1, in its field order, plus ours after it: maintainer_sig (the authorization V1
// checked, re-verified at completion) and mac (HMAC-SHA256, 64 hex, over the JSON without
// it). v2_kms_key_id is never written by us (accepted on the wire, ignored).
struct MigrationState {
  std::string target_pcr0;  // 96 lower-case hex
  std::string v2_kms_key_id;
  std::int64_t initiated_at = 0;
  std::int64_t completed_at = 0;  // 0: pending
  std::string source_pcr0;
  std::string previous_pcr0;
  std::int64_t activation_time = 0;
  std::string maintainer_sig;  // 128 hex
  std::string mac;             // 64 hex
  bool Pending() const noexcept { return completed_at == 0; }
};

// The compact JSON in spec order (empty strings and zero times omitted as upstream does);
// `with_mac` false gives the bytes the MAC covers.
std::string MigrationStateJson(const MigrationState& state, bool with_mac = true);
// Parses a stored state (untrusted: the host writes the store). Fails with
// kMigrationStateInvalid: not one JSON object, unknown member, wrong type, a PCR0 that is not
// 96 hex digits, a negative time.
[[nodiscard]] core::Result<MigrationState> ParseMigrationState(std::string_view text);
// The MAC key: HKDF-SHA256(signing secret, info kMigrationStateMacInfo), 32 bytes.
[[nodiscard]] core::Result<core::SecretBytes> MigrationStateKey(
    const core::SecretBytes& signing_secret);
// `state` with its mac set under `key`.
[[nodiscard]] core::Result<MigrationState> SealMigrationState(MigrationState state,
                                                              const core::SecretBytes& key);
// Fails with kMigrationStateForged unless state.mac is the MAC of the rest under `key`.
[[nodiscard]] core::Status AuthenticateMigrationState(const MigrationState& state,
                                                      const core::SecretBytes& key);

// Spec 4.2: {"state":<state without mac and maintainer_sig, or null>[,"cooldown_expired":true]}
// and a newline; the flag only when pending and now - initiated_at >= cooldown.
std::string MigrationStatusBody(const std::optional<MigrationState>& state, std::int64_t now,
                                std::int64_t cooldown, bool with_cooldown_flag = true);

// Single-use nonces V1 hands out (POST /internal/migration-nonce). At most
// kMigrationMaxNonces outstanding: the oldest is dropped when full.
class MigrationNonces {
 public:
  // Records `random` (32 bytes) as issued at `now`; returns its 64 hex digits.
  std::string Issue(const core::Bytes& random, std::int64_t now);
  // Consumes `nonce` (the document's, untrusted): fails with kMigrationNonceInvalid when it
  // was never issued, was already used, or is older than kMigrationNonceLifetime.
  [[nodiscard]] core::Status Consume(const std::optional<core::Bytes>& nonce, std::int64_t now);
  std::size_t Outstanding() const noexcept { return issued_.size(); }

 private:
  std::map<std::string, std::int64_t> issued_;  // hex -> issued at
};

// POST /internal/initiate-migration (untrusted body). kMigrationRequestInvalid for a body
// that is not one JSON object with attestation_doc (base64) and, when present, maintainer_sig
// (string), activation_time (integer >= 0), v2_kms_key_id (string, ignored).
struct InitiateRequest {
  core::Bytes document;
  std::string maintainer_sig;
  std::int64_t activation_time = 0;
  bool named_kms_key = false;  // v2_kms_key_id was present (and ignored)
};
[[nodiscard]] core::Result<InitiateRequest> ParseInitiateRequest(std::string_view body);
// POST /internal/complete-migration: {"attestation_doc": b64, "v2_nonce": 64 hex}.
struct CompleteRequest {
  core::Bytes document;
  core::Bytes v2_nonce;  // 32 bytes
};
[[nodiscard]] core::Result<CompleteRequest> ParseCompleteRequest(std::string_view body);

// A peer's document after the checks every migration document gets: chain to `root` at `now`
// with every verifier check (kMigrationDocumentInvalid, the verifier's error in the detail:
// never "signature OK but chain failed"), not debug mode (kMigrationDebugDocument), PCR0
// present.
struct PeerDocument {
  verifier::AttestationDocument doc;
  std::string pcr0_hex;  // lower case
};
[[nodiscard]] core::Result<PeerDocument> CheckPeerDocument(core::ByteView cose,
                                                           const verifier::TrustAnchor& root,
                                                           std::int64_t now);
// Fails with kMigrationPublicKeyInvalid unless `doc.public_key` is a DER SubjectPublicKeyInfo
// of an RSA key of at least 2048 bits.
[[nodiscard]] core::Status CheckRsaPublicKey(const verifier::AttestationDocument& doc);

// What V1 knows of itself.
struct MigrationSource {
  std::string own_pcr0;           // lower-case hex
  std::string previous_pcr0;      // V1's image config
  std::string maintainer_pubkey;  // V1's image config; empty: V1 refuses to migrate
  std::int64_t cooldown = kMigrationDefaultCooldown;
};

// V1's decision on an initiation whose document passed CheckPeerDocument and whose nonce
// was consumed: public key, target != self (kMigrationTargetIsSelf), a maintainer key
// (kMigrationNoMaintainerKey), the signature (kMaintainerSignatureInvalid), activation_time
// >= now + cooldown (kMigrationActivationTooEarly), no pending state (kMigrationPending), not
// already migrated (kKeyMigrated). Returns the new state (without mac).
[[nodiscard]] core::Result<MigrationState> DecideInitiate(
    const MigrationSource& self, const std::optional<MigrationState>& current,
    const PeerDocument& peer, const InitiateRequest& request, std::int64_t now);

// V1's decision on a completion (document already through CheckPeerDocument and the nonce
// table): a state (kMigrationNotPending), not completed (kMigrationAlreadyCompleted), PCR0 ==
// target (kMigrationPcr0Mismatch), cooldown elapsed (kMigrationCooldownRunning, detail
// "cooldown not expired, Ns remaining"), activation reached (kMigrationNotActive), the stored
// maintainer signature verifies again, the public key. Returns the completed state.
[[nodiscard]] core::Result<MigrationState> DecideComplete(
    const MigrationSource& self, const std::optional<MigrationState>& current,
    const PeerDocument& peer, std::int64_t now);

// RSA-OAEP-SHA256 (MGF1-SHA256, label kMigrationOaepLabel) of `secret` to the document's
// public key (an SPKI DER). kMigrationPublicKeyInvalid for a key that is not RSA >= 2048.
[[nodiscard]] core::Result<core::Bytes> EncryptToPeer(const core::SecretBytes& secret,
                                                      core::ByteView spki_der);

// V2's fresh RSA-2048 key for one document (kInternal) and its DER SubjectPublicKeyInfo.
struct MigrationRsaKey {
  core::EvpPkeyPtr key;
  core::Bytes spki;
};
[[nodiscard]] core::Result<MigrationRsaKey> GenerateMigrationRsaKey();
// EncryptToPeer's inverse with V2's private key: kMigrationSourceRefused unless it opens to
// 32 bytes.
[[nodiscard]] core::Result<core::SecretBytes> DecryptFromPeer(const MigrationRsaKey& key,
                                                              core::ByteView ciphertext);

// V2's check of V1's answer (document through CheckPeerDocument): nonce == v2_nonce,
// user_data == SHA-256(ciphertext), PCR0 == expected_pcr0 (V2's image previous_pcr0), and when
// the document has a non-zero PCR16, PCR16 == KeyBindingPcrValue(compressed public key of the
// decrypted secret). Fails with kMigrationSourceRefused. `compressed_pubkey` is of the secret
// V2 decrypted.
[[nodiscard]] core::Status CheckSourceAnswer(const PeerDocument& source,
                                             std::string_view expected_pcr0,
                                             const core::Bytes& v2_nonce, core::ByteView ciphertext,
                                             core::ByteView compressed_pubkey);

// The HTTP status of a migration refusal (400/403/409/410/425/500) and its plain-text body:
// the spec's message prefix where it has one, then the stable code name and detail.
int MigrationHttpStatus(core::ErrorCode code) noexcept;
std::string MigrationRefusalText(const core::Error& error);

}  // namespace enclavectl::app

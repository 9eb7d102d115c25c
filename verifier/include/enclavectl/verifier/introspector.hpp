// The Introspector-compatible HTTP bodies (parse layer: pure), read the way the Go client of
// introspector-enclave reads them (../shared/spec/migration.md sections 4.1-4.3, 5.1, 7):
// encoding/json into structs. Decoders take untrusted text and fail with
// kIntrospectorBodyMalformed where Go's json.Unmarshal would fail on the client's struct:
// a member of the wrong JSON type (a number for a string, a fraction or an exponent or an
// out-of-range number for an int64, a string for a bool); members the struct does not name
// are ignored and a null leaves the field at its zero value, as in Go; a member name matches
// exactly or, failing that, case-insensitively, as in Go. Stricter than Go, on purpose: the
// body must be one JSON object (Go would take a top-level null), no key may repeat and no two
// keys may fold to the same member (Go takes the last one). Encoders write what the
// enclave-app serves: compact JSON in the spec's member order, ending in "\n" (Go's
// json.Encoder), so an unchanged Go client reads it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

// GET /v1/info as the Go client reads it (section 4.3): {"signerPubkey", "version"}.
struct IntrospectorInfo {
  std::string signer_pubkey;  // 66 hex: the compressed signing key (not checked here)
  std::string version;
};
[[nodiscard]] core::Result<IntrospectorInfo> DecodeIntrospectorInfo(std::string_view body);

// GET /v1/enclave-info (section 4.1): maintainer_pubkey and attestation_pubkey are omitted
// when empty.
struct IntrospectorEnclaveInfo {
  std::string version;
  std::string previous_pcr0;      // "genesis" or 96 lower-case hex
  std::string maintainer_pubkey;  // 64 hex (x-only BIP-340 key) or empty
  std::string attestation_pubkey;
  // Ours, additive (issue 14; the Go client ignores them), each omitted when empty:
  std::string migrated_to_pcr0;    // 96 hex: this enclave handed its key to that image
  std::string migrated_from_pcr0;  // 96 hex: this enclave's key came from that image
  std::string key_origin;  // "reproducible", "sealed", "adopted", "migrated" (docs/enclave-app.md)
  // false: the enclave cannot show the key was never outside an enclave (adopted from an
  // Introspector ciphertext, or migrated: its history is the predecessor's); nullopt when the
  // member is absent or null.
  std::optional<bool> key_origin_provable;
};
[[nodiscard]] core::Result<IntrospectorEnclaveInfo> DecodeIntrospectorEnclaveInfo(
    std::string_view body);

// The MigrationState JSON (section 5.1); zero integers and empty strings are omitted when
// encoded, in the order below.
struct MigrationState {
  std::string target_pcr0;
  std::string v2_kms_key_id;
  std::int64_t initiated_at = 0;     // Unix seconds
  std::int64_t completed_at = 0;     // omitted when 0
  std::string source_pcr0;           // omitted when empty
  std::string previous_pcr0;         // omitted when empty
  std::int64_t activation_time = 0;  // omitted when 0
  friend bool operator==(const MigrationState&, const MigrationState&) = default;
};

// GET /v1/migration-status (section 4.2): {"state": <state or null>} plus
// "cooldown_expired": true only when it is true.
struct MigrationStatus {
  std::optional<MigrationState> state;  // nullopt: no migration ("state": null)
  bool cooldown_expired = false;
};
[[nodiscard]] core::Result<MigrationStatus> DecodeMigrationStatus(std::string_view body);
// Compact JSON + "\n"; with no state exactly "{\"state\":null}\n".
std::string EncodeMigrationStatus(const MigrationStatus& status);

// What a decoded body may still get wrong (decoding follows Go, which checks types only).
// CheckMigrationStatus: a state's target_pcr0 is 96 hex digits; initiated_at > 0;
// completed_at and activation_time 0 or positive, completed_at not before initiated_at;
// source_pcr0 empty, "unknown" or 96 hex; previous_pcr0 empty, "genesis" or 96 hex;
// v2_kms_key_id at most 2048 characters; cooldown_expired only with a pending state.
// CheckEnclaveInfoMigration: migrated_to_pcr0 / migrated_from_pcr0 empty or 96 hex,
// previous_pcr0 empty, "genesis" or 96 hex, maintainer_pubkey empty or 64 hex, key_origin at
// most 64 printable ASCII characters. Both fail with kMigrationStatusInvalid.
[[nodiscard]] core::Status CheckMigrationStatus(const MigrationStatus& status);
[[nodiscard]] core::Status CheckEnclaveInfoMigration(const IntrospectorEnclaveInfo& info);

// 96 hex digits (either case).
bool IsPcr0HexText(std::string_view text) noexcept;

}  // namespace enclavectl::verifier

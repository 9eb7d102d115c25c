// Generating enclave key policies (policy layer: pure): the standard policy (an admin manages
// the key but can never use its secrets) and the locked policy (no admin at all).
//
// Spec: ../shared/spec/kms.md sections 7 and 8.5.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/policy.hpp"

namespace enclavectl::kmspolicy {

// Measurements a policy pins, and where they came from. A PcrSource (pcr_source.hpp) fills
// it from a pcr.json file, a verified attestation document, N=HEX arguments or (later) an
// EIF image.
struct Measurements {
  // Each set is one allowed image (a rolling upgrade lists old and new); the generated
  // policy has one attested-use statement per set.
  std::vector<verifier::PcrSet> sets;
  // "pcr.json file build/pcr.json", "attestation document doc.cbor (i-..., verified at ...)".
  std::string origin;
  // True when every PCR given is meant (N=HEX arguments); false for sources that carry more
  // PCRs than a policy should pin (documents carry PCR0..15): then SelectPolicyPcrs keeps
  // PCR0, PCR1, PCR2 and a non-zero PCR8 (the signing certificate).
  bool explicit_pcrs = false;
};

// What the enclave role may do with the key.
enum class EnclaveAction : std::uint8_t {
  kDecrypt,              // "decrypt"            kms:Decrypt                (attested)
  kDeriveSharedSecret,   // "derive"             kms:DeriveSharedSecret     (attested)
  kGenerateDataKey,      // "generate-data-key"  kms:GenerateDataKey        (attested)
  kGenerateDataKeyPair,  // "generate-data-key-pair" kms:GenerateDataKeyPair (attested)
  kGenerateRandom,       // "generate-random"    kms:GenerateRandom         (attested)
  // No kms:Encrypt: it accepts no Recipient, so nothing can restrict it to the enclave, and
  // whoever may call it can inject a secret of its choice (lint rule key-injection).
};

// The default: decrypt, derive, generate-data-key.
std::vector<EnclaveAction> DefaultEnclaveActions();

// Parses "decrypt,derive,..." (names above, or the kms: action names). Fails with
// kInvalidArgument on an unknown or repeated name, and on "encrypt" / "kms:Encrypt" (with the
// reason: key injection).
[[nodiscard]] core::Result<std::vector<EnclaveAction>> ParseEnclaveActions(std::string_view text);

// "kms:Decrypt" for kDecrypt, ...
const char* EnclaveActionKmsName(EnclaveAction action) noexcept;

struct GenerateOptions {
  std::string account_id;        // 12 digits: the key's account (default admin: its root)
  std::string enclave_role_arn;  // arn:<partition>:iam::<account>:role/<name>
  // Standard policy only: principals that manage the key (never decrypt). Empty: the account
  // root (arn:aws:iam::<account>:root), i.e. IAM policies of the account decide.
  std::vector<std::string> admin_arns;
  // Read-only principals (DescribeKey, GetKeyPolicy, GetPublicKey), allowed in both variants:
  // in a locked policy they let an operator read back and audit what KMS holds.
  std::vector<std::string> auditor_arns;
  Measurements measurements;
  // PCR indexes to pin; nullopt: SelectPolicyPcrs's default.
  std::optional<std::vector<std::uint64_t>> pcr_indexes;
  std::vector<EnclaveAction> actions = DefaultEnclaveActions();
  bool locked = false;
};

// The PCRs of `set` a policy pins: `indexes` when given (each must be in the set), every PCR
// when `explicit_pcrs`, else PCR0, PCR1, PCR2 and PCR8 when present and non-zero. Fails with
// kPolicyPcrValue when a requested index is absent.
[[nodiscard]] core::Result<verifier::PcrSet> SelectPolicyPcrs(
    const verifier::PcrSet& set, bool explicit_pcrs,
    const std::optional<std::vector<std::uint64_t>>& indexes);

// The condition key for PCR `index`: kms:RecipientAttestation:ImageSha384 for PCR0 (the same
// value; the key AWS's examples use), kms:RecipientAttestation:PCR<n> otherwise.
std::string AttestationKeyForPcr(std::uint64_t index);

// Builds the policy. Statements, in order:
//   EnclaveAttestedUse[N]   Allow role -> attested actions, StringEqualsIgnoreCase on every
//                           selected PCR of set N (lower-case hex; one block, so ANDed)
//   EnclaveKeyInfo          Allow role -> DescribeKey, GetPublicKey, GetKeyPolicy
//   KeyAdministration       standard only: Allow admins -> an explicit management list (no
//                           Decrypt, DeriveSharedSecret, GenerateDataKey*, ReEncrypt*,
//                           CreateGrant, never a wildcard)
//   KeyAudit                Allow auditors -> DescribeKey, GetKeyPolicy, GetPublicKey
//   DenyUnattestedSecretUse Deny "*" -> decrypt-class actions, ReEncrypt*, CreateGrant when
//                           kms:RecipientAttestation:ImageSha384 is Null (no attestation)
// Fails with kInvalidArgument (account id, ARNs, admins given for a locked policy, no
// attested action) or kPolicyPcrValue (no measurement set, a set without PCR0, a value that is
// not 48 bytes or is all zero: debug-mode enclaves report zeros and anyone can start one).
[[nodiscard]] core::Result<Policy> GeneratePolicy(const GenerateOptions& options);

}  // namespace enclavectl::kmspolicy

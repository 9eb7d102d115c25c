// KMS actions as key policies name them, the wildcard matching IAM uses, and the classes of
// actions that lint reasons about (pure).
#pragma once

#include <span>
#include <string_view>

namespace enclavectl::kmspolicy {

// IAM wildcard matching: '*' matches any sequence (also empty), '?' exactly one character.
// Runs in O(|pattern| * |text|) at worst, never exponentially.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) noexcept;

// True when the Action element entry `pattern` ("kms:Get*", "*") covers `action`
// ("kms:GetKeyPolicy"); actions compare case-insensitively.
bool ActionMatches(std::string_view pattern, std::string_view action) noexcept;

// Every KMS permission ("kms:CancelKeyDeletion" ... "kms:VerifyMac"), for expanding the
// wildcards of a policy into the actions they grant.
std::span<const std::string_view> KnownKmsActions() noexcept;
bool IsKnownKmsAction(std::string_view action) noexcept;  // case-insensitive

// The operations that accept a Recipient and so can carry kms:RecipientAttestation:* keys
// (kms.md section 5): Decrypt, DeriveSharedSecret, GenerateDataKey, GenerateDataKeyPair,
// GenerateRandom.
std::span<const std::string_view> RecipientActions() noexcept;
bool IsRecipientAction(std::string_view action) noexcept;

// Decrypt-class actions: those that hand out key-protected secrets, directly (Decrypt,
// DeriveSharedSecret, GenerateDataKey, GenerateDataKeyPair), by re-encrypting them under a
// key the caller controls (ReEncryptFrom), or by delegating any of these through a grant
// (CreateGrant). The admin of a standard policy gets none of them.
std::span<const std::string_view> SecretActions() noexcept;

// Key-injection actions: those that let the caller make a ciphertext under this key of a
// plaintext it chose (Encrypt, and ReEncryptTo from a key the caller controls). The enclave
// would unseal such a ciphertext and adopt the caller's secret as its own. Neither carries a
// Recipient, so an Allow for them is safe only when nobody can reach it.
std::span<const std::string_view> InjectionActions() noexcept;

// Replica actions: ReplicateKey (makes a replica of this key material in another region,
// under a key policy the caller writes) and UpdatePrimaryRegion (makes such a replica the
// primary). Either is an escape from this policy, both for enclave-only and for a lock.
std::span<const std::string_view> ReplicaActions() noexcept;

// Every action that enclave-only is about: SecretActions, InjectionActions and
// ReplicaActions, in that order.
std::span<const std::string_view> EnclaveOnlyActions() noexcept;

// Actions that break a lock: change the policy, grant, schedule deletion, or replicate the
// key (ReplicaActions).
std::span<const std::string_view> LockBreakingActions() noexcept;

}  // namespace enclavectl::kmspolicy

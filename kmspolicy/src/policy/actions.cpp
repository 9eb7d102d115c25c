#include "enclavectl/kmspolicy/actions.hpp"

#include <algorithm>
#include <array>

#include "enclavectl/core/ascii.hpp"

namespace enclavectl::kmspolicy {
namespace {

// AWS Service Authorization Reference, "Actions defined by AWS Key Management Service".
constexpr auto kKmsActions = std::to_array<std::string_view>({
    "kms:CancelKeyDeletion",
    "kms:ConnectCustomKeyStore",
    "kms:CreateAlias",
    "kms:CreateCustomKeyStore",
    "kms:CreateGrant",
    "kms:CreateKey",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DeleteCustomKeyStore",
    "kms:DeleteImportedKeyMaterial",
    "kms:DeriveSharedSecret",
    "kms:DescribeCustomKeyStores",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:DisconnectCustomKeyStore",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GenerateRandom",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:GetParametersForImport",
    "kms:GetPublicKey",
    "kms:ImportKeyMaterial",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListKeys",
    "kms:ListResourceTags",
    "kms:ListRetirableGrants",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:Sign",
    "kms:SynchronizeMultiRegionKey",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateCustomKeyStore",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
    "kms:Verify",
    "kms:VerifyMac",
});

constexpr std::array<std::string_view, 5> kRecipientActions = {
    "kms:Decrypt", "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
    "kms:GenerateRandom"};

constexpr std::array<std::string_view, 6> kSecretActions = {
    "kms:Decrypt",       "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
    "kms:ReEncryptFrom", "kms:CreateGrant"};

constexpr std::array<std::string_view, 2> kInjectionActions = {"kms:Encrypt", "kms:ReEncryptTo"};

constexpr std::array<std::string_view, 2> kReplicaActions = {"kms:ReplicateKey",
                                                             "kms:UpdatePrimaryRegion"};

constexpr std::array<std::string_view, 10> kEnclaveOnlyActions = {
    "kms:Decrypt",       "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
    "kms:ReEncryptFrom", "kms:CreateGrant",        "kms:Encrypt",         "kms:ReEncryptTo",
    "kms:ReplicateKey",  "kms:UpdatePrimaryRegion"};

constexpr std::array<std::string_view, 5> kLockBreakingActions = {
    "kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion"};

char Fold(char c, bool ignore_case) noexcept { return ignore_case ? core::ascii::Lower(c) : c; }

bool Contains(std::span<const std::string_view> list, std::string_view action) noexcept {
  return std::any_of(list.begin(), list.end(), [action](std::string_view known) {
    return core::ascii::EqualsIgnoreCase(known, action);
  });
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) noexcept {
  // Greedy matching with one backtrack point (the last '*'): linear in practice, quadratic at
  // worst.
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || Fold(pattern[p], ignore_case) == Fold(text[t], ignore_case)) &&
        pattern[p] != '*') {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool ActionMatches(std::string_view pattern, std::string_view action) noexcept {
  return WildcardMatch(pattern, action, /*ignore_case=*/true);
}

std::span<const std::string_view> KnownKmsActions() noexcept { return kKmsActions; }

bool IsKnownKmsAction(std::string_view action) noexcept {
  return Contains(KnownKmsActions(), action);
}

std::span<const std::string_view> RecipientActions() noexcept { return kRecipientActions; }

bool IsRecipientAction(std::string_view action) noexcept {
  return Contains(kRecipientActions, action);
}

std::span<const std::string_view> SecretActions() noexcept { return kSecretActions; }

std::span<const std::string_view> InjectionActions() noexcept { return kInjectionActions; }

std::span<const std::string_view> ReplicaActions() noexcept { return kReplicaActions; }

std::span<const std::string_view> EnclaveOnlyActions() noexcept { return kEnclaveOnlyActions; }

std::span<const std::string_view> LockBreakingActions() noexcept { return kLockBreakingActions; }

}  // namespace enclavectl::kmspolicy

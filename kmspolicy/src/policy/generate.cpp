#include "enclavectl/kmspolicy/generate.hpp"

#include <algorithm>
#include <array>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using core::Fail;

struct ActionName {
  EnclaveAction action;
  const char* short_name;
  const char* kms_name;
};

constexpr std::array<ActionName, 5> kActionNames = {{
    {EnclaveAction::kDecrypt, "decrypt", "kms:Decrypt"},
    {EnclaveAction::kDeriveSharedSecret, "derive", "kms:DeriveSharedSecret"},
    {EnclaveAction::kGenerateDataKey, "generate-data-key", "kms:GenerateDataKey"},
    {EnclaveAction::kGenerateDataKeyPair, "generate-data-key-pair", "kms:GenerateDataKeyPair"},
    {EnclaveAction::kGenerateRandom, "generate-random", "kms:GenerateRandom"},
}};

// kms.md 8.5: the admin's explicit allow-list. Management only: nothing that returns or
// re-encrypts key-protected data, no CreateGrant, no wildcard.
constexpr std::array<const char*, 20> kAdminActions = {
    "kms:DescribeKey",         "kms:GetKeyPolicy",         "kms:PutKeyPolicy",
    "kms:ListKeyPolicies",     "kms:GetPublicKey",         "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",   "kms:DisableKeyRotation",   "kms:ListResourceTags",
    "kms:TagResource",         "kms:UntagResource",        "kms:ListGrants",
    "kms:RevokeGrant",         "kms:UpdateKeyDescription", "kms:EnableKey",
    "kms:DisableKey",          "kms:CreateAlias",          "kms:UpdateAlias",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
};

constexpr std::array<const char*, 3> kReadOnlyActions = {"kms:DescribeKey", "kms:GetKeyPolicy",
                                                         "kms:GetPublicKey"};

constexpr std::array<const char*, 6> kDenyUnattestedActions = {
    "kms:Decrypt",    "kms:DeriveSharedSecret", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
    "kms:ReEncrypt*", "kms:CreateGrant"};

template <std::size_t N>
std::vector<std::string> Strings(const std::array<const char*, N>& list) {
  return {list.begin(), list.end()};
}

Principals AwsPrincipals(const std::vector<std::string>& arns) {
  Principals out;
  for (const std::string& arn : arns) {
    out.entries.push_back(PrincipalEntry{"AWS", arn});
  }
  return out;
}

Statement Allow(std::string sid, Principals principals, std::vector<std::string> actions) {
  Statement s;
  s.sid = std::move(sid);
  s.effect = Effect::kAllow;
  s.principal = std::move(principals);
  s.actions = std::move(actions);
  s.has_action = true;
  s.resources = {"*"};
  s.has_resource = true;
  return s;
}

core::Status CheckPrincipalArn(const std::string& flag, const std::string& text) {
  if (aws::AccountPrincipal(text)) {
    return core::Ok();
  }
  const std::optional<aws::Arn> arn = aws::ParseArn(text);
  if (!arn || (arn->service != "iam" && arn->service != "sts") || !aws::IsAccountId(arn->account)) {
    return Fail(ErrorCode::kInvalidArgument,
                flag + " \"" + core::SafeExcerpt(text) +
                    "\" is not an IAM principal ARN (arn:aws:iam::<account>:role/<name>, "
                    ":user/<name> or :root) or an account id");
  }
  return core::Ok();
}

}  // namespace

std::vector<EnclaveAction> DefaultEnclaveActions() {
  return {EnclaveAction::kDecrypt, EnclaveAction::kDeriveSharedSecret,
          EnclaveAction::kGenerateDataKey};
}

core::Result<std::vector<EnclaveAction>> ParseEnclaveActions(std::string_view text) {
  std::vector<EnclaveAction> out;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (item == "encrypt" || core::ascii::EqualsIgnoreCase(item, "kms:Encrypt")) {
      // Encrypt never carries a Recipient, so no attestation condition can gate it: whoever
      // holds it can make a ciphertext of a secret they chose, which the enclave would unseal
      // and adopt as its own (lint rule key-injection).
      return Fail(ErrorCode::kInvalidArgument,
                  "--actions: \"encrypt\" is not offered: kms:Encrypt accepts no Recipient, so "
                  "no attestation condition can restrict it, and whoever may call it can make a "
                  "ciphertext of a secret they chose that the enclave would unseal and adopt as "
                  "its own (key injection). The enclave can seal its own data with a data key "
                  "from GenerateDataKey (generate-data-key)");
    }
    const auto it = std::find_if(kActionNames.begin(), kActionNames.end(), [item](const auto& a) {
      return item == a.short_name || item == a.kms_name;
    });
    if (it == kActionNames.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--actions: unknown action \"" + core::SafeExcerpt(item) +
                      "\" (decrypt, derive, generate-data-key, generate-data-key-pair, "
                      "generate-random)");
    }
    if (std::find(out.begin(), out.end(), it->action) != out.end()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--actions: \"" + std::string(it->short_name) + "\" is listed twice");
    }
    out.push_back(it->action);
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

const char* EnclaveActionKmsName(EnclaveAction action) noexcept {
  for (const ActionName& a : kActionNames) {
    if (a.action == action) {
      return a.kms_name;
    }
  }
  return "kms:Decrypt";
}

core::Result<verifier::PcrSet> SelectPolicyPcrs(
    const verifier::PcrSet& set, bool explicit_pcrs,
    const std::optional<std::vector<std::uint64_t>>& indexes) {
  verifier::PcrSet out;
  if (indexes) {
    for (std::uint64_t index : *indexes) {
      const auto it = set.find(index);
      if (it == set.end()) {
        return Fail(ErrorCode::kPolicyPcrValue,
                    "PCR" + std::to_string(index) + " was asked for but the source has none",
                    static_cast<int>(index));
      }
      out.insert(*it);
    }
    return out;
  }
  if (explicit_pcrs) {
    return set;
  }
  for (std::uint64_t index : {0U, 1U, 2U}) {
    if (const auto it = set.find(index); it != set.end()) {
      out.insert(*it);
    }
  }
  if (const auto it = set.find(8); it != set.end() && !core::IsAllZero(it->second)) {
    out.insert(*it);
  }
  return out;
}

std::string AttestationKeyForPcr(std::uint64_t index) {
  return index == 0 ? std::string(kImageSha384Key)
                    : std::string(kRecipientPcrKeyPrefix) + std::to_string(index);
}

namespace {

// The options that need no measurements: account, enclave role, admins and auditors. Returns
// the enclave role's ARN.
core::Result<aws::Arn> CheckGenerateOptions(const GenerateOptions& options) {
  if (!aws::IsAccountId(options.account_id)) {
    return Fail(ErrorCode::kInvalidArgument, "--account must be a 12-digit AWS account id");
  }
  std::optional<aws::Arn> role = aws::ParseArn(options.enclave_role_arn);
  if (!role || !aws::RoleName(*role) || !aws::IsAccountId(role->account)) {
    return Fail(ErrorCode::kInvalidArgument,
                "--enclave-role must be an IAM role ARN: arn:aws:iam::<account>:role/<name>");
  }
  if (options.locked && !options.admin_arns.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "a locked policy has no admin statement; use --auditor for read-only access");
  }
  for (const std::string& admin : options.admin_arns) {
    ENCLAVECTL_RETURN_IF_ERROR(CheckPrincipalArn("--admin", admin));
  }
  for (const std::string& auditor : options.auditor_arns) {
    ENCLAVECTL_RETURN_IF_ERROR(CheckPrincipalArn("--auditor", auditor));
  }
  return std::move(*role);
}

// The Allow statement for measurement set `n`: the attested actions for the enclave role,
// conditioned on every selected PCR (PCR0 as ImageSha384).
core::Result<Statement> AttestedUseStatement(const GenerateOptions& options, std::size_t n,
                                             const Principals& enclave,
                                             const std::vector<std::string>& attested) {
  auto selected = SelectPolicyPcrs(options.measurements.sets[n], options.measurements.explicit_pcrs,
                                   options.pcr_indexes);
  if (!selected) {
    return Fail(selected.error());
  }
  if (selected->find(0) == selected->end()) {
    return Fail(ErrorCode::kPolicyPcrValue,
                "measurement set " + std::to_string(n) +
                    " has no PCR0: the policy must pin the whole image (ImageSha384)",
                0);
  }
  Statement s = Allow(n == 0 ? "EnclaveAttestedUse" : "EnclaveAttestedUse" + std::to_string(n + 1),
                      enclave, attested);
  for (const auto& [index, value] : *selected) {
    if (index > core::limits::kMaxPcrIndex || value.size() != 48) {
      return Fail(ErrorCode::kPolicyPcrValue,
                  "PCR" + std::to_string(index) +
                      " is not a 48-byte SHA-384 value; KMS attestation conditions compare "
                      "96 hex digits",
                  static_cast<int>(index));
    }
    if (core::IsAllZero(value)) {
      return Fail(ErrorCode::kPolicyPcrValue,
                  "PCR" + std::to_string(index) +
                      " is all zero, as debug-mode enclaves report it: anyone can start such "
                      "an enclave, so it cannot protect a key",
                  static_cast<int>(index));
    }
    Condition c;
    c.operator_text = "StringEqualsIgnoreCase";
    ParseConditionOperator(c.operator_text, c);
    c.key = AttestationKeyForPcr(index);
    c.values = {core::HexEncode(value)};
    s.conditions.push_back(std::move(c));
  }
  return s;
}

// The Deny statement that refuses the secret-returning actions to requests without an
// attestation document (Null on ImageSha384).
Statement DenyUnattestedStatement() {
  Statement deny =
      Allow("DenyUnattestedSecretUse", Principals{true, {}}, Strings(kDenyUnattestedActions));
  deny.effect = Effect::kDeny;
  Condition null_check;
  null_check.operator_text = "Null";
  ParseConditionOperator(null_check.operator_text, null_check);
  null_check.key = std::string(kImageSha384Key);
  null_check.values = {"true"};
  deny.conditions.push_back(std::move(null_check));
  return deny;
}

}  // namespace

core::Result<Policy> GeneratePolicy(const GenerateOptions& options) {
  auto role = CheckGenerateOptions(options);
  if (!role) {
    return Fail(role.error());
  }
  std::vector<std::string> attested;
  for (EnclaveAction action : options.actions) {
    attested.emplace_back(EnclaveActionKmsName(action));
  }
  if (attested.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--actions must include at least one attested action (decrypt, derive, "
                "generate-data-key, generate-data-key-pair, generate-random)");
  }
  if (options.measurements.sets.empty()) {
    return Fail(ErrorCode::kPolicyPcrValue, "no measurements: the PCR source gave no PCR set");
  }

  Policy policy;
  policy.version = "2012-10-17";
  policy.id = options.locked ? "enclavectl-locked" : "enclavectl-standard";
  const Principals enclave = AwsPrincipals({options.enclave_role_arn});
  for (std::size_t n = 0; n < options.measurements.sets.size(); ++n) {
    auto s = AttestedUseStatement(options, n, enclave, attested);
    if (!s) {
      return Fail(s.error());
    }
    policy.statements.push_back(std::move(*s));
  }
  policy.statements.push_back(Allow("EnclaveKeyInfo", enclave, Strings(kReadOnlyActions)));
  if (!options.locked) {
    std::vector<std::string> admins = options.admin_arns;
    if (admins.empty()) {
      admins.push_back("arn:" + role->partition + ":iam::" + options.account_id + ":root");
    }
    policy.statements.push_back(
        Allow("KeyAdministration", AwsPrincipals(admins), Strings(kAdminActions)));
  }
  if (!options.auditor_arns.empty()) {
    policy.statements.push_back(
        Allow("KeyAudit", AwsPrincipals(options.auditor_arns), Strings(kReadOnlyActions)));
  }
  policy.statements.push_back(DenyUnattestedStatement());
  ENCLAVECTL_RETURN_IF_ERROR(ValidatePolicy(policy));
  return policy;
}

}  // namespace enclavectl::kmspolicy

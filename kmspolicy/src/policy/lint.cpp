#include "enclavectl/kmspolicy/lint.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <span>
#include <utility>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/kmspolicy/actions.hpp"
#include "enclavectl/kmspolicy/evaluate.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using core::Fail;

using core::ascii::EqualsIgnoreCase;
using core::ascii::StartsWithIgnoreCase;

// kms:RecipientAttestation:ImageSha384 or :PCR0..PCR31 (kms.md section 7).
bool IsKnownAttestationKey(std::string_view key) noexcept {
  if (!IsAttestationKey(key)) {
    return false;
  }
  const std::string_view name = key.substr(kRecipientAttestationKeyPrefix.size());
  if (EqualsIgnoreCase(name, "ImageSha384")) {
    return true;
  }
  if (!StartsWithIgnoreCase(name, "PCR") || name.size() < 4 || name.size() > 5) {
    return false;
  }
  unsigned index = 0;
  const std::string_view digits = name.substr(3);
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  return ec == std::errc() && ptr == digits.data() + digits.size() && index <= 31 &&
         !(digits.size() == 2 && digits[0] == '0');
}

bool IsStringOperator(ConditionOperator op) noexcept {
  switch (op) {
    case ConditionOperator::kStringEquals:
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringEqualsIgnoreCase:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringLike:
    case ConditionOperator::kStringNotLike:
      return true;
    default:
      return false;
  }
}

bool IsCaseSensitive(ConditionOperator op) noexcept {
  return op == ConditionOperator::kStringEquals || op == ConditionOperator::kStringNotEquals ||
         op == ConditionOperator::kStringLike || op == ConditionOperator::kStringNotLike;
}

bool IsAllZeroHex(std::string_view value) noexcept {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c == '0'; });
}

bool AllValuesValid(const Condition& c) {
  const bool lower_only = IsCaseSensitive(*c.op);
  return std::all_of(c.values.begin(), c.values.end(), [lower_only](const std::string& v) {
    return IsValidPcrConditionValue(v, lower_only);
  });
}

// A condition that pins the whole image: StringEquals[IgnoreCase] on ImageSha384/PCR0 with
// only valid values, no IfExists, no set qualifier.
bool IsImageGate(const Condition& c) {
  return IsImageKey(c.key) && !c.if_exists && c.qualifier == SetQualifier::kNone &&
         (*c.op == ConditionOperator::kStringEquals ||
          *c.op == ConditionOperator::kStringEqualsIgnoreCase) &&
         AllValuesValid(c);
}

// A condition no request without a Recipient can satisfy: a positive operator on an
// attestation key (absent key: false) or Null "false" on one.
bool RequiresAttestation(const Condition& c) {
  if (!IsAttestationKey(c.key)) {
    return false;
  }
  if (*c.op == ConditionOperator::kNull) {
    return std::all_of(c.values.begin(), c.values.end(),
                       [](const std::string& v) { return EqualsIgnoreCase(v, "false"); });
  }
  return !c.if_exists && c.qualifier != SetQualifier::kForAllValues && !IsNegatedOperator(*c.op);
}

struct StatementFacts {
  bool image_gate = false;
  bool requires_attestation = false;
};

StatementFacts FactsOf(const Statement& s) {
  StatementFacts facts;
  for (const Condition& c : s.conditions) {
    facts.image_gate = facts.image_gate || IsImageGate(c);
    facts.requires_attestation = facts.requires_attestation || RequiresAttestation(c);
  }
  return facts;
}

// "Principal": "*" or {"AWS": "*"} (the evaluator's notion: PrincipalsCoverEveryone).
bool IsEveryone(const std::optional<Principals>& principals) {
  return principals && PrincipalsCoverEveryone(*principals);
}

// Every value of `c` names exactly the image `pcr0_hex` (lower-case hex): equal, or equal
// ignoring case for an IgnoreCase operator.
bool ValuesNameOnly(const Condition& c, const std::string& pcr0_hex) {
  const bool ignore_case = !IsCaseSensitive(*c.op);
  return !c.values.empty() &&
         std::all_of(c.values.begin(), c.values.end(), [&](const std::string& v) {
           return ignore_case ? EqualsIgnoreCase(v, pcr0_hex) : v == pcr0_hex;
         });
}

bool Contains(std::span<const std::string_view> list, std::string_view action) {
  return std::find(list.begin(), list.end(), action) != list.end();
}

bool HasWildcardPrincipal(const Statement& s) {
  return s.not_principal.has_value() || IsEveryone(s.principal);  // NotPrincipal: all but a few
}

std::vector<std::string> AccountPrincipals(const Statement& s) {
  std::vector<std::string> out;
  if (s.principal) {
    for (const PrincipalEntry& e : s.principal->entries) {
      if (e.type == "AWS") {
        if (std::optional<std::string> account = aws::AccountPrincipal(e.value)) {
          out.push_back(*account);
        }
      }
    }
  }
  return out;
}

std::string Who(const Statement& s) {
  if (s.not_principal) {
    return "every principal but those in NotPrincipal";
  }
  if (HasWildcardPrincipal(s)) {
    return "anyone (Principal \"*\")";
  }
  if (!s.principal || s.principal->entries.empty()) {
    return "nobody";
  }
  std::string out;
  for (const PrincipalEntry& e : s.principal->entries) {
    out += out.empty() ? "" : ", ";
    if (std::optional<std::string> account = aws::AccountPrincipal(e.value);
        account && e.type == "AWS") {
      out += "account " + *account + " (any IAM principal an IAM policy allows)";
    } else {
      out += core::SafeExcerpt(e.value, 128);
    }
  }
  return out;
}

std::string JoinActions(const std::vector<std::string_view>& actions) {
  std::string out;
  for (std::string_view a : actions) {
    out += out.empty() ? "" : ", ";
    out += a;
  }
  return out;
}

// How Deny statements for every principal treat `action`.
enum class DenyEffect : std::uint8_t { kNone, kAlways, kUnattested, kImageGate };

DenyEffect DenyOf(const Statement& s) {
  if (s.effect != Effect::kDeny || !IsEveryone(s.principal)) {
    return DenyEffect::kNone;
  }
  if (s.conditions.empty()) {
    return DenyEffect::kAlways;
  }
  if (s.conditions.size() != 1) {
    return DenyEffect::kNone;  // ANDed conditions: the Deny may not apply; not counted
  }
  const Condition& c = s.conditions.front();
  if (IsImageKey(c.key) && *c.op == ConditionOperator::kNull &&
      std::all_of(c.values.begin(), c.values.end(),
                  [](const std::string& v) { return EqualsIgnoreCase(v, "true"); })) {
    return DenyEffect::kUnattested;
  }
  if (IsImageKey(c.key) && c.qualifier == SetQualifier::kNone &&
      (*c.op == ConditionOperator::kStringNotEquals ||
       *c.op == ConditionOperator::kStringNotEqualsIgnoreCase) &&
      AllValuesValid(c)) {
    return DenyEffect::kImageGate;
  }
  return DenyEffect::kNone;
}

// True when a Deny for every principal that certainly covers the key keeps `action` from
// anyone without the measured image: an unconditional Deny, a Deny of other images (with
// `target.pcr0_hex`: of every image but that one), or (for actions that never carry a
// Recipient) a Deny of requests without an attestation. A Deny whose Resource might not be
// this key protects nothing (evaluate.hpp StatementCertainlyCoversResource).
bool BlockedForAll(const Policy& policy, std::string_view action, const LintTarget& target) {
  for (const Statement& s : policy.statements) {
    if (!StatementCoversAction(s, action) || !StatementCertainlyCoversResource(s, target.key_arn)) {
      continue;
    }
    switch (DenyOf(s)) {
      case DenyEffect::kAlways:
        return true;
      case DenyEffect::kImageGate:
        if (!target.pcr0_hex || ValuesNameOnly(s.conditions.front(), *target.pcr0_hex)) {
          return true;
        }
        break;
      case DenyEffect::kUnattested:
        if (!IsRecipientAction(action)) {
          return true;
        }
        break;
      case DenyEffect::kNone:
        break;
    }
  }
  return false;
}

class Linter {
 public:
  Linter(const Policy& policy, const LintTarget& target) : policy_(policy), target_(target) {}

  LintReport Run() {
    for (std::size_t i = 0; i < policy_.statements.size(); ++i) {
      facts_.push_back(FactsOf(policy_.statements[i]));
    }
    CheckEnclaveOnly();
    CheckLocked();
    for (std::size_t i = 0; i < policy_.statements.size(); ++i) {
      CheckStatement(i);
    }
    CheckPolicyWide();
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       const std::size_t sa = a.statement.value_or(SIZE_MAX);
                       const std::size_t sb = b.statement.value_or(SIZE_MAX);
                       return sa != sb ? sa < sb : a.severity < b.severity;
                     });
    return std::move(report_);
  }

 private:
  void Add(const char* rule, Severity severity, std::optional<std::size_t> statement,
           std::string message) {
    report_.findings.push_back(Finding{rule, severity, statement, std::move(message)});
  }

  std::string Name(std::size_t i) const { return DescribeStatement(policy_, i); }

  // Adds a finding once per (rule, statement).
  void AddOnce(const char* rule, Severity severity, std::size_t statement, std::string message) {
    if (reported_.emplace(rule, statement).second) {
      Add(rule, severity, statement, std::move(message));
    }
  }

  // True when the Allow statement `i` admits only the measured image for a Recipient action:
  // one of its conditions pins ImageSha384/PCR0 (to `target_.pcr0_hex` when set).
  bool AdmitsOnlyTheImage(std::size_t i) const {
    if (!target_.pcr0_hex) {
      return facts_[i].image_gate;
    }
    const std::vector<Condition>& conditions = policy_.statements[i].conditions;
    return std::any_of(conditions.begin(), conditions.end(), [this](const Condition& c) {
      return IsImageGate(c) && ValuesNameOnly(c, *target_.pcr0_hex);
    });
  }

  // Allow statements that can apply to `action` on this key (their Resource might name it),
  // split by whether a condition only a Recipient request satisfies makes them inapplicable.
  std::vector<std::size_t> AllowsFor(std::string_view action) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < policy_.statements.size(); ++i) {
      const Statement& s = policy_.statements[i];
      if (s.effect != Effect::kAllow || !StatementCoversAction(s, action) ||
          !StatementCoversResource(s, target_.key_arn)) {
        continue;
      }
      if (!IsRecipientAction(action) && facts_[i].requires_attestation) {
        never_satisfied_[i].push_back(action);
        continue;
      }
      out.push_back(i);
    }
    return out;
  }

  void CheckEnclaveOnly() {
    std::map<std::size_t, std::vector<std::string_view>> leaks;
    for (std::string_view action : EnclaveOnlyActions()) {
      if (BlockedForAll(policy_, action, target_)) {
        continue;
      }
      for (std::size_t i : AllowsFor(action)) {
        if (IsRecipientAction(action) && AdmitsOnlyTheImage(i)) {
          continue;
        }
        leaks[i].push_back(action);
      }
    }
    report_.enclave_only.holds = leaks.empty();
    if (leaks.empty()) {
      report_.enclave_only.reasons.push_back(
          std::string("every statement that allows a decrypt-class action requires the "
                      "measured image (ImageSha384/PCR0") +
          (target_.pcr0_hex ? " = the expected " + target_.pcr0_hex->substr(0, 16) + "..." : "") +
          "), or a Deny for every principal that covers this key blocks it; nobody can "
          "encrypt under the key or replicate it");
    }
    for (const auto& [i, actions] : leaks) {
      const Statement& s = policy_.statements[i];
      const bool gated = facts_[i].image_gate;
      report_.enclave_only.reasons.push_back(
          Name(i) + " lets " + Who(s) + " call " + JoinActions(actions) +
          (gated ? " with an image other than the expected one"
                 : " without a condition on the measured image"));
      std::vector<std::string_view> direct;
      std::vector<std::string_view> injection;
      std::vector<std::string_view> replica;
      for (std::string_view a : actions) {
        if (a == "kms:CreateGrant") {
          AddOnce(rules::kCreateGrant, Severity::kError, i,
                  Name(i) + " lets " + Who(s) +
                      " create grants: a grantee can decrypt without any attestation, and grants "
                      "outlive a policy lock");
        } else if (Contains(InjectionActions(), a)) {
          injection.push_back(a);
        } else if (Contains(ReplicaActions(), a)) {
          replica.push_back(a);
        } else {
          direct.push_back(a);
        }
      }
      if (!injection.empty()) {
        AddOnce(rules::kKeyInjection, Severity::kError, i,
                Name(i) + " lets " + Who(s) + " call " + JoinActions(injection) +
                    " (never with a Recipient): they can make a ciphertext of a secret they "
                    "chose, which the enclave would unseal and adopt as its own");
      }
      if (!replica.empty()) {
        AddOnce(rules::kReplicaEscape, Severity::kError, i,
                Name(i) + " lets " + Who(s) + " call " + JoinActions(replica) +
                    ": a replica of the key material gets a key policy its caller writes, so "
                    "this policy no longer protects the key");
      }
      if (!direct.empty() && gated && target_.pcr0_hex) {
        Add(rules::kUnexpectedImage, Severity::kError, i,
            Name(i) + " allows " + JoinActions(direct) +
                " to an image other than the expected one (ImageSha384/PCR0 " +
                target_.pcr0_hex->substr(0, 16) + "...)");
      } else if (!direct.empty()) {
        Add(rules::kMissingAttestationCondition, Severity::kError, i,
            Name(i) + " allows " + JoinActions(direct) +
                " with no StringEqualsIgnoreCase condition on "
                "kms:RecipientAttestation:ImageSha384 (or PCR0) with valid 96-hex values");
      }
      leaking_statements_.insert(i);
    }
  }

  void CheckLocked() {
    for (std::string_view action : LockBreakingActions()) {
      if (BlockedForAll(policy_, action, target_)) {
        continue;
      }
      const std::vector<std::size_t> allows = AllowsFor(action);
      if (action == "kms:PutKeyPolicy") {
        put_key_policy_reachable_ = !allows.empty();
      }
      for (std::size_t i : allows) {
        const Statement& s = policy_.statements[i];
        lock_breaking_statements_.insert(i);
        report_.locked.reasons.push_back(Name(i) + " lets " + Who(s) + " call " +
                                         std::string(action));
        if (action == "kms:PutKeyPolicy") {
          Add(rules::kAdminCanRewritePolicy, Severity::kWarning, i,
              Name(i) + " lets " + Who(s) +
                  " call kms:PutKeyPolicy: they can rewrite this policy, including its "
                  "attestation conditions; the key is not locked");
        } else if (action == "kms:ScheduleKeyDeletion") {
          Add(rules::kScheduleDeletion, Severity::kWarning, i,
              Name(i) + " lets " + Who(s) +
                  " schedule the key's deletion, destroying everything encrypted under it");
        } else if (Contains(ReplicaActions(), action)) {
          AddOnce(rules::kReplicaEscape, Severity::kError, i,
                  Name(i) + " lets " + Who(s) + " call " + std::string(action) +
                      ": a replica of the key material gets a key policy its caller writes, "
                      "so this policy no longer protects the key");
        } else {
          AddOnce(rules::kCreateGrant, Severity::kError, i,
                  Name(i) + " lets " + Who(s) +
                      " create grants: a grantee can use the key without this policy's "
                      "conditions");
        }
      }
    }
    report_.locked.holds = report_.locked.reasons.empty();
    if (report_.locked.holds) {
      report_.locked.reasons.push_back(
          "no principal can call kms:PutKeyPolicy, kms:CreateGrant, kms:ScheduleKeyDeletion, "
          "kms:ReplicateKey or kms:UpdatePrimaryRegion on this key");
    }
  }

  // The values of a string condition on an attestation key: all-zero (debug) values, 0x
  // prefixes, lengths and case that never match.
  void CheckAttestationValues(std::size_t i, const Condition& c) {
    const std::string what = c.operator_text + " on " + c.key;
    if (IsStringOperator(*c.op)) {
      for (const std::string& v : c.values) {
        if (IsAllZeroHex(v)) {
          Add(rules::kDebugPcr, Severity::kError, i,
              Name(i) + " " + what +
                  " accepts an all-zero value: that is what debug-mode enclaves report, and "
                  "anyone can start one");
        } else if (v.size() >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
          Add(rules::kAttestationValueFormat, Severity::kError, i,
              Name(i) + " " + what +
                  " has a value with a 0x prefix: KMS compares bare lower-case hex, so it "
                  "never matches");
        } else if (!IsValidPcrConditionValue(v, false) && *c.op != ConditionOperator::kStringLike &&
                   *c.op != ConditionOperator::kStringNotLike) {
          Add(rules::kAttestationValueFormat, Severity::kError, i,
              Name(i) + " " + what + " has a value of " + std::to_string(v.size()) +
                  " characters that is not 96 hex digits (a SHA-384 PCR): it never matches");
        } else if (IsCaseSensitive(*c.op) && !IsValidPcrConditionValue(v, true) &&
                   IsValidPcrConditionValue(v, false)) {
          Add(rules::kAttestationValueFormat, Severity::kWarning, i,
              Name(i) + " " + what +
                  " has an upper-case value with a case-sensitive operator: KMS compares "
                  "lower-case hex, so it never matches; use StringEqualsIgnoreCase");
        }
      }
    }
  }

  // An attestation condition in an Allow that lets other images, or none, through.
  void CheckWeakOperator(std::size_t i, const Condition& c) {
    const bool pins_image = IsImageKey(c.key);
    const Severity weak =
        pins_image && leaking_statements_.count(i) ? Severity::kError : Severity::kWarning;
    if (*c.op == ConditionOperator::kStringLike) {
      Add(rules::kWeakConditionOperator, weak, i,
          Name(i) + " uses StringLike on " + c.key +
              ": wildcards let other measurements match; use StringEqualsIgnoreCase");
    } else if (IsNegatedOperator(*c.op)) {
      Add(rules::kWeakConditionOperator, weak, i,
          Name(i) + " uses " + c.operator_text + " on " + c.key +
              " in an Allow: it allows every image except the ones listed, and requests "
              "without any attestation");
    }
    if (c.if_exists) {
      Add(rules::kWeakConditionOperator, weak, i,
          Name(i) + " uses " + c.operator_text + " on " + c.key +
              ": IfExists holds for requests that carry no attestation at all");
    }
    if (c.qualifier != SetQualifier::kNone) {
      Add(rules::kWeakConditionOperator, weak, i,
          Name(i) + " uses " + c.operator_text + " on the single-valued key " + c.key +
              (c.qualifier == SetQualifier::kForAllValues
                   ? ": ForAllValues holds when the key is absent"
                   : ": set operators are meant for multivalued keys"));
    }
    if (*c.op == ConditionOperator::kNull && !facts_[i].image_gate) {
      Add(rules::kWeakConditionOperator, weak, i,
          Name(i) + " uses Null on " + c.key +
              ": it only requires some attestation document, not a particular image");
    }
  }

  void CheckConditions(std::size_t i) {
    const Statement& s = policy_.statements[i];
    const bool allow = s.effect == Effect::kAllow;
    bool unevaluable = false;
    for (const Condition& c : s.conditions) {
      unevaluable = unevaluable || !IsEvaluatedOperator(*c.op);
      for (const std::string& v : c.values) {
        unevaluable = unevaluable || v.find("${") != std::string::npos;
      }
      if (!IsAttestationKey(c.key)) {
        continue;
      }
      if (!IsKnownAttestationKey(c.key)) {
        Add(rules::kAttestationKey, Severity::kWarning, i,
            Name(i) + " conditions on " + core::SafeExcerpt(c.key) +
                ", which is not a Nitro Enclaves attestation key (ImageSha384, PCR0..PCR31): "
                "it is never present");
      }
      CheckAttestationValues(i, c);
      if (allow) {
        CheckWeakOperator(i, c);
      }
    }
    if (unevaluable) {
      Add(rules::kUnevaluableCondition, Severity::kInfo, i,
          Name(i) +
              " uses a Date, Binary or IpAddress operator or a policy variable: lint takes it "
              "to be satisfiable and `policy simulate` cannot evaluate it");
    }
  }

  void CheckActions(std::size_t i) {
    const Statement& s = policy_.statements[i];
    if (!s.has_action) {
      return;
    }
    bool wildcard = s.not_action;
    bool broad = s.not_action;
    for (const std::string& a : s.actions) {
      if (a.find_first_of("*?") != std::string::npos) {
        wildcard = true;
        broad = broad || a == "*" || EqualsIgnoreCase(a, "kms:*");
      } else if (StartsWithIgnoreCase(a, "kms:")) {
        if (!IsKnownKmsAction(a)) {
          Add(rules::kUnknownAction, Severity::kWarning, i,
              Name(i) + " names " + core::SafeExcerpt(a) +
                  ", which is not a KMS action: this entry grants nothing (a typo?)");
        }
      } else {
        Add(rules::kUnknownAction, Severity::kInfo, i,
            Name(i) + " names " + core::SafeExcerpt(a) +
                ", an action of another service: it has no effect in a key policy");
      }
    }
    if (s.effect == Effect::kAllow && wildcard) {
      std::size_t count = 0;
      std::vector<std::string_view> sensitive;
      for (std::string_view known : KnownKmsActions()) {
        if (StatementCoversAction(s, known)) {
          ++count;
          if (Contains(EnclaveOnlyActions(), known) || Contains(LockBreakingActions(), known)) {
            sensitive.push_back(known);
          }
        }
      }
      std::string message = Name(i) +
                            (s.not_action ? " uses NotAction" : " uses an action wildcard") +
                            ", which grants " + std::to_string(count) + " KMS actions";
      if (!sensitive.empty()) {
        message += ", including " + JoinActions(sensitive);
      }
      message += "; list the actions explicitly";
      Add(rules::kWildcardAction,
          broad || !sensitive.empty() ? Severity::kError : Severity::kWarning, i,
          std::move(message));
    }
  }

  void CheckStatement(std::size_t i) {
    const Statement& s = policy_.statements[i];
    if (s.not_principal) {
      Add(rules::kNotPrincipal, Severity::kError, i,
          Name(i) +
              " uses NotPrincipal: it applies to every principal not listed, including other "
              "accounts; the evaluator refuses to simulate it");
    }
    if (s.effect == Effect::kAllow && HasWildcardPrincipal(s) && !s.not_principal) {
      const bool bad = leaking_statements_.count(i) || lock_breaking_statements_.count(i);
      Add(rules::kWildcardPrincipal, bad ? Severity::kError : Severity::kWarning, i,
          Name(i) + " allows Principal \"*\": any AWS account" +
              (bad ? ", and nothing else restricts it"
                   : "; only its conditions restrict it (any account running the measured "
                     "image qualifies)"));
    }
    if (s.effect == Effect::kAllow) {
      for (const std::string& account : AccountPrincipals(s)) {
        const bool bad = leaking_statements_.count(i) || lock_breaking_statements_.count(i);
        Add(rules::kAccountRootPrincipal, bad ? Severity::kWarning : Severity::kInfo, i,
            Name(i) + " names account " + account +
                " as principal: IAM policies in that account decide who else may use these "
                "actions");
      }
    }
    CheckActions(i);
    if (!s.has_action || !s.has_resource) {
      Add(rules::kStatementIneffective, Severity::kInfo, i,
          Name(i) + " has no " + (s.has_action ? "Resource" : "Action") +
              " element: it matches nothing");
    } else if (s.not_resource || std::any_of(s.resources.begin(), s.resources.end(),
                                             [](const std::string& r) { return r != "*"; })) {
      Add(rules::kResourceNotKey, Severity::kInfo, i,
          Name(i) +
              " names resources other than \"*\": in a key policy \"*\" means this key; a "
              "statement naming another key has no effect. Lint counts an Allow whenever it "
              "might name this key, a Deny only when it certainly does (--key-arn tells which)");
    }
    CheckConditions(i);
    if (const auto it = never_satisfied_.find(i); it != never_satisfied_.end()) {
      std::vector<std::string_view> actions = it->second;
      std::sort(actions.begin(), actions.end());
      actions.erase(std::unique(actions.begin(), actions.end()), actions.end());
      Add(rules::kConditionNeverSatisfied, Severity::kInfo, i,
          Name(i) + " requires an attestation for " + JoinActions(actions) +
              ", which never carry a Recipient: it grants nothing for them");
    }
  }

  void CheckPolicyWide() {
    if (!put_key_policy_reachable_) {
      Add(rules::kLockoutRisk, Severity::kWarning, std::nullopt,
          "no principal can call kms:PutKeyPolicy: KMS accepts this policy only with "
          "BypassPolicyLockoutSafetyCheck, and after that nobody, not even the account root, "
          "can ever change it");
      if (!report_.enclave_only.holds) {
        Add(rules::kLockoutRisk, Severity::kError, std::nullopt,
            "nobody could ever change this policy, and it is not enclave-only: the leak would be "
            "permanent");
      }
    }
    // Usable: somebody can still decrypt, derive or generate data keys with it.
    bool usable = false;
    for (std::string_view action : RecipientActions()) {
      if (action == "kms:GenerateRandom" || BlockedByUnconditionalDeny(action)) {
        continue;
      }
      for (std::size_t i = 0; i < policy_.statements.size(); ++i) {
        const Statement& s = policy_.statements[i];
        usable = usable || (s.effect == Effect::kAllow && StatementCoversAction(s, action) &&
                            StatementCoversResource(s, target_.key_arn));
      }
    }
    if (report_.locked.holds && !usable) {
      Add(rules::kLockoutRisk, Severity::kError, std::nullopt,
          "the policy is locked, and no statement lets anyone decrypt, derive or generate data "
          "keys: locking it leaves the key unusable forever");
    }
  }

  bool BlockedByUnconditionalDeny(std::string_view action) const {
    return std::any_of(
        policy_.statements.begin(), policy_.statements.end(), [this, action](const Statement& s) {
          return DenyOf(s) == DenyEffect::kAlways && StatementCoversAction(s, action) &&
                 StatementCertainlyCoversResource(s, target_.key_arn);
        });
  }

  const Policy& policy_;
  const LintTarget& target_;
  LintReport report_;
  std::vector<StatementFacts> facts_;
  std::map<std::size_t, std::vector<std::string_view>> never_satisfied_;
  std::set<std::size_t> leaking_statements_;
  std::set<std::size_t> lock_breaking_statements_;
  std::set<std::pair<std::string, std::size_t>> reported_;
  bool put_key_policy_reachable_ = false;
};

}  // namespace

const char* SeverityName(Severity severity) noexcept {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "info";
}

std::size_t LintReport::CountAtLeast(Severity severity) const noexcept {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [severity](const Finding& f) { return f.severity <= severity; }));
}

bool IsImageKey(std::string_view key) noexcept {
  return EqualsIgnoreCase(key, "kms:RecipientAttestation:ImageSha384") ||
         EqualsIgnoreCase(key, "kms:RecipientAttestation:PCR0");
}

bool IsValidPcrConditionValue(std::string_view value, bool lower_case_only) noexcept {
  if (value.size() != 96 || IsAllZeroHex(value)) {
    return false;
  }
  return std::all_of(value.begin(), value.end(), [lower_case_only](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (!lower_case_only && c >= 'A' && c <= 'F');
  });
}

LintReport LintPolicy(const Policy& policy, const LintTarget& target) {
  return Linter(policy, target).Run();
}

core::Result<LintRequirements> ParseLintRequirements(std::string_view text) {
  LintRequirements out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (item == "enclave-only") {
      out.enclave_only = true;
    } else if (item == "locked") {
      out.locked = true;
    } else if (item != "none") {
      return Fail(ErrorCode::kInvalidArgument,
                  "--require takes enclave-only, locked, both (enclave-only,locked) or none");
    }
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

core::Status CheckRequirements(const LintReport& report, const LintRequirements& required) {
  if (required.enclave_only && !report.enclave_only.holds) {
    return Fail(ErrorCode::kPolicyNotEnclaveOnly,
                "the policy is not enclave-only: " + report.enclave_only.reasons.front());
  }
  if (required.locked && !report.locked.holds) {
    return Fail(ErrorCode::kPolicyNotLocked,
                "the policy is not locked: " + report.locked.reasons.front());
  }
  return core::Ok();
}

std::vector<std::string> KeyMaterialEscapes(const aws::KeyMetadata& metadata) {
  std::vector<std::string> reasons;
  if (metadata.origin != "AWS_KMS") {
    reasons.push_back(
        metadata.origin.empty()
            ? std::string("DescribeKey does not say where the key material comes from (Origin)")
            : "the key material's Origin is " + core::SafeExcerpt(metadata.origin, 32) +
                  ", not AWS_KMS: whoever holds it outside KMS can use it without any enclave");
  }
  if (metadata.multi_region) {
    reasons.push_back(
        "a multi-Region key: its replicas in other Regions share the key material under policies "
        "of their own, which this policy does not govern");
  }
  return reasons;
}

void AddKeyMaterialVerdict(LintReport& report, const aws::KeyMetadata& metadata) {
  std::vector<std::string> escapes = KeyMaterialEscapes(metadata);
  if (escapes.empty()) {
    return;
  }
  report.enclave_only.holds = false;
  report.enclave_only.reasons.insert(report.enclave_only.reasons.begin(),
                                     std::make_move_iterator(escapes.begin()),
                                     std::make_move_iterator(escapes.end()));
}

}  // namespace enclavectl::kmspolicy

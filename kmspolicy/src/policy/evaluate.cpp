#include "enclavectl/kmspolicy/evaluate.hpp"

#include <algorithm>
#include <charconv>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/kmspolicy/actions.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using core::Fail;

using core::ascii::EqualsIgnoreCase;
using core::ascii::Lower;

// The caller as an ARN: a bare account id means that account's root.
std::optional<aws::Arn> CallerArn(std::string_view caller) {
  if (aws::IsAccountId(caller)) {
    return aws::Arn{"aws", "iam", "", std::string(caller), "root"};
  }
  return aws::ParseArn(caller);
}

bool AwsPrincipalMatches(std::string_view entry, std::string_view caller) {
  if (entry == "*") {
    return true;
  }
  const std::optional<aws::Arn> caller_arn = CallerArn(caller);
  if (!caller_arn) {
    return false;  // a service principal is never an AWS principal
  }
  // An account (id or root ARN) stands for every principal of the account.
  if (const std::optional<std::string> account = aws::AccountPrincipal(entry)) {
    const std::optional<aws::Arn> entry_arn = aws::ParseArn(entry);
    const bool same_partition = !entry_arn || entry_arn->partition == caller_arn->partition;
    return same_partition && *account == caller_arn->account;
  }
  if (entry == caller) {
    return true;
  }
  const std::optional<aws::Arn> entry_arn = aws::ParseArn(entry);
  if (!entry_arn) {
    return false;
  }
  // A role matches its sessions: arn:aws:iam::A:role/path/R ~ arn:aws:sts::A:assumed-role/R/s.
  const std::optional<std::string> role = aws::RoleName(*entry_arn);
  const std::optional<std::string> session_role = aws::AssumedRoleName(*caller_arn);
  return role && session_role && *role == *session_role &&
         entry_arn->partition == caller_arn->partition && entry_arn->account == caller_arn->account;
}

// ArnEquals / ArnLike: the six colon-separated parts compared one by one, each with
// wildcards (IAM "Amazon Resource Name (ARN) condition operators").
bool ArnPatternMatches(std::string_view pattern, std::string_view value) {
  auto split = [](std::string_view text, std::string_view(&parts)[6]) {
    for (int i = 0; i < 5; ++i) {
      const std::size_t colon = text.find(':');
      if (colon == std::string_view::npos) {
        return false;
      }
      parts[i] = text.substr(0, colon);
      text.remove_prefix(colon + 1);
    }
    parts[5] = text;
    return true;
  };
  std::string_view p[6];
  std::string_view v[6];
  if (!split(pattern, p) || !split(value, v)) {
    return false;
  }
  for (int i = 0; i < 6; ++i) {
    if (!WildcardMatch(p[i], v[i], /*ignore_case=*/false)) {
      return false;
    }
  }
  return true;
}

std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// The positive form of an operator applied to one policy value and one request value.
bool PositiveMatch(ConditionOperator op, std::string_view policy_value, std::string_view value) {
  switch (op) {
    case ConditionOperator::kStringEquals:
    case ConditionOperator::kStringNotEquals:
      return policy_value == value;
    case ConditionOperator::kStringEqualsIgnoreCase:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
      return EqualsIgnoreCase(policy_value, value);
    case ConditionOperator::kStringLike:
    case ConditionOperator::kStringNotLike:
      return WildcardMatch(policy_value, value, /*ignore_case=*/false);
    case ConditionOperator::kArnEquals:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnLike:
    case ConditionOperator::kArnNotLike:
      return ArnPatternMatches(policy_value, value);
    case ConditionOperator::kBool:
      return EqualsIgnoreCase(policy_value, value);
    default:
      break;
  }
  const std::optional<double> a = ParseNumber(value);
  const std::optional<double> b = ParseNumber(policy_value);
  if (!a || !b) {
    return false;
  }
  switch (op) {
    case ConditionOperator::kNumericEquals:
    case ConditionOperator::kNumericNotEquals:
      return *a == *b;
    case ConditionOperator::kNumericLessThan:
      return *a < *b;
    case ConditionOperator::kNumericLessThanEquals:
      return *a <= *b;
    case ConditionOperator::kNumericGreaterThan:
      return *a > *b;
    case ConditionOperator::kNumericGreaterThanEquals:
      return *a >= *b;
    default:
      return false;
  }
}

std::string Describe(const Condition& c) { return c.operator_text + " on " + c.key; }

// Whether one condition holds, with the reason when it does not.
core::Result<bool> ConditionHolds(const Condition& c, const ConditionContext& context,
                                  std::size_t index, std::string& reason) {
  const ConditionOperator op = *c.op;
  if (!IsEvaluatedOperator(op)) {
    return Fail(ErrorCode::kPolicyUnsupported,
                "statement " + std::to_string(index) + " uses " + c.operator_text +
                    ", which the evaluator does not implement",
                static_cast<int>(index));
  }
  for (const std::string& value : c.values) {
    if (value.find("${") != std::string::npos) {
      return Fail(ErrorCode::kPolicyUnsupported,
                  "statement " + std::to_string(index) +
                      " uses a policy variable (${...}), which the evaluator does not implement",
                  static_cast<int>(index));
    }
  }
  const std::vector<std::string>* values = context.Find(c.key);
  const bool present = values != nullptr && !values->empty();
  if (op == ConditionOperator::kNull) {
    const bool holds = std::any_of(c.values.begin(), c.values.end(), [present](const auto& v) {
      return EqualsIgnoreCase(v, "true") ? !present : present;
    });
    if (!holds) {
      reason = Describe(c) + " does not hold: the key is " + (present ? "present" : "absent");
    }
    return holds;
  }
  if (!present) {
    bool holds = false;
    if (c.if_exists || c.qualifier == SetQualifier::kForAllValues) {
      holds = true;
    } else if (c.qualifier == SetQualifier::kNone) {
      holds = IsNegatedOperator(op);
    }
    if (!holds) {
      reason = Describe(c) + " does not hold: the request has no such key";
    }
    return holds;
  }
  const bool negated = IsNegatedOperator(op);
  // One request value against the policy values (ORed; a negated operator holds when no
  // policy value matches).
  auto value_holds = [&c, op, negated](const std::string& value) {
    const bool any = std::any_of(c.values.begin(), c.values.end(), [op, &value](const auto& p) {
      return PositiveMatch(op, p, value);
    });
    return negated ? !any : any;
  };
  bool holds = false;
  switch (c.qualifier) {
    case SetQualifier::kForAllValues:
      holds = std::all_of(values->begin(), values->end(), value_holds);
      break;
    case SetQualifier::kForAnyValue:
      holds = std::any_of(values->begin(), values->end(), value_holds);
      break;
    case SetQualifier::kNone:
      holds = negated ? std::all_of(values->begin(), values->end(), value_holds)
                      : std::any_of(values->begin(), values->end(), value_holds);
      break;
  }
  if (!holds) {
    reason = Describe(c) + " does not hold for the request's value";
  }
  return holds;
}

}  // namespace

bool IsAttestationKey(std::string_view key) noexcept {
  return core::ascii::StartsWithIgnoreCase(key, kRecipientAttestationKeyPrefix);
}

void ConditionContext::Set(std::string_view key, std::vector<std::string> values) {
  values_[Lower(key)] = std::move(values);
}

void ConditionContext::Add(std::string_view key, std::string value) {
  values_[Lower(key)].push_back(std::move(value));
}

const std::vector<std::string>* ConditionContext::Find(std::string_view key) const {
  const auto it = values_.find(Lower(key));
  return it == values_.end() ? nullptr : &it->second;
}

void AddCallerKeys(Request& request) {
  const std::optional<aws::Arn> caller = CallerArn(request.principal);
  if (!caller) {
    return;
  }
  if (!request.context.Has("aws:PrincipalAccount")) {
    request.context.Set("aws:PrincipalAccount", {caller->account});
  }
  if (!request.context.Has("kms:CallerAccount")) {
    request.context.Set("kms:CallerAccount", {caller->account});
  }
  if (!request.context.Has("aws:PrincipalArn")) {
    std::string principal_arn = aws::FormatArn(*caller);
    if (const std::optional<std::string> role = aws::AssumedRoleName(*caller)) {
      principal_arn =
          aws::FormatArn(aws::Arn{caller->partition, "iam", "", caller->account, "role/" + *role});
    }
    request.context.Set("aws:PrincipalArn", {principal_arn});
  }
}

void AddAttestationKeys(const verifier::VerifiedDocument& document, ConditionContext& context) {
  for (const auto& [index, value] : document.Document().pcrs) {
    const std::string hex = core::HexEncode(value);  // lower case
    context.Set(std::string(kRecipientPcrKeyPrefix) + std::to_string(index), {hex});
    if (index == 0) {
      context.Set(kImageSha384Key, {hex});
    }
  }
}

std::vector<std::string> RequestWarnings(const Request& request) {
  std::vector<std::string> warnings;
  if (!IsKnownKmsAction(request.action)) {
    warnings.push_back("action " + core::SafeExcerpt(request.action) +
                       " is not a KMS action the policy language knows (a typo? e.g. "
                       "kms:Decrypt); only a wildcard or a statement naming it can match it");
  }
  const std::string_view principal = request.principal;
  const bool service =
      principal.size() > 14 && principal.find(':') == std::string_view::npos &&
      (principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn"));
  if (principal != "*" && !aws::IsAccountId(principal) && !aws::ParseArn(principal) && !service) {
    warnings.push_back("principal " + core::SafeExcerpt(principal) +
                       " is not an ARN, \"*\", a 12-digit account id or a service principal "
                       "(NAME.amazonaws.com); it matches only a statement naming it literally");
  }
  return warnings;
}

const char* DecisionName(Decision decision) noexcept {
  switch (decision) {
    case Decision::kAllow:
      return "Allow";
    case Decision::kExplicitDeny:
      return "ExplicitDeny";
    case Decision::kImplicitDeny:
      return "ImplicitDeny";
  }
  return "ImplicitDeny";
}

ResourceCoverage StatementResourceCoverage(const Statement& s, std::string_view key_arn) {
  if (!s.has_resource) {
    return ResourceCoverage::kNo;
  }
  if (!key_arn.empty()) {
    const bool any =
        std::any_of(s.resources.begin(), s.resources.end(), [key_arn](const std::string& pattern) {
          return WildcardMatch(pattern, key_arn, /*ignore_case=*/false);
        });
    return any != s.not_resource ? ResourceCoverage::kCertain : ResourceCoverage::kNo;
  }
  // The ARN is unknown: a pattern made of '*' only names every key; a literal that is no KMS
  // key ARN names none; anything else might name it.
  auto names_every_key = [](const std::string& pattern) {
    return !pattern.empty() && pattern.find_first_not_of('*') == std::string::npos;
  };
  auto names_no_key = [](const std::string& pattern) {
    return pattern.find_first_of("*?") == std::string::npos && !aws::ParseKmsKeyArn(pattern);
  };
  if (!s.not_resource) {
    if (std::any_of(s.resources.begin(), s.resources.end(), names_every_key)) {
      return ResourceCoverage::kCertain;
    }
    return s.resources.empty() ? ResourceCoverage::kNo : ResourceCoverage::kMaybe;
  }
  if (std::any_of(s.resources.begin(), s.resources.end(), names_every_key)) {
    return ResourceCoverage::kNo;
  }
  return std::all_of(s.resources.begin(), s.resources.end(), names_no_key)
             ? ResourceCoverage::kCertain
             : ResourceCoverage::kMaybe;
}

bool StatementCoversResource(const Statement& s, std::string_view key_arn) {
  return StatementResourceCoverage(s, key_arn) != ResourceCoverage::kNo;
}

bool StatementCertainlyCoversResource(const Statement& s, std::string_view key_arn) {
  return StatementResourceCoverage(s, key_arn) == ResourceCoverage::kCertain;
}

bool StatementCoversAction(const Statement& s, std::string_view action) {
  if (!s.has_action) {
    return false;
  }
  const bool any = std::any_of(s.actions.begin(), s.actions.end(),
                               [action](const std::string& p) { return ActionMatches(p, action); });
  return s.not_action ? !any : any;
}

bool PrincipalsCoverEveryone(const Principals& principals) noexcept {
  return principals.wildcard ||
         std::any_of(principals.entries.begin(), principals.entries.end(),
                     [](const PrincipalEntry& e) { return e.type == "AWS" && e.value == "*"; });
}

bool PrincipalMatches(const Principals& principals, std::string_view caller) {
  if (principals.wildcard) {
    return true;
  }
  return std::any_of(principals.entries.begin(), principals.entries.end(),
                     [caller](const PrincipalEntry& entry) {
                       return entry.type == "AWS" ? AwsPrincipalMatches(entry.value, caller)
                                                  : entry.value == caller;
                     });
}

core::Result<Evaluation> Evaluate(const Policy& policy, const Request& request) {
  Evaluation out;
  std::optional<std::size_t> first_allow;
  std::optional<std::size_t> first_deny;
  for (std::size_t i = 0; i < policy.statements.size(); ++i) {
    const Statement& s = policy.statements[i];
    StatementTrace trace{i, s.effect, false, ""};
    if (!StatementCoversAction(s, request.action)) {
      trace.reason = s.has_action ? "action does not match" : "no Action: matches nothing";
    } else if (s.effect == Effect::kDeny ? !StatementCertainlyCoversResource(s, request.resource)
                                         : !StatementCoversResource(s, request.resource)) {
      if (!s.has_resource) {
        trace.reason = "no Resource: matches nothing";
      } else if (request.resource.empty() && StatementCoversResource(s, request.resource)) {
        trace.reason =
            "resource might not be this key (its ARN is unknown): a Deny counts only when it "
            "covers every key";
      } else {
        trace.reason = "resource does not match";
      }
    } else if (s.not_principal) {
      return Fail(ErrorCode::kPolicyUnsupported,
                  "statement " + std::to_string(i) +
                      " uses NotPrincipal, which key policies should not use and the evaluator "
                      "does not implement",
                  static_cast<int>(i));
    } else if (!s.principal || !PrincipalMatches(*s.principal, request.principal)) {
      trace.reason = "principal does not match";
    } else {
      trace.applies = true;
      trace.reason = s.conditions.empty() ? "matches (no conditions)" : "matches, conditions hold";
      // Conditions are ANDed: one that is false decides, even when another cannot be
      // evaluated; only an undecidable statement is an error.
      std::optional<core::Error> unsupported;
      for (const Condition& c : s.conditions) {
        std::string reason;
        auto holds = ConditionHolds(c, request.context, i, reason);
        if (!holds) {
          if (!unsupported) {
            unsupported = holds.error();
          }
          continue;
        }
        if (!*holds) {
          trace.applies = false;
          trace.reason = reason;
          unsupported.reset();
          break;
        }
      }
      if (unsupported) {
        return Fail(std::move(*unsupported));
      }
    }
    if (trace.applies) {
      std::optional<std::size_t>& first = s.effect == Effect::kDeny ? first_deny : first_allow;
      if (!first) {
        first = i;
      }
    }
    out.trace.push_back(std::move(trace));
  }
  if (first_deny) {
    out.decision = Decision::kExplicitDeny;
    out.deciding_statement = first_deny;
  } else if (first_allow) {
    out.decision = Decision::kAllow;
    out.deciding_statement = first_allow;
  }
  return out;
}

}  // namespace enclavectl::kmspolicy

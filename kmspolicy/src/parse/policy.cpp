#include "enclavectl/kmspolicy/policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::kmspolicy {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::json;

struct OperatorName {
  ConditionOperator op;
  const char* name;
};

// IAM JSON policy element reference, "Condition operators".
constexpr std::array<OperatorName, 27> kOperators = {{
    {ConditionOperator::kStringEquals, "StringEquals"},
    {ConditionOperator::kStringNotEquals, "StringNotEquals"},
    {ConditionOperator::kStringEqualsIgnoreCase, "StringEqualsIgnoreCase"},
    {ConditionOperator::kStringNotEqualsIgnoreCase, "StringNotEqualsIgnoreCase"},
    {ConditionOperator::kStringLike, "StringLike"},
    {ConditionOperator::kStringNotLike, "StringNotLike"},
    {ConditionOperator::kNumericEquals, "NumericEquals"},
    {ConditionOperator::kNumericNotEquals, "NumericNotEquals"},
    {ConditionOperator::kNumericLessThan, "NumericLessThan"},
    {ConditionOperator::kNumericLessThanEquals, "NumericLessThanEquals"},
    {ConditionOperator::kNumericGreaterThan, "NumericGreaterThan"},
    {ConditionOperator::kNumericGreaterThanEquals, "NumericGreaterThanEquals"},
    {ConditionOperator::kDateEquals, "DateEquals"},
    {ConditionOperator::kDateNotEquals, "DateNotEquals"},
    {ConditionOperator::kDateLessThan, "DateLessThan"},
    {ConditionOperator::kDateLessThanEquals, "DateLessThanEquals"},
    {ConditionOperator::kDateGreaterThan, "DateGreaterThan"},
    {ConditionOperator::kDateGreaterThanEquals, "DateGreaterThanEquals"},
    {ConditionOperator::kBool, "Bool"},
    {ConditionOperator::kBinaryEquals, "BinaryEquals"},
    {ConditionOperator::kIpAddress, "IpAddress"},
    {ConditionOperator::kNotIpAddress, "NotIpAddress"},
    {ConditionOperator::kArnEquals, "ArnEquals"},
    {ConditionOperator::kArnLike, "ArnLike"},
    {ConditionOperator::kArnNotEquals, "ArnNotEquals"},
    {ConditionOperator::kArnNotLike, "ArnNotLike"},
    {ConditionOperator::kNull, "Null"},
}};

constexpr std::array<const char*, 4> kPrincipalTypes = {"AWS", "Service", "Federated",
                                                        "CanonicalUser"};

std::string Where(std::size_t index) { return "statement " + std::to_string(index); }

int Index(std::size_t index) { return static_cast<int>(index); }

// A string or a non-empty array of strings (Action, Resource, principal values).
core::Result<std::vector<std::string>> StringList(const Json& value, const std::string& where,
                                                  std::size_t index) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
    return out;
  }
  if (!value.is_array() || value.empty()) {
    return Fail(ErrorCode::kPolicyStructure, where + " must be a string or a non-empty list",
                Index(index));
  }
  if (value.size() > core::limits::kMaxPolicyListEntries) {
    return Fail(ErrorCode::kPolicyStructure, where + " has too many entries", Index(index));
  }
  for (const Json& item : value) {
    if (!item.is_string()) {
      return Fail(ErrorCode::kPolicyStructure, where + " must list strings only", Index(index));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

core::Result<Principals> DecodePrincipals(const Json& value, const std::string& where,
                                          std::size_t index) {
  Principals out;
  if (value.is_string()) {
    if (value.get<std::string>() != "*") {
      return Fail(ErrorCode::kPolicyStructure,
                  where + " must be \"*\" or an object such as {\"AWS\": \"arn:...\"}",
                  Index(index));
    }
    out.wildcard = true;
    return out;
  }
  if (!value.is_object() || value.empty()) {
    return Fail(ErrorCode::kPolicyStructure, where + " must be \"*\" or a non-empty object",
                Index(index));
  }
  for (const auto& [type, values] : value.items()) {
    if (std::find(kPrincipalTypes.begin(), kPrincipalTypes.end(), type) == kPrincipalTypes.end()) {
      return Fail(ErrorCode::kPolicyStructure,
                  where + " has an unknown principal type \"" + core::SafeExcerpt(type) +
                      "\" (expected AWS, Service, Federated or CanonicalUser)",
                  Index(index));
    }
    auto list = StringList(values, where + "." + type, index);
    if (!list) {
      return Fail(list.error());
    }
    for (std::string& entry : *list) {
      out.entries.push_back(PrincipalEntry{type, std::move(entry)});
    }
  }
  return out;
}

core::Result<std::string> ConditionValueText(const Json& value, const std::string& where,
                                             std::size_t index) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return std::string(value.get<bool>() ? "true" : "false");
  }
  if (value.is_number()) {
    return core::DumpJson(value);
  }
  return Fail(ErrorCode::kPolicyStructure, where + " values must be strings, booleans or numbers",
              Index(index));
}

core::Result<std::vector<Condition>> DecodeConditions(const Json& value, std::size_t index) {
  const std::string where = Where(index) + " Condition";
  if (!value.is_object()) {
    return Fail(ErrorCode::kPolicyStructure, where + " must be an object", Index(index));
  }
  std::vector<Condition> out;
  for (const auto& [op_text, block] : value.items()) {
    if (!block.is_object() || block.empty()) {
      return Fail(ErrorCode::kPolicyStructure,
                  where + "." + core::SafeExcerpt(op_text) + " must be a non-empty object of keys",
                  Index(index));
    }
    for (const auto& [key, values] : block.items()) {
      Condition condition;
      condition.operator_text = op_text;
      ParseConditionOperator(op_text, condition);
      condition.key = key;
      const std::string key_where =
          where + "." + core::SafeExcerpt(op_text) + "." + core::SafeExcerpt(key);
      if (values.is_array()) {
        if (values.empty() || values.size() > core::limits::kMaxPolicyListEntries) {
          return Fail(ErrorCode::kPolicyStructure,
                      key_where + " must list between 1 and " +
                          std::to_string(core::limits::kMaxPolicyListEntries) + " values",
                      Index(index));
        }
        for (const Json& item : values) {
          auto text = ConditionValueText(item, key_where, index);
          if (!text) {
            return Fail(text.error());
          }
          condition.values.push_back(std::move(*text));
        }
      } else {
        auto text = ConditionValueText(values, key_where, index);
        if (!text) {
          return Fail(text.error());
        }
        condition.values.push_back(std::move(*text));
      }
      out.push_back(std::move(condition));
    }
  }
  return out;
}

// `failed` is set to kPrincipal when the error concerns the Principal/NotPrincipal element.
core::Result<Statement> DecodeStatement(const Json& value, std::size_t index,
                                        PolicyElement& failed) {
  const std::string where = Where(index);
  if (!value.is_object()) {
    return Fail(ErrorCode::kPolicyStructure, where + " is not an object", Index(index));
  }
  Statement out;
  bool has_effect = false;
  for (const auto& [name, element] : value.items()) {
    if (name == "Sid") {
      if (!element.is_string()) {
        return Fail(ErrorCode::kPolicyStructure, where + " Sid must be a string", Index(index));
      }
      out.sid = element.get<std::string>();
    } else if (name == "Effect") {
      if (!element.is_string() ||
          (element.get<std::string>() != "Allow" && element.get<std::string>() != "Deny")) {
        return Fail(ErrorCode::kPolicyStructure, where + " Effect must be \"Allow\" or \"Deny\"",
                    Index(index));
      }
      out.effect = element.get<std::string>() == "Allow" ? Effect::kAllow : Effect::kDeny;
      has_effect = true;
    } else if (name == "Principal" || name == "NotPrincipal") {
      auto principals = DecodePrincipals(element, where + " " + name, index);
      if (!principals) {
        failed = PolicyElement::kPrincipal;
        return Fail(principals.error());
      }
      (name == "Principal" ? out.principal : out.not_principal) = std::move(*principals);
    } else if (name == "Action" || name == "NotAction") {
      if (out.has_action) {
        return Fail(ErrorCode::kPolicyStructure, where + " has both Action and NotAction",
                    Index(index));
      }
      auto list = StringList(element, where + " " + name, index);
      if (!list) {
        return Fail(list.error());
      }
      out.actions = std::move(*list);
      out.not_action = name == "NotAction";
      out.has_action = true;
    } else if (name == "Resource" || name == "NotResource") {
      if (out.has_resource) {
        return Fail(ErrorCode::kPolicyStructure, where + " has both Resource and NotResource",
                    Index(index));
      }
      auto list = StringList(element, where + " " + name, index);
      if (!list) {
        return Fail(list.error());
      }
      out.resources = std::move(*list);
      out.not_resource = name == "NotResource";
      out.has_resource = true;
    } else if (name == "Condition") {
      auto conditions = DecodeConditions(element, index);
      if (!conditions) {
        return Fail(conditions.error());
      }
      out.conditions = std::move(*conditions);
    } else {
      return Fail(ErrorCode::kPolicyStructure,
                  where + " has an unknown element \"" + core::SafeExcerpt(name) + "\"",
                  Index(index));
    }
  }
  if (!has_effect) {
    return Fail(ErrorCode::kPolicyStructure, where + " has no Effect", Index(index));
  }
  if (out.principal && out.not_principal) {
    failed = PolicyElement::kPrincipal;
    return Fail(ErrorCode::kPolicyStructure, where + " has both Principal and NotPrincipal",
                Index(index));
  }
  return out;
}

bool ValidActionPattern(std::string_view action) {
  if (action == "*") {
    return true;
  }
  const std::size_t colon = action.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == action.size()) {
    return false;
  }
  const std::string_view service = action.substr(0, colon);
  const std::string_view name = action.substr(colon + 1);
  return std::all_of(
             service.begin(), service.end(),
             [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '*' || c == '?';
         });
}

core::Status ValidatePrincipals(const Principals& principals, std::size_t index) {
  for (const PrincipalEntry& entry : principals.entries) {
    if (entry.value.empty()) {
      return Fail(ErrorCode::kPolicyStructure, Where(index) + " has an empty principal",
                  Index(index));
    }
    if (entry.type == "AWS" && entry.value != "*" && !aws::IsAccountId(entry.value) &&
        !aws::ParseArn(entry.value)) {
      return Fail(ErrorCode::kPolicyStructure,
                  Where(index) + " has an invalid AWS principal \"" +
                      core::SafeExcerpt(entry.value) +
                      "\" (expected \"*\", an account id or an ARN)",
                  Index(index));
    }
  }
  return core::Ok();
}

}  // namespace

const char* EffectName(Effect effect) noexcept {
  return effect == Effect::kAllow ? "Allow" : "Deny";
}

const char* ConditionOperatorName(ConditionOperator op) noexcept {
  for (const OperatorName& entry : kOperators) {
    if (entry.op == op) {
      return entry.name;
    }
  }
  return "?";
}

bool IsNegatedOperator(ConditionOperator op) noexcept {
  switch (op) {
    case ConditionOperator::kStringNotEquals:
    case ConditionOperator::kStringNotEqualsIgnoreCase:
    case ConditionOperator::kStringNotLike:
    case ConditionOperator::kNumericNotEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kArnNotEquals:
    case ConditionOperator::kArnNotLike:
    case ConditionOperator::kNotIpAddress:
      return true;
    default:
      return false;
  }
}

void ParseConditionOperator(std::string_view text, Condition& out) {
  out.op.reset();
  out.qualifier = SetQualifier::kNone;
  out.if_exists = false;
  constexpr std::string_view kAny = "ForAnyValue:";
  constexpr std::string_view kAll = "ForAllValues:";
  if (text.substr(0, kAny.size()) == kAny) {
    out.qualifier = SetQualifier::kForAnyValue;
    text.remove_prefix(kAny.size());
  } else if (text.substr(0, kAll.size()) == kAll) {
    out.qualifier = SetQualifier::kForAllValues;
    text.remove_prefix(kAll.size());
  }
  constexpr std::string_view kIfExists = "IfExists";
  if (text.size() > kIfExists.size() && text.substr(text.size() - kIfExists.size()) == kIfExists) {
    out.if_exists = true;
    text.remove_suffix(kIfExists.size());
  }
  for (const OperatorName& entry : kOperators) {
    if (text == entry.name) {
      // Null takes no IfExists (IAM rejects NullIfExists).
      if (!(entry.op == ConditionOperator::kNull && out.if_exists)) {
        out.op = entry.op;
      }
      return;
    }
  }
}

std::string DescribeStatement(const Policy& policy, std::size_t index) {
  std::string out = Where(index);
  if (index < policy.statements.size() && policy.statements[index].sid &&
      !policy.statements[index].sid->empty()) {
    out += " (" + core::SafeExcerpt(*policy.statements[index].sid) + ")";
  }
  return out;
}

namespace {

core::Result<Policy> DecodePolicyImpl(std::string_view json_text, PolicyElement& failed) {
  auto parsed = core::ParseStrictJson(json_text, core::limits::kMaxKeyPolicyBytes,
                                      ErrorCode::kPolicyJson, "key policy");
  if (!parsed) {
    return Fail(parsed.error());
  }
  const Json& root = *parsed;
  if (!root.is_object()) {
    return Fail(ErrorCode::kPolicyStructure, "a key policy must be a JSON object");
  }
  Policy out;
  bool has_statement = false;
  for (const auto& [name, element] : root.items()) {
    if (name == "Version" || name == "Id") {
      if (!element.is_string()) {
        return Fail(ErrorCode::kPolicyStructure, name + " must be a string");
      }
      (name == "Version" ? out.version : out.id) = element.get<std::string>();
    } else if (name == "Statement") {
      has_statement = true;
      if (element.is_object()) {
        auto statement = DecodeStatement(element, 0, failed);
        if (!statement) {
          return Fail(statement.error());
        }
        out.statements.push_back(std::move(*statement));
        continue;
      }
      if (!element.is_array()) {
        return Fail(ErrorCode::kPolicyStructure, "Statement must be an object or a list");
      }
      if (element.size() > core::limits::kMaxPolicyStatements) {
        return Fail(ErrorCode::kPolicyStructure,
                    "the policy has more than " +
                        std::to_string(core::limits::kMaxPolicyStatements) + " statements");
      }
      for (std::size_t i = 0; i < element.size(); ++i) {
        auto statement = DecodeStatement(element[i], i, failed);
        if (!statement) {
          return Fail(statement.error());
        }
        out.statements.push_back(std::move(*statement));
      }
    } else {
      return Fail(ErrorCode::kPolicyStructure, "the policy has an unknown top-level element \"" +
                                                   core::SafeExcerpt(name) + "\"");
    }
  }
  if (!has_statement) {
    return Fail(ErrorCode::kPolicyStructure, "the policy has no Statement");
  }
  return out;
}

core::Status ValidatePolicyImpl(const Policy& policy, PolicyElement& failed) {
  if (policy.version && *policy.version != "2012-10-17" && *policy.version != "2008-10-17") {
    return Fail(ErrorCode::kPolicyStructure,
                "Version must be \"2012-10-17\" (or the legacy \"2008-10-17\")");
  }
  if (policy.statements.empty()) {
    return Fail(ErrorCode::kPolicyStructure, "the policy has no statement");
  }
  std::set<std::string> sids;
  for (std::size_t i = 0; i < policy.statements.size(); ++i) {
    const Statement& s = policy.statements[i];
    if (s.sid && !s.sid->empty() && !sids.insert(*s.sid).second) {
      return Fail(ErrorCode::kPolicyStructure, Where(i) + " repeats the Sid of another statement",
                  Index(i));
    }
    if (!s.principal && !s.not_principal) {
      failed = PolicyElement::kPrincipal;
      return Fail(ErrorCode::kPolicyStructure,
                  Where(i) + " has no Principal: a key policy statement must name one", Index(i));
    }
    if (auto principals = ValidatePrincipals(s.principal ? *s.principal : *s.not_principal, i);
        !principals) {
      failed = PolicyElement::kPrincipal;
      return principals;
    }
    for (const std::string& action : s.actions) {
      if (!ValidActionPattern(action)) {
        return Fail(ErrorCode::kPolicyStructure,
                    Where(i) + " has an invalid action \"" + core::SafeExcerpt(action) +
                        "\" (expected \"*\" or service:Name, e.g. kms:Decrypt)",
                    Index(i));
      }
    }
    for (const std::string& resource : s.resources) {
      if (resource.empty()) {
        return Fail(ErrorCode::kPolicyStructure, Where(i) + " has an empty resource", Index(i));
      }
    }
    for (const Condition& c : s.conditions) {
      if (!c.op) {
        return Fail(ErrorCode::kPolicyStructure,
                    Where(i) + " uses an unknown condition operator \"" +
                        core::SafeExcerpt(c.operator_text) + "\"",
                    Index(i));
      }
      if (c.key.empty()) {
        return Fail(ErrorCode::kPolicyStructure, Where(i) + " has an empty condition key",
                    Index(i));
      }
      if (*c.op == ConditionOperator::kBool || *c.op == ConditionOperator::kNull) {
        for (const std::string& value : c.values) {
          if (!core::ascii::EqualsIgnoreCase(value, "true") &&
              !core::ascii::EqualsIgnoreCase(value, "false")) {
            return Fail(ErrorCode::kPolicyStructure,
                        Where(i) + " " + c.operator_text + " values must be true or false",
                        Index(i));
          }
        }
      }
    }
  }
  return core::Ok();
}

}  // namespace

core::Result<Policy> DecodePolicy(std::string_view json_text) {
  PolicyElement failed = PolicyElement::kOther;
  return DecodePolicyImpl(json_text, failed);
}

core::Status ValidatePolicy(const Policy& policy) {
  PolicyElement failed = PolicyElement::kOther;
  return ValidatePolicyImpl(policy, failed);
}

core::Result<Policy> ParsePolicy(std::string_view json_text, PolicyElement& out_element) {
  PolicyElement failed = PolicyElement::kOther;
  auto policy = DecodePolicyImpl(json_text, failed);
  if (policy) {
    if (auto valid = ValidatePolicyImpl(*policy, failed); !valid) {
      policy = Fail(valid.error());
    }
  }
  if (!policy) {
    out_element = failed;
  }
  return policy;
}

core::Result<Policy> ParsePolicy(std::string_view json_text) {
  PolicyElement failed = PolicyElement::kOther;
  return ParsePolicy(json_text, failed);
}

namespace {

nlohmann::ordered_json ListJson(const std::vector<std::string>& values) {
  if (values.size() == 1) {
    return values.front();
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const std::string& value : values) {
    out.push_back(value);
  }
  return out;
}

nlohmann::ordered_json PrincipalsJson(const Principals& principals) {
  if (principals.wildcard) {
    return "*";
  }
  // Group by type, types in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const PrincipalEntry& entry : principals.entries) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&entry](const auto& group) { return group.first == entry.type; });
    if (it == groups.end()) {
      groups.emplace_back(entry.type, std::vector<std::string>{});
      it = groups.end() - 1;
    }
    it->second.push_back(entry.value);
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [type, values] : groups) {
    out[type] = ListJson(values);
  }
  return out;
}

}  // namespace

nlohmann::ordered_json PolicyToJson(const Policy& policy) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (policy.version) {
    out["Version"] = *policy.version;
  }
  if (policy.id) {
    out["Id"] = *policy.id;
  }
  nlohmann::ordered_json statements = nlohmann::ordered_json::array();
  for (const Statement& s : policy.statements) {
    nlohmann::ordered_json st = nlohmann::ordered_json::object();
    if (s.sid) {
      st["Sid"] = *s.sid;
    }
    st["Effect"] = EffectName(s.effect);
    if (s.principal) {
      st["Principal"] = PrincipalsJson(*s.principal);
    }
    if (s.not_principal) {
      st["NotPrincipal"] = PrincipalsJson(*s.not_principal);
    }
    if (s.has_action) {
      st[s.not_action ? "NotAction" : "Action"] = ListJson(s.actions);
    }
    if (s.has_resource) {
      st[s.not_resource ? "NotResource" : "Resource"] = ListJson(s.resources);
    }
    if (!s.conditions.empty()) {
      nlohmann::ordered_json conditions = nlohmann::ordered_json::object();
      for (const Condition& c : s.conditions) {
        conditions[c.operator_text][c.key] = ListJson(c.values);
      }
      st["Condition"] = std::move(conditions);
    }
    statements.push_back(std::move(st));
  }
  out["Statement"] = std::move(statements);
  return out;
}

std::string EncodePolicy(const Policy& policy, int indent) {
  return core::DumpJson(PolicyToJson(policy), indent);
}

}  // namespace enclavectl::kmspolicy

// The KMS key policy model (IAM policy grammar as KMS accepts it), its structural decoding
// and semantic validation, and its canonical encoding (parse layer: pure).
//
// Spec: ../shared/spec/kms.md section 8 (key policy semantics), AWS IAM JSON policy element
// reference (Version, Id, Statement, Sid, Effect, Principal/NotPrincipal, Action/NotAction,
// Resource/NotResource, Condition).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/result.hpp"

namespace enclavectl::kmspolicy {

enum class Effect : std::uint8_t { kAllow, kDeny };
const char* EffectName(Effect effect) noexcept;  // "Allow", "Deny"

// One principal: ("AWS", "arn:aws:iam::111122223333:role/x"), ("AWS", "111122223333"),
// ("AWS", "*"), ("Service", "ec2.amazonaws.com"), ("Federated", ...), ("CanonicalUser", ...).
struct PrincipalEntry {
  std::string type;
  std::string value;
  friend bool operator==(const PrincipalEntry&, const PrincipalEntry&) = default;
};

// "Principal": "*" (wildcard) or {"AWS": ..., "Service": ...} (entries grouped by type).
struct Principals {
  bool wildcard = false;
  std::vector<PrincipalEntry> entries;
  friend bool operator==(const Principals&, const Principals&) = default;
};

// The condition operators of the IAM grammar. The evaluator implements the String, Arn,
// Bool, Null and Numeric families; the others are valid IAM and parse, but evaluate to
// POLICY_UNSUPPORTED when a request reaches them.
enum class ConditionOperator : std::uint8_t {
  kStringEquals,
  kStringNotEquals,
  kStringEqualsIgnoreCase,
  kStringNotEqualsIgnoreCase,
  kStringLike,
  kStringNotLike,
  kNumericEquals,
  kNumericNotEquals,
  kNumericLessThan,
  kNumericLessThanEquals,
  kNumericGreaterThan,
  kNumericGreaterThanEquals,
  kDateEquals,
  kDateNotEquals,
  kDateLessThan,
  kDateLessThanEquals,
  kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool,
  kBinaryEquals,
  kIpAddress,
  kNotIpAddress,
  kArnEquals,
  kArnLike,
  kArnNotEquals,
  kArnNotLike,
  kNull,
};
const char* ConditionOperatorName(ConditionOperator op) noexcept;  // "StringEquals", ...

// True for the operators whose result is the negation of a positive match (StringNotEquals,
// StringNotLike, NumericNotEquals, DateNotEquals, ArnNotEquals, ArnNotLike, NotIpAddress):
// with the key absent from the request they are true.
bool IsNegatedOperator(ConditionOperator op) noexcept;

// False for the operators Evaluate does not decide (Date*, BinaryEquals, IpAddress,
// NotIpAddress): a statement with one of them is unevaluable (Evaluate fails, lint warns).
inline bool IsEvaluatedOperator(ConditionOperator op) noexcept {
  switch (op) {
    case ConditionOperator::kDateEquals:
    case ConditionOperator::kDateNotEquals:
    case ConditionOperator::kDateLessThan:
    case ConditionOperator::kDateLessThanEquals:
    case ConditionOperator::kDateGreaterThan:
    case ConditionOperator::kDateGreaterThanEquals:
    case ConditionOperator::kBinaryEquals:
    case ConditionOperator::kIpAddress:
    case ConditionOperator::kNotIpAddress:
      return false;
    default:
      return true;
  }
}

enum class SetQualifier : std::uint8_t { kNone, kForAnyValue, kForAllValues };

// One (operator, key) pair of a Condition block, with the values for that key (ORed).
struct Condition {
  std::string operator_text;            // as written: "ForAnyValue:StringLikeIfExists"
  std::optional<ConditionOperator> op;  // nullopt: not an IAM operator (ValidatePolicy fails)
  SetQualifier qualifier = SetQualifier::kNone;
  bool if_exists = false;
  std::string key;                  // as written; condition keys compare case-insensitively
  std::vector<std::string> values;  // strings; JSON booleans and numbers as their JSON text
  friend bool operator==(const Condition&, const Condition&) = default;
};

// Parses an operator name ("StringEqualsIgnoreCase", "ForAllValues:StringLikeIfExists").
// Sets `out` fields op, qualifier, if_exists; op stays nullopt for an unknown name.
void ParseConditionOperator(std::string_view text, Condition& out);

struct Statement {
  std::optional<std::string> sid;
  Effect effect = Effect::kDeny;
  // Exactly one of Principal / NotPrincipal is expected in a key policy (ValidatePolicy).
  std::optional<Principals> principal;
  std::optional<Principals> not_principal;
  // Action or NotAction (the flag says which); absent means the statement matches nothing.
  std::vector<std::string> actions;
  bool not_action = false;
  bool has_action = false;
  // Resource or NotResource; absent means the statement matches nothing.
  std::vector<std::string> resources;
  bool not_resource = false;
  bool has_resource = false;
  std::vector<Condition> conditions;  // ANDed; decoded sorted by operator, then key
  friend bool operator==(const Statement&, const Statement&) = default;
};

struct Policy {
  std::optional<std::string> version;  // "2012-10-17" (or the legacy "2008-10-17")
  std::optional<std::string> id;
  std::vector<Statement> statements;
  friend bool operator==(const Policy&, const Policy&) = default;
};

// A name for statement `index` in reports: "statement 2 (KeyAdministration)".
std::string DescribeStatement(const Policy& policy, std::size_t index);

// Decodes key-policy JSON text (untrusted, at most limits::kMaxKeyPolicyBytes). Structural
// only: JSON validity, element names (an unknown element such as "Condtion" is an error,
// never ignored), element types, Effect "Allow"/"Deny", list sizes.
// Fails with kInputTooLarge, kPolicyJson, kPolicyStructure (index = statement, -1 for the
// top level).
[[nodiscard]] core::Result<Policy> DecodePolicy(std::string_view json_text);

// The semantic rules KMS applies on PutKeyPolicy (kms.md 8.2): Version one of the two IAM
// versions, at least one statement, every statement with a principal (Principal or
// NotPrincipal), AWS principals that are "*", an account id or an ARN, known condition
// operators, Bool/Null values "true"/"false", non-empty condition keys, actions of the form
// "service:name" or "*", unique Sids. A statement without Action or Resource is valid but
// matches nothing (as in AWS). Fails with kPolicyStructure (index = statement).
[[nodiscard]] core::Status ValidatePolicy(const Policy& policy);

// DecodePolicy then ValidatePolicy.
[[nodiscard]] core::Result<Policy> ParsePolicy(std::string_view json_text);

// The element a ParsePolicy failure concerns. A caller whose answer depends on it (the local
// KMS answers a principal error with KMS's "invalid principals" message) decides on this,
// never on the error's text.
enum class PolicyElement : std::uint8_t {
  kOther,
  kPrincipal,  // Principal/NotPrincipal: missing, both, malformed, or an invalid AWS principal
};

// ParsePolicy that also sets `out_element` on failure (left untouched on success).
[[nodiscard]] core::Result<Policy> ParsePolicy(std::string_view json_text,
                                               PolicyElement& out_element);

// The policy as JSON with IAM's conventional element order (Version, Id, Statement; Sid,
// Effect, Principal, Action, Resource, Condition). One-element lists are written as a
// string. DecodePolicy(EncodePolicy(p)) == p for every p that DecodePolicy returned.
nlohmann::ordered_json PolicyToJson(const Policy& policy);
std::string EncodePolicy(const Policy& policy, int indent = 2);

}  // namespace enclavectl::kmspolicy

// Evaluating a request against a key policy the way KMS does (policy layer: pure). The same
// evaluator serves `enclavectl policy simulate`, lint's questions and the local KMS server.
//
// Spec: ../shared/spec/kms.md sections 7 (attestation condition keys) and 8.2 (evaluation
// model); AWS IAM "Policy evaluation logic" and "Condition operators".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/policy.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::kmspolicy {

inline constexpr std::string_view kRecipientAttestationKeyPrefix = "kms:RecipientAttestation:";
inline constexpr std::string_view kImageSha384Key = "kms:RecipientAttestation:ImageSha384";
inline constexpr std::string_view kRecipientPcrKeyPrefix = "kms:RecipientAttestation:PCR";

// True for condition keys under kms:RecipientAttestation: (case-insensitive): the keys only
// AddAttestationKeys may set.
bool IsAttestationKey(std::string_view key) noexcept;

// The request context's condition keys. Keys compare case-insensitively (IAM); a key maps
// to one value (single-valued keys) or several (multivalued keys such as
// kms:EncryptionContextKeys).
class ConditionContext {
 public:
  // Replaces the values of `key`.
  void Set(std::string_view key, std::vector<std::string> values);
  // Appends one value to `key`.
  void Add(std::string_view key, std::string value);
  // The values of `key`, or nullptr when the request has no such key.
  const std::vector<std::string>* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Every key (lower-cased) with its values, sorted by key.
  const std::map<std::string, std::vector<std::string>>& Entries() const noexcept {
    return values_;
  }

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

struct Request {
  // The caller: an IAM ARN ("arn:aws:sts::A:assumed-role/Role/session", "...:user/U",
  // "...:role/R", "...:root"), a 12-digit account id (its root), or a service principal
  // ("ec2.amazonaws.com").
  std::string principal;
  // "kms:Decrypt".
  std::string action;
  // The key's ARN; empty means "this key, ARN unknown". Then an Allow applies when its
  // Resource/NotResource might cover the key, a Deny only when it certainly does
  // (StatementResourceCoverage): the most permissive answer any ARN could give, the same
  // reading lint takes.
  std::string resource;
  ConditionContext context;
};

// Adds the keys KMS and IAM derive from the caller unless already set: aws:PrincipalArn (the
// role ARN for an assumed-role session), aws:PrincipalAccount and kms:CallerAccount.
void AddCallerKeys(Request& request);

// Adds kms:RecipientAttestation:ImageSha384 (= PCR0) and kms:RecipientAttestation:PCR<n>
// for every PCR of a *verified* document, as lower-case hex (kms.md section 7). Only a
// VerifiedDocument can supply them: an unverified document never reaches a policy.
void AddAttestationKeys(const verifier::VerifiedDocument& document, ConditionContext& context);

// What a request to simulate probably got wrong, one sentence each for people (the decision
// stays what Evaluate says): an action that is no KMS permission (a typo such as
// "kms:Decrpyt", or another service's) and a principal that is no ARN, "*", 12-digit account
// id or service principal ("NAME.amazonaws.com"). Either can only fall to an implicit deny,
// or match a statement that names the same text. Untrusted text is quoted through
// core::SafeExcerpt.
std::vector<std::string> RequestWarnings(const Request& request);

enum class Decision : std::uint8_t { kAllow, kExplicitDeny, kImplicitDeny };
const char* DecisionName(Decision decision) noexcept;  // "Allow", "ExplicitDeny", "ImplicitDeny"

// Why one statement did or did not apply to the request.
struct StatementTrace {
  std::size_t index = 0;
  Effect effect = Effect::kDeny;
  bool applies = false;
  std::string reason;  // "principal does not match", "conditions hold", ...
};

struct Evaluation {
  Decision decision = Decision::kImplicitDeny;
  // The Deny or Allow statement that decided; nullopt for an implicit deny.
  std::optional<std::size_t> deciding_statement;
  std::vector<StatementTrace> trace;  // one entry per statement, in policy order
};

// Evaluates `request` against `policy`: a matching Deny statement wins, else a matching Allow,
// else an implicit deny. A statement matches when its principal, action and resource match
// (for an unknown resource: an Allow that might cover the key, a Deny that certainly does)
// and all its conditions hold (operators ANDed, keys ANDed, values ORed; ...IfExists holds
// for an absent key; negated operators hold for an absent key; ForAllValues holds for an
// absent key, ForAnyValue does not). Implemented operators: String*, Arn*, Bool, Null,
// Numeric*. Fails with kPolicyUnsupported (index = statement) when a statement whose action
// and resource match uses NotPrincipal, or can only be decided with a Date/Binary/IpAddress
// operator or a policy variable ("${...}"): the evaluator never guesses (a condition that is
// already false decides the statement). Precondition: ValidatePolicy succeeded on `policy`.
[[nodiscard]] core::Result<Evaluation> Evaluate(const Policy& policy, const Request& request);

// Principal matching alone (kms.md 8.2): "*" matches anyone; an account id or account root
// ARN matches every principal of that account (IAM delegation); a role ARN matches the role
// and its assumed-role sessions (the role path is not part of the session ARN); any other
// ARN or service name matches itself.
bool PrincipalMatches(const Principals& principals, std::string_view caller);

// True when `principals` match every caller PrincipalMatches can be asked about: "*" or an
// {"AWS": "*"} entry.
bool PrincipalsCoverEveryone(const Principals& principals) noexcept;

// Action / NotAction of `statement` covers `action` (a statement without either covers
// nothing).
bool StatementCoversAction(const Statement& statement, std::string_view action);

// How a statement's Resource / NotResource covers a key: one model for the evaluator, lint
// and the local KMS.
enum class ResourceCoverage : std::uint8_t {
  kNo,       // it names other resources only (or has no Resource element)
  kMaybe,    // it might name the key: the key's ARN is unknown
  kCertain,  // it names the key whatever its ARN
};

// `key_arn` is the key's ARN ("arn:aws:kms:REGION:ACCOUNT:key/ID", untrusted text, compared
// with IAM wildcards, case-sensitively), or empty when unknown. A known ARN gives kNo or
// kCertain. An unknown ARN gives: Resource with a pattern made of '*' only ("*") kCertain,
// any other Resource pattern kMaybe; NotResource with such a pattern kNo, NotResource whose
// every entry is a literal that is no KMS key ARN (it excludes nothing) kCertain, any other
// NotResource kMaybe. A statement without Resource/NotResource covers nothing (kNo).
ResourceCoverage StatementResourceCoverage(const Statement& statement, std::string_view key_arn);

// The statement might cover the key (coverage is not kNo): when an Allow counts.
bool StatementCoversResource(const Statement& statement, std::string_view key_arn);

// The statement certainly covers the key (coverage is kCertain): when a Deny counts.
bool StatementCertainlyCoversResource(const Statement& statement, std::string_view key_arn);

}  // namespace enclavectl::kmspolicy

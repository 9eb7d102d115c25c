// Amazon Resource Names and account ids as key policies use them (parse layer: pure).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace enclavectl::aws {

// arn:<partition>:<service>:<region>:<account>:<resource>. The resource keeps any further
// ':' ("key/1234", "role/path/name", "assumed-role/name/session").
struct Arn {
  std::string partition;
  std::string service;
  std::string region;
  std::string account;
  std::string resource;
  friend bool operator==(const Arn&, const Arn&) = default;
};

// Splits an ARN (untrusted text). nullopt when it does not start with "arn:", has fewer than
// six parts, an empty partition, service or resource, or characters outside printable ASCII.
std::optional<Arn> ParseArn(std::string_view text);

// The ARN text of `arn`.
std::string FormatArn(const Arn& arn);

// True for a 12-digit AWS account id.
bool IsAccountId(std::string_view text) noexcept;

// The account id of an account principal: "111122223333" or "arn:<p>:iam::111122223333:root".
std::optional<std::string> AccountPrincipal(std::string_view text);

// For an IAM role ARN ("arn:aws:iam::A:role/path/Name"): the role name without its path.
std::optional<std::string> RoleName(const Arn& arn);

// For an STS assumed-role session ARN ("arn:aws:sts::A:assumed-role/Name/session"): the
// role name.
std::optional<std::string> AssumedRoleName(const Arn& arn);

// A KMS key ARN "arn:<p>:kms:<region>:<account>:key/<id>": the parsed ARN when `text` is one.
std::optional<Arn> ParseKmsKeyArn(std::string_view text);

}  // namespace enclavectl::aws

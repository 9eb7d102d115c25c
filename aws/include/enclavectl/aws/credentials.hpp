// The AWS credential chain and region (adapter: environment, files, the instance metadata
// service). Order as the AWS CLI: an explicit --profile; else the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); else the profile named by
// AWS_PROFILE (or "default") in the shared credentials file, then in the config file; else
// IMDSv2 (the instance role). Only static keys and IMDSv2 are supported: profiles using
// role_arn, credential_process or SSO are reported, not followed; IMDSv1 is never used.
#pragma once

#include <optional>
#include <string>

#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/http.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::aws {

struct CredentialOptions {
  std::string profile;     // --profile; empty: AWS_PROFILE, else "default"
  bool allow_imds = true;  // also off when AWS_EC2_METADATA_DISABLED=true
  HttpOptions imds_http{1000, 3000, core::limits::kMaxImdsResponseBytes};
};

struct ResolvedCredentials {
  AwsCredentials credentials;
  // Where they came from, for reports (never the secret): "environment",
  // "shared credentials file /home/u/.aws/credentials [prod]", "instance metadata (role r)".
  std::string source;
  std::optional<core::UnixMillis> expiration;
};

// Walks the chain. Fails with kCredentialsNotFound when no step has credentials (the detail
// lists what was tried), when a named profile does not exist, or when it uses an unsupported
// mechanism; kCredentialsMalformed for a half-set environment or an unparsable file or IMDS
// answer; kIoRead for an existing file that cannot be read. Never names a secret.
[[nodiscard]] core::Result<ResolvedCredentials> ResolveCredentials(
    const Environment& env, HttpTransport& imds, const CredentialOptions& options);

// The region from AWS_REGION, AWS_DEFAULT_REGION or the profile's `region` in the config
// file; empty when none says. Fails with kCredentialsMalformed / kIoRead on a bad config file.
[[nodiscard]] core::Result<std::string> ResolveRegion(const Environment& env,
                                                      const CredentialOptions& options);

}  // namespace enclavectl::aws

#include "verify_common.hpp"

#include <variant>

#include "enclavectl/aws/arn.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/kmspolicy/io/key_policy_audit.hpp"
#include "enclavectl/kmspolicy/io/pcr_sources.hpp"

namespace enclavectl::cli {

namespace v = verifier;

namespace {

// The PCR sets of a kmspolicy::io source (pcr.json or an EIF's measurements): a file that is
// wrong is malformed input (2), an unreadable one an I/O error (74).
core::Result<std::vector<v::PcrSet>> SetsOf(const auto& source) {
  auto measured = source->Load();
  if (!measured) {
    return core::Fail(measured.error());
  }
  return std::move(measured->sets);
}

}  // namespace

v::VerifyFlagSources Sources(const v::VerifyFlagValues& flags) {
  return {[&flags] { return SetsOf(kmspolicy::io::MakePcrFileSource(flags.expect_pcrs_path)); },
          [&flags] { return SetsOf(kmspolicy::io::MakeEifSource(flags.verify_build_path)); },
          [](const std::string& arn) { return aws::ParseKmsKeyArn(arn).has_value(); }};
}

core::Result<v::TrustAnchor> LoadRoot(const std::string& root_path) {
  if (root_path.empty()) {
    return v::TrustAnchor::AwsNitroRoot();
  }
  auto pem = core::io::ReadFile(root_path, core::limits::kMaxPemFileBytes);
  if (!pem) {
    return core::Fail(pem.error());
  }
  auto root = v::TrustAnchor::FromPemOrDer(*pem);
  if (!root) {
    core::Error error = root.error();
    error.detail = root_path + ": " + error.detail;
    return core::Fail(std::move(error));
  }
  return root;
}

core::Check CheckKeyPolicy(const v::VerifyFlagValues& flags, const v::LiveReport& report,
                           const core::io::Clock& clock) {
  auto plan = kmspolicy::io::PlanKeyPolicyAudit(report, flags.expect_kms_key, flags.region);
  if (const auto* done = std::get_if<v::Check>(&plan)) {
    return *done;
  }
  const auto& audit = std::get<kmspolicy::io::KeyPolicyAudit>(plan);
  aws::ProcessEnvironment env;
  aws::CurlTransport transport{"enclavectl-verify"};
  aws::RealSleeper sleeper;
  aws::CredentialOptions credential_options;
  credential_options.profile = flags.profile;
  auto credentials = aws::ResolveCredentials(env, transport, credential_options);
  if (!credentials) {
    return kmspolicy::io::KeyPolicyAuditFailure(credentials.error());
  }
  auto endpoint = aws::ResolveKmsEndpoint(flags.endpoint_url, audit.region, env);
  if (!endpoint) {
    return kmspolicy::io::KeyPolicyAuditFailure(endpoint.error());
  }
  aws::KmsClientOptions client_options;
  client_options.endpoint = std::move(*endpoint);
  aws::KmsClient client(client_options, transport, credentials->credentials, clock, sleeper);
  return kmspolicy::io::RunKeyPolicyAudit(audit, client);
}

}  // namespace enclavectl::cli

#include "enclavectl/aws/credentials.hpp"

#include <openssl/crypto.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "enclavectl/aws/aws_config.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr const char* kDefaultImdsEndpoint = "http://169.254.169.254";

struct SharedFiles {
  std::string credentials_path;
  std::string config_path;
};

SharedFiles FilePaths(const Environment& env) {
  const std::string home = env.Get("HOME").value_or("");
  return {env.Get("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials"),
          env.Get("AWS_CONFIG_FILE").value_or(home + "/.aws/config")};
}

// The parsed file, or an empty one when it does not exist.
core::Result<IniFile> ReadIni(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    return IniFile{};
  }
  auto bytes = core::io::ReadFile(path, core::limits::kMaxAwsConfigFileBytes);
  if (!bytes) {
    return Fail(bytes.error());
  }
  auto ini = ParseAwsIni(core::AsChars(*bytes));
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!ini) {
    core::Error error = ini.error();
    error.detail = path + ": " + error.detail;
    return Fail(std::move(error));
  }
  return ini;
}

std::string ProfileName(const Environment& env, const CredentialOptions& options, bool* named) {
  if (!options.profile.empty()) {
    *named = true;
    return options.profile;
  }
  for (const char* variable : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}) {
    if (auto value = env.Get(variable)) {
      *named = true;
      return *value;
    }
  }
  *named = false;
  return "default";
}

std::optional<std::string> Setting(const std::map<std::string, std::string>* section,
                                   const char* key) {
  if (section == nullptr) {
    return std::nullopt;
  }
  const auto it = section->find(key);
  if (it == section->end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

AwsCredentials MakeCredentials(std::string key_id, std::string_view secret,
                               std::optional<std::string_view> token) {
  AwsCredentials out;
  out.access_key_id = std::move(key_id);
  out.secret_access_key = core::SecretBytes(core::AsBytes(secret));
  if (token) {
    out.session_token = core::SecretBytes(core::AsBytes(*token));
  }
  return out;
}

// Static keys from a profile section; nullopt when it has none.
core::Result<std::optional<AwsCredentials>> FromSection(
    const std::map<std::string, std::string>* section, const std::string& where) {
  const auto key_id = Setting(section, "aws_access_key_id");
  const auto secret = Setting(section, "aws_secret_access_key");
  if (key_id.has_value() != secret.has_value()) {
    return Fail(ErrorCode::kCredentialsMalformed,
                where + " has aws_access_key_id or aws_secret_access_key but not both");
  }
  if (!key_id) {
    return std::optional<AwsCredentials>();
  }
  const auto token = Setting(section, "aws_session_token");
  return std::optional<AwsCredentials>(MakeCredentials(
      *key_id, *secret, token ? std::optional<std::string_view>(*token) : std::nullopt));
}

bool UsesUnsupportedMechanism(const std::map<std::string, std::string>* section) {
  if (section == nullptr) {
    return false;
  }
  for (const auto& [key, value] : *section) {
    if (key == "role_arn" || key == "credential_process" || key == "web_identity_token_file" ||
        key.rfind("sso_", 0) == 0) {
      return true;
    }
  }
  return false;
}

struct ImdsAttempt {
  std::optional<ResolvedCredentials> credentials;
  std::string reason;  // why none, when none
};

core::Result<ImdsAttempt> FromImds(const Environment& env, HttpTransport& transport,
                                   const HttpOptions& http) {
  ImdsAttempt out;
  std::string endpoint =
      env.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(kDefaultImdsEndpoint);
  while (!endpoint.empty() && endpoint.back() == '/') {
    endpoint.pop_back();
  }
  // IMDSv2: a session token first (PUT), then the role name, then its credentials.
  HttpRequest put{"PUT",
                  endpoint + "/latest/api/token",
                  {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}},
                  {}};
  auto token = transport.Send(put, http);
  if (!token) {
    out.reason = "instance metadata (" + endpoint + ") not reachable: " + token.error().detail;
    return out;
  }
  if (token->status != 200 || token->body.empty() || token->body.size() > 4096) {
    out.reason = "instance metadata (" + endpoint + ") gave no IMDSv2 token (HTTP " +
                 std::to_string(token->status) + ")";
    return out;
  }
  std::string token_text(core::AsChars(token->body.View()));
  auto get = [&](const std::string& path) {
    HttpRequest request{"GET", endpoint + path, {{"X-aws-ec2-metadata-token", token_text}}, {}};
    return transport.Send(request, http);
  };
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  auto roles = get(base);
  if (!roles || roles->status != 200 || roles->body.empty()) {
    OPENSSL_cleanse(token_text.data(), token_text.size());
    out.reason =
        "instance metadata has no instance role" +
        (roles ? " (HTTP " + std::to_string(roles->status) + ")" : ": " + roles.error().detail);
    return out;
  }
  std::string role(core::AsChars(roles->body.View()));
  role = role.substr(0, role.find('\n'));
  while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) {
    role.pop_back();
  }
  const bool role_ok =
      !role.empty() && role.size() <= 128 && role.find_first_of("/?#% ") == std::string::npos;
  if (!role_ok) {
    OPENSSL_cleanse(token_text.data(), token_text.size());
    return Fail(ErrorCode::kCredentialsMalformed, "instance metadata names an invalid role");
  }
  auto answer = get(base + role);
  OPENSSL_cleanse(token_text.data(), token_text.size());
  if (!answer || answer->status != 200) {
    out.reason =
        "instance metadata has no credentials for role " + role +
        (answer ? " (HTTP " + std::to_string(answer->status) + ")" : ": " + answer.error().detail);
    return out;
  }
  auto decoded = DecodeImdsCredentials(answer->body.View());
  if (!decoded) {
    return Fail(decoded.error());
  }
  out.credentials =
      ResolvedCredentials{std::move(decoded->credentials), "instance metadata (role " + role + ")",
                          decoded->expiration};
  return out;
}

}  // namespace

core::Result<ResolvedCredentials> ResolveCredentials(const Environment& env, HttpTransport& imds,
                                                     const CredentialOptions& options) {
  std::vector<std::string> tried;
  // 1. The environment, unless --profile names a profile explicitly.
  if (options.profile.empty()) {
    const auto key_id = env.Get("AWS_ACCESS_KEY_ID");
    const auto secret = env.Get("AWS_SECRET_ACCESS_KEY");
    if (key_id.has_value() != secret.has_value()) {
      return Fail(ErrorCode::kCredentialsMalformed,
                  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    }
    if (key_id) {
      const auto token = env.Get("AWS_SESSION_TOKEN");
      return ResolvedCredentials{
          MakeCredentials(*key_id, *secret,
                          token ? std::optional<std::string_view>(*token) : std::nullopt),
          "environment", std::nullopt};
    }
    tried.emplace_back("environment (AWS_ACCESS_KEY_ID unset)");
  }
  // 2. The shared files.
  bool named = false;
  const std::string profile = ProfileName(env, options, &named);
  const SharedFiles files = FilePaths(env);
  auto credentials_file = ReadIni(files.credentials_path);
  if (!credentials_file) {
    return Fail(credentials_file.error());
  }
  auto config_file = ReadIni(files.config_path);
  if (!config_file) {
    WipeIni(*credentials_file);
    return Fail(config_file.error());
  }
  const auto* in_credentials = CredentialsFileProfile(*credentials_file, profile);
  const auto* in_config = ConfigFileProfile(*config_file, profile);
  auto from_credentials =
      FromSection(in_credentials, files.credentials_path + " [" + profile + "]");
  auto from_config = FromSection(in_config, files.config_path + " [" + profile + "]");
  const bool unsupported =
      UsesUnsupportedMechanism(in_credentials) || UsesUnsupportedMechanism(in_config);
  WipeIni(*credentials_file);
  WipeIni(*config_file);
  if (!from_credentials || !from_config) {
    return Fail(!from_credentials ? from_credentials.error() : from_config.error());
  }
  if (*from_credentials) {
    return ResolvedCredentials{
        std::move(**from_credentials),
        "shared credentials file " + files.credentials_path + " [" + profile + "]", std::nullopt};
  }
  if (*from_config) {
    return ResolvedCredentials{std::move(**from_config),
                               "config file " + files.config_path + " [" + profile + "]",
                               std::nullopt};
  }
  if (unsupported) {
    return Fail(ErrorCode::kCredentialsNotFound,
                "profile " + profile +
                    " uses role_arn, credential_process, web identity or SSO, which enclavectl "
                    "does not support; export static or session keys instead (e.g. `aws "
                    "configure export-credentials --format env`)");
  }
  if (named && in_credentials == nullptr && in_config == nullptr) {
    return Fail(ErrorCode::kCredentialsNotFound, "profile " + profile + " is in neither " +
                                                     files.credentials_path + " nor " +
                                                     files.config_path);
  }
  tried.push_back("profile " + profile + " in " + files.credentials_path + " and " +
                  files.config_path + " (no keys)");
  // 3. IMDSv2.
  const auto disabled = env.Get("AWS_EC2_METADATA_DISABLED");
  if (!options.allow_imds || (disabled && (*disabled == "true" || *disabled == "TRUE"))) {
    tried.emplace_back("instance metadata (disabled)");
  } else {
    auto attempt = FromImds(env, imds, options.imds_http);
    if (!attempt) {
      return Fail(attempt.error());
    }
    if (attempt->credentials) {
      return std::move(*attempt->credentials);
    }
    tried.push_back(attempt->reason);
  }
  std::string detail = "no AWS credentials found; tried: ";
  for (std::size_t i = 0; i < tried.size(); ++i) {
    detail += (i == 0 ? "" : "; ") + tried[i];
  }
  return Fail(ErrorCode::kCredentialsNotFound, std::move(detail));
}

core::Result<std::string> ResolveRegion(const Environment& env, const CredentialOptions& options) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = env.Get(variable)) {
      return *value;
    }
  }
  bool named = false;
  const std::string profile = ProfileName(env, options, &named);
  auto config = ReadIni(FilePaths(env).config_path);
  if (!config) {
    return Fail(config.error());
  }
  std::string region = Setting(ConfigFileProfile(*config, profile), "region").value_or("");
  WipeIni(*config);
  return region;
}

}  // namespace enclavectl::aws

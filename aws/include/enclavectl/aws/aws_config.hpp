// The shared AWS credentials and config files and the instance metadata service's
// credentials answer (parse layer: pure).
//
// Format as the AWS CLI writes and reads it ("Configuration and credential file settings"):
// [section] headers, `key = value` lines, full-line comments starting with '#' or ';',
// indented lines continuing a sub-setting (skipped). In the credentials file a profile's
// section is [name]; in the config file [default] or [profile name].
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::aws {

struct IniFile {
  // section -> (key, lower-cased -> value)
  std::map<std::string, std::map<std::string, std::string>> sections;
};

// Parses `text` (untrusted file content). Fails with kCredentialsMalformed (index = line
// number, 1-based) on a line that is neither a section, a setting, a comment nor a
// continuation, or a setting before any section.
[[nodiscard]] core::Result<IniFile> ParseAwsIni(std::string_view text);

// Overwrites every value of `ini` with zeros (they may be secret keys) and clears it.
void WipeIni(IniFile& ini);

// The settings of `profile` in a credentials file ([profile]) or a config file ([profile
// name], or [default] for "default"); nullptr when absent.
const std::map<std::string, std::string>* CredentialsFileProfile(const IniFile& ini,
                                                                 std::string_view profile);
const std::map<std::string, std::string>* ConfigFileProfile(const IniFile& ini,
                                                            std::string_view profile);

// The IMDS answer of /latest/meta-data/iam/security-credentials/<role>:
// {"Code": "Success", "AccessKeyId": ..., "SecretAccessKey": ..., "Token": ...,
//  "Expiration": "2024-01-01T00:00:00Z", ...}. The JSON text of the secrets is wiped.
// Fails with kCredentialsMalformed.
struct ImdsCredentials {
  AwsCredentials credentials;
  std::optional<core::UnixMillis> expiration;
};
[[nodiscard]] core::Result<ImdsCredentials> DecodeImdsCredentials(core::ByteView body);

}  // namespace enclavectl::aws

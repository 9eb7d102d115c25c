#include "enclavectl/aws/aws_config.hpp"

#include <openssl/crypto.h>

#include "enclavectl/core/ascii.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;
using core::Fail;

void Wipe(std::string& text) {
  if (!text.empty()) {
    OPENSSL_cleanse(text.data(), text.size());
  }
  text.clear();
}

}  // namespace

core::Result<IniFile> ParseAwsIni(std::string_view text) {
  if (text.size() > core::limits::kMaxAwsConfigFileBytes) {
    return Fail(ErrorCode::kInputTooLarge, "the AWS credentials/config file is larger than 1 MiB");
  }
  IniFile out;
  std::map<std::string, std::string>* section = nullptr;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    const std::string_view line = core::TrimWhitespace(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    if (indented && section != nullptr) {
      continue;  // a nested sub-setting (e.g. under "s3 ="): not used here
    }
    if (line.front() == '[') {
      if (line.back() != ']' || line.size() < 3) {
        WipeIni(out);
        return Fail(ErrorCode::kCredentialsMalformed,
                    "line " + std::to_string(line_number) + " is not a [section] header",
                    line_number);
      }
      const std::string name(core::TrimWhitespace(line.substr(1, line.size() - 2)));
      section = &out.sections[name];
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || section == nullptr) {
      WipeIni(out);
      return Fail(ErrorCode::kCredentialsMalformed,
                  "line " + std::to_string(line_number) +
                      (section == nullptr ? " is a setting before any [section]"
                                          : " is not a key = value setting"),
                  line_number);
    }
    const std::string key = core::ascii::Lower(core::TrimWhitespace(line.substr(0, eq)));
    if (key.empty()) {
      WipeIni(out);
      return Fail(ErrorCode::kCredentialsMalformed,
                  "line " + std::to_string(line_number) + " has an empty key", line_number);
    }
    std::string& value = (*section)[key];
    Wipe(value);
    value = std::string(core::TrimWhitespace(line.substr(eq + 1)));
  }
  return out;
}

void WipeIni(IniFile& ini) {
  for (auto& [name, settings] : ini.sections) {
    for (auto& [key, value] : settings) {
      Wipe(value);
    }
  }
  ini.sections.clear();
}

const std::map<std::string, std::string>* CredentialsFileProfile(const IniFile& ini,
                                                                 std::string_view profile) {
  const auto it = ini.sections.find(std::string(profile));
  return it == ini.sections.end() ? nullptr : &it->second;
}

const std::map<std::string, std::string>* ConfigFileProfile(const IniFile& ini,
                                                            std::string_view profile) {
  const std::string name =
      profile == "default" ? std::string("default") : "profile " + std::string(profile);
  auto it = ini.sections.find(name);
  if (it == ini.sections.end() && profile == "default") {
    it = ini.sections.find("profile default");
  }
  return it == ini.sections.end() ? nullptr : &it->second;
}

core::Result<ImdsCredentials> DecodeImdsCredentials(core::ByteView body) {
  auto parsed =
      core::ParseStrictJson(core::AsChars(body), core::limits::kMaxImdsResponseBytes,
                            ErrorCode::kCredentialsMalformed, "instance metadata credentials");
  if (!parsed) {
    return Fail(parsed.error());
  }
  nlohmann::json& json = *parsed;
  auto take = [&json](const char* name) -> std::optional<std::string> {
    const auto it = json.find(name);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    std::string value = it->get<std::string>();
    Wipe(it->get_ref<std::string&>());
    return value;
  };
  if (!json.is_object()) {
    return Fail(ErrorCode::kCredentialsMalformed, "the credentials answer is not a JSON object");
  }
  if (const auto code = json.find("Code");
      code != json.end() && (!code->is_string() || code->get<std::string>() != "Success")) {
    return Fail(ErrorCode::kCredentialsMalformed, "the credentials answer's Code is not Success");
  }
  std::optional<std::string> key_id = take("AccessKeyId");
  std::optional<std::string> secret = take("SecretAccessKey");
  std::optional<std::string> token = take("Token");
  std::optional<std::string> expiration = take("Expiration");
  ImdsCredentials out;
  if (!key_id || !secret) {
    if (secret) {
      Wipe(*secret);
    }
    if (token) {
      Wipe(*token);
    }
    return Fail(ErrorCode::kCredentialsMalformed,
                "the credentials answer has no AccessKeyId or SecretAccessKey");
  }
  out.credentials.access_key_id = std::move(*key_id);
  out.credentials.secret_access_key = core::SecretBytes(core::AsBytes(*secret));
  Wipe(*secret);
  if (token) {
    out.credentials.session_token = core::SecretBytes(core::AsBytes(*token));
    Wipe(*token);
  }
  if (expiration) {
    auto time = core::ParseTime(*expiration);
    if (!time) {
      return Fail(ErrorCode::kCredentialsMalformed, "the credentials' Expiration is not a time");
    }
    out.expiration = *time;
  }
  return out;
}

}  // namespace enclavectl::aws

#include "enclavectl/aws/arn.hpp"

#include <algorithm>

namespace enclavectl::aws {

std::optional<Arn> ParseArn(std::string_view text) {
  if (text.size() > 2048 || text.substr(0, 4) != "arn:") {
    return std::nullopt;
  }
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(4);
  std::string parts[4];
  for (std::string& part : parts) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    part = std::string(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  Arn arn{parts[0], parts[1], parts[2], parts[3], std::string(rest)};
  if (arn.partition.empty() || arn.service.empty() || arn.resource.empty()) {
    return std::nullopt;
  }
  return arn;
}

std::string FormatArn(const Arn& arn) {
  return "arn:" + arn.partition + ":" + arn.service + ":" + arn.region + ":" + arn.account + ":" +
         arn.resource;
}

bool IsAccountId(std::string_view text) noexcept {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> AccountPrincipal(std::string_view text) {
  if (IsAccountId(text)) {
    return std::string(text);
  }
  const std::optional<Arn> arn = ParseArn(text);
  if (arn && arn->service == "iam" && arn->region.empty() && arn->resource == "root" &&
      IsAccountId(arn->account)) {
    return arn->account;
  }
  return std::nullopt;
}

std::optional<std::string> RoleName(const Arn& arn) {
  if (arn.service != "iam" || arn.resource.substr(0, 5) != "role/") {
    return std::nullopt;
  }
  const std::size_t slash = arn.resource.rfind('/');
  std::string name = arn.resource.substr(slash + 1);
  if (name.empty()) {
    return std::nullopt;
  }
  return name;
}

std::optional<std::string> AssumedRoleName(const Arn& arn) {
  if (arn.service != "sts" || arn.resource.substr(0, 13) != "assumed-role/") {
    return std::nullopt;
  }
  const std::string_view rest = std::string_view(arn.resource).substr(13);
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return std::nullopt;
  }
  return std::string(rest.substr(0, slash));
}

std::optional<Arn> ParseKmsKeyArn(std::string_view text) {
  std::optional<Arn> arn = ParseArn(text);
  if (!arn || arn->service != "kms" || arn->region.empty() || !IsAccountId(arn->account) ||
      arn->resource.size() <= 4 || arn->resource.substr(0, 4) != "key/") {
    return std::nullopt;
  }
  return arn;
}

}  // namespace enclavectl::aws

#include "enclavectl/aws/environment.hpp"

#include <cstdlib>
#include <string>

namespace enclavectl::aws {

std::optional<std::string> ProcessEnvironment::Get(std::string_view name) const {
  const std::string key(name);
  const char* value = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  return std::string(value);
}

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace enclavectl::aws

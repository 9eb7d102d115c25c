#include <algorithm>
#include <string>

#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/maintainer.hpp"

namespace enclavectl::verifier {

core::Sha256Digest MaintainerMessage(std::string_view target_pcr0_hex,
                                     std::int64_t activation_time) {
  // migration.md 5.3: lower-case hex, ":", Go's %d of the int64.
  std::string text(target_pcr0_hex);
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  text += ":" + std::to_string(activation_time);
  return core::Sha256(core::AsBytes(text));
}

}  // namespace enclavectl::verifier

#include "enclavectl/eif/image_config.hpp"

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/core/json.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using core::Fail;

bool IsLowerHex(std::string_view text, std::size_t digits) noexcept {
  return text.size() == digits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

bool IsPreviousPcr0(std::string_view text) noexcept {
  return text == "genesis" || IsLowerHex(text, 96);
}

core::Result<ImageConfig> DecodeImageConfig(std::string_view text) {
  constexpr ErrorCode kCode = ErrorCode::kImageConfigInvalid;
  auto parsed = core::ParseStrictJson(text, kMaxImageConfigBytes, kCode, "image config");
  if (!parsed) {
    return Fail(parsed.error());
  }
  auto view = core::JsonObjectView::Of(*parsed, kCode, "image config");
  if (!view) {
    return Fail(view.error());
  }
  ENCLAVECTL_RETURN_IF_ERROR(view->OnlyKeys({"previous_pcr0", "maintainer_pubkey"}));
  auto previous = view->String("previous_pcr0");
  if (!previous) {
    return Fail(previous.error());
  }
  auto maintainer = view->OptionalString("maintainer_pubkey");
  if (!maintainer) {
    return Fail(maintainer.error());
  }
  if (!IsPreviousPcr0(*previous)) {
    return Fail(kCode,
                "image config: previous_pcr0 must be \"genesis\" or 96 lower-case hex digits");
  }
  ImageConfig out;
  out.previous_pcr0 = std::move(*previous);
  if (*maintainer) {
    if (!IsLowerHex(**maintainer, 64)) {
      return Fail(kCode,
                  "image config: maintainer_pubkey must be 64 lower-case hex digits (an "
                  "x-only BIP-340 key)");
    }
    out.maintainer_pubkey = std::move(**maintainer);
  }
  return out;
}

}  // namespace enclavectl::eif

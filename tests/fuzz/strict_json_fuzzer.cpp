// The strict JSON reader (core/json.hpp) on arbitrary text: never crashes or throws; a value it
// returns re-encodes and re-parses to the same value; every typed accessor of JsonObjectView,
// applied to every member with every expected type, returns a value or an error with the
// view's code, and an error detail carries no control characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/core/json.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

constexpr core::ErrorCode kCode = core::ErrorCode::kLiveResponseMalformed;

bool Printable(std::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

template <typename T>
void CheckAccess(const core::Result<T>& result) {
  if (!result) {
    FUZZ_CHECK(result.error().code == kCode);
    FUZZ_CHECK(Printable(result.error().detail));
  }
}

void Walk(const core::JsonObjectView& view, int depth) {
  const auto& object = view.Value().get_ref<const nlohmann::json::object_t&>();
  for (const auto& [key, member] : object) {
    FUZZ_CHECK(view.Find(key) == &member);
    CheckAccess(view.String(key));
    CheckAccess(view.OptionalString(key));
    CheckAccess(view.Bool(key));
    CheckAccess(view.OptionalBool(key));
    CheckAccess(view.Uint(key, 1000));
    CheckAccess(view.OptionalUint(key, UINT64_MAX));
    CheckAccess(view.Array(key, 8));
    auto child = view.Object(key);
    CheckAccess(child);
    // A typed accessor succeeds exactly for its type.
    FUZZ_CHECK(view.String(key).has_value() == member.is_string());
    FUZZ_CHECK(view.Bool(key).has_value() == member.is_boolean());
    FUZZ_CHECK(child.has_value() == member.is_object());
    if (child && depth < 4) {
      Walk(*child, depth + 1);
    }
    if (member.is_array()) {
      for (const nlohmann::json& item : member) {
        auto text = core::JsonString(item, kCode, "item");
        FUZZ_CHECK(text.has_value() == item.is_string());
      }
    }
  }
  CheckAccess(view.OnlyKeys({"a", "b"}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto parsed = core::ParseStrictJson(text, 1U << 16U, kCode, "fuzz input");
  if (!parsed) {
    FUZZ_CHECK(parsed.error().code == kCode ||
               parsed.error().code == core::ErrorCode::kInputTooLarge);
    FUZZ_CHECK(Printable(parsed.error().detail));
    return 0;
  }
  const std::string again = core::DumpJson(*parsed);
  auto reparsed = core::ParseStrictJson(again, 1U << 20U, kCode, "re-encoded");
  FUZZ_CHECK(reparsed.has_value());
  FUZZ_CHECK(*reparsed == *parsed);
  auto view = core::JsonObjectView::Of(*parsed, kCode, "fuzz input");
  FUZZ_CHECK(view.has_value() == parsed->is_object());
  if (view) {
    Walk(*view, 0);
  }
  return 0;
}

#include "enclavectl/bitcoin/script_error.hpp"

#include <array>
#include <string>

namespace enclavectl::bitcoin {
namespace {

struct ScriptErrorInfo {
  std::string_view name;
  std::string_view message;
};

constexpr std::array kScriptErrors = {
#define ENCLAVECTL_X_ROW(name, text, message) ScriptErrorInfo{text, message},
    ENCLAVECTL_SCRIPT_ERRORS(ENCLAVECTL_X_ROW)
#undef ENCLAVECTL_X_ROW
};

}  // namespace

std::string_view ScriptErrorName(ScriptError error) noexcept {
  const auto i = static_cast<std::size_t>(error);
  return i < kScriptErrors.size() ? kScriptErrors[i].name : "UNKNOWN_ERROR";
}

std::string_view ScriptErrorMessage(ScriptError error) noexcept {
  const auto i = static_cast<std::size_t>(error);
  return i < kScriptErrors.size() ? kScriptErrors[i].message : "unknown error";
}

core::Error ScriptFailure(ScriptError error, std::size_t input_index) {
  return core::Error{core::ErrorCode::kBtcScriptFailed,
                     "input " + std::to_string(input_index) + ": " +
                         std::string(ScriptErrorName(error)) + " (" +
                         std::string(ScriptErrorMessage(error)) + ")",
                     static_cast<int>(input_index)};
}

}  // namespace enclavectl::bitcoin

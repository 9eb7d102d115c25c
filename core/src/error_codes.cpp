#include "enclavectl/core/error_codes.hpp"

#include <array>

namespace enclavectl::core {
namespace {

constexpr std::array kTable = {
#define ENCLAVECTL_X_ROW(name, value, text, exit_class, meaning) \
  ErrorCodeInfo{ErrorCode::name, text, ExitClass::exit_class, meaning},
    ENCLAVECTL_ERROR_CODES(ENCLAVECTL_X_ROW)
#undef ENCLAVECTL_X_ROW
};

constexpr bool IsStrictlyAscending() {
  for (std::size_t i = 1; i < kTable.size(); ++i) {
    if (static_cast<unsigned>(kTable[i - 1].code) >= static_cast<unsigned>(kTable[i].code)) {
      return false;
    }
  }
  return true;
}
static_assert(IsStrictlyAscending(), "error codes must be unique and listed in ascending order");

}  // namespace

std::span<const ErrorCodeInfo> AllErrorCodes() noexcept { return kTable; }

const ErrorCodeInfo& InfoFor(ErrorCode code) noexcept {
  for (const ErrorCodeInfo& info : kTable) {
    if (info.code == code) {
      return info;
    }
  }
  // Unreachable for enumerators; a cast integer outside the table maps to INTERNAL.
  return InfoFor(ErrorCode::kInternal);
}

std::string_view ErrorCodeName(ErrorCode code) noexcept { return InfoFor(code).name; }

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) noexcept {
  for (const ErrorCodeInfo& info : kTable) {
    if (info.name == name) {
      return info.code;
    }
  }
  return std::nullopt;
}

int ExitCodeFor(ExitClass exit_class) noexcept {
  switch (exit_class) {
    case ExitClass::kUsage:
      return 64;
    case ExitClass::kMalformed:
      return 2;
    case ExitClass::kRejected:
      return 1;
    case ExitClass::kIo:
      return 74;
    case ExitClass::kInternal:
      return 70;
  }
  return 70;
}

const char* ExitClassName(ExitClass exit_class) noexcept {
  switch (exit_class) {
    case ExitClass::kUsage:
      return "usage";
    case ExitClass::kMalformed:
      return "malformed";
    case ExitClass::kRejected:
      return "rejected";
    case ExitClass::kIo:
      return "io";
    case ExitClass::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace enclavectl::core

#include <string>
#include <string_view>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/eif/measure.hpp"

namespace enclavectl::eif {

using core::ErrorCode;

core::Result<PcrSet> ParseRequiredPcrs(const RequiredPcrFlags& flags) {
  PcrSet required;
  const std::pair<std::uint64_t, const std::string*> single[] = {
      {0, &flags.pcr0}, {1, &flags.pcr1}, {2, &flags.pcr2}, {8, &flags.pcr8}};
  for (const auto& [index, hex] : single) {
    if (hex->empty()) {
      continue;
    }
    auto value = core::HexDecodeLenient(*hex);
    if (!value || value->size() != 48) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-pcr" + std::to_string(index) + " must be 96 hex digits");
    }
    required[index] = std::move(*value);
  }
  for (const std::string& item : flags.pcr) {
    const std::size_t equals = item.find('=');
    const std::string index = item.substr(0, equals);
    if (equals == std::string::npos ||
        (index != "0" && index != "1" && index != "2" && index != "8")) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-pcr must be N=HEX with N one of 0, 1, 2, 8 (the PCRs of an "
                        "image): " +
                            item);
    }
    auto value = core::HexDecodeLenient(std::string_view(item).substr(equals + 1));
    if (!value || value->size() != 48) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-pcr " + index + "=HEX must be 96 hex digits");
    }
    const std::uint64_t number = std::stoull(index);
    if (auto known = required.find(number); known != required.end() && known->second != *value) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "PCR" + index + " is expected with two different values");
    }
    required[number] = std::move(*value);
  }
  return required;
}

}  // namespace enclavectl::eif

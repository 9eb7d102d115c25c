// Confidential Script's verify-and-sign request bodies (enclave-app/confidential_script.hpp).
// Invariants: never crash; a failure carries only the request codes; a decoded request
// re-encodes (spec 2.2 JSON) to a body that decodes to the same request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/json.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto decoded = app::DecodeVerifyAndSignRequest(text);
  if (!decoded) {
    const core::ErrorCode code = decoded.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kAppRequestMalformed ||
               code == core::ErrorCode::kAppRequestInvalid ||
               code == core::ErrorCode::kInputTooLarge);
    return 0;
  }
  nlohmann::json spent = nlohmann::json::array();
  for (const auto& out : decoded->actual_spent_outputs) {
    spent.push_back(app::TxOutToJson(out));
  }
  nlohmann::json roots = nlohmann::json::object();
  for (const auto& [index, root] : decoded->backup_merkle_roots) {
    roots[std::to_string(index)] = core::HexEncode(root);
  }
  const std::string again = core::DumpJson(
      nlohmann::json{{"emulated_tx_to", app::TransactionToJson(decoded->emulated_tx_to)},
                     {"actual_spent_outputs", spent},
                     {"backup_merkle_roots", roots}});
  auto redecoded = app::DecodeVerifyAndSignRequest(again);
  FUZZ_CHECK(redecoded.has_value());
  FUZZ_CHECK(redecoded->emulated_tx_to == decoded->emulated_tx_to);
  FUZZ_CHECK(redecoded->actual_spent_outputs == decoded->actual_spent_outputs);
  FUZZ_CHECK(redecoded->backup_merkle_roots == decoded->backup_merkle_roots);
  return 0;
}

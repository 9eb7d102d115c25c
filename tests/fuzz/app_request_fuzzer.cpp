// The key service's request bodies (enclave-app/api.hpp): setup bodies of the three setup
// endpoints, sign bodies and vsock protocol lines. Invariants: never crash; a failure carries
// only the request codes; a decoded request is well formed (key_id 1..2048 printable ASCII,
// blockhash only where allowed, a 32-byte digest, a message within its limit); and
// decode(encode(decode(x))) == decode(x).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/app/api.hpp"
#include "enclavectl/core/limits.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

template <typename T>
void CheckFailure(const core::Result<T>& result, bool not_found_allowed = false) {
  if (!result) {
    const core::ErrorCode code = result.error().code;
    FUZZ_CHECK(code == core::ErrorCode::kAppRequestMalformed ||
               code == core::ErrorCode::kAppRequestInvalid ||
               code == core::ErrorCode::kInputTooLarge ||
               (not_found_allowed && code == core::ErrorCode::kAppNotFound));
  }
}

bool SameSetup(const app::SetupRequest& a, const app::SetupRequest& b) {
  return a.mode == b.mode && a.key_id == b.key_id && a.blockhash == b.blockhash &&
         a.derivation == b.derivation;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT

  for (const app::SetupEndpoint endpoint :
       {app::SetupEndpoint::kGenerateSecret, app::SetupEndpoint::kSetup,
        app::SetupEndpoint::kV1Setup}) {
    auto setup = app::DecodeSetupRequest(text, endpoint);
    CheckFailure(setup);
    if (!setup) {
      continue;
    }
    FUZZ_CHECK(!setup->key_id.empty() && setup->key_id.size() <= core::limits::kMaxKmsKeyIdBytes);
    for (const char c : setup->key_id) {
      FUZZ_CHECK(c > 0x20 && c < 0x7f);
    }
    FUZZ_CHECK(endpoint != app::SetupEndpoint::kGenerateSecret || !setup->blockhash);
    FUZZ_CHECK(endpoint != app::SetupEndpoint::kSetup || setup->blockhash);
    FUZZ_CHECK(endpoint == app::SetupEndpoint::kV1Setup ||
               setup->mode == app::KeyMode::kReproducible);
    FUZZ_CHECK(setup->mode != app::KeyMode::kSealed || !setup->blockhash);
    auto again = app::DecodeSetupRequest(app::EncodeSetupRequest(*setup, endpoint), endpoint);
    FUZZ_CHECK(again && SameSetup(*again, *setup));
  }

  auto sign = app::DecodeSignRequest(text);
  CheckFailure(sign);
  if (sign) {
    auto again = app::DecodeSignRequest(app::EncodeSignRequest(*sign));
    FUZZ_CHECK(again && again->scheme == sign->scheme && again->digest == sign->digest);
  }

  auto wallet = app::DecodeWalletRequest(text);
  CheckFailure(wallet, true);
  if (wallet) {
    FUZZ_CHECK(wallet->message.size() <= core::limits::kMaxSignMessageBytes);
    FUZZ_CHECK(wallet->action == app::WalletRequest::Action::kSign || wallet->message.empty());
    auto again = app::DecodeWalletRequest(app::EncodeWalletRequest(*wallet));
    FUZZ_CHECK(again && again->action == wallet->action && again->message == wallet->message);
  }
  return 0;
}

// The seeds' wallet protocol codecs (enclave-app seed_wallet.hpp, accounts.hpp). The first
// byte picks the view of the rest ('b': seed (b), anything else: seed (a)): seed (a) request
// (completeness, decode, the service's reply) or seed (b) bytes (frame check, frame decode, request
// decode, the dispatcher over a fixed fake). Invariants: never crash; failures carry only the
// codecs' codes; a seed (a) reply is always one object in json.dumps form, printable ASCII; a
// complete JSON prefix decodes or fails as a request, never as "incomplete"; CheckFrame and
// DecodeFrame agree; an account request re-encodes to itself (decode(encode(decode(x))) ==
// decode(x) for key fields); the dispatcher's answer is always one of the envelopes and never
// echoes the secret.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/app/accounts.hpp"
#include "enclavectl/app/seed_wallet.hpp"
#include "enclavectl/core/encoding.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using core::ErrorCode;

const app::SeedWalletService& Service() {
  static const app::SeedWalletService service(
      app::SeedWalletKey::FromScalar(
          app::SeedRevision::kV1,
          core::HexDecode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
              .value())
          .value(),
      {});
  return service;
}

class FixedOperations final : public app::accounts::AccountOperations {
 public:
  core::Result<app::accounts::GenerateResponse> Generate(
      const app::accounts::GenerateRequest& /*request*/) override {
    return app::accounts::GenerateResponse{{}, core::Bytes{1}, "Ag==", std::nullopt};
  }
  core::Result<app::accounts::SignResponse> Sign(
      const app::accounts::SignRequest& /*request*/) override {
    return core::Fail(ErrorCode::kAccountDecryptFailed, "fixed");
  }
};

void SeedA(std::string_view text) {
  const core::JsonPrefix prefix = app::ClassifySeedWalletRequest(text);
  auto request = app::DecodeSeedWalletRequest(text);
  if (!request) {
    FUZZ_CHECK(request.error().code == ErrorCode::kSeedWalletRequestInvalid ||
               request.error().code == ErrorCode::kInputTooLarge);
  } else {
    FUZZ_CHECK(prefix == core::JsonPrefix::kComplete);
  }
  const std::string reply = Service().Handle(text);
  FUZZ_CHECK(reply.size() >= 2 && reply.front() == '{' && reply.back() == '}');
  FUZZ_CHECK(reply.rfind("{\"", 0) == 0);
  for (const char c : reply) {
    FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  }
  auto bytes = app::PythonFromHex(text);
  if (bytes) {
    FUZZ_CHECK(bytes->size() <= text.size() / 2);
  }
}

void SeedB(std::string_view bytes) {
  namespace accounts = app::accounts;
  const accounts::FrameCheck check = accounts::CheckFrame(bytes, 4096);
  auto frame = accounts::DecodeFrame(bytes, 4096);
  if (frame) {
    FUZZ_CHECK(check.state == accounts::FrameState::kComplete);
    FUZZ_CHECK(frame->size() == check.payload_len);
  } else {
    FUZZ_CHECK(frame.error().code == ErrorCode::kAccountFrameInvalid ||
               frame.error().code == ErrorCode::kInputTooLarge);
  }
  const std::string_view payload = bytes;
  auto request = accounts::DecodeRequest(payload);
  if (!request) {
    // A malformed encryptedPrivateKey keeps the envelope's own code (DetectEnvelopeFormat),
    // as the account service answers it; every other refusal is the request's.
    FUZZ_CHECK(request.error().code == ErrorCode::kAccountRequestInvalid ||
               request.error().code == ErrorCode::kAccountRequestUnsupported ||
               request.error().code == ErrorCode::kWalletEnvelopeMalformed);
  } else {
    auto again = accounts::DecodeRequest(accounts::EncodeRequest(*request));
    FUZZ_CHECK(again && again->index() == request->index());
    if (const auto* sign = std::get_if<accounts::SignRequest>(&*request)) {
      const auto& other = std::get<accounts::SignRequest>(*again);
      FUZZ_CHECK(other.digest == sign->digest && other.address == sign->address &&
                 other.encrypted_private_key == sign->encrypted_private_key);
    } else {
      FUZZ_CHECK(std::get<accounts::GenerateRequest>(*again).key_id ==
                 std::get<accounts::GenerateRequest>(*request).key_id);
    }
  }
  FixedOperations operations;
  const accounts::AccountService service(operations);
  auto response = accounts::DecodeResponse(service.Handle(payload));
  FUZZ_CHECK(response.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);  // NOLINT
  if (data[0] == 'b') {
    SeedB(text);
  } else {
    SeedA(text);
  }
  return 0;
}

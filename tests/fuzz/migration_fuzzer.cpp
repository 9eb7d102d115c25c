// The key migration's untrusted inputs (enclave-app/migration.hpp): the stored MigrationState
// (the host writes the store) and the bodies of POST /internal/initiate-migration and
// /internal/complete-migration (anyone reaching V1's listener). Every input goes through all
// three parsers. Invariants: never crash; a failure carries only the parser's code (or
// INPUT_TOO_LARGE); a parsed state re-encodes to JSON that parses to the same state, a MAC made
// under a fixed key authenticates and the input's own MAC authenticates only if it is that
// MAC (a forged state never passes); a parsed completion carries a 32-byte nonce and a
// document, an initiation a document.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "enclavectl/app/migration.hpp"
#include "enclavectl/core/error_codes.hpp"
#include "enclavectl/core/secret.hpp"
#include "fuzz_check.hpp"

namespace {

using enclavectl::app::MigrationState;
using enclavectl::core::ErrorCode;

bool SameState(const MigrationState& a, const MigrationState& b) {
  return a.target_pcr0 == b.target_pcr0 && a.v2_kms_key_id == b.v2_kms_key_id &&
         a.initiated_at == b.initiated_at && a.completed_at == b.completed_at &&
         a.source_pcr0 == b.source_pcr0 && a.previous_pcr0 == b.previous_pcr0 &&
         a.activation_time == b.activation_time && a.maintainer_sig == b.maintainer_sig &&
         a.mac == b.mac;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace enclavectl;  // NOLINT(google-build-using-namespace)
  const std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT

  auto state = app::ParseMigrationState(text);
  if (!state) {
    FUZZ_CHECK(state.error().code == ErrorCode::kMigrationStateInvalid ||
               state.error().code == ErrorCode::kInputTooLarge);
  } else {
    auto again = app::ParseMigrationState(app::MigrationStateJson(*state));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(SameState(*again, *state));
    (void)app::MigrationStatusBody(*state, 1'700'000'000, app::kMigrationDefaultCooldown);
    const core::SecretBytes signing_secret(core::Bytes(32, 0x42));
    auto key = app::MigrationStateKey(signing_secret);
    FUZZ_CHECK(key.has_value());
    auto sealed = app::SealMigrationState(*state, *key);
    FUZZ_CHECK(sealed.has_value());
    FUZZ_CHECK(app::AuthenticateMigrationState(*sealed, *key).has_value());
    if (app::AuthenticateMigrationState(*state, *key).has_value()) {
      FUZZ_CHECK(state->mac == sealed->mac);
    }
  }

  auto initiate = app::ParseInitiateRequest(text);
  if (!initiate) {
    FUZZ_CHECK(initiate.error().code == ErrorCode::kMigrationRequestInvalid ||
               initiate.error().code == ErrorCode::kInputTooLarge);
  } else {
    FUZZ_CHECK(!initiate->document.empty());
    FUZZ_CHECK(initiate->activation_time >= 0);
  }

  auto complete = app::ParseCompleteRequest(text);
  if (!complete) {
    FUZZ_CHECK(complete.error().code == ErrorCode::kMigrationRequestInvalid ||
               complete.error().code == ErrorCode::kInputTooLarge);
  } else {
    FUZZ_CHECK(complete->v2_nonce.size() == 32);
    FUZZ_CHECK(!complete->document.empty());
  }
  return 0;
}

#include "enclavectl/app/maintainer.hpp"

#include <algorithm>

#include "enclavectl/core/handles.hpp"
#include "enclavectl/verifier/maintainer.hpp"

namespace enclavectl::app {

core::Result<Bip340Signature> SignMaintainerAuthorization(const core::SecretBytes& secret,
                                                          std::string_view target_pcr0_hex,
                                                          std::int64_t activation_time) {
  using core::ErrorCode;
  const bool hex =
      target_pcr0_hex.size() == 96 &&
      std::all_of(target_pcr0_hex.begin(), target_pcr0_hex.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      });
  if (!hex) {
    return core::Fail(ErrorCode::kInvalidArgument, "the target PCR0 must be 96 hex digits");
  }
  if (activation_time <= 0) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "the activation time must be positive Unix seconds");
  }
  core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return core::Fail(ErrorCode::kInternal, "cannot create a secp256k1 context");
  }
  auto key = Secp256k1Key::FromSecret(core::SecretBytes(secret.View()), ctx.get());
  if (!key) {
    return core::Fail(key.error());
  }
  return key->SignBip340(verifier::MaintainerMessage(target_pcr0_hex, activation_time));
}

core::Result<core::Bytes> MaintainerPublicKey(const core::SecretBytes& secret) {
  core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return core::Fail(core::ErrorCode::kInternal, "cannot create a secp256k1 context");
  }
  auto key = Secp256k1Key::FromSecret(core::SecretBytes(secret.View()), ctx.get());
  if (!key) {
    return core::Fail(key.error());
  }
  return key->XOnly();
}

}  // namespace enclavectl::app

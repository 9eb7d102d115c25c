#include "enclavectl/verifier/maintainer.hpp"

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/signatures.hpp"

namespace enclavectl::verifier {

core::Status VerifyMaintainerAuthorization(std::string_view maintainer_pubkey_hex,
                                           std::string_view target_pcr0_hex,
                                           std::int64_t activation_time,
                                           std::string_view signature_hex) {
  using core::ErrorCode;
  auto key = core::HexDecode(maintainer_pubkey_hex);
  if (!key || key->size() != 32) {
    return core::Fail(ErrorCode::kMaintainerSignatureInvalid,
                      "the maintainer key is not 64 hex digits (an x-only BIP-340 key)");
  }
  auto signature = core::HexDecode(signature_hex);
  if (!signature || signature->size() != 64) {
    return core::Fail(ErrorCode::kMaintainerSignatureInvalid,
                      "the maintainer signature is not 128 hex digits");
  }
  const core::Sha256Digest message = MaintainerMessage(target_pcr0_hex, activation_time);
  if (auto verified = VerifyBip340(*key, message, *signature); !verified) {
    return core::Fail(ErrorCode::kMaintainerSignatureInvalid,
                      "the maintainer signature does not verify over SHA-256(target_pcr0:" +
                          std::to_string(activation_time) + "): " + verified.error().detail);
  }
  return core::Ok();
}

}  // namespace enclavectl::verifier

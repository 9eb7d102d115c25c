#include "secp256k1_context.hpp"

#include <algorithm>
#include <array>

#include "enclavectl/core/handles.hpp"

namespace enclavectl::ethereum::internal {

core::Result<const secp256k1_context*> Context() {
  static const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return core::Fail(core::ErrorCode::kInternal, "secp256k1: cannot create a context");
  }
  return ctx.get();
}

PublicKey64 Serialize64(const secp256k1_context* ctx, const secp256k1_pubkey& key) {
  std::array<std::uint8_t, 65> sec1{};
  std::size_t len = sec1.size();
  secp256k1_ec_pubkey_serialize(ctx, sec1.data(), &len, &key, SECP256K1_EC_UNCOMPRESSED);
  PublicKey64 out{};
  std::copy(sec1.begin() + 1, sec1.end(), out.begin());
  return out;
}

}  // namespace enclavectl::ethereum::internal

#include "enclavectl/verifier/key_binding.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/reader.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::verifier {
namespace {

constexpr std::array<std::uint8_t, 2> kMultihashSha256 = {0x12, 0x20};

}  // namespace

core::Result<core::Bytes> CompressSecp256k1PublicKey(core::ByteView public_key) {
  if (public_key.size() != 33 && public_key.size() != 65) {
    return core::Fail(core::ErrorCode::kPolicyInvalid,
                      "a secp256k1 public key is 33 (compressed) or 65 bytes, not " +
                          std::to_string(public_key.size()));
  }
  const core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
  if (!ctx) {
    return core::Fail(core::ErrorCode::kInternal, "secp256k1 context creation failed");
  }
  secp256k1_pubkey parsed;
  if (secp256k1_ec_pubkey_parse(ctx.get(), &parsed, public_key.data(), public_key.size()) != 1) {
    return core::Fail(core::ErrorCode::kPolicyInvalid, "not a valid secp256k1 public key");
  }
  core::Bytes out(33);
  std::size_t out_len = out.size();
  if (secp256k1_ec_pubkey_serialize(ctx.get(), out.data(), &out_len, &parsed,
                                    SECP256K1_EC_COMPRESSED) != 1 ||
      out_len != 33) {
    return core::Fail(core::ErrorCode::kInternal, "secp256k1 serialization failed");
  }
  return out;
}

core::Sha384Digest KeyBindingPcrValue(core::ByteView compressed_key) {
  // A fresh PCR is 48 zero bytes; ExtendPCR computes SHA-384(old || data) (nsm.md 4).
  const core::Sha256Digest key_hash = core::Sha256(compressed_key);
  core::Sha384Hasher hasher;
  const std::array<std::uint8_t, 48> zeros{};
  hasher.Update(zeros);
  hasher.Update(key_hash);
  return hasher.Finish();
}

core::Result<NitridingUserData> ParseNitridingUserData(core::ByteView user_data) {
  if (user_data.size() != kNitridingUserDataLen) {
    return core::Fail(
        core::ErrorCode::kUserDataLayout,
        "user_data is " + std::to_string(user_data.size()) + " bytes; the nitriding layout has 68");
  }
  core::Reader reader(user_data);
  NitridingUserData out;
  for (core::Sha256Digest* hash : {&out.tls_key_hash, &out.app_key_hash}) {
    auto prefix = reader.Take(kMultihashSha256.size());
    auto value = reader.Take(hash->size());
    if (!prefix || !value || !core::Equal(*prefix, kMultihashSha256)) {
      return core::Fail(core::ErrorCode::kUserDataLayout,
                        "user_data lacks the 12 20 multihash prefix at offset " +
                            std::to_string(hash == &out.tls_key_hash ? 0 : 34));
    }
    std::copy(value->begin(), value->end(), hash->begin());
  }
  return out;
}

core::Bytes EncodeNitridingUserData(const NitridingUserData& fields) {
  core::Bytes out;
  out.reserve(kNitridingUserDataLen);
  for (const core::Sha256Digest* hash : {&fields.tls_key_hash, &fields.app_key_hash}) {
    out.insert(out.end(), kMultihashSha256.begin(), kMultihashSha256.end());
    out.insert(out.end(), hash->begin(), hash->end());
  }
  return out;
}

}  // namespace enclavectl::verifier

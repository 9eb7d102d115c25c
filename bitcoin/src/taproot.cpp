#include "enclavectl/bitcoin/taproot.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <string>

#include "enclavectl/bitcoin/hashes.hpp"

namespace enclavectl::bitcoin {
namespace {

// BIP-173 checksum polymod over 5-bit values.
std::uint32_t Polymod(const std::vector<std::uint8_t>& values) {
  constexpr std::array<std::uint32_t, 5> kGen = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                                 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    const std::uint32_t top = chk >> 25U;
    chk = ((chk & 0x1ffffffU) << 5U) ^ v;
    for (std::size_t i = 0; i < 5; ++i) {
      if (((top >> i) & 1U) != 0) {
        chk ^= kGen[i];
      }
    }
  }
  return chk;
}

}  // namespace

Hash256 TapLeafHash(std::uint8_t leaf_version, ByteView script) {
  TaggedHasher hasher("TapLeaf");
  Bytes prefix{leaf_version};
  AppendCompactSize(prefix, script.size());
  hasher.Update(prefix);
  hasher.Update(script);
  return hasher.Finish();
}

Hash256 TapBranchHash(const Hash256& a, const Hash256& b) {
  TaggedHasher hasher("TapBranch");
  const bool a_first = std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  hasher.Update(a_first ? a : b);
  hasher.Update(a_first ? b : a);
  return hasher.Finish();
}

Hash256 TapTweakHash(const XOnlyKey& internal_key, const std::optional<Hash256>& merkle_root) {
  TaggedHasher hasher("TapTweak");
  hasher.Update(internal_key);
  if (merkle_root) {
    hasher.Update(*merkle_root);
  }
  return hasher.Finish();
}

bool IsValidControlBlockSize(std::size_t size) noexcept {
  return size >= kControlBaseSize &&
         size <= kControlBaseSize + (kControlNodeSize * kControlMaxNodeCount) &&
         (size - kControlBaseSize) % kControlNodeSize == 0;
}

core::Result<ControlBlock> DecodeControlBlock(ByteView bytes) {
  if (!IsValidControlBlockSize(bytes.size())) {
    return core::Fail(core::ErrorCode::kBtcTxMalformed,
                      "control block of " + std::to_string(bytes.size()) +
                          " bytes is not 33 + 32k bytes with k <= 128");
  }
  ControlBlock control;
  control.leaf_version = bytes[0] & kTaprootLeafMask;
  control.output_odd_y = (bytes[0] & 1U) != 0;
  std::copy_n(bytes.begin() + 1, 32, control.internal_key.begin());
  for (std::size_t pos = kControlBaseSize; pos < bytes.size(); pos += kControlNodeSize) {
    Hash256 node{};
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(pos), 32, node.begin());
    control.path.push_back(node);
  }
  return control;
}

Bytes EncodeControlBlock(const ControlBlock& control) {
  Bytes out{static_cast<std::uint8_t>(control.leaf_version | (control.output_odd_y ? 1U : 0U))};
  out.insert(out.end(), control.internal_key.begin(), control.internal_key.end());
  for (const Hash256& node : control.path) {
    out.insert(out.end(), node.begin(), node.end());
  }
  return out;
}

Hash256 ComputeMerkleRoot(const Hash256& leaf_hash, const std::vector<Hash256>& path) {
  Hash256 h = leaf_hash;
  for (const Hash256& node : path) {
    h = TapBranchHash(h, node);
  }
  return h;
}

core::Result<TweakedKey> TaprootOutputKey(const XOnlyKey& internal_key,
                                          const std::optional<Hash256>& merkle_root) {
  return TweakXOnly(internal_key, TapTweakHash(internal_key, merkle_root));
}

Bytes P2trScriptPubKey(const XOnlyKey& output_key) {
  Bytes out{0x51, 0x20};
  out.insert(out.end(), output_key.begin(), output_key.end());
  return out;
}

std::string EncodeSegwitAddress(std::string_view hrp, int version, ByteView program) {
  assert(version >= 0 && version <= 16 && program.size() >= 2 && program.size() <= 40);
  constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  constexpr std::uint32_t kBech32Const = 1;
  constexpr std::uint32_t kBech32mConst = 0x2bc830a3;
  std::vector<std::uint8_t> data{static_cast<std::uint8_t>(version)};
  std::uint32_t acc = 0;
  unsigned bits = 0;
  for (std::uint8_t b : program) {
    acc = (acc << 8U) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push_back(static_cast<std::uint8_t>((acc >> bits) & 31U));
    }
  }
  if (bits > 0) {
    data.push_back(static_cast<std::uint8_t>((acc << (5 - bits)) & 31U));
  }
  std::vector<std::uint8_t> values;
  for (char c : hrp) {
    values.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5U));
  }
  values.push_back(0);
  for (char c : hrp) {
    values.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31U));
  }
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  const std::uint32_t mod = Polymod(values) ^ (version == 0 ? kBech32Const : kBech32mConst);
  std::string out(hrp);
  out += '1';
  for (std::uint8_t v : data) {
    out += kCharset[v];
  }
  for (int i = 0; i < 6; ++i) {
    out += kCharset[(mod >> (5 * (5 - i))) & 31U];
  }
  return out;
}

}  // namespace enclavectl::bitcoin

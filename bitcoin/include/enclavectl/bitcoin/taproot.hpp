// BIP-341 building blocks: leaf and branch hashes, control blocks, merkle roots, the TapTweak
// and the P2TR output (parse layer: pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::bitcoin {

inline constexpr std::uint8_t kTapscriptLeafVersion = 0xc0;
inline constexpr std::uint8_t kTaprootLeafMask = 0xfe;
inline constexpr std::uint8_t kAnnexTag = 0x50;
inline constexpr std::size_t kControlBaseSize = 33;
inline constexpr std::size_t kControlNodeSize = 32;
inline constexpr std::size_t kControlMaxNodeCount = 128;

// TapLeaf(leaf_version || CompactSize(len(script)) || script).
Hash256 TapLeafHash(std::uint8_t leaf_version, ByteView script);
// TapBranch(min(a, b) || max(a, b)) in lexicographic byte order.
Hash256 TapBranchHash(const Hash256& a, const Hash256& b);
// TapTweak(internal_key) without a script tree, TapTweak(internal_key || merkle_root) with one.
Hash256 TapTweakHash(const XOnlyKey& internal_key, const std::optional<Hash256>& merkle_root);

// A BIP-341 control block: leaf version and output-key parity, internal key, merkle path.
struct ControlBlock {
  std::uint8_t leaf_version = kTapscriptLeafVersion;
  bool output_odd_y = false;
  XOnlyKey internal_key{};
  std::vector<Hash256> path;
};

// True when the size is 33 + 32k with k <= 128.
bool IsValidControlBlockSize(std::size_t size) noexcept;

// Decodes a control block (untrusted). Fails with kBtcTxMalformed when the size is not
// 33 + 32k (k <= 128); the internal key is not checked here (IsValidXOnly).
[[nodiscard]] core::Result<ControlBlock> DecodeControlBlock(ByteView bytes);
Bytes EncodeControlBlock(const ControlBlock& control);

// The merkle root from a leaf hash and its path (each step TapBranchHash).
Hash256 ComputeMerkleRoot(const Hash256& leaf_hash, const std::vector<Hash256>& path);

// The BIP-341 output key for an internal key and an optional merkle root (kBtcKeyInvalid
// from TweakXOnly).
[[nodiscard]] core::Result<TweakedKey> TaprootOutputKey(const XOnlyKey& internal_key,
                                                        const std::optional<Hash256>& merkle_root);

// OP_1 PUSH32 <output key>.
Bytes P2trScriptPubKey(const XOnlyKey& output_key);

// A segwit address (BIP-173 bech32 for version 0, BIP-350 bech32m for versions 1-16) with
// human-readable part `hrp` ("bc", "tb", "bcrt"). Preconditions: version <= 16, program
// 2..40 bytes.
std::string EncodeSegwitAddress(std::string_view hrp, int version, ByteView program);

}  // namespace enclavectl::bitcoin

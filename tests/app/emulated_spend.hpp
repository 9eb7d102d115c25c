// Leaf scripts of the emulated Taproot trees the Confidential Script tests spend (shared by the
// service-layer test and the independent npm check).
#pragma once

#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/core/bytes.hpp"

namespace enclavectl::testing {

// The user's leaf: <user key> OP_CHECKSIGVERIFY OP_SHA256 <SHA-256(preimage)> OP_EQUAL.
inline core::Bytes UserLeaf(const bitcoin::XOnlyKey& user, core::ByteView preimage) {
  core::Bytes script{0x20};
  script.insert(script.end(), user.begin(), user.end());
  script.push_back(bitcoin::kOpCheckSigVerify);
  script.push_back(bitcoin::kOpSha256);
  script.push_back(0x20);
  const bitcoin::Hash256 lock = bitcoin::Sha256(preimage);
  script.insert(script.end(), lock.begin(), lock.end());
  script.push_back(bitcoin::kOpEqual);
  return script;
}

// <key> OP_CHECKSIG: the backup leaf of the emulated tree and of the real output.
inline core::Bytes KeyLeaf(const bitcoin::XOnlyKey& key) {
  core::Bytes script{0x20};
  script.insert(script.end(), key.begin(), key.end());
  script.push_back(bitcoin::kOpCheckSig);
  return script;
}

}  // namespace enclavectl::testing

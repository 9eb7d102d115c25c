// Flag values the subcommands share: hex arguments.
#pragma once

#include <algorithm>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/sha.hpp"

namespace enclavectl::cli {

// The bytes of hex flag `flag` (surrounding white space ignored); kInvalidArgument otherwise.
inline core::Result<core::Bytes> HexFlag(const std::string& flag, const std::string& value) {
  auto bytes = core::HexDecode(core::TrimWhitespace(value));
  if (!bytes) {
    return core::Fail(core::ErrorCode::kInvalidArgument, flag + " is not hex");
  }
  return bytes;
}

// A 32-byte value (a SHA-256 digest) given as 64 hex digits; kInvalidArgument otherwise.
inline core::Result<core::Sha256Digest> Hex32Flag(const std::string& flag,
                                                  const std::string& value) {
  auto raw = HexFlag(flag, value);
  if (!raw || raw->size() != 32) {
    return core::Fail(core::ErrorCode::kInvalidArgument, flag + " must be 64 hex digits");
  }
  core::Sha256Digest out{};
  std::copy(raw->begin(), raw->end(), out.begin());
  return out;
}

}  // namespace enclavectl::cli

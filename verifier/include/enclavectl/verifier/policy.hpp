// What a caller expects of a document (per-call policy), and the parsers for the policy
// inputs. Global trust configuration lives in trust.hpp (STYLE.md section 1).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/core/time.hpp"
#include "enclavectl/verifier/document.hpp"

namespace enclavectl::verifier {

// A set of expected PCR values (index -> value); a document matches when every listed PCR
// is present and equal. PCRs not listed are not checked (PCR3/PCR4 are opt-in).
using PcrSet = std::map<std::uint64_t, core::Bytes>;

// Which time the certificate chain and freshness are judged at.
enum class TimeSource : std::uint8_t {
  kGiven,     // VerificationPolicy::time (the CLI resolves "now" through its clock)
  kDocument,  // the document's own signed timestamp (audit of stored evidence)
};

struct VerificationPolicy {
  TimeSource time_source = TimeSource::kGiven;
  core::UnixMillis time{};  // used when time_source == kGiven

  // The document must match at least one of these sets (rolling upgrades)...
  std::vector<PcrSet> allowed_pcr_sets;
  // ...and every one of these values.
  PcrSet required_pcrs;

  // Compressed secp256k1 key whose hash PCR16 must carry (KeyBindingPcrValue).
  std::optional<core::Bytes> key_binding_public_key;
  // appKeyHash expected in nitriding-layout user_data.
  std::optional<core::Sha256Digest> app_key_hash;
  // Expected nonce (byte equality).
  std::optional<core::Bytes> nonce;
  // Maximum age of the document at the verification time.
  std::optional<std::int64_t> max_age_ms;
  // Tolerated clock skew for timestamps after the verification time.
  std::int64_t max_future_skew_ms = std::int64_t{5} * 60 * 1000;
  // Accept debug-mode enclaves (PCR0, PCR1, PCR2 all zero). Insecure, reported as such.
  bool allow_debug = false;
};

// Rejects option combinations that make no sense (kInvalidArgument): --max-age with the
// document's own time, PCR values of a wrong length, a key binding key that is not
// 33 bytes, a PCR index above 31.
[[nodiscard]] core::Status ValidatePolicy(const VerificationPolicy& policy);

// Parses expected measurements from JSON text (untrusted file content):
//   {"PCR0": "hex", "PCR1": "hex", ...}                  nitro-cli pcr.json
//   {"Measurements": {"HashAlgorithm": ..., "PCR0": ...}}  nitro-cli describe-eif/build-enclave
//   [ <either of the above>, ... ]                         several allowed sets
// Values are 64, 96 or 128 hex digits, read as pasted (core::HexDecodeLenient: whitespace,
// 0x, either case). Fails with kPolicyInvalid.
[[nodiscard]] core::Result<std::vector<PcrSet>> ParsePcrSets(std::string_view json_text);

// Parses "N=HEX" (N in 0..31; HEX as core::HexDecodeLenient reads it). Fails with
// kInvalidArgument.
[[nodiscard]] core::Result<std::pair<std::uint64_t, core::Bytes>> ParsePcrAssignment(
    std::string_view text);

}  // namespace enclavectl::verifier

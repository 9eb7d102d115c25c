// `verify` flag values -> mode, expectations, policy (expectations.hpp).
#include "enclavectl/verifier/expectations.hpp"

#include <algorithm>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

// A secp256k1 public key given as hex (33 or 65 bytes), in compressed form.
core::Result<core::Bytes> KeyValue(const std::string& flag, const std::string& value) {
  auto raw = HexFlagValue(flag, value);
  if (!raw) {
    return raw;
  }
  auto key = CompressSecp256k1PublicKey(*raw);
  if (!key) {
    return core::Fail(ErrorCode::kInvalidArgument, flag + ": " + key.error().detail);
  }
  return key;
}

// True when a flag that sets an expectation about the image was given (--expect-pcr,
// --expect-pcr0, --expect-pcrs, --verify-build).
bool HasImageExpectationFlags(const VerifyFlagValues& flags) {
  return !flags.expect_pcr.empty() || !flags.expect_pcr0_hex.empty() ||
         !flags.expect_pcrs_path.empty() || !flags.verify_build_path.empty();
}

// The combinations of flags that make no sense, whatever the mode.
core::Status CheckFlagCombinations(const VerifyFlagValues& flags) {
  const bool doc_only = !flags.expect_key_hex.empty() || !flags.expect_app_key_hex.empty() ||
                        !flags.expect_app_key_hash_hex.empty() || !flags.expect_nonce_hex.empty() ||
                        flags.at != "now";
  const bool documents =
      !flags.doc_path.empty() || !flags.doc_paths.empty() || !flags.docs_from.empty();
  if (!documents && doc_only) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--at, --expect-key, --expect-app-key(-hash) and --expect-nonce go with "
                      "--doc: a live service supplies its keys and our nonce, and a bundle its "
                      "recorded time");
  }
  if (flags.insecure_tls && flags.url.empty() && flags.targets_path.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "--insecure-tls goes with --url or --targets");
  }
  if (documents && (!flags.expect_kms_key.empty() || !flags.expect_blockhash.empty())) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--expect-kms-key and --expect-blockhash check what a service's /v1/info "
                      "says: use them with --url, --targets or --bundle");
  }
  if (documents && !flags.expect_previous_pcr0.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--expect-previous-pcr0 checks what a service's /v1/enclave-info says: use "
                      "it with --url, --targets or --bundle");
  }
  if (flags.insecure_allow_unbound_tls && flags.url.empty() && flags.targets_path.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--insecure-allow-unbound-tls goes with --url or --targets");
  }
  if (flags.check_key_policy && flags.url.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--check-key-policy goes with --url (it fetches the policy of the key the "
                      "live service uses)");
  }
  if (!flags.check_key_policy &&
      (!flags.region.empty() || !flags.endpoint_url.empty() || !flags.profile.empty())) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--region, --endpoint-url and --profile go with --check-key-policy");
  }
  if (flags.any_image && HasImageExpectationFlags(flags)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "--any-image contradicts --expect-pcr, --expect-pcr0, --expect-pcrs and "
                      "--verify-build: give one or the other");
  }
  // Secure by default: "some Nitro enclave made this" is rarely what anyone means. A bundle
  // still shows what its documents prove before it refuses (the CLI's bundle mode).
  const bool live_or_doc = documents || !flags.url.empty() || !flags.targets_path.empty();
  if (live_or_doc && !flags.any_image && !HasImageExpectationFlags(flags)) {
    return core::Fail(NoImageExpectationError());
  }
  return core::Ok();
}

// The PCR expectations of --expect-pcr, --expect-pcr0, --expect-pcrs and --verify-build.
core::Status AddPcrExpectations(const VerifyFlagValues& flags, const VerifyFlagSources& sources,
                                LiveExpectations& out) {
  for (const std::string& text : flags.expect_pcr) {
    auto assignment = ParsePcrAssignment(text);
    if (!assignment) {
      return core::Fail(ErrorCode::kInvalidArgument, "--expect-pcr: " + assignment.error().detail);
    }
    out.required_pcrs[assignment->first] = std::move(assignment->second);
  }
  if (!flags.expect_pcr0_hex.empty()) {
    auto assignment = ParsePcrAssignment("0=" + flags.expect_pcr0_hex);
    if (!assignment) {
      return core::Fail(ErrorCode::kInvalidArgument, "--expect-pcr0: " + assignment.error().detail);
    }
    out.required_pcrs[0] = std::move(assignment->second);
  }
  if (!flags.expect_pcrs_path.empty()) {
    if (!sources.pcr_file) {
      return core::Fail(ErrorCode::kInternal, "--expect-pcrs: no reader given");
    }
    auto sets = sources.pcr_file();
    if (!sets) {
      return core::Fail(sets.error());
    }
    out.allowed_pcr_sets = std::move(*sets);
  }
  if (!flags.verify_build_path.empty()) {
    if (!sources.build) {
      return core::Fail(ErrorCode::kInternal, "--verify-build: no measurer given");
    }
    // The image's own measurements (PCR0, PCR1, PCR2, and PCR8 when it is signed) must all
    // match, in addition to any other set given.
    auto sets = sources.build();
    if (!sets) {
      return core::Fail(sets.error());
    }
    for (const PcrSet& set : *sets) {
      for (const auto& [index, value] : set) {
        out.required_pcrs[index] = value;
      }
    }
  }
  return core::Ok();
}

}  // namespace

core::Result<core::Bytes> HexFlagValue(const std::string& flag, std::string_view value) {
  auto bytes = core::HexDecodeLenient(value);
  if (!bytes) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      flag + " is not hex (whitespace, line breaks, 0x and upper case are fine)");
  }
  return bytes;
}

core::Result<core::Sha256Digest> Hex32FlagValue(const std::string& flag, std::string_view value) {
  auto raw = HexFlagValue(flag, value);
  if (!raw || raw->size() != 32) {
    return core::Fail(ErrorCode::kInvalidArgument, flag + " must be 64 hex digits");
  }
  core::Sha256Digest out{};
  std::copy(raw->begin(), raw->end(), out.begin());
  return out;
}

core::Error NoImageExpectationError() {
  return core::Error{ErrorCode::kInvalidArgument,
                     "no expectation about the image: give --expect-pcr0 HEX, --expect-pcr N=HEX, "
                     "--expect-pcrs FILE or --verify-build EIF (or --any-image to accept any "
                     "enclave image, which the report then says)",
                     -1};
}

core::Result<VerifyMode> SelectVerifyMode(const VerifyFlagValues& flags) {
  const bool batch = !flags.doc_paths.empty() || !flags.docs_from.empty();
  const int modes = static_cast<int>(!flags.doc_path.empty() || batch) +
                    static_cast<int>(!flags.url.empty()) +
                    static_cast<int>(!flags.targets_path.empty());
  if (modes > 1) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      "give one of --doc, --url and --targets (or --bundle alone)");
  }
  ENCLAVECTL_RETURN_IF_ERROR(CheckFlagCombinations(flags));
  if (batch) {
    if (!flags.doc_path.empty() || !flags.bundle_path.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "several documents (--doc ... --doc, --docs-from) are verified one by "
                        "one: no --bundle");
    }
    if (std::ranges::find(flags.doc_paths, "-") != flags.doc_paths.end()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "- (standard input) names one document: with several, list their "
                        "paths with --docs-from FILE or --docs-from -");
    }
    return VerifyMode::kBatch;
  }
  if (!flags.doc_path.empty()) {
    if (!flags.bundle_path.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--bundle records a live visit: use it with --url, or alone to "
                        "re-verify one");
    }
    return VerifyMode::kDoc;
  }
  if (!flags.url.empty()) {
    return VerifyMode::kLive;
  }
  if (!flags.targets_path.empty()) {
    if (!flags.bundle_path.empty()) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--bundle holds one visit: use it with --url, not --targets");
    }
    return VerifyMode::kFleet;
  }
  if (!flags.bundle_path.empty()) {
    return VerifyMode::kBundle;
  }
  return core::Fail(ErrorCode::kInvalidArgument,
                    "nothing to verify: give --doc FILE, --url URL, --targets FILE or "
                    "--bundle FILE");
}

core::Result<LiveExpectations> BuildExpectations(const VerifyFlagValues& flags,
                                                 const VerifyFlagSources& sources) {
  LiveExpectations out;
  ENCLAVECTL_RETURN_IF_ERROR(AddPcrExpectations(flags, sources, out));
  if (!flags.max_age.empty()) {
    auto age = core::ParseDurationMillis(flags.max_age);
    if (!age) {
      return core::Fail(ErrorCode::kInvalidArgument, "--max-age: " + age.error().detail);
    }
    out.max_age_ms = *age;
  }
  out.allow_debug = flags.insecure_allow_debug;
  out.any_image = flags.any_image;
  if (!flags.expect_kms_key.empty()) {
    if (!sources.is_kms_key_arn || !sources.is_kms_key_arn(flags.expect_kms_key)) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-kms-key must be a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), "
                        "as /v1/info reports it");
    }
    out.kms_key_arn = flags.expect_kms_key;
  }
  if (!flags.expect_blockhash.empty()) {
    auto blockhash = Hex32FlagValue("--expect-blockhash", flags.expect_blockhash);
    if (!blockhash) {
      return core::Fail(blockhash.error());
    }
    out.blockhash_hex = core::HexEncode(*blockhash);
  }
  out.allow_unbound_tls = flags.insecure_allow_unbound_tls;
  if (!flags.expect_previous_pcr0.empty()) {
    std::string previous = flags.expect_previous_pcr0;
    if (previous != "genesis") {
      auto pcr0 = HexFlagValue("--expect-previous-pcr0", previous);
      if (!pcr0 || pcr0->size() != 48) {
        return core::Fail(ErrorCode::kInvalidArgument,
                          "--expect-previous-pcr0 must be genesis or a PCR0 (96 hex digits)");
      }
      previous = core::HexEncode(*pcr0);
    }
    // The claim comes from the image config measured into PCR0: without PCR0 pinned, any
    // image could say anything.
    const bool pcr0_pinned = out.required_pcrs.count(0) != 0 ||
                             (!out.allowed_pcr_sets.empty() &&
                              std::all_of(out.allowed_pcr_sets.begin(), out.allowed_pcr_sets.end(),
                                          [](const PcrSet& set) { return set.count(0) != 0; }));
    if (!pcr0_pinned) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        "--expect-previous-pcr0 needs PCR0 pinned (--expect-pcr0, --expect-pcr "
                        "0=..., --expect-pcrs with PCR0 in every set, or --verify-build)");
    }
    out.previous_pcr0 = std::move(previous);
  }
  return out;
}

core::Result<LiveFlagExpectations> BuildLiveExpectations(
    const VerifyFlagValues& flags, const VerifyFlagSources& sources,
    const core::Sha256Digest& root_fingerprint) {
  auto expectations = BuildExpectations(flags, sources);
  if (!expectations) {
    return core::Fail(expectations.error());
  }
  if (!expectations->max_age_ms) {
    expectations->max_age_ms = kDefaultLiveMaxAgeMs;
  }
  using nlohmann::json;
  json recorded = {
      {"expectations", ExpectationsToJson(*expectations)},
      {"check_key_policy", flags.check_key_policy},
      {"insecure_tls", flags.insecure_tls},
      {"root",
       {{"sha256", core::HexEncode(root_fingerprint)}, {"custom", !flags.root_path.empty()}}},
      {"verify_build",
       flags.verify_build_path.empty() ? json(nullptr) : json(flags.verify_build_path)},
      {"expect_pcrs",
       flags.expect_pcrs_path.empty() ? json(nullptr) : json(flags.expect_pcrs_path)}};
  return LiveFlagExpectations{std::move(*expectations), std::move(recorded)};
}

core::Result<VerificationPolicy> BuildPolicy(const VerifyFlagValues& flags,
                                             const VerifyFlagSources& sources,
                                             core::UnixMillis now) {
  VerificationPolicy policy;
  if (flags.at == "doc") {
    policy.time_source = TimeSource::kDocument;
  } else if (flags.at == "now") {
    policy.time = now;
  } else {
    auto time = core::ParseVerificationTime(flags.at);
    if (!time) {
      return core::Fail(ErrorCode::kInvalidArgument, "--at: " + time.error().detail);
    }
    policy.time = *time;
  }
  auto expectations = BuildExpectations(flags, sources);
  if (!expectations) {
    return core::Fail(expectations.error());
  }
  policy.required_pcrs = std::move(expectations->required_pcrs);
  policy.allowed_pcr_sets = std::move(expectations->allowed_pcr_sets);
  policy.max_age_ms = expectations->max_age_ms;
  policy.allow_debug = expectations->allow_debug;
  if (!flags.expect_key_hex.empty()) {
    auto key = KeyValue("--expect-key", flags.expect_key_hex);
    if (!key) {
      return core::Fail(key.error());
    }
    policy.key_binding_public_key = std::move(*key);
  }
  if (!flags.expect_app_key_hex.empty()) {
    auto key = KeyValue("--expect-app-key", flags.expect_app_key_hex);
    if (!key) {
      return core::Fail(key.error());
    }
    policy.app_key_hash = core::Sha256(*key);
  }
  if (!flags.expect_app_key_hash_hex.empty()) {
    auto hash = Hex32FlagValue("--expect-app-key-hash", flags.expect_app_key_hash_hex);
    if (!hash) {
      return core::Fail(hash.error());
    }
    policy.app_key_hash = *hash;
  }
  if (!flags.expect_nonce_hex.empty()) {
    auto nonce = HexFlagValue("--expect-nonce", flags.expect_nonce_hex);
    if (!nonce) {
      return core::Fail(nonce.error());
    }
    policy.nonce = std::move(*nonce);
  }
  ENCLAVECTL_RETURN_IF_ERROR(ValidatePolicy(policy));
  return policy;
}

}  // namespace enclavectl::verifier

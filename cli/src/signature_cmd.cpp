// `enclavectl signature`: check what the key service signs: a /v1/sign result (ECDSA
// secp256k1, BIP-340, ECDSA P-256) and a response's X-Attestation-Signature.
#include <memory>
#include <optional>
#include <string>

#include "context.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/report_json.hpp"
#include "enclavectl/verifier/report_text.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "flags.hpp"

namespace enclavectl::cli {
namespace {

constexpr const char* kMediaType = "application/vnd.enclavectl.signature+json;version=1";

struct SignatureFlags {
  std::string scheme;
  std::string public_key_hex;
  std::string signature_hex;
  std::string message_hex;
  std::string digest_hex;
  std::string body_path;
  std::string expect_pubkey_hex;
  bool json = false;
};

int Report(Context& ctx, const SignatureFlags& flags, const std::string& what,
           const core::Status& verdict) {
  if (!verdict && verdict.error().code != core::ErrorCode::kAppSignatureInvalid) {
    return ReportError(ctx, verdict.error(), flags.json, kMediaType);
  }
  if (flags.json) {
    nlohmann::json out = {
        {"media_type", kMediaType},
        {"verdict", verdict ? "accepted" : "rejected"},
        {"checked", what},
        {"error", verdict ? nlohmann::json(nullptr) : verifier::ErrorToJson(verdict.error())}};
    ctx.out << out.dump(2) << "\n";
  } else if (verdict) {
    ctx.out << "valid: " << what << "\n";
  } else {
    ctx.out << "INVALID: " << what << "\n";
    verifier::RenderFailure(ctx.err, verdict.error());
  }
  return verdict ? 0 : 1;
}

int RunVerify(Context& ctx, const SignatureFlags& flags) {
  auto key = HexFlagValue("--public-key", flags.public_key_hex);
  auto signature = HexFlagValue("--signature", flags.signature_hex);
  for (const auto* value : {&key, &signature}) {
    if (!*value) {
      return ReportError(ctx, value->error(), flags.json, kMediaType);
    }
  }
  core::Sha256Digest digest{};
  if (!flags.digest_hex.empty()) {
    auto value = Hex32FlagValue("--digest", flags.digest_hex);
    if (!value) {
      return ReportError(ctx, value.error(), flags.json, kMediaType);
    }
    digest = *value;
  } else {
    auto message = HexFlagValue("--message", flags.message_hex);
    if (!message) {
      return ReportError(ctx, message.error(), flags.json, kMediaType);
    }
    digest = core::Sha256(*message);
  }
  core::Status verdict;
  if (flags.scheme == "bip340") {
    verdict = verifier::VerifyBip340(*key, digest, *signature);
  } else if (flags.scheme == "ecdsa-secp256k1") {
    verdict = verifier::VerifyEcdsaSecp256k1(*key, digest, *signature);
  } else {
    verdict = verifier::VerifyEcdsaP256(*key, digest, *signature);
  }
  return Report(ctx, flags, flags.scheme + " signature over " + core::HexEncode(digest), verdict);
}

int RunResponse(Context& ctx, const SignatureFlags& flags) {
  auto body = core::io::ReadFile(flags.body_path, core::limits::kMaxKmsResponseBytes);
  if (!body) {
    return ReportError(ctx, body.error(), flags.json, kMediaType);
  }
  // The header values as pasted, in the canonical hex the signature check reads.
  auto pubkey = HexFlagValue("--public-key", flags.public_key_hex);
  auto signature = HexFlagValue("--signature", flags.signature_hex);
  auto expected = HexFlagValue("--expect-pubkey", flags.expect_pubkey_hex);
  for (const auto* value : {&pubkey, &signature, &expected}) {
    if (!*value && !(value == &expected && flags.expect_pubkey_hex.empty())) {
      return ReportError(ctx, value->error(), flags.json, kMediaType);
    }
  }
  core::Status verdict = verifier::VerifyResponseSignature(
      core::AsChars(*body), core::HexEncode(*signature), core::HexEncode(*pubkey));
  if (verdict && !flags.expect_pubkey_hex.empty() && *expected != *pubkey) {
    verdict = core::Fail(core::ErrorCode::kAppSignatureInvalid,
                         "X-Attestation-Pubkey is not the expected attestation key");
  }
  return Report(ctx, flags,
                "response signature over " + std::to_string(body->size()) + " body bytes by " +
                    core::HexEncode(*pubkey),
                verdict);
}

}  // namespace

void RegisterSignature(CLI::App& app, Context& ctx) {
  CLI::App* cmd = app.add_subcommand(
      "signature", "Check signatures made by enclave-app: /v1/sign results and responses.");
  cmd->require_subcommand(1);

  auto verify_flags = std::make_shared<SignatureFlags>();
  CLI::App* verify = cmd->add_subcommand(
      "verify", "Check a /v1/sign signature over a message (hashed with SHA-256) or a digest.");
  verify->add_option("--scheme", verify_flags->scheme, "ecdsa-secp256k1, bip340 or ecdsa-p256")
      ->required()
      ->check(CLI::IsMember({"ecdsa-secp256k1", "bip340", "ecdsa-p256"}));
  verify
      ->add_option("--public-key", verify_flags->public_key_hex,
                   "The key as /v1/sign returns it (hex)")
      ->required();
  verify->add_option("--signature", verify_flags->signature_hex, "The signature (hex; DER or r||s)")
      ->required();
  auto* message = verify->add_option("--message", verify_flags->message_hex, "The message (hex)");
  auto* digest =
      verify->add_option("--digest", verify_flags->digest_hex, "The 32-byte digest (hex)");
  message->excludes(digest);
  verify->add_flag("--json", verify_flags->json, "Print a JSON verdict");
  verify->footer(
      "Exit codes: 0 valid, 1 invalid, 64 usage.\nExample:\n  enclavectl signature verify "
      "--scheme bip340 --public-key X_ONLY_HEX --message 68656c6c6f --signature SIG_HEX\n");
  verify->callback([&ctx, verify_flags, message, digest] {
    if (message->count() == 0 && digest->count() == 0) {
      ctx.exit_code =
          ReportError(ctx, {core::ErrorCode::kInvalidArgument, "give --message or --digest"},
                      verify_flags->json, kMediaType);
      return;
    }
    ctx.exit_code = RunVerify(ctx, *verify_flags);
  });

  auto response_flags = std::make_shared<SignatureFlags>();
  CLI::App* response = cmd->add_subcommand(
      "response",
      "Check a response's X-Attestation-Signature: BIP-340 over SHA-256 of the exact body bytes "
      "by the key in X-Attestation-Pubkey.");
  response->add_option("--body", response_flags->body_path, "The response body, as received")
      ->required();
  response
      ->add_option("--signature", response_flags->signature_hex,
                   "X-Attestation-Signature (128 hex digits)")
      ->required();
  response
      ->add_option("--public-key", response_flags->public_key_hex,
                   "X-Attestation-Pubkey (66 hex digits)")
      ->required();
  response->add_option("--expect-pubkey", response_flags->expect_pubkey_hex,
                       "Also require this attestation key (from a verified document)");
  response->add_flag("--json", response_flags->json, "Print a JSON verdict");
  response->footer(
      "Exit codes: 0 valid, 1 invalid, 2/74 unreadable body, 64 usage.\nExample:\n  curl -sD "
      "headers -o body http://127.0.0.1:7074/v1/info\n  enclavectl signature response --body body "
      "--signature SIG --public-key PUB\n");
  response->callback([&ctx, response_flags] { ctx.exit_code = RunResponse(ctx, *response_flags); });
}

}  // namespace enclavectl::cli

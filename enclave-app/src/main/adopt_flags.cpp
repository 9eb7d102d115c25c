#include "adopt_flags.hpp"

#include <utility>

#include "enclavectl/app/stores.hpp"
#include "enclavectl/aws/ssm_client.hpp"

namespace enclavectl::app::run_detail {

using core::ErrorCode;
using core::Fail;

void AddAdoptFlags(CLI::App& app, Flags& flags) {
  app.add_option("--adopt-ciphertext", flags.adopt_ciphertext,
                 "Sealed mode, once: adopt an Introspector deployment's key, a base64 KMS "
                 "ciphertext in ssm:NAME (/D/NitroIntrospector/SecretKeyCiphertext) or "
                 "file:PATH, decrypted with a Recipient and sealed with origin \"adopted\"; "
                 "ignored once the sealed store holds a record. Needs --key-mode sealed --key-id")
      ->envname("ENCLAVE_APP_ADOPT_CIPHERTEXT");
  app.add_option("--adopt-kms-key", flags.adopt_kms_key,
                 "The KMS key of the ciphertext to adopt (Introspector's "
                 "/D/NitroIntrospector/KMSKeyID; default: --key-id); its policy must be "
                 "enclave-only for this enclave's PCR0")
      ->envname("ENCLAVE_APP_ADOPT_KMS_KEY");
}

core::Result<std::optional<Adoption>> MakeAdoption(const Flags& flags, const AwsAccess& access,
                                                   const std::string& region,
                                                   const aws::Environment& env, LogSink& log) {
  if (flags.adopt_ciphertext.empty()) {
    if (!flags.adopt_kms_key.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "--adopt-kms-key needs --adopt-ciphertext");
    }
    return std::optional<Adoption>();
  }
  if (flags.key_mode != "sealed" || flags.key_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--adopt-ciphertext needs --key-mode sealed and --key-id (the key the adopted "
                "secret is sealed under)");
  }
  auto location = ParseStoreLocation(flags.adopt_ciphertext);
  if (!location) {
    return Fail(ErrorCode::kInvalidArgument,
                "--adopt-ciphertext must be ssm:PARAMETER_NAME or file:PATH (" +
                    location.error().detail + ")");
  }
  Adoption out;
  if (location->kind == StoreLocation::Kind::kSsm) {
    auto endpoint = aws::ResolveSsmEndpoint(flags.ssm_endpoint, region, env);
    if (!endpoint) {
      return Fail(endpoint.error());
    }
    out.source = std::make_unique<SsmSealedKeyStore>(MakeSsmClientCall(access, *endpoint),
                                                     location->location);
  } else {
    out.source = std::make_unique<FileSealedKeyStore>(location->location);
  }
  out.adoption.source = out.source.get();
  out.adoption.kms_key_id = flags.adopt_kms_key;
  log.Log(LogLevel::kInfo, "--adopt-ciphertext: if " + flags.sealed_store +
                               " holds no record, the key in " + out.source->Describe() +
                               " (KMS key " +
                               (flags.adopt_kms_key.empty() ? flags.key_id : flags.adopt_kms_key) +
                               ") is adopted and sealed; its origin is reported as not provable");
  return std::optional<Adoption>(std::move(out));
}

bool IsAdoptionRefusal(ErrorCode code) noexcept {
  return code == ErrorCode::kAdoptCiphertextAbsent || code == ErrorCode::kAdoptCiphertextInvalid ||
         code == ErrorCode::kAdoptSecretInvalid || code == ErrorCode::kAdoptKeyPolicyUnsafe;
}

}  // namespace enclavectl::app::run_detail

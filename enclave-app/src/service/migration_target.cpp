// V2's migration client (app/migration_target.hpp).
#include "enclavectl/app/migration_target.hpp"

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "enclavectl/app/keys.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/json.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr ErrorCode kPeer = ErrorCode::kMigrationPeerFailed;

core::Result<nlohmann::json> Call(const MigrationTransport& transport, std::string_view method,
                                  std::string_view path, const std::string& body) {
  auto answer = transport(method, path, body);
  if (!answer) {
    return Fail(answer.error());
  }
  if (answer->status != 200) {
    return Fail(kPeer, "V1 answered " + std::to_string(answer->status) + " to " +
                           std::string(path) + ": " + core::SafeExcerpt(answer->body, 300));
  }
  auto json = core::ParseStrictJson(answer->body, kMigrationMaxBody, kPeer, "V1's answer");
  if (!json || !json->is_object()) {
    return Fail(kPeer, "V1's answer to " + std::string(path) + " is not a JSON object");
  }
  return json;
}

// A fresh document for V1: its nonce, a fresh RSA key, optional user_data.
struct Prepared {
  MigrationRsaKey rsa;
  core::Bytes document;
};

core::Result<Prepared> Prepare(const MigrationTransport& transport, NsmClient& nsm,
                               const std::optional<core::Bytes>& user_data) {
  auto nonce_answer = Call(transport, "POST", "/internal/migration-nonce", "");
  if (!nonce_answer) {
    return Fail(nonce_answer.error());
  }
  auto view = core::JsonObjectView::Of(*nonce_answer, kPeer, "nonce answer");
  auto hex = view ? view->String("nonce") : core::Result<std::string>(Fail(view.error()));
  auto nonce = hex ? core::HexDecode(*hex) : core::Result<core::Bytes>(Fail(hex.error()));
  if (!nonce || nonce->size() != 32) {
    return Fail(kPeer, "V1's nonce answer is malformed");
  }
  auto rsa = GenerateMigrationRsaKey();
  if (!rsa) {
    return Fail(rsa.error());
  }
  AttestationRequest request;
  request.nonce = std::move(*nonce);
  request.public_key = rsa->spki;
  request.user_data = user_data;
  auto document = nsm.Attestation(request);
  if (!document) {
    return Fail(document.error());
  }
  return Prepared{std::move(*rsa), std::move(*document)};
}

}  // namespace

core::Result<core::SecretBytes> RunMigrationTarget(const MigrationTargetConfig& config,
                                                   const MigrationTransport& transport,
                                                   NsmClient& nsm, LogSink& log) {
  if (config.previous_pcr0.empty() || config.previous_pcr0 == "genesis") {
    return Fail(ErrorCode::kMigrationNoPredecessor,
                "this image's previous_pcr0 is genesis: there is no predecessor to migrate from");
  }
  auto own = nsm.DescribePcr(0);
  if (!own) {
    return Fail(own.error());
  }
  const std::string own_pcr0 = core::HexEncode(own->data);

  // Initiate unless V1 already holds our pending migration (a restart while waiting).
  auto status = Call(transport, "GET", "/internal/migration-status", "");
  if (!status) {
    return Fail(status.error());
  }
  const nlohmann::json& state = (*status)["state"];
  if (state.is_null()) {
    auto prepared = Prepare(transport, nsm, std::nullopt);
    if (!prepared) {
      return Fail(prepared.error());
    }
    nlohmann::ordered_json body;
    body["attestation_doc"] = core::Base64Encode(prepared->document);
    body["maintainer_sig"] = config.maintainer_sig;
    body["activation_time"] = config.activation_time;
    auto initiated = Call(transport, "POST", "/internal/initiate-migration", core::DumpJson(body));
    if (!initiated) {
      return Fail(initiated.error());
    }
    log.Log(LogLevel::kInfo,
            "migration initiated with V1; activation at " + std::to_string(config.activation_time));
  } else if (!state.is_object() || !state.contains("target_pcr0") ||
             state["target_pcr0"] != own_pcr0 || state.contains("completed_at")) {
    return Fail(kPeer,
                "V1 holds a migration that is not ours to complete (another target, or "
                "completed)");
  }

  // Wait for the activation time (>= initiation + cooldown, as V1 checked).
  for (int polls = 0; config.now() < config.activation_time; ++polls) {
    if (config.max_polls >= 0 && polls >= config.max_polls) {
      return Fail(kPeer, "the activation time was not reached within the polls allowed");
    }
    config.sleep(config.poll_seconds);
    auto polled = Call(transport, "GET", "/internal/migration-status", "");
    if (!polled) {
      return Fail(polled.error());
    }
  }

  core::Bytes v2_nonce;
  while (true) {
    auto random = nsm.GetRandom();
    if (!random || random->size() < 32) {
      return Fail(random ? core::Error{ErrorCode::kInternal, "short NSM random"} : random.error());
    }
    v2_nonce.assign(random->begin(), random->begin() + 32);
    auto prepared = Prepare(transport, nsm, v2_nonce);
    if (!prepared) {
      return Fail(prepared.error());
    }
    nlohmann::ordered_json body;
    body["attestation_doc"] = core::Base64Encode(prepared->document);
    body["v2_nonce"] = core::HexEncode(v2_nonce);
    auto answer = transport("POST", "/internal/complete-migration", core::DumpJson(body));
    if (!answer) {
      return Fail(answer.error());
    }
    if (answer->status == 425) {  // V1's clock says not yet: poll again
      log.Log(LogLevel::kInfo, "migration: " + core::SafeExcerpt(answer->body, 200));
      config.sleep(config.poll_seconds);
      continue;
    }
    if (answer->status != 200) {
      return Fail(kPeer, "V1 answered " + std::to_string(answer->status) +
                             " to complete-migration: " + core::SafeExcerpt(answer->body, 300));
    }
    auto json = core::ParseStrictJson(answer->body, kMigrationMaxBody, kPeer, "V1's answer");
    if (!json) {
      return Fail(json.error());
    }
    auto view = core::JsonObjectView::Of(*json, kPeer, "complete answer");
    if (!view) {
      return Fail(view.error());
    }
    auto ciphertext_b64 = view->String("ciphertext");
    auto document_b64 = view->String("attestation_doc");
    auto ciphertext =
        ciphertext_b64 ? core::Base64Decode(*ciphertext_b64) : core::Result<core::Bytes>();
    auto document = document_b64 ? core::Base64Decode(*document_b64) : core::Result<core::Bytes>();
    if (!ciphertext_b64 || !document_b64 || !ciphertext || !document) {
      return Fail(kPeer, "V1's completion answer lacks ciphertext or attestation_doc (base64)");
    }
    auto source = CheckPeerDocument(*document, *config.root, config.now());
    if (!source) {
      return Fail(source.error());
    }
    auto secret = DecryptFromPeer(prepared->rsa, *ciphertext);
    if (!secret) {
      return Fail(secret.error());
    }
    core::Secp256k1ContextPtr ctx = core::MakeSecp256k1Context();
    auto key = Secp256k1Key::FromSecret(core::SecretBytes(secret->View()), ctx.get());
    if (!key) {
      return Fail(ErrorCode::kMigrationSourceRefused, "V1 sent a value that is not a key");
    }
    ENCLAVECTL_RETURN_IF_ERROR(
        CheckSourceAnswer(*source, config.previous_pcr0, v2_nonce, *ciphertext, key->Compressed()));
    log.Log(LogLevel::kWarning, "migration complete: key " + core::HexEncode(key->Compressed()) +
                                    " received from PCR0 " + source->pcr0_hex);
    return std::move(*secret);
  }
}

}  // namespace enclavectl::app

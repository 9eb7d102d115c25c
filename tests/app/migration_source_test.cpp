// V1's migration endpoints (app/migration_source.hpp) over a real KeyService on simulated
// enclaves sharing one development CA: a whole migration, and the attacks of spec 11 against
// it, each failing with its code. V2 is a second simulated enclave (its NSM makes the
// documents) whose checks are app/migration.hpp's.
#include "enclavectl/app/migration_source.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/maintainer.hpp"
#include "enclavectl/app/migration_target.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using json = nlohmann::json;

constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
constexpr std::string_view kKmsScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
constexpr std::int64_t kCooldown = 100;
constexpr const char* kMaintainerX =
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";  // secret 1

Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }

class MemoryMigrationStore final : public MigrationStore {
 public:
  core::Result<std::optional<std::string>> Load(std::string_view name) override {
    auto it = entries.find(std::string(name));
    if (it == entries.end()) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(it->second);
  }
  core::Status Save(std::string_view name, std::string_view value) override {
    if (fail_saves) {
      return core::Fail(ErrorCode::kInternal, "store down");
    }
    entries[std::string(name)] = std::string(value);
    return {};
  }
  std::string Describe() const override { return "memory"; }
  std::map<std::string, std::string> entries;
  bool fail_saves = false;
};

net::HttpRequest Request(std::string method, std::string path, std::string body = "") {
  net::HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  request.body = std::move(body);
  return request;
}

std::string Sign(const std::string& target, std::int64_t activation) {
  Bytes raw(32, 0);
  raw[31] = 1;
  auto sig = SignMaintainerAuthorization(core::SecretBytes(raw), target, activation);
  EXPECT_TRUE(sig);
  return core::HexEncode(*sig);
}

// One V1: a set-up key service (reproducible key from the agreement key) and its handler.
struct V1 {
  V1(testing::FakeKms& kms, MemoryMigrationStore& store, std::int64_t& now,
     std::string maintainer = kMaintainerX)
      : enclave(Pcr0(0xa1)) {
    ServiceOptions options;
    options.version = "v1";
    options.maintainer_pubkey = maintainer;
    auto created = KeyService::Create(options, *enclave.client, kms, own_store, log);
    EXPECT_TRUE(created);
    service = std::move(*created);
    EXPECT_EQ(service->Handle(Request("POST", "/v1/setup", json{{"key_id", kAgreementKey}}.dump()))
                  .status,
              200U);
    MigrationSourceConfig config;
    config.self.own_pcr0 = core::HexEncode(Pcr0(0xa1));
    config.self.maintainer_pubkey = maintainer;
    config.self.cooldown = kCooldown;
    config.root = &testing::TestRoot();
    config.now = [&now] { return now; };
    handler =
        std::make_unique<MigrationSourceHandler>(config, store, *enclave.client, *service, log);
    service->SetMigrationStatus([this] { return handler->StatusBody(); });
  }
  testing::SimulatedEnclave enclave;
  testing::MemoryStore own_store;
  testing::CaptureLog log;
  std::unique_ptr<KeyService> service;
  std::unique_ptr<MigrationSourceHandler> handler;
};

// V2's side as the test drives it: a fresh RSA key per document.
struct V2 {
  V2() : enclave(Pcr0(0xb2)) {}
  Bytes Document(const Bytes& nonce, const std::optional<Bytes>& user_data = std::nullopt) {
    rsa.reset(EVP_RSA_gen(2048));
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(rsa.get(), &der);
    Bytes spki(der, der + len);
    OPENSSL_free(der);
    AttestationRequest request;
    request.nonce = nonce;
    request.public_key = spki;
    request.user_data = user_data;
    auto doc = enclave.client->Attestation(request);
    EXPECT_TRUE(doc);
    return *doc;
  }
  Bytes Decrypt(const Bytes& ciphertext) const {
    core::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(rsa.get(), nullptr));
    EVP_PKEY_decrypt_init(ctx.get());
    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING);
    EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256());
    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha256());
    auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kMigrationOaepLabel.size()));
    std::copy(kMigrationOaepLabel.begin(), kMigrationOaepLabel.end(), label);
    EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label,
                                     static_cast<int>(kMigrationOaepLabel.size()));
    Bytes plain(512);
    std::size_t len = plain.size();
    if (EVP_PKEY_decrypt(ctx.get(), plain.data(), &len, ciphertext.data(), ciphertext.size()) !=
        1) {
      return {};
    }
    plain.resize(len);
    return plain;
  }
  testing::SimulatedEnclave enclave;
  core::EvpPkeyPtr rsa;
};

std::string CodeOf(const net::HttpResponse& response) {
  const auto open = response.body.rfind('(');
  const auto close = response.body.rfind(')');
  return open == std::string::npos ? "" : response.body.substr(open + 1, close - open - 1);
}

class MigrationSource : public ::testing::Test {
 protected:
  void SetUp() override { kms_.AddAgreementKey(kAgreementKey, testing::HexBytes(kKmsScalarHex)); }

  Bytes Nonce(V1& v1) {
    const net::HttpResponse response =
        v1.handler->Handle(Request("POST", "/internal/migration-nonce"));
    EXPECT_EQ(response.status, 200U) << response.body;
    const json body = json::parse(response.body);
    EXPECT_EQ(body["expires_in"], kMigrationNonceLifetime);
    return *core::HexDecode(body["nonce"].get<std::string>());
  }
  std::string InitiateBody(const Bytes& doc, std::int64_t activation,
                           const std::string& target = core::HexEncode(Pcr0(0xb2))) {
    return json{{"attestation_doc", core::Base64Encode(doc)},
                {"v2_kms_key_id", "arn:aws:kms:us-east-1:999999999999:key/attacker"},
                {"maintainer_sig", Sign(target, activation)},
                {"activation_time", activation}}
        .dump();
  }
  std::string CompleteBody(const Bytes& doc, const Bytes& v2_nonce) {
    return json{{"attestation_doc", core::Base64Encode(doc)},
                {"v2_nonce", core::HexEncode(v2_nonce)}}
        .dump();
  }
  net::HttpResponse Initiate(V1& v1, V2& v2, std::int64_t activation) {
    return v1.handler->Handle(Request("POST", "/internal/initiate-migration",
                                      InitiateBody(v2.Document(Nonce(v1)), activation)));
  }
  net::HttpResponse Complete(V1& v1, V2& v2, const Bytes& v2_nonce) {
    return v1.handler->Handle(Request("POST", "/internal/complete-migration",
                                      CompleteBody(v2.Document(Nonce(v1)), v2_nonce)));
  }

  testing::FakeKms kms_;
  MemoryMigrationStore store_;
  std::int64_t now_ = (testing::TestClock().Now().value / 1000) + 1;
};

TEST_F(MigrationSource, AWholeMigrationMovesTheKeyOnlyToV2AndV1StopsSigning) {
  V1 v1(kms_, store_, now_);
  V2 v2;
  const std::int64_t start = now_;
  const int kms_calls = kms_.Calls();
  const json info = json::parse(v1.service->Handle(Request("GET", "/v1/info")).body);
  const Bytes signer = *core::HexDecode(info["signerPubkey"].get<std::string>());

  // Initiation, with a caller-chosen KMS key that is ignored.
  const net::HttpResponse initiated = Initiate(v1, v2, start + kCooldown);
  ASSERT_EQ(initiated.status, 200U) << initiated.body;
  EXPECT_EQ(initiated.body,
            "{\"cooldown_seconds\":100,\"initiated_at\":" + std::to_string(start) + "}\n");
  const std::string stored = store_.entries.at("MigrationState");
  EXPECT_EQ(stored.find("attacker"), std::string::npos);
  EXPECT_EQ(stored.find("v2_kms_key_id"), std::string::npos);
  EXPECT_EQ(json::parse(stored)["target_pcr0"], core::HexEncode(Pcr0(0xb2)));
  // /v1/migration-status shows it (without mac), /internal/migration-status without the flag.
  const std::string status = v1.service->Handle(Request("GET", "/v1/migration-status")).body;
  EXPECT_EQ(json::parse(status)["state"]["initiated_at"], start);
  EXPECT_EQ(status.find("mac"), std::string::npos);
  EXPECT_EQ(status.find("cooldown_expired"), std::string::npos);

  // Early completion: the cooldown runs (425).
  now_ = start + kCooldown - 1;
  net::HttpResponse early = Complete(v1, v2, Bytes(32, 0x77));
  EXPECT_EQ(early.status, 425U);
  EXPECT_EQ(early.body, "cooldown not expired, 1s remaining (MIGRATION_COOLDOWN_RUNNING)\n");

  // Completion.
  now_ = start + kCooldown;
  EXPECT_NE(v1.service->Handle(Request("GET", "/v1/migration-status"))
                .body.find(",\"cooldown_expired\":true}"),
            std::string::npos);
  const Bytes v2_nonce(32, 0x78);
  const net::HttpResponse done = Complete(v1, v2, v2_nonce);
  ASSERT_EQ(done.status, 200U) << done.body;
  const json answer = json::parse(done.body);
  EXPECT_EQ(answer["completed"], true);
  const Bytes ciphertext = *core::Base64Decode(answer["ciphertext"].get<std::string>());
  const Bytes secret = v2.Decrypt(ciphertext);
  ASSERT_EQ(secret.size(), 32U);
  // It is V1's signing key: the same public key V1 served.
  auto ctx = core::MakeSecp256k1Context();
  auto key = Secp256k1Key::FromSecret(core::SecretBytes(secret), ctx.get());
  ASSERT_TRUE(key);
  EXPECT_EQ(key->Compressed(), signer);
  EXPECT_EQ(kms_.Calls(), kms_calls);  // no KMS call at all: never to a caller's key
  // V2 checks V1's document: chain, PCR0 = its previous_pcr0, nonce, user_data, PCR16.
  auto source = CheckPeerDocument(*core::Base64Decode(answer["attestation_doc"].get<std::string>()),
                                  testing::TestRoot(), now_);
  ASSERT_TRUE(source) << source.error().detail;
  ASSERT_TRUE(source->doc.pcrs.count(16));
  EXPECT_FALSE(core::IsAllZero(source->doc.pcrs.at(16)));
  EXPECT_TRUE(
      CheckSourceAnswer(*source, core::HexEncode(Pcr0(0xa1)), v2_nonce, ciphertext, signer));
  // An impostor V1 (V2 expects another predecessor) is refused.
  EXPECT_EQ(CheckSourceAnswer(*source, core::HexEncode(Pcr0(0xa9)), v2_nonce, ciphertext, signer)
                .error()
                .code,
            ErrorCode::kMigrationSourceRefused);

  // V1 refuses to sign, says so, and a second completion is refused.
  const net::HttpResponse sign = v1.service->Handle(Request(
      "POST", "/v1/sign", R"({"scheme":"bip340","digest":")" + std::string(64, '0') + "\"}"));
  EXPECT_EQ(sign.status, 410U);
  EXPECT_EQ(json::parse(sign.body)["error"]["code"], "KEY_MIGRATED");
  // The wallet line protocol's key is derived from the same secret: it refuses too.
  const json line =
      json::parse(v1.service->HandleWalletLine(json{{"action", "sign"}, {"message", "00"}}.dump()));
  EXPECT_EQ(line["error"]["code"], "KEY_MIGRATED");
  EXPECT_EQ(
      json::parse(v1.service->Handle(Request("GET", "/v1/enclave-info")).body)["migrated_to_pcr0"],
      core::HexEncode(Pcr0(0xb2)));
  const net::HttpResponse second = Complete(v1, v2, v2_nonce);
  EXPECT_EQ(second.status, 409U);
  EXPECT_EQ(second.body, "migration already completed (MIGRATION_ALREADY_COMPLETED)\n");
  // A new initiation: V1 is migrated.
  EXPECT_EQ(CodeOf(Initiate(v1, v2, now_ + kCooldown)), "KEY_MIGRATED");

  // V1 restarted (same KMS key, same store): it still refuses to sign.
  V1 restarted(kms_, store_, now_);
  ASSERT_TRUE(restarted.handler->Restore());
  EXPECT_EQ(restarted.service
                ->Handle(Request("POST", "/v1/sign",
                                 R"({"scheme":"bip340","digest":")" + std::string(64, '0') + "\"}"))
                .status,
            410U);
}

TEST_F(MigrationSource, AttacksFailWithTheirCodes) {
  V1 v1(kms_, store_, now_);
  V2 v2;
  const std::int64_t start = now_;

  // A document without V1's nonce, and a replayed one.
  const Bytes nonce = Nonce(v1);
  const Bytes doc = v2.Document(nonce);
  const std::string body = InitiateBody(doc, start + kCooldown);
  net::HttpResponse stale =
      v1.handler->Handle(Request("POST", "/internal/initiate-migration",
                                 InitiateBody(v2.Document(Bytes(32, 1)), start + kCooldown)));
  EXPECT_EQ(stale.status, 403U);
  EXPECT_EQ(CodeOf(stale), "MIGRATION_NONCE_INVALID");
  // Signature for another target (wrong PCR0): refused, the nonce is spent.
  net::HttpResponse wrong = v1.handler->Handle(
      Request("POST", "/internal/initiate-migration",
              InitiateBody(doc, start + kCooldown, core::HexEncode(Pcr0(0xc3)))));
  EXPECT_EQ(CodeOf(wrong), "MAINTAINER_SIGNATURE_INVALID");
  EXPECT_EQ(wrong.body.rfind("maintainer authorization failed: ", 0), 0U);
  net::HttpResponse replay =
      v1.handler->Handle(Request("POST", "/internal/initiate-migration", body));
  EXPECT_EQ(CodeOf(replay), "MIGRATION_NONCE_INVALID");
  // Activation sooner than the cooldown.
  EXPECT_EQ(CodeOf(Initiate(v1, v2, start + kCooldown - 1)), "MIGRATION_ACTIVATION_TOO_EARLY");
  // A document from another root (the virtual Nitro's CA, not this one's).
  verifier::devca::DocumentSpec spec;
  spec.nonce = Nonce(v1);
  spec.public_key = Bytes{'d', 'u', 'm', 'm', 'y'};
  const net::HttpResponse foreign = v1.handler->Handle(
      Request("POST", "/internal/initiate-migration",
              InitiateBody(testing::VirtualNitro::Get().Mint(spec), start + kCooldown)));
  EXPECT_EQ(CodeOf(foreign), "MIGRATION_DOCUMENT_INVALID");
  // Malformed bodies.
  EXPECT_EQ(v1.handler->Handle(Request("POST", "/internal/initiate-migration", "{")).status, 400U);
  EXPECT_EQ(v1.handler->Handle(Request("GET", "/internal/other")).status, 404U);

  // Completing with nothing pending.
  EXPECT_EQ(CodeOf(Complete(v1, v2, Bytes(32, 2))), "MIGRATION_NOT_PENDING");
  // A pending migration; a second initiation is 409.
  ASSERT_EQ(Initiate(v1, v2, start + kCooldown + 50).status, 200U);
  const net::HttpResponse pending = Initiate(v1, v2, start + kCooldown + 50);
  EXPECT_EQ(pending.status, 409U);
  EXPECT_EQ(pending.body, "migration already pending (MIGRATION_PENDING)\n");
  // Cooldown over but the activation 50 s ahead (11.4).
  now_ = start + kCooldown;
  const net::HttpResponse inactive = Complete(v1, v2, Bytes(32, 3));
  EXPECT_EQ(inactive.status, 425U);
  EXPECT_EQ(CodeOf(inactive), "MIGRATION_NOT_ACTIVE");
  now_ = start + kCooldown + 50;
  // Another image completes (wrong PCR0).
  V2 other;
  other.enclave = testing::SimulatedEnclave(Pcr0(0xc3));
  EXPECT_EQ(CodeOf(Complete(v1, other, Bytes(32, 4))), "MIGRATION_PCR0_MISMATCH");

  // The host edits the state: an earlier initiation, another target. Refused (MAC).
  const std::string genuine = store_.entries.at("MigrationState");
  json edited = json::parse(genuine);
  edited["target_pcr0"] = core::HexEncode(Pcr0(0xc3));
  store_.entries["MigrationState"] = edited.dump();
  const net::HttpResponse forged = Complete(v1, other, Bytes(32, 5));
  EXPECT_EQ(forged.status, 500U);
  EXPECT_EQ(CodeOf(forged), "MIGRATION_STATE_FORGED");
  store_.entries["MigrationState"] = "{not json";
  EXPECT_EQ(CodeOf(Complete(v1, v2, Bytes(32, 6))), "MIGRATION_STATE_INVALID");
  store_.entries["MigrationState"] = genuine;

  // If the completed state cannot be persisted, no key leaves and V1 keeps signing.
  store_.fail_saves = true;
  const net::HttpResponse unsaved = Complete(v1, v2, Bytes(32, 7));
  EXPECT_EQ(unsaved.status, 500U);
  EXPECT_EQ(unsaved.body.find("ciphertext"), std::string::npos);
  EXPECT_FALSE(v1.service->MigratedTo());
  store_.fail_saves = false;
  EXPECT_EQ(Complete(v1, v2, Bytes(32, 8)).status, 200U);

  // V1 restarted over a forged completed state: Restore refuses (the caller stops).
  V1 restarted(kms_, store_, now_);
  json reset = json::parse(store_.entries.at("MigrationState"));
  reset.erase("completed_at");
  store_.entries["MigrationState"] = reset.dump();
  auto restored = restarted.handler->Restore();
  ASSERT_FALSE(restored);
  EXPECT_EQ(restored.error().code, ErrorCode::kMigrationStateForged);
}

TEST_F(MigrationSource, V1WithoutAMaintainerKeyNeverMigrates) {
  V1 v1(kms_, store_, now_, "");
  V2 v2;
  const net::HttpResponse refused = Initiate(v1, v2, now_ + kCooldown);
  EXPECT_EQ(refused.status, 403U);
  EXPECT_EQ(CodeOf(refused), "MIGRATION_NO_MAINTAINER_KEY");
  EXPECT_TRUE(store_.entries.empty());
}

// V2's side (RunMigrationTarget) against V1's handler in process: V2 ends up sealing and
// serving V1's key, bound to its own PCR16.
TEST_F(MigrationSource, V2TakesTheKeyFromItsPredecessorSealsItAndBindsPcr16) {
  constexpr const char* kSealKey = "arn:aws:kms:us-east-1:111122223333:key/seal-v2";
  kms_.AddSymmetricKey(kSealKey);
  kms_.RequirePcr0(kSealKey, Pcr0(0xb2));
  V1 v1(kms_, store_, now_);
  const json v1_info = json::parse(v1.service->Handle(Request("GET", "/v1/info")).body);
  testing::SimulatedEnclave v2(Pcr0(0xb2));
  testing::CaptureLog log;
  MigrationTransport transport = [&](std::string_view method, std::string_view path,
                                     std::string_view body) -> core::Result<MigrationAnswer> {
    const net::HttpResponse response =
        v1.handler->Handle(Request(std::string(method), std::string(path), std::string(body)));
    return MigrationAnswer{response.status, response.body};
  };
  MigrationTargetConfig config;
  config.previous_pcr0 = core::HexEncode(Pcr0(0xa1));
  config.activation_time = now_ + kCooldown;
  config.maintainer_sig = Sign(core::HexEncode(Pcr0(0xb2)), config.activation_time);
  config.root = &testing::TestRoot();
  config.now = [this] { return now_; };
  int sleeps = 0;
  config.sleep = [&](std::int64_t seconds) {
    now_ += seconds;
    ++sleeps;
  };
  config.poll_seconds = 30;
  auto secret = RunMigrationTarget(config, transport, *v2.client, log);
  ASSERT_TRUE(secret) << core::ErrorCodeName(secret.error().code) << ": " << secret.error().detail;
  EXPECT_EQ(sleeps, 4);  // 30 s polls until the activation 100 s later
  EXPECT_TRUE(v1.service->MigratedTo());

  // V2 seals it under its own KMS key (policy-checked) and serves the same signer key.
  ServiceOptions options;
  options.version = "v2";
  options.previous_pcr0 = config.previous_pcr0;
  testing::MemoryStore sealed;
  testing::CaptureLog v2_log;
  auto service = KeyService::Create(options, *v2.client, kms_, sealed, v2_log);
  ASSERT_TRUE(service);
  SetupRequest setup;
  setup.mode = KeyMode::kSealed;
  setup.key_id = kSealKey;
  auto done = (*service)->Setup(setup, &*secret);
  ASSERT_TRUE(done) << done.error().detail;
  (*service)->SetMigratedFrom(config.previous_pcr0);
  const json v2_info = json::parse((*service)->Handle(Request("GET", "/v1/info")).body);
  EXPECT_EQ(v2_info["signerPubkey"], v1_info["signerPubkey"]);
  EXPECT_EQ(json::parse(
                (*service)->Handle(Request("GET", "/v1/enclave-info")).body)["migrated_from_pcr0"],
            config.previous_pcr0);
  auto pcr16 = v2.client->DescribePcr(16);
  ASSERT_TRUE(pcr16);
  const Bytes signer = *core::HexDecode(v1_info["signerPubkey"].get<std::string>());
  const core::Sha384Digest bound = verifier::KeyBindingPcrValue(signer);
  EXPECT_EQ(pcr16->data, Bytes(bound.begin(), bound.end()));
  // A later boot of V2 finds the sealed record: the same key without V1.
  testing::SimulatedEnclave v2_again(Pcr0(0xb2));
  auto again = KeyService::Create(options, *v2_again.client, kms_, sealed, v2_log);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->Setup(setup));
  EXPECT_EQ(json::parse((*again)->Handle(Request("GET", "/v1/info")).body)["signerPubkey"],
            v1_info["signerPubkey"]);
}

TEST_F(MigrationSource, V2RefusesWithoutAPredecessorOrFromAnImpostor) {
  V1 v1(kms_, store_, now_);
  testing::SimulatedEnclave v2(Pcr0(0xb2));
  testing::CaptureLog log;
  MigrationTransport transport = [&](std::string_view method, std::string_view path,
                                     std::string_view body) -> core::Result<MigrationAnswer> {
    const net::HttpResponse response =
        v1.handler->Handle(Request(std::string(method), std::string(path), std::string(body)));
    return MigrationAnswer{response.status, response.body};
  };
  MigrationTargetConfig config;
  config.previous_pcr0 = "genesis";
  config.activation_time = now_ + kCooldown;
  config.maintainer_sig = Sign(core::HexEncode(Pcr0(0xb2)), config.activation_time);
  config.root = &testing::TestRoot();
  config.now = [this] { return now_; };
  config.sleep = [this](std::int64_t seconds) { now_ += seconds; };
  auto genesis = RunMigrationTarget(config, transport, *v2.client, log);
  ASSERT_FALSE(genesis);
  EXPECT_EQ(genesis.error().code, ErrorCode::kMigrationNoPredecessor);
  // V2 expects another predecessor than the V1 that answers: the key is not taken.
  config.previous_pcr0 = core::HexEncode(Pcr0(0xa9));
  auto impostor = RunMigrationTarget(config, transport, *v2.client, log);
  ASSERT_FALSE(impostor);
  EXPECT_EQ(impostor.error().code, ErrorCode::kMigrationSourceRefused);
  // A V1 that is unreachable, or refuses.
  MigrationTransport down = [](std::string_view, std::string_view,
                               std::string_view) -> core::Result<MigrationAnswer> {
    return core::Fail(ErrorCode::kMigrationPeerFailed, "connection refused");
  };
  EXPECT_EQ(RunMigrationTarget(config, down, *v2.client, log).error().code,
            ErrorCode::kMigrationPeerFailed);
  config.maintainer_sig = std::string(128, '0');
  store_.entries.clear();
  EXPECT_EQ(RunMigrationTarget(config, transport, *v2.client, log).error().code,
            ErrorCode::kMigrationPeerFailed);
}

}  // namespace
}  // namespace enclavectl::app

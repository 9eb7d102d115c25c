// The key service against the real local KMS (`enclavectl kms serve`'s server, started here on a
// loopback port) and the NSM simulator: a fixed P-256 key-agreement key imported into the local
// KMS gives the public key an independent OpenSSL ECDH and the spec's conversion predict; two
// instances agree, another key or blockhash differs; the keys' policies are locked to one PCR0,
// so an enclave measured otherwise is refused by KMS itself; sealed mode survives a restart;
// 32 concurrent setups over HTTP give exactly one 200; PCR16 and appKeyHash in a fresh
// document; every response signed.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/servers.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/app/stores.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/localkms/server.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "socket_client.hpp"
#include "test_paths.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;

constexpr const char* kAccount = "111122223333";
constexpr std::string_view kScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
constexpr std::string_view kOtherScalarHex =
    "519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464";

Bytes Hex(std::string_view hex) { return testing::HexBytes(hex); }

// PKCS#8 PEM of the P-256 key with scalar `hex`.
Bytes P256Pem(std::string_view hex) {
  const Bytes scalar = Hex(hex);
  core::BignumPtr d(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  core::EcGroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  core::EcPointPtr point(EC_POINT_new(group.get()));
  EC_POINT_mul(group.get(), point.get(), d.get(), nullptr, nullptr, nullptr);
  Bytes pub(65);
  EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, pub.data(),
                     pub.size(), nullptr);
  auto key = core::MakeEcKey(core::Curve::kP256, pub, d.get());
  EXPECT_TRUE(key);
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return Bytes(data, data + len);                       // NOLINT
}

std::string ExpectedPublicKey(std::string_view scalar_hex,
                              const std::optional<core::Sha256Digest>& blockhash) {
  return core::Base64Encode(testing::IndependentReproducibleKey(scalar_hex, blockhash));
}

// A key policy: the account administers the key; key agreement and decryption only with a
// Recipient document whose PCR0 is `pcr0`.
std::string LockedPolicy(const Bytes& pcr0) {
  const std::string root = std::string("arn:aws:iam::") + kAccount + ":root";
  const json policy = {
      {"Version", "2012-10-17"},
      {"Statement",
       json::array(
           {{{"Sid", "Admin"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", root}}},
             {"Action",
              {"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetPublicKey"}},
             {"Resource", "*"}},
            {{"Sid", "EnclaveOnly"},
             {"Effect", "Allow"},
             {"Principal", {{"AWS", root}}},
             {"Action", {"kms:DeriveSharedSecret", "kms:Decrypt", "kms:GenerateDataKey"}},
             {"Resource", "*"},
             {"Condition",
              {{"StringEqualsIgnoreCase",
                {{"kms:RecipientAttestation:ImageSha384", core::HexEncode(pcr0)}}}}}}})}};
  return policy.dump();
}

// The local stack of one test: a development CA at the real time (the local KMS checks
// document freshness against its clock), the local KMS with three keys, all locked to PCR0 A.
class LocalStack : public ::testing::Test {
 protected:
  static constexpr std::uint8_t kPcr0A = 0xa0;

  void SetUp() override {
    verifier::devca::Options ca_options;
    ca_options.now = clock_.Now();
    auto ca = verifier::devca::DevCa::Create(ca_options);
    ASSERT_TRUE(ca);
    ca_text_ = ca->Serialize();
    root_pem_ = dir_.Write("root.pem", core::AsBytes(ca->RootPem()));
    state_ = (dir_.Path() / "kms").string();
    auto config = localkms::LoadOrCreateConfig(state_, kAccount, "us-east-1");
    ASSERT_TRUE(config) << config.error().detail;
    const std::string policy = LockedPolicy(Bytes(48, kPcr0A));
    for (const auto& [id, scalar] :
         {std::pair{"agree-a", kScalarHex}, {"agree-b", kOtherScalarHex}}) {
      localkms::ImportOptions import;
      import.state_dir = state_;
      import.private_key_pem = P256Pem(scalar);
      import.usage = localkms::KeyUsage::kKeyAgreement;
      import.key_id =
          std::string("00000000-0000-4000-8000-00000000000") + (id[6] == 'a' ? "a" : "b");
      import.policy = policy;
      auto key = localkms::ImportKey(import, clock_);
      ASSERT_TRUE(key) << key.error().detail;
      arns_[id] = key->arn;
    }
    localkms::ServerOptions options;
    options.state_dir = state_;
    options.attestation_root_paths = {root_pem_};
    options.account_id = kAccount;
    options.region = "us-east-1";
    options.threads = 1;
    auto server = localkms::LocalKmsServer::Start(options, clock_);
    ASSERT_TRUE(server) << server.error().detail;
    kms_server_ = std::move(*server);
    auto access_key = localkms::AccessKeyFor(state_, "");
    ASSERT_TRUE(access_key) << access_key.error().detail;
    access_key_id_ = access_key->access_key_id;
    secret_ = std::string(core::AsChars(access_key->secret_access_key.View()));
    endpoint_ = *aws::ResolveKmsEndpoint(kms_server_->Endpoint(), "us-east-1", env_);
    // A symmetric key for sealed mode, created over the wire with the locked policy.
    aws::AwsCredentials credentials = Credentials();
    aws::KmsClientOptions client_options;
    client_options.endpoint = endpoint_;
    aws::KmsClient client(client_options, transport_, credentials, clock_, sleeper_);
    aws::CreateKeyRequest create;
    create.policy = policy;
    auto symmetric = client.CreateKey(create);
    ASSERT_TRUE(symmetric) << symmetric.error().detail;
    arns_["seal"] = symmetric->arn;
  }
  void TearDown() override {
    if (kms_server_) {
      kms_server_->Stop();
    }
  }

  aws::AwsCredentials Credentials() const {
    aws::AwsCredentials credentials;
    credentials.access_key_id = access_key_id_;
    credentials.secret_access_key = core::SecretBytes(core::AsBytes(secret_));
    return credentials;
  }

  // One enclave running the service, talking to the local KMS over HTTP.
  struct Enclave {
    std::unique_ptr<NsmSimulator> nsm;
    std::unique_ptr<NsmClient> client;
    std::unique_ptr<AwsEnclaveKms> kms;
    std::unique_ptr<SealedKeyStore> store;
    testing::CaptureLog log;
    std::unique_ptr<KeyService> service;
  };
  std::unique_ptr<Enclave> Boot(std::uint8_t pcr0, const std::string& store_path = "") {
    auto enclave = std::make_unique<Enclave>();
    auto ca = verifier::devca::DevCa::Deserialize(ca_text_);
    EXPECT_TRUE(ca);
    SimulatorOptions options;
    options.boot_pcrs[0] = Bytes(48, pcr0);
    options.boot_pcrs[1] = Bytes(48, 0xb1);
    options.boot_pcrs[2] = Bytes(48, 0xb2);
    auto sim = NsmSimulator::Boot(std::move(*ca), options, clock_);
    EXPECT_TRUE(sim);
    enclave->nsm = std::move(*sim);
    enclave->client = std::make_unique<NsmClient>(*enclave->nsm);
    AwsAccess access{transport_,
                     [this] { return core::Result<aws::AwsCredentials>(Credentials()); }, clock_,
                     sleeper_, aws::RetryPolicy{2, 1, 1}};
    enclave->kms = std::make_unique<AwsEnclaveKms>(access, endpoint_);
    enclave->store = std::make_unique<FileSealedKeyStore>(
        store_path.empty() ? (dir_.Path() / "unused.json").string() : store_path);
    auto service =
        KeyService::Create({}, *enclave->client, *enclave->kms, *enclave->store, enclave->log);
    EXPECT_TRUE(service);
    enclave->service = std::move(*service);
    return enclave;
  }

  static net::HttpResponse Call(KeyService& service, std::string method, std::string path,
                                std::string body = "", std::string query = "") {
    net::HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.query = std::move(query);
    request.body = std::move(body);
    net::HttpResponse response = service.Handle(request);
    std::string signature;
    std::string pubkey;
    for (const auto& [name, value] : response.headers) {
      if (name == "X-Attestation-Signature") {
        signature = value;
      } else if (name == "X-Attestation-Pubkey") {
        pubkey = value;
      }
    }
    EXPECT_TRUE(verifier::VerifyResponseSignature(response.body, signature, pubkey));
    return response;
  }
  static std::string PublicKey(KeyService& service) {
    const net::HttpResponse response = Call(service, "GET", "/public-key");
    EXPECT_EQ(response.status, 200U) << response.body;
    return json::parse(response.body)["public-key-base64"];
  }
  static std::string ErrorCodeOf(const net::HttpResponse& response) {
    const json body = json::parse(response.body, nullptr, false);
    return body.contains("error") ? body["error"]["code"].get<std::string>() : "";
  }

  core::io::SystemClock clock_;
  testing::ScopedTempDir dir_;
  std::string ca_text_;
  std::string root_pem_;
  std::string state_;
  std::map<std::string, std::string> arns_;
  std::unique_ptr<localkms::LocalKmsServer> kms_server_;
  std::string access_key_id_;
  std::string secret_;
  aws::MapEnvironment env_;
  aws::AwsEndpoint endpoint_;
  aws::CurlTransport transport_;
  testing::NoSleep sleeper_;
};

TEST_F(LocalStack, FixedKmsKeyMatchesTheIndependentComputationOnEveryInstance) {
  auto first = Boot(kPcr0A);
  auto second = Boot(kPcr0A);
  const std::string body = json{{"key_id", arns_["agree-a"]}}.dump();
  const net::HttpResponse setup = Call(*first->service, "POST", "/generate-secret", body);
  ASSERT_EQ(setup.status, 200U) << setup.body;
  ASSERT_EQ(Call(*second->service, "POST", "/generate-secret", body).status, 200U);
  const std::string expected = ExpectedPublicKey(kScalarHex, std::nullopt);
  EXPECT_EQ(PublicKey(*first->service), expected);
  EXPECT_EQ(PublicKey(*second->service), expected);

  auto other_key = Boot(kPcr0A);
  ASSERT_EQ(Call(*other_key->service, "POST", "/generate-secret",
                 json{{"key_id", arns_["agree-b"]}}.dump())
                .status,
            200U);
  EXPECT_EQ(PublicKey(*other_key->service), ExpectedPublicKey(kOtherScalarHex, std::nullopt));
  EXPECT_NE(PublicKey(*other_key->service), expected);

  auto with_blockhash = Boot(kPcr0A);
  core::Sha256Digest blockhash{};
  blockhash.fill(0x11);
  ASSERT_EQ(
      Call(*with_blockhash->service, "POST", "/setup",
           json{{"key_id", arns_["agree-a"]}, {"blockhash", core::HexEncode(blockhash)}}.dump())
          .status,
      200U);
  EXPECT_EQ(PublicKey(*with_blockhash->service), ExpectedPublicKey(kScalarHex, blockhash));
  EXPECT_NE(PublicKey(*with_blockhash->service), expected);
}

TEST_F(LocalStack, AnotherImageIsRefusedByTheKeyPolicy) {
  auto other = Boot(0xee);
  const net::HttpResponse refused =
      Call(*other->service, "POST", "/generate-secret", json{{"key_id", arns_["agree-a"]}}.dump());
  EXPECT_EQ(refused.status, 500U);
  EXPECT_EQ(ErrorCodeOf(refused), "KMS_ACCESS_DENIED") << refused.body;
  EXPECT_EQ(other->service->State(), KeyState::kUnset);
  EXPECT_EQ(Call(*other->service, "GET", "/v1/info").status, 503U);
}

TEST_F(LocalStack, SealedKeySurvivesARestartOnlyForTheLockedImage) {
  const std::string store = (dir_.Path() / "sealed.json").string();
  const std::string body = json{{"mode", "sealed"}, {"key_id", arns_["seal"]}}.dump();
  std::string sealed_key;
  {
    auto boot1 = Boot(kPcr0A, store);
    const net::HttpResponse response = Call(*boot1->service, "POST", "/v1/setup", body);
    ASSERT_EQ(response.status, 200U) << response.body;
    sealed_key = PublicKey(*boot1->service);
  }
  auto record = core::io::ReadFile(store, 8192);
  ASSERT_TRUE(record);
  {
    auto boot2 = Boot(kPcr0A, store);
    ASSERT_EQ(Call(*boot2->service, "POST", "/v1/setup", body).status, 200U);
    EXPECT_EQ(PublicKey(*boot2->service), sealed_key);
  }
  // Another image: the policy is not enclave-only for its PCR0, so it refuses the key before
  // asking KMS to decrypt (which would deny it too).
  auto other = Boot(0xee, store);
  const net::HttpResponse refused = Call(*other->service, "POST", "/v1/setup", body);
  EXPECT_EQ(refused.status, 403U);
  EXPECT_EQ(ErrorCodeOf(refused), "APP_KEY_POLICY_UNSAFE") << refused.body;
  EXPECT_EQ(*core::io::ReadFile(store, 8192), *record);  // unchanged
}

TEST_F(LocalStack, ThirtyTwoConcurrentSetupsOverHttpExactlyOneWins) {
  auto enclave = Boot(kPcr0A);
  net::HttpServerOptions options;
  options.threads = 2;
  auto http = StartHttpApi(options, *enclave->service);
  ASSERT_TRUE(http);
  const std::string body = json{{"key_id", arns_["agree-a"]}}.dump();
  const std::string request = "POST /generate-secret HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  std::atomic<int> ok{0};
  std::atomic<int> conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      testing::SocketClient client((*http)->Port());
      client.Send(request);
      const std::string response = client.ReadResponse();
      if (response.rfind("HTTP/1.1 200", 0) == 0) {
        ++ok;
      } else if (response.rfind("HTTP/1.1 409", 0) == 0 &&
                 response.find("APP_ALREADY_SET_UP") != std::string::npos) {
        ++conflict;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  (*http)->Stop();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 31);
  EXPECT_EQ(PublicKey(*enclave->service), ExpectedPublicKey(kScalarHex, std::nullopt));
}

TEST_F(LocalStack, FreshDocumentBindsTheKeyAndTheAttestationKey) {
  auto enclave = Boot(kPcr0A);
  ASSERT_EQ(
      Call(*enclave->service, "POST", "/generate-secret", json{{"key_id", arns_["agree-a"]}}.dump())
          .status,
      200U);
  const json info = json::parse(Call(*enclave->service, "GET", "/v1/info").body);
  const std::string nonce = "0123456789abcdef0123456789abcdef01234567";
  const net::HttpResponse attestation =
      Call(*enclave->service, "GET", "/enclave/attestation", "", "nonce=" + nonce);
  ASSERT_EQ(attestation.status, 200U);
  auto document = core::Base64Decode(attestation.body);
  ASSERT_TRUE(document);
  auto root = verifier::TrustAnchor::FromPem(core::AsBytes(testing::ReadText(root_pem_)));
  ASSERT_TRUE(root);
  verifier::VerificationPolicy policy;
  policy.time = clock_.Now();
  policy.key_binding_public_key = Hex(info["public_key"].get<std::string>());
  policy.app_key_hash = enclave->service->AppKeyHash();
  policy.nonce = Hex(nonce);
  policy.required_pcrs[0] = Bytes(48, kPcr0A);
  auto verified = verifier::VerifyDocument(*document, {&*root, nullptr}, policy);
  ASSERT_TRUE(verified) << verified.error().detail;
  const core::Sha384Digest pcr16 =
      verifier::KeyBindingPcrValue(Hex(info["public_key"].get<std::string>()));
  EXPECT_EQ(verified->Document().pcrs.at(16), Bytes(pcr16.begin(), pcr16.end()));
}

}  // namespace
}  // namespace enclavectl::app

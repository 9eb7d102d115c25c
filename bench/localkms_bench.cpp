// Local KMS micro-benchmarks (in-process, no sockets): a SigV4-checked request, Encrypt and
// Decrypt, an attested Decrypt (document verification, policy with attestation keys,
// RSA-OAEP + AES-256-CBC CiphertextForRecipient), DeriveSharedSecret, and CreateKey persisted
// with write+fsync+rename for stores of 10 and 1000 keys (the O(keys) cost of rewriting
// state.json).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/aws/recipient.hpp"
#include "enclavectl/aws/sigv4.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/localkms/crypto.hpp"
#include "enclavectl/localkms/service.hpp"
#include "enclavectl/verifier/devca.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using Json = nlohmann::json;

constexpr core::UnixMillis kNow{1735689602000};
constexpr const char* kAdmin = "arn:aws:iam::111122223333:user/local-admin";

localkms::AccessKey AdminKey() {
  localkms::AccessKey key;
  key.access_key_id = "AKIAADMINADMINADMIN0";
  key.secret_access_key = core::SecretBytes(core::AsBytes(std::string("admin-secret-0123456789")));
  key.principal = kAdmin;
  return key;
}

std::string Field(const localkms::OutgoingResponse& response, const char* name) {
  return Json::parse(response.body)[name].get<std::string>();
}

void BM_SignedGenerateRandom(benchmark::State& state) {
  const core::io::FixedClock clock(kNow);
  localkms::MemoryPersister persister;
  localkms::ServiceOptions options;
  options.config.access_keys.push_back(AdminKey());
  localkms::LocalKms kms(std::move(options), {}, persister, clock);
  aws::AwsCredentials credentials;
  credentials.access_key_id = "AKIAADMINADMINADMIN0";
  credentials.secret_access_key =
      core::SecretBytes(core::AsBytes(std::string("admin-secret-0123456789")));
  const std::string body = R"({"NumberOfBytes": 32})";
  aws::SigningRequest signing{"POST",
                              "/",
                              "",
                              {{"Host", "127.0.0.1:4599"},
                               {"Content-Type", "application/x-amz-json-1.1"},
                               {"X-Amz-Target", "TrentService.GenerateRandom"}},
                              core::AsBytes(body)};
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = kNow;
  auto parts = aws::SignHeaders(signing, credentials, params);
  localkms::IncomingRequest request{"POST", "/", "", {}, body};
  for (const auto& header : signing.headers) {
    std::string name = header.name;
    for (char& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    request.headers.emplace_back(name, header.value);
  }
  request.headers.emplace_back("x-amz-date", parts->added_headers[0].value);
  request.headers.emplace_back("authorization", parts->added_headers[1].value);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kms.Handle(request));
  }
}
BENCHMARK(BM_SignedGenerateRandom);

void BM_EncryptDecrypt(benchmark::State& state) {
  const core::io::FixedClock clock(kNow);
  localkms::MemoryPersister persister;
  localkms::LocalKms kms({}, {}, persister, clock);
  const std::string key =
      Json::parse(kms.Dispatch("TrentService.CreateKey", "{}", kAdmin).body)["KeyMetadata"]["KeyId"]
          .get<std::string>();
  const std::string encrypt = R"({"KeyId":")" + key +
                              R"(","Plaintext":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",)"
                              R"("EncryptionContext":{"app":"bench"}})";
  for (auto _ : state) {
    const std::string blob =
        Field(kms.Dispatch("TrentService.Encrypt", encrypt, kAdmin), "CiphertextBlob");
    benchmark::DoNotOptimize(kms.Dispatch(
        "TrentService.Decrypt",
        R"({"CiphertextBlob":")" + blob + R"(","EncryptionContext":{"app":"bench"}})", kAdmin));
  }
}
BENCHMARK(BM_EncryptDecrypt);

void BM_AttestedDecrypt(benchmark::State& state) {
  const core::io::FixedClock clock(kNow);
  verifier::devca::Options ca_options;
  ca_options.now = core::UnixMillis{kNow.value - 2000};
  auto ca = verifier::devca::DevCa::Create(ca_options);
  auto enclave = ca->StartEnclave(ca_options.now, 42);
  core::EvpPkeyPtr rsa = *aws::MakeRecipientKey();
  verifier::devca::DocumentSpec spec;
  spec.pcrs = verifier::PcrMap{{0, core::Bytes(48, 0xaa)}};
  spec.public_key = *aws::PublicKeyDer(rsa.get());
  const core::Bytes document = *ca->Attest(*enclave, spec);
  localkms::ServiceOptions options;
  options.attestation.roots.push_back(*verifier::TrustAnchor::FromDer(ca->Root().der));
  localkms::MemoryPersister persister;
  localkms::LocalKms kms(std::move(options), {}, persister, clock);
  const std::string key =
      Json::parse(kms.Dispatch("TrentService.CreateKey", "{}", kAdmin).body)["KeyMetadata"]["KeyId"]
          .get<std::string>();
  const std::string blob =
      Field(kms.Dispatch("TrentService.Encrypt", R"({"KeyId":")" + key + R"(","Plaintext":"AAEC"})",
                         kAdmin),
            "CiphertextBlob");
  const std::string decrypt =
      R"({"CiphertextBlob":")" + blob +
      R"(","Recipient":{"KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256","AttestationDocument":")" +
      core::Base64Encode(document) + R"("}})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(kms.Dispatch("TrentService.Decrypt", decrypt, kAdmin));
  }
}
BENCHMARK(BM_AttestedDecrypt)->Unit(benchmark::kMicrosecond);

void BM_DeriveSharedSecret(benchmark::State& state) {
  const core::io::FixedClock clock(kNow);
  localkms::MemoryPersister persister;
  localkms::LocalKms kms({}, {}, persister, clock);
  const std::string key =
      Json::parse(kms.Dispatch("TrentService.CreateKey",
                               R"({"KeySpec":"ECC_NIST_P256","KeyUsage":"KEY_AGREEMENT"})", kAdmin)
                      .body)["KeyMetadata"]["KeyId"]
          .get<std::string>();
  const std::string peer =
      Field(kms.Dispatch("TrentService.GetPublicKey", R"({"KeyId":")" + key + R"("})", kAdmin),
            "PublicKey");
  const std::string body =
      R"({"KeyId":")" + key + R"(","KeyAgreementAlgorithm":"ECDH","PublicKey":")" + peer + "\"}";
  for (auto _ : state) {
    benchmark::DoNotOptimize(kms.Dispatch("TrentService.DeriveSharedSecret", body, kAdmin));
  }
}
BENCHMARK(BM_DeriveSharedSecret)->Unit(benchmark::kMicrosecond);

// What the file persister does: the whole store, written atomically and fsynced.
class FilePersister final : public localkms::StatePersister {
 public:
  explicit FilePersister(std::string path) : path_(std::move(path)) {}
  core::Status Save(const localkms::KeyStore& store) override {
    const core::SecretBytes text = localkms::EncodeKeyStore(store);
    return core::io::WriteFileAtomic(path_, text.View());
  }

 private:
  std::string path_;
};

void BM_CreateKeyPersisted(benchmark::State& state) {
  const core::io::FixedClock clock(kNow);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("enclavectl-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FilePersister persister((dir / "state.json").string());
  // A store of N symmetric keys with the default policy, as CreateKey makes them.
  localkms::KeyStore store;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    localkms::KeyRecord key;
    key.key_id = localkms::RandomUuid();
    key.creation_ms = kNow.value;
    key.policy = localkms::DefaultKeyPolicy("111122223333");
    key.material =
        std::move(localkms::GenerateKeyMaterial(localkms::KeySpec::kSymmetricDefault)->material);
    const std::string id = key.key_id;
    store.keys.emplace(id, std::move(key));
  }
  localkms::LocalKms kms({}, std::move(store), persister, clock);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kms.Dispatch("TrentService.CreateKey", "{}", kAdmin));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CreateKeyPersisted)->Arg(10)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace

BENCHMARK_MAIN();

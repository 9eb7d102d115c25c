// The key service over its interfaces (service layer), with the NSM simulator and an
// in-process KMS (app_fakes): compatibility vectors against an independent OpenSSL ECDH and
// the spec's conversion, reproducibility across instances, once-only setup under 32
// concurrent calls, sealed mode across restarts and PCR0 changes, PCR16 and appKeyHash in a
// fresh attestation document, signed responses, every endpoint's bad input, the vsock JSON
// protocol, and logs without secrets.
#include "enclavectl/app/service.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/key_setup.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/introspector.hpp"
#include "enclavectl/verifier/key_binding.hpp"
#include "enclavectl/verifier/signatures.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;

constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
constexpr const char* kOtherAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-2";
constexpr const char* kSymmetricKey = "arn:aws:kms:us-east-1:111122223333:key/seal-1";
// A fixed KMS private key (P-256 scalar) so that the expected public key can be recomputed.
constexpr std::string_view kKmsScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
constexpr std::string_view kOtherScalarHex =
    "0f56db78ca460b055c500064824bed999a25aaf48ebb519ac201537b85479813";

Bytes Hex(std::string_view hex) { return testing::HexBytes(hex); }
Bytes Pcr0(std::uint8_t fill) { return Bytes(48, fill); }

net::HttpRequest Request(std::string method, std::string path, std::string body = "",
                         std::string query = "") {
  net::HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.query = std::move(query);
  request.target = request.path + (request.query.empty() ? "" : "?" + request.query);
  request.body = std::move(body);
  return request;
}

json Body(const net::HttpResponse& response) { return json::parse(response.body, nullptr, false); }

std::string ErrorCodeOf(const net::HttpResponse& response) {
  const json body = Body(response);
  if (!body.is_object() || !body.contains("error")) {
    return "";
  }
  return body["error"]["code"].get<std::string>();
}

void ExpectSigned(const KeyService& service, const net::HttpResponse& response) {
  std::string signature;
  std::string pubkey;
  for (const auto& [name, value] : response.headers) {
    if (name == "X-Attestation-Signature") {
      signature = value;
    }
    if (name == "X-Attestation-Pubkey") {
      pubkey = value;
    }
  }
  EXPECT_EQ(pubkey, core::HexEncode(service.AttestationKey().Compressed()));
  EXPECT_TRUE(verifier::VerifyResponseSignature(response.body, signature, pubkey))
      << response.status << " " << response.body;
}

// One simulated enclave running the service.
struct Instance {
  explicit Instance(testing::FakeKms& kms, const Bytes& pcr0 = Pcr0(0xa0),
                    testing::MemoryStore* shared_store = nullptr, ServiceOptions options = {})
      : enclave(pcr0), store(shared_store != nullptr ? shared_store : &own_store) {
    options.version = "test";
    auto created = KeyService::Create(options, *enclave.client, kms, *store, log);
    EXPECT_TRUE(created);
    service = std::move(*created);
  }
  net::HttpResponse Call(const net::HttpRequest& request) {
    net::HttpResponse response = service->Handle(request);
    ExpectSigned(*service, response);
    return response;
  }
  std::string PublicKeyB64() {
    const net::HttpResponse response = Call(Request("GET", "/public-key"));
    EXPECT_EQ(response.status, 200U) << response.body;
    return Body(response)["public-key-base64"].get<std::string>();
  }
  testing::SimulatedEnclave enclave;
  testing::MemoryStore own_store;
  testing::MemoryStore* store;
  testing::CaptureLog log;
  std::unique_ptr<KeyService> service;
};

class Service : public ::testing::Test {
 protected:
  void SetUp() override {
    kms_.AddAgreementKey(kAgreementKey, Hex(kKmsScalarHex));
    kms_.AddAgreementKey(kOtherAgreementKey, Hex(kOtherScalarHex));
    kms_.AddSymmetricKey(kSymmetricKey);
  }
  static std::string SetupBody(const std::string& key_id, const std::string& blockhash = "") {
    json body = {{"key_id", key_id}};
    if (!blockhash.empty()) {
      body["blockhash"] = blockhash;
    }
    return body.dump();
  }
  testing::FakeKms kms_;
};

TEST_F(Service, CompatibilityVectorMatchesAnIndependentComputation) {
  Instance a(kms_);
  const net::HttpResponse response =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  ASSERT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(a.PublicKeyB64(),
            core::Base64Encode(testing::IndependentReproducibleKey(kKmsScalarHex, std::nullopt)));
  EXPECT_EQ(a.Call(Request("GET", "/retrieve-public-key")).body,
            a.Call(Request("GET", "/public-key")).body);

  Instance b(kms_);
  const std::string zeros(64, '0');
  ASSERT_EQ(b.Call(Request("POST", "/setup", SetupBody(kAgreementKey, zeros))).status, 200U);
  EXPECT_EQ(b.PublicKeyB64(), core::Base64Encode(testing::IndependentReproducibleKey(
                                  kKmsScalarHex, core::Sha256Digest{})));
}

TEST_F(Service, SameKmsKeySameKeyOtherKeyOrBlockhashAnother) {
  Instance a(kms_);
  Instance b(kms_, Pcr0(0xa0));
  Instance c(kms_);
  Instance d(kms_);
  Instance e(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  ASSERT_EQ(b.Call(Request("POST", "/v1/setup", SetupBody(kAgreementKey))).status, 200U);
  ASSERT_EQ(c.Call(Request("POST", "/generate-secret", SetupBody(kOtherAgreementKey))).status,
            200U);
  const std::string hash1(64, '1');
  const std::string hash2(64, '2');
  ASSERT_EQ(d.Call(Request("POST", "/setup", SetupBody(kAgreementKey, hash1))).status, 200U);
  ASSERT_EQ(e.Call(Request("POST", "/setup", SetupBody(kAgreementKey, hash2))).status, 200U);
  EXPECT_EQ(a.PublicKeyB64(), b.PublicKeyB64());
  EXPECT_NE(a.PublicKeyB64(), c.PublicKeyB64());
  EXPECT_NE(a.PublicKeyB64(), d.PublicKeyB64());
  EXPECT_NE(d.PublicKeyB64(), e.PublicKeyB64());
  // The wallet key follows the signing key.
  const json info_a = Body(a.Call(Request("GET", "/v1/info")));
  const json info_b = Body(b.Call(Request("GET", "/v1/info")));
  const json info_c = Body(c.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info_a["wallet_public_key"], info_b["wallet_public_key"]);
  EXPECT_NE(info_a["wallet_public_key"], info_c["wallet_public_key"]);
  EXPECT_EQ(info_a["key_mode"], "reproducible");
  EXPECT_EQ(info_a["blockhash"], nullptr);
  EXPECT_EQ(Body(d.Call(Request("GET", "/v1/info")))["blockhash"], hash1);
}

TEST_F(Service, ThirtyTwoConcurrentSetupsExactlyOneWins) {
  Instance a(kms_);
  std::atomic<int> ok{0};
  std::atomic<int> conflict{0};
  std::atomic<int> other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      const std::string path = i % 3 == 0   ? "/generate-secret"
                               : i % 3 == 1 ? "/setup"
                                            : "/v1/setup";
      const std::string body =
          SetupBody(kAgreementKey, path == "/setup" ? std::string(64, 'a') : "");
      const net::HttpResponse response = a.service->Handle(Request("POST", path, body));
      if (response.status == 200) {
        ++ok;
      } else if (response.status == 409 && ErrorCodeOf(response) == "APP_ALREADY_SET_UP") {
        ++conflict;
      } else {
        ++other;
      }
    });
  }
  go = true;
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 31);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(a.service->State(), KeyState::kReady);
  EXPECT_EQ(kms_.Calls(), 1);
  // And later calls too.
  const net::HttpResponse again =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(again.status, 409U);
  EXPECT_EQ(ErrorCodeOf(again), "APP_ALREADY_SET_UP");
}

TEST_F(Service, FailedSetupCanBeRetried) {
  Instance a(kms_);
  kms_.FailNext(ErrorCode::kKmsAccessDenied);
  const net::HttpResponse failed =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(failed.status, 500U);
  EXPECT_EQ(ErrorCodeOf(failed), "KMS_ACCESS_DENIED");
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
  // An unknown key: 500 with KMS's error.
  const net::HttpResponse unknown =
      a.Call(Request("POST", "/generate-secret", SetupBody("arn:aws:kms:us-east-1:1:key/none")));
  EXPECT_EQ(ErrorCodeOf(unknown), "KMS_NOT_FOUND");
  EXPECT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
}

TEST_F(Service, SealedKeySurvivesARestartAndOtherImagesCannotLoadIt) {
  kms_.RequirePcr0(kSymmetricKey, Pcr0(0xa0));
  testing::MemoryStore store;
  const std::string body = json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump();
  std::string first_key;
  {
    Instance boot1(kms_, Pcr0(0xa0), &store);
    const net::HttpResponse response = boot1.Call(Request("POST", "/v1/setup", body));
    ASSERT_EQ(response.status, 200U) << response.body;
    EXPECT_EQ(Body(response)["key_mode"], "sealed");
    first_key = boot1.PublicKeyB64();
    ASSERT_TRUE(store.text);
    auto record = DecodeSealedRecord(*store.text);
    ASSERT_TRUE(record) << record.error().detail;
    EXPECT_EQ(record->key_arn, kSymmetricKey);
    EXPECT_EQ(core::Base64Encode(Bytes(65)).size(), first_key.size());
  }
  const std::string record_text = *store.text;
  {
    Instance boot2(kms_, Pcr0(0xa0), &store);  // the same image, rebooted
    ASSERT_EQ(boot2.Call(Request("POST", "/v1/setup", body)).status, 200U);
    EXPECT_EQ(boot2.PublicKeyB64(), first_key);
    EXPECT_EQ(*store.text, record_text);  // loaded, not re-sealed
  }
  {
    Instance other_image(kms_, Pcr0(0xee), &store);
    // The key policy pins PCR0 0xa0: the other image refuses it before asking KMS (which would
    // deny it too).
    const net::HttpResponse denied = other_image.Call(Request("POST", "/v1/setup", body));
    EXPECT_EQ(denied.status, 403U);
    EXPECT_EQ(ErrorCodeOf(denied), "APP_KEY_POLICY_UNSAFE");
    EXPECT_EQ(other_image.service->State(), KeyState::kUnset);
    EXPECT_EQ(other_image.Call(Request("GET", "/v1/info")).status, 503U);
    EXPECT_EQ(*store.text, record_text);
  }
}

TEST_F(Service, SealedRaceAdoptsTheOtherInstancesKeyAndRecordsAreChecked) {
  testing::MemoryStore store;
  const std::string body = json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump();
  Instance winner(kms_, Pcr0(0xa0), &store);
  ASSERT_EQ(winner.Call(Request("POST", "/v1/setup", body)).status, 200U);
  const std::string sealed = *store.text;

  testing::MemoryStore racing;
  racing.inject_before_create = sealed;  // the winner stores between our Load and Create
  Instance loser(kms_, Pcr0(0xa0), &racing);
  ASSERT_EQ(loser.Call(Request("POST", "/v1/setup", body)).status, 200U);
  EXPECT_EQ(loser.PublicKeyB64(), winner.PublicKeyB64());

  // A record whose public key is not the sealed key's.
  auto record = DecodeSealedRecord(sealed);
  ASSERT_TRUE(record);
  record->public_key[5] ^= 0x01;
  testing::MemoryStore tampered;
  tampered.text = EncodeSealedRecord(*record);
  Instance victim(kms_, Pcr0(0xa0), &tampered);
  const net::HttpResponse response = victim.Call(Request("POST", "/v1/setup", body));
  EXPECT_EQ(response.status, 500U);
  EXPECT_EQ(ErrorCodeOf(response), "SEALED_RECORD_INVALID");
  // A record that is not JSON.
  testing::MemoryStore garbage;
  garbage.text = "not json";
  Instance victim2(kms_, Pcr0(0xa0), &garbage);
  EXPECT_EQ(ErrorCodeOf(victim2.Call(Request("POST", "/v1/setup", body))), "SEALED_RECORD_INVALID");
  // The memory store refuses a second record.
  auto again = tampered.Create("x");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kSealedKeyExists);
}

TEST(SealedRecord, RoundTripAndRefusals) {
  const Bytes data_key(32, 7);
  const Bytes secret(32, 9);
  auto sealed =
      SealSecret(data_key, secret, "arn:aws:kms:us-east-1:1:key/k", Bytes{1, 2, 3}, Bytes(33, 2));
  ASSERT_TRUE(sealed);
  const SealedRecord& record = *sealed;
  auto decoded = DecodeSealedRecord(EncodeSealedRecord(record));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->key_arn, record.key_arn);
  EXPECT_EQ(decoded->data_key_blob, record.data_key_blob);
  EXPECT_EQ(decoded->nonce, record.nonce);
  EXPECT_EQ(decoded->ciphertext, record.ciphertext);
  EXPECT_EQ(decoded->tag, record.tag);
  EXPECT_EQ(decoded->public_key, record.public_key);
  auto opened = OpenSealedSecret(*decoded, data_key);
  ASSERT_TRUE(opened);
  EXPECT_TRUE(core::Equal(opened->View(), secret));
  json good = json::parse(EncodeSealedRecord(record));
  for (const auto& mutate : std::vector<std::function<void(json&)>>{
           [](json& j) { j["version"] = 3; },
           [](json& j) { j["version"] = "2"; },
           [](json& j) { j["format"] = "other"; },
           [](json& j) { j.erase("key_arn"); },
           [](json& j) { j["key_arn"] = "key/k"; },
           [](json& j) { j["data_key_blob"] = "!!"; },
           [](json& j) { j["data_key_blob"] = ""; },
           [](json& j) { j["public_key"] = "02"; },
           [](json& j) { j["nonce"] = "00"; },
           [](json& j) { j["tag"] = 5; },
           [](json& j) { j.erase("ciphertext"); },
           [](json& j) { j["extra"] = true; },
           [](json& j) { j = json::array(); },
       }) {
    json bad = good;
    mutate(bad);
    auto result = DecodeSealedRecord(bad.dump());
    ASSERT_FALSE(result) << bad.dump();
    EXPECT_EQ(result.error().code, ErrorCode::kSealedRecordInvalid) << bad.dump();
  }
}

// The GCM additional data binds the key ARN and the public key: a record re-labelled for
// another KMS key (or key) does not open, nor does one under another data key.
TEST(SealedRecord, AadBindsTheKeyArnAndPublicKey) {
  const Bytes data_key(32, 7);
  auto sealed = SealSecret(data_key, Bytes(32, 9), "arn:aws:kms:us-east-1:111122223333:key/a",
                           Bytes{1}, Bytes(33, 2));
  ASSERT_TRUE(sealed);
  SealedRecord relabelled = *sealed;
  relabelled.key_arn = "arn:aws:kms:us-east-1:111122223333:key/b";
  auto opened = OpenSealedSecret(relabelled, data_key);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kSealedRecordInvalid);
  SealedRecord other_key = *sealed;
  other_key.public_key[1] ^= 1;
  EXPECT_FALSE(OpenSealedSecret(other_key, data_key));
  EXPECT_FALSE(OpenSealedSecret(*sealed, Bytes(32, 8)));
  SealedRecord flipped = *sealed;
  flipped.ciphertext[0] ^= 1;
  EXPECT_FALSE(OpenSealedSecret(flipped, data_key));
  EXPECT_TRUE(OpenSealedSecret(*sealed, data_key));
}

// A record of the previous format (a bare KMS data key, which kms:Encrypt could have made)
// is never adopted.
TEST(SealedRecord, OldFormatIsRefusedWithItsOwnCode) {
  const std::string v1 =
      R"({"format":"enclavectl-sealed-key","version":1,"key_id":"arn:aws:kms:us-east-1:1:key/k",)"
      R"("ciphertext_blob":"AQID","public_key":")" +
      std::string(66, '2') + R"(","encryption_context":{}})";
  auto decoded = DecodeSealedRecord(v1);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kSealedRecordOutdated);
}

TEST_F(Service, AttestationCarriesPcr16AndAppKeyHash) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  const Bytes public_key = Hex(info["public_key"].get<std::string>());
  const std::string nonce_hex = "00112233445566778899aabbccddeeff0a0b0c0d";
  const net::HttpResponse response =
      a.Call(Request("GET", "/enclave/attestation", "", "nonce=" + nonce_hex));
  ASSERT_EQ(response.status, 200U) << response.body;
  ASSERT_FALSE(response.body.empty());
  EXPECT_EQ(response.body.back(), '\n');
  auto document = core::Base64Decode(response.body);
  ASSERT_TRUE(document);
  verifier::VerificationPolicy policy;
  policy.time = testing::TestClock().Now();
  policy.key_binding_public_key = public_key;
  policy.app_key_hash = a.service->AppKeyHash();
  policy.nonce = Hex(nonce_hex);
  auto verified = verifier::VerifyDocument(*document, {&testing::TestRoot(), nullptr}, policy);
  ASSERT_TRUE(verified) << verified.error().detail;
  const verifier::AttestationDocument& doc = verified->Document();
  // PCR16 = SHA-384(0^48 || SHA-256(compressed key)), computed here by hand.
  const core::Sha256Digest key_hash = core::Sha256(public_key);
  Bytes preimage(48, 0);
  preimage.insert(preimage.end(), key_hash.begin(), key_hash.end());
  const core::Sha384Digest expected = core::Sha384(preimage);
  ASSERT_TRUE(doc.pcrs.count(16));
  EXPECT_EQ(doc.pcrs.at(16), Bytes(expected.begin(), expected.end()));
  EXPECT_EQ(info["pcr16"], core::HexEncode(expected));
  // appKeyHash = SHA-256(attestation key), in nitriding's layout; public_key "dummy".
  auto user_data = verifier::ParseNitridingUserData(*doc.user_data);
  ASSERT_TRUE(user_data);
  EXPECT_EQ(user_data->app_key_hash, core::Sha256(a.service->AttestationKey().Compressed()));
  EXPECT_EQ(*doc.public_key, (Bytes{'d', 'u', 'm', 'm', 'y'}));
  // The enclave-info endpoint names the same attestation key.
  const json enclave_info = Body(a.Call(Request("GET", "/v1/enclave-info")));
  EXPECT_EQ(enclave_info["attestation_pubkey"],
            core::HexEncode(a.service->AttestationKey().Compressed()));
  EXPECT_EQ(enclave_info["previous_pcr0"], "genesis");
  EXPECT_EQ(enclave_info["key_state"], "ready");
  // Before setup PCR16 is not in the document (not locked yet).
  Instance fresh(kms_);
  auto fresh_doc = core::Base64Decode(
      fresh.Call(Request("GET", "/enclave/attestation", "", "nonce=" + nonce_hex)).body);
  ASSERT_TRUE(fresh_doc);
  verifier::VerificationPolicy plain;
  plain.time = policy.time;
  auto fresh_verified =
      verifier::VerifyDocument(*fresh_doc, {&testing::TestRoot(), nullptr}, plain);
  ASSERT_TRUE(fresh_verified);
  EXPECT_FALSE(fresh_verified->Document().pcrs.count(16));
}

// Issue 14 item 1: the Introspector Go client reads our /v1/info, /v1/enclave-info and
// /v1/migration-status (verifier/introspector.hpp decodes as encoding/json does).
TEST_F(Service, IntrospectorClientReadsOurBodies) {
  ServiceOptions options;
  options.previous_pcr0 = std::string(96, 'e');
  options.maintainer_pubkey = std::string(64, '7');
  Instance a(kms_, Pcr0(0xa0), nullptr, options);
  Instance plain(kms_);
  // Before setup: enclave-info and migration-status answer; maintainer_pubkey omitted when
  // not configured.
  const net::HttpResponse plain_info = plain.Call(Request("GET", "/v1/enclave-info"));
  ASSERT_EQ(plain_info.status, 200U);
  EXPECT_FALSE(Body(plain_info).contains("maintainer_pubkey"));
  auto plain_decoded = verifier::DecodeIntrospectorEnclaveInfo(plain_info.body);
  ASSERT_TRUE(plain_decoded) << plain_decoded.error().detail;
  EXPECT_EQ(plain_decoded->previous_pcr0, "genesis");
  EXPECT_EQ(plain_decoded->maintainer_pubkey, "");

  const net::HttpResponse enclave_info = a.Call(Request("GET", "/v1/enclave-info"));
  ASSERT_EQ(enclave_info.status, 200U);
  auto decoded = verifier::DecodeIntrospectorEnclaveInfo(enclave_info.body);
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(decoded->version, "test");
  EXPECT_EQ(decoded->previous_pcr0, std::string(96, 'e'));
  EXPECT_EQ(decoded->maintainer_pubkey, std::string(64, '7'));
  EXPECT_EQ(decoded->attestation_pubkey, core::HexEncode(a.service->AttestationKey().Compressed()));

  const net::HttpResponse status = a.Call(Request("GET", "/v1/migration-status"));
  ASSERT_EQ(status.status, 200U);
  EXPECT_EQ(status.body, "{\"state\":null}\n");
  EXPECT_EQ(status.content_type, "application/json");
  auto migration = verifier::DecodeMigrationStatus(status.body);
  ASSERT_TRUE(migration);
  EXPECT_FALSE(migration->state);

  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const net::HttpResponse info = a.Call(Request("GET", "/v1/info"));
  ASSERT_EQ(info.status, 200U);
  auto signer = verifier::DecodeIntrospectorInfo(info.body);
  ASSERT_TRUE(signer) << signer.error().detail;
  EXPECT_EQ(signer->signer_pubkey, Body(info)["public_key"].get<std::string>());
  EXPECT_EQ(signer->signer_pubkey.size(), 66U);
  EXPECT_EQ(signer->version, "test");
  // The Go client's PCR16 check on signerPubkey (migration.md 7 step 3).
  EXPECT_EQ(core::HexEncode(verifier::KeyBindingPcrValue(Hex(signer->signer_pubkey))),
            Body(info)["pcr16"].get<std::string>());
}

TEST_F(Service, SignEveryScheme) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  const std::string message_hex = core::HexEncode(core::AsBytes("pay 1 BTC to Alice"));
  const core::Sha256Digest digest = core::Sha256(core::AsBytes("pay 1 BTC to Alice"));
  for (const std::string scheme : {"ecdsa-secp256k1", "bip340", "ecdsa-p256"}) {
    for (const bool by_digest : {false, true}) {
      SCOPED_TRACE(scheme + (by_digest ? " digest" : " message"));
      json body = {{"scheme", scheme}};
      body[by_digest ? "digest" : "message"] = by_digest ? core::HexEncode(digest) : message_hex;
      const net::HttpResponse response = a.Call(Request("POST", "/v1/sign", body.dump()));
      ASSERT_EQ(response.status, 200U) << response.body;
      const json out = Body(response);
      EXPECT_EQ(out["scheme"], scheme);
      EXPECT_EQ(out["digest"], core::HexEncode(digest));
      const Bytes signature = Hex(out["signature"].get<std::string>());
      const Bytes key = Hex(out["public_key"].get<std::string>());
      if (scheme == "bip340") {
        EXPECT_EQ(out["public_key"], info["x_only_public_key"]);
        EXPECT_TRUE(verifier::VerifyBip340(key, digest, signature));
      } else if (scheme == "ecdsa-secp256k1") {
        EXPECT_EQ(out["public_key"], info["public_key"]);
        EXPECT_TRUE(verifier::VerifyEcdsaSecp256k1(key, digest, signature));
        EXPECT_TRUE(verifier::VerifyEcdsaSecp256k1(
            key, digest, Hex(out["signature_compact"].get<std::string>())));
      } else {
        EXPECT_EQ(out["public_key"], info["wallet_public_key"]);
        EXPECT_TRUE(verifier::VerifyEcdsaP256(key, digest, signature));
      }
    }
  }
}

struct BadInput {
  std::string method;
  std::string path;
  std::string body;
  std::string query;
  unsigned status;
  std::string code;
};

TEST_F(Service, BadInputOnEveryEndpoint) {
  Instance a(kms_);
  const std::string big_message = std::string(2 * 16384 + 2, 'a');
  const std::vector<BadInput> before_setup = {
      {"GET", "/nowhere", "", "", 404, "APP_NOT_FOUND"},
      {"GET", "/", "", "", 404, "APP_NOT_FOUND"},
      {"DELETE", "/v1/sign", "", "", 405, "APP_METHOD_NOT_ALLOWED"},
      {"GET", "/v1/setup", "", "", 405, "APP_METHOD_NOT_ALLOWED"},
      {"POST", "/health", "", "", 405, "APP_METHOD_NOT_ALLOWED"},
      {"GET", "/public-key", "", "", 404, "APP_NOT_FOUND"},
      {"GET", "/retrieve-public-key", "", "", 404, "APP_NOT_FOUND"},
      {"GET", "/v1/info", "", "", 503, "APP_NOT_SET_UP"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","digest":"00"})", "", 503, "APP_NOT_SET_UP"},
      {"POST", "/generate-secret", "{", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", "[]", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", "", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", R"({"key_id": 5})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", R"({"key_id": ""})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", R"({"key_id": "a", "key_id": "b"})", "", 400,
       "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", json{{"key_id", std::string(2049, 'k')}}.dump(), "", 400,
       "APP_REQUEST_INVALID"},
      {"POST", "/generate-secret", R"({"key_id": "a b"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/setup", R"({"key_id": "k"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/setup", R"({"key_id": "k", "blockhash": "00"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/setup", json{{"key_id", "k"}, {"blockhash", std::string(64, 'g')}}.dump(), "", 400,
       "APP_REQUEST_INVALID"},
      {"POST", "/setup", json{{"key_id", "k"}, {"blockhash", std::string(66, '0')}}.dump(), "", 400,
       "APP_REQUEST_INVALID"},
      {"POST", "/setup", R"({"key_id": "k", "blockhash": 1})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/setup", R"({"key_id": "k", "mode": "other"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/setup", R"({"key_id": "k", "extra": 1})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/setup",
       json{{"key_id", "k"}, {"mode", "sealed"}, {"blockhash", std::string(64, '0')}}.dump(), "",
       400, "APP_REQUEST_INVALID"},
      {"GET", "/enclave/attestation", "", "", 400, "APP_REQUEST_INVALID"},
      {"GET", "/enclave/attestation", "", "nonce=00", 400, "APP_REQUEST_INVALID"},
      {"GET", "/enclave/attestation", "", "nonce=" + std::string(40, 'x'), 400,
       "APP_REQUEST_INVALID"},
      {"GET", "/enclave/attestation", "", "nonce=" + std::string(42, '0'), 400,
       "APP_REQUEST_INVALID"},
  };
  for (const BadInput& bad : before_setup) {
    SCOPED_TRACE(bad.method + " " + bad.path + " " + bad.body.substr(0, 80) + " ?" + bad.query);
    const net::HttpResponse response = a.Call(Request(bad.method, bad.path, bad.body, bad.query));
    EXPECT_EQ(response.status, bad.status) << response.body;
    EXPECT_EQ(ErrorCodeOf(response), bad.code);
  }
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
  const net::HttpResponse not_allowed = a.Call(Request("PUT", "/v1/info"));
  bool allow = false;
  for (const auto& [name, value] : not_allowed.headers) {
    allow = allow || (name == "Allow" && value == "GET");
  }
  EXPECT_TRUE(allow);

  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const std::vector<BadInput> after_setup = {
      {"POST", "/v1/sign", "", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", "null", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", R"({"scheme":"bip340"})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", R"({"message":"00"})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", R"({"scheme":"rsa","message":"00"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","message":"00","digest":"00"})", "", 400,
       "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","message":"0"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","message":"zz"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","message":12})", "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","digest":"00"})", "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", json{{"scheme", "ecdsa-p256"}, {"digest", std::string(66, '0')}}.dump(),
       "", 400, "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", json{{"scheme", "ecdsa-p256"}, {"message", big_message}}.dump(), "", 400,
       "APP_REQUEST_INVALID"},
      {"POST", "/v1/sign", R"({"scheme":"bip340","message":"00","x":1})", "", 400,
       "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", std::string(100, '['), "", 400, "APP_REQUEST_MALFORMED"},
      {"POST", "/v1/sign", "{\"scheme\":\"bip340\",\"message\":\"\xff\"}", "", 400,
       "APP_REQUEST_MALFORMED"},
      {"POST", "/generate-secret", SetupBody(kAgreementKey), "", 409, "APP_ALREADY_SET_UP"},
      {"POST", "/setup", SetupBody(kAgreementKey, std::string(64, '0')), "", 409,
       "APP_ALREADY_SET_UP"},
      {"POST", "/v1/setup", SetupBody(kAgreementKey), "", 409, "APP_ALREADY_SET_UP"},
  };
  for (const BadInput& bad : after_setup) {
    SCOPED_TRACE(bad.method + " " + bad.path + " " + bad.body.substr(0, 80));
    const net::HttpResponse response = a.Call(Request(bad.method, bad.path, bad.body, bad.query));
    EXPECT_EQ(response.status, bad.status) << response.body;
    EXPECT_EQ(ErrorCodeOf(response), bad.code);
  }
  // Still serving.
  EXPECT_EQ(a.Call(Request("GET", "/health")).body, "OK");
  const json empty_message = {{"scheme", "bip340"}, {"message", ""}};
  EXPECT_EQ(a.Call(Request("POST", "/v1/sign", empty_message.dump())).status, 200U);
}

TEST_F(Service, RefusalsAreSignedJsonErrors) {
  Instance a(kms_);
  const std::vector<std::pair<unsigned, std::string>> cases = {
      {400, "APP_REQUEST_MALFORMED"}, {408, "APP_REQUEST_TIMEOUT"}, {413, "INPUT_TOO_LARGE"},
      {431, "INPUT_TOO_LARGE"},       {503, "APP_OVERLOADED"},      {500, "INTERNAL"}};
  for (const auto& [status, code] : cases) {
    const net::HttpResponse response = a.service->Refuse(status, "reason");
    ExpectSigned(*a.service, response);
    EXPECT_EQ(response.status, status);
    EXPECT_EQ(ErrorCodeOf(response), code);
    EXPECT_TRUE(response.close);
  }
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAppRequestTimeout), 408U);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAppOverloaded), 503U);
}

TEST_F(Service, WalletProtocol) {
  Instance a(kms_);
  const json before = json::parse(a.service->HandleWalletLine(R"({"action":"get_public_key"})"));
  EXPECT_EQ(before["error"]["code"], "APP_NOT_SET_UP");
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  const json key = json::parse(a.service->HandleWalletLine(R"({"action":"get_public_key"})"));
  EXPECT_EQ(key["public_key"], info["wallet_public_key"]);
  const std::string message = "7b226f70223a227472616e73666572227d";
  const json sig = json::parse(
      a.service->HandleWalletLine(json{{"action", "sign"}, {"message", message}}.dump()));
  ASSERT_TRUE(sig.contains("r")) << sig.dump();
  const Bytes raw = Hex(sig["r"].get<std::string>() + sig["s"].get<std::string>());
  ASSERT_EQ(raw.size(), 64U);
  EXPECT_TRUE(verifier::VerifyEcdsaP256(Hex(key["public_key"].get<std::string>()),
                                        core::Sha256(Hex(message)), raw));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "APP_REQUEST_MALFORMED"},
      {"{", "APP_REQUEST_MALFORMED"},
      {"[1]", "APP_REQUEST_MALFORMED"},
      {R"({"action": 1})", "APP_REQUEST_MALFORMED"},
      {R"({"message": "00"})", "APP_REQUEST_MALFORMED"},
      {R"({"action": "steal"})", "APP_NOT_FOUND"},
      {R"({"action": "sign"})", "APP_REQUEST_MALFORMED"},
      {R"({"action": "sign", "message": "xyz"})", "APP_REQUEST_INVALID"},
      {R"({"action": "sign", "message": 7})", "APP_REQUEST_MALFORMED"},
      {R"({"action": "sign", "message": "00", "key": "x"})", "APP_REQUEST_MALFORMED"},
      {R"({"action": "get_public_key", "x": 1})", "APP_REQUEST_MALFORMED"},
      {json{{"action", "sign"}, {"message", std::string(2 * 16384 + 2, '0')}}.dump(),
       "APP_REQUEST_INVALID"},
  };
  for (const auto& [line, code] : bad) {
    const json out = json::parse(a.service->HandleWalletLine(line));
    EXPECT_EQ(out["error"]["code"], code) << line;
  }
}

TEST_F(Service, LogsNameOperationsNeverSecretsOrMessages) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const std::string message_hex = "5365637265744d657373616765";
  ASSERT_EQ(a.Call(Request("POST", "/v1/sign",
                           json{{"scheme", "bip340"}, {"message", message_hex}}.dump()))
                .status,
            200U);
  a.service->HandleWalletLine(json{{"action", "sign"}, {"message", message_hex}}.dump());
  // The secret the service derived, recomputed independently: it must appear nowhere.
  auto nums = MakeNumsKey(std::nullopt);
  ASSERT_TRUE(nums);
  const std::vector<std::string> lines = a.log.Lines();
  ASSERT_GE(lines.size(), 3U);
  bool setup_logged = false;
  const std::string public_key = Body(a.Call(Request("GET", "/v1/info")))["public_key"];
  for (const std::string& line : lines) {
    EXPECT_EQ(line.find(message_hex), std::string::npos) << line;
    EXPECT_EQ(line.find(kKmsScalarHex), std::string::npos) << line;
    setup_logged = setup_logged || line.find(public_key) != std::string::npos;
  }
  EXPECT_TRUE(setup_logged);
}

TEST_F(Service, Pcr16BindingRules) {
  testing::SimulatedEnclave enclave(Pcr0(0xa0));
  auto ctx = core::MakeSecp256k1Context();
  auto key = Secp256k1Key::Generate(ctx.get());
  auto other = Secp256k1Key::Generate(ctx.get());
  ASSERT_TRUE(key && other);
  bool touched = false;
  ASSERT_TRUE(BindKeyToPcr16(*enclave.client, key->Compressed(), touched));
  EXPECT_TRUE(touched);
  auto pcr = enclave.client->DescribePcr(16);
  ASSERT_TRUE(pcr);
  EXPECT_TRUE(pcr->lock);
  const core::Sha384Digest expected = verifier::KeyBindingPcrValue(key->Compressed());
  EXPECT_TRUE(core::Equal(pcr->data, expected));
  // The same key again (a restarted service in the same boot): accepted, nothing changes.
  touched = false;
  EXPECT_TRUE(BindKeyToPcr16(*enclave.client, key->Compressed(), touched));
  EXPECT_FALSE(touched);
  // Another key: refused.
  auto refused = BindKeyToPcr16(*enclave.client, other->Compressed(), touched);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAppKeyBinding);
  EXPECT_FALSE(touched);
  // PCR16 extended by someone else, unlocked.
  testing::SimulatedEnclave second(Pcr0(0xa0));
  ASSERT_TRUE(second.client->ExtendPcr(16, Bytes{1, 2, 3}));
  auto extended = BindKeyToPcr16(*second.client, key->Compressed(), touched);
  ASSERT_FALSE(extended);
  EXPECT_EQ(extended.error().code, ErrorCode::kAppKeyBinding);
  // Extended with our key but not locked (a service that died in between): locked now.
  testing::SimulatedEnclave third(Pcr0(0xa0));
  ASSERT_TRUE(third.client->ExtendPcr(16, core::Sha256(key->Compressed())));
  EXPECT_TRUE(BindKeyToPcr16(*third.client, key->Compressed(), touched));
  EXPECT_TRUE(third.client->DescribePcr(16)->lock);
}

TEST_F(Service, SetupAfterAForeignPcr16FailsForTheBoot) {
  Instance a(kms_);
  ASSERT_TRUE(a.enclave.client->ExtendPcr(16, Bytes{9}));
  ASSERT_TRUE(a.enclave.client->LockPcr(16));
  const net::HttpResponse response =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(response.status, 500U);
  EXPECT_EQ(ErrorCodeOf(response), "APP_KEY_BINDING");
  EXPECT_EQ(a.service->State(), KeyState::kUnset);  // PCR16 was not touched by us
}

namespace issue12 {

using enclavectl::testing::MakeKeyPolicy;
using enclavectl::testing::PolicyKind;

std::string Pcr0Hex(std::uint8_t fill) { return core::HexEncode(Pcr0(fill)); }

ServiceOptions Configured(KeyMode mode, std::string key_id) {
  ServiceOptions options;
  options.configured.emplace();
  options.configured->mode = mode;
  options.configured->key_id = std::move(key_id);
  return options;
}

std::string Sha256Hex(const std::string& text) {
  return core::HexEncode(core::Sha256(core::AsBytes(text)));
}

// Item 3: with a configured key a failed setup can be retried with that key only.
TEST_F(Service, ConfiguredKeyIsTheOnlyKeyAndMayBeRetried) {
  Instance a(kms_, Pcr0(0xa0), nullptr, Configured(KeyMode::kReproducible, kAgreementKey));
  kms_.FailNext(ErrorCode::kNetwork, "connection refused");
  const net::HttpResponse failed =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(failed.status, 500U);
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
  // The attacker's key: refused, whatever the endpoint or mode.
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/generate-secret", SetupBody(kOtherAgreementKey)},
           {"/setup", SetupBody(kOtherAgreementKey, std::string(64, 'b'))},
           {"/setup", SetupBody(kAgreementKey, std::string(64, 'b'))},
           {"/v1/setup", json{{"mode", "sealed"}, {"key_id", kAgreementKey}}.dump()},
           {"/v1/setup", json{{"mode", "reproducible"}, {"key_id", kSymmetricKey}}.dump()}}) {
    const net::HttpResponse refused = a.Call(Request("POST", path, body));
    EXPECT_EQ(refused.status, 403U) << path << " " << body;
    EXPECT_EQ(ErrorCodeOf(refused), "APP_KEY_NOT_ALLOWED");
  }
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
  const json enclave_info = Body(a.Call(Request("GET", "/v1/enclave-info")));
  EXPECT_EQ(enclave_info["configured_key_id"], kAgreementKey);
  EXPECT_EQ(enclave_info["insecure_skip_policy_check"], false);
  // The configured key: the retry succeeds.
  const net::HttpResponse retry =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  ASSERT_EQ(retry.status, 200U) << retry.body;
  EXPECT_EQ(Body(a.Call(Request("GET", "/v1/info")))["kms_key_arn"], kAgreementKey);
}

TEST_F(Service, AliasIsResolvedAndReportedAsTheKeyArn) {
  kms_.AddAlias("alias/signing", kAgreementKey);
  Instance a(kms_);
  Instance b(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody("alias/signing"))).status, 200U);
  ASSERT_EQ(b.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info["kms_key_arn"], kAgreementKey);
  EXPECT_EQ(info["key_id"], kAgreementKey);
  EXPECT_EQ(a.PublicKeyB64(), b.PublicKeyB64());
  // A configured alias is also resolved; the retry names it as configured.
  Instance c(kms_, Pcr0(0xa0), nullptr, Configured(KeyMode::kReproducible, "alias/signing"));
  EXPECT_EQ(ErrorCodeOf(c.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)))),
            "APP_KEY_NOT_ALLOWED");
  ASSERT_EQ(c.Call(Request("POST", "/generate-secret", SetupBody("alias/signing"))).status, 200U);
  EXPECT_EQ(Body(c.Call(Request("GET", "/v1/info")))["kms_key_arn"], kAgreementKey);
  EXPECT_EQ(Body(c.Call(Request("GET", "/v1/enclave-info")))["configured_key_id"], "alias/signing");
}

TEST_F(Service, InfoReportsKeyArnModeBlockhashAndPolicyVerdict) {
  const std::string policy = MakeKeyPolicy(PolicyKind::kEnclaveOnly, Pcr0Hex(0xa0));
  kms_.SetKeyPolicy(kAgreementKey, policy);
  Instance a(kms_);
  const std::string blockhash(64, 'c');
  ASSERT_EQ(a.Call(Request("POST", "/setup", SetupBody(kAgreementKey, blockhash))).status, 200U);
  const net::HttpResponse response = a.Call(Request("GET", "/v1/info"));
  const json info = Body(response);
  EXPECT_EQ(info["kms_key_arn"], kAgreementKey);
  EXPECT_EQ(info["key_mode"], "reproducible");
  EXPECT_EQ(info["blockhash"], blockhash);
  const json expected = {
      {"checked", true}, {"sha256", Sha256Hex(policy)}, {"enclave_only", true}, {"locked", true}};
  EXPECT_EQ(info["key_policy"], expected);
  const json enclave_info = Body(a.Call(Request("GET", "/v1/enclave-info")));
  EXPECT_TRUE(enclave_info["configured_key_id"].is_null());
}

// Reproducible mode reports an unsafe verdict; --require-key-policy makes it refuse.
TEST_F(Service, ReproducibleReportsTheVerdictAndRefusesOnlyWhenRequired) {
  const std::string policy = MakeKeyPolicy(PolicyKind::kAdminCanChange, Pcr0Hex(0xa0));
  kms_.SetKeyPolicy(kAgreementKey, policy);
  kms_.SetKeyPolicy(kOtherAgreementKey, MakeKeyPolicy(PolicyKind::kUnattested, Pcr0Hex(0xa0)));
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info["key_policy"]["enclave_only"], true);
  EXPECT_EQ(info["key_policy"]["locked"], false);
  Instance b(kms_);
  ASSERT_EQ(b.Call(Request("POST", "/generate-secret", SetupBody(kOtherAgreementKey))).status,
            200U);
  EXPECT_EQ(Body(b.Call(Request("GET", "/v1/info")))["key_policy"]["enclave_only"], false);

  ServiceOptions locked;
  locked.policy.require = {true, true};
  Instance c(kms_, Pcr0(0xa0), nullptr, locked);
  const net::HttpResponse refused =
      c.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(refused.status, 403U);
  EXPECT_EQ(ErrorCodeOf(refused), "APP_KEY_POLICY_UNSAFE");
  EXPECT_EQ(c.service->State(), KeyState::kUnset);
  const json required = Body(c.Call(Request("GET", "/v1/enclave-info")))["require_key_policy"];
  EXPECT_EQ(required, (json{{"enclave_only", true}, {"locked", true}}));
  ServiceOptions enclave_only;
  enclave_only.policy.require.enclave_only = true;
  Instance d(kms_, Pcr0(0xa0), nullptr, enclave_only);
  EXPECT_EQ(ErrorCodeOf(d.Call(Request("POST", "/generate-secret", SetupBody(kOtherAgreementKey)))),
            "APP_KEY_POLICY_UNSAFE");
  ASSERT_EQ(d.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
}

// Item 4: with kms:Encrypt allowed to the role, the parent seals a secret of its choice; the
// enclave refuses the key before adopting any record.
TEST_F(Service, SealedModeRefusesAKeyThePolicyLetsTheParentEncryptUnder) {
  kms_.RequirePcr0(kSymmetricKey, Pcr0(0xa0));
  kms_.SetKeyPolicy(kSymmetricKey, MakeKeyPolicy(PolicyKind::kAllowsEncrypt, Pcr0Hex(0xa0)));
  // The parent: a data key of its choice through kms:Encrypt, a secret of its choice under it.
  const Bytes chosen_data_key(32, 0x42);
  const Bytes chosen_secret =
      Hex("0101010101010101010101010101010101010101010101010101010101010101");
  auto ctx = core::MakeSecp256k1Context();
  core::SecretBytes secret_copy(chosen_secret);
  auto chosen_keys = MakeKeyPair(secret_copy, ctx.get());
  ASSERT_TRUE(chosen_keys);
  auto record =
      SealSecret(chosen_data_key, chosen_secret, kSymmetricKey,
                 kms_.EncryptUnattested(kSymmetricKey, chosen_data_key, SealedKeyContext()),
                 chosen_keys->signing.Compressed());
  ASSERT_TRUE(record);
  testing::MemoryStore store;
  store.text = EncodeSealedRecord(*record);
  const std::string body = json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump();
  Instance victim(kms_, Pcr0(0xa0), &store);
  const net::HttpResponse refused = victim.Call(Request("POST", "/v1/setup", body));
  EXPECT_EQ(refused.status, 403U) << refused.body;
  EXPECT_EQ(ErrorCodeOf(refused), "APP_KEY_POLICY_UNSAFE");
  EXPECT_EQ(victim.Call(Request("GET", "/v1/info")).status, 503U);
  // Without a record too: no data key is generated under such a key.
  testing::MemoryStore empty;
  Instance fresh(kms_, Pcr0(0xa0), &empty);
  EXPECT_EQ(ErrorCodeOf(fresh.Call(Request("POST", "/v1/setup", body))), "APP_KEY_POLICY_UNSAFE");
  EXPECT_FALSE(empty.text);
  // What the check prevents: skipping it adopts the parent's key (development only).
  ServiceOptions skip;
  skip.policy.skip = true;
  Instance unchecked(kms_, Pcr0(0xa0), &store, skip);
  ASSERT_EQ(unchecked.Call(Request("POST", "/v1/setup", body)).status, 200U);
  const json info = Body(unchecked.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info["public_key"], core::HexEncode(chosen_keys->signing.Compressed()));
  EXPECT_EQ(
      info["key_policy"],
      (json{{"checked", false}, {"sha256", nullptr}, {"enclave_only", false}, {"locked", false}}));
  EXPECT_EQ(Body(unchecked.Call(Request("GET", "/v1/enclave-info")))["insecure_skip_policy_check"],
            true);
}

TEST_F(Service, SealedModeRefusesAnUnattestedPolicyAndAcceptsAnEnclaveOnlyOne) {
  kms_.SetKeyPolicy(kSymmetricKey, MakeKeyPolicy(PolicyKind::kUnattested, Pcr0Hex(0xa0)));
  const std::string body = json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump();
  Instance a(kms_);
  EXPECT_EQ(ErrorCodeOf(a.Call(Request("POST", "/v1/setup", body))), "APP_KEY_POLICY_UNSAFE");
  // Enclave-only for another image is not enclave-only for this one.
  kms_.SetKeyPolicy(kSymmetricKey, MakeKeyPolicy(PolicyKind::kEnclaveOnly, Pcr0Hex(0xee)));
  EXPECT_EQ(ErrorCodeOf(a.Call(Request("POST", "/v1/setup", body))), "APP_KEY_POLICY_UNSAFE");
  const std::string good = MakeKeyPolicy(PolicyKind::kEnclaveOnly, Pcr0Hex(0xa0));
  kms_.SetKeyPolicy(kSymmetricKey, good);
  ASSERT_EQ(a.Call(Request("POST", "/v1/setup", body)).status, 200U);
  const json info = Body(a.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info["key_policy"]["sha256"], Sha256Hex(good));
  EXPECT_EQ(info["key_policy"]["enclave_only"], true);
  EXPECT_EQ(info["kms_key_arn"], kSymmetricKey);
}

// Key material a policy cannot govern: imported (the importer keeps a copy), in an external
// key store, or in other Regions' replicas. An enclave-only policy does not make such a key
// enclave-only: sealed mode refuses it, reproducible mode reports it.
TEST_F(Service, KeyMaterialOutsideThisKeyIsNeverEnclaveOnly) {
  const std::string good = MakeKeyPolicy(PolicyKind::kEnclaveOnly, Pcr0Hex(0xa0));
  kms_.SetKeyPolicy(kSymmetricKey, good);
  const std::string body = json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump();
  for (const auto& [origin, multi_region] :
       std::vector<std::pair<std::string, bool>>{{"EXTERNAL", false},
                                                 {"EXTERNAL_KEY_STORE", false},
                                                 {"AWS_CLOUDHSM", false},
                                                 {"", false},
                                                 {"AWS_KMS", true}}) {
    kms_.SetKeyMaterial(kSymmetricKey, origin, multi_region);
    Instance a(kms_);
    EXPECT_EQ(ErrorCodeOf(a.Call(Request("POST", "/v1/setup", body))), "APP_KEY_POLICY_UNSAFE")
        << origin << (multi_region ? " multi-Region" : "");
    EXPECT_EQ(a.service->State(), KeyState::kUnset);
  }
  kms_.SetKeyMaterial(kAgreementKey, "EXTERNAL", false);
  kms_.SetKeyPolicy(kAgreementKey, MakeKeyPolicy(PolicyKind::kEnclaveOnly, Pcr0Hex(0xa0)));
  Instance b(kms_);
  ASSERT_EQ(b.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json info = Body(b.Call(Request("GET", "/v1/info")));
  EXPECT_EQ(info["key_policy"]["enclave_only"], false);
  kms_.SetKeyMaterial(kSymmetricKey, "AWS_KMS", false);
  Instance c(kms_);
  EXPECT_EQ(c.Call(Request("POST", "/v1/setup", body)).status, 200U);
}

TEST_F(Service, SealedModeRefusesAnOldFormatRecord) {
  testing::MemoryStore store;
  store.text = R"({"format":"enclavectl-sealed-key","version":1,"key_id":")" +
               std::string(kSymmetricKey) + R"(","ciphertext_blob":"AQID","public_key":")" +
               std::string(66, '2') + R"(","encryption_context":{}})";
  Instance a(kms_, Pcr0(0xa0), &store);
  const net::HttpResponse response = a.Call(
      Request("POST", "/v1/setup", json{{"mode", "sealed"}, {"key_id", kSymmetricKey}}.dump()));
  EXPECT_EQ(ErrorCodeOf(response), "SEALED_RECORD_OUTDATED");
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
}

// Item 9: KMS's error text (role ARNs, account ids) goes to the log, not to clients.
TEST_F(Service, KmsErrorsReachClientsAsCodeAndShortReason) {
  Instance a(kms_);
  const std::string kms_text =
      "AccessDeniedException: User: arn:aws:iam::111122223333:role/x is not authorized to "
      "perform: kms:DescribeKey on resource: arn:aws:kms:us-east-1:111122223333:key/agree-1";
  kms_.FailNext(ErrorCode::kKmsAccessDenied, kms_text);
  const net::HttpResponse response =
      a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey)));
  EXPECT_EQ(ErrorCodeOf(response), "KMS_ACCESS_DENIED");
  const std::string message = Body(response)["error"]["message"].get<std::string>();
  EXPECT_FALSE(message.empty());
  EXPECT_EQ(response.body.find("arn:"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("111122223333"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("role/x"), std::string::npos) << response.body;
  bool logged = false;
  for (const std::string& line : a.log.Lines()) {
    logged = logged || line.find("role/x") != std::string::npos;
  }
  EXPECT_TRUE(logged);
  // Messages this service writes itself are stripped of ARNs and account ids as well.
  const core::Error own = ClientError(
      core::Error{ErrorCode::kSealedRecordInvalid,
                  "sealed under another KMS key than arn:aws:kms:x:111122223333:key/k", -1});
  EXPECT_EQ(own.detail, "sealed under another KMS key than <arn>");
  EXPECT_EQ(
      ClientError(core::Error{ErrorCode::kAppKeyNotAllowed, "account 111122223333", -1}).detail,
      "account <account>");
}

std::string HeaderOf(const net::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

// Item 9: the exchange signature covers method, path, status, nonce and body.
TEST_F(Service, ExchangeSignatureOnEveryResponse) {
  Instance a(kms_);
  const std::string pubkey = core::HexEncode(a.service->AttestationKey().Compressed());
  const std::string nonce(40, 'b');
  struct Case {
    net::HttpRequest request;
    std::string nonce;
  };
  const std::vector<Case> cases = {
      {Request("GET", "/enclave/attestation", "", "nonce=" + nonce), nonce},
      {Request("GET", "/v1/health"), ""},
      {Request("GET", "/v1/info", "", "nonce=" + nonce), nonce},  // 503, with the nonce
      {Request("GET", "/nope"), ""},
      {Request("DELETE", "/v1/sign"), ""},
  };
  for (const Case& c : cases) {
    const net::HttpResponse response = a.Call(c.request);
    const std::string header = HeaderOf(response, verifier::kExchangeSignatureHeader);
    ASSERT_EQ(header.size(), 128U) << c.request.path;
    EXPECT_TRUE(verifier::VerifyExchangeSignature(c.request.method, c.request.path, response.status,
                                                  c.nonce, response.body, header, pubkey))
        << c.request.path;
    // Not for another request, status or nonce.
    EXPECT_FALSE(verifier::VerifyExchangeSignature("POST", c.request.path, response.status, c.nonce,
                                                   response.body, header, pubkey));
    EXPECT_FALSE(verifier::VerifyExchangeSignature(c.request.method, c.request.path, 299, c.nonce,
                                                   response.body, header, pubkey));
    EXPECT_FALSE(verifier::VerifyExchangeSignature(
        c.request.method, c.request.path, response.status, "00", response.body, header, pubkey));
  }
  const net::HttpResponse refused = a.service->Refuse(408, "request timeout");
  EXPECT_TRUE(verifier::VerifyExchangeSignature(
      "", "", 408, "", refused.body, HeaderOf(refused, verifier::kExchangeSignatureHeader),
      pubkey));
}

TEST_F(Service, UnknownPathsAre404AndNeverSign) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  const json sign = {{"scheme", "bip340"}, {"message", "00"}};
  for (const char* path : {"/v1/sign/", "/v1/signx", "/sign", "/", "", "/v1/SIGN", "/v1/sign?"}) {
    const net::HttpResponse response = a.Call(Request("POST", path, sign.dump()));
    EXPECT_EQ(response.status, 404U) << path;
    EXPECT_EQ(ErrorCodeOf(response), "APP_NOT_FOUND") << path;
  }
  EXPECT_EQ(a.Call(Request("POST", "/v1/sign", sign.dump())).status, 200U);
}

}  // namespace issue12

namespace issue13 {

using issue12::HeaderOf;

// The HTTP API as documented (docs/enclave-app.md): every path and the one method it allows.
const std::vector<std::pair<std::string, std::string>> kRoutes = {
    {"/health", "GET"},
    {"/v1/health", "GET"},
    {"/generate-secret", "POST"},
    {"/setup", "POST"},
    {"/v1/setup", "POST"},
    {"/public-key", "GET"},
    {"/retrieve-public-key", "GET"},
    {"/enclave/attestation", "GET"},
    {"/v1/info", "GET"},
    {"/v1/enclave-info", "GET"},
    {"/v1/migration-status", "GET"},
    {"/v1/sign", "POST"},
    {"/verify-and-sign", "POST"},
    {"/secure/verify-and-sign", "POST"},
};
const std::vector<std::string> kMethods = {"GET",  "POST",  "PUT",     "DELETE", "PATCH",
                                           "HEAD", "TRACE", "OPTIONS", "CONNECT"};

// A body every signing endpoint would accept, so that a wrongly routed request would sign.
const std::string kSignBody = R"({"scheme":"bip340","message":"00"})";

TEST_F(Service, EveryRouteAnswersOtherMethods405WithAllowAndItsOwnMethodIsRouted) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  for (const auto& [path, allowed] : kRoutes) {
    for (const std::string& method : kMethods) {
      SCOPED_TRACE(method + " " + path);
      const net::HttpResponse response = a.Call(Request(method, path, kSignBody));
      if (method == allowed) {
        EXPECT_NE(response.status, 404U) << response.body;
        EXPECT_NE(response.status, 405U) << response.body;
        EXPECT_EQ(HeaderOf(response, "Allow"), "");
        continue;
      }
      EXPECT_EQ(response.status, 405U) << response.body;
      EXPECT_EQ(ErrorCodeOf(response), "APP_METHOD_NOT_ALLOWED");
      EXPECT_EQ(HeaderOf(response, "Allow"), allowed);
    }
  }
  EXPECT_EQ(a.service->State(), KeyState::kReady);
}

TEST_F(Service, PathsNearEveryRouteAre404ForEveryMethod) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  for (const auto& [path, allowed] : kRoutes) {
    std::string upper = path;
    for (char& c : upper) {
      c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    const std::vector<std::string> near = {
        path + "/",   path + "x",   path.substr(1), path.substr(0, path.size() - 1),
        "/" + path,   "/v2" + path, upper,          path + std::string(1, '\0'),
        path + "%20", "." + path};
    for (const std::string& unknown : near) {
      for (const std::string& method : kMethods) {
        SCOPED_TRACE(method + " " + unknown);
        const net::HttpResponse response = a.Call(Request(method, unknown, kSignBody));
        EXPECT_EQ(response.status, 404U) << response.body;
        EXPECT_EQ(ErrorCodeOf(response), "APP_NOT_FOUND");
        EXPECT_EQ(HeaderOf(response, "Allow"), "");
      }
    }
  }
}

// A setup path with another method is a 405 answered at once (not queued on the setup
// thread), and sets nothing up.
TEST_F(Service, ASetupPathWithAnotherMethodIsRefusedAtOnceAndSetsNothingUp) {
  Instance a(kms_);
  for (const std::string path : {"/generate-secret", "/setup", "/v1/setup"}) {
    for (const std::string method : {"GET", "PUT", "DELETE"}) {
      SCOPED_TRACE(method + " " + path);
      std::optional<net::HttpResponse> answer;
      a.service->HandleAsync(Request(method, path, SetupBody(kAgreementKey)),
                             [&answer](net::HttpResponse response) { answer = response; });
      ASSERT_TRUE(answer.has_value());
      EXPECT_EQ(answer->status, 405U);
      EXPECT_EQ(HeaderOf(*answer, "Allow"), "POST");
      ExpectSigned(*a.service, *answer);
    }
  }
  EXPECT_EQ(a.service->State(), KeyState::kUnset);
}

// The setup worker frees its slot before it answers: a client that sends its next setup
// request the moment it has read an answer never gets a spurious "another setup is running"
// (the flake of EnclaveAppE2e.AfterAFailedBootSetupOnlyTheConfiguredKeyIsAccepted). The second
// request is submitted from inside the first one's delivery, the earliest moment a client can.
TEST_F(Service, ASetupRequestSentRightAfterAnAnswerFindsTheWorkerFree) {
  Instance a(kms_);
  kms_.FailNext(ErrorCode::kKmsAccessDenied);
  std::promise<net::HttpResponse> second;
  std::optional<net::HttpResponse> first;
  a.service->HandleAsync(
      Request("POST", "/generate-secret", SetupBody(kAgreementKey)),
      [&](net::HttpResponse response) {
        first = response;
        a.service->HandleAsync(
            Request("POST", "/v1/setup", SetupBody(kAgreementKey)),
            [&second](net::HttpResponse next) { second.set_value(std::move(next)); });
      });
  std::future<net::HttpResponse> answer = second.get_future();
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const net::HttpResponse response = answer.get();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(ErrorCodeOf(*first), "KMS_ACCESS_DENIED");
  EXPECT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(a.service->State(), KeyState::kReady);
}

TEST_F(Service, WalletActionsMatchExactlyAndUnknownOnesNeverSign) {
  Instance a(kms_);
  ASSERT_EQ(a.Call(Request("POST", "/generate-secret", SetupBody(kAgreementKey))).status, 200U);
  std::vector<std::string> lines;
  for (const std::string action :
       {"Sign", "SIGN", "sign ", " sign", "signx", "sig", "get_public_key ", "GET_PUBLIC_KEY", "",
        "verify", "get_public_key,sign"}) {
    lines.push_back(json{{"action", action}, {"message", "00"}}.dump());
  }
  lines.push_back(R"({"action":"sign\u0000","message":"00"})");  // a JSON escape, not a C one
  lines.push_back(R"({"action":"s\u0069gn ","message":"00"})");
  for (const std::string& line : lines) {
    const json out = json::parse(a.service->HandleWalletLine(line));
    EXPECT_FALSE(out.contains("r")) << line;
    EXPECT_EQ(out.value("/error/code"_json_pointer, std::string()), "APP_NOT_FOUND")
        << line << " " << out.dump();
  }
}

}  // namespace issue13

}  // namespace
}  // namespace enclavectl::app

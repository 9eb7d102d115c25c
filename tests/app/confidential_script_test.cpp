// Confidential Script's endpoints through the key service (service layer, NSM simulator and
// in-process KMS of app_fakes): a real emulated spend (a leaf with a user's key and a hash
// lock beside a backup leaf, a backup script path on the real output) verified and signed by
// POST /verify-and-sign and checked as a key-path spend of the real output by the bitcoin
// interpreter; the failure cases; bad bodies; the encrypted /secure/verify-and-sign with the
// spec's key-schedule vectors (section 3.2 D); /public-key with both fields.
#include "enclavectl/app/confidential_script.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "emulated_spend.hpp"
#include "enclavectl/app/keys.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/bitcoin/confidential_script.hpp"
#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/interpreter.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/handles.hpp"
#include "enclavectl/verifier/signatures.hpp"

namespace enclavectl::app {
namespace {

using bitcoin::Hash256;
using core::Bytes;
using core::ByteView;
using nlohmann::json;

constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
constexpr std::string_view kKmsScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

Bytes Hex(std::string_view hex) { return testing::HexBytes(hex); }

net::HttpRequest Post(std::string path, std::string body, bool json_type = true) {
  net::HttpRequest request;
  request.method = "POST";
  request.path = std::move(path);
  request.target = request.path;
  request.body = std::move(body);
  if (json_type) {
    request.headers.emplace_back("content-type", "application/json");
  }
  return request;
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
  EXPECT_TRUE(verifier::VerifyResponseSignature(response.body, signature, pubkey));
}

using testing::KeyLeaf;
using testing::UserLeaf;

const Bytes kUserSecret(32, 0x05);
const Bytes kOtherUserSecret(32, 0x06);
const Bytes kBackupSecret(32, 0x07);
const Bytes kPreimage{'o', 'p', 'e', 'n', ' ', 's', 'e', 's', 'a', 'm', 'e'};

struct Spend {
  bitcoin::Transaction tx;
  std::vector<bitcoin::TxOut> spent;
  Hash256 backup_root{};
  Bytes user_leaf;
};

// Input 0 spends the real output of the emulated tree by the user's leaf; input 1 is an
// ordinary (non-emulated) P2TR key-path input whose witness must stay as it is.
Spend BuildSpend(const Bytes& master_public, ByteView signer, ByteView preimage) {
  Spend s;
  const bitcoin::XOnlyKey user = bitcoin::XOnlyFromSecret(kUserSecret).value();
  const bitcoin::XOnlyKey backup = bitcoin::XOnlyFromSecret(kBackupSecret).value();
  s.user_leaf = UserLeaf(user, kPreimage);
  const Hash256 user_hash = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, s.user_leaf);
  const Hash256 backup_hash = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, KeyLeaf(backup));
  const Hash256 emulated_root = bitcoin::TapBranchHash(user_hash, backup_hash);
  s.backup_root = backup_hash;
  const bitcoin::RealOutput real =
      bitcoin::GenerateAddress(master_public, emulated_root, s.backup_root, "regtest").value();
  bitcoin::ControlBlock control;
  control.internal_key = bitcoin::XOnlyFromSecret(Bytes(32, 0x02)).value();
  control.output_odd_y = bitcoin::TaprootOutputKey(control.internal_key, emulated_root)->odd_y;
  control.path = {backup_hash};

  s.tx.version = 2;
  bitcoin::TxIn emulated;
  emulated.prevout.txid.fill(0x11);
  emulated.prevout.vout = 1;
  emulated.sequence = 0xfffffffd;
  bitcoin::TxIn other;
  other.prevout.txid.fill(0x22);
  other.witness = {Bytes(64, 0x33)};
  s.tx.inputs = {emulated, other};
  s.tx.outputs = {bitcoin::TxOut{150000, Hex("0014" + std::string(40, 'a'))}};
  const bitcoin::XOnlyKey other_key = bitcoin::XOnlyFromSecret(Bytes(32, 0x09)).value();
  s.spent = {bitcoin::TxOut{100000, real.script_pubkey},
             bitcoin::TxOut{60000, bitcoin::P2trScriptPubKey(other_key)}};
  // The user's script-path signature commits to the real spent outputs and the emulated leaf.
  bitcoin::TapscriptSighashContext leaf;
  leaf.tapleaf_hash = user_hash;
  const Hash256 sighash =
      bitcoin::TaprootSighash(s.tx, 0, bitcoin::kSighashDefault,
                              bitcoin::PrecomputeTxData(s.tx, s.spent), std::nullopt, &leaf)
          .value();
  const bitcoin::SchnorrSignature sig =
      bitcoin::SignSchnorr(signer, sighash, Bytes(32, 0x44)).value();
  s.tx.inputs[0].witness = {Bytes(preimage.begin(), preimage.end()), Bytes(sig.begin(), sig.end()),
                            s.user_leaf, bitcoin::EncodeControlBlock(control)};
  return s;
}

std::string RequestBody(const Spend& s) {
  json spent = json::array();
  for (const bitcoin::TxOut& out : s.spent) {
    spent.push_back(TxOutToJson(out));
  }
  return json{{"emulated_tx_to", TransactionToJson(s.tx)},
              {"actual_spent_outputs", spent},
              {"backup_merkle_roots", {{"0", core::HexEncode(s.backup_root)}}}}
      .dump();
}

class ConfidentialScript : public ::testing::Test {
 protected:
  void SetUp() override {
    kms_.AddAgreementKey(kAgreementKey, Hex(kKmsScalarHex));
    Start({});
  }
  void Start(ServiceOptions options) {
    options.version = "test";
    service_.reset();
    enclave_ = std::make_unique<testing::SimulatedEnclave>(Bytes(48, 0xa0));
    auto created = KeyService::Create(options, *enclave_->client, kms_, store_, log_);
    ASSERT_TRUE(created);
    service_ = std::move(*created);
  }
  void SetUpKey() {
    const json body = {{"key_id", kAgreementKey}, {"blockhash", std::string(64, '0')}};
    ASSERT_EQ(Call(Post("/setup", body.dump())).status, 200U);
    const net::HttpResponse key = Call(Get("/public-key"));
    ASSERT_EQ(key.status, 200U);
    master_public_ = Hex(json::parse(key.body)["public_key"].get<std::string>());
  }
  static net::HttpRequest Get(std::string path) {
    net::HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.target = request.path;
    return request;
  }
  net::HttpResponse Call(const net::HttpRequest& request) {
    net::HttpResponse response = service_->Handle(request);
    ExpectSigned(*service_, response);
    return response;
  }
  testing::FakeKms kms_;
  testing::MemoryStore store_;
  testing::CaptureLog log_;
  std::unique_ptr<testing::SimulatedEnclave> enclave_;
  std::unique_ptr<KeyService> service_;
  Bytes master_public_;
};

TEST_F(ConfidentialScript, PublicKeyCarriesBothFields) {
  EXPECT_EQ(Call(Get("/public-key")).status, 404U);
  SetUpKey();
  const json body = json::parse(Call(Get("/public-key")).body);
  const Bytes uncompressed =
      core::Base64Decode(body["public-key-base64"].get<std::string>()).value();
  ASSERT_EQ(uncompressed.size(), 65U);
  ASSERT_EQ(master_public_.size(), 33U);
  EXPECT_EQ(master_public_[0], (uncompressed[64] & 1) != 0 ? 0x03 : 0x02);
  EXPECT_TRUE(
      std::equal(master_public_.begin() + 1, master_public_.end(), uncompressed.begin() + 1));
}

TEST_F(ConfidentialScript, SignsARealEmulatedSpendAsAKeyPathSpendOfTheRealOutput) {
  SetUpKey();
  const Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  const net::HttpResponse response = Call(Post("/verify-and-sign", RequestBody(s)));
  ASSERT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const json body = json::parse(response.body);
  auto signed_tx = TransactionFromJson(body["signed_tx"]);
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  ASSERT_EQ(signed_tx->inputs.size(), 2U);
  ASSERT_EQ(signed_tx->inputs[0].witness.size(), 1U);
  EXPECT_EQ(signed_tx->inputs[0].witness[0].size(), 64U);
  // The non-emulated input and everything but input 0's witness are untouched.
  EXPECT_EQ(signed_tx->inputs[1], s.tx.inputs[1]);
  bitcoin::Transaction unchanged = *signed_tx;
  unchanged.inputs[0].witness = s.tx.inputs[0].witness;
  EXPECT_EQ(unchanged, s.tx);
  EXPECT_TRUE(bitcoin::VerifyInput(*signed_tx, 0, s.spent, bitcoin::kKernelVerifyAll));
  // Signatures are randomised (fresh aux_rand) but both verify.
  const net::HttpResponse again = Call(Post("/verify-and-sign", RequestBody(s)));
  ASSERT_EQ(again.status, 200U);
  EXPECT_NE(again.body, response.body);
  // The JSON of spec 2.2: txid in display order, integers, hex witness items.
  const json input = body["signed_tx"]["input"][0];
  EXPECT_EQ(input["previous_output"], std::string(64, '1') + ":1");
  EXPECT_EQ(input["sequence"], 0xfffffffdU);
  EXPECT_EQ(body["signed_tx"]["output"][0]["value"], 150000);
  EXPECT_EQ(body["signed_tx"]["version"], 2);
}

TEST_F(ConfidentialScript, RefusesWrongPreimageWrongKeyAndModifiedOutput) {
  SetUpKey();
  const Bytes wrong_preimage{'c', 'l', 'o', 's', 'e'};
  const Spend bad_preimage = BuildSpend(master_public_, kUserSecret, wrong_preimage);
  net::HttpResponse response = Call(Post("/verify-and-sign", RequestBody(bad_preimage)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(response.body.rfind("Unable to sign: Verification failed: ", 0), 0U) << response.body;

  const Spend bad_key = BuildSpend(master_public_, kOtherUserSecret, kPreimage);
  response = Call(Post("/verify-and-sign", RequestBody(bad_key)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body.rfind("Unable to sign: Verification failed: ", 0), 0U) << response.body;

  Spend modified = BuildSpend(master_public_, kUserSecret, kPreimage);
  modified.tx.outputs[0].value -= 1;
  response = Call(Post("/verify-and-sign", RequestBody(modified)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body.rfind("Unable to sign: Verification failed: ", 0), 0U) << response.body;

  Spend missing = BuildSpend(master_public_, kUserSecret, kPreimage);
  missing.spent.clear();
  response = Call(Post("/verify-and-sign", RequestBody(missing)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body, "Unable to sign: Missing spent outputs");
}

TEST_F(ConfidentialScript, NoEmulatedInputLeavesTheTransactionAsItIs) {
  SetUpKey();
  Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  s.tx.inputs.erase(s.tx.inputs.begin());
  s.spent.erase(s.spent.begin());
  const net::HttpResponse response = Call(Post("/verify-and-sign", RequestBody(s)));
  ASSERT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(TransactionFromJson(json::parse(response.body)["signed_tx"]).value(), s.tx);
}

TEST_F(ConfidentialScript, BadBodiesGetClearErrors) {
  // Before setup (spec 2.3 step 1).
  const Spend early =
      BuildSpend(Hex("031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f"),
                 kUserSecret, kPreimage);
  net::HttpResponse response = Call(Post("/verify-and-sign", RequestBody(early)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body, "Secret not found. Make sure to call `/setup` first.");
  SetUpKey();
  const Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  EXPECT_EQ(Call(Post("/verify-and-sign", RequestBody(s), false)).status, 415U);
  EXPECT_EQ(Call(Post("/verify-and-sign", "{not json")).status, 400U);
  EXPECT_EQ(Call(Post("/verify-and-sign", "")).status, 400U);
  EXPECT_EQ(Call(Post("/verify-and-sign", "[]")).status, 422U);
  EXPECT_EQ(Call(Get("/verify-and-sign")).status, 405U);

  const json good = json::parse(RequestBody(s));
  const auto status_with = [&](const std::function<void(json&)>& change) {
    json body = good;
    change(body);
    const net::HttpResponse answer = Call(Post("/verify-and-sign", body.dump()));
    EXPECT_FALSE(answer.body.empty());
    return answer.status;
  };
  EXPECT_EQ(status_with([](json& b) { b.erase("backup_merkle_roots"); }), 422U);
  EXPECT_EQ(status_with([](json& b) { b.erase("actual_spent_outputs"); }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["version"] = "2"; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["version"] = 1LL << 33; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["lock_time"] = -1; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["input"] = "00"; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["input"][0]["witness"][0] = "0g"; }),
            422U);
  EXPECT_EQ(status_with([](json& b) { b["emulated_tx_to"]["input"][0]["witness"][0] = 7; }), 422U);
  EXPECT_EQ(
      status_with([](json& b) { b["emulated_tx_to"]["input"][0]["previous_output"] = "ab:1"; }),
      422U);
  EXPECT_EQ(status_with([](json& b) {
              b["emulated_tx_to"]["input"][0]["previous_output"] = std::string(64, 'a') + ":x";
            }),
            422U);
  EXPECT_EQ(status_with([](json& b) { b["actual_spent_outputs"][0]["value"] = -5; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["actual_spent_outputs"][0]["value"] = 1.5; }), 422U);
  EXPECT_EQ(status_with([](json& b) {
              b["backup_merkle_roots"] = {{"x", std::string(64, '0')}};
            }),
            422U);
  EXPECT_EQ(status_with([](json& b) { b["backup_merkle_roots"] = {{"0", "00"}}; }), 422U);
  EXPECT_EQ(status_with([](json& b) { b["backup_merkle_roots"] = json::array(); }), 422U);
  // A repeated key is malformed JSON for the strict parser.
  EXPECT_EQ(Call(Post("/verify-and-sign", R"({"a":1,"a":2})")).status, 400U);
  // Deep nesting and more than 4 MiB.
  EXPECT_EQ(
      Call(Post("/verify-and-sign", std::string(100000, '[') + std::string(100000, ']'))).status,
      400U);
  std::string huge = RequestBody(s);
  huge.append(kMaxVerifyAndSignBodyBytes, ' ');
  EXPECT_EQ(Call(Post("/verify-and-sign", huge)).status, 413U);
}

// T's max-weight test: 115,000 outputs {value 1, empty spk} exceed the default 4,000,000 WU.
TEST_F(ConfidentialScript, MaxWeight) {
  SetUpKey();
  Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  s.tx.outputs.assign(115000, bitcoin::TxOut{1, {}});
  const std::string body = RequestBody(s);
  ASSERT_LT(body.size(), kMaxVerifyAndSignBodyBytes);
  net::HttpResponse response = Call(Post("/verify-and-sign", body));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body, "Transaction exceeds max weight.");

  ServiceOptions options;
  options.max_weight = 200;
  Start(options);
  SetUpKey();
  const Spend small = BuildSpend(master_public_, kUserSecret, kPreimage);
  response = Call(Post("/verify-and-sign", RequestBody(small)));
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(response.body, "Transaction exceeds max weight.");
}

// The KMS shared secret Z of the fake KMS for the NUMS point `nums_compressed` (default: the
// zero blockhash's), by OpenSSL (P-256 ECDH).
Bytes IndependentSharedSecret(
    const Bytes& nums_compressed =
        Hex("0289090b5f48cad70205fd01609e9d0a42bf5a1a2a2e158a39ab2b4be2a4ce32c7")) {
  core::EcGroupPtr p256(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  core::EcPointPtr peer(EC_POINT_new(p256.get()));
  EXPECT_EQ(EC_POINT_oct2point(p256.get(), peer.get(), nums_compressed.data(),
                               nums_compressed.size(), nullptr),
            1);
  const Bytes scalar = Hex(kKmsScalarHex);
  core::BignumPtr d(BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr));
  core::EcPointPtr shared(EC_POINT_new(p256.get()));
  EXPECT_EQ(EC_POINT_mul(p256.get(), shared.get(), nullptr, peer.get(), d.get(), nullptr), 1);
  core::BignumPtr x(BN_new());
  EXPECT_EQ(EC_POINT_get_affine_coordinates(p256.get(), shared.get(), x.get(), nullptr, nullptr),
            1);
  Bytes out(32);
  EXPECT_EQ(BN_bn2binpad(x.get(), out.data(), 32), 32);
  return out;
}

// HKDF-SHA256 through OpenSSL's EVP_PKEY interface (the service uses EVP_KDF), then the
// secp256k1 public key of the result (compressed).
Bytes IndependentHkdfKey(const Bytes& z) {
  const std::string salt = "confidential-script-salt";
  const std::string info = "confidential-script-setup";
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  Bytes seed(32);
  std::size_t len = seed.size();
  EXPECT_EQ(EVP_PKEY_derive_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set1_hkdf_salt(ctx, reinterpret_cast<const unsigned char*>(salt.data()),
                                        static_cast<int>(salt.size())),
            1);
  EXPECT_EQ(EVP_PKEY_CTX_set1_hkdf_key(ctx, z.data(), static_cast<int>(z.size())), 1);
  EXPECT_EQ(EVP_PKEY_CTX_add1_hkdf_info(ctx, reinterpret_cast<const unsigned char*>(info.data()),
                                        static_cast<int>(info.size())),
            1);
  EXPECT_EQ(EVP_PKEY_derive(ctx, seed.data(), &len), 1);
  EVP_PKEY_CTX_free(ctx);
  core::EcGroupPtr k1(EC_GROUP_new_by_curve_name(NID_secp256k1));
  core::BignumPtr s(BN_bin2bn(seed.data(), 32, nullptr));
  EXPECT_TRUE(!BN_is_zero(s.get()) && BN_cmp(s.get(), EC_GROUP_get0_order(k1.get())) < 0);
  core::EcPointPtr pub(EC_POINT_new(k1.get()));
  EXPECT_EQ(EC_POINT_mul(k1.get(), pub.get(), s.get(), nullptr, nullptr, nullptr), 1);
  Bytes out(33);
  EC_POINT_point2oct(k1.get(), pub.get(), POINT_CONVERSION_COMPRESSED, out.data(), out.size(),
                     nullptr);
  return out;
}

// The master key from the blockhash-timestamped setup: the seed document's derivation by
// default, the upstream's HKDF step with "derivation": "hkdf" (spec 2.3 steps 1-5, vector E).
TEST_F(ConfidentialScript, SetupDerivationSeedAndHkdf) {
  auto nums = MakeNumsKey(core::Sha256Digest{});
  ASSERT_TRUE(nums);
  EXPECT_EQ(core::HexEncode(nums->compressed),
            "0289090b5f48cad70205fd01609e9d0a42bf5a1a2a2e158a39ab2b4be2a4ce32c7");
  EXPECT_EQ(core::HexEncode(nums->spki_der),
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004"
            "89090b5f48cad70205fd01609e9d0a42bf5a1a2a2e158a39ab2b4be2a4ce32c7"
            "6cf6596499fddf3d25cdd9de21b25cee86679ee93930921cb65771ce5f26ac16");
  SetUpKey();  // "derivation" absent: the seed document's
  const Bytes seed_uncompressed =
      testing::IndependentReproducibleKey(kKmsScalarHex, core::Sha256Digest{});
  EXPECT_EQ(core::HexEncode(ByteView(master_public_).subspan(1)),
            core::HexEncode(ByteView(seed_uncompressed).subspan(1, 32)));

  Start({});
  const json hkdf = {
      {"key_id", kAgreementKey}, {"blockhash", std::string(64, '0')}, {"derivation", "hkdf"}};
  ASSERT_EQ(Call(Post("/setup", hkdf.dump())).status, 200U);
  const Bytes hkdf_public =
      Hex(json::parse(Call(Get("/public-key")).body)["public_key"].get<std::string>());
  EXPECT_EQ(hkdf_public, IndependentHkdfKey(IndependentSharedSecret()));
  EXPECT_NE(hkdf_public, master_public_);
  {
    // A real (not palindromic) block hash: the TEE's NUMS key hashes it in internal byte
    // order. The point was computed independently (Python: SHA-256 of the 32-byte prefix, the
    // reversed hash and BE32(0); the first x on P-256 with prefix 02).
    Start({});
    const json real_block = {
        {"key_id", kAgreementKey},
        {"blockhash", "000000000000000000024bead8df69990852c202db0e0097c1a12ea637d7e96d"},
        {"derivation", "hkdf"}};
    ASSERT_EQ(Call(Post("/setup", real_block.dump())).status, 200U);
    const Bytes real_block_public =
        Hex(json::parse(Call(Get("/public-key")).body)["public_key"].get<std::string>());
    EXPECT_EQ(real_block_public,
              IndependentHkdfKey(IndependentSharedSecret(
                  Hex("02782621555093f0c69f2401421d65b1a2ec8770fcec0a33ba8e9d139157309f91"))));
    Start({});
    ASSERT_EQ(Call(Post("/setup", hkdf.dump())).status, 200U);
  }
  // verify-and-sign uses whichever key the setup made.
  const Spend s = BuildSpend(hkdf_public, kUserSecret, kPreimage);
  const net::HttpResponse response = Call(Post("/verify-and-sign", RequestBody(s)));
  ASSERT_EQ(response.status, 200U) << response.body;
  auto signed_tx = TransactionFromJson(json::parse(response.body)["signed_tx"]);
  ASSERT_TRUE(signed_tx);
  EXPECT_TRUE(bitcoin::VerifyInput(*signed_tx, 0, s.spent, bitcoin::kKernelVerifyAll));

  // "seed" is the default spelled out; anything else, or hkdf for a sealed key, is refused.
  Start({});
  json bad = hkdf;
  bad["derivation"] = "sha3";
  EXPECT_EQ(Call(Post("/setup", bad.dump())).status, 400U);
  bad["derivation"] = 1;
  EXPECT_EQ(Call(Post("/setup", bad.dump())).status, 400U);
  const json sealed = {{"mode", "sealed"}, {"key_id", kAgreementKey}, {"derivation", "hkdf"}};
  EXPECT_EQ(Call(Post("/v1/setup", sealed.dump())).status, 400U);
  bad["derivation"] = "seed";
  ASSERT_EQ(Call(Post("/setup", bad.dump())).status, 200U);
  EXPECT_EQ(Hex(json::parse(Call(Get("/public-key")).body)["public_key"].get<std::string>()),
            master_public_);
}

// Spec 3.2 D: the /secure/ key schedule.
TEST(ConfidentialScriptMiddleware, KeyScheduleVectors) {
  const Bytes client_pub =
      Hex("02531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337");
  EXPECT_EQ(core::HexEncode(bitcoin::XOnlyFromSecret(Bytes(32, 0x03)).value()),
            core::HexEncode(ByteView(client_pub).subspan(1)));
  auto key = MiddlewareKey(Bytes(32, 0x01), client_pub);
  ASSERT_TRUE(key);
  EXPECT_EQ(core::HexEncode(key->View()),
            "87fc0891fa088506eb1f0abf551832e2c6d61bacaab16bca8f792bcbd45240e2");
  auto wire = ConfidentialScriptHkdf(Bytes(32, 0x2a), "Middleware encryption key");
  ASSERT_TRUE(wire);
  EXPECT_EQ(core::HexEncode(wire->View()),
            "58d14161d152bbdda8e21ea37d816ed0c0a26af4fe8698261be704b08c1fa9d5");
  // Round trip; a wrong key, a flipped bit and a short message fail.
  const Bytes nonce(12, 0x5a);
  const Bytes text{'h', 'i'};
  auto sealed = SealMessage(key->View(), nonce, text);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->size(), 12U + 2U + 16U);
  EXPECT_EQ(OpenMessage(key->View(), *sealed).value(), text);
  EXPECT_FALSE(OpenMessage(wire->View(), *sealed));
  Bytes flipped = *sealed;
  flipped[13] ^= 1;
  EXPECT_EQ(OpenMessage(key->View(), flipped).error().detail, "Decryption failed");
  EXPECT_EQ(OpenMessage(key->View(), Bytes(11, 0)).error().detail, "Encrypted data missing nonce");
  EXPECT_FALSE(MiddlewareKey(Bytes(32, 0x01), Hex("02" + std::string(64, 'f'))));
}

TEST_F(ConfidentialScript, SecureEndpointRoundTripAndTamperedCiphertext) {
  net::HttpRequest early = Post("/secure/verify-and-sign", "x");
  net::HttpResponse response = Call(early);
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(json::parse(response.body)["error"], "Master key pair not initialized");
  SetUpKey();
  const Bytes client_secret(32, 0x03);
  const Bytes client_pub =
      Hex("02531fe6068134503d2723133227c867ac8fa6c83c537e9a44c3c5bdbdcb1fe337");
  // Client side: ECDH with the master public key gives the same key.
  auto key = MiddlewareKey(client_secret, master_public_);
  ASSERT_TRUE(key);
  const Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  const std::string plain = RequestBody(s);
  const Bytes sealed = SealMessage(key->View(), Bytes(12, 0x01), core::AsBytes(plain)).value();
  net::HttpRequest request =
      Post("/secure/verify-and-sign", std::string(sealed.begin(), sealed.end()));
  request.headers.emplace_back("x-client-public-key", core::HexEncode(client_pub));
  response = Call(request);
  ASSERT_EQ(response.status, 200U) << response.body;
  auto opened = OpenMessage(key->View(), core::AsBytes(response.body));
  ASSERT_TRUE(opened);
  const json body = json::parse(std::string(opened->begin(), opened->end()));
  auto signed_tx = TransactionFromJson(body["signed_tx"]);
  ASSERT_TRUE(signed_tx);
  EXPECT_TRUE(bitcoin::VerifyInput(*signed_tx, 0, s.spent, bitcoin::kKernelVerifyAll));

  // The handler's errors are encrypted too.
  const Spend bad = BuildSpend(master_public_, kUserSecret, Bytes{'n', 'o'});
  const std::string bad_plain = RequestBody(bad);
  const Bytes bad_sealed =
      SealMessage(key->View(), Bytes(12, 0x02), core::AsBytes(bad_plain)).value();
  request.body.assign(bad_sealed.begin(), bad_sealed.end());
  response = Call(request);
  EXPECT_EQ(response.status, 400U);
  opened = OpenMessage(key->View(), core::AsBytes(response.body));
  ASSERT_TRUE(opened);
  EXPECT_EQ(std::string(opened->begin(), opened->end()).rfind("Unable to sign: ", 0), 0U);

  // Tampered ciphertext, a missing nonce, a missing or malformed header: plain JSON errors.
  Bytes tampered = sealed;
  tampered[40] ^= 0x01;
  request.body.assign(tampered.begin(), tampered.end());
  response = Call(request);
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(json::parse(response.body)["error"], "Decryption failed: Decryption failed");
  request.body = "short";
  EXPECT_EQ(json::parse(Call(request).body)["error"],
            "Decryption failed: Encrypted data missing nonce");
  net::HttpRequest no_header =
      Post("/secure/verify-and-sign", std::string(sealed.begin(), sealed.end()));
  response = Call(no_header);
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(json::parse(response.body)["error"], "Missing X-Client-Public-Key header");
  no_header.headers.emplace_back("x-client-public-key", "zz");
  EXPECT_EQ(Call(no_header).status, 400U);
  net::HttpRequest bad_point =
      Post("/secure/verify-and-sign", std::string(sealed.begin(), sealed.end()));
  bad_point.headers.emplace_back("x-client-public-key", "02" + std::string(64, 'f'));
  response = Call(bad_point);
  EXPECT_EQ(response.status, 400U);
  EXPECT_EQ(
      json::parse(response.body)["error"].get<std::string>().rfind("Invalid public key format", 0),
      0U);
}

}  // namespace
}  // namespace enclavectl::app

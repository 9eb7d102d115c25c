// Issue 16 part 5, an independent check: a real emulated spend (a leaf with a user's key and a
// hash lock beside a backup leaf; the backup leaf is the real output's script path) is
// verified and signed by the key service's POST /verify-and-sign, and the result is checked by
// third-party code from npm (@scure/btc-signer 2.x with @noble/curves and @noble/hashes,
// tests/app/confidential_script_check.mjs): the real output's address printed by
// `enclavectl bitcoin address`, the BIP-341 key-path sighash of the signed input and the
// BIP-340 signature under the output key; the untouched non-emulated input; the refusals.
// npm packages are installed once into a scratch folder of the build tree; without npm access
// the test fails (it never skips).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "emulated_spend.hpp"
#include "enclavectl/app/confidential_script.hpp"
#include "enclavectl/app/service.hpp"
#include "enclavectl/bitcoin/confidential_script.hpp"
#include "enclavectl/bitcoin/hashes.hpp"
#include "enclavectl/bitcoin/keys.hpp"
#include "enclavectl/bitcoin/script.hpp"
#include "enclavectl/bitcoin/sighash.hpp"
#include "enclavectl/bitcoin/taproot.hpp"
#include "enclavectl/bitcoin/transaction.hpp"
#include "enclavectl/core/encoding.hpp"
#include "subprocess.hpp"

namespace enclavectl::app {
namespace {

namespace fs = std::filesystem;
using bitcoin::Hash256;
using core::Bytes;
using core::ByteView;
using nlohmann::json;

constexpr const char* kAgreementKey = "arn:aws:kms:us-east-1:111122223333:key/agree-1";
constexpr std::string_view kKmsScalarHex =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
// Pinned third-party versions (npm registry).
const std::vector<std::string> kNpmPackages = {"@scure/btc-signer@2.4.1", "@noble/curves@2.4.0",
                                               "@noble/hashes@2.4.0"};

Bytes Hex(std::string_view hex) { return testing::HexBytes(hex); }

net::HttpRequest Request(std::string method, std::string path, std::string body = {}) {
  net::HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  request.body = std::move(body);
  request.headers.emplace_back("content-type", "application/json");
  return request;
}

using testing::KeyLeaf;
using testing::UserLeaf;

const Bytes kUserSecret(32, 0x15);
const Bytes kOtherUserSecret(32, 0x16);
const Bytes kBackupSecret(32, 0x17);
const Bytes kPreimage{'h', 'a', 's', 'h', ' ', 'l', 'o', 'c', 'k'};

struct Spend {
  bitcoin::Transaction tx;
  std::vector<bitcoin::TxOut> spent;
  Hash256 emulated_root{};
  Hash256 backup_root{};
  Bytes backup_leaf;
};

// Input 0: the emulated spend by the user's leaf; input 1: an ordinary P2TR key-path input.
Spend BuildSpend(const Bytes& master_public, ByteView signer, ByteView preimage) {
  Spend s;
  const bitcoin::XOnlyKey user = bitcoin::XOnlyFromSecret(kUserSecret).value();
  const bitcoin::XOnlyKey backup = bitcoin::XOnlyFromSecret(kBackupSecret).value();
  const Bytes user_leaf = UserLeaf(user, kPreimage);
  s.backup_leaf = KeyLeaf(backup);
  const Hash256 user_hash = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, user_leaf);
  s.backup_root = bitcoin::TapLeafHash(bitcoin::kTapscriptLeafVersion, s.backup_leaf);
  s.emulated_root = bitcoin::TapBranchHash(user_hash, s.backup_root);
  const bitcoin::RealOutput real =
      bitcoin::GenerateAddress(master_public, s.emulated_root, s.backup_root, "regtest").value();
  bitcoin::ControlBlock control;
  control.internal_key = bitcoin::XOnlyFromSecret(Bytes(32, 0x12)).value();
  control.output_odd_y = bitcoin::TaprootOutputKey(control.internal_key, s.emulated_root)->odd_y;
  control.path = {s.backup_root};

  s.tx.version = 2;
  bitcoin::TxIn emulated;
  emulated.prevout.txid.fill(0x31);
  emulated.prevout.vout = 0;
  emulated.sequence = 0xfffffffd;
  bitcoin::TxIn other;
  other.prevout.txid.fill(0x32);
  other.prevout.vout = 3;
  other.witness = {Bytes(64, 0x33)};
  s.tx.inputs = {emulated, other};
  s.tx.outputs = {bitcoin::TxOut{120000, Hex("0014" + std::string(40, 'b'))},
                  bitcoin::TxOut{30000, real.script_pubkey}};
  s.tx.lock_time = 850000;
  const bitcoin::XOnlyKey other_key = bitcoin::XOnlyFromSecret(Bytes(32, 0x19)).value();
  s.spent = {bitcoin::TxOut{100000, real.script_pubkey},
             bitcoin::TxOut{60000, bitcoin::P2trScriptPubKey(other_key)}};
  bitcoin::TapscriptSighashContext leaf;
  leaf.tapleaf_hash = user_hash;
  const Hash256 sighash =
      bitcoin::TaprootSighash(s.tx, 0, bitcoin::kSighashDefault,
                              bitcoin::PrecomputeTxData(s.tx, s.spent), std::nullopt, &leaf)
          .value();
  const bitcoin::SchnorrSignature sig =
      bitcoin::SignSchnorr(signer, sighash, Bytes(32, 0x44)).value();
  s.tx.inputs[0].witness = {Bytes(preimage.begin(), preimage.end()), Bytes(sig.begin(), sig.end()),
                            user_leaf, bitcoin::EncodeControlBlock(control)};
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

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

class ConfidentialScriptNpm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new fs::path(NPM_SCRATCH_DIR);
    fs::create_directories(*scratch_);
    if (!fs::exists(*scratch_ / "node_modules" / "@scure" / "btc-signer" / "package.json")) {
      std::vector<std::string> argv = {"npm",        "install",   "--prefix",    scratch_->string(),
                                       "--no-audit", "--no-fund", "--save-exact"};
      argv.insert(argv.end(), kNpmPackages.begin(), kNpmPackages.end());
      const testing::CommandResult installed =
          testing::RunCommand(argv, testing::Environment({}), std::chrono::seconds(300));
      install_error_ = new std::string(
          installed.exit_code == 0 ? ""
                                   : "npm install failed (" + std::to_string(installed.exit_code) +
                                         "): " + installed.err + installed.out);
    }
    // ESM resolves packages next to the script: the checker runs from the scratch folder.
    fs::copy_file(CHECK_SCRIPT, *scratch_ / "check.mjs", fs::copy_options::overwrite_existing);
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete install_error_;
    scratch_ = nullptr;
    install_error_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(install_error_ == nullptr || install_error_->empty()) << *install_error_;
    kms_.AddAgreementKey(kAgreementKey, Hex(kKmsScalarHex));
    ServiceOptions options;
    options.version = "test";
    enclave_ = std::make_unique<testing::SimulatedEnclave>(Bytes(48, 0xa0));
    auto created = KeyService::Create(options, *enclave_->client, kms_, store_, log_);
    ASSERT_TRUE(created);
    service_ = std::move(*created);
    const json setup = {{"key_id", kAgreementKey}, {"blockhash", std::string(64, '0')}};
    ASSERT_EQ(service_->Handle(Request("POST", "/setup", setup.dump())).status, 200U);
    const net::HttpResponse key = service_->Handle(Request("GET", "/public-key"));
    ASSERT_EQ(key.status, 200U);
    master_public_ = Hex(json::parse(key.body)["public_key"].get<std::string>());
  }

  // The real output's address as `enclavectl bitcoin address` prints it.
  std::string CliAddress(const Spend& s) {
    const testing::CommandResult r = testing::RunCommand(
        {ENCLAVECTL_BINARY, "bitcoin", "address", "--parent-key", core::HexEncode(master_public_),
         "--emulated-root", core::HexEncode(s.emulated_root), "--backup-root",
         core::HexEncode(s.backup_root), "--network", "regtest"},
        testing::Environment({}), std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }

  // Runs the npm checker on `signed_tx`; returns its verdict.
  json Check(const Spend& s, const bitcoin::Transaction& signed_tx, const std::string& address) {
    json prevouts = json::array();
    for (const bitcoin::TxOut& out : s.spent) {
      prevouts.push_back(
          {{"amount", out.value}, {"script_pubkey", core::HexEncode(out.script_pubkey)}});
    }
    json untouched_witness = json::array();
    for (const Bytes& item : s.tx.inputs[1].witness) {
      untouched_witness.push_back(core::HexEncode(item));
    }
    const json input = {
        {"tx_hex", core::HexEncode(bitcoin::EncodeTransaction(signed_tx))},
        {"input_index", 0},
        {"prevouts", prevouts},
        {"master_public_key", core::HexEncode(master_public_)},
        {"emulated_root", core::HexEncode(s.emulated_root)},
        {"backup_leaf_script", core::HexEncode(s.backup_leaf)},
        {"backup_root", core::HexEncode(s.backup_root)},
        {"network", "regtest"},
        {"expected_address", address},
        {"untouched", json::array({{{"index", 1}, {"witness", untouched_witness}}})}};
    const fs::path case_path =
        *scratch_ /
        (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".json");
    {
      std::ofstream file(case_path);
      file << input.dump(2);
    }
    const testing::CommandResult r =
        testing::RunCommand({"node", (*scratch_ / "check.mjs").string(), case_path.string()},
                            testing::Environment({}), std::chrono::seconds(60));
    EXPECT_NE(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.exit_code, -1) << "node timed out";
    json verdict = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(verdict.is_discarded()) << r.out << r.err;
    EXPECT_EQ(verdict.value("ok", false), r.exit_code == 0) << r.out;
    return verdict;
  }

  bitcoin::Transaction SignedBy(const Spend& s) {
    const net::HttpResponse response =
        service_->Handle(Request("POST", "/verify-and-sign", RequestBody(s)));
    EXPECT_EQ(response.status, 200U) << response.body;
    auto signed_tx = TransactionFromJson(json::parse(response.body)["signed_tx"]);
    EXPECT_TRUE(signed_tx);
    return signed_tx ? *signed_tx : bitcoin::Transaction{};
  }

  static fs::path* scratch_;
  static std::string* install_error_;
  testing::FakeKms kms_;
  testing::MemoryStore store_;
  testing::CaptureLog log_;
  std::unique_ptr<testing::SimulatedEnclave> enclave_;
  std::unique_ptr<KeyService> service_;
  Bytes master_public_;
};

fs::path* ConfidentialScriptNpm::scratch_ = nullptr;
std::string* ConfidentialScriptNpm::install_error_ = nullptr;

TEST_F(ConfidentialScriptNpm, AddressSighashAndSignatureAgreeWithScureBtcSigner) {
  const Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  const std::string address = CliAddress(s);
  ASSERT_EQ(address.rfind("bcrt1p", 0), 0U) << address;
  const bitcoin::Transaction signed_tx = SignedBy(s);
  ASSERT_EQ(signed_tx.inputs.size(), 2U);
  const json verdict = Check(s, signed_tx, address);
  EXPECT_TRUE(verdict.value("address_ok", false)) << verdict.dump();
  EXPECT_TRUE(verdict.value("merkle_root_ok", false)) << verdict.dump();
  EXPECT_TRUE(verdict.value("script_pubkey_ok", false)) << verdict.dump();
  EXPECT_TRUE(verdict.value("signature_ok", false)) << verdict.dump();
  EXPECT_TRUE(verdict.value("untouched_ok", false)) << verdict.dump();
  EXPECT_TRUE(verdict.value("ok", false)) << verdict.dump();
  // The third party's sighash is ours (BIP-341 key path, SIGHASH_DEFAULT, real prevouts).
  const Hash256 ours =
      bitcoin::TaprootSighash(signed_tx, 0, bitcoin::kSighashDefault,
                              bitcoin::PrecomputeTxData(signed_tx, s.spent), std::nullopt, nullptr)
          .value();
  EXPECT_EQ(verdict.value("sighash", ""), core::HexEncode(ours));
  EXPECT_EQ(verdict.value("witness_items", 0), 1);
}

// The checker can say no: a signature over other bytes, or a changed output after signing.
TEST_F(ConfidentialScriptNpm, TheCheckerRefusesATamperedResult) {
  const Spend s = BuildSpend(master_public_, kUserSecret, kPreimage);
  const std::string address = CliAddress(s);
  bitcoin::Transaction flipped = SignedBy(s);
  ASSERT_EQ(flipped.inputs.size(), 2U);
  ASSERT_EQ(flipped.inputs[0].witness.size(), 1U);
  flipped.inputs[0].witness[0][10] ^= 0x01;
  json verdict = Check(s, flipped, address);
  EXPECT_FALSE(verdict.value("signature_ok", true)) << verdict.dump();
  EXPECT_FALSE(verdict.value("ok", true));

  bitcoin::Transaction changed = SignedBy(s);
  ASSERT_EQ(changed.outputs.size(), 2U);
  changed.outputs[0].value -= 1;
  verdict = Check(s, changed, address);
  EXPECT_FALSE(verdict.value("signature_ok", true)) << verdict.dump();

  bitcoin::Transaction other_input = SignedBy(s);
  other_input.inputs[1].witness = {Bytes(64, 0x34)};
  verdict = Check(s, other_input, address);
  EXPECT_TRUE(verdict.value("signature_ok", false)) << verdict.dump();
  EXPECT_FALSE(verdict.value("untouched_ok", true)) << verdict.dump();

  EXPECT_FALSE(Check(s, SignedBy(s), "bcrt1p" + std::string(58, 'q')).value("address_ok", true));
}

TEST_F(ConfidentialScriptNpm, WrongPreimageWrongKeyAndModifiedOutputAreRefused) {
  const auto refused = [&](const Spend& s) {
    const net::HttpResponse response =
        service_->Handle(Request("POST", "/verify-and-sign", RequestBody(s)));
    EXPECT_EQ(response.status, 400U);
    EXPECT_EQ(response.body.rfind("Unable to sign: Verification failed: ", 0), 0U) << response.body;
  };
  refused(BuildSpend(master_public_, kUserSecret, Bytes{'w', 'r', 'o', 'n', 'g'}));
  refused(BuildSpend(master_public_, kOtherUserSecret, kPreimage));
  Spend modified = BuildSpend(master_public_, kUserSecret, kPreimage);
  modified.tx.outputs[0].value += 1;
  refused(modified);
}

}  // namespace
}  // namespace enclavectl::app

// An independent check with ethers 6 (npm; tests/ethereum/ethers_check.mjs): for several keys
// and inputs, the personal_sign and digest signatures made here must recover the signer's
// address in ethers, the signed raw transactions must parse with Transaction.from into the
// same from/to/value/chainId/nonce/gasLimit/type/data/hash (and re-serialise to the same
// bytes), and every address must be ethers' EIP-55 form (getAddress, computeAddress). Tampered
// cases (a changed message, digest or signature) must fail there, so the checker cannot pass
// vacuously.
//
// ethers is installed once into the build tree (ETHERS_SCRATCH_DIR). Without npm access the
// test fails when CI=true and skips otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/address.hpp"
#include "enclavectl/ethereum/signing.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "subprocess.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::Hex;

// Pinned third-party version (npm registry).
constexpr const char* kEthersPackage = "ethers@6.17.0";

// wallet.md 4.3's keys, 1 and the EIP-155 example key.
constexpr const char* kSecrets[] = {
    "f89f23eaeac18252fedf81bb8318d3c111d48c19b0680dcf6e0a8d5136caf287",
    "a93701ea343247db13466f6448ffbca658726e2b4a77530db3eca3c9250b4f0d",
    "de61e35e2e5eb9504d52f5042126591d80144d49f74b8ced68f4959a3e8edffd",
    "56f01d5e01b6fd1cc123d8d1eae0d148e00c025b5be2ef624775f7a1b802e9c1",
    "363af8b4d3ff22bb0e4ffc2ff198b4b5be0316f8a507ad5fe32f021c3d1ae8ad",
    "0000000000000000000000000000000000000000000000000000000000000001",
    "4646464646464646464646464646464646464646464646464646464646464646",
};

bool InCi() {
  const char* ci = std::getenv("CI");  // NOLINT(concurrency-mt-unsafe): read before threads
  return ci != nullptr && std::string(ci) == "true";
}

std::vector<core::Bytes> Messages() {
  core::Bytes binary(300);
  for (std::size_t i = 0; i < binary.size(); ++i) {
    binary[i] = static_cast<std::uint8_t>((i * 7) & 0xffU);
  }
  const std::string utf8 = "Grüße, 世界: sign in to example.org\nnonce 42";
  return {core::Bytes{}, core::ToBytes(core::AsBytes("hello world")),
          core::ToBytes(core::AsBytes(utf8)), binary};
}

// Transactions as a wallet client would send them (JSON), for key number `k`.
std::vector<json> TransactionRequests(std::size_t k) {
  const std::string nonce = std::to_string(k);
  return {
      {{"chainId", 1},
       {"nonce", nonce},
       {"maxPriorityFeePerGas", "1500000000"},
       {"maxFeePerGas", "0x6fc23ac00"},
       {"gasLimit", 21000},
       {"to", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
       {"value", "1000000000000000000"}},
      {{"chain_id", "11155111"},
       {"nonce", "0x" + std::to_string(10 + k)},
       {"max_priority_fee_per_gas", "0x0"},
       {"max_fee_per_gas",
        "115792089237316195423570985008687907853269984665640564039457584007913129639935"},
       {"gas_limit", "0x186a0"},
       {"to", nullptr},
       {"data", "0x6080604052348015600f57600080fd5b50"},
       {"access_list",
        json::array({{{"address", "0xde709f2102306220921060314715629080e2fb77"},
                      {"storage_keys", {"0x" + std::string(64, '0'), "0x" + std::string(64, 'f')}}},
                     {{"address", "0x27b1fdb04752bbc536007a920d24acb045561c26"},
                      {"storage_keys", json::array()}}})}},
      {{"type", 0},
       {"chainId", 137},
       {"nonce", 0},
       {"gasPrice", "30000000000"},
       {"gasLimit", "60000"},
       {"to", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"},
       {"value", "0x1"},
       {"data", "0xa9059cbb000000000000000000000000"}},
      {{"gas_price", "1"},
       {"chain_id", "9223372036854775771"},  // EIP-2294's largest chain id: v needs 64 bits
       {"nonce", "9007199254740991"},        // ethers' largest nonce (2^53 - 1)
       {"gas_limit", 21000},
       {"to", "0x0000000000000000000000000000000000000000"},
       {"value", "0"}},
  };
}

json TransactionCase(const SignedTransaction& s) {
  return {{"raw", PrefixedHex(s.raw)},
          {"hash", PrefixedHex(s.hash)},
          {"from", ChecksumAddress(s.from)},
          {"to", s.tx.to ? json(ChecksumAddress(*s.tx.to)) : json(nullptr)},
          {"value", QuantityHex(s.tx.value)},
          {"chain_id", std::to_string(s.tx.chain_id)},
          {"nonce", std::to_string(s.tx.nonce)},
          {"gas_limit", std::to_string(s.tx.gas_limit)},
          {"type", static_cast<int>(s.tx.type)},
          {"data", PrefixedHex(s.tx.data)},
          {"expect_match", true}};
}

class EthersCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = new fs::path(ETHERS_SCRATCH_DIR);
    install_error_ = new std::string();
    fs::create_directories(*scratch_);
    if (!fs::exists(*scratch_ / "node_modules" / "ethers" / "package.json")) {
      const testing::CommandResult installed =
          testing::RunCommand({"npm", "install", "--prefix", scratch_->string(), "--no-audit",
                               "--no-fund", "--save-exact", kEthersPackage},
                              testing::Environment({}), std::chrono::seconds(300));
      if (installed.exit_code != 0) {
        *install_error_ = "npm install " + std::string(kEthersPackage) + " failed (" +
                          std::to_string(installed.exit_code) + "): " + installed.err +
                          installed.out;
      }
    }
    // ESM resolves "ethers" next to the script: the checker runs from the scratch folder.
    fs::copy_file(ETHERS_CHECK_SCRIPT, *scratch_ / "ethers_check.mjs",
                  fs::copy_options::overwrite_existing);
  }
  static void TearDownTestSuite() {
    delete scratch_;
    delete install_error_;
    scratch_ = nullptr;
    install_error_ = nullptr;
  }

  void SetUp() override {
    if (!install_error_->empty()) {
      if (InCi()) {
        FAIL() << *install_error_;
      }
      GTEST_SKIP() << "ethers is not available (and CI is not true): " << *install_error_;
    }
  }

  // Runs the checker on `cases`; returns its report.
  static json RunChecker(const json& cases) {
    const fs::path file = *scratch_ / ("cases-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << cases.dump(1);
    const testing::CommandResult r =
        testing::RunCommand({"node", (*scratch_ / "ethers_check.mjs").string(), file.string()},
                            testing::Environment({}), std::chrono::seconds(120));
    fs::remove(file);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    json report = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(report.is_discarded()) << r.out << r.err;
    return report;
  }

  static fs::path* scratch_;
  static std::string* install_error_;
};

fs::path* EthersCheck::scratch_ = nullptr;
std::string* EthersCheck::install_error_ = nullptr;

TEST_F(EthersCheck, SignaturesTransactionsAndAddressesVerifyInEthers) {
  json cases = {{"personal", json::array()},
                {"digest", json::array()},
                {"transactions", json::array()},
                {"addresses", json::array()}};
  std::size_t expected_checks = 0;
  for (std::size_t k = 0; k < std::size(kSecrets); ++k) {
    const core::Bytes secret = Hex(kSecrets[k]);
    const PublicKey64 key = *PublicKeyFromSecret(secret);
    const std::string address = ChecksumAddress(AddressOf(key));
    cases["addresses"].push_back(
        {{"address", address}, {"public_key", "0x04" + core::HexEncode(key)}});
    for (const core::Bytes& message : Messages()) {
      auto sig = SignPersonalMessage(secret, message);
      ASSERT_TRUE(sig);
      cases["personal"].push_back({{"message", PrefixedHex(message)},
                                   {"signature", PrefixedHex(*sig)},
                                   {"address", address},
                                   {"expect_match", true}});
      // Tampered: one more byte in the message.
      core::Bytes longer = message;
      longer.push_back('!');
      cases["personal"].push_back({{"message", PrefixedHex(longer)},
                                   {"signature", PrefixedHex(*sig)},
                                   {"address", address},
                                   {"expect_match", false}});
      const Hash256 digest = Keccak256Of(message);
      auto digest_sig = SignDigest(secret, digest);
      ASSERT_TRUE(digest_sig);
      for (std::uint8_t v_base : {std::uint8_t{0}, kLegacyVBase}) {
        cases["digest"].push_back({{"digest", PrefixedHex(digest)},
                                   {"signature", PrefixedHex(EncodeSignature(*digest_sig, v_base))},
                                   {"address", address},
                                   {"expect_match", true}});
      }
      Signature flipped = *digest_sig;
      flipped.recovery_id ^= 1U;  // the other candidate key: a different address
      cases["digest"].push_back({{"digest", PrefixedHex(digest)},
                                 {"signature", PrefixedHex(EncodeSignature(flipped, 27))},
                                 {"address", address},
                                 {"expect_match", false}});
      expected_checks += 5;
    }
    for (const json& request_json : TransactionRequests(k)) {
      auto request = TransactionFromJson(request_json);
      ASSERT_TRUE(request) << request_json.dump() << ": " << request.error().detail;
      auto signed_tx = SignTransactionRequest(*request, secret);
      ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
      json c = TransactionCase(*signed_tx);
      cases["transactions"].push_back(c);
      // Tampered: the hash claimed for another transaction.
      c["hash"] = PrefixedHex(Keccak256Of(core::AsBytes(c["raw"].get<std::string>())));
      c["expect_match"] = false;
      cases["transactions"].push_back(c);
      expected_checks += 2;
    }
    expected_checks += 1;
  }
  // EIP-55's own test cases, produced by our ChecksumAddress from lowercase.
  for (const char* text :
       {"0x52908400098527886E0F7030069857D2E4169EE7", "0xde709f2102306220921060314715629080e2fb77",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    cases["addresses"].push_back({{"address", ChecksumAddress(*ParseAddress(text))}});
    ++expected_checks;
  }
  const json report = RunChecker(cases);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report.value("checked", 0U), expected_checks);
  EXPECT_TRUE(report["failures"].empty()) << report["failures"].dump(1);
  EXPECT_EQ(report.value("ethers", ""), "6.17.0");
}

}  // namespace
}  // namespace enclavectl::ethereum

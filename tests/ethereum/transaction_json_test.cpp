// Transactions from JSON: both spellings and every quantity form give the same transaction
// (and ethers' raw bytes); every wrong type, value, size and combination is refused with its
// code, never an exception.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using nlohmann::json;

// ethers' raw bytes for this transaction and key: see transaction_test.cpp.
constexpr const char* kEip1559Raw =
    "02f8730107847735940085174876e800825208945aaeb6053f3e94c9b9a09f33669435e7ef1beaed880de0b6b3a76"
    "4000080c080a02bee0415c06dc920ea8eda0b97bb303237c1629d367fd4817d333665dc890068a0734f46e9ba3de4"
    "1bf7d44e1ea5a24379e885110bd3f145d535d311feb835d122";

json SnakeCase() {
  return {{"chain_id", 1},
          {"nonce", "7"},
          {"max_priority_fee_per_gas", "2000000000"},
          {"max_fee_per_gas", "0x174876e800"},
          {"gas_limit", 21000},
          {"to", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
          {"value", "1000000000000000000"},
          {"data", "0x"},
          {"access_list", json::array()}};
}

json CamelCase() {
  return {{"type", 2},
          {"chainId", "0x1"},
          {"nonce", "0x7"},
          {"maxPriorityFeePerGas", "0x77359400"},
          {"maxFeePerGas", "100000000000"},
          {"gasLimit", "0x5208"},
          {"to", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
          {"value", "0xde0b6b3a7640000"},
          {"accessList", json::array()},
          {"from", "0x9141B7539E7902872095C408BfA294435e2b8c8a"}};
}

TEST(TransactionJson, BothSpellingsGiveEthersBytes) {
  for (const json& value : {SnakeCase(), CamelCase()}) {
    auto request = ParseTransactionJson(value.dump());
    ASSERT_TRUE(request) << request.error().detail;
    auto signed_tx = SignTransactionRequest(*request, test::kSecretF89f);
    ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
    EXPECT_EQ(core::HexEncode(signed_tx->raw), kEip1559Raw) << value.dump();
  }
}

TEST(TransactionJson, LegacyAndCreation) {
  const json legacy = {{"chainId", 1},
                       {"nonce", 9},
                       {"gasPrice", "20000000000"},
                       {"gasLimit", 21000},
                       {"to", "0x3535353535353535353535353535353535353535"},
                       {"value", "1000000000000000000"}};
  auto request = ParseTransactionJson(legacy.dump());
  ASSERT_TRUE(request) << request.error().detail;
  EXPECT_EQ(request->tx.type, TxType::kLegacy);
  auto signed_tx = SignTransaction(request->tx, test::kSecret4646);
  ASSERT_TRUE(signed_tx);
  EXPECT_EQ(core::HexEncode(signed_tx->hash),
            "33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");

  json creation = SnakeCase();
  creation["to"] = nullptr;
  creation["data"] = "0x6001600055";
  creation["access_list"] = json::array({{{"address", "0xde709f2102306220921060314715629080e2fb77"},
                                          {"storage_keys", {"0x" + std::string(63, '0') + "1"}}}});
  auto created = ParseTransactionJson(creation.dump());
  ASSERT_TRUE(created) << created.error().detail;
  EXPECT_FALSE(created->tx.to.has_value());
  ASSERT_EQ(created->tx.access_list.size(), 1U);
  EXPECT_EQ(created->tx.access_list[0].storage_keys.size(), 1U);
  creation.erase("to");
  EXPECT_TRUE(ParseTransactionJson(creation.dump()));
}

TEST(TransactionJson, TreesBuiltInCodeReadLikeParsedText) {
  // nlohmann keeps 1 as a signed integer when a tree is built in C++, unsigned when parsed.
  auto built = TransactionFromJson(SnakeCase());
  ASSERT_TRUE(built) << built.error().detail;
  auto parsed = ParseTransactionJson(SnakeCase().dump());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(built->tx, parsed->tx);
  json negative = SnakeCase();
  negative["nonce"] = -1;
  auto refused = TransactionFromJson(negative);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kEthTxFieldInvalid);
}

TEST(TransactionJson, QuantitiesUpTo256Bits) {
  json value = SnakeCase();
  value["value"] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  auto max = ParseTransactionJson(value.dump());
  ASSERT_TRUE(max) << max.error().detail;
  EXPECT_EQ(max->tx.value, core::Bytes(32, 0xff));
  value["value"] = "0x" + std::string(64, 'f');
  EXPECT_EQ(ParseTransactionJson(value.dump())->tx.value, core::Bytes(32, 0xff));
  value["value"] = "0";
  EXPECT_TRUE(ParseTransactionJson(value.dump())->tx.value.empty());
  value["value"] = "0x0";
  EXPECT_TRUE(ParseTransactionJson(value.dump())->tx.value.empty());
}

struct Refusal {
  const char* why;
  std::function<void(json&)> edit;
  ErrorCode code;
};

TEST(TransactionJson, RefusesEveryBadInput) {
  const std::string big_hex = "0x" + std::string(2 * core::limits::kMaxEthTxDataBytes + 2, '0');
  const Refusal cases[] = {
      {"not an object", [](json& j) { j = json::array(); }, ErrorCode::kEthTxJsonInvalid},
      {"unknown member", [](json& j) { j["gas"] = 1; }, ErrorCode::kEthTxJsonInvalid},
      {"both spellings", [](json& j) { j["chainId"] = 1; }, ErrorCode::kEthTxJsonInvalid},
      {"no nonce", [](json& j) { j.erase("nonce"); }, ErrorCode::kEthTxJsonInvalid},
      {"no gas limit", [](json& j) { j.erase("gas_limit"); }, ErrorCode::kEthTxJsonInvalid},
      {"no chain id", [](json& j) { j.erase("chain_id"); }, ErrorCode::kEthTxChainId},
      {"chain id 0", [](json& j) { j["chain_id"] = 0; }, ErrorCode::kEthTxChainId},
      {"chain id above 64 bits", [](json& j) { j["chain_id"] = "0x10000000000000000"; },
       ErrorCode::kEthTxChainId},
      {"chain id above EIP-2294", [](json& j) { j["chain_id"] = "9223372036854775772"; },
       ErrorCode::kEthTxChainId},
      {"type 1", [](json& j) { j["type"] = 1; }, ErrorCode::kEthTxTypeUnsupported},
      {"type 0 with 1559 fees", [](json& j) { j["type"] = "0x0"; },
       ErrorCode::kEthTxTypeUnsupported},
      {"type 2 with gas price",
       [](json& j) {
         j["type"] = 2;
         j["gas_price"] = 1;
       },
       ErrorCode::kEthTxTypeUnsupported},
      {"gas price and 1559 fees", [](json& j) { j["gas_price"] = 1; },
       ErrorCode::kEthTxTypeUnsupported},
      {"no fee at all",
       [](json& j) {
         j.erase("max_fee_per_gas");
         j.erase("max_priority_fee_per_gas");
       },
       ErrorCode::kEthTxJsonInvalid},
      {"only one 1559 fee", [](json& j) { j.erase("max_fee_per_gas"); },
       ErrorCode::kEthTxJsonInvalid},
      {"fractional value", [](json& j) { j["value"] = 1.5; }, ErrorCode::kEthTxFieldInvalid},
      {"negative value", [](json& j) { j["value"] = -1; }, ErrorCode::kEthTxFieldInvalid},
      {"boolean value", [](json& j) { j["value"] = true; }, ErrorCode::kEthTxJsonInvalid},
      {"hex with a leading zero", [](json& j) { j["value"] = "0x01"; },
       ErrorCode::kEthTxFieldInvalid},
      {"decimal with a leading zero", [](json& j) { j["value"] = "01"; },
       ErrorCode::kEthTxFieldInvalid},
      {"decimal with a sign", [](json& j) { j["value"] = "+1"; }, ErrorCode::kEthTxFieldInvalid},
      {"empty quantity", [](json& j) { j["value"] = ""; }, ErrorCode::kEthTxFieldInvalid},
      {"bare 0x quantity", [](json& j) { j["value"] = "0x"; }, ErrorCode::kEthTxFieldInvalid},
      {"non-hex quantity", [](json& j) { j["value"] = "0x1g"; }, ErrorCode::kEthTxFieldInvalid},
      {"2^256 in decimal",
       [](json& j) {
         j["value"] =
             "115792089237316195423570985008687907853269984665640564039457584007913129639936";
       },
       ErrorCode::kEthTxFieldInvalid},
      {"65 hex digits", [](json& j) { j["value"] = "0x1" + std::string(64, '0'); },
       ErrorCode::kEthTxFieldInvalid},
      {"nonce above 64 bits", [](json& j) { j["nonce"] = "18446744073709551616"; },
       ErrorCode::kEthTxFieldInvalid},
      {"tip above fee cap", [](json& j) { j["max_priority_fee_per_gas"] = "100000000001"; },
       ErrorCode::kEthTxFieldInvalid},
      {"to with a bad checksum",
       [](json& j) { j["to"] = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; },
       ErrorCode::kEthAddressChecksum},
      {"to too short", [](json& j) { j["to"] = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"; },
       ErrorCode::kEthAddressInvalid},
      {"to as a number", [](json& j) { j["to"] = 5; }, ErrorCode::kEthTxJsonInvalid},
      {"data without 0x", [](json& j) { j["data"] = "00"; }, ErrorCode::kEthTxFieldInvalid},
      {"odd-length data", [](json& j) { j["data"] = "0x0"; }, ErrorCode::kEthTxFieldInvalid},
      {"data too large", [&](json& j) { j["data"] = big_hex; }, ErrorCode::kEthTxFieldInvalid},
      {"access list not an array", [](json& j) { j["access_list"] = json::object(); },
       ErrorCode::kEthTxJsonInvalid},
      {"access list entry with an unknown member",
       [](json& j) {
         j["access_list"] = json::array({{{"address", "0xde709f2102306220921060314715629080e2fb77"},
                                          {"storage_keys", json::array()},
                                          {"x", 1}}});
       },
       ErrorCode::kEthTxJsonInvalid},
      {"access list entry without keys",
       [](json& j) {
         j["access_list"] =
             json::array({{{"address", "0xde709f2102306220921060314715629080e2fb77"}}});
       },
       ErrorCode::kEthTxJsonInvalid},
      {"a 31-byte storage key",
       [](json& j) {
         j["access_list"] = json::array({{{"address", "0xde709f2102306220921060314715629080e2fb77"},
                                          {"storageKeys", {"0x" + std::string(62, '1')}}}});
       },
       ErrorCode::kEthTxFieldInvalid},
      {"from with a bad checksum",
       [](json& j) { j["from"] = "0x9141b7539E7902872095C408BfA294435e2b8c8a"; },
       ErrorCode::kEthAddressChecksum},
  };
  for (const Refusal& c : cases) {
    json value = SnakeCase();
    c.edit(value);
    auto request = ParseTransactionJson(value.dump());
    ASSERT_FALSE(request) << c.why;
    EXPECT_EQ(request.error().code, c.code) << c.why << ": " << request.error().detail;
  }
}

TEST(TransactionJson, RefusesBadTextAndOversizedInput) {
  for (const char* text : {"", "{", "{\"nonce\": 1, \"nonce\": 2}", "[1,", "nul"}) {
    auto request = ParseTransactionJson(text);
    ASSERT_FALSE(request) << text;
    EXPECT_EQ(request.error().code, ErrorCode::kEthTxJsonInvalid) << text;
  }
  const std::string huge(core::limits::kMaxEthTxJsonBytes + 1, ' ');
  auto request = ParseTransactionJson(huge);
  ASSERT_FALSE(request);
  EXPECT_EQ(request.error().code, ErrorCode::kInputTooLarge);
}

}  // namespace
}  // namespace enclavectl::ethereum

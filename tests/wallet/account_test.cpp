// The account model and its DynamoDB rows (wallet/account.hpp): the three dialects of
// wallet.md 2.7, strictness (types, sizes, ambiguity, missing attributes) and validation.
#include "enclavectl/wallet/account.hpp"

#include <gtest/gtest.h>

#include "wallet_test_util.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;

ItemAttribute S(std::string value) { return ItemAttribute{"S", std::move(value)}; }

TEST(WalletAccount, ReadmeRoundTrip) {
  const Account account = testing::SampleAccount("UID10000");
  ASSERT_TRUE(ValidateAccount(account));
  const Item item = EncodeAccountItem(account);
  EXPECT_EQ(item.at("KeyId"), S(account.key_id));
  EXPECT_EQ(item.at("Name"), S("UID10000"));
  EXPECT_EQ(item.at("Address"), S(account.address));
  EXPECT_EQ(item.at("EncryptedPrivateKey"), S(account.encrypted_private_key));
  EXPECT_EQ(item.at("EncryptedDataKey"), S(account.encrypted_data_key));
  EXPECT_EQ(*DetectDialect(item), Dialect::kReadme);
  auto decoded = DecodeAccountItem(item);
  ASSERT_TRUE(decoded) << decoded.error().detail;
  EXPECT_EQ(*decoded, account);
}

TEST(WalletAccount, ReadsAllThreeDialects) {
  const Account account = testing::SampleAccount("UID10000");
  for (const Dialect dialect : {Dialect::kReadme, Dialect::kPython, Dialect::kRustParent}) {
    const Item item = EncodeAccountItem(account, dialect);
    EXPECT_EQ(*DetectDialect(item), dialect) << DialectName(dialect);
    auto decoded = DecodeAccountItem(item);
    ASSERT_TRUE(decoded) << DialectName(dialect) << ": " << decoded.error().detail;
    EXPECT_EQ(*decoded, account);
  }
  // The seeds' literal spellings.
  const Item rust = {{"name", S("UID10000")},
                     {"key_id", S(account.key_id)},
                     {"encryptedPrivateKey", S(account.encrypted_private_key)},
                     {"address", S(account.address)},
                     {"encryptedDataKey", S(account.encrypted_data_key)}};
  EXPECT_EQ(DecodeAccountItem(rust)->key_id, account.key_id);
  Item python = rust;
  python.erase("key_id");
  python.emplace("keyId", S("k2"));
  EXPECT_EQ(DecodeAccountItem(python)->key_id, "k2");
}

TEST(WalletAccount, KeysPerDialect) {
  EXPECT_EQ(AccountKeyItem("k", "n", Dialect::kReadme).size(), 2U);
  EXPECT_EQ(AccountKeyItem("k", "n", Dialect::kPython).at("keyId"), S("k"));
  const Item rust = AccountKeyItem("k", "n", Dialect::kRustParent);
  EXPECT_EQ(rust.size(), 1U);
  EXPECT_EQ(rust.at("name"), S("n"));
}

TEST(WalletAccount, UnknownAttributesAreIgnoredAndOursAreRead) {
  Account account = testing::SampleAccount("a");
  account.created_at = "2026-12-07T03:00:00Z";
  Item item = EncodeAccountItem(account);
  item.emplace("Extra", ItemAttribute{"N", "5"});
  EXPECT_EQ(*DecodeAccountItem(item), account);
}

TEST(WalletAccount, MissingNonSOversizedOrAmbiguousItemsAreMalformed) {
  const Item good = EncodeAccountItem(testing::SampleAccount("a"));
  auto code = [](const Item& item) { return DecodeAccountItem(item).error().code; };
  for (const char* attribute : {"Address", "EncryptedPrivateKey", "EncryptedDataKey", "KeyId"}) {
    Item item = good;
    item.erase(attribute);
    EXPECT_EQ(code(item), ErrorCode::kWalletItemMalformed) << attribute;
    item.emplace(attribute, ItemAttribute{"B", "AAAA"});
    EXPECT_EQ(code(item), ErrorCode::kWalletItemMalformed) << attribute;
  }
  Item both = good;
  both.emplace("name", S("a"));
  EXPECT_EQ(code(both), ErrorCode::kWalletItemMalformed);
  EXPECT_EQ(code(Item{}), ErrorCode::kWalletItemMalformed);
  Item both_ids = EncodeAccountItem(testing::SampleAccount("a"), Dialect::kPython);
  both_ids.emplace("key_id", S("x"));
  EXPECT_EQ(code(both_ids), ErrorCode::kWalletItemMalformed);
  Item no_id = both_ids;
  no_id.erase("key_id");
  no_id.erase("keyId");
  EXPECT_EQ(code(no_id), ErrorCode::kWalletItemMalformed);
  Item big = good;
  big.emplace("Padding", S(std::string(kMaxAttributeValueLen + 1, 'x')));
  EXPECT_EQ(code(big), ErrorCode::kWalletItemMalformed);
  Item many = good;
  for (int i = 0; i < 64; ++i) {
    many.emplace("X" + std::to_string(i), S("x"));
  }
  EXPECT_EQ(code(many), ErrorCode::kWalletItemMalformed);
}

TEST(WalletAccount, FieldValuesAreValidated) {
  auto code = [](const Account& account) { return ValidateAccount(account).error().code; };
  Account a = testing::SampleAccount("a");
  a.name = "";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a.name = "tab\there";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a.name = std::string(256, 'n');
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a = testing::SampleAccount("a");
  a.key_id = "";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a = testing::SampleAccount("a");
  a.address = "0x9141B7539E7902872095C408BfA294435e2b8c8A";  // checksum typo
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a = testing::SampleAccount("a");
  a.encrypted_data_key = "not base64";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a.encrypted_data_key = std::string(8196, 'A');
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a = testing::SampleAccount("a");
  a.format = EnvelopeFormat::kHardenedV1;  // the text is legacy
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a = testing::SampleAccount("a");
  a.encrypted_private_key = "#";
  EXPECT_EQ(code(a), ErrorCode::kWalletEnvelopeMalformed);
  a = testing::SampleAccount("a");
  a.owner_key = "04zz";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  // A SEC1 key is not an owner key: owner keys are x-only (BIP-340).
  a.owner_key =
      "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e"
      "1108a8fd17b448a68554199c47d08ffb10d4b8";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  // A valid x-only key, but the sample's envelope is legacy, which binds nothing.
  a.owner_key = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
  a.owner_key.reset();
  EXPECT_TRUE(ValidateAccount(a));
  a.created_at = "";
  EXPECT_EQ(code(a), ErrorCode::kWalletAccountInvalid);
}

}  // namespace
}  // namespace enclavectl::wallet

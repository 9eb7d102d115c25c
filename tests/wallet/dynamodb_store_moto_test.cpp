// The DynamoDB client and account store end to end against moto_server on loopback (started
// once for this binary): CreateTable, the conditional put (create-once), GetItem, Query and
// Scan pagination with Limit, rows written raw in the other two dialects of wallet.md 2.7 read
// through the store, and DynamoDB's errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/dynamodb_client.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/wallet/io/dynamodb_store.hpp"
#include "moto_server.hpp"
#include "wallet_test_util.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using enclavectl::testing::MotoServer;

class NoSleep final : public aws::Sleeper {
 public:
  void SleepMs(std::int64_t /*ms*/) override {}
};

class DynamoMoto : public ::testing::Test {
 protected:
  DynamoMoto() {
    credentials_.access_key_id = "AKIDMOTOTEST";
    credentials_.secret_access_key =
        core::SecretBytes(core::AsBytes(std::string("moto-secret-never-printed")));
    options_.endpoint = *aws::ResolveDynamoDbEndpoint(MotoServer::Url(), "us-east-1", env_);
    options_.retry = aws::RetryPolicy{2, 10, 50};
    client_ =
        std::make_unique<aws::DynamoDbClient>(options_, transport_, credentials_, clock_, sleeper_);
  }

  // A fresh table per test, in `dialect`.
  std::unique_ptr<DynamoDbAccountStore> NewStore(Dialect dialect = Dialect::kReadme) {
    const std::string table = std::string("Accounts-") +
                              ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                              "-" + std::string(DialectName(dialect));
    auto store =
        std::make_unique<DynamoDbAccountStore>(*client_, DynamoDbStoreOptions{table, dialect});
    auto created = store->CreateTable();
    EXPECT_TRUE(created) << (created ? "" : created.error().detail);
    table_ = table;
    return store;
  }

  aws::MapEnvironment env_;
  aws::CurlTransport transport_{"enclavectl-test"};
  NoSleep sleeper_;
  core::io::SystemClock clock_;
  aws::AwsCredentials credentials_;
  aws::AwsJsonClientOptions options_;
  std::unique_ptr<aws::DynamoDbClient> client_;
  std::string table_;
};

TEST_F(DynamoMoto, PutGetAndCreateOnce) {
  auto store = NewStore();
  Account account = testing::SampleAccount("UID10000");
  account.created_at = "2026-12-07T03:00:00Z";
  ASSERT_TRUE(store->Put(account));
  auto read = store->Get("alias/wallet", "UID10000");
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_EQ(*read, account);
  // The row is in the README spelling.
  auto raw = client_->GetItem(
      {table_,
       {{"KeyId", aws::DynamoString("alias/wallet")}, {"Name", aws::DynamoString("UID10000")}}});
  ASSERT_TRUE(raw && raw->has_value());
  EXPECT_EQ((**raw).at("Address"), aws::DynamoString(testing::kSampleAddress));
  EXPECT_EQ((**raw).at("EncryptedPrivateKey"), aws::DynamoString(testing::kSampleEnvelope));
  // A second put of the name is refused; the first row stays.
  Account second = account;
  second.encrypted_data_key = "AAAA";
  auto put = store->Put(second);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kWalletAccountExists);
  EXPECT_EQ(store->Get("alias/wallet", "UID10000")->encrypted_data_key, testing::kSampleBlobB64);
  // The raw client reports the condition itself.
  auto raw_put = client_->PutItem({table_, ToDynamoItem(EncodeAccountItem(account)), "Name"});
  EXPECT_EQ(raw_put.error().code, ErrorCode::kDynamoDbConditionFailed);
  EXPECT_EQ(store->Get("alias/wallet", "absent").error().code, ErrorCode::kWalletAccountNotFound);
  EXPECT_EQ(*client_->DescribeTable(table_), "ACTIVE");
}

TEST_F(DynamoMoto, QueryAndScanPaginate) {
  auto store = NewStore();
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(store->Put(testing::SampleAccount("acct-" + std::to_string(100 + i))));
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store->Put(testing::SampleAccount("o-" + std::to_string(i), "alias/other")));
  }
  auto first = store->List(ListRequest{std::string("alias/wallet"), 10, std::nullopt});
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->accounts.size(), 10U);
  ASSERT_TRUE(first->next);
  EXPECT_EQ(first->next->key_id, "alias/wallet");
  auto queried = ListAllAccounts(*store, std::string("alias/wallet"), 1000, 5);  // a Query
  ASSERT_TRUE(queried) << queried.error().detail;
  EXPECT_EQ(queried->size(), 23U);
  auto scanned = ListAllAccounts(*store, std::nullopt, 1000, 4);  // a Scan
  ASSERT_TRUE(scanned) << scanned.error().detail;
  EXPECT_EQ(scanned->size(), 27U);
}

TEST_F(DynamoMoto, ReadsRowsWrittenInTheOtherDialects) {
  const Account account = testing::SampleAccount("UID10000");
  // B's Rust parent: table keyed by name, attributes name/key_id/... (written raw).
  auto rust = NewStore(Dialect::kRustParent);
  const aws::DynamoItem rust_row = {
      {"name", aws::DynamoString("UID10000")},
      {"key_id", aws::DynamoString("alias/wallet")},
      {"encryptedPrivateKey", aws::DynamoString(testing::kSampleEnvelope)},
      {"address", aws::DynamoString(testing::kSampleAddress)},
      {"encryptedDataKey", aws::DynamoString(testing::kSampleBlobB64)}};
  ASSERT_TRUE(client_->PutItem({table_, rust_row, std::nullopt}));
  auto read = rust->Get("alias/wallet", "UID10000");
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_EQ(*read, account);
  EXPECT_EQ(rust->Get("alias/other", "UID10000").error().code, ErrorCode::kWalletAccountNotFound);
  auto listed = ListAllAccounts(*rust, std::string("alias/wallet"));
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1U);
  // F-Python: HASH keyId, RANGE name.
  auto python = NewStore(Dialect::kPython);
  aws::DynamoItem python_row = rust_row;
  python_row.erase("key_id");
  python_row.emplace("keyId", aws::DynamoString("alias/wallet"));
  ASSERT_TRUE(client_->PutItem({table_, python_row, std::nullopt}));
  auto read_python = python->Get("alias/wallet", "UID10000");
  ASSERT_TRUE(read_python) << read_python.error().detail;
  EXPECT_EQ(*read_python, account);
  // A row with a non-S attribute is refused when read.
  aws::DynamoItem bad = python_row;
  bad["name"] = aws::DynamoString("bad");
  bad["address"] = aws::DynamoValue{"N", "1"};
  ASSERT_TRUE(client_->PutItem({table_, bad, std::nullopt}));
  EXPECT_EQ(python->Get("alias/wallet", "bad").error().code, ErrorCode::kWalletItemMalformed);
}

TEST_F(DynamoMoto, DynamoErrors) {
  DynamoDbAccountStore missing(*client_, DynamoDbStoreOptions{"NoSuchTable", Dialect::kReadme});
  EXPECT_EQ(missing.Get("k", "n").error().code, ErrorCode::kDynamoDbTableNotFound);
  auto store = NewStore();
  EXPECT_EQ(store->CreateTable().error().code, ErrorCode::kDynamoDbError);  // in use
  EXPECT_EQ(client_->DescribeTable("x").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace enclavectl::wallet

// moto starts once for this binary (registered before gtest_main runs the tests).
[[maybe_unused]] const ::testing::Environment* const kMoto = ::testing::AddGlobalTestEnvironment(
    new enclavectl::testing::MotoServer());  // NOLINT: gtest owns it

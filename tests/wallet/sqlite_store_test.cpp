// The SQLite account store (wallet/io/sqlite_store.hpp): round trip, create-once, listing
// many accounts page by page, reopening, file mode 0600, and rows edited by hand.
#include "enclavectl/wallet/io/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "wallet_test_util.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;

class SqliteStore : public ::testing::Test {
 protected:
  SqliteStore()
      : dir_(std::filesystem::temp_directory_path() /
             ("enclavectl-wallet-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "accounts.db").string();
  }
  ~SqliteStore() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteAccountStore> OpenStore() {
    auto store = SqliteAccountStore::Open(path_);
    EXPECT_TRUE(store) << (store ? "" : store.error().detail);
    return store ? std::move(*store) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStore, RoundTripAndFileMode) {
  ::umask(022);
  auto store = OpenStore();
  ASSERT_TRUE(store);
  Account account = testing::SampleAccount("UID10000");
  account.created_at = "2026-12-07T03:00:00Z";
  ASSERT_TRUE(store->Put(account));
  auto read = store->Get("alias/wallet", "UID10000");
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_EQ(*read, account);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  EXPECT_EQ(store->Get("alias/wallet", "absent").error().code, ErrorCode::kWalletAccountNotFound);
  EXPECT_EQ(store->Get("alias/other", "UID10000").error().code, ErrorCode::kWalletAccountNotFound);
}

TEST_F(SqliteStore, ADuplicateIsRefusedAndTheFirstKept) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put(testing::SampleAccount("a")));
  Account second = testing::SampleAccount("a");
  second.encrypted_data_key = "AAAA";
  auto put = store->Put(second);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kWalletAccountExists);
  EXPECT_EQ(store->Get("alias/wallet", "a")->encrypted_data_key, testing::kSampleBlobB64);
  // The same name under another key id is another account.
  EXPECT_TRUE(store->Put(testing::SampleAccount("a", "alias/other")));
  // An invalid account never reaches the file.
  EXPECT_EQ(store->Put(testing::SampleAccount("")).error().code, ErrorCode::kWalletAccountInvalid);
}

TEST_F(SqliteStore, ListsManyAccountsByPagesAndSurvivesReopen) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store);
    for (int i = 0; i < 250; ++i) {
      ASSERT_TRUE(store->Put(testing::SampleAccount("acct-" + std::to_string(1000 + i))));
    }
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE(store->Put(testing::SampleAccount("x" + std::to_string(i), "alias/other")));
    }
  }
  auto store = OpenStore();  // reopened
  ASSERT_TRUE(store);
  auto first = store->List(ListRequest{std::string("alias/wallet"), 100, std::nullopt});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->accounts.size(), 100U);
  ASSERT_TRUE(first->next);
  EXPECT_EQ(first->next->name, "acct-1099");
  auto all = ListAllAccounts(*store, std::string("alias/wallet"), 100000, 64);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 250U);
  EXPECT_EQ(all->front().name, "acct-1000");
  EXPECT_EQ(all->back().name, "acct-1249");
  auto everything = ListAllAccounts(*store, std::nullopt);
  ASSERT_TRUE(everything);
  EXPECT_EQ(everything->size(), 257U);
  EXPECT_EQ(ListAllAccounts(*store, std::nullopt, 10).error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(store->List(ListRequest{std::nullopt, 0, std::nullopt}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->List(ListRequest{std::nullopt, 1001, std::nullopt}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStore, ARowEditedByHandIsCheckedWhenRead) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Put(testing::SampleAccount("a")));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE accounts SET address = '0x1234'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Get("alias/wallet", "a").error().code, ErrorCode::kWalletAccountInvalid);
}

TEST_F(SqliteStore, NotASqliteFileOrASymlinkIsAStoreError) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is not a database file, just some text that is long enough to matter\n", f);
    std::fclose(f);
  }
  auto store = SqliteAccountStore::Open(path_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kWalletStoreError);
  const std::string link = (dir_ / "link.db").string();
  std::filesystem::create_symlink(dir_ / "target.db", link);
  EXPECT_EQ(SqliteAccountStore::Open(link).error().code, ErrorCode::kIoWrite);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "target.db"));
}

}  // namespace
}  // namespace enclavectl::wallet

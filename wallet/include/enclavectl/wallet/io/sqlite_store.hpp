// The SQLite account store (adapter): one file, table `accounts` with the account columns and
// UNIQUE(key_id, name); rollback journal with synchronous=FULL, a busy timeout, the file
// created with mode 0600. Rows are re-validated when read (a file edited by hand is input).
#pragma once

#include <memory>
#include <string>

#include "enclavectl/wallet/io/account_store.hpp"

struct sqlite3;

namespace enclavectl::wallet {

namespace detail {
struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept;
};
}  // namespace detail

struct SqliteStoreOptions {
  int busy_timeout_ms = 5000;
};

class SqliteAccountStore final : public AccountStore {
 public:
  // Opens (creating it with mode 0600 when absent) the store at `path`; a symlink is refused.
  // Fails with kIoWrite (cannot create or open the file, a symlink, the schema cannot be
  // written), kIoRead, or kWalletStoreError (the file is not a SQLite database or is corrupt).
  // Put, Get and List fail with kIoWrite/kIoRead (busy beyond the timeout, disk) besides their
  // AccountStore codes.
  [[nodiscard]] static core::Result<std::unique_ptr<SqliteAccountStore>> Open(
      const std::string& path, const SqliteStoreOptions& options = {});
  ~SqliteAccountStore() override;
  SqliteAccountStore(const SqliteAccountStore&) = delete;
  SqliteAccountStore& operator=(const SqliteAccountStore&) = delete;

  [[nodiscard]] core::Status Put(const Account& account) override;
  [[nodiscard]] core::Result<Account> Get(std::string_view key_id, std::string_view name) override;
  [[nodiscard]] core::Result<AccountPage> List(const ListRequest& request) override;

 private:
  explicit SqliteAccountStore(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, detail::SqliteCloser> db_;
};

}  // namespace enclavectl::wallet

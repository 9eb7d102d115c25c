// Where wallet accounts are kept (adapter interface; docs/wallet.md). Two backends:
// SqliteAccountStore (one local file) and DynamoDbAccountStore (a DynamoDB table in any of the
// three dialects of wallet.md 2.7). Accounts are create-once: Put never overwrites.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "enclavectl/core/result.hpp"
#include "enclavectl/wallet/account.hpp"

namespace enclavectl::wallet {

// An account's primary key. In a kRustParent table the key is the name alone and key_id is
// ignored for lookups.
struct AccountKey {
  std::string key_id;
  std::string name;
  friend bool operator==(const AccountKey&, const AccountKey&) = default;
};

struct ListRequest {
  std::optional<std::string> key_id;      // only the accounts of this KMS key (else all)
  std::uint32_t page_size = 100;          // 1..1000
  std::optional<AccountKey> start_after;  // the previous page's `next`
};

struct AccountPage {
  std::vector<Account> accounts;   // in the backend's order (SQLite: by key id, then name)
  std::optional<AccountKey> next;  // absent on the last page
};

inline constexpr std::uint32_t kMaxPageSize = 1000;

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // Stores a valid account (ValidateAccount). Fails with kWalletAccountExists when an account
  // with the same key already exists (never overwritten), ValidateAccount's codes, or the
  // backend's codes (SQLite: kIoRead, kIoWrite, kWalletStoreError; DynamoDB's and the
  // network's).
  [[nodiscard]] virtual core::Status Put(const Account& account) = 0;
  // Fails with kWalletAccountNotFound, a stored row's decoding codes (kWalletItemMalformed,
  // kWalletAccountInvalid...), or I/O codes.
  [[nodiscard]] virtual core::Result<Account> Get(std::string_view key_id,
                                                  std::string_view name) = 0;
  // One page. Fails with kInvalidArgument (page size 0 or above kMaxPageSize), decoding or
  // I/O codes. A page may be shorter than page_size while `next` is set (DynamoDB).
  [[nodiscard]] virtual core::Result<AccountPage> List(const ListRequest& request) = 0;
};

// Every account (of `key_id` when given), following `next` page by page. Fails as List, and
// with kInputTooLarge above `max_accounts`.
[[nodiscard]] core::Result<std::vector<Account>> ListAllAccounts(AccountStore& store,
                                                                 std::optional<std::string> key_id,
                                                                 std::size_t max_accounts = 100000,
                                                                 std::uint32_t page_size = 100);

}  // namespace enclavectl::wallet

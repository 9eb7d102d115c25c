// The DynamoDB account store (adapter): a table in one of the three dialects of wallet.md 2.7
// (kReadme for new tables: HASH KeyId, RANGE Name), through aws::DynamoDbClient. Put writes the
// table's dialect with ConditionExpression attribute_not_exists (create-once); Get uses a
// consistent GetItem; List is a Query on KeyId (when the table is keyed by it) or a Scan,
// paginated with LastEvaluatedKey. Every row read is decoded strictly (DecodeAccountItem).
#pragma once

#include <string>

#include "enclavectl/aws/dynamodb_client.hpp"
#include "enclavectl/wallet/io/account_store.hpp"

namespace enclavectl::wallet {

struct DynamoDbStoreOptions {
  std::string table;                   // e.g. "AccountTable"
  Dialect dialect = Dialect::kReadme;  // the table's key schema and the spelling Put writes
};

class DynamoDbAccountStore final : public AccountStore {
 public:
  // Borrows `client` for its lifetime.
  DynamoDbAccountStore(aws::DynamoDbClient& client, DynamoDbStoreOptions options)
      : client_(client), options_(std::move(options)) {}

  // Creates the table with the dialect's key schema (for tests and demos; PAY_PER_REQUEST).
  // Fails with the client's codes (kDynamoDbError when it exists).
  [[nodiscard]] core::Status CreateTable();

  // Fails with kWalletAccountExists on ConditionalCheckFailedException; kDynamoDbTableNotFound,
  // kDynamoDbAccessDenied, kDynamoDbError, kNetwork... from the client.
  [[nodiscard]] core::Status Put(const Account& account) override;
  [[nodiscard]] core::Result<Account> Get(std::string_view key_id, std::string_view name) override;
  // With request.key_id in a kRustParent table (not keyed by key id), a Scan whose page is
  // filtered here: pages may be short or empty while `next` is set.
  [[nodiscard]] core::Result<AccountPage> List(const ListRequest& request) override;

 private:
  aws::DynamoDbClient& client_;
  DynamoDbStoreOptions options_;
};

// Conversions between the aws item type and the wallet's (same shape).
Item FromDynamoItem(const aws::DynamoItem& item);
aws::DynamoItem ToDynamoItem(const Item& item);

}  // namespace enclavectl::wallet

#include "enclavectl/wallet/io/dynamodb_store.hpp"

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

// LastEvaluatedKey (untrusted) as a cursor: the dialect's key attributes, type S.
core::Result<AccountKey> CursorOf(const aws::DynamoItem& key, const DialectNames& names) {
  AccountKey cursor;
  const auto name = key.find(names.name);
  if (name == key.end() || name->second.type != "S") {
    return Fail(ErrorCode::kDynamoDbResponseMalformed,
                "LastEvaluatedKey lacks the table's name attribute");
  }
  cursor.name = name->second.value;
  if (names.key_id_in_key) {
    const auto key_id = key.find(names.key_id);
    if (key_id == key.end() || key_id->second.type != "S") {
      return Fail(ErrorCode::kDynamoDbResponseMalformed,
                  "LastEvaluatedKey lacks the table's key id attribute");
    }
    cursor.key_id = key_id->second.value;
  }
  return cursor;
}

}  // namespace

Item FromDynamoItem(const aws::DynamoItem& item) {
  Item out;
  for (const auto& [name, value] : item) {
    out.emplace(name, ItemAttribute{value.type, value.value});
  }
  return out;
}

aws::DynamoItem ToDynamoItem(const Item& item) {
  aws::DynamoItem out;
  for (const auto& [name, value] : item) {
    out.emplace(name, aws::DynamoValue{value.type, value.value});
  }
  return out;
}

core::Status DynamoDbAccountStore::CreateTable() {
  const DialectNames& names = NamesOf(options_.dialect);
  aws::CreateTableRequest request{options_.table, std::string(names.name), std::nullopt};
  if (names.key_id_in_key) {
    request.hash_key = std::string(names.key_id);
    request.range_key = std::string(names.name);
  }
  return client_.CreateTable(request);
}

core::Status DynamoDbAccountStore::Put(const Account& account) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateAccount(account));
  const DialectNames& names = NamesOf(options_.dialect);
  aws::PutItemRequest request{options_.table,
                              ToDynamoItem(EncodeAccountItem(account, options_.dialect)),
                              std::string(names.name)};
  auto put = client_.PutItem(request);
  if (!put && put.error().code == ErrorCode::kDynamoDbConditionFailed) {
    return Fail(ErrorCode::kWalletAccountExists,
                "an account named " + account.name + " already exists in " + options_.table);
  }
  return put;
}

core::Result<Account> DynamoDbAccountStore::Get(std::string_view key_id, std::string_view name) {
  aws::GetItemRequest request{options_.table,
                              ToDynamoItem(AccountKeyItem(key_id, name, options_.dialect)), true};
  auto item = client_.GetItem(request);
  if (!item) {
    return Fail(item.error());
  }
  if (!item->has_value()) {
    return Fail(ErrorCode::kWalletAccountNotFound, "no account named " + std::string(name));
  }
  auto account = DecodeAccountItem(FromDynamoItem(**item));
  if (!account) {
    return Fail(account.error());
  }
  // A kRustParent table is keyed by name alone: the row must also be of the asked key id.
  if (account->key_id != key_id || account->name != name) {
    return Fail(ErrorCode::kWalletAccountNotFound,
                "the account named " + std::string(name) + " belongs to another key id");
  }
  return account;
}

core::Result<AccountPage> DynamoDbAccountStore::List(const ListRequest& request) {
  if (request.page_size == 0 || request.page_size > kMaxPageSize) {
    return Fail(ErrorCode::kInvalidArgument, "a page holds 1 to 1000 accounts");
  }
  const DialectNames& names = NamesOf(options_.dialect);
  aws::ListItemsRequest list;
  list.table = options_.table;
  list.limit = request.page_size;
  if (request.key_id && names.key_id_in_key) {
    list.hash_key = std::make_pair(std::string(names.key_id), *request.key_id);
  }
  if (request.start_after) {
    list.exclusive_start_key = ToDynamoItem(
        AccountKeyItem(request.start_after->key_id, request.start_after->name, options_.dialect));
  }
  auto page = client_.ListItems(list);
  if (!page) {
    return Fail(page.error());
  }
  AccountPage out;
  for (const aws::DynamoItem& item : page->items) {
    auto account = DecodeAccountItem(FromDynamoItem(item));
    if (!account) {
      return Fail(account.error());
    }
    if (!request.key_id || account->key_id == *request.key_id) {
      out.accounts.push_back(std::move(*account));
    }
  }
  if (page->last_evaluated_key) {
    auto cursor = CursorOf(*page->last_evaluated_key, names);
    if (!cursor) {
      return Fail(cursor.error());
    }
    out.next = std::move(*cursor);
  }
  return out;
}

}  // namespace enclavectl::wallet

#include "enclavectl/wallet/io/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace enclavectl::wallet {
namespace {

using core::ErrorCode;
using core::Fail;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

constexpr const char* kSchema =
    "PRAGMA journal_mode=DELETE;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS accounts ("
    " key_id TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " address TEXT NOT NULL,"
    " encrypted_data_key TEXT NOT NULL,"
    " encrypted_private_key TEXT NOT NULL,"
    " created_at TEXT,"
    " owner_key TEXT,"
    " UNIQUE (key_id, name));";

constexpr const char* kColumns =
    "SELECT key_id, name, address, encrypted_data_key, encrypted_private_key, created_at, "
    "owner_key FROM accounts ";

// A file that is not a (sound) SQLite database is kWalletStoreError; any other failure is
// the I/O code the caller names (kIoRead for reads, kIoWrite for writes).
core::Error StoreError(sqlite3* db, const char* what, ErrorCode io_code) {
  const int rc = db != nullptr ? sqlite3_errcode(db) : SQLITE_NOMEM;
  const bool not_a_store = rc == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;
  return core::Error{not_a_store ? ErrorCode::kWalletStoreError : io_code,
                     std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "no memory")};
}

core::Result<Statement> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(raw);
    return Fail(StoreError(db, "SQLite prepare", ErrorCode::kIoRead));
  }
  return Statement(raw);
}

bool Bind(sqlite3_stmt* statement, int index, std::string_view text) {
  return sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT) == SQLITE_OK;
}

bool BindOptional(sqlite3_stmt* statement, int index, const std::optional<std::string>& text) {
  return text ? Bind(statement, index, *text) : sqlite3_bind_null(statement, index) == SQLITE_OK;
}

std::optional<std::string> Column(sqlite3_stmt* statement, int index) {
  if (sqlite3_column_type(statement, index) == SQLITE_NULL) {
    return std::nullopt;
  }
  const unsigned char* text = sqlite3_column_text(statement, index);
  const int len = sqlite3_column_bytes(statement, index);
  if (text == nullptr || len < 0) {
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(len));
}

// A row read back is input: a file can be edited by hand.
core::Result<Account> DecodeRow(sqlite3_stmt* statement) {
  Account account;
  std::array<std::string*, 5> required = {&account.key_id, &account.name, &account.address,
                                          &account.encrypted_data_key,
                                          &account.encrypted_private_key};
  for (std::size_t i = 0; i < required.size(); ++i) {
    auto value = Column(statement, static_cast<int>(i));
    if (!value) {
      return Fail(ErrorCode::kWalletItemMalformed, "an account row has a NULL column");
    }
    *required[i] = std::move(*value);
  }
  account.created_at = Column(statement, 5);
  account.owner_key = Column(statement, 6);
  auto format = DetectEnvelopeFormat(account.encrypted_private_key);
  if (!format) {
    return Fail(format.error());
  }
  account.format = *format;
  ENCLAVECTL_RETURN_IF_ERROR(ValidateAccount(account));
  return account;
}

// Creates the file with mode 0600 (before SQLite does with the umask's mode); refuses a
// symlink.
core::Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Fail(ErrorCode::kIoWrite,
                "cannot open the account store " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  return core::Ok();
}

}  // namespace

void detail::SqliteCloser::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }

SqliteAccountStore::~SqliteAccountStore() = default;

core::Result<std::unique_ptr<SqliteAccountStore>> SqliteAccountStore::Open(
    const std::string& path, const SqliteStoreOptions& options) {
  ENCLAVECTL_RETURN_IF_ERROR(CreatePrivateFile(path));
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
      nullptr);
  std::unique_ptr<SqliteAccountStore> store(new SqliteAccountStore(raw));
  if (rc != SQLITE_OK) {
    return Fail(StoreError(raw, "cannot open the account store", ErrorCode::kIoRead));
  }
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (sqlite3_exec(raw, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(StoreError(raw, "cannot prepare the account store", ErrorCode::kIoWrite));
  }
  return store;
}

core::Status SqliteAccountStore::Put(const Account& account) {
  ENCLAVECTL_RETURN_IF_ERROR(ValidateAccount(account));
  auto statement = Prepare(db_.get(),
                           "INSERT INTO accounts (key_id, name, address, encrypted_data_key, "
                           "encrypted_private_key, created_at, owner_key) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!statement) {
    return Fail(statement.error());
  }
  sqlite3_stmt* s = statement->get();
  if (!Bind(s, 1, account.key_id) || !Bind(s, 2, account.name) || !Bind(s, 3, account.address) ||
      !Bind(s, 4, account.encrypted_data_key) || !Bind(s, 5, account.encrypted_private_key) ||
      !BindOptional(s, 6, account.created_at) || !BindOptional(s, 7, account.owner_key)) {
    return Fail(StoreError(db_.get(), "SQLite bind", ErrorCode::kInternal));
  }
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    return Fail(ErrorCode::kWalletAccountExists,
                "an account named " + account.name + " already exists for this key id");
  }
  if (rc != SQLITE_DONE) {
    return Fail(StoreError(db_.get(), "cannot store the account", ErrorCode::kIoWrite));
  }
  return core::Ok();
}

core::Result<Account> SqliteAccountStore::Get(std::string_view key_id, std::string_view name) {
  auto statement = Prepare(db_.get(), std::string(kColumns) + "WHERE key_id = ?1 AND name = ?2");
  if (!statement) {
    return Fail(statement.error());
  }
  if (!Bind(statement->get(), 1, key_id) || !Bind(statement->get(), 2, name)) {
    return Fail(StoreError(db_.get(), "SQLite bind", ErrorCode::kInternal));
  }
  const int rc = sqlite3_step(statement->get());
  if (rc == SQLITE_DONE) {
    return Fail(ErrorCode::kWalletAccountNotFound, "no account named " + std::string(name));
  }
  if (rc != SQLITE_ROW) {
    return Fail(StoreError(db_.get(), "cannot read the account", ErrorCode::kIoRead));
  }
  return DecodeRow(statement->get());
}

core::Result<AccountPage> SqliteAccountStore::List(const ListRequest& request) {
  if (request.page_size == 0 || request.page_size > kMaxPageSize) {
    return Fail(ErrorCode::kInvalidArgument, "a page holds 1 to 1000 accounts");
  }
  std::string sql = std::string(kColumns) + "WHERE (?1 IS NULL OR key_id = ?1)";
  if (request.start_after) {
    sql += " AND (key_id, name) > (?2, ?3)";
  }
  sql += " ORDER BY key_id, name LIMIT ?4";
  auto statement = Prepare(db_.get(), sql);
  if (!statement) {
    return Fail(statement.error());
  }
  sqlite3_stmt* s = statement->get();
  bool bound = BindOptional(s, 1, request.key_id) &&
               sqlite3_bind_int64(s, 4, std::int64_t{request.page_size} + 1) == SQLITE_OK;
  if (request.start_after) {
    bound =
        bound && Bind(s, 2, request.start_after->key_id) && Bind(s, 3, request.start_after->name);
  }
  if (!bound) {
    return Fail(StoreError(db_.get(), "SQLite bind", ErrorCode::kInternal));
  }
  AccountPage page;
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      return Fail(StoreError(db_.get(), "cannot list the accounts", ErrorCode::kIoRead));
    }
    if (page.accounts.size() == request.page_size) {
      const Account& last = page.accounts.back();
      page.next = AccountKey{last.key_id, last.name};
      break;
    }
    auto account = DecodeRow(s);
    if (!account) {
      return Fail(account.error());
    }
    page.accounts.push_back(std::move(*account));
  }
  return page;
}

}  // namespace enclavectl::wallet

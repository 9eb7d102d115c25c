#include "enclavectl/wallet/io/account_store.hpp"

namespace enclavectl::wallet {

core::Result<std::vector<Account>> ListAllAccounts(AccountStore& store,
                                                   std::optional<std::string> key_id,
                                                   std::size_t max_accounts,
                                                   std::uint32_t page_size) {
  std::vector<Account> all;
  ListRequest request{std::move(key_id), page_size, std::nullopt};
  for (;;) {
    auto page = store.List(request);
    if (!page) {
      return core::Fail(page.error());
    }
    if (page->accounts.size() > max_accounts - all.size()) {
      return core::Fail(core::ErrorCode::kInputTooLarge,
                        "the store holds more than " + std::to_string(max_accounts) + " accounts");
    }
    for (Account& account : page->accounts) {
      all.push_back(std::move(account));
    }
    if (!page->next) {
      return all;
    }
    request.start_after = std::move(page->next);
  }
}

}  // namespace enclavectl::wallet

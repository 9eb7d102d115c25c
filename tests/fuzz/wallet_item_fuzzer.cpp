// The wallet's parsers on arbitrary bytes: a DynamoDB Query/Scan answer, each of its items as
// an account row (any dialect), and the input as an account envelope. Never crash; an accepted
// row is valid and survives re-encoding in every dialect; a refusal carries one of the
// parsers' codes; no envelope opens but one sealed under the data key for the bound address.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enclavectl/aws/dynamodb_api.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/wallet/account.hpp"
#include "enclavectl/wallet/envelope.hpp"
#include "enclavectl/wallet/io/dynamodb_store.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using core::ErrorCode;

bool WalletCode(ErrorCode code) {
  const auto value = static_cast<unsigned>(code);
  return (value >= 1120 && value <= 1125) || (value >= 1100 && value <= 1103);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView bytes(data, size);
  auto page = aws::DecodeItemPageResponse(bytes);
  if (!page) {
    FUZZ_CHECK(page.error().code == ErrorCode::kDynamoDbResponseMalformed ||
               page.error().code == ErrorCode::kInputTooLarge);
  } else {
    for (const aws::DynamoItem& item : page->items) {
      auto account = wallet::DecodeAccountItem(wallet::FromDynamoItem(item));
      if (!account) {
        FUZZ_CHECK(WalletCode(account.error().code));
        continue;
      }
      FUZZ_CHECK(wallet::ValidateAccount(*account).has_value());
      for (const wallet::Dialect dialect :
           {wallet::Dialect::kReadme, wallet::Dialect::kPython, wallet::Dialect::kRustParent}) {
        auto again = wallet::DecodeAccountItem(wallet::EncodeAccountItem(*account, dialect));
        FUZZ_CHECK(again && *again == *account);
      }
    }
  }
  // wallet.md 4.4's data key and the address of key 4.3 #1.
  static const core::Bytes kDataKey =
      *core::Base64Decode("gnbLKIT08rBb6beAGBqyhBb+usZKBSQ3DgAyDFEolzs=");
  const wallet::AccountBinding binding{"UID10000", "0x9141B7539E7902872095C408BfA294435e2b8c8a",
                                       "alias/wallet", ""};
  auto key = wallet::OpenAccountKey(kDataKey, core::AsChars(bytes), binding);
  if (key) {
    auto address = ethereum::AddressFromSecret(key->View());
    FUZZ_CHECK(address && ethereum::ChecksumAddress(*address) == binding.address);
  } else {
    FUZZ_CHECK(WalletCode(key.error().code));
  }
  return 0;
}

// The Ethereum parsers on arbitrary bytes: RLP, signed raw transactions and transaction JSON.
// Never crash; what RLP accepts re-encodes to exactly the input (one encoding per value); a
// decoded transaction is valid, keeps the input as its raw bytes and hash, and its signature
// recovers the sender it reports; a refusal carries one of the parsers' codes.
#include <cstddef>
#include <cstdint>

#include "enclavectl/ethereum/rlp.hpp"
#include "enclavectl/ethereum/transaction.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)
using core::ErrorCode;

bool EthereumCode(ErrorCode code) {
  const auto value = static_cast<unsigned>(code);
  return (value >= 1100 && value <= 1114) || code == ErrorCode::kInputTooLarge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView bytes(data, size);
  auto item = ethereum::RlpDecode(bytes);
  if (item) {
    FUZZ_CHECK(core::Equal(ethereum::RlpEncode(*item), bytes));
  } else {
    FUZZ_CHECK(item.error().code == ErrorCode::kEthRlpMalformed ||
               item.error().code == ErrorCode::kEthRlpLimitExceeded);
  }
  auto tx = ethereum::DecodeSignedTransaction(bytes);
  if (tx) {
    FUZZ_CHECK(core::Equal(tx->raw, bytes));
    FUZZ_CHECK(tx->hash == ethereum::Keccak256Of(bytes));
    FUZZ_CHECK(ethereum::ValidateTransaction(tx->tx).has_value());
    auto from = ethereum::RecoverAddress(ethereum::SigningHash(tx->tx),
                                         ethereum::EncodeSignature(tx->signature, 27));
    FUZZ_CHECK(from && *from == tx->from);
  } else {
    FUZZ_CHECK(EthereumCode(tx.error().code));
  }
  auto request = ethereum::ParseTransactionJson(core::AsChars(bytes));
  if (request) {
    FUZZ_CHECK(ethereum::ValidateTransaction(request->tx).has_value());
  } else {
    FUZZ_CHECK(EthereumCode(request.error().code));
  }
  return 0;
}

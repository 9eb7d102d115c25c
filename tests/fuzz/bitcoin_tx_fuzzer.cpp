// The Bitcoin transaction and output parsers on arbitrary bytes: never crash; whatever they
// accept is within the limits and re-encodes to exactly the input (the parser is strict, so
// there is one encoding per transaction); a refusal carries one of the parser's codes.
#include <cstddef>
#include <cstdint>

#include "enclavectl/bitcoin/transaction.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

bool ParserCode(core::ErrorCode code) {
  return code == core::ErrorCode::kTruncated || code == core::ErrorCode::kTrailingBytes ||
         code == core::ErrorCode::kBtcTxMalformed || code == core::ErrorCode::kBtcTxTooLarge;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const core::ByteView bytes(data, size);
  const bitcoin::TxLimits limits;
  auto tx = bitcoin::DecodeTransaction(bytes, limits);
  if (tx) {
    FUZZ_CHECK(!tx->inputs.empty() && !tx->outputs.empty());
    FUZZ_CHECK(bitcoin::TransactionWeight(*tx) <= limits.max_weight);
    FUZZ_CHECK(core::Equal(bitcoin::EncodeTransaction(*tx), bytes));
    (void)bitcoin::TransactionId(*tx);
  } else {
    FUZZ_CHECK(ParserCode(tx.error().code));
  }
  auto out = bitcoin::DecodeTxOut(bytes);
  if (out) {
    FUZZ_CHECK(core::Equal(bitcoin::EncodeTxOut(*out), bytes));
  } else {
    FUZZ_CHECK(ParserCode(out.error().code));
  }
  return 0;
}

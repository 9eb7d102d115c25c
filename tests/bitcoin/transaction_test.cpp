// The transaction parser: round trips, consensus framing rules and hostile inputs.
#include "enclavectl/bitcoin/transaction.hpp"

#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"

namespace enclavectl::bitcoin {
namespace {

Transaction SampleTx(bool witness) {
  Transaction tx;
  tx.version = 2;
  TxIn in;
  in.prevout.txid.fill(0xab);
  in.prevout.vout = 1;
  in.sequence = 0xfffffffd;
  if (witness) {
    in.witness = {Bytes(64, 0x11), Bytes{}};
  }
  tx.inputs.push_back(in);
  tx.outputs.push_back(TxOut{5000, Bytes{0x51, 0x20}});
  tx.lock_time = 99;
  return tx;
}

TEST(Transaction, RoundTripsWithAndWithoutWitness) {
  for (bool witness : {false, true}) {
    const Transaction tx = SampleTx(witness);
    const Bytes bytes = EncodeTransaction(tx);
    auto decoded = DecodeTransaction(bytes);
    ASSERT_TRUE(decoded) << decoded.error().detail;
    EXPECT_EQ(*decoded, tx);
    EXPECT_EQ(EncodeTransaction(*decoded), bytes);
    EXPECT_EQ(TransactionWeight(tx), (3 * EncodeTransaction(tx, false).size()) + bytes.size());
  }
}

TEST(Transaction, EveryTruncationIsAnErrorNeverACrash) {
  const Bytes bytes = EncodeTransaction(SampleTx(true));
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    auto decoded = DecodeTransaction(ByteView(bytes).first(len));
    ASSERT_FALSE(decoded) << len;
    EXPECT_TRUE(decoded.error().code == core::ErrorCode::kTruncated ||
                decoded.error().code == core::ErrorCode::kBtcTxMalformed ||
                decoded.error().code == core::ErrorCode::kBtcTxTooLarge)
        << len << ": " << decoded.error().detail;
  }
  Bytes trailing = bytes;
  trailing.push_back(0);
  auto decoded = DecodeTransaction(trailing);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kTrailingBytes);
}

TEST(Transaction, ConsensusFramingRules) {
  const Bytes good = EncodeTransaction(SampleTx(true));
  // Unknown flag byte (BIP-144 allows only 0x01).
  Bytes flag = good;
  flag[5] = 0x02;
  auto decoded = DecodeTransaction(flag);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxMalformed);
  // Marker with flag 0: a transaction without inputs.
  decoded = DecodeTransaction(core::HexDecode("0200000000000000000000").value());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxMalformed);
  // Flag set but every witness empty: superfluous witness record.
  Transaction empty_witness = SampleTx(true);
  Bytes bytes = EncodeTransaction(empty_witness);
  // Replace the witness section (count 2, 64-byte item, empty item) by a count of zero.
  const std::size_t witness_at = bytes.size() - 4 - (1 + 1 + 64 + 1);
  bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(witness_at), bytes.end() - 4);
  bytes.insert(bytes.end() - 4, 0x00);
  decoded = DecodeTransaction(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxMalformed);
  // No outputs.
  Transaction no_outputs = SampleTx(false);
  no_outputs.outputs.clear();
  decoded = DecodeTransaction(EncodeTransaction(no_outputs));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxMalformed);
  // A non-canonical CompactSize (1 encoded as 0xfd 0x01 0x00).
  Bytes non_canonical = EncodeTransaction(SampleTx(false));
  non_canonical.erase(non_canonical.begin() + 4);
  non_canonical.insert(non_canonical.begin() + 4, {0xfd, 0x01, 0x00});
  decoded = DecodeTransaction(non_canonical);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxMalformed);
}

TEST(Transaction, HugeCountsAreRefusedBeforeAllocation) {
  // Version, then an input count of 2^25 with nothing behind it.
  auto decoded = DecodeTransaction(core::HexDecode("02000000fe00000002").value());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxTooLarge);
  // Above MAX_SIZE (2^25): 0xffffffff.
  decoded = DecodeTransaction(core::HexDecode("02000000feffffffff").value());
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxTooLarge);
  // A witness item count far beyond the remaining bytes.
  Bytes bytes = EncodeTransaction(SampleTx(true));
  const std::size_t witness_at = bytes.size() - 4 - (1 + 1 + 64 + 1);
  bytes.resize(witness_at);
  bytes.insert(bytes.end(), {0xfe, 0x00, 0x00, 0x00, 0x01});
  decoded = DecodeTransaction(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxTooLarge);
}

TEST(Transaction, SizeAndWeightLimits) {
  // A 4 MB witness: over the consensus weight limit.
  Transaction heavy = SampleTx(true);
  heavy.inputs[0].witness = {Bytes(4'000'000, 0)};
  const Bytes bytes = EncodeTransaction(heavy);
  auto decoded = DecodeTransaction(bytes, TxLimits{8'000'000, 4'000'000});
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxTooLarge);
  decoded = DecodeTransaction(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kBtcTxTooLarge);
  // Within explicit larger limits it parses.
  EXPECT_TRUE(DecodeTransaction(bytes, TxLimits{8'000'000, 8'000'000}));
}

TEST(Transaction, OutputsParseStrictly) {
  auto out = DecodeTxOut(core::HexDecode("e803000000000000015100").value());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, core::ErrorCode::kTrailingBytes);
  out = DecodeTxOut(core::HexDecode("e8030000000000000151").value());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->value, 1000);
  EXPECT_EQ(EncodeTxOut(*out), core::HexDecode("e8030000000000000151").value());
}

}  // namespace
}  // namespace enclavectl::bitcoin

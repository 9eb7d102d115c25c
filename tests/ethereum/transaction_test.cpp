// Transactions: signing against ethers 6.17's signTransaction for the same keys (RFC 6979 on
// both sides, so the raw bytes are equal) and EIP-155's own example; decoding of signed raw
// bytes back; and one refusal per check of the decoder and of ValidateTransaction.
#include "enclavectl/ethereum/transaction.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/ethereum/rlp.hpp"
#include "test_util.hpp"

namespace enclavectl::ethereum {
namespace {

using core::ErrorCode;
using test::Hex;

Address Addr(std::string_view text) { return *ParseAddress(text); }

// ethers: {type 2, chainId 1, nonce 7, tip 2 gwei, max fee 100 gwei, gas 21000, to, 1 ether}.
Transaction Eip1559Example() {
  Transaction tx;
  tx.type = TxType::kEip1559;
  tx.chain_id = 1;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = Hex("77359400");
  tx.max_fee_per_gas = Hex("174876e800");
  tx.gas_limit = 21000;
  tx.to = Addr("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  tx.value = Hex("0de0b6b3a7640000");
  return tx;
}
constexpr const char* kEip1559Raw =
    "02f8730107847735940085174876e800825208945aaeb6053f3e94c9b9a09f33669435e7ef1beaed880de0b6b3a76"
    "4000080c080a02bee0415c06dc920ea8eda0b97bb303237c1629d367fd4817d333665dc890068a0734f46e9ba3de4"
    "1bf7d44e1ea5a24379e885110bd3f145d535d311feb835d122";
constexpr const char* kEip1559Hash =
    "fcf606b3442166b135565b6665b89fe75fa4b4a876756b190804578476518165";

// EIP-155's example: nonce 9, 20 gwei, 21000 gas, to 0x3535..., 1 ether, chain 1, key 0x4646...
Transaction Eip155Example() {
  Transaction tx;
  tx.type = TxType::kLegacy;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.gas_price = Hex("04a817c800");
  tx.gas_limit = 21000;
  tx.to = Addr("0x3535353535353535353535353535353535353535");
  tx.value = Hex("0de0b6b3a7640000");
  return tx;
}
constexpr const char* kEip155Raw =
    "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028"
    "ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b38"
    "00ccf555c9f3dc64214b297fb1966a3b6d83";

// ethers: a contract creation on Sepolia with an access list.
Transaction CreationExample() {
  Transaction tx;
  tx.chain_id = 11155111;
  tx.max_priority_fee_per_gas = Hex("01");
  tx.max_fee_per_gas = Hex("03");
  tx.gas_limit = 100000;
  tx.data = Hex("6001600055");
  AccessListEntry entry;
  entry.address = Addr("0xde709f2102306220921060314715629080e2fb77");
  entry.storage_keys.push_back(test::Hash(std::string(63, '0') + "1"));
  std::string ab;
  for (int i = 0; i < 32; ++i) {
    ab += "ab";
  }
  entry.storage_keys.push_back(test::Hash(ab));
  tx.access_list.push_back(entry);
  return tx;
}
constexpr const char* kCreationRaw =
    "02f8b383aa36a7800103830186a08080856001600055f85bf85994de709f2102306220921060314715629080e2fb"
    "77f842a00000000000000000000000000000000000000000000000000000000000000001a0ababababababababab"
    "ababababababababababababababababababababababab01a0a2df20675d1fb8e59576c2023c20f7fd893db66808"
    "548a2ffd6237b7545b1eb9a0212443227d5348ca669a52b29f8ed170b66aa5e3b37915e714ef9183fe35d406";
constexpr const char* kCreationHash =
    "0f34e7f32d2be14a6de978fdb7e2226bebacbc404020f801d4b6b80cca1b56cb";

TEST(SignTransaction, Eip1559MatchesEthers) {
  auto signed_tx = SignTransaction(Eip1559Example(), test::kSecretF89f);
  ASSERT_TRUE(signed_tx) << signed_tx.error().detail;
  EXPECT_EQ(core::HexEncode(signed_tx->raw), kEip1559Raw);
  EXPECT_EQ(core::HexEncode(signed_tx->hash), kEip1559Hash);
  EXPECT_EQ(ChecksumAddress(signed_tx->from), "0x9141B7539E7902872095C408BfA294435e2b8c8a");
  EXPECT_EQ(PrefixedHex(signed_tx->raw), std::string("0x") + kEip1559Raw);
}

TEST(SignTransaction, Eip155MatchesTheEipExample) {
  EXPECT_EQ(core::HexEncode(SigningHash(Eip155Example())),
            "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  auto signed_tx = SignTransaction(Eip155Example(), test::kSecret4646);
  ASSERT_TRUE(signed_tx);
  EXPECT_EQ(core::HexEncode(signed_tx->raw), kEip155Raw);
  EXPECT_EQ(core::HexEncode(signed_tx->hash),
            "33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
}

TEST(SignTransaction, CreationWithAccessListMatchesEthers) {
  const Transaction tx = CreationExample();
  auto signed_tx = SignTransaction(tx, test::kSecretF89f);
  ASSERT_TRUE(signed_tx);
  EXPECT_EQ(core::HexEncode(signed_tx->raw), kCreationRaw);
  EXPECT_EQ(core::HexEncode(signed_tx->hash), kCreationHash);
}

TEST(AssembleSignedTransaction, RebuildsWhatSignTransactionMakes) {
  for (const Transaction& tx : {Eip1559Example(), Eip155Example(), CreationExample()}) {
    auto made = SignTransaction(tx, test::kSecretF89f);
    ASSERT_TRUE(made);
    // The signature alone (as an enclave returns it) gives the same bytes, hash and signer.
    auto assembled = AssembleSignedTransaction(tx, made->signature);
    ASSERT_TRUE(assembled) << assembled.error().detail;
    EXPECT_EQ(assembled->raw, made->raw);
    EXPECT_EQ(assembled->hash, made->hash);
    EXPECT_EQ(assembled->from, made->from);
    // A signature over another transaction recovers another signer (the caller's check).
    Transaction other = tx;
    other.nonce += 1;
    auto wrong = AssembleSignedTransaction(other, made->signature);
    if (wrong) {
      EXPECT_NE(wrong->from, made->from);
    }
  }
  // An invalid transaction is refused before anything is assembled.
  Transaction bad = Eip1559Example();
  bad.chain_id = 0;
  auto made = SignTransaction(Eip1559Example(), test::kSecretF89f);
  ASSERT_TRUE(made);
  auto refused = AssembleSignedTransaction(bad, made->signature);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kEthTxChainId);
  // r = 0 is malformed.
  Signature zero = made->signature;
  zero.r = {};
  auto malformed = AssembleSignedTransaction(Eip1559Example(), zero);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, core::ErrorCode::kEthSignatureMalformed);
}

TEST(DecodeSignedTransaction, RoundTripsEveryExample) {
  struct Case {
    Transaction tx;
    const char* raw;
    const char* from;
  };
  const Case cases[] = {
      {Eip1559Example(), kEip1559Raw, "0x9141B7539E7902872095C408BfA294435e2b8c8a"},
      {Eip155Example(), kEip155Raw, "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"},
      {CreationExample(), kCreationRaw, "0x9141B7539E7902872095C408BfA294435e2b8c8a"},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeSignedTransaction(Hex(c.raw));
    ASSERT_TRUE(decoded) << decoded.error().detail;
    EXPECT_EQ(decoded->tx, c.tx);
    EXPECT_EQ(ChecksumAddress(decoded->from), c.from);
    EXPECT_EQ(core::HexEncode(decoded->raw), c.raw);
    EXPECT_EQ(decoded->hash, Keccak256Of(Hex(c.raw)));
  }
}

// The RLP list of a raw transaction (after its type byte), changed by `edit`, re-encoded.
core::Bytes Edited(std::string_view raw_hex,
                   const std::function<void(std::vector<RlpItem>&)>& edit) {
  core::Bytes raw = Hex(raw_hex);
  const bool typed = raw[0] == 0x02;
  RlpItem list = *RlpDecode(core::ByteView(raw).subspan(typed ? 1 : 0));
  edit(list.items);
  core::Bytes out = typed ? core::Bytes{0x02} : core::Bytes{};
  const core::Bytes body = RlpEncode(list);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(DecodeSignedTransaction, RefusesEveryBrokenShape) {
  using Items = std::vector<RlpItem>;
  const core::Bytes order = Hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  struct Case {
    core::Bytes raw;
    ErrorCode code;
    const char* why;
  };
  core::Bytes type1 = Hex(kEip1559Raw);
  type1[0] = 0x01;
  core::Bytes trailing = Hex(kEip1559Raw);
  trailing.push_back(0x00);
  const Case cases[] = {
      {{}, ErrorCode::kEthTxMalformed, "empty"},
      {type1, ErrorCode::kEthTxTypeUnsupported, "type 1"},
      {trailing, ErrorCode::kEthRlpMalformed, "a byte after the list"},
      {Hex("0280"), ErrorCode::kEthTxMalformed, "a string, not a list"},
      {Edited(kEip1559Raw, [](Items& f) { f.pop_back(); }), ErrorCode::kEthTxMalformed,
       "11 fields"},
      {Edited(kEip1559Raw, [](Items& f) { f[1] = RlpItem::String(Hex("0007")); }),
       ErrorCode::kEthTxMalformed, "a nonce with a leading zero"},
      {Edited(kEip1559Raw, [](Items& f) { f[5] = RlpItem::String(core::Bytes(19, 1)); }),
       ErrorCode::kEthTxMalformed, "a 19-byte to"},
      {Edited(kEip1559Raw, [](Items& f) { f[7] = RlpItem::List({}); }), ErrorCode::kEthTxMalformed,
       "data as a list"},
      {Edited(kEip1559Raw, [](Items& f) { f[8] = RlpItem::Uint(1); }), ErrorCode::kEthTxMalformed,
       "access list as a string"},
      {Edited(
           kCreationRaw,
           [](Items& f) { f[8].items[0].items[1].items[0] = RlpItem::String(core::Bytes(31, 1)); }),
       ErrorCode::kEthTxMalformed, "a 31-byte storage key"},
      {Edited(kEip1559Raw, [](Items& f) { f[9] = RlpItem::Uint(2); }),
       ErrorCode::kEthSignatureMalformed, "y_parity 2"},
      {Edited(kEip1559Raw, [](Items& f) { f[10] = RlpItem::Uint(0); }),
       ErrorCode::kEthSignatureMalformed, "r = 0"},
      {Edited(kEip1559Raw, [](Items& f) { f[11] = RlpItem::String(core::Bytes(33, 1)); }),
       ErrorCode::kEthTxMalformed, "a 33-byte s"},
      {Edited(kEip1559Raw, [&](Items& f) { f[11] = RlpItem::String(order); }),
       ErrorCode::kEthSignatureMalformed, "s = n"},
      {Edited(kEip1559Raw, [](Items& f) { f[0] = RlpItem::Uint(0); }), ErrorCode::kEthTxChainId,
       "chain id 0"},
      {Edited(kEip155Raw, [](Items& f) { f[6] = RlpItem::Uint(27); }), ErrorCode::kEthTxChainId,
       "a pre-EIP-155 v"},
      {Edited(kEip155Raw, [](Items& f) { f.push_back(RlpItem::Uint(0)); }),
       ErrorCode::kEthTxMalformed, "10 legacy fields"},
  };
  for (const Case& c : cases) {
    auto decoded = DecodeSignedTransaction(c.raw);
    ASSERT_FALSE(decoded) << c.why;
    EXPECT_EQ(decoded.error().code, c.code) << c.why << ": " << decoded.error().detail;
  }
}

TEST(DecodeSignedTransaction, TheHighSTwinIsRefused) {
  // (r, n - s, parity ^ 1) is a valid ECDSA signature of the same key; EIP-2 refuses it.
  const core::Bytes raw = Edited(kEip1559Raw, [&](std::vector<RlpItem>& f) {
    core::Bytes s(32, 0);
    std::copy(f[11].bytes.begin(), f[11].bytes.end(),
              s.end() - static_cast<std::ptrdiff_t>(f[11].bytes.size()));
    const core::Bytes high = test::NegateModOrder(s);
    f[11] = RlpItem::BigEndian(high);
    f[9] = RlpItem::Uint(1 - *RlpToUint64(f[9], ErrorCode::kEthTxMalformed));
  });
  auto decoded = DecodeSignedTransaction(raw);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kEthSignatureMalformed);
}

TEST(ValidateTransaction, RefusesEveryBadField) {
  struct Case {
    std::function<void(Transaction&)> edit;
    ErrorCode code;
    const char* why;
  };
  const Case cases[] = {
      {[](Transaction& t) { t.chain_id = 0; }, ErrorCode::kEthTxChainId, "chain id 0"},
      {[](Transaction& t) { t.chain_id = kMaxChainId + 1; }, ErrorCode::kEthTxChainId,
       "chain id above EIP-2294"},
      {[](Transaction& t) { t.nonce = UINT64_MAX; }, ErrorCode::kEthTxFieldInvalid,
       "nonce 2^64 - 1 (EIP-2681)"},
      {[](Transaction& t) { t.value = core::Bytes(33, 1); }, ErrorCode::kEthTxFieldInvalid,
       "value above 2^256"},
      {[](Transaction& t) { t.value = Hex("0001"); }, ErrorCode::kEthTxFieldInvalid,
       "value with a leading zero"},
      {[](Transaction& t) { t.max_priority_fee_per_gas = Hex("174876e801"); },
       ErrorCode::kEthTxFieldInvalid, "tip above the fee cap"},
      {[](Transaction& t) { t.data = core::Bytes(core::limits::kMaxEthTxDataBytes + 1, 0); },
       ErrorCode::kEthTxFieldInvalid, "data too large"},
      {[](Transaction& t) { t.access_list.resize(core::limits::kMaxEthAccessListEntries + 1); },
       ErrorCode::kEthTxFieldInvalid, "access list too long"},
      {[](Transaction& t) { t.gas_price = Hex("01"); }, ErrorCode::kEthTxTypeUnsupported,
       "gas_price in a type 2"},
      {[](Transaction& t) { t.type = static_cast<TxType>(1); }, ErrorCode::kEthTxTypeUnsupported,
       "type 1"},
      {[](Transaction& t) { t.type = TxType::kLegacy; }, ErrorCode::kEthTxTypeUnsupported,
       "EIP-1559 fees in a legacy transaction"},
  };
  ASSERT_TRUE(ValidateTransaction(Eip1559Example()));
  for (const Case& c : cases) {
    Transaction tx = Eip1559Example();
    c.edit(tx);
    auto status = ValidateTransaction(tx);
    ASSERT_FALSE(status) << c.why;
    EXPECT_EQ(status.error().code, c.code) << c.why;
    auto signed_tx = SignTransaction(tx, test::kSecretF89f);
    ASSERT_FALSE(signed_tx) << c.why;
    EXPECT_EQ(signed_tx.error().code, c.code) << c.why;
  }
}

TEST(SignTransactionRequest, ChecksTheExpectedSender) {
  TransactionRequest request{Eip1559Example(), Addr("0x9141B7539E7902872095C408BfA294435e2b8c8a")};
  auto ok = SignTransactionRequest(request, test::kSecretF89f);
  ASSERT_TRUE(ok);
  EXPECT_EQ(core::HexEncode(ok->raw), kEip1559Raw);
  request.from = Addr("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  auto wrong = SignTransactionRequest(request, test::kSecretF89f);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kEthTxFromMismatch);
}

TEST(QuantityHex, IsMinimal) {
  EXPECT_EQ(QuantityHex({}), "0x0");
  EXPECT_EQ(QuantityHex(Hex("5208")), "0x5208");
  EXPECT_EQ(QuantityHex(Hex("0de0b6b3a7640000")), "0xde0b6b3a7640000");
}

}  // namespace
}  // namespace enclavectl::ethereum

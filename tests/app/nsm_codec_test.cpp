// NSM framing: the byte vectors of nsm.md section 2, round trips of every request and
// response, and malformed input.
#include <gtest/gtest.h>

#include "enclavectl/app/nsm.hpp"
#include "enclavectl/core/cbor.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::app {
namespace {

using core::ErrorCode;

std::string Hex(const Bytes& bytes) { return core::HexEncode(bytes); }
Bytes H(std::string_view hex) { return *core::HexDecode(hex); }

TEST(NsmCodec, RequestsMatchTheSpecBytes) {
  EXPECT_EQ(Hex(EncodeRequest(DescribePcrRequest{16})),
            "a16b4465736372696265504352a165696e64657810");
  EXPECT_EQ(Hex(EncodeRequest(ExtendPcrRequest{16, {1, 2, 3}})),
            "a169457874656e64504352a265696e64657810646461746143010203");
  EXPECT_EQ(Hex(EncodeRequest(LockPcrRequest{16})), "a1674c6f636b504352a165696e64657810");
  EXPECT_EQ(Hex(EncodeRequest(LockPcrsRequest{32})), "a1684c6f636b50435273a16572616e67651820");
  EXPECT_EQ(Hex(EncodeRequest(DescribeNsmRequest{})), "6b44657363726962654e534d");
  EXPECT_EQ(
      Hex(EncodeRequest(AttestationRequest{})),
      "a16b4174746573746174696f6ea369757365725f64617461f6656e6f6e6365f66a7075626c69635f6b6579f6");
  EXPECT_EQ(Hex(EncodeRequest(GetRandomRequest{})), "6947657452616e646f6d");
}

TEST(NsmCodec, ResponsesMatchTheSpecBytes) {
  EXPECT_EQ(Hex(EncodeResponse(LockPcrResponse{})), "674c6f636b504352");
  EXPECT_EQ(Hex(EncodeResponse(LockPcrsResponse{})), "684c6f636b50435273");
  EXPECT_EQ(Hex(EncodeResponse(ErrorResponse{NsmErrorCode::kInvalidIndex})),
            "a1654572726f726c496e76616c6964496e646578");
  // The kernel driver hard-codes this GetRandom prefix (nsm.md 2.2).
  const std::string random = Hex(EncodeResponse(GetRandomResponse{Bytes(256, 7)}));
  EXPECT_EQ(random.substr(0, 38), "a16947657452616e646f6da16672616e646f6d");
}

TEST(NsmCodec, EveryRequestRoundTrips) {
  const std::vector<NsmRequest> requests = {
      DescribePcrRequest{31},   ExtendPcrRequest{17, Bytes(300, 9)},
      ExtendPcrRequest{16, {}}, LockPcrRequest{16},
      LockPcrsRequest{32},      DescribeNsmRequest{},
      GetRandomRequest{},       AttestationRequest{Bytes{1}, Bytes{}, std::nullopt},
  };
  for (const NsmRequest& request : requests) {
    auto decoded = DecodeRequest(EncodeRequest(request));
    ASSERT_TRUE(decoded) << request.index();
    EXPECT_EQ(EncodeRequest(*decoded), EncodeRequest(request));
  }
}

TEST(NsmCodec, EveryResponseRoundTrips) {
  DescribeNsmResponse nsm;
  nsm.module_id = "i-09eb1f8c065b7f2e8-enc017d91012b842240";
  nsm.locked_pcrs = {0, 1, 2, 15, 16};
  const std::vector<NsmResponse> responses = {DescribePcrResponse{true, Bytes(48, 1)},
                                              ExtendPcrResponse{Bytes(48, 2)},
                                              LockPcrResponse{},
                                              LockPcrsResponse{},
                                              nsm,
                                              AttestationResponse{Bytes(4500, 3)},
                                              GetRandomResponse{Bytes(256, 4)},
                                              ErrorResponse{NsmErrorCode::kReadOnlyIndex}};
  for (const NsmResponse& response : responses) {
    auto decoded = DecodeResponse(EncodeResponse(response));
    ASSERT_TRUE(decoded) << response.index();
    EXPECT_EQ(EncodeResponse(*decoded), EncodeResponse(response));
  }
  for (int code = 1; code <= 8; ++code) {
    const auto error = static_cast<NsmErrorCode>(code);
    auto decoded = DecodeResponse(EncodeResponse(ErrorResponse{error}));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::get<ErrorResponse>(*decoded).code, error);
  }
}

TEST(NsmCodec, RequestsAreDecodedLenientlyLikeTheDevice) {
  // Absent optional fields, text strings for bytes, indefinite maps.
  auto absent = DecodeRequest(H("a16b4174746573746174696f6ea0"));
  ASSERT_TRUE(absent);
  EXPECT_FALSE(std::get<AttestationRequest>(*absent).nonce);
  namespace cbor = core::cbor;
  cbor::Item fields = cbor::Item::Map();
  fields.Add(cbor::Item::TextString("index"), cbor::Item::Unsigned(16))
      .Add(cbor::Item::TextString("data"), cbor::Item::TextString("abc"));
  cbor::Item extend = cbor::Item::Map();
  extend.Add(cbor::Item::TextString("ExtendPCR"), std::move(fields));
  auto text = DecodeRequest(cbor::Encode(extend));
  ASSERT_TRUE(text);
  EXPECT_EQ(std::get<ExtendPcrRequest>(*text).data, (Bytes{'a', 'b', 'c'}));
  EXPECT_TRUE(DecodeRequest(H("bf6b4465736372696265504352bf65696e64657810ffff")));
}

TEST(NsmCodec, MalformedRequestsAreRejected) {
  for (const char* hex : {"a0", "6b4465736372696265504353",  // {} and "DescribePCS"
                          "a16b4465736372696265504352a0",    // DescribePCR without index
                          "a16b4465736372696265504352a165696e6465781a00010000",  // index > u16
                          "a16b4465736372696265504352a165696e6465782f",          // negative index
                          "a169457874656e64504352a265696e64657810646461746101",  // data = 1
                          "a2674c6f636b504352a0684c6f636b50435273a0", "01"}) {
    auto decoded = DecodeRequest(H(hex));
    ASSERT_FALSE(decoded) << hex;
    EXPECT_EQ(decoded.error().code, ErrorCode::kNsmRequestInvalid) << hex;
  }
  EXPECT_EQ(DecodeRequest(H("a16b44")).error().code, ErrorCode::kTruncated);
  EXPECT_EQ(DecodeRequest(Bytes(0x1001, 0x40)).error().code, ErrorCode::kInputTooLarge);
}

TEST(NsmCodec, MalformedResponsesAreRejected) {
  for (const char* hex :
       {"", "ff", "a0", "01", "6b44657363726962654e534d",  // unit DescribeNSM
        "a16b4465736372696265504352a1646461746140",        // no lock
        "a169457874656e64504352a164646174610a",            // data = 10
        "a16b4174746573746174696f6ea0",                    // no document
        "a16b44657363726962654e534da0", "a1674c6f636b504352a0", "a1654572726f7201"}) {
    auto decoded = DecodeResponse(H(hex));
    ASSERT_FALSE(decoded) << hex;
    EXPECT_EQ(decoded.error().code, ErrorCode::kNsmResponseInvalid) << hex;
  }
  // An unknown error name reads as InternalError.
  auto unknown = DecodeResponse(H("a1654572726f7263466f6f"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(std::get<ErrorResponse>(*unknown).code, NsmErrorCode::kInternalError);
}

}  // namespace
}  // namespace enclavectl::app

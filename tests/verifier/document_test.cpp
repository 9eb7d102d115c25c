// Structural and semantic rules of the attestation payload, on documents validly signed by
// the virtual Nitro: malformed content is rejected even under a good signature.
#include "enclavectl/verifier/document.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "enclavectl/core/cbor.hpp"
#include "enclavectl/core/encoding.hpp"
#include "test_paths.hpp"
#include "virtual_nitro.hpp"

namespace enclavectl::verifier {
namespace {

namespace cbor = core::cbor;
using core::ErrorCode;
using testing::VirtualNitro;

// The payload of a default document as a CBOR map we can edit.
cbor::Item DefaultPayload() { return *cbor::Decode(EncodePayload(VirtualNitro::Get().Fields())); }

cbor::Item* Field(cbor::Item& map, std::string_view name) {
  for (std::size_t i = 0; i < map.MapSize(); ++i) {
    if (map.MapKey(i).Text() == name) {
      return &map.children[2 * i + 1];
    }
  }
  return nullptr;
}

void Remove(cbor::Item& map, std::string_view name) {
  for (std::size_t i = 0; i < map.MapSize(); ++i) {
    if (map.MapKey(i).Text() == name) {
      map.children.erase(map.children.begin() + static_cast<std::ptrdiff_t>(2 * i),
                         map.children.begin() + static_cast<std::ptrdiff_t>(2 * i + 2));
      return;
    }
  }
}

core::Error DecodeError(const cbor::Item& payload) {
  const core::Bytes doc = VirtualNitro::Get().SignPayload(cbor::Encode(payload));
  auto parsed = DecodeAttestation(doc);
  if (!parsed) {
    return parsed.error();
  }
  auto valid = ValidateAttestation(*parsed);
  EXPECT_FALSE(valid) << "accepted";
  return valid ? core::Error{} : valid.error();
}

core::Status Validate(const cbor::Item& payload) {
  const core::Bytes doc = VirtualNitro::Get().SignPayload(cbor::Encode(payload));
  auto parsed = DecodeAttestation(doc);
  if (!parsed) {
    return core::Fail(parsed.error());
  }
  return ValidateAttestation(*parsed);
}

TEST(Document, DefaultPayloadIsValid) { EXPECT_TRUE(Validate(DefaultPayload())); }

TEST(Document, PayloadMustBeAMap) {
  EXPECT_EQ(DecodeError(cbor::Item::Array({})).code, ErrorCode::kDocNotAMap);
}

TEST(Document, MandatoryFieldsMustBePresent) {
  for (const char* name : {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"}) {
    cbor::Item payload = DefaultPayload();
    Remove(payload, name);
    const core::Error error = DecodeError(payload);
    EXPECT_EQ(error.code, ErrorCode::kDocMissingField) << name;
  }
}

TEST(Document, OptionalFieldsMayBeAbsentNullOrEmpty) {
  cbor::Item payload = DefaultPayload();
  Remove(payload, "public_key");
  *Field(payload, "user_data") = cbor::Item::ByteString(core::Bytes{});
  *Field(payload, "nonce") = cbor::Item::Null();
  EXPECT_TRUE(Validate(payload));
  auto parsed = DecodeAttestation(VirtualNitro::Get().SignPayload(cbor::Encode(payload)));
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->doc.public_key);
  ASSERT_TRUE(parsed->doc.user_data);
  EXPECT_TRUE(parsed->doc.user_data->empty());
  EXPECT_FALSE(parsed->doc.nonce);
}

TEST(Document, WrongTypesAreRejected) {
  const std::pair<const char*, cbor::Item> cases[] = {
      {"module_id", cbor::Item::ByteString(core::AsBytes("i-0"))},
      {"module_id", cbor::Item::Null()},
      {"digest", cbor::Item::Unsigned(384)},
      {"timestamp", cbor::Item::TextString("1700000000000")},
      {"timestamp", cbor::Item::Int(-1)},
      {"pcrs", cbor::Item::Array({})},
      {"certificate", cbor::Item::TextString("MIIC")},
      {"cabundle", cbor::Item::ByteString(core::Bytes{1})},
      {"public_key", cbor::Item::TextString("dummy")},
      {"user_data", cbor::Item::Unsigned(0)},
      {"nonce", cbor::Item::Bool(false)},
  };
  for (const auto& [name, value] : cases) {
    cbor::Item payload = DefaultPayload();
    *Field(payload, name) = value;
    EXPECT_EQ(DecodeError(payload).code, ErrorCode::kDocWrongType) << name;
  }
  cbor::Item bad_pcr = DefaultPayload();
  Field(bad_pcr, "pcrs")->children[1] = cbor::Item::TextString("00");
  EXPECT_EQ(DecodeError(bad_pcr).code, ErrorCode::kDocWrongType);
  cbor::Item bad_pcr_key = DefaultPayload();
  Field(bad_pcr_key, "pcrs")->children[0] = cbor::Item::TextString("0");
  EXPECT_EQ(DecodeError(bad_pcr_key).code, ErrorCode::kDocWrongType);
  cbor::Item bad_entry = DefaultPayload();
  Field(bad_entry, "cabundle")->children[1] = cbor::Item::TextString("x");
  EXPECT_EQ(DecodeError(bad_entry).code, ErrorCode::kDocWrongType);
  cbor::Item int_key = DefaultPayload();
  int_key.Add(cbor::Item::Unsigned(1), cbor::Item::Null());
  EXPECT_EQ(DecodeError(int_key).code, ErrorCode::kDocWrongType);
}

TEST(Document, UnknownAndDuplicateFieldsAreRejected) {
  cbor::Item unknown = DefaultPayload();
  unknown.Add(cbor::Item::TextString("extra"), cbor::Item::Null());
  const core::Error error = DecodeError(unknown);
  EXPECT_EQ(error.code, ErrorCode::kDocUnknownField);
  EXPECT_EQ(error.index, 9);
  cbor::Item duplicate = DefaultPayload();
  duplicate.Add(cbor::Item::TextString("nonce"), cbor::Item::Null());
  EXPECT_EQ(DecodeError(duplicate).code, ErrorCode::kCborDuplicateKey);
  cbor::Item duplicate_pcr = DefaultPayload();
  Field(duplicate_pcr, "pcrs")
      ->Add(cbor::Item::Unsigned(0), cbor::Item::ByteString(core::Bytes(48)));
  EXPECT_EQ(DecodeError(duplicate_pcr).code, ErrorCode::kCborDuplicateKey);
}

TEST(Document, SemanticRules) {
  struct Case {
    const char* field;
    cbor::Item value;
    ErrorCode code;
    int index;
  };
  cbor::Item many_pcrs = cbor::Item::Map();
  for (std::uint64_t i = 0; i < 33; ++i) {
    many_pcrs.Add(cbor::Item::Unsigned(i), cbor::Item::ByteString(core::Bytes(48)));
  }
  cbor::Item pcr_index = cbor::Item::Map();
  pcr_index.Add(cbor::Item::Unsigned(32), cbor::Item::ByteString(core::Bytes(48)));
  cbor::Item pcr_length = cbor::Item::Map();
  pcr_length.Add(cbor::Item::Unsigned(3), cbor::Item::ByteString(core::Bytes(47)));
  const Case cases[] = {
      {"module_id", cbor::Item::TextString(""), ErrorCode::kDocModuleId, -1},
      {"module_id", cbor::Item::TextString("i-0 enc"), ErrorCode::kDocModuleId, -1},
      {"module_id", cbor::Item::TextString(std::string(257, 'i')), ErrorCode::kDocModuleId, -1},
      {"digest", cbor::Item::TextString("SHA256"), ErrorCode::kDocDigest, -1},
      {"timestamp", cbor::Item::Unsigned(0), ErrorCode::kDocTimestamp, -1},
      {"pcrs", cbor::Item::Map(), ErrorCode::kDocPcrCount, -1},
      {"pcrs", many_pcrs, ErrorCode::kDocPcrCount, -1},
      {"pcrs", pcr_index, ErrorCode::kDocPcrIndex, 32},
      {"pcrs", pcr_length, ErrorCode::kDocPcrLength, 3},
      {"certificate", cbor::Item::ByteString(core::Bytes{}), ErrorCode::kDocCertificate, -1},
      {"certificate", cbor::Item::ByteString(core::Bytes(1025, 1)), ErrorCode::kDocCertificate, -1},
      {"cabundle", cbor::Item::Array({}), ErrorCode::kDocCabundle, -1},
      {"cabundle",
       cbor::Item::Array(
           {cbor::Item::ByteString(core::Bytes{1}), cbor::Item::ByteString(core::Bytes{})}),
       ErrorCode::kDocCabundle, 1},
      {"cabundle", cbor::Item::Array({cbor::Item::ByteString(core::Bytes(1025, 1))}),
       ErrorCode::kDocCabundle, 0},
      {"public_key", cbor::Item::ByteString(core::Bytes(1025)), ErrorCode::kDocFieldTooLarge, 0},
      {"user_data", cbor::Item::ByteString(core::Bytes(1025)), ErrorCode::kDocFieldTooLarge, 1},
      {"nonce", cbor::Item::ByteString(core::Bytes(1025)), ErrorCode::kDocFieldTooLarge, 2},
  };
  for (const Case& c : cases) {
    cbor::Item payload = DefaultPayload();
    *Field(payload, c.field) = c.value;
    const core::Error error = DecodeError(payload);
    EXPECT_EQ(error.code, c.code) << c.field << ": " << error.detail;
    EXPECT_EQ(error.index, c.index) << c.field;
  }
  std::vector<cbor::Item> nine;
  for (int i = 0; i < 9; ++i) {
    nine.push_back(cbor::Item::ByteString(core::Bytes{1}));
  }
  cbor::Item long_bundle = DefaultPayload();
  *Field(long_bundle, "cabundle") = cbor::Item::Array(std::move(nine));
  EXPECT_EQ(DecodeError(long_bundle).code, ErrorCode::kDocCabundle);
}

TEST(Document, RealWorldShapesAreAccepted) {
  // 32 PCRs of 48 bytes, 32- and 64-byte PCRs, 1024-byte optional fields at once.
  cbor::Item payload = DefaultPayload();
  cbor::Item pcrs = cbor::Item::Map();
  for (std::uint64_t i = 0; i < 32; ++i) {
    pcrs.Add(cbor::Item::Unsigned(i), cbor::Item::ByteString(core::Bytes(i == 5   ? 32
                                                                         : i == 6 ? 64
                                                                                  : 48)));
  }
  *Field(payload, "pcrs") = pcrs;
  for (const char* name : {"public_key", "user_data", "nonce"}) {
    *Field(payload, name) = cbor::Item::ByteString(core::Bytes(1024, 7));
  }
  EXPECT_TRUE(Validate(payload));
  payload.indefinite = true;
  EXPECT_TRUE(Validate(payload));
}

TEST(Document, OnlyEs384WithA96ByteSignature) {
  auto p256 = core::GenerateEcKey(core::Curve::kP256);
  auto es256 = devca::SignPayload(p256->get(), EncodePayload(VirtualNitro::Get().Fields()));
  auto parsed = DecodeAttestation(*es256);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(ValidateAttestation(*parsed).error().code, ErrorCode::kCoseAlgorithm);
  parsed->cose.alg = core::cose::kAlgEs384;
  EXPECT_EQ(ValidateAttestation(*parsed).error().code, ErrorCode::kCoseSignatureLength);
}

TEST(Document, EncodePayloadRoundTrips) {
  devca::DocumentSpec spec;
  spec.nonce = core::Bytes{1, 2, 3};
  spec.user_data = core::Bytes{};
  const AttestationDocument fields = VirtualNitro::Get().Fields(spec);
  for (bool indefinite : {false, true}) {
    const core::Bytes doc = VirtualNitro::Get().SignPayload(EncodePayload(fields, indefinite));
    auto parsed = DecodeAttestation(doc);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->payload_indefinite, indefinite);
    EXPECT_EQ(parsed->doc.module_id, fields.module_id);
    EXPECT_EQ(parsed->doc.pcrs, fields.pcrs);
    EXPECT_EQ(parsed->doc.nonce, fields.nonce);
    EXPECT_EQ(parsed->doc.user_data, fields.user_data);
    EXPECT_EQ(parsed->doc.public_key, fields.public_key);
    EXPECT_EQ(parsed->doc.cabundle, fields.cabundle);
    EXPECT_EQ(EncodePayload(parsed->doc, indefinite), EncodePayload(fields, indefinite));
  }
}

TEST(DocumentInput, DetectsEncodingsAndRejectsGarbage) {
  EXPECT_EQ(DecodeDocumentInput(core::AsBytes("not a document!")).error().code,
            ErrorCode::kInputEncoding);
  EXPECT_EQ(DecodeDocumentInput(core::AsBytes("abc")).error().code, ErrorCode::kInputEncoding);
  EXPECT_EQ(DecodeDocumentInput(core::Bytes(0x3001, 0x84)).error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(DecodeDocumentInput(core::Bytes(4 * 0x3000 + 5000, 'A')).error().code,
            ErrorCode::kInputTooLarge);
  const std::string big_hex(2 * 0x3001, 'a');
  EXPECT_EQ(DecodeDocumentInput(core::AsBytes(big_hex)).error().code, ErrorCode::kInputTooLarge);
  auto tagged = DecodeDocumentInput(core::Bytes{0xd2, 0x84});
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->encoding, InputEncoding::kBinary);
  EXPECT_STREQ(InputEncodingName(InputEncoding::kBase64), "base64");
}

// `xxd -p` wraps at 60 columns.
std::string XxdPlain(core::ByteView bytes, const std::string& line_end) {
  const std::string hex = core::HexEncode(bytes);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 60) {
    out += hex.substr(i, 60) + line_end;
  }
  return out;
}

std::string Upper(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

// A real document pasted as people paste it is hex, never misread as base64.
TEST(DocumentInput, HexAsPeoplePasteItIsHex) {
  const core::Bytes cbor =
      testing::ReadBytes(testing::TestdataDir() / "attestation" / "anjuna_2021-03-17_prod.cbor");
  ASSERT_FALSE(cbor.empty());
  const std::string hex = core::HexEncode(cbor);
  for (const std::string& text :
       {XxdPlain(cbor, "\n"), XxdPlain(cbor, "\r\n"), "0x" + hex, "0X" + Upper(hex), Upper(hex),
        "  0x" + XxdPlain(cbor, "\r\n"), Upper(XxdPlain(cbor, "\n"))}) {
    auto input = DecodeDocumentInput(core::AsBytes(text));
    ASSERT_TRUE(input) << text.substr(0, 80) << ": " << input.error().detail;
    EXPECT_EQ(input->encoding, InputEncoding::kHex) << text.substr(0, 80);
    EXPECT_EQ(input->cbor, cbor);
  }
  // Base64 (wrapped or not) is still base64; raw CBOR is binary.
  auto b64 = DecodeDocumentInput(core::AsBytes(core::Base64Encode(cbor) + "\n"));
  ASSERT_TRUE(b64);
  EXPECT_EQ(b64->encoding, InputEncoding::kBase64);
  EXPECT_EQ(b64->cbor, cbor);
  auto raw = DecodeDocumentInput(cbor);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->encoding, InputEncoding::kBinary);
  // Hex with one digit missing is not silently read as base64 of something else.
  auto odd = DecodeDocumentInput(core::AsBytes(hex.substr(1)));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, ErrorCode::kInputEncoding);
}

}  // namespace
}  // namespace enclavectl::verifier

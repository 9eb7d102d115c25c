#include "enclavectl/verifier/document.hpp"

#include <array>
#include <string>
#include <utility>

#include "enclavectl/core/cbor.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::verifier {
namespace {

namespace cbor = core::cbor;
namespace limits = core::limits;
using core::ErrorCode;
using core::Fail;

constexpr std::array<std::string_view, 9> kFieldNames = {"module_id",  "digest",      "timestamp",
                                                         "pcrs",       "certificate", "cabundle",
                                                         "public_key", "user_data",   "nonce"};

cbor::DecodeLimits DocumentLimits() {
  cbor::DecodeLimits out;
  out.max_input_bytes = limits::kMaxDocumentBytes;
  return out;
}

tl::unexpected<core::Error> WrongType(std::string_view field, const char* wanted, int index) {
  return Fail(ErrorCode::kDocWrongType, std::string(field) + " must be " + wanted, index);
}

// An optional byte-string field: bstr, or CBOR null / absent for "not given".
core::Result<std::optional<Bytes>> OptionalBytes(const cbor::Item* item, std::string_view name,
                                                 int index) {
  if (item == nullptr || item->type == cbor::Type::kNull) {
    return std::optional<Bytes>();
  }
  if (item->type != cbor::Type::kBytes) {
    return WrongType(name, "a byte string or null", index);
  }
  return std::optional<Bytes>(item->bytes);
}

}  // namespace

core::Result<ParsedAttestation> DecodeAttestation(ByteView cose_bytes) {
  // nsm-api attestation_process.md 3.2.1: COSE_Sign1 envelope.
  auto sign1 = core::cose::Decode(cose_bytes, DocumentLimits());
  if (!sign1) {
    return Fail(sign1.error());
  }
  auto payload = cbor::Decode(sign1->payload, DocumentLimits());
  if (!payload) {
    core::Error error = payload.error();
    error.detail = "payload: " + error.detail;
    return Fail(std::move(error));
  }
  if (payload->type != cbor::Type::kMap) {
    return Fail(ErrorCode::kDocNotAMap, "the attestation payload is not a CBOR map");
  }
  // 3.2.2: the nine fields; no others.
  std::array<const cbor::Item*, kFieldNames.size()> fields{};
  std::array<int, kFieldNames.size()> positions{};
  for (std::size_t i = 0; i < payload->MapSize(); ++i) {
    const cbor::Item& key = payload->MapKey(i);
    const int entry = static_cast<int>(i);
    if (key.type != cbor::Type::kText) {
      return Fail(ErrorCode::kDocWrongType, "payload map keys must be text strings", entry);
    }
    std::size_t field = 0;
    while (field < kFieldNames.size() && kFieldNames[field] != key.Text()) {
      ++field;
    }
    if (field == kFieldNames.size()) {
      return Fail(ErrorCode::kDocUnknownField,
                  "unknown payload field (" + std::to_string(key.bytes.size()) + " bytes)", entry);
    }
    fields[field] = &payload->MapValue(i);
    positions[field] = entry;
  }
  // Mandatory fields: present and not null (3.2.2.1).
  for (std::size_t field = 0; field < 6; ++field) {
    if (fields[field] == nullptr) {
      return Fail(ErrorCode::kDocMissingField,
                  "mandatory field " + std::string(kFieldNames[field]) + " is absent",
                  static_cast<int>(field));
    }
  }
  ParsedAttestation out;
  AttestationDocument& doc = out.doc;
  const cbor::Item& module_id = *fields[0];
  if (module_id.type != cbor::Type::kText) {
    return WrongType("module_id", "a text string", positions[0]);
  }
  doc.module_id = std::string(module_id.Text());
  const cbor::Item& digest = *fields[1];
  if (digest.type != cbor::Type::kText) {
    return WrongType("digest", "a text string", positions[1]);
  }
  doc.digest = std::string(digest.Text());
  const cbor::Item& timestamp = *fields[2];
  if (timestamp.type != cbor::Type::kUnsigned) {
    return WrongType("timestamp", "an unsigned integer", positions[2]);
  }
  doc.timestamp_ms = timestamp.uint_value;
  const cbor::Item& pcrs = *fields[3];
  if (pcrs.type != cbor::Type::kMap) {
    return WrongType("pcrs", "a map", positions[3]);
  }
  for (std::size_t i = 0; i < pcrs.MapSize(); ++i) {
    const cbor::Item& index = pcrs.MapKey(i);
    const cbor::Item& value = pcrs.MapValue(i);
    if (index.type != cbor::Type::kUnsigned || value.type != cbor::Type::kBytes) {
      return WrongType("pcrs", "a map of unsigned integer to byte string", positions[3]);
    }
    doc.pcrs.emplace(index.uint_value, value.bytes);
  }
  const cbor::Item& certificate = *fields[4];
  if (certificate.type != cbor::Type::kBytes) {
    return WrongType("certificate", "a byte string", positions[4]);
  }
  doc.certificate = certificate.bytes;
  const cbor::Item& cabundle = *fields[5];
  if (cabundle.type != cbor::Type::kArray) {
    return WrongType("cabundle", "an array", positions[5]);
  }
  for (const cbor::Item& entry : cabundle.children) {
    if (entry.type != cbor::Type::kBytes) {
      return WrongType("cabundle", "an array of byte strings", positions[5]);
    }
    doc.cabundle.push_back(entry.bytes);
  }
  auto public_key = OptionalBytes(fields[6], "public_key", positions[6]);
  auto user_data = OptionalBytes(fields[7], "user_data", positions[7]);
  auto nonce = OptionalBytes(fields[8], "nonce", positions[8]);
  if (!public_key || !user_data || !nonce) {
    return Fail(!public_key ? public_key.error() : !user_data ? user_data.error() : nonce.error());
  }
  doc.public_key = std::move(*public_key);
  doc.user_data = std::move(*user_data);
  doc.nonce = std::move(*nonce);
  out.payload_indefinite = payload->indefinite;
  out.cose = std::move(*sign1);
  return out;
}

core::Status ValidateAttestation(const ParsedAttestation& parsed) {
  const AttestationDocument& doc = parsed.doc;
  // 3.2.1: the protected header's algorithm is ES384; the signature is raw r||s (96 bytes;
  // the guide's CDDL says 32/48/64, genuine documents carry 96).
  if (parsed.cose.alg != core::cose::kAlgEs384) {
    return Fail(ErrorCode::kCoseAlgorithm,
                "COSE algorithm " + std::to_string(parsed.cose.alg) + " is not ES384 (-35)");
  }
  if (parsed.cose.signature.size() != 96) {
    return Fail(
        ErrorCode::kCoseSignatureLength,
        "signature is " + std::to_string(parsed.cose.signature.size()) + " bytes, ES384 needs 96");
  }
  // 3.2.2.2 module_id: non-empty text. We also bound it and require printable ASCII.
  if (doc.module_id.empty() || doc.module_id.size() > limits::kMaxModuleIdBytes) {
    return Fail(ErrorCode::kDocModuleId, "module_id is empty or too long");
  }
  for (char c : doc.module_id) {
    if (c < 0x21 || c > 0x7e) {
      return Fail(ErrorCode::kDocModuleId, "module_id contains a non-printable character");
    }
  }
  // 3.2.2.2 digest: "SHA384".
  if (doc.digest != "SHA384") {
    return Fail(ErrorCode::kDocDigest, "digest is not SHA384");
  }
  // 3.2.2.2 timestamp: > 0 (milliseconds since the epoch).
  if (doc.timestamp_ms == 0 || doc.timestamp_ms > static_cast<std::uint64_t>(INT64_MAX)) {
    return Fail(ErrorCode::kDocTimestamp, "timestamp is zero or out of range");
  }
  // 3.2.2.2 pcrs: 1..32 entries, index 0..31, value 32/48/64 bytes.
  if (doc.pcrs.empty() || doc.pcrs.size() > limits::kMaxPcrCount) {
    return Fail(ErrorCode::kDocPcrCount,
                "pcrs has " + std::to_string(doc.pcrs.size()) + " entries (1..32 allowed)");
  }
  for (const auto& [index, value] : doc.pcrs) {
    if (index > limits::kMaxPcrIndex) {
      return Fail(ErrorCode::kDocPcrIndex, "PCR index " + std::to_string(index) + " is above 31",
                  index > INT32_MAX ? -1 : static_cast<int>(index));
    }
    if (value.size() != 32 && value.size() != 48 && value.size() != 64) {
      return Fail(ErrorCode::kDocPcrLength,
                  "PCR" + std::to_string(index) + " is " + std::to_string(value.size()) +
                      " bytes (32, 48 or 64 allowed)",
                  static_cast<int>(index));
    }
  }
  // 3.2.2.2 certificate: 1..1024 bytes.
  if (doc.certificate.empty() || doc.certificate.size() > limits::kMaxCertificateBytes) {
    return Fail(ErrorCode::kDocCertificate,
                "certificate is " + std::to_string(doc.certificate.size()) + " bytes");
  }
  // 3.2.2.2 cabundle: at least one entry, each 1..1024 bytes.
  if (doc.cabundle.empty() || doc.cabundle.size() > limits::kMaxCabundleEntries) {
    return Fail(ErrorCode::kDocCabundle,
                "cabundle has " + std::to_string(doc.cabundle.size()) + " entries (1..8)");
  }
  for (std::size_t i = 0; i < doc.cabundle.size(); ++i) {
    if (doc.cabundle[i].empty() || doc.cabundle[i].size() > limits::kMaxCertificateBytes) {
      return Fail(ErrorCode::kDocCabundle,
                  "cabundle entry is " + std::to_string(doc.cabundle[i].size()) + " bytes",
                  static_cast<int>(i));
    }
  }
  // 3.2.2.2 public_key, user_data, nonce: up to 1024 bytes (NSM's limit).
  const std::array<std::pair<const char*, const std::optional<Bytes>*>, 3> optional_fields = {
      {{"public_key", &doc.public_key}, {"user_data", &doc.user_data}, {"nonce", &doc.nonce}}};
  for (std::size_t i = 0; i < optional_fields.size(); ++i) {
    const auto& [name, value] = optional_fields[i];
    if (value->has_value() && (*value)->size() > limits::kMaxOptionalFieldBytes) {
      return Fail(
          ErrorCode::kDocFieldTooLarge,
          std::string(name) + " is " + std::to_string((*value)->size()) + " bytes (at most 1024)",
          static_cast<int>(i));
    }
  }
  return core::Ok();
}

Bytes EncodePayload(const AttestationDocument& doc, bool indefinite) {
  auto optional = [](const std::optional<Bytes>& value) {
    return value ? cbor::Item::ByteString(*value) : cbor::Item::Null();
  };
  cbor::Item pcrs = cbor::Item::Map();
  for (const auto& [index, value] : doc.pcrs) {
    pcrs.Add(cbor::Item::Unsigned(index), cbor::Item::ByteString(value));
  }
  std::vector<cbor::Item> cabundle;
  cabundle.reserve(doc.cabundle.size());
  for (const Bytes& cert : doc.cabundle) {
    cabundle.push_back(cbor::Item::ByteString(cert));
  }
  cbor::Item map = cbor::Item::Map();
  map.indefinite = indefinite;
  map.Add(cbor::Item::TextString("module_id"), cbor::Item::TextString(doc.module_id))
      .Add(cbor::Item::TextString("digest"), cbor::Item::TextString(doc.digest))
      .Add(cbor::Item::TextString("timestamp"), cbor::Item::Unsigned(doc.timestamp_ms))
      .Add(cbor::Item::TextString("pcrs"), std::move(pcrs))
      .Add(cbor::Item::TextString("certificate"), cbor::Item::ByteString(doc.certificate))
      .Add(cbor::Item::TextString("cabundle"), cbor::Item::Array(std::move(cabundle)))
      .Add(cbor::Item::TextString("public_key"), optional(doc.public_key))
      .Add(cbor::Item::TextString("user_data"), optional(doc.user_data))
      .Add(cbor::Item::TextString("nonce"), optional(doc.nonce));
  return cbor::Encode(map);
}

const char* InputEncodingName(InputEncoding encoding) noexcept {
  switch (encoding) {
    case InputEncoding::kBinary:
      return "binary";
    case InputEncoding::kHex:
      return "hex";
    case InputEncoding::kBase64:
      return "base64";
  }
  return "binary";
}

core::Result<DocumentInput> DecodeDocumentInput(ByteView raw) {
  if (raw.size() > limits::kMaxDocumentTextBytes) {
    return Fail(ErrorCode::kInputTooLarge,
                "input of " + std::to_string(raw.size()) + " bytes is larger than any document");
  }
  // Raw COSE_Sign1: an array of four (0x84) or tag 18 (0xd2).
  if (!raw.empty() && (raw[0] == 0x84 || raw[0] == 0xd2)) {
    if (raw.size() > limits::kMaxDocumentBytes) {
      return Fail(ErrorCode::kInputTooLarge, "document of " + std::to_string(raw.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(limits::kMaxDocumentBytes));
    }
    return DocumentInput{core::ToBytes(raw), InputEncoding::kBinary};
  }
  const std::string_view text = core::TrimWhitespace(core::AsChars(raw));
  DocumentInput out;
  // Hex wins when, without whitespace and an optional 0x, only an even number of hex digits
  // is left. Unambiguous for documents: base64 of a COSE_Sign1 starts "hE" (0x84) or "0g".."0v"
  // (0xd2), never two hex digits.
  if (core::LooksLikeLenientHex(text)) {
    auto bytes = core::HexDecodeLenient(text);
    if (!bytes) {
      return Fail(bytes.error());
    }
    out = DocumentInput{std::move(*bytes), InputEncoding::kHex};
  } else {
    auto bytes = core::Base64Decode(text);
    if (!bytes) {
      return Fail(ErrorCode::kInputEncoding,
                  "input is not a CBOR document, hex or base64: " + bytes.error().detail);
    }
    out = DocumentInput{std::move(*bytes), InputEncoding::kBase64};
  }
  if (out.cbor.size() > limits::kMaxDocumentBytes) {
    return Fail(ErrorCode::kInputTooLarge, "document of " + std::to_string(out.cbor.size()) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(limits::kMaxDocumentBytes));
  }
  return out;
}

bool IsDebugMode(const PcrMap& pcrs) noexcept {
  for (std::uint64_t index = 0; index < 3; ++index) {
    auto it = pcrs.find(index);
    if (it == pcrs.end() || !core::IsAllZero(it->second)) {
      return false;
    }
  }
  return true;
}

}  // namespace enclavectl::verifier

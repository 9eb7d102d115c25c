// The Nitro attestation document: typed model, structural decoding and semantic validation
// (parse layer: pure, no clock, no I/O, no trust decisions).
//
// Spec: ../shared/spec/nsm.md section 5; aws-nitro-enclaves-nsm-api
// docs/attestation_process.md sections 3.2.1 (COSE) and 3.2.2 (payload).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/core/bytes.hpp"
#include "enclavectl/core/cose.hpp"
#include "enclavectl/core/result.hpp"

namespace enclavectl::verifier {

using core::Bytes;
using core::ByteView;

// PCR index -> value. Indices are kept as decoded (validated to 0..31 by Validate).
using PcrMap = std::map<std::uint64_t, Bytes>;

// The nine payload fields. Optional fields distinguish CBOR null (nullopt) from an empty
// byte string (empty Bytes): genuine documents carry both (testdata/attestation/README.md).
struct AttestationDocument {
  std::string module_id;
  std::string digest;
  std::uint64_t timestamp_ms = 0;
  PcrMap pcrs;
  Bytes certificate;            // DER leaf certificate
  std::vector<Bytes> cabundle;  // DER, root first
  std::optional<Bytes> public_key;
  std::optional<Bytes> user_data;
  std::optional<Bytes> nonce;
};

// A decoded document with its COSE envelope and the encoding facts a report shows.
struct ParsedAttestation {
  core::cose::Sign1 cose;
  AttestationDocument doc;
  bool payload_indefinite = false;  // payload map encoded 0xbf ... 0xff
};

// Decodes a COSE_Sign1 attestation document (untrusted bytes, at most
// limits::kMaxDocumentBytes): the envelope, then the payload map into typed fields.
// Structural only: types, presence, duplicates, unknown fields.
// Fails with the CBOR/COSE codes (1xx) and kDocNotAMap, kDocMissingField, kDocWrongType,
// kDocUnknownField (Error::index = the payload map entry number).
[[nodiscard]] core::Result<ParsedAttestation> DecodeAttestation(ByteView cose_bytes);

// Semantic rules of attestation_process.md 3.2.1/3.2.2 on a decoded document: ES384,
// 96-byte signature, module_id, digest, timestamp, 1..32 PCRs with index 0..31 and length
// 32/48/64, certificate and cabundle sizes, optional fields up to 1024 bytes.
// Fails with kCoseAlgorithm, kCoseSignatureLength, kDocModuleId, kDocDigest, kDocTimestamp,
// kDocPcrCount, kDocPcrIndex / kDocPcrLength (index = PCR index), kDocCertificate,
// kDocCabundle (index = entry), kDocFieldTooLarge.
[[nodiscard]] core::Status ValidateAttestation(const ParsedAttestation& parsed);

// Encodes the payload map with the nine keys in the order genuine documents use; with
// `indefinite` as 0xbf ... 0xff like documents from mid-2025 on. Used by the development
// CA and the NSM simulator (the inverse of DecodeAttestation's payload step).
Bytes EncodePayload(const AttestationDocument& doc, bool indefinite = false);

// How a document file or HTTP body was encoded.
enum class InputEncoding : std::uint8_t { kBinary, kHex, kBase64 };
const char* InputEncodingName(InputEncoding encoding) noexcept;

struct DocumentInput {
  Bytes cbor;
  InputEncoding encoding = InputEncoding::kBinary;
};

// Recognises raw COSE_Sign1 CBOR (first byte 0x84, or 0xd2 for tag 18), hex text as people
// paste it (whitespace and line breaks anywhere as `xxd -p` writes them, an optional 0x,
// either case: core::HexDecodeLenient), or base64 text (whitespace allowed) and returns the
// CBOR bytes and the encoding detected. Hex wins whenever the text is hex by that rule.
// Fails with kInputTooLarge or kInputEncoding.
[[nodiscard]] core::Result<DocumentInput> DecodeDocumentInput(ByteView raw);

// True when PCR0, PCR1 and PCR2 are present and all zero: the enclave runs in debug mode.
bool IsDebugMode(const PcrMap& pcrs) noexcept;

}  // namespace enclavectl::verifier

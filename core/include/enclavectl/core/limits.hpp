// Every hard limit on untrusted input, in one place (STYLE.md section 6). Parsers enforce
// them and the verify layer checks them again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace enclavectl::core::limits {

// --- attestation documents (nsm.md section 5, attestation_process.md 3.2.2.2) ---
// NSM_RESPONSE_MAX_SIZE: no genuine document can be larger than the device's response.
inline constexpr std::size_t kMaxDocumentBytes = 0x3000;
// Text input (hex or base64 of a document, with whitespace) read from a file or HTTP body.
inline constexpr std::size_t kMaxDocumentTextBytes = (4 * kMaxDocumentBytes) + 4096;
inline constexpr std::size_t kMaxPcrCount = 32;
inline constexpr std::uint32_t kMaxPcrIndex = 31;
// public_key, user_data and nonce: NSM's limit (the guide's prose says 512; genuine
// documents carry 1024, see testdata blocky_2024-09-07_max-fields).
inline constexpr std::size_t kMaxOptionalFieldBytes = 1024;
inline constexpr std::size_t kMaxCertificateBytes = 1024;
inline constexpr std::size_t kMaxCabundleEntries = 8;
inline constexpr std::size_t kMaxModuleIdBytes = 256;

// --- CBOR decoding (core/cbor.hpp) ---
inline constexpr std::size_t kMaxCborDepth = 16;
inline constexpr std::size_t kMaxCborItems = 4096;
inline constexpr std::size_t kMaxCborContainerEntries = 1024;

// --- EIF images (eif.md; eif-build.md) ---
// Sections per image: the header's offset/size tables have 32 slots (upstream README).
inline constexpr std::size_t kMaxEifSections = 32;
// Signature section: upstream's limit for the CBOR PcrSignature array.
inline constexpr std::size_t kMaxEifSignatureBytes = 32768;
// Metadata section: compact JSON with docker inspect output and custom metadata.
inline constexpr std::size_t kMaxEifMetadataBytes = 1 << 20;
// Custom metadata given to the builder (eif_build's --metadata limit).
inline constexpr std::size_t kMaxEifCustomMetadataBytes = 4096;
// Nesting of JSON objects and arrays in metadata (nlohmann's dump recurses).
inline constexpr std::size_t kMaxEifJsonDepth = 64;
// An image (or `eif pcr` input) read from standard input ("-") is copied to a scratch file
// first: at most this much (a path has no limit; enclave images are far smaller).
inline constexpr std::uint64_t kMaxEifStdinBytes = std::uint64_t{8} << 30;
// Root filesystem given to the builder (directory or tar): entries and path lengths.
inline constexpr std::size_t kMaxRootfsEntries = 1 << 20;
inline constexpr std::size_t kMaxRootfsPathBytes = 4096;
// A pax extended header or GNU long-name record in a tar archive.
inline constexpr std::size_t kMaxTarExtendedHeaderBytes = 1 << 20;

// --- files the CLI reads as policy input (pcr.json, PEM roots) ---
inline constexpr std::size_t kMaxPolicyFileBytes = 1 << 20;
inline constexpr std::size_t kMaxPemFileBytes = std::size_t{64} * 1024;

// --- KMS key policies and the KMS client (kms.md, sigv4.md) ---
// A key policy document: the KMS model allows 131072 characters (the account quota is 32 KB).
inline constexpr std::size_t kMaxKeyPolicyBytes = 131072;
// JSON nesting of any JSON enclavectl parses from KMS or a policy file (policies need 5).
inline constexpr std::size_t kMaxJsonDepth = 32;
inline constexpr std::size_t kMaxPolicyStatements = 512;
// Entries of one Action/Resource/Principal list or condition value list.
inline constexpr std::size_t kMaxPolicyListEntries = 1024;
// A KMS response body (a policy is returned JSON-escaped inside a JSON string).
inline constexpr std::size_t kMaxKmsResponseBytes = 1 << 20;
// Blob and identifier sizes of the KMS model (botocore service-2.json): Plaintext and
// SharedSecret 1..4096, CiphertextBlob 1..6144, PublicKey 1..8192, KeyId 1..2048 characters.
inline constexpr std::size_t kMaxKmsPlaintextBytes = 4096;
inline constexpr std::size_t kMaxKmsCiphertextBlobBytes = 6144;
inline constexpr std::size_t kMaxKmsPublicKeyBytes = 8192;
inline constexpr std::size_t kMaxKmsKeyIdChars = 2048;
// CiphertextForRecipient (KMS model: blob 1..6144 bytes).
inline constexpr std::size_t kMaxCiphertextForRecipientBytes = 6144;
// Shared AWS credentials and config files.
inline constexpr std::size_t kMaxAwsConfigFileBytes = 1 << 20;
// A request body the local KMS accepts: an attestation document (at most 262144 bytes in the
// model, base64 in JSON) or a key policy (131072 characters, JSON-escaped) fits.
inline constexpr std::size_t kMaxKmsRequestBytes = std::size_t{1} << 20;
// HTTP request headers the local KMS accepts (all of them together).
inline constexpr std::size_t kMaxKmsRequestHeaderBytes = 16 * 1024;
// The local KMS state file (every key with its policy) and its configuration file.
inline constexpr std::size_t kMaxLocalKmsStateBytes = std::size_t{256} << 20;
inline constexpr std::size_t kMaxLocalKmsConfigBytes = std::size_t{1} << 20;
// An answer of the EC2 instance metadata service.
inline constexpr std::size_t kMaxImdsResponseBytes = 64 * 1024;
// All response header lines of one HTTP response, together.
inline constexpr std::size_t kMaxHttpHeaderBytes = 64 * 1024;
// An AWS SSM Parameter Store answer (GetParameter / PutParameter; values are at most 8 KB).
inline constexpr std::size_t kMaxSsmResponseBytes = 64 * 1024;

// --- enclave-app: the key service's requests (enclave-http.md, reproducible-key.md) ---
// An HTTP request body (every endpoint takes small JSON objects).
inline constexpr std::size_t kMaxAppRequestBodyBytes = 64 * 1024;
// All header lines of one HTTP request.
inline constexpr std::size_t kMaxAppRequestHeaderBytes = 8 * 1024;
// A message given to POST /v1/sign or the vsock sign action (hashed with SHA-256 first).
inline constexpr std::size_t kMaxSignMessageBytes = 16 * 1024;
// One request line of the vsock JSON protocol (a hex message of the size above and framing).
inline constexpr std::size_t kMaxWalletLineBytes = (2 * kMaxSignMessageBytes) + 1024;
// A KMS key id, ARN or alias given in a setup request (the KMS model's KeyId: 1..2048).
inline constexpr std::size_t kMaxKmsKeyIdBytes = 2048;
// A sealed-key record read from its store (a file or an SSM parameter).
inline constexpr std::size_t kMaxSealedRecordBytes = 8 * 1024;

// --- evidence bundles (verifier/bundle.hpp): untrusted zip files ---
inline constexpr std::size_t kMaxBundleBytes = std::size_t{4} << 20;
inline constexpr std::size_t kMaxBundleMembers = 16;
inline constexpr std::size_t kMaxBundleMemberBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxBundleTotalBytes = std::size_t{4} << 20;

}  // namespace enclavectl::core::limits

// The stable error-code table of enclavectl.
//
// Values are append-only: never renumber or reuse one. Each code has a SCREAMING_SNAKE name
// used in JSON output, test vectors and docs/errors.md, and an exit class that the CLI maps
// to its process exit code. Blocks (STYLE.md section 3):
//   0xx usage, 1xx framing/CBOR/COSE, 2xx document fields, 3xx certificate chain,
//   4xx signature, 5xx policy, 6xx EIF, 7xx KMS policy and KMS, 8xx I/O, 9xx internal,
//   10xx Bitcoin transactions and script, 11xx wallet and Ethereum, 12xx operations (monitor,
//   metrics), 13xx migration, nitriding and image lineage (issue 14).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace enclavectl::core {

// How a failure is classified for exit codes (STYLE.md section 2).
enum class ExitClass : std::uint8_t {
  kUsage,      // 64: the caller asked for something that makes no sense
  kMalformed,  // 2: input could not be decoded
  kRejected,   // 1: input well formed but not acceptable
  kIo,         // 74: file, network or device failure
  kInternal,   // 70: a bug or resource exhaustion
};

// X(enumerator, value, "NAME", exit class, "one-line meaning")
#define ENCLAVECTL_ERROR_CODES(X)                                                                  \
  X(kInvalidArgument, 10, "INVALID_ARGUMENT", kUsage, "a command-line value is not valid")         \
  X(kUnknownCommand, 11, "UNKNOWN_COMMAND", kUsage,                                               \
    "no such command (enclavectl help lists them; the message may suggest one)")                  \
  X(kUnknownFlag, 12, "UNKNOWN_FLAG", kUsage,                                                     \
    "the command has no such flag (COMMAND --help lists them; the message may suggest one)")      \
  X(kMissingArgument, 13, "MISSING_ARGUMENT", kUsage,                                             \
    "a required command, flag or flag value is missing")                                          \
  X(kTruncated, 100, "TRUNCATED", kMalformed, "input ends before a declared field")                \
  X(kCborMalformed, 101, "CBOR_MALFORMED", kMalformed, "bytes are not well-formed CBOR")           \
  X(kTrailingBytes, 102, "TRAILING_BYTES", kMalformed, "bytes follow the end of the structure")    \
  X(kCborLimitExceeded, 103, "CBOR_LIMIT_EXCEEDED", kMalformed,                                    \
    "CBOR nesting, item count or a declared length exceeds a hard limit")                          \
  X(kCborDuplicateKey, 104, "CBOR_DUPLICATE_KEY", kMalformed, "a CBOR map repeats a key")          \
  X(kCborUnsupported, 105, "CBOR_UNSUPPORTED", kMalformed,                                         \
    "a CBOR item type that is never valid here (float, undefined, simple value)")                  \
  X(kInputTooLarge, 106, "INPUT_TOO_LARGE", kMalformed, "input exceeds its size limit")            \
  X(kInputEncoding, 107, "INPUT_ENCODING", kMalformed,                                             \
    "input is neither raw CBOR, hex nor base64, or its hex/base64 is invalid")                     \
  X(kCoseStructure, 110, "COSE_STRUCTURE", kMalformed,                                             \
    "not a COSE_Sign1 array of four (tag 18 optional) with the right element types")               \
  X(kCoseHeader, 111, "COSE_HEADER", kMalformed, "the COSE protected header is malformed")         \
  X(kCoseAlgorithm, 112, "COSE_ALGORITHM", kMalformed,                                             \
    "the COSE algorithm is not the one allowed")                                                   \
  X(kCoseSignatureLength, 113, "COSE_SIGNATURE_LENGTH", kMalformed,                                \
    "the COSE signature is not raw r||s of the curve's size")                                      \
  X(kNsmRequestInvalid, 120, "NSM_REQUEST_INVALID", kMalformed,                                    \
    "an NSM request is not one of the seven requests in its CBOR shape")                           \
  X(kNsmResponseInvalid, 121, "NSM_RESPONSE_INVALID", kMalformed,                                  \
    "the NSM answered with bytes that are not the expected response")                              \
  X(kBundleMalformed, 130, "BUNDLE_MALFORMED", kMalformed,                                         \
    "an evidence bundle is not a readable zip archive, or a member is not what it should be")      \
  X(kBundleMemberMissing, 131, "BUNDLE_MEMBER_MISSING", kMalformed,                                \
    "an evidence bundle lacks a required member")                                                  \
  X(kBundleMemberUnexpected, 132, "BUNDLE_MEMBER_UNEXPECTED", kMalformed,                          \
    "an evidence bundle holds a member with an unknown, repeated or unsafe name, or encrypted")    \
  X(kBundleTooLarge, 133, "BUNDLE_TOO_LARGE", kMalformed,                                          \
    "an evidence bundle, a member or their total exceeds its size limit (zip bomb)")               \
  X(kBundleInconsistent, 134, "BUNDLE_INCONSISTENT", kRejected,                                    \
    "an evidence bundle's members disagree with its manifest or with each other (tampered)")       \
  X(kDocNotAMap, 200, "DOC_NOT_A_MAP", kMalformed, "the attestation payload is not a CBOR map")    \
  X(kDocMissingField, 201, "DOC_MISSING_FIELD", kMalformed,                                        \
    "a mandatory document field is absent")                                                        \
  X(kDocWrongType, 202, "DOC_WRONG_TYPE", kMalformed, "a document field has the wrong CBOR type")  \
  X(kDocUnknownField, 203, "DOC_UNKNOWN_FIELD", kMalformed, "the document has an unknown field")   \
  X(kDocModuleId, 204, "DOC_MODULE_ID", kMalformed, "module_id is empty, too long or not ASCII")   \
  X(kDocDigest, 205, "DOC_DIGEST", kMalformed, "digest is not SHA384")                             \
  X(kDocTimestamp, 206, "DOC_TIMESTAMP", kMalformed, "timestamp is zero")                          \
  X(kDocPcrCount, 207, "DOC_PCR_COUNT", kMalformed, "pcrs has no entry or more than 32")           \
  X(kDocPcrIndex, 208, "DOC_PCR_INDEX", kMalformed, "a PCR index is above 31")                     \
  X(kDocPcrLength, 209, "DOC_PCR_LENGTH", kMalformed, "a PCR value is not 32, 48 or 64 bytes")     \
  X(kDocCertificate, 210, "DOC_CERTIFICATE", kMalformed,                                           \
    "certificate is empty or longer than 1024 bytes")                                              \
  X(kDocCabundle, 211, "DOC_CABUNDLE", kMalformed,                                                 \
    "cabundle is empty, too long, or has an entry of 0 or more than 1024 bytes")                   \
  X(kDocFieldTooLarge, 212, "DOC_FIELD_TOO_LARGE", kMalformed,                                     \
    "public_key, user_data or nonce is longer than 1024 bytes")                                    \
  X(kCertParse, 300, "CERT_PARSE", kMalformed, "a certificate is not valid DER X.509")             \
  X(kCertExpired, 301, "CERT_EXPIRED", kRejected,                                                  \
    "a certificate expired before the verification time")                                          \
  X(kCertNotYetValid, 302, "CERT_NOT_YET_VALID", kRejected,                                        \
    "a certificate is not yet valid at the verification time")                                     \
  X(kCertSignature, 303, "CERT_SIGNATURE", kRejected,                                              \
    "a certificate's signature does not verify with its issuer's key")                             \
  X(kChainIssuer, 304, "CHAIN_ISSUER", kRejected,                                                  \
    "the cabundle does not lead from the root to the leaf (missing, extra or misordered)")         \
  X(kChainRootMismatch, 305, "CHAIN_ROOT_MISMATCH", kRejected,                                     \
    "cabundle[0] is not the pinned root certificate")                                              \
  X(kCertConstraints, 306, "CERT_CONSTRAINTS", kRejected,                                          \
    "basic constraints, path length or key usage forbid this chain")                               \
  X(kCertKeyType, 307, "CERT_KEY_TYPE", kRejected,                                                 \
    "a certificate key or signature algorithm is not P-384 / ECDSA-SHA384")                        \
  X(kRootFingerprint, 308, "ROOT_FINGERPRINT", kRejected,                                          \
    "the AWS root certificate does not have its pinned SHA-256 fingerprint")                       \
  X(kChainInvalid, 309, "CHAIN_INVALID", kRejected, "the certificate chain failed validation")     \
  X(kSignatureInvalid, 400, "SIGNATURE_INVALID", kRejected,                                        \
    "the COSE signature does not verify with the leaf certificate key")                            \
  X(kPcrMismatch, 500, "PCR_MISMATCH", kRejected, "a PCR differs from its expected value")         \
  X(kPcrMissing, 501, "PCR_MISSING", kRejected, "an expected PCR is absent from the document")     \
  X(kKeyBindingMismatch, 502, "KEY_BINDING_MISMATCH", kRejected,                                   \
    "PCR16 is not SHA-384(48 zero bytes || SHA-256(public key))")                                  \
  X(kUserDataLayout, 503, "USER_DATA_LAYOUT", kRejected,                                           \
    "user_data is not the 68-byte nitriding layout 1220||tlsKeyHash||1220||appKeyHash")            \
  X(kAppKeyHashMismatch, 504, "APP_KEY_HASH_MISMATCH", kRejected,                                  \
    "appKeyHash in user_data differs from the expected key hash")                                  \
  X(kNonceMismatch, 505, "NONCE_MISMATCH", kRejected, "the nonce differs from the expected one")   \
  X(kNonceMissing, 506, "NONCE_MISSING", kRejected,                                                \
    "a nonce was expected but the document has none")                                              \
  X(kDocumentTooOld, 507, "DOCUMENT_TOO_OLD", kRejected,                                           \
    "the document is older than the maximum age at the verification time")                         \
  X(kDocumentFromFuture, 508, "DOCUMENT_FROM_FUTURE", kRejected,                                   \
    "the document timestamp is after the verification time")                                       \
  X(kDebugMode, 509, "DEBUG_MODE", kRejected,                                                      \
    "PCR0, PCR1 and PCR2 are all zero: the enclave runs in debug mode")                            \
  X(kPolicyInvalid, 510, "POLICY_INVALID", kMalformed,                                             \
    "the expected values given (PCR file, key, hash) are malformed")                               \
  X(kAppKeyHashUnset, 511, "APP_KEY_HASH_UNSET", kRejected,                                        \
    "appKeyHash in user_data is all zero: the app registered no key")                              \
  X(kPcrSetNoMatch, 512, "PCR_SET_NO_MATCH", kRejected,                                            \
    "the PCRs match none of the allowed measurement sets")                                         \
  X(kLiveHttpStatus, 520, "LIVE_HTTP_STATUS", kRejected,                                           \
    "the service answered a verification request with an HTTP error")                              \
  X(kLiveResponseMalformed, 521, "LIVE_RESPONSE_MALFORMED", kMalformed,                            \
    "a service response lacks a field the verification needs, or it is malformed")                 \
  X(kLiveResponseUnsigned, 522, "LIVE_RESPONSE_UNSIGNED", kRejected,                               \
    "a service response carries no X-Attestation-Signature/-Pubkey")                               \
  X(kTargetsInvalid, 523, "TARGETS_INVALID", kMalformed,                                           \
    "the targets file is empty, too long or has a line that is not an http(s) URL")                \
  X(kTlsBindingMismatch, 524, "TLS_BINDING_MISMATCH", kRejected,                                   \
    "the TLS certificate seen is not the one the enclave bound in tlsKeyHash")                     \
  X(kKmsKeyMismatch, 525, "KMS_KEY_MISMATCH", kRejected,                                           \
    "the service names no KMS key (/v1/info kms_key_arn), or not the expected one")                \
  X(kBlockhashMismatch, 526, "BLOCKHASH_MISMATCH", kRejected,                                      \
    "the service's blockhash (/v1/info) is missing or not the expected one")                       \
  X(kEifHeaderTruncated, 600, "EIF_HEADER_TRUNCATED", kMalformed,                                  \
    "the file is shorter than the 548-byte EIF header")                                            \
  X(kEifBadMagic, 601, "EIF_BAD_MAGIC", kMalformed,                                                \
    "the file does not start with the EIF magic .eif")                                             \
  X(kEifUnsupportedVersion, 602, "EIF_UNSUPPORTED_VERSION", kMalformed,                            \
    "the EIF version is not 2, 3 or 4")                                                            \
  X(kEifTooManySections, 603, "EIF_TOO_MANY_SECTIONS", kMalformed,                                 \
    "the EIF declares or contains more than 32 sections")                                          \
  X(kEifSectionTruncated, 604, "EIF_SECTION_TRUNCATED", kMalformed,                                \
    "a section's data extends past the end of the file")                                           \
  X(kEifOffsetOverflow, 605, "EIF_OFFSET_OVERFLOW", kMalformed,                                    \
    "a section offset plus its size overflows 64 bits")                                            \
  X(kEifSectionType, 606, "EIF_SECTION_TYPE", kMalformed,                                          \
    "a section has type 0 (invalid) or an unknown type (6 or more)")                               \
  X(kEifSectionTable, 607, "EIF_SECTION_TABLE", kMalformed,                                        \
    "the header's section count, offset or size table disagrees with the sections in the file")    \
  X(kEifSectionLayout, 608, "EIF_SECTION_LAYOUT", kMalformed,                                      \
    "required sections are missing, repeated or out of order (one kernel, ramdisks after it, "     \
    "metadata in v4)")                                                                             \
  X(kEifSectionTooLarge, 609, "EIF_SECTION_TOO_LARGE", kMalformed,                                 \
    "a metadata or signature section exceeds its size limit")                                      \
  X(kEifCrcMismatch, 610, "EIF_CRC_MISMATCH", kMalformed,                                          \
    "the stored CRC-32 differs from the CRC-32 of the header and sections")                        \
  X(kEifMetadata, 611, "EIF_METADATA", kMalformed,                                                 \
    "the metadata section is not JSON of the required shape")                                      \
  X(kEifSignatureMalformed, 612, "EIF_SIGNATURE_MALFORMED", kMalformed,                            \
    "the signature section, its certificate or its COSE_Sign1 cannot be decoded")                  \
  X(kEifSignatureInvalid, 613, "EIF_SIGNATURE_INVALID", kRejected,                                 \
    "the image's COSE signature does not verify with its signing certificate")                     \
  X(kEifSignaturePcr0Mismatch, 614, "EIF_SIGNATURE_PCR0_MISMATCH", kRejected,                      \
    "the signed payload is not {register_index: 0, register_value: PCR0 of this image}")           \
  X(kEifSigningKey, 615, "EIF_SIGNING_KEY", kMalformed,                                            \
    "the signing key or certificate is unusable (not P-256/P-384 EC, not PEM, or they do not "     \
    "match)")                                                                                      \
  X(kCpioUnsupportedEntry, 620, "CPIO_UNSUPPORTED_ENTRY", kMalformed,                              \
    "a root filesystem entry cannot go into a newc archive (device, fifo, socket, file of 4 "      \
    "GiB or more)")                                                                                \
  X(kRootfsPathInvalid, 621, "ROOTFS_PATH_INVALID", kMalformed,                                    \
    "a root filesystem path is empty, too long, contains .. or repeats another")                   \
  X(kTarMalformed, 622, "TAR_MALFORMED", kMalformed,                                               \
    "a tar archive is malformed (checksum, number field, pax record, size past the end)")          \
  X(kPolicyJson, 700, "POLICY_JSON", kMalformed,                                                   \
    "a key policy is not valid JSON: syntax, a duplicate key or nesting too deep")                 \
  X(kPolicyStructure, 701, "POLICY_STRUCTURE", kMalformed,                                         \
    "a key policy does not follow the IAM grammar (elements, types, Effect, Version, operators)")  \
  X(kPolicyUnsupported, 702, "POLICY_UNSUPPORTED", kMalformed,                                     \
    "a key policy uses a construct the evaluator does not implement (NotPrincipal, an operator)")  \
  X(kPolicyPcrValue, 703, "POLICY_PCR_VALUE", kRejected,                                           \
    "a PCR for a KMS attestation condition is not 48 bytes, is all zero (debug) or PCR0 is "       \
    "missing")                                                                                     \
  X(kPolicyNotEnclaveOnly, 704, "POLICY_NOT_ENCLAVE_ONLY", kRejected,                              \
    "a principal can reach a decrypt-class action without a condition on the measured image")      \
  X(kPolicyNotLocked, 705, "POLICY_NOT_LOCKED", kRejected,                                         \
    "a principal can still change the key policy, create grants or schedule key deletion")         \
  X(kLockNotConfirmed, 706, "LOCK_NOT_CONFIRMED", kUsage,                                          \
    "the irreversible lock was not confirmed (type the key id, or pass --yes)")                    \
  X(kCredentialsNotFound, 708, "CREDENTIALS_NOT_FOUND", kUsage,                                    \
    "no AWS credentials in the environment, the shared files or the instance metadata service")    \
  X(kCredentialsMalformed, 709, "CREDENTIALS_MALFORMED", kMalformed,                               \
    "an AWS credentials or config file, or an instance metadata answer, is malformed")             \
  X(kKmsResponseMalformed, 710, "KMS_RESPONSE_MALFORMED", kMalformed,                              \
    "a KMS response is not the JSON shape of its operation")                                       \
  X(kKmsAccessDenied, 711, "KMS_ACCESS_DENIED", kRejected,                                         \
    "KMS: AccessDeniedException (the key policy or IAM denies the call)")                          \
  X(kKmsNotFound, 712, "KMS_NOT_FOUND", kRejected,                                                 \
    "KMS: NotFoundException (no such key, alias or policy)")                                       \
  X(kKmsInvalidState, 713, "KMS_INVALID_STATE", kRejected,                                         \
    "KMS: the key is disabled or pending deletion (KMSInvalidStateException, DisabledException)")  \
  X(kKmsMalformedPolicy, 714, "KMS_MALFORMED_POLICY", kRejected,                                   \
    "KMS: MalformedPolicyDocumentException (including the lockout safety check)")                  \
  X(kKmsValidation, 715, "KMS_VALIDATION", kRejected,                                              \
    "KMS rejected a parameter (ValidationException, SerializationException, InvalidArnException)") \
  X(kKmsInvalidCiphertext, 716, "KMS_INVALID_CIPHERTEXT", kRejected,                               \
    "KMS: InvalidCiphertextException or IncorrectKeyException")                                    \
  X(kKmsKeyUsage, 717, "KMS_KEY_USAGE", kRejected,                                                 \
    "KMS: the key does not support the operation (InvalidKeyUsage, UnsupportedOperation)")         \
  X(kKmsAuth, 718, "KMS_AUTH", kRejected,                                                          \
    "KMS did not accept the credentials or the signature of the request")                          \
  X(kKmsLimitExceeded, 719, "KMS_LIMIT_EXCEEDED", kRejected,                                       \
    "KMS: LimitExceededException (a quota, e.g. the 32 KB key policy size)")                       \
  X(kKmsError, 720, "KMS_ERROR", kRejected,                                                        \
    "KMS returned an error without a more specific code (its name is in the message)")             \
  X(kCmsMalformed, 721, "CMS_MALFORMED", kMalformed,                                               \
    "CiphertextForRecipient is not a BER CMS EnvelopedData")                                       \
  X(kCmsUnsupported, 722, "CMS_UNSUPPORTED", kMalformed,                                           \
    "CiphertextForRecipient differs from KMS: one RSAES-OAEP-SHA256 recipient, AES-256-CBC")       \
  X(kCmsDecrypt, 723, "CMS_DECRYPT", kRejected,                                                    \
    "CiphertextForRecipient does not decrypt with the recipient key")                              \
  X(kPolicyLintErrors, 724, "POLICY_LINT_ERRORS", kRejected,                                       \
    "lint reports errors in a policy that must be clean before an irreversible lock")              \
  X(kKmsRequestMalformed, 730, "KMS_REQUEST_MALFORMED", kMalformed,                                \
    "a KMS request body is not the JSON shape of its operation (SerializationException)")          \
  X(kLocalKmsState, 731, "LOCAL_KMS_STATE", kMalformed,                                            \
    "a local KMS state or configuration file is damaged (not the JSON it wrote)")                  \
  X(kKeyImport, 732, "KEY_IMPORT", kMalformed,                                                     \
    "a private key to import is unusable (not PEM, not P-256/P-384/secp256k1, usage not allowed)") \
  X(kAppNotSetUp, 750, "APP_NOT_SET_UP", kRejected,                                                \
    "the key service has no key yet: set it up first (HTTP 503)")                                  \
  X(kAppAlreadySetUp, 751, "APP_ALREADY_SET_UP", kRejected,                                        \
    "the key was already set up in this boot, or another setup is running (HTTP 409)")             \
  X(kAppRequestMalformed, 752, "APP_REQUEST_MALFORMED", kMalformed,                                \
    "a request is not what the endpoint expects: HTTP framing, JSON syntax, types, members")       \
  X(kAppRequestInvalid, 753, "APP_REQUEST_INVALID", kMalformed,                                    \
    "a request field has a wrong value, encoding or length (hex, blockhash, digest, nonce)")       \
  X(kAppNotFound, 754, "APP_NOT_FOUND", kUsage, "no such endpoint or action (HTTP 404)")           \
  X(kAppMethodNotAllowed, 755, "APP_METHOD_NOT_ALLOWED", kUsage,                                   \
    "the endpoint does not accept this HTTP method (HTTP 405)")                                    \
  X(kAppKeyBinding, 756, "APP_KEY_BINDING", kRejected,                                             \
    "PCR16 cannot bind the key: it was extended or locked with another value in this boot")        \
  X(kSealedRecordInvalid, 757, "SEALED_RECORD_INVALID", kMalformed,                                \
    "a sealed-key record is malformed, of another KMS key, or does not match the key it seals")    \
  X(kSealedKeyExists, 758, "SEALED_KEY_EXISTS", kRejected,                                         \
    "a sealed-key record already exists in the store (another instance sealed first)")             \
  X(kSsmParameterNotFound, 759, "SSM_PARAMETER_NOT_FOUND", kRejected,                              \
    "SSM: ParameterNotFound (no such parameter)")                                                  \
  X(kSsmParameterExists, 760, "SSM_PARAMETER_EXISTS", kRejected,                                   \
    "SSM: ParameterAlreadyExists (PutParameter without Overwrite)")                                \
  X(kSsmAccessDenied, 761, "SSM_ACCESS_DENIED", kRejected,                                         \
    "SSM: AccessDeniedException (IAM denies the call)")                                            \
  X(kSsmError, 762, "SSM_ERROR", kRejected,                                                        \
    "SSM returned an error without a more specific code (its name is in the message)")             \
  X(kSsmResponseMalformed, 763, "SSM_RESPONSE_MALFORMED", kMalformed,                              \
    "an SSM response is not the JSON shape of its operation")                                      \
  X(kAppSignatureInvalid, 764, "APP_SIGNATURE_INVALID", kRejected,                                 \
    "a key-service signature (a response header or a /v1/sign result) does not verify")            \
  X(kAppKeyNotAllowed, 765, "APP_KEY_NOT_ALLOWED", kRejected,                                      \
    "a setup named another KMS key, mode or blockhash than the configured --key-id setup (403)")   \
  X(kAppKeyPolicyUnsafe, 766, "APP_KEY_POLICY_UNSAFE", kRejected,                                  \
    "the KMS key's policy is not enclave-only (or locked) for this enclave's PCR0: no setup")      \
  X(kSealedRecordOutdated, 767, "SEALED_RECORD_OUTDATED", kRejected,                               \
    "a sealed-key record of format version 1 (no AEAD binding): never adopted, seal anew")         \
  X(kNsmPublicKey, 768, "NSM_PUBLIC_KEY", kMalformed,                                              \
    "nsm attest --public-key is not a public key in PEM or DER (SubjectPublicKeyInfo)")            \
  X(kIoRead, 800, "IO_READ", kIo, "a file could not be read")                                      \
  X(kIoWrite, 801, "IO_WRITE", kIo, "a file could not be written")                                 \
  X(kNetwork, 802, "NETWORK", kIo,                                                                 \
    "a remote service could not be reached: connection, TLS or timeout failure")                   \
  X(kServiceUnavailable, 803, "SERVICE_UNAVAILABLE", kIo,                                          \
    "a remote service answered 5xx or throttled on every retry")                                   \
  X(kListenFailed, 804, "LISTEN_FAILED", kIo, "a server cannot listen on the requested address")   \
  X(kNsmUnavailable, 820, "NSM_UNAVAILABLE", kIo,                                                  \
    "the Nitro Security Module device cannot be opened or does not answer")                        \
  X(kNsmError, 821, "NSM_ERROR", kIo,                                                              \
    "the Nitro Security Module refused the request (its error name is in the message)")            \
  X(kLocalKmsBusy, 830, "LOCAL_KMS_BUSY", kIo,                                                     \
    "the local KMS state directory is in use by a running kms serve")                              \
  X(kAppRequestTimeout, 840, "APP_REQUEST_TIMEOUT", kIo,                                           \
    "a client did not send its whole request in time (HTTP 408; slow clients are cut off)")        \
  X(kAppOverloaded, 841, "APP_OVERLOADED", kIo,                                                    \
    "the key service refused a connection: too many open connections (HTTP 503)")                  \
  X(kAccountKmsFailed, 842, "ACCOUNT_KMS_FAILED", kIo,                                             \
    "the account service could not get or open a data key from KMS (the kms_failed envelope)")     \
  X(kLocalKmsNotOurs, 848, "LOCAL_KMS_NOT_OURS", kIo,                                              \
    "a pid file names a process that is not provably the local KMS it recorded: not stopped")      \
  X(kLocalStackNotFound, 849, "LOCAL_STACK_NOT_FOUND", kUsage,                                     \
    "no local stack state at the given --state directory (the root given to dev up)")              \
  X(kInternal, 900, "INTERNAL", kInternal,                                                         \
    "an internal error: memory exhausted or a library call failed unexpectedly")                   \
  X(kBtcTxMalformed, 1000, "BTC_TX_MALFORMED", kMalformed,                                         \
    "a Bitcoin transaction or output is not a valid consensus serialisation")                      \
  X(kBtcTxTooLarge, 1001, "BTC_TX_TOO_LARGE", kMalformed,                                          \
    "a Bitcoin transaction exceeds a size, weight or count limit")                                 \
  X(kBtcScriptFailed, 1002, "BTC_SCRIPT_FAILED", kRejected,                                        \
    "a Bitcoin script did not verify (the detail names Bitcoin Core's script error)")              \
  X(kBtcSpentOutputs, 1003, "BTC_SPENT_OUTPUTS", kMalformed,                                       \
    "the spent outputs do not match the transaction's inputs (count or input index)")              \
  X(kBtcKeyInvalid, 1004, "BTC_KEY_INVALID", kMalformed,                                           \
    "a secp256k1 key, x-only key or tweak is not valid")                                           \
  X(kBtcTestFileMalformed, 1005, "BTC_TEST_FILE_MALFORMED", kMalformed,                            \
    "a script test file is not in the format of Bitcoin Core's script_taproot_tests.json")         \
  X(kBtcInvalidControlBlock, 1006, "BTC_INVALID_CONTROL_BLOCK", kMalformed,                        \
    "verify-and-sign: an emulated input's Taproot control block does not decode")                  \
  X(kBtcUnexpectedInput, 1007, "BTC_UNEXPECTED_INPUT", kRejected,                                \
    "verify-and-sign: an emulated input does not spend the output derived for its script tree") \
  X(kEthAddressInvalid, 1100, "ETH_ADDRESS_INVALID", kMalformed,                                 \
    "an Ethereum address is not 0x followed by 40 hex digits")                                   \
  X(kEthAddressChecksum, 1101, "ETH_ADDRESS_CHECKSUM", kMalformed,                               \
    "a mixed-case Ethereum address does not match its EIP-55 checksum (a typo)")                 \
  X(kEthPublicKeyInvalid, 1102, "ETH_PUBLIC_KEY_INVALID", kMalformed,                            \
    "a public key is not a secp256k1 point (64 bytes X then Y, or 33/65 bytes SEC1)")             \
  X(kEthSecretKeyInvalid, 1103, "ETH_SECRET_KEY_INVALID", kMalformed,                            \
    "a secp256k1 secret key is not 32 bytes, is zero or is not below the group order")           \
  X(kEthRlpMalformed, 1104, "ETH_RLP_MALFORMED", kMalformed,                                     \
    "bytes are not canonical RLP (truncated, non-minimal length, trailing bytes)")               \
  X(kEthRlpLimitExceeded, 1105, "ETH_RLP_LIMIT_EXCEEDED", kMalformed,                            \
    "RLP nesting, item count or size exceeds a hard limit")                                      \
  X(kEthSignatureMalformed, 1106, "ETH_SIGNATURE_MALFORMED", kMalformed,                         \
    "a signature is not 65 bytes r, s, v with v in {0,1,27,28}, r and s in range and s low")     \
  X(kEthSignatureInvalid, 1107, "ETH_SIGNATURE_INVALID", kRejected,                              \
    "no public key can be recovered from the signature and digest")                              \
  X(kEthTxJsonInvalid, 1108, "ETH_TX_JSON_INVALID", kMalformed,                                  \
    "a transaction is not a JSON object of the known members with their JSON types")             \
  X(kEthTxFieldInvalid, 1109, "ETH_TX_FIELD_INVALID", kMalformed,                                \
    "a transaction field has a bad value: quantity syntax or range, hex, size, address")         \
  X(kEthTxChainId, 1110, "ETH_TX_CHAIN_ID", kMalformed,                                          \
    "a transaction has no chain id, chain id 0, or one above EIP-2294's bound (no replay guard)") \
  X(kEthTxTypeUnsupported, 1111, "ETH_TX_TYPE_UNSUPPORTED", kMalformed,                          \
    "a transaction is neither EIP-1559 (type 2) nor legacy EIP-155, or mixes their fee fields")  \
  X(kEthTxMalformed, 1112, "ETH_TX_MALFORMED", kMalformed,                                       \
    "a signed raw transaction does not decode (type byte, field count or a field's encoding)")   \
  X(kEthMessageTooLarge, 1113, "ETH_MESSAGE_TOO_LARGE", kMalformed,                              \
    "a personal_sign message exceeds its size limit")                                            \
  X(kEthTxFromMismatch, 1114, "ETH_TX_FROM_MISMATCH", kRejected,                                 \
    "a transaction's from address is not the address of the signing key")                          \
  X(kWalletEnvelopeMalformed, 1120, "WALLET_ENVELOPE_MALFORMED", kMalformed,                       \
    "an encryptedPrivateKey is not a legacy or hardened account envelope (base64, size, prefix)")  \
  X(kWalletDecryptFailed, 1121, "WALLET_DECRYPT_FAILED", kRejected,                                \
    "an account envelope does not open: wrong data key, or bytes or bound fields changed")         \
  X(kWalletKeyTextInvalid, 1122, "WALLET_KEY_TEXT_INVALID", kMalformed,                            \
    "a legacy envelope's plaintext is neither base64 of 32 bytes nor 0x and 64 hex digits")        \
  X(kWalletAddressMismatch, 1123, "WALLET_ADDRESS_MISMATCH", kRejected,                            \
    "the decrypted account key is not the key of the row's address (a swapped row)")               \
  X(kWalletItemMalformed, 1124, "WALLET_ITEM_MALFORMED", kMalformed,                               \
    "an account row lacks an attribute, has a non-S or oversized one, or mixes dialects")          \
  X(kWalletAccountInvalid, 1125, "WALLET_ACCOUNT_INVALID", kMalformed,                             \
    "an account field has a bad value: name, key id, address, base64 or its size")                 \
  X(kWalletAccountExists, 1126, "WALLET_ACCOUNT_EXISTS", kRejected,                                \
    "an account with this key id and name already exists (accounts are never overwritten)")        \
  X(kWalletAccountNotFound, 1127, "WALLET_ACCOUNT_NOT_FOUND", kRejected,                           \
    "no account with this key id and name")                                                        \
  X(kWalletStoreError, 1128, "WALLET_STORE_ERROR", kMalformed,                                     \
    "the account store file is not a usable SQLite account store (not a database, corrupt)")       \
  X(kDynamoDbError, 1129, "DYNAMODB_ERROR", kRejected,                                             \
    "DynamoDB refused a request (validation, limits, or an unknown error type)")                   \
  X(kDynamoDbResponseMalformed, 1130, "DYNAMODB_RESPONSE_MALFORMED", kMalformed,                   \
    "a DynamoDB answer is not the JSON the operation defines")                                     \
  X(kDynamoDbTableNotFound, 1131, "DYNAMODB_TABLE_NOT_FOUND", kRejected,                           \
    "the DynamoDB table does not exist (ResourceNotFoundException)")                               \
  X(kDynamoDbAccessDenied, 1132, "DYNAMODB_ACCESS_DENIED", kRejected,                              \
    "DynamoDB refused the credentials or the signature, or IAM denies the action")                 \
  X(kDynamoDbConditionFailed, 1133, "DYNAMODB_CONDITION_FAILED", kRejected,                        \
    "a DynamoDB write's condition does not hold (ConditionalCheckFailedException)") \
  X(kSeedWalletRequestInvalid, 1140, "SEED_WALLET_REQUEST_INVALID", kMalformed,                  \
    "a nitro-enclave-wallet (seed a) request is not one JSON object or a field is not valid")   \
  X(kAccountFrameInvalid, 1141, "ACCOUNT_FRAME_INVALID", kMalformed,                             \
    "an account protocol frame is cut short (header or body) or declares more than its cap")     \
  X(kAccountRequestInvalid, 1142, "ACCOUNT_REQUEST_INVALID", kMalformed,                         \
    "an account request (generateAccount, sign) is not JSON or misses or mistypes a field")      \
  X(kAccountRequestUnsupported, 1143, "ACCOUNT_REQUEST_UNSUPPORTED", kMalformed,                 \
    "an account request names an apiRequest this enclave does not offer")                        \
  X(kAccountAddressMismatch, 1144, "ACCOUNT_ADDRESS_MISMATCH", kRejected,                        \
    "a sign request's address is not the address of the decrypted account key")                  \
  X(kAccountDecryptFailed, 1145, "ACCOUNT_DECRYPT_FAILED", kRejected,                            \
    "an account's encrypted private key does not open under its data key")                     \
  X(kAccountOwnerKeyInvalid, 1146, "ACCOUNT_OWNER_KEY_INVALID", kMalformed,                      \
    "an account owner key is not 64 hex digits of a valid x-only (BIP-340) secp256k1 key")       \
  X(kAccountOwnerNonceInvalid, 1147, "ACCOUNT_OWNER_NONCE_INVALID", kMalformed,                  \
    "an owner authorization's nonce is not 16 to 32 bytes of hex")                               \
  X(kAccountOwnerAuthMissing, 1148, "ACCOUNT_OWNER_AUTH_MISSING", kRejected,                     \
    "a sign request for an owned account carries no owner signature")                            \
  X(kAccountOwnerAuthInvalid, 1149, "ACCOUNT_OWNER_AUTH_INVALID", kRejected,                     \
    "an owner signature does not verify under the account's owner key for this request")        \
  X(kAccountOwnerNonceReplayed, 1150, "ACCOUNT_OWNER_NONCE_REPLAYED", kRejected,                 \
    "an owner authorization was already used (its nonce is in the enclave's replay cache)")      \
  X(kAccountKeyPolicyRefused, 1151, "ACCOUNT_KEY_POLICY_REFUSED", kRejected,                     \
    "the KMS key's policy is not enclave-only for this enclave's PCR0, so no account is used")   \
  X(kAccountDebugEnclaveRefused, 1152, "ACCOUNT_DEBUG_ENCLAVE_REFUSED", kRejected,               \
    "a debug-mode enclave (PCR0 all zeros) refuses account keys outside --dev")                    \
  X(kWalletEnclaveRefused, 1161, "WALLET_ENCLAVE_REFUSED", kRejected,                              \
    "the wallet enclave answered with an error envelope (kms_failed, decrypt_failed, ...)")         \
  X(kWalletEnclaveResponseInvalid, 1162, "WALLET_ENCLAVE_RESPONSE_INVALID", kMalformed,            \
    "the wallet enclave's answer is not a valid response to the request sent")                     \
  X(kWalletSignatureMismatch, 1163, "WALLET_SIGNATURE_MISMATCH", kRejected,                        \
    "a signature from the enclave does not recover the account's address (nothing is printed)")    \
  X(kWalletOwnerRequired, 1164, "WALLET_OWNER_REQUIRED", kUsage,                                   \
    "the account has an owner key: signing needs the owner's secret (--owner-secret-file)")        \
  X(kMonitorListenFailed, 1200, "MONITOR_LISTEN_FAILED", kIo,                                    \
    "the metrics server cannot listen on the address given (in use, not local, no permission)")    \
  X(kIntrospectorBodyMalformed, 1300, "INTROSPECTOR_BODY_MALFORMED", kMalformed,                 \
    "an Introspector-compatible body (/v1/info, /v1/enclave-info, /v1/migration-status) does "   \
    "not decode as the Go client decodes it")                                                    \
  X(kImageConfigInvalid, 1301, "IMAGE_CONFIG_INVALID", kMalformed,                               \
    "the image config (/etc/enclavectl/image-config.json) is not valid: unknown member, bad "    \
    "previous_pcr0 or maintainer_pubkey")                                                        \
  X(kNitridingRegistrationFailed, 1302, "NITRIDING_REGISTRATION_FAILED", kIo,                    \
    "nitriding did not accept the appKeyHash registration (POST /enclave/hash) or readiness")    \
  X(kTlsKeyHashZero, 1304, "TLS_KEY_HASH_ZERO", kRejected,                                       \
    "over HTTPS the document's tlsKeyHash is all zero: the TLS session is not bound to it")      \
  X(kPreviousPcr0Mismatch, 1305, "PREVIOUS_PCR0_MISMATCH", kRejected,                            \
    "/v1/enclave-info previous_pcr0 is not the expected PCR0 of the image this one replaces")    \
  X(kLineageBroken, 1306, "LINEAGE_BROKEN", kRejected,                                           \
    "a lineage step's previous_pcr0 is not the PCR0 of the step before it")                      \
  X(kLineageInvalid, 1307, "LINEAGE_INVALID", kMalformed,                                        \
    "a lineage (targets file) is malformed: no steps, a PCR0 that is not 96 hex digits")         \
  X(kMaintainerSignatureInvalid, 1308, "MAINTAINER_SIGNATURE_INVALID", kRejected,                \
    "the maintainer's BIP-340 signature over SHA-256(target_pcr0:activation_time) does not "     \
    "verify")                                                                                      \
  X(kMigrationRequestInvalid, 1309, "MIGRATION_REQUEST_INVALID", kMalformed,                       \
    "a migration request body is not the expected JSON (attestation_doc base64, v2_nonce 64 hex)") \
  X(kMigrationDocumentInvalid, 1310, "MIGRATION_DOCUMENT_INVALID", kRejected,                      \
    "a migration peer's attestation document does not verify to the trusted root now")             \
  X(kMigrationDebugDocument, 1311, "MIGRATION_DEBUG_DOCUMENT", kRejected,                          \
    "a migration peer's attestation document is from a debug-mode enclave (PCR0 zero)")            \
  X(kMigrationNonceInvalid, 1312, "MIGRATION_NONCE_INVALID", kRejected,                            \
    "a migration document's nonce was not issued here, was already used or expired")               \
  X(kMigrationPublicKeyInvalid, 1313, "MIGRATION_PUBLIC_KEY_INVALID", kRejected,                   \
    "a migration document's public_key is missing or not an RSA key of >= 2048 bits")              \
  X(kMigrationTargetIsSelf, 1314, "MIGRATION_TARGET_IS_SELF", kRejected,                           \
    "the migration target's PCR0 is this enclave's own PCR0")                                      \
  X(kMigrationNoMaintainerKey, 1315, "MIGRATION_NO_MAINTAINER_KEY", kRejected,                     \
    "this image has no maintainer_pubkey: it never migrates its key")                              \
  X(kMigrationActivationTooEarly, 1316, "MIGRATION_ACTIVATION_TOO_EARLY", kRejected,               \
    "the signed activation_time is earlier than initiation plus the cooldown")                     \
  X(kMigrationPending, 1317, "MIGRATION_PENDING", kRejected,                                       \
    "a migration is already pending (409 migration already pending)")                              \
  X(kKeyMigrated, 1318, "KEY_MIGRATED", kRejected,                                                 \
    "the signing key was migrated to another image: this enclave no longer signs (410)")           \
  X(kMigrationNotPending, 1319, "MIGRATION_NOT_PENDING", kRejected,                                \
    "a migration completion was asked with no migration pending")                                  \
  X(kMigrationAlreadyCompleted, 1320, "MIGRATION_ALREADY_COMPLETED", kRejected,                    \
    "the migration was already completed (409 migration already completed)")                       \
  X(kMigrationCooldownRunning, 1321, "MIGRATION_COOLDOWN_RUNNING", kRejected,                      \
    "the migration cooldown since initiation has not elapsed (425)")                               \
  X(kMigrationNotActive, 1322, "MIGRATION_NOT_ACTIVE", kRejected,                                  \
    "the signed activation_time has not been reached (425)")                                       \
  X(kMigrationPcr0Mismatch, 1323, "MIGRATION_PCR0_MISMATCH", kRejected,                            \
    "the completing document's PCR0 is not the migration's target")                                \
  X(kMigrationStateForged, 1324, "MIGRATION_STATE_FORGED", kRejected,                              \
    "the stored migration state's MAC does not verify under this enclave's key")                   \
  X(kMigrationStateInvalid, 1325, "MIGRATION_STATE_INVALID", kMalformed,                           \
    "the stored migration state is not valid JSON of the expected shape")                          \
  X(kMigrationSourceRefused, 1326, "MIGRATION_SOURCE_REFUSED", kRejected,                          \
    "V2 refuses V1's answer: PCR0 not previous_pcr0, or nonce, user_data, PCR16 wrong")            \
  X(kMigrationNoPredecessor, 1327, "MIGRATION_NO_PREDECESSOR", kRejected,                          \
    "this image's previous_pcr0 is genesis: it has no predecessor to take a key from")             \
  X(kMigrationPeerFailed, 1328, "MIGRATION_PEER_FAILED", kIo,                                      \
    "the migration peer is unreachable or answered an error or a malformed body")                  \
  X(kEnclaveRetired, 1340, "ENCLAVE_RETIRED", kRejected,                                         \
    "the enclave reports migrated_to_pcr0: it handed its key to that image and no longer signs") \
  X(kMigrationStatusInvalid, 1341, "MIGRATION_STATUS_INVALID", kMalformed,                       \
    "a migration field (/v1/migration-status state, migrated_to/from_pcr0, key_origin) is not "  \
    "valid: a PCR0 that is not 96 hex digits, a time that is not positive, completion before "   \
    "initiation")                                                                                \
  X(kMigrationInconsistent, 1342, "MIGRATION_INCONSISTENT", kRejected,                           \
    "the migration status contradicts the attested enclave: a state for another PCR0, a "        \
    "completed migration while the enclave still signs, a key migrated from another PCR0 than "  \
    "its previous_pcr0")                                                                           \
  X(kAdoptCiphertextAbsent, 1360, "ADOPT_CIPHERTEXT_ABSENT", kRejected,                          \
    "--adopt-ciphertext: the parameter or file is missing, empty or UNSET: there is no "         \
    "Introspector key to adopt (nothing is generated instead)")                                  \
  X(kAdoptCiphertextInvalid, 1361, "ADOPT_CIPHERTEXT_INVALID", kMalformed,                       \
    "--adopt-ciphertext: the value is not standard padded base64 of a KMS ciphertext blob "      \
    "(1..6144 bytes)")                                                                           \
  X(kAdoptSecretInvalid, 1362, "ADOPT_SECRET_INVALID", kRejected,                                \
    "the adopted ciphertext's plaintext is not 32 bytes or 64 hex digits, or not a valid "       \
    "secp256k1 secret (zero, or not below the group order)")                                     \
  X(kAdoptKeyPolicyUnsafe, 1363, "ADOPT_KEY_POLICY_UNSAFE", kRejected,                           \
    "the KMS key of the ciphertext to adopt is not enclave-only for this enclave's PCR0 (its "   \
    "policy lets something else decrypt or encrypt under it): nothing is adopted")

enum class ErrorCode : std::uint16_t {
#define ENCLAVECTL_X_ENUM(name, value, text, exit_class, meaning) name = value,
  ENCLAVECTL_ERROR_CODES(ENCLAVECTL_X_ENUM)
#undef ENCLAVECTL_X_ENUM
};

// One row of the table, for documentation and `enclavectl errors`.
struct ErrorCodeInfo {
  ErrorCode code;
  std::string_view name;
  ExitClass exit_class;
  std::string_view meaning;
};

// Every code, in ascending value order.
std::span<const ErrorCodeInfo> AllErrorCodes() noexcept;

// The table row for `code`; every enumerator has one.
const ErrorCodeInfo& InfoFor(ErrorCode code) noexcept;

// The stable SCREAMING_SNAKE name of `code`.
std::string_view ErrorCodeName(ErrorCode code) noexcept;

// The code whose name is `name`, or nullopt.
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) noexcept;

// The process exit code for an exit class: 64, 2, 1, 74, 70.
int ExitCodeFor(ExitClass exit_class) noexcept;

// The name of an exit class as `enclavectl errors --json` lists it: "usage", "malformed",
// "rejected", "io", "internal".
const char* ExitClassName(ExitClass exit_class) noexcept;

}  // namespace enclavectl::core

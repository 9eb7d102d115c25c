// The PCR sources (adapters: they read files; the attestation source verifies a document
// with the verifier at a given time).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/pcr_source.hpp"
#include "enclavectl/verifier/trust.hpp"
#include "enclavectl/verifier/verify.hpp"

namespace enclavectl::kmspolicy::io {

// nitro-cli pcr.json, describe-eif / build-enclave output ({"Measurements": ...}) or a JSON
// array of them (several allowed images). Fails with kIoRead, kInputTooLarge,
// kPolicyInvalid.
std::unique_ptr<PcrSource> MakePcrFileSource(std::string path);

// "N=HEX" arguments (--pcr 0=...). Every PCR given is pinned. Fails with kInvalidArgument.
std::unique_ptr<PcrSource> MakePcrAssignmentSource(std::vector<std::string> assignments);

// An attestation document file (raw CBOR, hex or base64), verified against `root` at
// `policy.time` (or its own timestamp) before any PCR is used: an unverified document never
// becomes a policy. Debug-mode documents are refused by the verifier. Fails with kIoRead and
// the verifier's codes.
std::unique_ptr<PcrSource> MakeAttestationSource(std::string path,
                                                 const verifier::TrustAnchor& root,
                                                 verifier::VerificationPolicy policy);

// Reads and verifies an attestation document file the same way, for simulate's
// attestation-derived condition keys.
[[nodiscard]] core::Result<verifier::VerifiedDocument> LoadVerifiedDocument(
    const std::string& path, const verifier::TrustAnchor& root,
    const verifier::VerificationPolicy& policy);

// An EIF image measured like `nitro-cli describe-eif` (eifbuild): PCR0, PCR1, PCR2 and, when
// signed, PCR8. Fails with kIoRead, or the EIF codes (6xx) of a malformed or damaged image
// (a failed CRC, layout or signature check included).
std::unique_ptr<PcrSource> MakeEifSource(std::string path);

}  // namespace enclavectl::kmspolicy::io

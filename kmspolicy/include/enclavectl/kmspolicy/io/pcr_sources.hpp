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

// An EIF image. The EIF measurement code belongs to the eif part, developed separately; until
// it is linked in, this source fails with kPcrSourceUnavailable (a usage error) naming the
// alternatives. Replacing its body with a call to the eif part's measurement is the only
// change needed to support --eif.
std::unique_ptr<PcrSource> MakeEifSource(std::string path);

}  // namespace enclavectl::kmspolicy::io

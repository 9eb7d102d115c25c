// The Recipient parameter (kms.md 5.1): the attestation document is verified against the
// configured roots without the service lock (pure and CPU-heavy), and the result is encrypted
// to the document's RSA key as CiphertextForRecipient.
#include "enclavectl/aws/recipient.hpp"
#include "service_internal.hpp"

namespace enclavectl::localkms::internal {

std::optional<Fault> Service::CheckRecipient(const std::optional<aws::RecipientInfo>& info,
                                             RecipientCheck& out) const {
  if (!info) {
    return std::nullopt;
  }
  out.present = true;
  const core::ByteView document = info->attestation_document;
  verifier::VerificationPolicy policy;
  policy.time = clock_.Now();
  policy.max_age_ms = attestation_.max_age_ms;
  // KMS accepts debug-mode documents (all-zero PCR0..2): the policy's PCR conditions decide.
  policy.allow_debug = true;
  std::optional<verifier::AttestationDocument> decoded;
  for (const verifier::TrustAnchor& root : attestation_.roots) {
    auto verified =
        verifier::VerifyDocument(document, verifier::VerifierConfig{&root, nullptr}, policy);
    if (verified) {
      decoded = verified->Document();
      out.verified.emplace(std::move(*verified));
      break;
    }
    if (core::InfoFor(verified.error().code).exit_class == core::ExitClass::kMalformed) {
      return MakeFault("ValidationException",
                       "The attestation document in Recipient is not valid: " +
                           std::string(core::ErrorCodeName(verified.error().code)));
    }
    out.note += (out.note.empty() ? "" : "; ") + root.Describe() + ": " +
                std::string(core::ErrorCodeName(verified.error().code)) + " (" +
                verified.error().detail + ")";
  }
  if (!decoded) {
    auto parsed = verifier::DecodeAttestation(document);
    if (!parsed || !verifier::ValidateAttestation(*parsed)) {
      return MakeFault("ValidationException", "The attestation document in Recipient is not valid");
    }
    decoded = std::move(parsed->doc);
    out.note = "attestation document not trusted (" +
               (attestation_.roots.empty() ? std::string("no root configured") : out.note) +
               "): evaluated without attestation keys";
  }
  if (!decoded->public_key) {
    return MakeFault("ValidationException",
                     "The attestation document in Recipient has no public_key");
  }
  auto key = aws::ParseRecipientPublicKey(*decoded->public_key);
  if (!key) {
    return MakeFault("ValidationException",
                     "The attestation document's public_key must be an RSA public key (DER "
                     "SubjectPublicKeyInfo, 2048 to 4096 bits)");
  }
  out.key = std::move(*key);
  out.spki = *decoded->public_key;
  return std::nullopt;
}

std::optional<Fault> Deliver(const RecipientCheck& recipient, core::SecretBytes& secret,
                             core::Bytes& out_for_recipient) {
  if (!recipient.present) {
    return std::nullopt;
  }
  auto envelope = aws::EncryptForRecipient(secret.View(), recipient.key.get(), recipient.spki);
  secret.Clear();
  if (!envelope) {
    return InternalFault("The result could not be encrypted to the recipient");
  }
  out_for_recipient = std::move(*envelope);
  return std::nullopt;
}

}  // namespace enclavectl::localkms::internal

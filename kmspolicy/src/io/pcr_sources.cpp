#include "enclavectl/kmspolicy/io/pcr_sources.hpp"

#include <utility>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/limits.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/verifier/policy.hpp"

namespace enclavectl::kmspolicy::io {
namespace {

using core::ErrorCode;
using core::Fail;

class PcrFileSource final : public PcrSource {
 public:
  explicit PcrFileSource(std::string path) : path_(std::move(path)) {}
  std::string Describe() const override { return "PCR file " + path_; }
  core::Result<Measurements> Load() override {
    auto text = core::io::ReadFile(path_, core::limits::kMaxPolicyFileBytes);
    if (!text) {
      return Fail(text.error());
    }
    auto sets = verifier::ParsePcrSets(core::AsChars(*text));
    if (!sets) {
      core::Error error = sets.error();
      error.detail = path_ + ": " + error.detail;
      return Fail(std::move(error));
    }
    return Measurements{std::move(*sets), Describe(), false};
  }

 private:
  std::string path_;
};

class PcrAssignmentSource final : public PcrSource {
 public:
  explicit PcrAssignmentSource(std::vector<std::string> assignments)
      : assignments_(std::move(assignments)) {}
  std::string Describe() const override {
    return std::to_string(assignments_.size()) + " --pcr argument(s)";
  }
  core::Result<Measurements> Load() override {
    verifier::PcrSet set;
    for (const std::string& text : assignments_) {
      auto assignment = verifier::ParsePcrAssignment(text);
      if (!assignment) {
        return Fail(ErrorCode::kInvalidArgument, "--pcr: " + assignment.error().detail);
      }
      if (!set.emplace(assignment->first, std::move(assignment->second)).second) {
        return Fail(ErrorCode::kInvalidArgument,
                    "--pcr: PCR" + std::to_string(assignment->first) + " is given twice");
      }
    }
    return Measurements{{std::move(set)}, Describe(), true};
  }

 private:
  std::vector<std::string> assignments_;
};

class AttestationSource final : public PcrSource {
 public:
  AttestationSource(std::string path, const verifier::TrustAnchor& root,
                    verifier::VerificationPolicy policy)
      : path_(std::move(path)), root_(root), policy_(std::move(policy)) {}
  std::string Describe() const override { return "attestation document " + path_; }
  core::Result<Measurements> Load() override {
    auto verified = LoadVerifiedDocument(path_, root_, policy_);
    if (!verified) {
      return Fail(verified.error());
    }
    const verifier::AttestationDocument& doc = verified->Document();
    verifier::PcrSet set(doc.pcrs.begin(), doc.pcrs.end());
    return Measurements{{std::move(set)},
                        Describe() + " (" + doc.module_id + ", verified at " +
                            core::FormatRfc3339(verified->VerifiedAt()) + " against " +
                            root_.Describe() + ")",
                        false};
  }

 private:
  std::string path_;
  const verifier::TrustAnchor& root_;
  verifier::VerificationPolicy policy_;
};

// An EIF image, measured like `nitro-cli describe-eif` (eifbuild). An image whose CRC,
// layout or signature check fails is refused: a policy must not pin a damaged image.
class EifSource final : public PcrSource {
 public:
  explicit EifSource(std::string path) : path_(std::move(path)) {}
  std::string Describe() const override { return "EIF image " + path_; }
  core::Result<Measurements> Load() override {
    auto pcrs = eif::io::MeasureImageFile(path_);
    if (!pcrs) {
      return Fail(pcrs.error());
    }
    // PCR0, PCR1, PCR2 and, for a signed image, PCR8: what the image determines.
    return Measurements{{verifier::PcrSet(pcrs->begin(), pcrs->end())}, Describe(), true};
  }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<PcrSource> MakePcrFileSource(std::string path) {
  return std::make_unique<PcrFileSource>(std::move(path));
}

std::unique_ptr<PcrSource> MakePcrAssignmentSource(std::vector<std::string> assignments) {
  return std::make_unique<PcrAssignmentSource>(std::move(assignments));
}

std::unique_ptr<PcrSource> MakeAttestationSource(std::string path,
                                                 const verifier::TrustAnchor& root,
                                                 verifier::VerificationPolicy policy) {
  return std::make_unique<AttestationSource>(std::move(path), root, std::move(policy));
}

std::unique_ptr<PcrSource> MakeEifSource(std::string path) {
  return std::make_unique<EifSource>(std::move(path));
}

core::Result<verifier::VerifiedDocument> LoadVerifiedDocument(
    const std::string& path, const verifier::TrustAnchor& root,
    const verifier::VerificationPolicy& policy) {
  auto raw = core::io::ReadFile(path, core::limits::kMaxDocumentTextBytes);
  if (!raw) {
    return Fail(raw.error());
  }
  auto input = verifier::DecodeDocumentInput(*raw);
  if (!input) {
    core::Error error = input.error();
    error.detail = path + ": " + error.detail;
    return Fail(std::move(error));
  }
  auto verified =
      verifier::VerifyDocument(input->cbor, verifier::VerifierConfig{&root, nullptr}, policy);
  if (!verified) {
    core::Error error = verified.error();
    error.detail = path + ": the document does not verify: " + error.detail;
    return Fail(std::move(error));
  }
  return verified;
}

}  // namespace enclavectl::kmspolicy::io

// Runs every vector in tests/vectors/attestation/ (mutations of genuine documents, see
// generate.py there): adding a case needs no C++.
#include <gtest/gtest.h>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/verifier/verify.hpp"
#include "test_paths.hpp"

namespace enclavectl::verifier {
namespace {

core::Bytes ApplyOps(core::Bytes doc, const nlohmann::json& ops) {
  for (const nlohmann::json& op : ops) {
    const std::string kind = op["op"];
    if (kind == "xor") {
      doc.at(op["offset"].get<std::size_t>()) ^= op["mask"].get<std::uint8_t>();
    } else if (kind == "truncate") {
      doc.resize(op["length"].get<std::size_t>());
    } else if (kind == "append" || kind == "prepend" || kind == "replace") {
      const core::Bytes bytes = *core::HexDecode(op["hex"].get<std::string>());
      if (kind == "append") {
        doc.insert(doc.end(), bytes.begin(), bytes.end());
      } else if (kind == "prepend") {
        doc.insert(doc.begin(), bytes.begin(), bytes.end());
      } else {
        const std::size_t offset = op["offset"];
        std::copy(bytes.begin(), bytes.end(), doc.begin() + static_cast<std::ptrdiff_t>(offset));
      }
    } else {
      ADD_FAILURE() << "unknown op " << kind;
    }
  }
  return doc;
}

VerificationPolicy PolicyFor(const nlohmann::json& vector) {
  VerificationPolicy policy;
  const std::string at = vector["at"];
  if (at == "doc") {
    policy.time_source = TimeSource::kDocument;
  } else {
    policy.time = *core::ParseTime(at);
  }
  const nlohmann::json& options = vector["options"];
  policy.allow_debug = options.value("insecure_allow_debug", false);
  if (options.contains("expect_nonce")) {
    policy.nonce = *core::HexDecode(options["expect_nonce"].get<std::string>());
  }
  if (options.contains("expect_pcr")) {
    for (const auto& [index, hex] : options["expect_pcr"].items()) {
      policy.required_pcrs[std::stoull(index)] = *core::HexDecode(hex.get<std::string>());
    }
  }
  return policy;
}

class MutationVector : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(MutationVector, HasTheExpectedVerdictAndCode) {
  const nlohmann::json vector = testing::ReadJson(GetParam());
  const core::Bytes base = testing::ReadBytes(testing::TestdataDir() / "attestation" /
                                              vector["base"].get<std::string>());
  ASSERT_FALSE(base.empty());
  const core::Bytes doc = ApplyOps(base, vector["ops"]);
  auto root = TrustAnchor::AwsNitroRoot();
  ASSERT_TRUE(root);
  const VerificationReport report = Verify(doc, VerifierConfig{&*root, nullptr}, PolicyFor(vector));
  const nlohmann::json& expect = vector["expect"];
  EXPECT_EQ(VerdictName(report.verdict), expect["verdict"].get<std::string>())
      << (report.error ? report.error->detail : "");
  if (expect["code"].is_null()) {
    EXPECT_FALSE(report.error);
  } else {
    ASSERT_TRUE(report.error);
    EXPECT_EQ(core::ErrorCodeName(report.error->code), expect["code"].get<std::string>())
        << report.error->detail;
    const int index = expect["index"].is_null() ? -1 : expect["index"].get<int>();
    EXPECT_EQ(report.error->index, index) << report.error->detail;
  }
}

std::vector<std::filesystem::path> Vectors() {
  return testing::FilesWithSuffix(testing::TestsDir() / "vectors" / "attestation", ".json");
}

INSTANTIATE_TEST_SUITE_P(Attestation, MutationVector, ::testing::ValuesIn(Vectors()),
                         [](const auto& param) {
                           return testing::TestName(param.param.stem().string());
                         });

TEST(MutationVectors, DirectoryIsNotEmpty) { EXPECT_GE(Vectors().size(), 50U); }

}  // namespace
}  // namespace enclavectl::verifier

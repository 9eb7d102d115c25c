// Evidence bundles: round trip, determinism, and hostile archives (zip bombs, unsafe names,
// missing or extra members, tampered members).
#include <gtest/gtest.h>
#include <zip.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "enclavectl/verifier/evidence.hpp"

namespace enclavectl::verifier {
namespace {

using core::ErrorCode;

Evidence SampleEvidence() {
  Evidence evidence;
  evidence.url = "https://enclave.example:8443";
  evidence.captured_at = core::UnixMillis{1735689602000};
  evidence.nonce = core::Bytes(20, 0x42);
  evidence.options = {{"expect_pcrs", "pcr.json"}, {"max_age", "5m"}};
  evidence.attestation = {"/enclave/attestation?nonce=4242",
                          200,
                          {{"Content-Type", "text/plain"}, {"X-Attestation-Signature", "ab"}},
                          core::ToBytes(core::AsBytes("hEShATgi...\n")),
                          core::Bytes{0x30, 0x82, 0x01, 0x00}};
  evidence.info = {"/v1/info",
                   200,
                   {{"Content-Type", "application/json"}},
                   core::ToBytes(core::AsBytes(R"({"public_key":"02aa"})")),
                   {}};
  evidence.enclave_info = {"/v1/enclave-info", 200, {}, core::Bytes{}, {}};
  evidence.report = {{"verdict", "accepted"}};
  return evidence;
}

EvidenceExtras SampleExtras() {
  return {core::Bytes{0x84, 0x44, 0xa1}, "-----BEGIN CERTIFICATE-----\n...\n"};
}

// Builds a zip with exactly the given members (test-only writer).
core::Bytes Zip(const std::vector<std::pair<std::string, std::string>>& members) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(source);
  zip_t* archive = zip_open_from_source(source, ZIP_TRUNCATE, &error);
  for (const auto& [name, data] : members) {
    zip_source_t* member = zip_source_buffer(archive, data.data(), data.size(), 0);
    EXPECT_GE(zip_file_add(archive, name.c_str(), member, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE), 0);
  }
  EXPECT_EQ(zip_close(archive), 0);
  zip_source_open(source);
  zip_source_seek(source, 0, SEEK_END);
  const zip_int64_t size = zip_source_tell(source);
  zip_source_seek(source, 0, SEEK_SET);
  core::Bytes out(static_cast<std::size_t>(size));
  zip_source_read(source, out.data(), out.size());
  zip_source_close(source);
  zip_source_free(source);
  zip_error_fini(&error);
  return out;
}

// The members of a valid bundle, to edit.
std::vector<std::pair<std::string, std::string>> ValidMembers() {
  const core::Bytes bundle = *WriteBundle(SampleEvidence(), SampleExtras());
  std::vector<std::pair<std::string, std::string>> out;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bundle.data(), bundle.size(), 0, &error);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  for (zip_int64_t i = 0; i < zip_get_num_entries(archive, 0); ++i) {
    zip_stat_t stat;
    zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat);
    std::string data(stat.size, '\0');
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    zip_fread(file, data.data(), data.size());
    zip_fclose(file);
    out.emplace_back(stat.name, data);
  }
  zip_discard(archive);
  zip_error_fini(&error);
  return out;
}

ErrorCode ReadError(const core::Bytes& zip) {
  auto read = ReadBundle(zip);
  EXPECT_FALSE(read) << "accepted";
  return read ? ErrorCode::kInternal : read.error().code;
}

TEST(Bundle, RoundTripAndDeterminism) {
  const Evidence evidence = SampleEvidence();
  auto first = WriteBundle(evidence, SampleExtras());
  auto second = WriteBundle(evidence, SampleExtras());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  auto read = ReadBundle(*first);
  ASSERT_TRUE(read) << read.error().detail;
  const Evidence& back = read->first;
  EXPECT_EQ(back.url, evidence.url);
  EXPECT_EQ(back.captured_at, evidence.captured_at);
  EXPECT_EQ(back.nonce, evidence.nonce);
  EXPECT_EQ(back.options, evidence.options);
  EXPECT_EQ(back.report, evidence.report);
  EXPECT_EQ(back.attestation.path, evidence.attestation.path);
  EXPECT_EQ(back.attestation.headers, evidence.attestation.headers);
  EXPECT_EQ(back.attestation.body, evidence.attestation.body);
  EXPECT_EQ(back.attestation.tls_certificate, evidence.attestation.tls_certificate);
  EXPECT_TRUE(back.info.tls_certificate.empty());
  EXPECT_EQ(back.attestation.Header("x-attestation-signature"), "ab");
  EXPECT_EQ(back.info.body, evidence.info.body);
  EXPECT_TRUE(back.enclave_info.body.empty());
  EXPECT_EQ(read->second.document, SampleExtras().document);
  EXPECT_EQ(read->second.chain_pem, SampleExtras().chain_pem);
  // The test writer reproduces a valid bundle from its members.
  EXPECT_TRUE(ReadBundle(Zip(ValidMembers())));
}

TEST(Bundle, NotAZip) {
  EXPECT_EQ(ReadError(core::ToBytes(core::AsBytes("PK\x03\x04 not really"))),
            ErrorCode::kBundleMalformed);
  // libzip reads empty input as an empty archive: every member is missing.
  EXPECT_EQ(ReadError(core::Bytes{}), ErrorCode::kBundleMemberMissing);
  core::Bytes corrupt = *WriteBundle(SampleEvidence(), SampleExtras());
  corrupt[corrupt.size() / 3] ^= 0xff;  // inside some member's compressed data
  const ErrorCode code = ReadError(corrupt);
  EXPECT_TRUE(code == ErrorCode::kBundleMalformed || code == ErrorCode::kBundleInconsistent)
      << core::ErrorCodeName(code);
  EXPECT_EQ(ReadError(core::Bytes((4 << 20) + 1, 0)), ErrorCode::kBundleTooLarge);
}

TEST(Bundle, MissingExtraAndUnsafeMembers) {
  auto members = ValidMembers();
  auto missing = members;
  missing.erase(std::remove_if(missing.begin(), missing.end(),
                               [](const auto& m) { return m.first == "info.body"; }),
                missing.end());
  EXPECT_EQ(ReadError(Zip(missing)), ErrorCode::kBundleMemberMissing);
  for (const char* name :
       {"../../etc/passwd", "/abs", "extra.txt", "dir/", "info.body/x", "INFO.BODY"}) {
    auto extra = members;
    extra.emplace_back(name, "x");
    EXPECT_EQ(ReadError(Zip(extra)), ErrorCode::kBundleMemberUnexpected) << name;
  }
}

TEST(Bundle, ZipBombsAreCutOff) {
  auto members = ValidMembers();
  auto bomb = members;
  for (auto& [name, data] : bomb) {
    if (name == "info.body") {
      data = std::string((1 << 20) + 1, '\0');  // compresses to about a kilobyte
    }
  }
  const core::Bytes small = Zip(bomb);
  EXPECT_LT(small.size(), 20000U);
  EXPECT_EQ(ReadError(small), ErrorCode::kBundleTooLarge);
  auto total = members;
  for (auto& [name, data] : total) {
    if (name.size() > 5 && name.substr(name.size() - 5) == ".body") {
      data = std::string(1 << 20, 'a');  // each allowed, together too much
    }
  }
  total.emplace_back("report.json", std::string(1 << 20, ' '));
  EXPECT_EQ(ReadError(Zip(total)), ErrorCode::kBundleTooLarge);
  auto many = members;
  for (int i = 0; i < 10; ++i) {
    many.emplace_back("x" + std::to_string(i), "");
  }
  EXPECT_EQ(ReadError(Zip(many)), ErrorCode::kBundleTooLarge);
}

TEST(Bundle, TamperedMembersDisagreeWithTheManifest) {
  for (const char* target : {"attestation.body", "info.json", "document.cbor", "chain.pem"}) {
    auto members = ValidMembers();
    for (auto& [name, data] : members) {
      if (name == target) {
        data += " ";
      }
    }
    EXPECT_EQ(ReadError(Zip(members)), ErrorCode::kBundleInconsistent) << target;
  }
  auto bad_manifest = ValidMembers();
  for (auto& [name, data] : bad_manifest) {
    if (name == "manifest.json") {
      data = R"({"mediaType": "something else"})";
    }
  }
  EXPECT_EQ(ReadError(Zip(bad_manifest)), ErrorCode::kBundleMalformed);
}

// Edits one JSON member of a valid bundle and rewrites the manifest's hashes, so the edit
// reaches the record readers (a re-manifested bundle: anyone can make one).
core::Bytes EditedBundle(const std::string& target,
                         const std::function<void(nlohmann::json&)>& edit) {
  auto members = ValidMembers();
  for (auto& [name, data] : members) {
    if (name == target) {
      nlohmann::json value = nlohmann::json::parse(data);
      edit(value);
      data = value.dump();
    }
  }
  for (auto& [name, data] : members) {
    if (name != "manifest.json") {
      continue;
    }
    nlohmann::json manifest = nlohmann::json::parse(data);
    for (const auto& [other, other_data] : members) {
      if (other != "manifest.json" && manifest["members"].contains(other)) {
        manifest["members"][other] = core::HexEncode(core::Sha256(core::AsBytes(other_data)));
      }
    }
    if (target == "manifest.json") {
      edit(manifest);
    }
    data = manifest.dump();
  }
  return Zip(members);
}

// Issue 12 item 7: every JSON member of a bundle is read strictly; a value of the wrong type
// is BUNDLE_MALFORMED, never an exception.
TEST(Bundle, MembersOfTheWrongTypeAreMalformedNeverThrown) {
  using nlohmann::json;
  EXPECT_TRUE(ReadBundle(EditedBundle("info.json", [](json&) {})));
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, json>>{{"mediaType", nullptr},
                                                 {"url", 1},
                                                 {"captured_at_ms", "1735689602000"},
                                                 {"captured_at_ms", -1},
                                                 {"captured_at_ms", 1.5},
                                                 {"nonce", json::array()},
                                                 {"nonce", "zz"},
                                                 {"members", json::array()},
                                                 {"options", "x"},
                                                 {"options", json::array({1})}}) {
    const ErrorCode code =
        ReadError(EditedBundle("manifest.json", [&](json& m) { m[field] = value; }));
    EXPECT_EQ(code, ErrorCode::kBundleMalformed) << field << "=" << value;
  }
  for (const auto& [field, value] : std::vector<std::pair<std::string, json>>{
           {"path", 1},
           {"path", nullptr},
           {"status", "200"},
           {"status", -1},
           {"status", 1000},
           {"status", 200.5},
           {"headers", json::object()},
           {"headers", json::array({json::array({1, 2})})},
           {"headers", json::array({json::array({"a"})})},
           {"headers", json::array({nullptr})},
           {"headers", json::array({json::object({{"a", "b"}})})},
           {"tls_certificate", 5},
           {"tls_certificate", "!!"},
           {"method", 5},
           {"method", json::array()}}) {
    const ErrorCode code = ReadError(EditedBundle("info.json", [&](json& r) { r[field] = value; }));
    EXPECT_EQ(code, ErrorCode::kBundleMalformed) << field << "=" << value;
  }
  // A record from before the method was kept reads as GET.
  auto old = ReadBundle(EditedBundle("info.json", [](json& r) { r.erase("method"); }));
  ASSERT_TRUE(old) << old.error().detail;
  EXPECT_EQ(old->first.info.method, "GET");
  // report.json is kept for information: any JSON value reads, never throws.
  EXPECT_TRUE(ReadBundle(EditedBundle("report.json", [](json& r) { r = json::array({1, "x"}); })));
}

}  // namespace
}  // namespace enclavectl::verifier

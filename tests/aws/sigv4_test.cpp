// SigV4 against every case of the official suites in ../shared/testdata/sigv4: the classic
// AWS suite (31 cases), aws-c-auth's v4 suite (38 cases, header and query signing) and the
// KMS-shaped cases generated with botocore. Each compares the canonical request, the string
// to sign and the signature byte for byte, and the signed request's headers or query.
#include "enclavectl/aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "enclavectl/aws/kms_api.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/time.hpp"
#include "test_paths.hpp"

namespace enclavectl::aws {
namespace {

namespace fs = std::filesystem;
using testing::ReadJson;
using testing::ReadText;
using testing::TestdataDir;

constexpr const char* kAccessKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// 2015-08-30T12:36:00Z
constexpr core::UnixMillis kSuiteTime{1440938160000};

fs::path Sigv4Dir() { return TestdataDir() / "sigv4"; }

// A raw request file of the suites: "METHOD target HTTP/1.1", "Name:value" lines (obs-fold
// continuation lines start with whitespace), a blank line, the body.
struct RawRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<aws::HttpHeader> headers;
  std::string body;

  aws::SigningRequest ToSigning() const {
    return aws::SigningRequest{method, path, query, headers, core::AsBytes(body)};
  }
};

// `fold_join` is how the suite joins obs-fold continuation lines: the classic suite with ','
// (value1,value2,value3), aws-c-auth with ' ' (value1 value2 value3); sigv4.md section 2.
RawRequest ParseRawRequest(const std::string& text, char fold_join) {
  RawRequest out;
  std::size_t pos = text.find('\n');
  const std::string first = text.substr(0, pos);
  const std::size_t sp1 = first.find(' ');
  const std::size_t sp2 = first.rfind(' ');
  out.method = first.substr(0, sp1);
  const std::string target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t question = target.find('?');
  out.path = target.substr(0, question);
  out.query = question == std::string::npos ? "" : target.substr(question + 1);
  while (pos != std::string::npos) {
    const std::size_t next = text.find('\n', pos + 1);
    std::string line =
        text.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (line.empty()) {
      out.body = pos == std::string::npos ? "" : text.substr(pos + 1);
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      out.headers.back().value += fold_join + std::string(core::TrimWhitespace(line));
      continue;
    }
    const std::size_t colon = line.find(':');
    out.headers.push_back(aws::HttpHeader{line.substr(0, colon), line.substr(colon + 1)});
  }
  return out;
}

aws::AwsCredentials Credentials(const std::string& key_id, const std::string& secret,
                                const std::string& token) {
  aws::AwsCredentials out;
  out.access_key_id = key_id;
  out.secret_access_key = core::SecretBytes(core::AsBytes(secret));
  out.session_token = core::SecretBytes(core::AsBytes(token));
  return out;
}

std::string Trimmed(const std::string& text) { return std::string(core::TrimWhitespace(text)); }

std::vector<fs::path> CaseDirs(const fs::path& root, const std::string& marker) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().filename().string().ends_with(marker)) {
      out.push_back(entry.path().parent_path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Headers of a signed request, canonicalised, as a multiset.
std::multiset<std::pair<std::string, std::string>> HeaderSet(
    const std::vector<aws::HttpHeader>& headers) {
  std::multiset<std::pair<std::string, std::string>> out;
  for (const aws::HttpHeader& h : headers) {
    std::string name = h.name;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.emplace(name, Trimmed(h.value));
  }
  return out;
}

std::multiset<std::string> QueryParams(const std::string& query) {
  std::multiset<std::string> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t amp = query.find('&', start);
    out.insert(query.substr(start, amp == std::string::npos ? std::string::npos : amp - start));
    if (amp == std::string::npos) {
      break;
    }
    start = amp + 1;
  }
  return out;
}

// --- the classic AWS suite ---

class ClassicSuite : public ::testing::TestWithParam<fs::path> {};

TEST_P(ClassicSuite, CanonicalRequestStringToSignAndAuthorization) {
  const fs::path dir = GetParam();
  const std::string name = dir.filename().string();
  const RawRequest request = ParseRawRequest(ReadText(dir / (name + ".req")), ',');
  const bool sts = dir.parent_path().filename() == "post-sts-token";
  std::string token;
  if (sts) {
    const std::string readme = ReadText(dir.parent_path() / "readme.txt");
    token = Trimmed(readme.substr(readme.rfind("\n\n") + 2));
  }
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.time = kSuiteTime;
  params.omit_session_token = name == "post-sts-header-after";
  auto signed_parts =
      aws::SignHeaders(request.ToSigning(), Credentials(kAccessKeyId, kSecret, token), params);
  ASSERT_TRUE(signed_parts) << signed_parts.error().detail;
  EXPECT_EQ(signed_parts->canonical_request, ReadText(dir / (name + ".creq")));
  EXPECT_EQ(signed_parts->string_to_sign, ReadText(dir / (name + ".sts")));
  EXPECT_EQ(signed_parts->authorization, Trimmed(ReadText(dir / (name + ".authz"))));
  // The signed request is the request plus the added headers.
  const RawRequest expected = ParseRawRequest(ReadText(dir / (name + ".sreq")), ',');
  std::vector<aws::HttpHeader> all = request.headers;
  all.insert(all.end(), signed_parts->added_headers.begin(), signed_parts->added_headers.end());
  EXPECT_EQ(HeaderSet(all), HeaderSet(expected.headers));
}

std::string CaseName(const ::testing::TestParamInfo<fs::path>& info) {
  return testing::TestName(info.param.filename().string());
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, ClassicSuite,
                         ::testing::ValuesIn(CaseDirs(Sigv4Dir() / "aws-sig-v4-test-suite",
                                                      ".req")),
                         CaseName);

TEST(ClassicSuite, HasAll31Cases) {
  EXPECT_EQ(CaseDirs(Sigv4Dir() / "aws-sig-v4-test-suite", ".req").size(), 31U);
}

// --- aws-c-auth's v4 suite ---

class SigningSuite : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    context_ = ReadJson(GetParam() / "context.json");
    request_ = ParseRawRequest(ReadText(GetParam() / "request.txt"), ' ');
    const auto& creds = context_["credentials"];
    credentials_ =
        Credentials(creds["access_key_id"], creds["secret_access_key"], creds.value("token", ""));
    auto time = core::ParseTime(context_["timestamp"].get<std::string>());
    ASSERT_TRUE(time);
    params_.region = context_["region"];
    params_.service = context_["service"];
    params_.time = *time;
    params_.normalize_path = context_.value("normalize", true);
    params_.add_content_sha256 = context_.value("sign_body", false);
    params_.omit_session_token = context_.value("omit_session_token", false);
    params_.expires_seconds = context_.value("expiration_in_seconds", 3600);
  }

  std::string Expected(const std::string& file) { return ReadText(GetParam() / file); }

  nlohmann::json context_;
  RawRequest request_;
  aws::AwsCredentials credentials_;
  aws::SigningParams params_;
};

TEST_P(SigningSuite, HeaderSigning) {
  auto parts = aws::SignHeaders(request_.ToSigning(), credentials_, params_);
  ASSERT_TRUE(parts) << parts.error().detail;
  EXPECT_EQ(parts->canonical_request, Expected("header-canonical-request.txt"));
  EXPECT_EQ(parts->string_to_sign, Expected("header-string-to-sign.txt"));
  EXPECT_EQ(parts->signature, Trimmed(Expected("header-signature.txt")));
  const RawRequest expected = ParseRawRequest(Expected("header-signed-request.txt"), ' ');
  std::vector<aws::HttpHeader> all = request_.headers;
  all.insert(all.end(), parts->added_headers.begin(), parts->added_headers.end());
  EXPECT_EQ(HeaderSet(all), HeaderSet(expected.headers));
}

TEST_P(SigningSuite, QuerySigning) {
  auto parts = aws::SignQuery(request_.ToSigning(), credentials_, params_);
  ASSERT_TRUE(parts) << parts.error().detail;
  EXPECT_EQ(parts->canonical_request, Expected("query-canonical-request.txt"));
  EXPECT_EQ(parts->string_to_sign, Expected("query-string-to-sign.txt"));
  EXPECT_EQ(parts->signature, Trimmed(Expected("query-signature.txt")));
  const RawRequest expected = ParseRawRequest(Expected("query-signed-request.txt"), ' ');
  EXPECT_EQ(QueryParams(parts->signed_query), QueryParams(expected.query));
}

INSTANTIATE_TEST_SUITE_P(AwsCAuthV4, SigningSuite,
                         ::testing::ValuesIn(CaseDirs(Sigv4Dir() / "aws-signing-test-suite" / "v4",
                                                      "context.json")),
                         CaseName);

TEST(SigningSuite, HasAll38Cases) {
  EXPECT_EQ(CaseDirs(Sigv4Dir() / "aws-signing-test-suite" / "v4", "context.json").size(), 38U);
}

// --- KMS-shaped cases (botocore) ---

class KmsDerived : public ::testing::TestWithParam<fs::path> {};

TEST_P(KmsDerived, MatchesBotocore) {
  const fs::path dir = GetParam();
  const nlohmann::json context = ReadJson(dir / "context.json");
  const RawRequest request = ParseRawRequest(ReadText(dir / "request.txt"), ' ');
  aws::SigningParams params;
  params.region = context["region"];
  params.service = context["service"];
  params.time = *core::ParseTime(context["timestamp"].get<std::string>());
  const std::string token =
      context["session_token"].is_string() ? context["session_token"].get<std::string>() : "";
  auto parts = aws::SignHeaders(
      request.ToSigning(),
      Credentials(context["access_key_id"], context["secret_access_key"], token), params);
  ASSERT_TRUE(parts) << parts.error().detail;
  EXPECT_EQ(parts->canonical_request, ReadText(dir / "canonical-request.txt"));
  EXPECT_EQ(parts->string_to_sign, ReadText(dir / "string-to-sign.txt"));
  EXPECT_EQ(parts->authorization, Trimmed(ReadText(dir / "authorization.txt")));
  const RawRequest expected = ParseRawRequest(ReadText(dir / "signed-request.txt"), ' ');
  std::vector<aws::HttpHeader> all = request.headers;
  all.insert(all.end(), parts->added_headers.begin(), parts->added_headers.end());
  EXPECT_EQ(HeaderSet(all), HeaderSet(expected.headers));
  EXPECT_EQ(expected.body, request.body);
}

INSTANTIATE_TEST_SUITE_P(KmsShaped, KmsDerived,
                         ::testing::ValuesIn(CaseDirs(Sigv4Dir() / "kms-derived", "context.json")),
                         CaseName);

TEST(KmsDerived, HasAll3Cases) {
  EXPECT_EQ(CaseDirs(Sigv4Dir() / "kms-derived", "context.json").size(), 3U);
}

// The client's own request for GenerateRandom(32) with X-Amz-Content-SHA256 is the botocore
// case byte for byte: same body encoding, same headers, same signature.
TEST(KmsDerived, ClientRequestEqualsBotocoreCase) {
  class NoTransport final : public HttpTransport {
   public:
    core::Result<HttpResponse> Send(const HttpRequest&, const HttpOptions&) override {
      return core::Fail(core::ErrorCode::kNetwork, "unused");
    }
  } transport;
  class NoSleep final : public Sleeper {
   public:
    void SleepMs(std::int64_t) override {}
  } sleeper;
  const core::io::FixedClock clock(kSuiteTime);
  const aws::AwsCredentials credentials = Credentials(kAccessKeyId, kSecret, "");
  KmsClientOptions options;
  options.endpoint = {"https://kms.us-east-1.amazonaws.com/", "kms.us-east-1.amazonaws.com",
                      "us-east-1"};
  options.add_content_sha256 = true;
  KmsClient client(options, transport, credentials, clock, sleeper);
  const core::SecretBytes body =
      aws::EncodeGenerateRandomRequest(aws::GenerateRandomRequest{32, {}});
  auto prepared = client.Prepare(aws::KmsOperation::kGenerateRandom, body);
  ASSERT_TRUE(prepared) << prepared.error().detail;
  const fs::path dir = Sigv4Dir() / "kms-derived" / "kms-generate-random-content-sha256";
  EXPECT_EQ(std::string(core::AsChars(prepared->http.body.View())),
            ParseRawRequest(ReadText(dir / "request.txt"), ' ').body);
  EXPECT_EQ(prepared->signature.canonical_request, ReadText(dir / "canonical-request.txt"));
  EXPECT_EQ(prepared->signature.authorization, Trimmed(ReadText(dir / "authorization.txt")));
  EXPECT_EQ(prepared->http.url, "https://kms.us-east-1.amazonaws.com/");
  EXPECT_EQ(prepared->http.method, "POST");
}

// --- properties and failures ---

TEST(SigV4, SigningKeyMatchesTheSpecCheckValue) {
  const core::SecretBytes secret(core::AsBytes(std::string(kSecret)));
  const core::SecretBytes key = DeriveSigningKey(secret, "20150830", "us-east-1", "service");
  EXPECT_EQ(core::HexEncode(key.View()),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
}

TEST(SigV4, AmzDateAndEncoding) {
  EXPECT_EQ(aws::AmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(aws::UriEncode("a b/c~d%", false), "a%20b%2Fc~d%25");
  EXPECT_EQ(aws::UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(aws::CanonicalUri("", true), "/");
  EXPECT_EQ(aws::CanonicalUri("/a/b/../c/./d/", true), "/a/c/d/");
  EXPECT_EQ(aws::CanonicalUri("//a//", false), "//a//");
  EXPECT_EQ(*aws::CanonicalQuery("b=2&a=%7e&a=1&c"), "a=1&a=~&b=2&c=");
}

aws::SigningRequest KmsRequest(const std::string& body_text,
                               std::vector<aws::HttpHeader> headers = {
                                   {"Host", "kms.us-east-1.amazonaws.com"},
                                   {"X-Amz-Target", "TrentService.Decrypt"}}) {
  static std::string body;
  body = body_text;
  return aws::SigningRequest{"POST", "/", "", std::move(headers), core::AsBytes(body)};
}

aws::SigningParams KmsParams() {
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "kms";
  params.time = kSuiteTime;
  return params;
}

TEST(SigV4, EveryInputChangesTheSignature) {
  const aws::AwsCredentials creds = Credentials(kAccessKeyId, kSecret, "");
  const std::string base = aws::SignHeaders(KmsRequest("{}"), creds, KmsParams())->signature;
  EXPECT_NE(aws::SignHeaders(KmsRequest("{ }"), creds, KmsParams())->signature, base);
  EXPECT_NE(aws::SignHeaders(KmsRequest("{}", {{"Host", "kms.us-east-1.amazonaws.com"},
                                               {"X-Amz-Target", "TrentService.Encrypt"}}),
                             creds, KmsParams())
                ->signature,
            base);
  aws::SigningParams later = KmsParams();
  later.time.value += 1000;
  EXPECT_NE(aws::SignHeaders(KmsRequest("{}"), creds, later)->signature, base);
  aws::SigningParams other_region = KmsParams();
  other_region.region = "eu-west-1";
  EXPECT_NE(aws::SignHeaders(KmsRequest("{}"), creds, other_region)->signature, base);
  EXPECT_NE(aws::SignHeaders(KmsRequest("{}"), Credentials(kAccessKeyId, "other", ""), KmsParams())
                ->signature,
            base);
  // A session token is signed (sigv4.md section 6) and so changes the signature.
  auto with_token =
      aws::SignHeaders(KmsRequest("{}"), Credentials(kAccessKeyId, kSecret, "tok"), KmsParams());
  EXPECT_NE(with_token->signature, base);
  EXPECT_NE(with_token->signed_headers.find("x-amz-security-token"), std::string::npos);
}

TEST(SigV4, RefusesRequestsItCannotSignFaithfully) {
  const aws::AwsCredentials creds = Credentials(kAccessKeyId, kSecret, "");
  auto expect_invalid = [&creds](const aws::SigningRequest& request,
                                 const aws::SigningParams& params) {
    auto parts = aws::SignHeaders(request, creds, params);
    ASSERT_FALSE(parts);
    EXPECT_EQ(parts.error().code, core::ErrorCode::kInvalidArgument);
  };
  expect_invalid(KmsRequest("{}", {{"X-Amz-Target", "TrentService.Decrypt"}}), KmsParams());
  expect_invalid(KmsRequest("{}", {{"Host", "kms"}, {"X-Evil", "a\r\nAuthorization: x"}}),
                 KmsParams());
  expect_invalid(KmsRequest("{}", {{"Host", "kms"}, {"Authorization", "AWS4-HMAC-SHA256 x"}}),
                 KmsParams());
  expect_invalid(KmsRequest("{}", {{"Host", "kms"}, {"X-Amz-Date", "20200101T000000Z"}}),
                 KmsParams());
  expect_invalid(KmsRequest("{}", {{"Host", "kms"}, {"", "x"}}), KmsParams());
  expect_invalid(KmsRequest("{}", {{"Host", "kms"}, {"X-Amz-Content-SHA256", "00"}}), KmsParams());
  aws::SigningRequest bad_query = KmsRequest("{}");
  bad_query.query = "a=%zz";
  expect_invalid(bad_query, KmsParams());
  bad_query.query = "a=%4";
  expect_invalid(bad_query, KmsParams());
  aws::SigningParams no_region = KmsParams();
  no_region.region.clear();
  expect_invalid(KmsRequest("{}"), no_region);
}

}  // namespace
}  // namespace enclavectl::aws

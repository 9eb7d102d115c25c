// The adapters with fakes: the credential chain (environment, shared files, IMDSv2), region
// and endpoint resolution, backoff, and the KMS client's retries and error mapping. No
// network: the transport is scripted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "enclavectl/aws/aws_config.hpp"
#include "enclavectl/aws/credentials.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/aws/retry.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/time.hpp"

namespace enclavectl::aws {
namespace {

using core::ErrorCode;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// A transport answering from a script; records every request.
class ScriptedTransport final : public HttpTransport {
 public:
  using Answer = std::function<core::Result<HttpResponse>(const HttpRequest&)>;
  void Then(Answer answer) { answers_.push_back(std::move(answer)); }
  void ThenStatus(long status, std::string body, std::vector<HttpHeader> headers = {}) {
    Then([status, body, headers](const HttpRequest&) -> core::Result<HttpResponse> {
      HttpResponse response;
      response.status = status;
      response.headers = headers;
      response.body = core::SecretBytes(core::AsBytes(body));
      return response;
    });
  }
  void ThenNetworkError() {
    Then([](const HttpRequest& r) -> core::Result<HttpResponse> {
      return core::Fail(ErrorCode::kNetwork, r.url + ": Connection refused");
    });
  }
  core::Result<HttpResponse> Send(const HttpRequest& request, const HttpOptions&) override {
    requests.push_back({request.method, request.url, request.headers,
                        std::string(core::AsChars(request.body.View()))});
    if (answers_.empty()) {
      return core::Fail(ErrorCode::kNetwork, "no scripted answer");
    }
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    return answer(request);
  }

  struct Seen {
    std::string method;
    std::string url;
    std::vector<HttpHeader> headers;
    std::string body;
    std::string Header(const std::string& name) const {
      for (const HttpHeader& h : headers) {
        if (h.name == name) {
          return h.value;
        }
      }
      return "";
    }
  };
  std::vector<Seen> requests;

 private:
  std::deque<Answer> answers_;
};

class RecordingSleeper final : public Sleeper {
 public:
  void SleepMs(std::int64_t ms) override { sleeps.push_back(ms); }
  std::vector<std::int64_t> sleeps;
};

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("enclavectl-net-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file) << content;
    return file.string();
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

std::string SecretText(const core::SecretBytes& s) { return std::string(core::AsChars(s.View())); }

// An environment with no credentials anywhere and IMDS disabled.
MapEnvironment Isolated(const TempDir& dir) {
  MapEnvironment env;
  env.Set("HOME", dir.Path("home"));
  env.Set("AWS_EC2_METADATA_DISABLED", "true");
  return env;
}

TEST(Credentials, FromTheEnvironment) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  env.Set("AWS_SESSION_TOKEN", "token-1");
  ScriptedTransport imds;
  auto creds = ResolveCredentials(env, imds, {});
  ASSERT_TRUE(creds) << creds.error().detail;
  EXPECT_EQ(creds->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(SecretText(creds->credentials.secret_access_key), kSecret);
  EXPECT_EQ(SecretText(creds->credentials.session_token), "token-1");
  EXPECT_EQ(creds->source, "environment");
  env.Set("AWS_SECRET_ACCESS_KEY", "");
  auto half = ResolveCredentials(env, imds, {});
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, ErrorCode::kCredentialsMalformed);
  EXPECT_TRUE(imds.requests.empty());
}

TEST(Credentials, FromTheSharedFilesWithProfiles) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  env.Set("AWS_SHARED_CREDENTIALS_FILE",
          dir.Write("credentials",
                    "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\n"
                    "aws_secret_access_key = " +
                        std::string(kSecret) +
                        "\n\n"
                        "[prod]\r\nAWS_ACCESS_KEY_ID=AKIDPROD\r\naws_secret_access_key=p\r\n"
                        "aws_session_token = tok\r\n"));
  env.Set("AWS_CONFIG_FILE",
          dir.Write("config",
                    "[default]\nregion = eu-west-1\n[profile ci]\nregion = us-west-2\n"
                    "aws_access_key_id = AKIDCI\naws_secret_access_key = c\n"
                    "s3 =\n  max_concurrent_requests = 4\n"
                    "[profile assumed]\nrole_arn = arn:aws:iam::1:role/x\n"
                    "source_profile = default\n"));
  ScriptedTransport imds;
  auto def = ResolveCredentials(env, imds, {});
  ASSERT_TRUE(def) << def.error().detail;
  EXPECT_EQ(def->credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_NE(def->source.find("[default]"), std::string::npos);
  EXPECT_EQ(*ResolveRegion(env, {}), "eu-west-1");

  env.Set("AWS_PROFILE", "prod");
  auto prod = ResolveCredentials(env, imds, {});
  ASSERT_TRUE(prod) << prod.error().detail;
  EXPECT_EQ(prod->credentials.access_key_id, "AKIDPROD");
  EXPECT_EQ(SecretText(prod->credentials.session_token), "tok");

  // --profile wins over AWS_PROFILE and over credentials in the environment.
  env.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env.Set("AWS_SECRET_ACCESS_KEY", "e");
  CredentialOptions ci;
  ci.profile = "ci";
  auto from_config = ResolveCredentials(env, imds, ci);
  ASSERT_TRUE(from_config) << from_config.error().detail;
  EXPECT_EQ(from_config->credentials.access_key_id, "AKIDCI");
  EXPECT_NE(from_config->source.find("config file"), std::string::npos);
  EXPECT_EQ(*ResolveRegion(env, ci), "us-west-2");

  CredentialOptions missing;
  missing.profile = "nope";
  auto absent = ResolveCredentials(env, imds, missing);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kCredentialsNotFound);
  CredentialOptions assumed;
  assumed.profile = "assumed";
  auto unsupported = ResolveCredentials(env, imds, assumed);
  ASSERT_FALSE(unsupported);
  EXPECT_EQ(unsupported.error().code, ErrorCode::kCredentialsNotFound);
  EXPECT_NE(unsupported.error().detail.find("role_arn"), std::string::npos);
  EXPECT_TRUE(imds.requests.empty());
}

TEST(Credentials, MalformedFilesAndNoSecretsInErrors) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  env.Set("AWS_SHARED_CREDENTIALS_FILE",
          dir.Write("credentials", "[default]\naws_secret_access_key = " + std::string(kSecret) +
                                       "\nthis line is not a setting\n"));
  ScriptedTransport imds;
  auto bad = ResolveCredentials(env, imds, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCredentialsMalformed);
  EXPECT_EQ(bad.error().detail.find(kSecret), std::string::npos);
  EXPECT_EQ(bad.error().detail.find("not a setting"), std::string::npos);
  env.Set("AWS_SHARED_CREDENTIALS_FILE",
          dir.Write("credentials2",
                    "[default]\naws_secret_access_key = " + std::string(kSecret) + "\n"));
  auto half = ResolveCredentials(env, imds, {});
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, ErrorCode::kCredentialsMalformed);
  EXPECT_EQ(half.error().detail.find(kSecret), std::string::npos);
  auto ini = ParseAwsIni("key = before any section\n");
  ASSERT_FALSE(ini);
  EXPECT_EQ(ini.error().index, 1);
  EXPECT_EQ(ParseAwsIni("[default\n").error().code, ErrorCode::kCredentialsMalformed);
}

TEST(Credentials, NothingAnywhere) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  ScriptedTransport imds;
  auto none = ResolveCredentials(env, imds, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kCredentialsNotFound);
  EXPECT_NE(none.error().detail.find("instance metadata (disabled)"), std::string::npos);
  EXPECT_EQ(core::InfoFor(none.error().code).exit_class, core::ExitClass::kUsage);
}

const char* kImdsAnswer = R"({"Code": "Success", "LastUpdated": "2026-11-21T10:00:00Z",
  "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS", "SecretAccessKey": "imds-secret",
  "Token": "imds-token", "Expiration": "2026-11-21T16:00:00Z"})";

TEST(Credentials, FromImdsV2) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  env.Set("AWS_EC2_METADATA_DISABLED", "false");
  env.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/");
  ScriptedTransport imds;
  imds.ThenStatus(200, "session-token-abc");
  imds.ThenStatus(200, "enclave-parent\n");
  imds.ThenStatus(200, kImdsAnswer);
  auto creds = ResolveCredentials(env, imds, {});
  ASSERT_TRUE(creds) << creds.error().detail;
  EXPECT_EQ(creds->credentials.access_key_id, "ASIAIMDS");
  EXPECT_EQ(SecretText(creds->credentials.secret_access_key), "imds-secret");
  EXPECT_EQ(SecretText(creds->credentials.session_token), "imds-token");
  EXPECT_EQ(creds->source, "instance metadata (role enclave-parent)");
  EXPECT_EQ(creds->expiration, core::ParseTime("2026-11-21T16:00:00Z").value());
  ASSERT_EQ(imds.requests.size(), 3U);
  EXPECT_EQ(imds.requests[0].method, "PUT");
  EXPECT_EQ(imds.requests[0].url, "http://127.0.0.1:9/latest/api/token");
  EXPECT_EQ(imds.requests[0].Header("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(imds.requests[1].url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(imds.requests[1].Header("X-aws-ec2-metadata-token"), "session-token-abc");
  EXPECT_EQ(imds.requests[2].url,
            "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/enclave-parent");
}

TEST(Credentials, ImdsFailures) {
  TempDir dir;
  MapEnvironment env = Isolated(dir);
  env.Set("AWS_EC2_METADATA_DISABLED", "false");
  {  // unreachable: not an error, just nothing found (IMDSv1 is never tried)
    ScriptedTransport imds;
    imds.ThenNetworkError();
    auto none = ResolveCredentials(env, imds, {});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, ErrorCode::kCredentialsNotFound);
    EXPECT_NE(none.error().detail.find("not reachable"), std::string::npos);
    EXPECT_EQ(imds.requests.size(), 1U);
  }
  {  // no instance role
    ScriptedTransport imds;
    imds.ThenStatus(200, "tok");
    imds.ThenStatus(404, "");
    EXPECT_EQ(ResolveCredentials(env, imds, {}).error().code, ErrorCode::kCredentialsNotFound);
  }
  {  // an answer that is not the credentials JSON
    ScriptedTransport imds;
    imds.ThenStatus(200, "tok");
    imds.ThenStatus(200, "role");
    imds.ThenStatus(
        200,
        R"({"Code": "AssumeRoleUnauthorizedAccess", "AccessKeyId": "A", "SecretAccessKey": "s"})");
    EXPECT_EQ(ResolveCredentials(env, imds, {}).error().code, ErrorCode::kCredentialsMalformed);
  }
  {  // a role name that would change the URL
    ScriptedTransport imds;
    imds.ThenStatus(200, "tok");
    imds.ThenStatus(200, "../../user-data");
    EXPECT_EQ(ResolveCredentials(env, imds, {}).error().code, ErrorCode::kCredentialsMalformed);
  }
  EXPECT_EQ(DecodeImdsCredentials(core::AsBytes(std::string("[1]"))).error().code,
            ErrorCode::kCredentialsMalformed);
  EXPECT_EQ(DecodeImdsCredentials(
                core::AsBytes(std::string(
                    R"({"AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "soon"})")))
                .error()
                .code,
            ErrorCode::kCredentialsMalformed);
}

TEST(Endpoint, ResolutionAndValidation) {
  MapEnvironment env;
  auto aws = ResolveKmsEndpoint("", "us-east-1", env);
  ASSERT_TRUE(aws);
  EXPECT_EQ(aws->url, "https://kms.us-east-1.amazonaws.com/");
  EXPECT_EQ(aws->host, "kms.us-east-1.amazonaws.com");
  EXPECT_EQ(ResolveKmsEndpoint("", "cn-north-1", env)->host, "kms.cn-north-1.amazonaws.com.cn");
  auto local = ResolveKmsEndpoint("http://127.0.0.1:4566", "us-east-1", env);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->url, "http://127.0.0.1:4566/");
  EXPECT_EQ(local->host, "127.0.0.1:4566");
  EXPECT_EQ(ResolveKmsEndpoint("https://KMS.example.com:443/", "us-east-1", env)->host,
            "kms.example.com");
  env.Set("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
  EXPECT_EQ(ResolveKmsEndpoint("", "us-east-1", env)->host, "127.0.0.1:1");
  env.Set("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:2");
  EXPECT_EQ(ResolveKmsEndpoint("", "us-east-1", env)->host, "127.0.0.1:2");
  EXPECT_EQ(ResolveKmsEndpoint("http://127.0.0.1:3", "us-east-1", env)->host, "127.0.0.1:3");
  for (const char* bad : {"ftp://host", "http://", "http://user@host", "http://host/path",
                          "http://host?x=1", "host:80"}) {
    auto endpoint = ResolveKmsEndpoint(bad, "us-east-1", env);
    ASSERT_FALSE(endpoint) << bad;
    EXPECT_EQ(endpoint.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  for (const char* region : {"", "US-EAST-1", "us_east_1", "useast1", "us-east-1-"}) {
    EXPECT_EQ(ResolveKmsEndpoint("", region, env).error().code, ErrorCode::kInvalidArgument)
        << region;
  }
}

TEST(Backoff, FullJitterWithinTheCap) {
  const RetryPolicy policy{5, 100, 1000};
  for (int retry = 0; retry < 8; ++retry) {
    const std::int64_t cap = std::min<std::int64_t>(1000, 100LL << retry);
    EXPECT_EQ(BackoffDelayMs(policy, retry, 0), 0);
    EXPECT_EQ(BackoffDelayMs(policy, retry, static_cast<std::uint64_t>(cap)), cap);
    EXPECT_LE(BackoffDelayMs(policy, retry, ~0ULL), cap);
  }
  EXPECT_EQ(BackoffDelayMs(RetryPolicy{3, 0, 0}, 3, 12345), 0);
}

class KmsClientTest : public ::testing::Test {
 protected:
  KmsClientTest() : clock_(core::UnixMillis{1440938160000}) {
    credentials_.access_key_id = "AKIDEXAMPLE";
    credentials_.secret_access_key = core::SecretBytes(core::AsBytes(std::string(kSecret)));
    credentials_.session_token = core::SecretBytes(core::AsBytes(std::string("session-tok")));
    options_.endpoint = {"http://127.0.0.1:4566/", "127.0.0.1:4566", "us-east-1"};
    options_.retry = RetryPolicy{4, 100, 1000};
  }
  KmsClient Client() { return KmsClient(options_, transport_, credentials_, clock_, sleeper_); }

  ScriptedTransport transport_;
  RecordingSleeper sleeper_;
  AwsCredentials credentials_;
  core::io::FixedClock clock_;
  KmsClientOptions options_;
};

TEST_F(KmsClientTest, SendsSignedJsonRequests) {
  transport_.ThenStatus(200, R"({"Plaintext": "AQIDBA=="})");
  KmsClient client = Client();
  auto random = client.GenerateRandom({4, {}});
  ASSERT_TRUE(random) << random.error().detail;
  EXPECT_EQ(random->plaintext.size(), 4U);
  ASSERT_EQ(transport_.requests.size(), 1U);
  const auto& sent = transport_.requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "http://127.0.0.1:4566/");
  EXPECT_EQ(sent.Header("Host"), "127.0.0.1:4566");
  EXPECT_EQ(sent.Header("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(sent.Header("X-Amz-Target"), "TrentService.GenerateRandom");
  EXPECT_EQ(sent.Header("X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(sent.Header("X-Amz-Security-Token"), "session-tok");
  EXPECT_EQ(
      sent.Header("Authorization")
          .rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
                 "Signature=",
                 0),
      0U);
  EXPECT_EQ(sent.body, R"({"NumberOfBytes":4})");
  EXPECT_EQ(client.LastAttempts(), 1);
}

TEST_F(KmsClientTest, RetriesThrottlingAndServerFaultsWithJitteredBackoff) {
  transport_.ThenStatus(400, R"({"__type": "ThrottlingException", "message": "Rate exceeded"})");
  transport_.ThenStatus(503, "<html>busy</html>");
  transport_.ThenNetworkError();
  transport_.ThenStatus(
      200, R"({"KeyMetadata": {"KeyId": "k", "Arn": "arn:aws:kms:us-east-1:1:key/k"}})");
  KmsClient client = Client();
  auto meta = client.DescribeKey("k");
  ASSERT_TRUE(meta) << meta.error().detail;
  EXPECT_EQ(client.LastAttempts(), 4);
  ASSERT_EQ(sleeper_.sleeps.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_GE(sleeper_.sleeps[i], 0);
    EXPECT_LE(sleeper_.sleeps[i], std::min<std::int64_t>(1000, 100LL << i));
  }
  // Each attempt is signed afresh.
  EXPECT_EQ(transport_.requests.size(), 4U);
}

TEST_F(KmsClientTest, GivesUpAfterTheLastAttempt) {
  for (int i = 0; i < 4; ++i) {
    transport_.ThenStatus(400, R"({"__type": "ThrottlingException", "message": "Rate exceeded"})");
  }
  KmsClient client = Client();
  auto meta = client.DescribeKey("k");
  ASSERT_FALSE(meta);
  EXPECT_EQ(meta.error().code, ErrorCode::kServiceUnavailable);
  EXPECT_NE(meta.error().detail.find("after 4 attempts"), std::string::npos);
  for (int i = 0; i < 4; ++i) {
    transport_.ThenNetworkError();
  }
  auto unreachable = client.DescribeKey("k");
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kNetwork);
}

TEST_F(KmsClientTest, ClientErrorsAreNotRetried) {
  transport_.ThenStatus(
      400, R"({"__type": "AccessDeniedException", "Message": "User: x is not authorized"})",
      {{"x-amzn-ErrorType", "AccessDeniedException"}});
  KmsClient client = Client();
  auto decrypt = client.Decrypt({core::Bytes{1}, "", {}, std::nullopt});
  ASSERT_FALSE(decrypt);
  EXPECT_EQ(decrypt.error().code, ErrorCode::kKmsAccessDenied);
  EXPECT_NE(decrypt.error().detail.find("User: x is not authorized"), std::string::npos);
  EXPECT_EQ(client.LastAttempts(), 1);
  EXPECT_TRUE(sleeper_.sleeps.empty());
}

TEST_F(KmsClientTest, OversizedAnswersAreNotRetried) {
  transport_.Then([](const HttpRequest&) -> core::Result<HttpResponse> {
    return core::Fail(ErrorCode::kInputTooLarge, "too large");
  });
  KmsClient client = Client();
  EXPECT_EQ(client.GetKeyPolicy("k").error().code, ErrorCode::kInputTooLarge);
  EXPECT_EQ(client.LastAttempts(), 1);
}

TEST_F(KmsClientTest, SecretsNeverAppearInErrors) {
  // A Decrypt answer whose Plaintext is garbage: the error names the field, not its content.
  transport_.ThenStatus(200, R"({"KeyId": "k", "Plaintext": "c2VjcmV0LXBsYWludGV4dA==!!"})");
  KmsClient client = Client();
  auto decrypt = client.Decrypt({core::Bytes{1}, "", {}, std::nullopt});
  ASSERT_FALSE(decrypt);
  EXPECT_EQ(decrypt.error().detail.find("c2VjcmV0"), std::string::npos);
  EXPECT_EQ(decrypt.error().detail.find(kSecret), std::string::npos);
  EXPECT_EQ(decrypt.error().detail.find("session-tok"), std::string::npos);
}

}  // namespace
}  // namespace enclavectl::aws

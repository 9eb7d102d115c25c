// enclave-app's adapters: the file store (atomic create-once), the SSM Parameter Store client
// and store against moto_server (started once for this binary on a free loopback port), SSM's
// error answers, the AWS KMS adapter's requests (Recipient on every call), and sealed mode end
// to end on SSM.
#include "enclavectl/app/stores.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/app/aws_kms.hpp"
#include "enclavectl/app/migration_io.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/ssm_client.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/net/http_server.hpp"
#include "moto_server.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl::app {
namespace {

using core::Bytes;
using core::ErrorCode;
using nlohmann::json;

aws::AwsCredentials TestCredentials() {
  aws::AwsCredentials credentials;
  credentials.access_key_id = "AKIDSSMTEST";
  credentials.secret_access_key = core::SecretBytes(core::AsBytes(std::string("ssm-test-secret")));
  return credentials;
}

// --- the file store ---

TEST(FileStore, CreateOnceLoadAndRefusals) {
  testing::ScopedTempDir dir;
  const std::string path = (dir.Path() / "sealed.json").string();
  FileSealedKeyStore store(path);
  EXPECT_EQ(store.Describe(), "file " + path);
  auto none = store.Load();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store.Create("{\"a\":1}"));
  auto loaded = store.Load();
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ(**loaded, "{\"a\":1}");
  auto again = store.Create("{\"b\":2}");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kSealedKeyExists);
  EXPECT_EQ(**store.Load(), "{\"a\":1}");
  // Too large to be a record.
  const std::string big =
      dir.Write("big.json", Bytes(core::limits::kMaxSealedRecordBytes + 1, 'x'));
  auto too_large = FileSealedKeyStore(big).Load();
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, ErrorCode::kInputTooLarge);
  // A directory where the file should be.
  auto unreadable = FileSealedKeyStore(dir.Path().string()).Load();
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, ErrorCode::kIoRead);
  auto unwritable = FileSealedKeyStore((dir.Path() / "no" / "dir" / "x").string()).Create("x");
  ASSERT_FALSE(unwritable);
  EXPECT_EQ(unwritable.error().code, ErrorCode::kIoWrite);
}

TEST(StoreLocation, Parses) {
  auto file = ParseStoreLocation("file:/var/lib/x.json");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, StoreLocation::Kind::kFile);
  EXPECT_EQ(file->location, "/var/lib/x.json");
  EXPECT_EQ(ParseStoreLocation("plain.json")->location, "plain.json");
  auto ssm = ParseStoreLocation("ssm:/enclave/sealed-key");
  ASSERT_TRUE(ssm);
  EXPECT_EQ(ssm->kind, StoreLocation::Kind::kSsm);
  EXPECT_EQ(ssm->location, "/enclave/sealed-key");
  for (const char* bad : {"file:", "", "ssm:", "ssm:no spaces", "ssm:a/b"}) {
    auto parsed = ParseStoreLocation(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  }
}

// --- SSM's wire format, offline ---

TEST(SsmApi, ErrorsAndMalformedAnswers) {
  const auto decode = [](long status, const std::string& body, const std::string& header = "") {
    return aws::DecodeSsmError(status, core::AsBytes(body), header);
  };
  EXPECT_EQ(decode(400, R"({"__type":"ParameterNotFound","message":"x"})").error.code,
            ErrorCode::kSsmParameterNotFound);
  EXPECT_EQ(decode(400, R"({"__type":"com.amazon#ParameterAlreadyExists"})").error.code,
            ErrorCode::kSsmParameterExists);
  EXPECT_EQ(decode(400, R"({"__type":"AccessDeniedException","Message":"no"})").error.code,
            ErrorCode::kSsmAccessDenied);
  const aws::KmsError throttled = decode(400, R"({"__type":"ThrottlingException"})");
  EXPECT_EQ(throttled.error.code, ErrorCode::kServiceUnavailable);
  EXPECT_TRUE(throttled.retryable);
  const aws::KmsError html = decode(500, "<html>oops</html>");
  EXPECT_EQ(html.error.code, ErrorCode::kServiceUnavailable);
  EXPECT_TRUE(html.retryable);
  EXPECT_EQ(decode(400, "{}", "ValidationException:http://x").error.code, ErrorCode::kSsmError);
  EXPECT_EQ(decode(403, R"({"__type":"Whatever"})").error.code, ErrorCode::kSsmError);

  for (const char* body :
       {"", "[]", "{}", R"({"Parameter": 1})", R"({"Parameter": {"Name": "a", "Type": "String"}})",
        R"({"Parameter": {"Name": "a", "Type": "String", "Value": "v", "Version": "1"}})"}) {
    auto decoded = aws::DecodeGetParameterResponse(core::AsBytes(std::string(body)));
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().code, ErrorCode::kSsmResponseMalformed);
  }
  for (const char* body : {"{}", R"({"Version": "2"})", "null"}) {
    auto decoded = aws::DecodePutParameterResponse(core::AsBytes(std::string(body)));
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().code, ErrorCode::kSsmResponseMalformed);
  }
  auto ok = aws::DecodeGetParameterResponse(core::AsBytes(std::string(
      R"({"Parameter": {"Name": "/a", "Type": "String", "Value": "v", "Version": 3}})")));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->value, "v");
  EXPECT_EQ(ok->version, 3);
  EXPECT_FALSE(aws::ValidateSsmParameterName(std::string(2049, 'a')));
}

// --- against moto_server ---

class Moto : public ::testing::Test {
 protected:
  void SetUp() override {
    const aws::MapEnvironment env;
    auto endpoint = aws::ResolveSsmEndpoint(testing::MotoServer::Url(), "us-east-1", env);
    ASSERT_TRUE(endpoint);
    endpoint_ = *endpoint;
    options_.endpoint = *endpoint;
    options_.retry = aws::RetryPolicy{2, 1, 1};
  }
  aws::SsmClient Client() {
    return aws::SsmClient(options_, transport_, credentials_, clock_, sleeper_);
  }
  AwsAccess Access() {
    return AwsAccess{transport_,
                     [] { return core::Result<aws::AwsCredentials>(TestCredentials()); }, clock_,
                     sleeper_, aws::RetryPolicy{2, 1, 1}};
  }
  static std::string UniqueName(const std::string& stem) {
    static std::atomic<int> counter{0};
    return "/enclavectl-test/" + stem + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(++counter);
  }

  aws::CurlTransport transport_;
  aws::AwsCredentials credentials_ = TestCredentials();
  core::io::SystemClock clock_;
  testing::NoSleep sleeper_;
  aws::AwsEndpoint endpoint_;
  aws::AwsJsonClientOptions options_;
};

TEST_F(Moto, SsmClientGetPutAndErrors) {
  aws::SsmClient client = Client();
  const std::string name = UniqueName("client");
  auto missing = client.GetParameter(name);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kSsmParameterNotFound);
  aws::PutParameterRequest put{name, "value-1", "String", false, "a test"};
  auto version = client.PutParameter(put);
  ASSERT_TRUE(version) << version.error().detail;
  EXPECT_EQ(*version, 1);
  auto exists = client.PutParameter(put);
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, ErrorCode::kSsmParameterExists);
  put.value = "value-2";
  put.overwrite = true;
  EXPECT_EQ(*client.PutParameter(put), 2);
  auto got = client.GetParameter(name);
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->name, name);
  EXPECT_EQ(got->type, "String");
  EXPECT_EQ(got->value, "value-2");
  EXPECT_EQ(got->version, 2);
  auto bad_name = client.GetParameter("no spaces allowed");
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(Moto, SsmStoreIsCreateOnceUnderConcurrency) {
  const std::string name = UniqueName("store");
  std::atomic<int> created{0};
  std::atomic<int> existed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      aws::CurlTransport transport;
      testing::NoSleep sleeper;
      AwsAccess access{transport,
                       [] { return core::Result<aws::AwsCredentials>(TestCredentials()); }, clock_,
                       sleeper, aws::RetryPolicy{2, 1, 1}};
      SsmSealedKeyStore store(MakeSsmClientCall(access, endpoint_), name);
      auto status = store.Create("{\"writer\":" + std::to_string(i) + "}");
      if (status) {
        ++created;
      } else if (status.error().code == ErrorCode::kSealedKeyExists) {
        ++existed;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(existed.load(), 5);
  SsmSealedKeyStore store(MakeSsmClientCall(Access(), endpoint_), name);
  EXPECT_EQ(store.Describe(), "SSM parameter " + name);
  auto loaded = store.Load();
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ((*loaded)->rfind("{\"writer\":", 0), 0U);
  auto none = SsmSealedKeyStore(MakeSsmClientCall(Access(), endpoint_), UniqueName("none")).Load();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(Moto, MigrationStoreOnSsm) {
  const std::string prefix = UniqueName("migration");
  SsmMigrationStore store(MakeSsmClientCall(Access(), endpoint_), prefix);
  EXPECT_EQ(store.Describe(), "SSM parameters " + prefix + "/*");
  // ParameterNotFound is absent.
  auto none = store.Load(kMigrationStateName);
  ASSERT_TRUE(none) << none.error().detail;
  EXPECT_FALSE(*none);
  // Saved as a String parameter, overwritten on the next save, read back as written.
  ASSERT_TRUE(store.Save(kMigrationStateName, "{\"state\":1}"));
  ASSERT_TRUE(store.Save(kMigrationStateName, "{\"state\":2}"));
  auto loaded = store.Load(kMigrationStateName);
  ASSERT_TRUE(loaded && *loaded);
  EXPECT_EQ(**loaded, "{\"state\":2}");
  aws::SsmClient client = Client();
  auto raw = client.GetParameter(prefix + "/MigrationState");
  ASSERT_TRUE(raw) << raw.error().detail;
  EXPECT_EQ(raw->type, "String");
  EXPECT_EQ(raw->value, "{\"state\":2}");
  EXPECT_EQ(raw->version, 2);
  // And as the AWS CLI reads it.
  const testing::CommandResult cli = testing::RunCommand(
      {"aws", "--endpoint-url", testing::MotoServer::Url(), "--region", "us-east-1", "ssm",
       "get-parameter", "--name", prefix + "/MigrationState", "--query",
       "[Parameter.Type,Parameter.Value]", "--output", "text"},
      testing::Environment({{"AWS_ACCESS_KEY_ID", "AKIDSSMTEST"},
                            {"AWS_SECRET_ACCESS_KEY", "ssm-test-secret"},
                            {"AWS_PROFILE", ""},
                            {"AWS_CONFIG_FILE", "/dev/null"},
                            {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
                            {"AWS_SESSION_TOKEN", ""}}));
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "String\t{\"state\":2}\n");
  // The operator's inputs: UNSET and blank are absent, a value is trimmed.
  const auto put = [&](const std::string& name, const std::string& value, const std::string& type) {
    aws::PutParameterRequest request{prefix + "/" + name, value, type, true, ""};
    ASSERT_TRUE(client.PutParameter(request));
  };
  put("MaintainerSig", "UNSET", "String");
  put("MigrationActivationTime", "  \n", "String");
  auto sig = store.Load(kMaintainerSigName);
  ASSERT_TRUE(sig);
  EXPECT_FALSE(*sig);
  auto time = store.Load(kActivationTimeName);
  ASSERT_TRUE(time);
  EXPECT_FALSE(*time);
  put("MigrationActivationTime", " 1700000000\n", "String");
  time = store.Load(kActivationTimeName);
  ASSERT_TRUE(time && *time);
  EXPECT_EQ(**time, "1700000000");
  // Another type is refused, not read.
  put("MaintainerSig", "ab", "StringList");
  sig = store.Load(kMaintainerSigName);
  ASSERT_FALSE(sig);
  EXPECT_EQ(sig.error().code, ErrorCode::kInvalidArgument);
  // An unreachable SSM fails, it is not "absent".
  const aws::MapEnvironment env;
  SsmMigrationStore down(
      MakeSsmClientCall(Access(), *aws::ResolveSsmEndpoint("http://127.0.0.1:9", "us-east-1", env)),
      prefix);
  EXPECT_FALSE(down.Load(kMigrationStateName));
  EXPECT_FALSE(down.Save(kMigrationStateName, "x"));
}

// V2's stream transport (the vsock one's code, over TCP here: no vsock loopback) against the
// real HTTP server, and what it refuses.
TEST(MigrationStreamTransport, SpeaksHttpAndRefusesOtherAnswers) {
  net::HttpServerOptions options;
  options.threads = 1;
  auto server = net::HttpServer::Start(options, [](const net::HttpRequest& request) {
    net::HttpResponse response;
    response.status = request.path == "/big" ? 200 : 202;
    response.body = request.path == "/big"
                        ? std::string(kMigrationMaxBody + 1, 'x')
                        : request.method + " " + request.target + " " +
                              std::string(request.Header("content-type")) + " " + request.body;
    return response;
  });
  ASSERT_TRUE(server);
  wallet::EnclaveAddress address;
  address.kind = wallet::EnclaveAddress::Kind::kTcp;
  address.host = "127.0.0.1";
  address.port = (*server)->Port();
  const MigrationTransport transport = StreamMigrationTransport(address);
  auto got = transport("GET", "/migration/status", "");
  ASSERT_TRUE(got) << got.error().detail;
  EXPECT_EQ(got->status, 202U);
  EXPECT_EQ(got->body, "GET /migration/status  ");
  auto posted = transport("POST", "/migration/initiate", "{\"a\":1}");
  ASSERT_TRUE(posted) << posted.error().detail;
  EXPECT_EQ(posted->body, "POST /migration/initiate application/json {\"a\":1}");
  auto big = transport("GET", "/big", "");
  ASSERT_FALSE(big) << big->status << " " << big->body.size();
  EXPECT_EQ(big.error().code, ErrorCode::kMigrationPeerFailed);
  (*server)->Stop();

  // Not HTTP: a peer that answers a line and closes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof(sa);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  std::thread peer([listener] {
    for (int i = 0; i < 2; ++i) {
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      char buffer[4096];
      (void)::recv(fd, buffer, sizeof(buffer), 0);
      const std::string reply =
          i == 0 ? "garbage\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort";
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(fd);
    }
  });
  address.port = ntohs(sa.sin_port);
  for (int i = 0; i < 2; ++i) {
    auto refused = StreamMigrationTransport(address)("GET", "/migration/status", "");
    ASSERT_FALSE(refused) << i;
    EXPECT_EQ(refused.error().code, ErrorCode::kMigrationPeerFailed);
  }
  peer.join();
  ::close(listener);
  // Nobody listening.
  auto down = StreamMigrationTransport(address)("GET", "/migration/status", "");
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kMigrationPeerFailed);
}

TEST(MigrationSsmPrefix, Validated) {
  EXPECT_TRUE(ValidateMigrationSsmPrefix("/D/NitroIntrospector"));
  EXPECT_TRUE(ValidateMigrationSsmPrefix("/a"));
  for (const std::string bad :
       {"", "/", "D/NitroIntrospector", "/D/", "/D//X", "/D X", "/D\n", "/D*", "/D?x"}) {
    auto status = ValidateMigrationSsmPrefix(bad);
    ASSERT_FALSE(status) << bad;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  }
  const std::string longest = "/" + std::string(1011 - 1 - 1 - 23, 'a');
  EXPECT_TRUE(ValidateMigrationSsmPrefix(longest));
  EXPECT_FALSE(ValidateMigrationSsmPrefix(longest + "a"));
}

TEST_F(Moto, SealedModeOnSsmSurvivesARestart) {
  testing::FakeKms kms;
  const std::string key = "arn:aws:kms:us-east-1:111122223333:key/ssm-sealed";
  kms.AddSymmetricKey(key);
  kms.RequirePcr0(key, Bytes(48, 0xa0));
  const std::string name = UniqueName("sealed");
  std::string first;
  for (int boot = 0; boot < 2; ++boot) {
    testing::SimulatedEnclave enclave(Bytes(48, 0xa0));
    SsmSealedKeyStore store(MakeSsmClientCall(Access(), endpoint_), name);
    testing::CaptureLog log;
    auto service = KeyService::Create({}, *enclave.client, kms, store, log);
    ASSERT_TRUE(service);
    auto setup = (*service)->Setup(SetupRequest{KeyMode::kSealed, key, std::nullopt});
    ASSERT_TRUE(setup) << setup.error().detail;
    net::HttpRequest info;
    info.method = "GET";
    info.path = "/v1/info";
    const std::string public_key = json::parse((*service)->Handle(info).body)["public_key"];
    if (boot == 0) {
      first = public_key;
    } else {
      EXPECT_EQ(public_key, first);
    }
  }
  // Another image cannot unseal it: it refuses the key (the policy pins PCR0 0xa0) before
  // asking KMS; with the check skipped, KMS denies it.
  testing::SimulatedEnclave other(Bytes(48, 0xee));
  SsmSealedKeyStore store(MakeSsmClientCall(Access(), endpoint_), name);
  testing::CaptureLog log;
  auto service = KeyService::Create({}, *other.client, kms, store, log);
  ASSERT_TRUE(service);
  auto denied = (*service)->Setup(SetupRequest{KeyMode::kSealed, key, std::nullopt});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kAppKeyPolicyUnsafe);
  ServiceOptions unchecked;
  unchecked.policy.skip = true;
  auto skipping = KeyService::Create(unchecked, *other.client, kms, store, log);
  ASSERT_TRUE(skipping);
  auto kms_denied = (*skipping)->Setup(SetupRequest{KeyMode::kSealed, key, std::nullopt});
  ASSERT_FALSE(kms_denied);
  EXPECT_EQ(kms_denied.error().code, ErrorCode::kKmsAccessDenied);
}

// --- the AWS KMS adapter: what it sends ---

class RecordingTransport final : public aws::HttpTransport {
 public:
  core::Result<aws::HttpResponse> Send(const aws::HttpRequest& request,
                                       const aws::HttpOptions& /*options*/) override {
    bodies.emplace_back(core::AsChars(request.body.View()));
    for (const auto& header : request.headers) {
      if (header.name == "X-Amz-Target") {
        targets.push_back(header.value);
      }
    }
    aws::HttpResponse response;
    response.status = 200;
    response.body = core::SecretBytes(core::AsBytes(answer));
    return response;
  }
  std::string answer;
  std::vector<std::string> bodies;
  std::vector<std::string> targets;
};

TEST(AwsEnclaveKms, EveryCallCarriesTheRecipient) {
  RecordingTransport transport;
  core::io::SystemClock clock;
  testing::NoSleep sleeper;
  AwsAccess access{transport, [] { return core::Result<aws::AwsCredentials>(TestCredentials()); },
                   clock, sleeper, aws::RetryPolicy{1, 1, 1}};
  const aws::MapEnvironment env;
  AwsEnclaveKms kms(access, *aws::ResolveKmsEndpoint("http://127.0.0.1:9", "us-east-1", env));
  const Bytes document{0x84, 0x44, 0x01, 0x02};
  const std::string for_recipient = core::Base64Encode(Bytes{0x30, 0x80, 0x01});
  const std::string arn = "arn:aws:kms:us-east-1:1:key/k";

  transport.answer = json{
      {"KeyId", arn},
      {"CiphertextForRecipient", for_recipient},
      {"KeyAgreementAlgorithm", "ECDH"},
      {"KeyOrigin",
       "AWS_KMS"}}.dump();
  auto derived = kms.DeriveSharedSecret(arn, Bytes{0x30, 0x59}, document);
  ASSERT_TRUE(derived) << derived.error().detail;
  EXPECT_EQ(*derived, (Bytes{0x30, 0x80, 0x01}));

  transport.answer = json{
      {"KeyId", arn},
      {"CiphertextBlob", core::Base64Encode(Bytes{9, 9})},
      {"CiphertextForRecipient",
       for_recipient}}.dump();
  auto data_key = kms.GenerateDataKey(arn, 32, SealedKeyContext(), document);
  ASSERT_TRUE(data_key) << data_key.error().detail;
  EXPECT_EQ(data_key->ciphertext_blob, (Bytes{9, 9}));

  transport.answer = json{{"KeyId", arn},
                          {"CiphertextForRecipient", for_recipient},
                          {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}}
                         .dump();
  auto decrypted = kms.Decrypt(arn, Bytes{9, 9}, SealedKeyContext(), document);
  ASSERT_TRUE(decrypted) << decrypted.error().detail;

  ASSERT_EQ(transport.bodies.size(), 3U);
  EXPECT_EQ(transport.targets,
            (std::vector<std::string>{"TrentService.DeriveSharedSecret",
                                      "TrentService.GenerateDataKey", "TrentService.Decrypt"}));
  for (const std::string& body : transport.bodies) {
    const json request = json::parse(body);
    EXPECT_EQ(request["Recipient"]["AttestationDocument"], core::Base64Encode(document));
    EXPECT_EQ(request["Recipient"]["KeyEncryptionAlgorithm"], "RSAES_OAEP_SHA_256");
    EXPECT_EQ(request["KeyId"], arn);
  }
  EXPECT_EQ(json::parse(transport.bodies[1])["NumberOfBytes"], 32);
  EXPECT_EQ(json::parse(transport.bodies[1])["EncryptionContext"]["enclavectl:purpose"],
            "enclave-app sealed signing key v2");

  // A server that ignores the Recipient and answers in clear is refused.
  transport.answer =
      json{{"KeyId", arn}, {"SharedSecret", core::Base64Encode(Bytes(32, 1))}}.dump();
  auto clear = kms.DeriveSharedSecret(arn, Bytes{0x30}, document);
  ASSERT_FALSE(clear);
  EXPECT_EQ(clear.error().code, ErrorCode::kKmsResponseMalformed);

  // No credentials: the chain's error.
  AwsAccess no_credentials{transport,
                           []() -> core::Result<aws::AwsCredentials> {
                             return core::Fail(ErrorCode::kCredentialsNotFound, "none");
                           },
                           clock, sleeper, aws::RetryPolicy{1, 1, 1}};
  AwsEnclaveKms without(no_credentials,
                        *aws::ResolveKmsEndpoint("http://127.0.0.1:9", "us-east-1", env));
  auto refused = without.Decrypt(arn, Bytes{1}, {}, document);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kCredentialsNotFound);
}

}  // namespace
}  // namespace enclavectl::app

// moto_server once for this binary (ONE_PROCESS).
[[maybe_unused]] const ::testing::Environment* const kMoto = ::testing::AddGlobalTestEnvironment(
    new enclavectl::testing::MotoServer());  // NOLINT: gtest owns it

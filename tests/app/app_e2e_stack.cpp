#include "app_e2e_stack.hpp"

#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "enclavectl/app/nsm_simulator.hpp"
#include "enclavectl/core/encoding.hpp"

namespace enclavectl::app {

using core::Bytes;
using nlohmann::json;
using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Pcr0Hex() { return core::HexEncode(Bytes(48, kE2ePcr0Fill)); }

json Statement(const std::string& sid, const json& actions, const json& condition) {
  json statement = {{"Sid", sid},
                    {"Effect", "Allow"},
                    {"Principal", {{"AWS", std::string("arn:aws:iam::") + kE2eAccount + ":root"}}},
                    {"Action", actions},
                    {"Resource", "*"}};
  if (!condition.is_null()) {
    statement["Condition"] = condition;
  }
  return statement;
}

void AppE2eStack::SetUp() {
  nsm_state_ = (dir_.Path() / "nsm").string();
  // The simulator's development CA, created before the KMS starts so that it trusts it.
  auto ca = LoadOrCreateDevCa(nsm_state_, clock_);
  ASSERT_TRUE(ca) << ca.error().detail;
  const std::string state = (dir_.Path() / "kms").string();
  auto config = localkms::LoadOrCreateConfig(state, kE2eAccount, "us-east-1");
  ASSERT_TRUE(config) << config.error().detail;
  kms_options_.state_dir = state;
  kms_options_.attestation_root_paths = {nsm_state_ + "/root.pem"};
  kms_options_.account_id = kE2eAccount;
  kms_options_.region = "us-east-1";
  kms_options_.threads = 1;
  auto server = localkms::LocalKmsServer::Start(kms_options_, clock_);
  ASSERT_TRUE(server) << server.error().detail;
  kms_server_ = std::move(*server);
  kms_options_.port = kms_server_->Port();  // a restart listens on the same port
  auto access_key = localkms::AccessKeyFor(state, "");
  ASSERT_TRUE(access_key) << access_key.error().detail;
  access_key_id_ = access_key->access_key_id;
  secret_ = std::string(core::AsChars(access_key->secret_access_key.View()));
  endpoint_ = *aws::ResolveKmsEndpoint(kms_server_->Endpoint(), "us-east-1", env_);
  std::map<std::string, std::string> vars = {{"AWS_ACCESS_KEY_ID", access_key_id_},
                                             {"AWS_SECRET_ACCESS_KEY", secret_},
                                             {"AWS_REGION", "us-east-1"},
                                             {"AWS_DEFAULT_REGION", "us-east-1"},
                                             {"AWS_ENDPOINT_URL_KMS", kms_server_->Endpoint()},
                                             {"AWS_PROFILE", ""},
                                             {"AWS_SESSION_TOKEN", ""}};
  for (const auto& [name, value] : env_overrides_) {
    vars[name] = value;
  }
  env_vars_ = testing::Environment(vars);
}

void AppE2eStack::TearDown() {
  apps_.clear();
  if (kms_server_) {
    kms_server_->Stop();
  }
}

aws::KmsClient AppE2eStack::Client() {
  credentials_.access_key_id = access_key_id_;
  credentials_.secret_access_key = core::SecretBytes(core::AsBytes(secret_));
  aws::KmsClientOptions options;
  options.endpoint = endpoint_;
  return aws::KmsClient(options, transport_, credentials_, clock_, sleeper_);
}

std::string AppE2eStack::CreateKey(const std::string& policy, bool agreement) {
  aws::CreateKeyRequest create;
  create.policy = policy;
  create.bypass_policy_lockout_safety_check = true;  // the policies lock the key
  if (agreement) {
    create.key_spec = "ECC_NIST_P256";
    create.key_usage = "KEY_AGREEMENT";
  }
  aws::KmsClient client = Client();
  auto key = client.CreateKey(create);
  EXPECT_TRUE(key) << key.error().detail;
  return key ? key->arn : "";
}

std::string AppE2eStack::Start(const std::vector<std::string>& extra, const std::string& name) {
  log_ = (dir_.Path() / (name + ".log")).string();
  std::vector<std::string> argv = {ENCLAVE_APP_BINARY,
                                   "--dev",
                                   "--nsm-state",
                                   nsm_state_,
                                   "--pcr",
                                   "0=" + (pcr0_hex_.empty() ? Pcr0Hex() : pcr0_hex_),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--vsock-port",
                                   "0",
                                   "--threads",
                                   "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  apps_.emplace_back(argv, env_vars_, log_);
  for (int i = 0; i < 600; ++i) {
    const std::string text = Slurp(log_);
    const std::size_t at = text.find("listening on http://");
    if (at != std::string::npos) {
      const std::size_t start = at + std::string("listening on ").size();
      return text.substr(start, text.find(' ', start) - start);
    }
    std::this_thread::sleep_for(50ms);
  }
  return "";
}

bool AppE2eStack::WaitForLog(const std::string& needle) {
  for (int i = 0; i < 600; ++i) {
    if (Slurp(log_).find(needle) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

int AppE2eStack::ExitStatus() {
  const int status = apps_.back().Stop(0, 30s);  // signal 0: just wait for the exit
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace enclavectl::app

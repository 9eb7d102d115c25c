#include "local_stack.hpp"

#include <nlohmann/json.hpp>

namespace enclavectl::testing {

using json = nlohmann::json;

bool StartLocalStack(const std::string& enclavectl, const std::string& state, LocalStack& stack,
                     std::string& error) {
  const CommandResult up = RunCommand({enclavectl, "dev", "up", "--state", state, "--listen",
                                       "127.0.0.1:0", "--background", "--json"},
                                      Environment({}));
  if (up.exit_code != 0) {
    error = "dev up: " + up.err;
    return false;
  }
  try {
    const json out = json::parse(up.out);
    LocalStack started;
    started.state = state;
    started.nsm = state + "/nsm";
    started.root = started.nsm + "/root.pem";
    const auto principal = out.at("principal").get<std::string>();  // arn:aws:iam::ACCOUNT:...
    const std::size_t start = principal.find("iam::");
    if (start != std::string::npos) {
      const std::size_t from = start + 5;
      started.account = principal.substr(from, principal.find(':', from) - from);
    }
    started.secret = out.at("secret_access_key").get<std::string>();
    started.env = {{"AWS_ACCESS_KEY_ID", out.at("access_key_id").get<std::string>()},
                   {"AWS_SECRET_ACCESS_KEY", started.secret},
                   {"AWS_REGION", out.at("region").get<std::string>()},
                   {"AWS_DEFAULT_REGION", out.at("region").get<std::string>()},
                   {"AWS_ENDPOINT_URL_KMS", out.at("endpoint").get<std::string>()},
                   {"AWS_PROFILE", ""},
                   {"AWS_SESSION_TOKEN", ""},
                   {"AWS_EC2_METADATA_DISABLED", "true"}};
    stack = std::move(started);
  } catch (const json::exception& e) {
    error = std::string("dev up printed unexpected JSON: ") + e.what() + "\n" + up.out;
    RunCommand({enclavectl, "dev", "down", "--state", state}, Environment({}));
    return false;
  }
  return true;
}

void StopLocalStack(const std::string& enclavectl, const LocalStack& stack) {
  if (!stack.state.empty()) {
    RunCommand({enclavectl, "dev", "down", "--state", stack.state}, Environment({}));
  }
}

std::string EnclaveOnlyKeyPolicy(const std::string& account, const std::string& pcr0) {
  auto statement = [&account](const char* sid, json actions, json condition) {
    json out = {{"Sid", sid},
                {"Effect", "Allow"},
                {"Principal", {{"AWS", "arn:aws:iam::" + account + ":root"}}},
                {"Action", std::move(actions)},
                {"Resource", "*"}};
    if (!condition.is_null()) {
      out["Condition"] = std::move(condition);
    }
    return out;
  };
  const json policy = {{"Version", "2012-10-17"},
                       {"Statement",
                        {statement("KeyInfo", {"kms:DescribeKey", "kms:GetKeyPolicy"}, nullptr),
                         statement("EnclaveOnly", {"kms:Decrypt", "kms:GenerateDataKey"},
                                   {{"StringEqualsIgnoreCase",
                                     {{"kms:RecipientAttestation:ImageSha384", pcr0}}}})}}};
  return policy.dump();
}

std::string CreateKmsKey(const LocalStack& stack, const std::vector<std::string>& args,
                         std::string& error) {
  std::vector<std::string> argv = {"aws", "kms", "create-key"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--output", "json"});
  const CommandResult key = RunCommand(argv, Environment(stack.env));
  if (key.exit_code != 0) {
    error = "aws kms create-key: " + key.err;
    return "";
  }
  try {
    return json::parse(key.out).at("KeyMetadata").at("Arn").get<std::string>();
  } catch (const json::exception& e) {
    error = std::string("aws kms create-key printed unexpected JSON: ") + e.what();
    return "";
  }
}

}  // namespace enclavectl::testing

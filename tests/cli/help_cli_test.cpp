// Issue 19's help items on the built binaries: did-you-mean for unknown commands and flags,
// usage errors as one JSON document with --json, `enclavectl help`, help wrapped to at most
// 100 columns for every command, `errors CODE` with cause and remedy, `--version` details,
// and enclave-app's development warning printed once.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/error_help.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

namespace enclavectl {
namespace {

using nlohmann::json;

testing::CommandResult Cli(std::vector<std::string> args,
                           const std::map<std::string, std::string>& env = {{"COLUMNS", ""}}) {
  args.insert(args.begin(), ENCLAVECTL_BINARY);
  return testing::RunCommand(args, testing::Environment(env), std::chrono::seconds(60));
}

// Exactly one JSON document (nlohmann's parse refuses anything after it).
json OneDocument(const std::string& text) {
  const json parsed = json::parse(text, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "not exactly one JSON document:\n" << text;
  return parsed;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(HelpCli, UnknownCommandSuggestsTheNearestAtEveryLevel) {
  testing::CommandResult r = Cli({"verfy", "--doc", "x"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "enclavectl: UNKNOWN_COMMAND: unknown command 'verfy' for 'enclavectl'\n"
            "hint: did you mean 'verify'?\n");
  r = Cli({"policy", "lnt", "policy.json"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("UNKNOWN_COMMAND: unknown command 'lnt' for 'enclavectl policy'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: did you mean 'lint'?"), std::string::npos) << r.err;
  r = Cli({"eif", "mesure", "image.eif"});
  EXPECT_NE(r.err.find("did you mean 'measure'?"), std::string::npos) << r.err;
}

TEST(HelpCli, UnknownFlagSuggestsTheNearestFlagOfThatCommand) {
  testing::CommandResult r = Cli({"verify", "--rott", "x"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "enclavectl: UNKNOWN_FLAG: unknown flag '--rott' for 'enclavectl verify'\n"
            "hint: did you mean '--root'?\n");
  r = Cli({"policy", "lint", "p.json", "--requre", "locked"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("did you mean '--require'?"), std::string::npos) << r.err;
}

TEST(HelpCli, WithJsonAUsageErrorIsExactlyOneJsonDocument) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify", "--rott", "x", "--json"},
        std::vector<std::string>{"verfy", "--json"},
        std::vector<std::string>{"policy", "lnt", "--json", "p.json"}}) {
    const testing::CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_EQ(r.err, "");
    const json doc = OneDocument(r.out);
    EXPECT_EQ(doc["media_type"], "application/vnd.enclavectl.usage-error+json;version=1");
    EXPECT_EQ(doc["verdict"], "error");
    EXPECT_TRUE(doc["error"]["index"].is_null());
    EXPECT_TRUE(doc["error"]["message"].is_string());
    EXPECT_EQ(doc["suggestions"].size(), 1U) << doc.dump();
    EXPECT_FALSE(doc.contains("mediaType"));
  }
  json doc = OneDocument(Cli({"verify", "--rott", "x", "--json"}).out);
  EXPECT_EQ(doc["error"]["code"], "UNKNOWN_FLAG");
  EXPECT_EQ(doc["error"]["value"], 12);
  EXPECT_EQ(doc["suggestions"], json::array({"--root"}));
  EXPECT_EQ(doc["hint"], "did you mean '--root'?");
  doc = OneDocument(Cli({"verfy", "--doc", "x", "--json"}).out);
  EXPECT_EQ(doc["error"]["code"], "UNKNOWN_COMMAND");
  EXPECT_EQ(doc["error"]["value"], 11);
  EXPECT_EQ(doc["suggestions"], json::array({"verify"}));
  // `errors NOPE --json` used to print an empty table and then the error.
  const testing::CommandResult nope = Cli({"errors", "NOPE", "--json"});
  EXPECT_EQ(nope.exit_code, 64);
  doc = OneDocument(nope.out);
  EXPECT_EQ(doc["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(doc["media_type"], "application/vnd.enclavectl.errors+json;version=1");
  EXPECT_EQ(doc["verdict"], "error");
}

TEST(HelpCli, AMissingCommandOrValueIsAUsageErrorWithAHint) {
  testing::CommandResult r = Cli({"policy"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.err,
            "enclavectl: MISSING_ARGUMENT: 'enclavectl policy' needs a command\n"
            "hint: 'enclavectl policy --help' shows its usage\n");
  r = Cli({});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("MISSING_ARGUMENT: 'enclavectl' needs a command"), std::string::npos);
  r = Cli({"verify", "--root"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("enclavectl: MISSING_ARGUMENT: "), std::string::npos) << r.err;
  const json doc = OneDocument(Cli({"verify", "--json", "--root"}).out);
  EXPECT_EQ(doc["error"]["code"], "MISSING_ARGUMENT");
  EXPECT_EQ(doc["error"]["value"], 13);
  // A value that is not valid stays INVALID_ARGUMENT.
  r = Cli({"verify", "--doc", "x", "--timeout", "abc"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("enclavectl: INVALID_ARGUMENT: "), std::string::npos) << r.err;
}

TEST(HelpCli, HelpCommandIsTheSameAsDashDashHelp) {
  EXPECT_EQ(Cli({"help"}).out, Cli({"--help"}).out);
  const testing::CommandResult measure = Cli({"help", "eif", "measure"});
  EXPECT_EQ(measure.exit_code, 0);
  EXPECT_EQ(measure.out, Cli({"eif", "measure", "--help"}).out);
  EXPECT_NE(measure.out.find("enclavectl eif measure"), std::string::npos) << measure.out;
  EXPECT_EQ(Cli({"help", "policy", "lint"}).out, Cli({"policy", "lint", "--help"}).out);
  testing::CommandResult r = Cli({"help", "polcy"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("UNKNOWN_COMMAND"), std::string::npos);
  EXPECT_NE(r.err.find("did you mean 'policy'?"), std::string::npos) << r.err;
  r = Cli({"help", "policy", "lnt", "--json"});
  EXPECT_EQ(r.exit_code, 64);
  const json doc = OneDocument(r.out);
  EXPECT_EQ(doc["error"]["code"], "UNKNOWN_COMMAND");
  EXPECT_EQ(doc["suggestions"], json::array({"lint"}));
}

// The subcommand names listed under "Subcommands:" in a help text.
std::vector<std::string> SubcommandsIn(const std::string& help) {
  std::vector<std::string> names;
  bool in_list = false;
  for (const std::string& line : Lines(help)) {
    if (line == "Subcommands:") {
      in_list = true;
    } else if (in_list && line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    } else if (in_list && (line.empty() || line[0] != ' ')) {
      in_list = false;
    }
  }
  return names;
}

TEST(HelpCli, EveryHelpFitsInOneHundredColumnsOrTheTerminal) {
  std::vector<std::vector<std::string>> pending = {{}};
  std::set<std::string> seen;
  while (!pending.empty()) {
    const std::vector<std::string> path = pending.back();
    pending.pop_back();
    std::vector<std::string> args = path;
    args.push_back("--help");
    const testing::CommandResult r = Cli(args);
    std::string name = "enclavectl";
    for (const std::string& word : path) {
      name += " " + word;
    }
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    seen.insert(name);
    for (const std::string& line : Lines(r.out)) {
      EXPECT_LE(line.size(), 100U) << name << " --help:\n" << line;
    }
    const testing::CommandResult narrow = Cli(args, {{"COLUMNS", "60"}});
    for (const std::string& line : Lines(narrow.out)) {
      EXPECT_LE(line.size(), 60U) << name << " --help at COLUMNS=60:\n" << line;
    }
    for (const std::string& sub : SubcommandsIn(r.out)) {
      std::vector<std::string> next = path;
      next.push_back(sub);
      pending.push_back(next);
    }
  }
  // The walk reached the whole tree, nested commands included.
  for (const char* name : {"enclavectl verify", "enclavectl policy lint", "enclavectl eif measure",
                           "enclavectl dev up", "enclavectl help", "enclavectl errors"}) {
    EXPECT_TRUE(seen.count(name)) << name;
  }
  EXPECT_GE(seen.size(), 25U);
}

TEST(HelpCli, ErrorsExplainsCauseAndRemedy) {
  const testing::CommandResult expired = Cli({"errors", "CERT_EXPIRED"});
  EXPECT_EQ(expired.exit_code, 0);
  EXPECT_EQ(expired.out.rfind("CERT_EXPIRED (301)\n", 0), 0U) << expired.out;
  for (const char* part :
       {"  meaning  ", "  exit     1 (rejected)", "  cause    ", "  remedy   ", "--at doc"}) {
    EXPECT_NE(expired.out.find(part), std::string::npos) << part << " in\n" << expired.out;
  }
  EXPECT_EQ(Cli({"errors", "301"}).out, expired.out);
  // Every explained code: `errors CODE --json` is one row with its cause and remedy.
  for (const core::ErrorExplanation& explanation : core::AllErrorExplanations()) {
    const std::string name(core::ErrorCodeName(explanation.code));
    const testing::CommandResult r = Cli({"errors", name, "--json"});
    EXPECT_EQ(r.exit_code, 0) << name;
    const json answer = OneDocument(r.out);
    EXPECT_EQ(answer["media_type"], "application/vnd.enclavectl.errors+json;version=1");
    EXPECT_EQ(answer["verdict"], "accepted");
    const json rows = answer["codes"];
    ASSERT_EQ(rows.size(), 1U) << name;
    EXPECT_EQ(rows[0]["code"], name);
    EXPECT_EQ(rows[0]["cause"], std::string(explanation.cause)) << name;
    EXPECT_EQ(rows[0]["remedy"], std::string(explanation.remedy)) << name;
  }
  const json all = OneDocument(Cli({"errors", "--json"}).out)["codes"];
  EXPECT_GE(all.size(), 100U);
  EXPECT_TRUE(all[0].contains("remedy"));
}

std::string PinnedRootSha256() {
  const std::string pem = (testing::SourceDir() / "share" / "aws_nitro_root_g1.pem").string();
  const testing::CommandResult r = testing::RunCommand(
      {"sh", "-c", "openssl x509 -in '" + pem + "' -outform DER | sha256sum | cut -c1-64"},
      testing::Environment({}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 65U) << r.out;
  return r.out.substr(0, 64);
}

TEST(HelpCli, VersionNamesCommitBuildLibrariesAndThePinnedRoot) {
  const std::string root = PinnedRootSha256();
  EXPECT_EQ(root, "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
  const testing::CommandResult text = Cli({"--version"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out.rfind("enclavectl ", 0), 0U);
  for (const std::string& part :
       std::vector<std::string>{"commit:", "build type:", "OpenSSL:          OpenSSL ",
                                "libsecp256k1:     0.", "AWS root SHA-256: " + root}) {
    EXPECT_NE(text.out.find(part), std::string::npos) << part << " in\n" << text.out;
  }
  const testing::CommandResult as_json = Cli({"--version", "--json"});
  EXPECT_EQ(as_json.exit_code, 0);
  const json doc = OneDocument(as_json.out);
  EXPECT_EQ(doc["media_type"], "application/vnd.enclavectl.version+json;version=1");
  EXPECT_EQ(doc["verdict"], "accepted");
  EXPECT_EQ(doc["aws_root_sha256"], root);
  EXPECT_FALSE(doc["commit"].get<std::string>().empty());
  EXPECT_EQ(doc["build_type"], ENCLAVECTL_BUILD_TYPE);
  EXPECT_EQ(OneDocument(Cli({"--json", "--version"}).out), doc);
  const testing::CommandResult app = testing::RunCommand(
      {ENCLAVE_APP_BINARY, "--version"}, testing::Environment({}), std::chrono::seconds(60));
  EXPECT_EQ(app.exit_code, 0);
  EXPECT_EQ(app.out.rfind("enclave-app ", 0), 0U) << app.out;
  EXPECT_NE(app.out.find("AWS root SHA-256: " + root), std::string::npos) << app.out;
}

// enclave-app --dev warns once at start (it used to print the warning twice). Without a local
// KMS it stops right after, which is enough to read what it printed at start.
TEST(HelpCli, EnclaveAppDevWarningIsPrintedOnce) {
  testing::ScopedTempDir dir;
  const testing::CommandResult r = testing::RunCommand(
      {ENCLAVE_APP_BINARY, "--dev", "--nsm-state", (dir.Path() / "nsm").string(), "--listen",
       "127.0.0.1:0", "--vsock-port", "0", "--threads", "1"},
      testing::Environment({{"AWS_ENDPOINT_URL_KMS", ""},
                            {"AWS_ENDPOINT_URL", ""},
                            {"ENCLAVE_APP_KMS_ENDPOINT", ""}}),
      std::chrono::seconds(60));
  const std::string warning = "DEVELOPMENT MODE (--dev)";
  std::size_t count = 0;
  for (std::size_t at = r.err.find(warning); at != std::string::npos;
       at = r.err.find(warning, at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1U) << r.err;
}

}  // namespace
}  // namespace enclavectl

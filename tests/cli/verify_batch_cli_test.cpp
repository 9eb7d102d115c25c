// `enclavectl verify` with several documents (issue 18): --doc repeated, --docs-from FILE|-,
// --jobs; one line (or JSON line) per document in the order given, a closing summary, the
// worst document's exit code; the flag combinations it refuses.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "enclavectl/cli/cli.hpp"
#include "test_paths.hpp"

namespace enclavectl::cli {
namespace {

using Outcome = testing::CliResult;

Outcome RunCli(std::vector<std::string> args) {
  return testing::RunCli(std::move(args), core::io::FixedClock(core::UnixMillis{1763726400000}));
}

std::vector<std::string> Genuine() {
  std::vector<std::string> out;
  for (const auto& path :
       testing::FilesWithSuffix(testing::TestdataDir() / "attestation", ".cbor")) {
    out.push_back(path.string());
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

class VerifyBatchCli : public ::testing::Test {
 protected:
  testing::ScopedTempDir temp_;
};

TEST_F(VerifyBatchCli, EveryGenuineDocumentOneLineEachInOrder) {
  const std::vector<std::string> docs = Genuine();
  ASSERT_GE(docs.size(), 10U);
  std::vector<std::string> args = {"verify", "--at", "doc", "--any-image", "--insecure-allow-debug",
                                   "--jobs", "2"};
  for (const std::string& doc : docs) {
    args.insert(args.end(), {"--doc", doc});
  }
  const Outcome run = RunCli(args);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), docs.size()) << run.out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    EXPECT_EQ(lines[i], docs[i] + ": accepted");
  }
  EXPECT_NE(run.err.find(std::to_string(docs.size()) + " documents, 2 jobs"), std::string::npos)
      << run.err;
}

TEST_F(VerifyBatchCli, JsonLinesAndTheWorstExitCode) {
  const std::vector<std::string> docs = Genuine();
  core::Bytes tampered = testing::ReadBytes(docs[0]);
  tampered[tampered.size() - 5] ^= 0x01;  // the COSE signature
  const std::string bad = temp_.Write("tampered.cbor", tampered);
  const std::string list = temp_.Write(
      "list.txt",
      core::AsBytes("# three documents\n" + docs[0] + "\n\n" + bad + "\r\n" + docs[1] + "\n"));
  const Outcome run = RunCli({"verify", "--docs-from", list, "--at", "doc", "--any-image",
                              "--insecure-allow-debug", "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4U) << run.out;
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  const nlohmann::json summary = nlohmann::json::parse(lines[3]);
  EXPECT_EQ(first["path"], docs[0]);
  EXPECT_EQ(first["verdict"], "accepted");
  EXPECT_EQ(first["media_type"], "application/vnd.enclavectl.verify+json;version=1");
  EXPECT_EQ(second["path"], bad);
  EXPECT_EQ(second["index"], 1);
  EXPECT_EQ(second["verdict"], "rejected");
  EXPECT_EQ(second["error"]["code"], "SIGNATURE_INVALID");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["path"], docs[1]);
  EXPECT_EQ(summary["media_type"], "application/vnd.enclavectl.verify-batch+json;version=1");
  EXPECT_EQ(summary["verdict"], "rejected");
  EXPECT_EQ(summary["exit_code"], 1);
  EXPECT_EQ(summary["total"], 3);
  EXPECT_EQ(summary["accepted"], 2);
  EXPECT_EQ(summary["rejected"], 1);
  EXPECT_TRUE(run.err.empty()) << run.err;

  // A document that is not one (malformed, 2) outranks a rejected one; an unreadable file
  // (74) outranks both.
  const std::string junk = temp_.Write("junk.txt", core::AsBytes("not a document"));
  const Outcome malformed =
      RunCli({"verify", "--doc", bad, "--doc", junk, "--at", "doc", "--any-image"});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out << malformed.err;
  EXPECT_NE(malformed.out.find(junk + ": malformed: "), std::string::npos) << malformed.out;
  const Outcome unreadable =
      RunCli({"verify", "--doc", junk, "--doc", (temp_.Path() / "missing.cbor").string(), "--at",
              "doc", "--any-image"});
  EXPECT_EQ(unreadable.exit_code, 74) << unreadable.out << unreadable.err;
  EXPECT_NE(unreadable.out.find("missing.cbor: error: IO_READ: "), std::string::npos)
      << unreadable.out;
}

TEST_F(VerifyBatchCli, TheSameExpectationsApplyToEveryDocument) {
  const std::vector<std::string> docs = Genuine();
  // A PCR0 no genuine document has: every one is rejected for it.
  const Outcome run = RunCli({"verify", "--doc", docs[0], "--doc", docs[1], "--at", "doc",
                              "--insecure-allow-debug", "--expect-pcr0", std::string(96, '1')});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  for (const std::string& line : Lines(run.out)) {
    EXPECT_NE(line.find(": rejected: PCR_MISMATCH"), std::string::npos) << line;
  }
}

TEST_F(VerifyBatchCli, CombinationsThatMakeNoSenseAreUsageErrors) {
  const std::vector<std::string> docs = Genuine();
  const std::string empty_list = temp_.Write("empty.txt", core::AsBytes("# nothing\n"));
  const std::vector<std::vector<std::string>> refused = {
      {"verify", "--doc", "-", "--doc", docs[0], "--any-image"},
      {"verify", "--doc", docs[0], "--doc", docs[1], "--bundle", "x.zip", "--any-image"},
      {"verify", "--doc", docs[0], "--doc", docs[1], "--url", "http://127.0.0.1:1", "--any-image"},
      {"verify", "--docs-from", empty_list, "--any-image"},
      {"verify", "--doc", docs[0], "--doc", docs[1]},  // no image expectation
      {"verify", "--doc", docs[0], "--doc", docs[1], "--any-image", "--jobs", "0"},
  };
  for (const auto& args : refused) {
    const Outcome run = RunCli(args);
    EXPECT_EQ(run.exit_code, 64) << args.back() << ": " << run.out << run.err;
  }
}

TEST_F(VerifyBatchCli, TheListCanComeFromStandardInput) {
  const std::vector<std::string> docs = Genuine();
  const std::string command = "printf '%s\\n%s\\n' '" + docs[0] + "' '" + docs[1] + "' | " +
                              ENCLAVECTL_BINARY +
                              " verify --docs-from - --at doc --any-image --jobs 2 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    out.append(buffer, n);
  }
  const int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_EQ(out, docs[0] + ": accepted\n" + docs[1] + ": accepted\n");
}

}  // namespace
}  // namespace enclavectl::cli

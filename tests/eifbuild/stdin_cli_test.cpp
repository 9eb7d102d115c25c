// `-` as standard input for the EIF readers (the built binary, through a shell): a pipe is
// spooled to an unnamed scratch file in $TMPDIR and measured like the path; `verify --doc -`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "json_style.hpp"
#include "test_paths.hpp"

namespace enclavectl {
namespace {

namespace fs = std::filesystem;

const std::string kBin = ENCLAVECTL_BINARY;

struct Shell {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `script` with sh, TMPDIR=`tmp`; stdout and stderr captured in files beside `tmp`.
Shell Sh(const fs::path& tmp, const std::string& script) {
  const fs::path out = tmp.parent_path() / (tmp.filename().string() + ".out");
  const fs::path err = tmp.parent_path() / (tmp.filename().string() + ".err");
  const std::string command = "export TMPDIR='" + tmp.string() + "'; { " + script + "; } >'" +
                              out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(command.c_str());  // NOLINT(cert-env33-c): test-only
  Shell result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return result;
}

std::string Testdata(const std::string& part) { return (testing::TestdataDir() / part).string(); }

class StdinCli : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(tmp_); }
  void TearDown() override { fs::remove_all(tmp_); }
  bool TmpIsEmpty() const { return fs::is_empty(tmp_); }

  const fs::path tmp_ = fs::temp_directory_path() / ("stdin-cli-" + std::to_string(::getpid()));
};

TEST_F(StdinCli, EifMeasureDescribeAndPcrReadAPipeLikeThePath) {
  for (const char* name :
       {"eif/oracle_x86_64_unsigned_nitrocli-blobs.eif", "eif/oracle_aarch64_signed-p384.eif"}) {
    const std::string image = Testdata(name);
    const Shell path = Sh(tmp_, kBin + " eif measure '" + image + "' --json");
    ASSERT_EQ(path.exit_code, 0) << path.err;
    const Shell piped = Sh(tmp_, "cat '" + image + "' | " + kBin + " eif measure - --json");
    ASSERT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(nlohmann::json::parse(piped.out)["Measurements"],
              nlohmann::json::parse(path.out)["Measurements"]);
    testing::ExpectVerdictForExit(nlohmann::json::parse(piped.out), piped.exit_code);
    // A redirected file is read in place; describe reads the same.
    const Shell described = Sh(tmp_, kBin + " eif describe - --json < '" + image + "'");
    ASSERT_EQ(described.exit_code, 0) << described.err;
    EXPECT_EQ(nlohmann::json::parse(described.out)["Measurements"],
              nlohmann::json::parse(path.out)["Measurements"]);
    const Shell pcr = Sh(tmp_, "cat '" + image + "' | " + kBin + " eif pcr --input -");
    ASSERT_EQ(pcr.exit_code, 0) << pcr.err;
    EXPECT_EQ(
        nlohmann::json::parse(pcr.out)["PCR"],
        nlohmann::json::parse(Sh(tmp_, kBin + " eif pcr --input '" + image + "'").out)["PCR"]);
    EXPECT_TRUE(TmpIsEmpty()) << "a scratch file was left in $TMPDIR";
  }
  // A damaged image from a pipe is judged like the path: malformed.
  const Shell cut = Sh(tmp_, "head -c 600 '" + Testdata("eif/oracle_aarch64_signed-p384.eif") +
                                 "' | " + kBin + " eif measure -");
  EXPECT_EQ(cut.exit_code, 2) << cut.err;
  EXPECT_EQ(cut.err.rfind("enclavectl: EIF_", 0), 0U) << cut.err;
}

TEST_F(StdinCli, VerifyDocumentFromAPipe) {
  const Shell run =
      Sh(tmp_, "base64 < '" + Testdata("attestation/evervault_2022-10-13_valid.cbor") + "' | " +
                   kBin + " verify --doc - --at doc --any-image --json");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const nlohmann::json report = nlohmann::json::parse(run.out);
  EXPECT_EQ(report["input"]["encoding"], "base64");
  EXPECT_EQ(report["input"]["path"], "-");
}

}  // namespace
}  // namespace enclavectl

// Issue 19 for eif, policy, kms and dev (the built binary, through a shell): `--out FILE|-`
// keeps what the path is, temporary files never outlive Ctrl-C, `dev down` signals only the
// server it recorded, `dev up` reports one already running and a busy port, `--state` is the
// stack's root.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "json_conventions.hpp"
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

// Runs `script` with sh in `dir`; stdout and stderr captured in files of `dir`.
Shell Sh(const fs::path& dir, const std::string& script) {
  const std::string command = "cd '" + dir.string() + "' && { " + script + "; } >'" +
                              (dir / ".out").string() + "' 2>'" + (dir / ".err").string() + "'";
  const int status = std::system(command.c_str());  // NOLINT(cert-env33-c): test-only
  Shell result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = Slurp(dir / ".out");
  result.err = Slurp(dir / ".err");
  fs::remove(dir / ".out");
  fs::remove(dir / ".err");
  return result;
}

std::string Eif(const char* name) { return (testing::TestdataDir() / "eif" / name).string(); }
const std::string kImage = Eif("oracle_x86_64_unsigned_nitrocli-blobs.eif");

bool NoTempFiles(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp") != std::string::npos) {
      ADD_FAILURE() << "left behind: " << entry.path();
      return false;
    }
  }
  return true;
}

TEST(OpsCli, OutDashIsStandardOutputAndCreatesNoFile) {
  testing::ScopedTempDir dir;
  Shell r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("{\n  \"Measurements\"", 0), 0U) << r.out;
  EXPECT_NE(r.err.find("PCR0"), std::string::npos) << "the report goes to stderr";
  EXPECT_FALSE(fs::exists(dir.Path() / "-"));
  r = Sh(dir.Path(), kBin +
                         " policy generate --account 111122223333 --enclave-role "
                         "arn:aws:iam::111122223333:role/enclave --eif " +
                         kImage + " --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"Statement\""), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir.Path() / "-"));
  // Two documents on standard output: refused.
  r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --out - --json");
  EXPECT_EQ(r.exit_code, 64);
  // The old spelling still works.
  r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --output pcr.json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(Slurp(dir.Path() / "pcr.json").find("Measurements"), std::string::npos);
}

TEST(OpsCli, OutWritesThroughSymlinksAndKeepsDevicesAndFifos) {
  testing::ScopedTempDir dir;
  const fs::path target = dir.Path() / "target.json";
  const fs::path link = dir.Path() / "link.json";
  std::ofstream(target) << "old";
  fs::create_symlink(target, link);
  Shell r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --out link.json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_NE(Slurp(target).find("Measurements"), std::string::npos);
  // A character device stays one.
  r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --out /dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // A FIFO is written to, not replaced.
  const fs::path fifo = dir.Path() / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  r = Sh(dir.Path(), "cat fifo > read.json & " + kBin + " policy generate --account " +
                         "111122223333 --enclave-role arn:aws:iam::111122223333:role/enclave " +
                         "--eif " + kImage + " --out fifo; rc=$?; wait; exit $rc");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_NE(Slurp(dir.Path() / "read.json").find("\"Statement\""), std::string::npos);
  EXPECT_TRUE(NoTempFiles(dir.Path()));
}

// Ctrl-C while `eif build` writes a large image (a 1 GiB sparse ramdisk): the temporary
// `.big.eif.tmpXXXXXX` beside the output is removed and nothing is published.
TEST(OpsCli, SigintDuringEifBuildLeavesNoTemporaryFile) {
  testing::ScopedTempDir dir;
  std::ofstream(dir.Path() / "kernel") << "not really a kernel";
  std::ofstream(dir.Path() / "big.ramdisk").close();
  fs::resize_file(dir.Path() / "big.ramdisk", std::uintmax_t{1} << 30);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGINT, SIG_DFL);
    if (::chdir(dir.Path().c_str()) != 0) {
      ::_exit(99);
    }
    ::execl(kBin.c_str(), kBin.c_str(), "eif", "build", "--kernel", "kernel", "--cmdline", "x",
            "--ramdisk", "big.ramdisk", "--out", "big.eif", static_cast<char*>(nullptr));
    ::_exit(98);
  }
  bool temp_seen = false;
  for (int i = 0; i < 200 && !temp_seen; ++i) {
    ::usleep(10000);
    for (const auto& entry : fs::directory_iterator(dir.Path())) {
      temp_seen = temp_seen || entry.path().filename().string().rfind(".big.eif.tmp", 0) == 0;
    }
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(temp_seen) << "the build never started writing";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << "finished before Ctrl-C";
  EXPECT_FALSE(fs::exists(dir.Path() / "big.eif"));
  EXPECT_TRUE(NoTempFiles(dir.Path()));
}

TEST(OpsCli, EifMeasureTakesExpectPcrLikeVerify) {
  testing::ScopedTempDir dir;
  const std::string pcr0 = "pcr0=$(sed -n 's/.*\"PCR0\": \"\\([0-9a-f]*\\)\".*/\\1/p' pcr.json); ";
  ASSERT_EQ(Sh(dir.Path(), kBin + " eif measure " + kImage + " --out pcr.json").exit_code, 0);
  Shell r = Sh(dir.Path(), pcr0 + kBin + " eif measure " + kImage + " --expect-pcr 0=$pcr0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --expect-pcr 0=" + std::string(96, 'a'));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = Sh(dir.Path(), kBin + " eif measure " + kImage + " --expect-pcr 5=" + std::string(96, 'a'));
  EXPECT_EQ(r.exit_code, 64) << r.err;
  r = Sh(dir.Path(), pcr0 + kBin + " eif measure " + kImage + " --expect-pcr 0=$pcr0" +
                         " --expect-pcr0 " + std::string(96, 'a'));
  EXPECT_EQ(r.exit_code, 64) << r.err;
}

TEST(OpsCli, DevDownNeverSignalsAnotherProcess) {
  testing::ScopedTempDir dir;
  Shell r = Sh(dir.Path(),
               "mkdir -p .enclavectl && sleep 300 & pid=$!; sleep 0.1; "
               "echo $pid > .enclavectl/kms.pid; " +
                   kBin +
                   " dev down; rc=$?; sleep 0.2; kill -0 $pid && echo alive; "
                   "kill $pid; exit $rc");
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_NE(r.out.find("alive"), std::string::npos) << "the sleep was killed";
  EXPECT_NE(r.err.find("LOCAL_KMS_NOT_OURS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sleep 300"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not stopped"), std::string::npos) << r.err;
}

TEST(OpsCli, DevDownWhereNoStackIsSaysSo) {
  testing::ScopedTempDir dir;
  const Shell r = Sh(dir.Path(), kBin + " dev down");
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("LOCAL_STACK_NOT_FOUND"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LOCAL_STACK_NOT_FOUND: nothing found at .enclavectl"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--state DIR"), std::string::npos) << r.err;
}

// Holds a listening socket on 127.0.0.1; port() is its port.
class BusyPort {
 public:
  BusyPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));  // NOLINT
    ::listen(fd_, 1);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);  // NOLINT
    port_ = ntohs(addr.sin_port);
  }
  ~BusyPort() { ::close(fd_); }
  BusyPort(const BusyPort&) = delete;
  BusyPort& operator=(const BusyPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(OpsCli, DevUpTwiceAndOnABusyPort) {
  testing::ScopedTempDir dir;
  Shell up = Sh(dir.Path(), kBin + " dev up --background --listen 127.0.0.1:0");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const std::string pid_text = Slurp(dir.Path() / ".enclavectl" / "kms.pid");
  const std::string pid = pid_text.substr(0, pid_text.find('\n'));
  EXPECT_NE(pid_text.find("start_time="), std::string::npos) << pid_text;
  Shell again = Sh(dir.Path(), kBin + " dev up --background --listen 127.0.0.1:0");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("already running (pid " + pid + ")"), std::string::npos) << again.err;
  EXPECT_NE(again.out.find("export AWS_ENDPOINT_URL_KMS="), std::string::npos) << again.out;
  EXPECT_EQ(again.out, up.out);
  // --state is the stack's root everywhere; a KMS state directory (the old meaning) still
  // works, with a warning.
  const Shell root = Sh(dir.Path(), kBin + " kms access-key --state .enclavectl");
  const Shell old = Sh(dir.Path(), kBin + " kms access-key --state .enclavectl/kms");
  EXPECT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(old.exit_code, 0) << old.err;
  EXPECT_EQ(root.out, old.out);
  EXPECT_TRUE(root.err.empty()) << root.err;
  EXPECT_NE(old.err.find("warning: --state .enclavectl/kms is a KMS state directory"),
            std::string::npos)
      << old.err;
  const BusyPort busy;
  const std::string port = std::to_string(busy.port());
  const Shell clash =
      Sh(dir.Path(), kBin + " dev up --state other --background --listen " + "127.0.0.1:" + port);
  EXPECT_EQ(clash.exit_code, 74) << clash.err;
  EXPECT_NE(clash.err.find("LISTEN_FAILED"), std::string::npos) << clash.err;
  EXPECT_NE(clash.err.find("port " + port + " is in use"), std::string::npos) << clash.err;
  EXPECT_NE(clash.err.find("--listen 127.0.0.1:0"), std::string::npos) << clash.err;
  // With --json the failure is one JSON answer on stdout too.
  const Shell clash_json = Sh(dir.Path(), kBin + " dev up --state other --background --json " +
                                              "--listen 127.0.0.1:" + port);
  EXPECT_EQ(clash_json.exit_code, 74) << clash_json.err;
  testing::ExpectJsonConventions(clash_json.out,
                                 "application/vnd.enclavectl.local-kms+json;version=1", 74);
  EXPECT_EQ(nlohmann::json::parse(clash_json.out)["error"]["code"], "LISTEN_FAILED");
  const Shell down = Sh(dir.Path(), kBin + " dev down");
  EXPECT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("(pid " + pid + ") stopped"), std::string::npos) << down.out;
  EXPECT_FALSE(fs::exists(dir.Path() / ".enclavectl" / "kms.env.json"));
}

TEST(OpsCli, HelpSpellsTheOneVocabulary) {
  testing::ScopedTempDir dir;
  const Shell sign = Sh(dir.Path(), kBin + " eif sign --help");
  EXPECT_NE(sign.out.find("--signing-certificate"), std::string::npos);
  EXPECT_NE(sign.out.find("--out"), std::string::npos);
  EXPECT_EQ(sign.out.find("--cert "), std::string::npos) << "hidden alias shown";
  EXPECT_EQ(sign.out.find("--output"), std::string::npos) << "hidden alias shown";
  const Shell import = Sh(dir.Path(), kBin + " kms import-key --help");
  EXPECT_EQ(import.out.find("no-op"), std::string::npos);
  EXPECT_NE(import.out.find("creates another key"), std::string::npos) << import.out;
}

// Issue 19: the JSON answers of kms import-key and access-key, and of dev up (the client
// environment), follow docs/cli-conventions.md.
TEST(OpsCli, KmsAndDevJsonAnswers) {
  testing::ScopedTempDir dir;
  ASSERT_EQ(
      Sh(dir.Path(), "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem")
          .exit_code,
      0);
  const Shell imported = Sh(dir.Path(), kBin + " kms import-key --private-key k.pem --json");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  testing::ExpectJsonConventions(imported.out,
                                 "application/vnd.enclavectl.kms-import-key+json;version=1", 0);
  EXPECT_EQ(nlohmann::json::parse(imported.out)["key_usage"], "KEY_AGREEMENT");
  const Shell access = Sh(dir.Path(), kBin + " kms access-key --json");
  ASSERT_EQ(access.exit_code, 0) << access.err;
  testing::ExpectJsonConventions(access.out,
                                 "application/vnd.enclavectl.kms-access-key+json;version=1", 0);
  EXPECT_TRUE(nlohmann::json::parse(access.out).contains("secret_access_key"));
  const std::string media = "application/vnd.enclavectl.local-kms+json;version=1";
  const Shell up = Sh(dir.Path(), kBin +
                                      " dev up --background --json --listen 127.0.0.1:0 "
                                      "--ready-file ready.json");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  testing::ExpectJsonConventions(up.out, media, 0);
  testing::ExpectJsonConventions(Slurp(dir.Path() / "ready.json"), media, 0);
  struct stat ready {};
  ASSERT_EQ(::stat((dir.Path() / "ready.json").c_str(), &ready), 0);
  EXPECT_EQ(ready.st_mode & 0777, 0600U);  // it holds the secret access key
  // Again: the environment from kms.env.json, the same answer.
  const Shell again = Sh(dir.Path(), kBin + " dev up --background --json");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  testing::ExpectJsonConventions(again.out, media, 0);
  EXPECT_EQ(nlohmann::json::parse(again.out), nlohmann::json::parse(up.out));
  // In the foreground a second server is refused (74): the answer's verdict is an error.
  const Shell busy = Sh(dir.Path(), kBin + " dev up --json");
  EXPECT_EQ(busy.exit_code, 74) << busy.err;
  testing::ExpectJsonConventions(busy.out, media, 74);
  EXPECT_EQ(nlohmann::json::parse(busy.out)["error"]["code"], "LOCAL_KMS_BUSY");
  EXPECT_EQ(Sh(dir.Path(), kBin + " dev down").exit_code, 0);
  EXPECT_FALSE(fs::exists(dir.Path() / "ready.json"));
}

}  // namespace
}  // namespace enclavectl

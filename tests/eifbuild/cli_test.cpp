// `enclavectl eif ...` run in-process: exit codes, outputs, the CI recipe (rebuild, then
// measure --expect-pcr0) and reproducibility across working directories, umasks, file
// times, creation orders and clocks.
#include "enclavectl/cli/cli.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_runner.hpp"
#include "eif_test_util.hpp"
#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/sha.hpp"
#include "json_style.hpp"

namespace enclavectl::eif {
namespace {

namespace fs = std::filesystem;

using CliResult = testing::CliResult;

CliResult RunCli(std::vector<std::string> args, std::int64_t now_ms = 1700000000000) {
  return testing::RunCli(std::move(args), core::io::FixedClock(core::UnixMillis{now_ms}));
}

std::string FixturePath(const std::string& name) {
  return (testutil::FixtureDir() / name).string();
}

nlohmann::json Expected(const std::string& stem) {
  return testing::ReadJson(testutil::FixtureDir() / (stem + ".json"))["expected"];
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "eifcliXXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(EifCli, DescribeJsonMatchesEveryFixture) {
  for (const std::string stem :
       {"oracle_x86_64_unsigned_nitrocli-blobs", "oracle_aarch64_signed-p384"}) {
    const CliResult r = RunCli({"eif", "describe", FixturePath(stem + ".eif"), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json json = r.Json();
    const nlohmann::json expected = Expected(stem);
    EXPECT_EQ(json["EifVersion"], expected["EifVersion"]);
    EXPECT_EQ(json["Measurements"]["PCR0"], expected["PCR0"]);
    EXPECT_EQ(json["Measurements"]["PCR1"], expected["PCR1"]);
    EXPECT_EQ(json["Measurements"]["PCR2"], expected["PCR2"]);
    EXPECT_EQ(json["Measurements"].contains("PCR8"), expected.contains("PCR8"));
    EXPECT_EQ(json["IsSigned"], expected["IsSigned"]);
    EXPECT_EQ(json["CheckCRC"], expected["CheckCRC"]);
    EXPECT_EQ(json["ImageName"], expected["ImageName"]);
    EXPECT_EQ(json["ImageVersion"], expected["ImageVersion"]);
    if (expected["IsSigned"].get<bool>()) {
      EXPECT_EQ(json["SignatureCheck"], true);
      EXPECT_EQ(json["SigningCertificate"]["Algorithm"], "ecdsa-with-SHA384");
    } else {
      EXPECT_FALSE(json.contains("SignatureCheck"));
    }
    EXPECT_EQ(json["media_type"], "application/vnd.enclavectl.eif-describe+json;version=1");
  }
}

TEST(EifCli, DescribeText) {
  const CliResult r = RunCli({"eif", "describe", FixturePath(testutil::kSigned)});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("PCR8  0d9efef0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pass     signature"), std::string::npos) << r.out;
  // People read the hash's name, not nitro-cli's Rust debug text.
  EXPECT_NE(r.out.find("\nmeasurements (SHA-384)\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Sha384 {"), std::string::npos) << r.out;
}

TEST(EifCli, DescribeCorruptImage) {
  TempDir dir;
  core::Bytes image = testutil::Fixture(testutil::kUnsigned);
  image[image.size() - 1] ^= 1;
  WriteFile(dir.path() / "bad.eif", core::AsChars(image));
  CliResult r = RunCli({"eif", "describe", dir / "bad.eif", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.Json()["CheckCRC"], false);
  EXPECT_EQ(r.Json()["error"]["code"], "EIF_CRC_MISMATCH");
  // Without --json: the report on standard output, the failure line on standard error.
  r = RunCli({"eif", "describe", dir / "bad.eif"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out.find("error"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.rfind("enclavectl: EIF_CRC_MISMATCH: ", 0), 0U) << r.err;
  r = RunCli({"eif", "describe", dir / "missing.eif"});
  EXPECT_EQ(r.exit_code, 74);
  EXPECT_NE(r.err.find("IO_READ"), std::string::npos);
}

TEST(EifCli, MeasureExitCodes) {
  const std::string image = FixturePath(testutil::kUnsigned);
  const nlohmann::json expected = Expected("oracle_x86_64_unsigned_nitrocli-blobs");
  const std::string pcr0 = expected["PCR0"];
  EXPECT_EQ(RunCli({"eif", "measure", image}).exit_code, 0);
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr0", pcr0}).exit_code, 0);
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr0", pcr0, "--expect-pcr1",
                    expected["PCR1"], "--expect-pcr2", expected["PCR2"]})
                .exit_code,
            0);
  std::string wrong = pcr0;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  CliResult r = RunCli({"eif", "measure", image, "--expect-pcr0", wrong});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("expected " + wrong), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("actual   " + pcr0), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("PCR_MISMATCH"), std::string::npos);
  r = RunCli({"eif", "measure", image, "--expect-pcr0", wrong, "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.Json()["verdict"], "rejected");
  EXPECT_EQ(r.Json()["error"]["code"], "PCR_MISMATCH");
  EXPECT_EQ(r.Json()["expected"][0]["actual"], pcr0);
  // PCR8 of an unsigned image: absent, so a mismatch.
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr8", pcr0}).exit_code, 1);
  // Malformed: 2, even with the right expectation.
  TempDir dir;
  const core::Bytes bytes = testutil::Fixture(testutil::kUnsigned);
  WriteFile(dir.path() / "cut.eif", core::AsChars(core::ByteView(bytes).first(600)));
  r = RunCli({"eif", "measure", dir / "cut.eif", "--expect-pcr0", pcr0});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("EIF_SECTION_TRUNCATED"), std::string::npos);
  // Usage: a PCR that is not 96 hex digits.
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr0", "abcd"}).exit_code, 64);
  // Pasted: 0x, upper case, xxd -p line breaks.
  std::string pasted = "0x" + pcr0.substr(0, 60) + "\n" + pcr0.substr(60) + "\n";
  for (char& c : pasted) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  pasted[1] = 'x';
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr0", pasted}).exit_code, 0);
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcr", "0=" + pasted}).exit_code, 0);
  EXPECT_EQ(RunCli({"eif", "measure"}).exit_code, 64);
}

TEST(EifCli, MeasureSignedImageWithBadSignature) {
  TempDir dir;
  core::Bytes image = testutil::Fixture(testutil::kSigned);
  image[image.size() - 1] ^= 0x01;  // inside the COSE signature's s value
  testutil::FixCrc(image);
  WriteFile(dir.path() / "bad-sig.eif", core::AsChars(image));
  const nlohmann::json expected = Expected("oracle_aarch64_signed-p384");
  const CliResult r =
      RunCli({"eif", "measure", dir / "bad-sig.eif", "--expect-pcr0", expected["PCR0"], "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.Json()["verdict"], "rejected");
  EXPECT_EQ(r.Json()["error"]["code"], "EIF_SIGNATURE_INVALID");
  EXPECT_EQ(r.Json()["expected"][0]["match"], true);
  const CliResult d = RunCli({"eif", "describe", dir / "bad-sig.eif", "--json"});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_EQ(d.Json()["SignatureCheck"], false);
  EXPECT_EQ(d.Json()["CheckCRC"], true);
}

TEST(EifCli, MeasureOutputThenExpectPcrs) {
  TempDir dir;
  const std::string image = FixturePath(testutil::kSigned);
  ASSERT_EQ(RunCli({"eif", "measure", image, "--output", dir / "pcr.json"}).exit_code, 0);
  const nlohmann::json pcr = testing::ReadJson(dir.path() / "pcr.json");
  EXPECT_EQ(pcr["Measurements"]["PCR8"], Expected("oracle_aarch64_signed-p384")["PCR8"]);
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcrs", dir / "pcr.json"}).exit_code, 0);
  // The other fixture does not match that set: PCR_SET_NO_MATCH, exit 1.
  const CliResult r = RunCli({"eif", "measure", FixturePath(testutil::kUnsigned), "--expect-pcrs",
                              dir / "pcr.json", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.Json()["error"]["code"], "PCR_SET_NO_MATCH");
  // A PCR file that is not one: 2.
  WriteFile(dir.path() / "bad.json", "{\"PCR0\": 5}");
  EXPECT_EQ(RunCli({"eif", "measure", image, "--expect-pcrs", dir / "bad.json"}).exit_code, 2);
}

TEST(EifCli, PcrLikeNitroCli) {
  CliResult r = RunCli({"eif", "pcr", "--signing-certificate", FixturePath(testutil::kSignedCert)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["PCR8"], Expected("oracle_aarch64_signed-p384")["PCR8"]);
  TempDir dir;
  WriteFile(dir.path() / "empty", "");
  r = RunCli({"eif", "pcr", "--input", dir / "empty"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "{\n  \"PCR\": \"21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10e"
            "db30948c90ba67310f7b964fc500a\",\n  \"media_type\": "
            "\"application/vnd.enclavectl.eif-pcr+json;version=1\",\n  \"verdict\": "
            "\"accepted\"\n}\n");
  EXPECT_EQ(RunCli({"eif", "pcr"}).exit_code, 64);
  EXPECT_EQ(RunCli({"eif", "pcr", "--signing-certificate", dir / "empty"}).exit_code, 2);
}

// The inputs of an image, created under a given umask with given file times and order.
struct TreeOptions {
  mode_t umask_value = 022;
  std::time_t mtime = 1000;
  bool reverse_order = false;
};

void MakeInputs(const fs::path& dir, const TreeOptions& options) {
  const mode_t old = ::umask(options.umask_value);
  std::vector<std::pair<std::string, std::string>> files = {
      {"kernel", std::string(5000, 'k')},
      {"init", "#!/bin/init\n"},
      {"nsm.ko", "module"},
      {"rootfs/etc/hostname", "enclave\n"},
      {"rootfs/usr/bin/app", "#!/bin/sh\necho hi\n"},
      {"rootfs/usr/share/doc/readme", "docs"},
  };
  if (options.reverse_order) {
    std::reverse(files.begin(), files.end());
  }
  for (const auto& [name, content] : files) {
    WriteFile(dir / name, content);
  }
  fs::create_directories(dir / "rootfs" / "var" / "empty");
  // Executables are executable for their owner at least; everything else may vary.
  fs::permissions(dir / "rootfs" / "usr" / "bin" / "app",
                  options.umask_value == 022 ? fs::perms(0755) : fs::perms(0700));
  fs::create_symlink("usr/bin/app", dir / "rootfs" / "app");
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_symlink()) {
      const struct utimbuf times { options.mtime, options.mtime };
      ::utime(entry.path().c_str(), &times);
    }
  }
  ::umask(old);
}

std::vector<std::string> BuildArgs(const std::string& base, const std::string& output) {
  return {
      "eif",    "build",        "--kernel",  base + "kernel", "--cmdline", "console=ttyS0 quiet",
      "--init", base + "init",  "--nsm-ko",  base + "nsm.ko", "--rootfs",  base + "rootfs",
      "--cmd",  "/usr/bin/app", "--cmd",     "--flag",        "--env",     "A=1",
      "--name", "app",          "--version", "1.0.0",         "--output",  output,
      "--json"};
}

TEST(EifCli, BuildIsReproducible) {
  TempDir a;
  TempDir b;
  MakeInputs(a.path(), {022, 1000, false});
  MakeInputs(b.path(), {077, 1700000000, true});
  const fs::path cwd = fs::current_path();
  // Build 1: from inside a, relative paths, one clock.
  fs::current_path(a.path());
  const CliResult first = RunCli(BuildArgs("", "out.eif"), 1000);
  // Build 2: from inside b with absolute paths, another umask and clock.
  fs::current_path(b.path());
  const mode_t old = ::umask(077);
  const CliResult second = RunCli(BuildArgs(b.path().string() + "/", b / "out.eif"), 1800000000000);
  ::umask(old);
  fs::current_path(cwd);
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  ASSERT_EQ(second.exit_code, 0) << second.err << second.out;
  EXPECT_EQ(first.Json()["Measurements"], second.Json()["Measurements"]);
  testing::ExpectSnakeCaseKeys(first.Json(), {"Measurements"});
  testing::ExpectVerdictForExit(first.Json(), first.exit_code);
  const core::Bytes bytes_a = testing::ReadBytes(a.path() / "out.eif");
  const core::Bytes bytes_b = testing::ReadBytes(b.path() / "out.eif");
  EXPECT_EQ(bytes_a, bytes_b);
  EXPECT_EQ(fs::status(a.path() / "out.eif").permissions(), fs::perms(0644));
  // The image is well formed and measures to what build printed.
  const CliResult measured = RunCli(
      {"eif", "measure", a / "out.eif", "--expect-pcr0", first.Json()["Measurements"]["PCR0"]});
  EXPECT_EQ(measured.exit_code, 0) << measured.out << measured.err;
  // The build time is the only default that differs from a fixed one, and it is fixed.
  const CliResult described = RunCli({"eif", "describe", a / "out.eif", "--json"});
  EXPECT_EQ(described.Json()["Metadata"]["BuildTime"], "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(described.Json()["Metadata"]["BuildTool"], "enclavectl");
  EXPECT_EQ(described.Json()["ImageName"], "app");
  EXPECT_EQ(described.Json()["ImageVersion"], "1.0.0");
}

TEST(EifCli, BuildTimeFromFlagOrSourceDateEpoch) {
  TempDir dir;
  MakeInputs(dir.path(), {});
  const std::string base = dir.path().string() + "/";
  std::vector<std::string> args = BuildArgs(base, dir / "flag.eif");
  args.insert(args.end(), {"--build-time", "1700000000"});
  ASSERT_EQ(RunCli(args).exit_code, 0);
  ::setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  const CliResult env = RunCli(BuildArgs(base, dir / "env.eif"));
  ::unsetenv("SOURCE_DATE_EPOCH");
  ASSERT_EQ(env.exit_code, 0);
  EXPECT_EQ(testing::ReadBytes(dir.path() / "flag.eif"),
            testing::ReadBytes(dir.path() / "env.eif"));
  const CliResult plain = RunCli(BuildArgs(base, dir / "plain.eif"));
  // A different build time changes the archives' mtimes, so PCR1 and PCR2.
  EXPECT_NE(plain.Json()["Measurements"]["PCR1"], env.Json()["Measurements"]["PCR1"]);
  EXPECT_EQ(RunCli({"eif", "describe", dir / "env.eif", "--json"}).Json()["Metadata"]["BuildTime"],
            "2023-11-14T22:13:20+00:00");
  args = BuildArgs(base, dir / "bad.eif");
  args.insert(args.end(), {"--build-time", "yesterday"});
  EXPECT_EQ(RunCli(args).exit_code, 64);
}

TEST(EifCli, BuildFromTarEqualsBuildFromDirectory) {
  TempDir dir;
  MakeInputs(dir.path(), {});
  const std::string base = dir.path().string() + "/";
  ASSERT_EQ(std::system(("tar -C " + base + "rootfs -cf " + base + "rootfs.tar .").c_str()), 0);
  ASSERT_EQ(RunCli(BuildArgs(base, dir / "dir.eif")).exit_code, 0);
  std::vector<std::string> args = BuildArgs(base, dir / "tar.eif");
  *std::find(args.begin(), args.end(), base + "rootfs") = base + "rootfs.tar";
  const CliResult r = RunCli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadBytes(dir.path() / "dir.eif"), testing::ReadBytes(dir.path() / "tar.eif"));
}

TEST(EifCli, BuildErrors) {
  TempDir dir;
  MakeInputs(dir.path(), {});
  const std::string base = dir.path().string() + "/";
  std::vector<std::string> args = BuildArgs(base, dir / "x.eif");
  args.erase(std::find(args.begin(), args.end(), "--cmd"),
             std::find(args.begin(), args.end(), "--env"));
  EXPECT_EQ(RunCli(args).exit_code, 64);  // --rootfs without --cmd
  args = {"eif", "build", "--kernel", base + "kernel", "--cmdline", "x", "--output", dir / "y.eif"};
  EXPECT_EQ(RunCli(args).exit_code, 64);  // no ramdisk
  args = {"eif", "build",     "--kernel",    base + "missing", "--cmdline",
          "x",   "--ramdisk", base + "init", "--output",       dir / "y.eif"};
  EXPECT_EQ(RunCli(args).exit_code, 74);
  EXPECT_FALSE(fs::exists(dir.path() / "y.eif"));
  EXPECT_EQ(RunCli({"eif", "build", "--kernel", base + "kernel", "--cmdline", "x", "--ramdisk",
                    base + "init", "--arch", "riscv", "--output", dir / "y.eif"})
                .exit_code,
            64);
  ASSERT_EQ(::mkfifo((dir.path() / "rootfs" / "fifo").c_str(), 0644), 0);
  const CliResult fifo = RunCli(BuildArgs(base, dir / "z.eif"));
  EXPECT_EQ(fifo.exit_code, 2);
  EXPECT_EQ(fifo.Json()["error"]["code"], "CPIO_UNSUPPORTED_ENTRY");
  // Custom metadata over 4096 bytes (eif_build's limit); custom metadata that is not JSON.
  WriteFile(dir.path() / "meta.json", "{\"k\": \"" + std::string(5000, 'v') + "\"}");
  CliResult meta =
      RunCli({"eif", "build", "--kernel", base + "kernel", "--cmdline", "x", "--ramdisk",
              base + "init", "--metadata", dir / "meta.json", "--output", dir / "y.eif"});
  EXPECT_EQ(meta.exit_code, 2);
  EXPECT_NE(meta.err.find("INPUT_TOO_LARGE"), std::string::npos);
  WriteFile(dir.path() / "meta.json", "{\"k\": ");
  meta = RunCli({"eif", "build", "--kernel", base + "kernel", "--cmdline", "x", "--ramdisk",
                 base + "init", "--metadata", dir / "meta.json", "--output", dir / "y.eif"});
  EXPECT_EQ(meta.exit_code, 2);
  EXPECT_NE(meta.err.find("EIF_METADATA"), std::string::npos);
}

TEST(EifCli, BuildWithMetadataKernelConfigAndSigning) {
  TempDir dir;
  MakeInputs(dir.path(), {});
  const std::string base = dir.path().string() + "/";
  WriteFile(dir.path() / "meta.json", R"({"purpose": "test", "nested": {"b": 2, "a": 1}})");
  WriteFile(dir.path() / "kernel.config",
            "#\n# Automatically generated file; DO NOT EDIT.\n"
            "# Linux/x86_64 4.14.256-209.484.amzn2.x86_64 Kernel Configuration\n");
  const CliResult r = RunCli({"eif",
                              "build",
                              "--kernel",
                              base + "kernel",
                              "--cmdline",
                              "x",
                              "--ramdisk",
                              base + "init",
                              "--metadata",
                              dir / "meta.json",
                              "--kernel-config",
                              dir / "kernel.config",
                              "--signing-certificate",
                              FixturePath(testutil::kSignedCert),
                              "--private-key",
                              FixturePath(testutil::kSignedKey),
                              "--arch",
                              "aarch64",
                              "--output",
                              dir / "s.eif",
                              "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.Json()["Measurements"]["PCR8"], Expected("oracle_aarch64_signed-p384")["PCR8"]);
  const nlohmann::json d = RunCli({"eif", "describe", dir / "s.eif", "--json"}).Json();
  EXPECT_EQ(d["SignatureCheck"], true);
  EXPECT_EQ(d["Metadata"]["OperatingSystem"], "Linux");
  EXPECT_EQ(d["Metadata"]["KernelVersion"], "4.14.256");
  EXPECT_EQ(d["Metadata"]["purpose"], "test");
  EXPECT_EQ(d["arch"], "aarch64");
  // The wrong key for the certificate.
  WriteFile(dir.path() / "other.pem",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  const CliResult bad =
      RunCli({"eif", "build", "--kernel", base + "kernel", "--cmdline", "x", "--ramdisk",
              base + "init", "--signing-certificate", FixturePath(testutil::kSignedCert),
              "--private-key", dir / "other.pem", "--output", dir / "t.eif"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("EIF_SIGNING_KEY"), std::string::npos);
  EXPECT_EQ(bad.err.find("AAAA"), std::string::npos);  // never the key file's content
}

TEST(EifCli, SignUnsignedThenResign) {
  TempDir dir;
  const std::string cert = FixturePath(testutil::kSignedCert);
  const std::string key = FixturePath(testutil::kSignedKey);
  CliResult r = RunCli({"eif", "sign", FixturePath(testutil::kUnsigned), "--cert", cert, "--key",
                        key, "--output", dir / "signed.eif", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json expected = Expected("oracle_x86_64_unsigned_nitrocli-blobs");
  EXPECT_EQ(r.Json()["Measurements"]["PCR0"], expected["PCR0"]);
  // Signing in place again replaces the signature: still one signature section.
  r = RunCli({"eif", "sign", dir / "signed.eif", "--cert", cert, "--key", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json d = RunCli({"eif", "describe", dir / "signed.eif", "--json"}).Json();
  EXPECT_EQ(d["SignatureCheck"], true);
  EXPECT_EQ(d["Measurements"]["PCR0"], expected["PCR0"]);
  EXPECT_EQ(d["Measurements"]["PCR8"], Expected("oracle_aarch64_signed-p384")["PCR8"]);
  EXPECT_EQ(d["sections"].size(), 6U);
  // The unsigned part is the original's: stripping the signature gives the same sections.
  const core::Bytes original = testutil::Fixture(testutil::kUnsigned);
  const core::Bytes signed_bytes = testing::ReadBytes(dir.path() / "signed.eif");
  EXPECT_TRUE(std::equal(original.begin() + kHeaderSize, original.end(),
                         signed_bytes.begin() + kHeaderSize));
  // A corrupt image is never signed.
  core::Bytes corrupt = original;
  corrupt[corrupt.size() - 1] ^= 1;
  WriteFile(dir.path() / "corrupt.eif", core::AsChars(corrupt));
  r = RunCli({"eif", "sign", dir / "corrupt.eif", "--cert", cert, "--key", key});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("EIF_CRC_MISMATCH"), std::string::npos);
}

// docs/cli-conventions.md, JSON: our keys are snake_case (nitro-cli's describe-eif and pcr.json
// keys are a format of others, kept as they are), every answer has media_type and a verdict
// that follows the exit code, accepted or not.
TEST(EifCli, JsonKeysAreSnakeCaseAndTheVerdictFollowsTheExitCode) {
  const std::set<std::string> nitro_cli = {"EifVersion", "Measurements",
                                           "IsSigned",   "SigningCertificate",
                                           "CheckCRC",   "SignatureCheck",
                                           "ImageName",  "ImageVersion",
                                           "Metadata",   "PCR",
                                           "PCR8"};
  TempDir dir;
  core::Bytes bad_sig = testutil::Fixture(testutil::kSigned);
  bad_sig[bad_sig.size() - 1] ^= 0x01;
  testutil::FixCrc(bad_sig);
  WriteFile(dir.path() / "bad-sig.eif", core::AsChars(bad_sig));
  core::Bytes bad_crc = testutil::Fixture(testutil::kUnsigned);
  bad_crc[bad_crc.size() - 1] ^= 1;
  WriteFile(dir.path() / "bad-crc.eif", core::AsChars(bad_crc));
  const std::string image = FixturePath(testutil::kUnsigned);
  const std::string pcr0 = Expected("oracle_x86_64_unsigned_nitrocli-blobs")["PCR0"];
  const std::string cert = FixturePath(testutil::kSignedCert);
  const std::string key = FixturePath(testutil::kSignedKey);
  const std::vector<std::pair<std::vector<std::string>, int>> runs = {
      {{"eif", "describe", FixturePath(testutil::kSigned), "--json"}, 0},
      {{"eif", "describe", dir / "bad-sig.eif", "--json"}, 1},
      {{"eif", "describe", dir / "bad-crc.eif", "--json"}, 2},
      {{"eif", "measure", image, "--json"}, 0},
      {{"eif", "measure", image, "--json", "--expect-pcr0", pcr0}, 0},
      {{"eif", "measure", image, "--json", "--expect-pcr0", std::string(96, 'a')}, 1},
      {{"eif", "measure", dir / "bad-sig.eif", "--json"}, 1},
      {{"eif", "measure", dir / "bad-crc.eif", "--json"}, 2},
      {{"eif", "pcr", "--input", image}, 0},
      {{"eif", "pcr", "--signing-certificate", cert}, 0},
      {{"eif", "sign", image, "--signing-certificate", cert, "--private-key", key, "--out",
        dir / "signed.eif", "--json"},
       0}};
  for (const auto& [args, exit_code] : runs) {
    const CliResult r = RunCli(args);
    SCOPED_TRACE(args[1] + " " + args[2] + " " + std::to_string(args.size()));
    ASSERT_EQ(r.exit_code, exit_code) << r.out << r.err;
    testing::ExpectSnakeCaseKeys(r.Json(), nitro_cli);
    testing::ExpectVerdictForExit(r.Json(), r.exit_code);
  }
}

TEST(EifCli, HelpTeachesWithExamples) {
  for (const std::string sub : {"describe", "measure", "pcr", "build", "sign"}) {
    const CliResult r = RunCli({"eif", sub, "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << sub;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace enclavectl::eif

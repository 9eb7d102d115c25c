// The stack the enclave-app end-to-end tests run against (adopt_e2e_test.cpp,
// enclave_app_e2e_test.cpp): the real local KMS started in-process on loopback, trusting the
// NSM simulator's development CA, a KMS client holding the account's root access key, and real
// `enclave-app --dev` processes started against it. One copy, so that the suites cannot drift
// apart in how they boot the enclave.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app_fakes.hpp"
#include "enclavectl/aws/curl_transport.hpp"
#include "enclavectl/aws/environment.hpp"
#include "enclavectl/aws/kms_client.hpp"
#include "enclavectl/core/file_io.hpp"
#include "enclavectl/localkms/server.hpp"
#include "subprocess.hpp"
#include "test_paths.hpp"

// Beside the tests that use them, in enclavectl::app, so that they read unqualified there.
namespace enclavectl::app {

// The local KMS's account; the root access key plays the enclave role and the parent, which
// holds the same credentials.
inline constexpr const char* kE2eAccount = "111122223333";
// Every enclave-app the fixture starts is measured as PCR0 = 48 bytes of this (unless
// AppE2eStack::pcr0_hex_ says otherwise).
inline constexpr std::uint8_t kE2ePcr0Fill = 0xa0;

// The whole of the file at `path` ("" when it cannot be read: a log not yet written).
std::string Slurp(const std::string& path);

// The hex of the default PCR0 (kE2ePcr0Fill).
std::string Pcr0Hex();

// A key policy statement allowing `actions` on "*" to the account's root, with `condition`
// when it is not null.
nlohmann::json Statement(const std::string& sid, const nlohmann::json& actions,
                         const nlohmann::json& condition = nullptr);

class AppE2eStack : public ::testing::Test {
 protected:
  // Creates the simulator's development CA, then starts the local KMS trusting it, and builds
  // env_vars_ for the children (the KMS endpoint and credentials, then env_overrides_).
  void SetUp() override;
  // Kills the enclave-apps still running, then stops the KMS.
  void TearDown() override;

  // A client of the local KMS with the root access key (borrows this fixture's members).
  aws::KmsClient Client();

  // A key under `policy` (the safety check bypassed: the policies lock the key): symmetric,
  // or P-256 for key agreement. Its ARN, or "" with the test failed.
  std::string CreateKey(const std::string& policy, bool agreement = false);

  // Starts enclave-app --dev measured as PCR0 (pcr0_hex_, else Pcr0Hex()) with `extra` flags,
  // logging to `name`.log; waits until it listens (or exits). Returns the base URL ("" when it
  // did not listen).
  std::string Start(const std::vector<std::string>& extra, const std::string& name);

  // Waits for `needle` in the current log.
  bool WaitForLog(const std::string& needle);

  // Waits for the last enclave-app to exit on its own; its exit code (-1: killed or still
  // running after 30 s).
  int ExitStatus();

  // Variables the children get on top of the stack's: a derived fixture fills it before
  // calling AppE2eStack::SetUp (an entry here wins; an empty value removes the variable).
  std::map<std::string, std::string> env_overrides_;

  core::io::SystemClock clock_;
  testing::ScopedTempDir dir_;
  localkms::ServerOptions kms_options_;  // port set once started: a restart keeps it
  std::string nsm_state_;
  std::unique_ptr<localkms::LocalKmsServer> kms_server_;
  std::string access_key_id_;
  std::string secret_;
  aws::AwsCredentials credentials_;
  aws::MapEnvironment env_;
  aws::AwsEndpoint endpoint_;
  aws::CurlTransport transport_;
  testing::NoSleep sleeper_;
  std::vector<std::string> env_vars_;
  std::vector<testing::ChildProcess> apps_;
  std::string log_;
  std::string pcr0_hex_;  // Start's PCR0 when set (default Pcr0Hex())
};

}  // namespace enclavectl::app

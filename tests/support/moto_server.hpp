// moto_server (the Python AWS mock, preinstalled with the machine's Python 3) as a GoogleTest
// environment: started once per test binary on a free loopback port, stopped at the end. Tests
// never reach AWS or the network.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>

namespace enclavectl::testing {

class MotoServer final : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // "http://127.0.0.1:PORT"; valid after SetUp.
  static const std::string& Url();
  static int Port();

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace enclavectl::testing

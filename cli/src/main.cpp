#include <cstdio>
#include <iostream>

#include "enclavectl/cli/cli.hpp"
#include "enclavectl/core/output.hpp"

int main(int argc, char** argv) {
  // Temporary files of outputs being written never survive Ctrl-C or a kill.
  enclavectl::core::io::InstallOutputCleanup();
  const enclavectl::core::io::SystemClock clock;
  const int code = enclavectl::cli::Run(argc, argv, std::cin, std::cout, std::cerr, clock);
  // std::cout shares stdio's buffer: a failure may only show when stdio flushes it.
  if (code != 74 && (std::fflush(stdout) != 0 || std::ferror(stdout) != 0)) {
    std::cout.setstate(std::ios::badbit);
    return enclavectl::cli::CheckOutputWritten(std::cout, std::cerr, code);
  }
  return code;
}

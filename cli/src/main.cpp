#include <iostream>

#include "enclavectl/cli/cli.hpp"

int main(int argc, char** argv) {
  const enclavectl::core::io::SystemClock clock;
  return enclavectl::cli::Run(argc, argv, std::cin, std::cout, std::cerr, clock);
}

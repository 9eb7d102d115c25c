// enclave-app: the key service inside the enclave (docs/enclave-app.md).
#include <iostream>

#include "enclavectl/app/run.hpp"

int main(int argc, char** argv) {
  return enclavectl::app::RunEnclaveApp(argc, argv, std::cout, std::cerr);
}

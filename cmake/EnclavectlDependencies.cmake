# Every dependency comes from a Debian package (scripts/bootstrap.sh installs them).
find_package(OpenSSL 3.0 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBCBOR REQUIRED IMPORTED_TARGET libcbor>=0.8)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1>=0.2)
# Nettle's P-384 verification (core/p384.hpp); hogweed pulls in nettle and GMP.
pkg_check_modules(HOGWEED REQUIRED IMPORTED_TARGET hogweed>=3.7 nettle>=3.7 gmp>=6.2)
find_package(tl-expected REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 2.0 REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(ZLIB REQUIRED)
# libzip through pkg-config: its CMake config also imports zipcmp/zipmerge, absent without libzip-tools.
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip>=1.7)
# The wallet's local account store (wallet/io).
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3>=3.31)
# The AWS clients. HTTP transport (aws/net).
find_package(CURL 7.85 REQUIRED)
# Prometheus metrics: the registry and text format (core), the HTTP exposer (pull, civetweb):
# enclavectl monitor and enclave-app --metrics.
find_package(prometheus-cpp CONFIG REQUIRED COMPONENTS core pull)
if(ENCLAVECTL_BUILD_TESTS AND NOT ENCLAVECTL_FUZZ)
  find_package(GTest REQUIRED)
endif()
if(ENCLAVECTL_BUILD_BENCH AND NOT ENCLAVECTL_FUZZ)
  find_package(benchmark REQUIRED)
endif()

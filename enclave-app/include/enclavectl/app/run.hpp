// The enclave-app program: flags and environment, wiring of the NSM (device or simulator),
// KMS, the sealed-key store, the service and its listeners, then serving until SIGINT or
// SIGTERM. A library function so that tests can run it; main() only calls it.
#pragma once

#include <ostream>

namespace enclavectl::app {

// Runs enclave-app with `argv` (see docs/enclave-app.md or --help). Writes its log to `err`
// and one line "enclave-app: listening on http://HOST:PORT ..." to `out` once it serves.
// Returns the process exit code: 0 after a clean stop, 64 for a usage error, 74 when the NSM,
// a listener or a store cannot be set up, 70 for an internal error.
int RunEnclaveApp(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace enclavectl::app

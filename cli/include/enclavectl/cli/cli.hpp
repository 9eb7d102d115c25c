// enclavectl's command line, as a library so that tests run it in-process.
#pragma once

#include <istream>
#include <ostream>

#include "enclavectl/core/file_io.hpp"

namespace enclavectl::cli {

// Runs `enclavectl argv[1..]`, writing to `out` and `err`, reading the time from `clock`.
// Returns the process exit code: 0 accepted/success, 1 verification failed, 2 malformed
// input, 64 usage error, 74 I/O error, 70 internal error.
int Run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        const core::io::Clock& clock);

// The same, reading confirmations (lock-policy --apply asks the operator to type the key id)
// from `in`. The overload above reads from an empty stream: nothing gets confirmed.
int Run(int argc, const char* const* argv, std::istream& in, std::ostream& out, std::ostream& err,
        const core::io::Clock& clock);

// Flushes `out`; when that (or any earlier write) failed, says so on `err` and returns 74,
// else `exit_code`. Run() ends with it; main() checks the process's own stdout the same way.
int CheckOutputWritten(std::ostream& out, std::ostream& err, int exit_code);

}  // namespace enclavectl::cli

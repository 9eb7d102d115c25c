// Flag values the subcommands share: hex arguments, read as pasted (verifier/expectations.hpp).
#pragma once

#include "enclavectl/verifier/expectations.hpp"

namespace enclavectl::cli {

using verifier::Hex32FlagValue;
using verifier::HexFlagValue;

}  // namespace enclavectl::cli

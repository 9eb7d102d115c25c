#include "enclavectl/bitcoin/interpreter.hpp"

#include <gtest/gtest.h>

namespace enclavectl::bitcoin {
namespace {
}  // namespace
}  // namespace enclavectl::bitcoin

// The strict JSON reader now lives in core (enclavectl/core/json.hpp: one reader for every
// untrusted JSON input); these names remain for the kmspolicy code that uses them.
#pragma once

#include "enclavectl/core/json.hpp"

namespace enclavectl::kmspolicy {

using core::DumpJson;
using core::ParseStrictJson;
using core::SafeExcerpt;
using core::WipeJsonStrings;

}  // namespace enclavectl::kmspolicy

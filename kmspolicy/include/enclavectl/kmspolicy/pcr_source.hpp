// Where the measurements of a policy come from: an interface, so that a new source (an EIF
// image, measured by the eif part) plugs in without touching the generator or the CLI's
// policy code. Implementations read files and verify documents: they live in the adapter
// layer (io/pcr_sources.hpp).
#pragma once

#include <string>

#include "enclavectl/core/result.hpp"
#include "enclavectl/kmspolicy/generate.hpp"

namespace enclavectl::kmspolicy {

class PcrSource {
 public:
  virtual ~PcrSource() = default;
  // What the source is, for reports: "pcr.json file build/pcr.json".
  virtual std::string Describe() const = 0;
  // Reads and checks the measurements. Errors carry the source's stable codes (I/O, a
  // malformed file, a document that fails verification).
  [[nodiscard]] virtual core::Result<Measurements> Load() = 0;
};

}  // namespace enclavectl::kmspolicy

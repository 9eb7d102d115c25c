// What `eif build` and `eif sign` say about the image they wrote (build.hpp).
#include "enclavectl/core/verdict.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/report_json.hpp"
#include "enclavectl/eif/report_text.hpp"

namespace enclavectl::eif {

void RenderBuiltText(std::ostream& out, const std::string& path, const BuildResult& result) {
  out << "wrote " << path << " (" << result.size << " bytes, " << result.sections.size()
      << " sections)\n";
  out << "measurements (" << kHashAlgorithmText << ")\n";
  PrintPcrs(out, result.measurements);
}

nlohmann::ordered_json BuiltJson(const char* media_type, const std::string& path,
                                 const BuildResult& result) {
  nlohmann::ordered_json out;
  out["Measurements"] = MeasurementsJson(result.measurements);
  out["media_type"] = media_type;
  out["verdict"] = core::VerdictName(core::Verdict::kAccepted);
  out["image"] = path;
  out["size"] = result.size;
  out["crc32"] = result.crc32;
  return out;
}

}  // namespace enclavectl::eif

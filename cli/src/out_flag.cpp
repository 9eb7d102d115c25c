#include "out_flag.hpp"

#include "enclavectl/core/encoding.hpp"
#include "enclavectl/core/error_codes.hpp"

namespace enclavectl::cli {

CLI::Option* AddOutOption(CLI::App* cmd, std::string& path, const std::string& help) {
  CLI::Option* out = cmd->add_option("--out", path, help + " ('-': standard output)");
  cmd->add_option("--output", path, "Old spelling of --out")->group("");
  return out;
}

core::Status WriteOut(Context& ctx, const std::string& path, core::ByteView data,
                      const core::io::OutputOptions& options) {
  if (path == "-") {
    const std::string_view text = core::AsChars(data);
    ctx.out.write(text.data(), static_cast<std::streamsize>(text.size()));
    ctx.out.flush();
    if (!ctx.out) {
      return core::Fail(core::ErrorCode::kIoWrite, "cannot write to standard output");
    }
    return core::Ok();
  }
  return core::io::WriteOutput(path, data, options);
}

core::Status CheckOutWithJson(const std::string& path, bool json) {
  if (json && path == "-") {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "--out - and --json would both write to standard output; name a file");
  }
  return core::Ok();
}

}  // namespace enclavectl::cli

// The simulator's development CA in a state directory.
#include <sys/stat.h>

#include <filesystem>

#include "enclavectl/app/nsm_simulator.hpp"

namespace enclavectl::app {

core::Result<verifier::devca::DevCa> LoadOrCreateDevCa(const std::string& state_dir,
                                                       const core::io::Clock& clock) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return core::Fail(core::ErrorCode::kIoWrite,
                      "cannot create " + state_dir + ": " + ec.message());
  }
  ::chmod(state_dir.c_str(), 0700);
  const std::string state_path = (std::filesystem::path(state_dir) / "devca.json").string();
  const std::string root_path = (std::filesystem::path(state_dir) / "root.pem").string();
  const core::UnixMillis now = clock.Now();
  core::Result<verifier::devca::DevCa> ca = core::Fail(core::Error{});
  if (std::filesystem::exists(state_path)) {
    auto text = core::io::ReadFile(state_path, 1 << 20);
    if (!text) {
      return core::Fail(text.error());
    }
    ca = verifier::devca::DevCa::Deserialize(core::AsChars(*text));
    if (!ca) {
      core::Error error = ca.error();
      error.detail = state_path + ": " + error.detail;
      return core::Fail(std::move(error));
    }
    ENCLAVECTL_RETURN_IF_ERROR(ca->Renew(now));
  } else {
    verifier::devca::Options options;
    options.now = now;
    ca = verifier::devca::DevCa::Create(options);
    if (!ca) {
      return ca;
    }
  }
  // The state file holds private keys: WriteFileAtomic creates it 0600.
  ENCLAVECTL_RETURN_IF_ERROR(core::io::WriteFileAtomic(state_path, core::AsBytes(ca->Serialize())));
  ENCLAVECTL_RETURN_IF_ERROR(core::io::WriteFileAtomic(root_path, core::AsBytes(ca->RootPem())));
  ::chmod(root_path.c_str(), 0644);
  return ca;
}

}  // namespace enclavectl::app

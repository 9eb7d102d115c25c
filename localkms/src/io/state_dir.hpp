// Internal: the files of a local KMS state directory (see localkms/server.hpp).
#pragma once

#include <string>

#include "enclavectl/core/handles.hpp"
#include "enclavectl/core/result.hpp"
#include "enclavectl/localkms/service.hpp"
#include "enclavectl/localkms/state.hpp"

namespace enclavectl::localkms::io {

// An exclusive flock on DIR/<name>, released when destroyed (or when the process dies).
// `wait`: block until free; otherwise fail with kLocalKmsBusy at once.
[[nodiscard]] core::Result<core::UniqueFd> LockFile(const std::string& dir, const char* name,
                                                    bool wait);

// Creates DIR (mode 0700) if needed. Fails with kIoWrite.
[[nodiscard]] core::Status EnsureDirectory(const std::string& dir);

// DIR/state.json, or an empty store when the file does not exist. Removes temporary files a
// crash left behind. Fails with kIoRead, kLocalKmsState.
[[nodiscard]] core::Result<KeyStore> ReadKeyStore(const std::string& dir);

// DIR/config.json, or nullopt-like kIoRead when absent (`exists` false).
[[nodiscard]] core::Result<ServiceConfig> ReadConfig(const std::string& dir, bool& exists);
[[nodiscard]] core::Status WriteConfig(const std::string& dir, const ServiceConfig& config);

// Saves the store to DIR/state.json with WriteFileAtomic (write, fsync, rename, fsync dir).
class FilePersister final : public StatePersister {
 public:
  explicit FilePersister(std::string dir) : dir_(std::move(dir)) {}
  core::Status Save(const KeyStore& store) override;

 private:
  std::string dir_;
};

}  // namespace enclavectl::localkms::io

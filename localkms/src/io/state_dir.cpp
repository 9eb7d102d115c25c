#include "state_dir.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "enclavectl/core/file_io.hpp"
#include "enclavectl/core/limits.hpp"

namespace enclavectl::localkms::io {
namespace {

using core::ErrorCode;
using core::Fail;

std::string SystemReason() { return std::strerror(errno); }  // NOLINT(concurrency-mt-unsafe)

std::string PathIn(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

// Reads a file holding secrets into wiped memory. `exists` is false when there is none.
core::Result<core::SecretBytes> ReadSecretFile(const std::string& path, std::size_t max_bytes,
                                               bool& exists) {
  std::error_code ec;
  exists = std::filesystem::exists(path, ec);
  if (!exists) {
    return core::SecretBytes();
  }
  auto bytes = core::io::ReadFile(path, max_bytes);
  if (!bytes) {
    return Fail(bytes.error());
  }
  core::SecretBytes out(*bytes);
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return out;
}

// Reads and decodes one of the directory's files; a missing file is an empty T (`exists`
// false). Errors name the path.
template <typename T>
core::Result<T> ReadStateFile(const std::string& path, std::size_t max_bytes, bool& exists,
                              core::Result<T> (*decode)(core::ByteView)) {
  auto text = ReadSecretFile(path, max_bytes, exists);
  if (!text) {
    return Fail(text.error());
  }
  if (!exists) {
    return T{};
  }
  auto decoded = decode(text->View());
  if (!decoded) {
    core::Error error = decoded.error();
    error.detail = path + ": " + error.detail;
    return Fail(std::move(error));
  }
  return decoded;
}

}  // namespace

core::Result<core::UniqueFd> LockFile(const std::string& dir, const char* name, bool wait) {
  const std::string path = PathIn(dir, name);
  core::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));  // NOLINT
  if (!fd.valid()) {
    return Fail(ErrorCode::kIoWrite, "cannot open " + path + ": " + SystemReason());
  }
  while (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno == EWOULDBLOCK) {
      return Fail(ErrorCode::kLocalKmsBusy,
                  dir + " is in use by a running local KMS (enclavectl kms serve); stop it first");
    }
    return Fail(ErrorCode::kIoWrite, "cannot lock " + path + ": " + SystemReason());
  }
  return fd;
}

core::Status EnsureDirectory(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    return core::Ok();
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Fail(ErrorCode::kIoWrite, "cannot create " + dir + ": " + ec.message());
  }
  ::chmod(dir.c_str(), 0700);
  return core::Ok();
}

core::Result<KeyStore> ReadKeyStore(const std::string& dir) {
  // Temporary files of state writes a crash interrupted: never renamed, so never
  // acknowledged. (Only the lock holder writes state.json, so none is in progress.)
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".state.json.tmp", 0) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  bool exists = false;
  return ReadStateFile<KeyStore>(PathIn(dir, "state.json"), core::limits::kMaxLocalKmsStateBytes,
                                 exists, DecodeKeyStore);
}

core::Result<ServiceConfig> ReadConfig(const std::string& dir, bool& exists) {
  return ReadStateFile<ServiceConfig>(PathIn(dir, "config.json"),
                                      core::limits::kMaxLocalKmsConfigBytes, exists,
                                      DecodeServiceConfig);
}

core::Status WriteConfig(const std::string& dir, const ServiceConfig& config) {
  const core::SecretBytes text = EncodeServiceConfig(config);
  return core::io::WriteFileAtomic(PathIn(dir, "config.json"), text.View());
}

core::Status FilePersister::Save(const KeyStore& store) {
  const core::SecretBytes text = EncodeKeyStore(store);
  return core::io::WriteFileAtomic(PathIn(dir_, "state.json"), text.View());
}

}  // namespace enclavectl::localkms::io

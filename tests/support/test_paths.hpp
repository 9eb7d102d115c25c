// Paths and file helpers shared by the tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "enclavectl/core/bytes.hpp"

namespace enclavectl::testing {

// ../shared/testdata (real vectors).
std::filesystem::path TestdataDir();
// The repository's tests/ directory (committed vectors, corpora).
std::filesystem::path TestsDir();
// The repository root.
std::filesystem::path SourceDir();

// Reads a whole file; fails the current test (and returns empty) if it cannot.
core::Bytes ReadBytes(const std::filesystem::path& path);
std::string ReadText(const std::filesystem::path& path);
nlohmann::json ReadJson(const std::filesystem::path& path);

// Files in `dir` whose name ends with `suffix`, sorted.
std::vector<std::filesystem::path> FilesWithSuffix(const std::filesystem::path& dir,
                                                   const std::string& suffix);

// A fresh directory under the system's temporary directory, named after the running test,
// removed with everything in it when the object goes away.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& Path() const { return path_; }
  // Writes `bytes` to Path()/name and returns the file's path.
  std::string Write(const std::string& name, core::ByteView bytes) const;

 private:
  std::filesystem::path path_;
};

// `name` with every character that GoogleTest does not allow in a test name replaced by _.
std::string TestName(std::string name);

}  // namespace enclavectl::testing

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

namespace enclavectl::testing {

std::filesystem::path TestdataDir() { return ENCLAVECTL_TESTDATA_DIR; }
std::filesystem::path TestsDir() { return ENCLAVECTL_TESTS_DIR; }
std::filesystem::path SourceDir() { return ENCLAVECTL_SOURCE_DIR; }

core::Bytes ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return core::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string ReadText(const std::filesystem::path& path) {
  const core::Bytes bytes = ReadBytes(path);
  return std::string(bytes.begin(), bytes.end());
}

nlohmann::json ReadJson(const std::filesystem::path& path) {
  return nlohmann::json::parse(ReadText(path));
}

std::vector<std::filesystem::path> FilesWithSuffix(const std::filesystem::path& dir,
                                                   const std::string& suffix) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ScopedTempDir::ScopedTempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = info != nullptr
                               ? TestName(std::string(info->test_suite_name()) + "_" + info->name())
                               : "enclavectl";
  path_ = std::filesystem::temp_directory_path() /
          ("enclavectl-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScopedTempDir::Write(const std::string& name, core::ByteView bytes) const {
  const std::filesystem::path path = path_ / name;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),  // NOLINT
            static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << path;
  return path.string();
}

std::string TestName(std::string name) {
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      c = '_';
    }
  }
  return name;
}

}  // namespace enclavectl::testing

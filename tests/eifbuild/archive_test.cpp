// Deterministic newc archives and tar reading. GNU cpio and GNU tar (Debian packages
// installed by scripts/bootstrap.sh) serve as independent readers and writers.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "eif_test_util.hpp"
#include "enclavectl/eif/cpio.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/eif/tar.hpp"

namespace enclavectl::eif {
namespace {

using core::ErrorCode;
using testutil::Text;
namespace fs = std::filesystem;

ArchiveEntry File(std::string path, std::string content, std::uint32_t perms = 0644) {
  ArchiveEntry entry;
  entry.path = std::move(path);
  entry.kind = EntryKind::kFile;
  entry.permissions = perms;
  entry.size = content.size();
  entry.open = testutil::Holder(Text(content));
  return entry;
}

ArchiveEntry Dir(std::string path) {
  ArchiveEntry entry;
  entry.path = std::move(path);
  entry.kind = EntryKind::kDirectory;
  entry.permissions = 0755;
  return entry;
}

ArchiveEntry Link(std::string path, std::string target) {
  ArchiveEntry entry;
  entry.path = std::move(path);
  entry.kind = EntryKind::kSymlink;
  entry.permissions = 0777;
  entry.link_target = std::move(target);
  return entry;
}

core::Bytes Archive(std::vector<ArchiveEntry> entries, std::uint32_t mtime = 1) {
  auto prepared = PrepareArchive(std::move(entries));
  EXPECT_TRUE(prepared.has_value()) << prepared.error().detail;
  core::Bytes out;
  auto written = WriteCpio(*prepared, mtime, [&out](core::ByteView piece) {
    out.insert(out.end(), piece.begin(), piece.end());
    return core::Ok();
  });
  EXPECT_TRUE(written.has_value());
  EXPECT_EQ(out.size(), CpioSize(*prepared));
  return out;
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "eiftestXXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");  // NOLINT(cert-env33-c): fixed test commands
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe == nullptr) {
    return out;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    out.append(buffer, n);
  }
  EXPECT_EQ(::pclose(pipe), 0) << command;
  return out;
}

void WriteFile(const fs::path& path, const core::Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));  // NOLINT
}

TEST(Cpio, ExactNewcBytes) {
  const core::Bytes archive = Archive({File("a", "xyz", 0755)}, 0x5f5e100);
  // "070701", ino 1, mode 0100755, uid 0, gid 0, nlink 1, mtime, filesize 3, dev 0 x4,
  // namesize 2 ("a" + NUL), check 0; header+name = 112 bytes (aligned), data padded to 4.
  // clang-format off
  const std::string expected_header =
      "070701"
      "00000001" "000081ED" "00000000" "00000000" "00000001" "05F5E100" "00000003"
      "00000000" "00000000" "00000000" "00000000" "00000002" "00000000";
  // clang-format on
  ASSERT_GE(archive.size(), 512U);
  EXPECT_EQ(std::string(core::AsChars(core::ByteView(archive).first(110))), expected_header);
  EXPECT_EQ(archive[110], 'a');
  EXPECT_EQ(archive[111], 0);
  EXPECT_EQ(std::string(core::AsChars(core::ByteView(archive).subspan(112, 3))), "xyz");
  EXPECT_EQ(archive[115], 0);
  // Then the trailer: ino 0, mode 0, nlink 1, mtime 0, namesize 11.
  // clang-format off
  const std::string trailer =
      "070701"
      "00000000" "00000000" "00000000" "00000000" "00000001" "00000000" "00000000"
      "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000" "TRAILER!!!";
  // clang-format on
  EXPECT_EQ(std::string(core::AsChars(core::ByteView(archive).subspan(116, trailer.size()))),
            trailer);
  EXPECT_EQ(archive.size(), 512U);  // padded to a block
  EXPECT_TRUE(core::IsAllZero(core::ByteView(archive).subspan(116 + trailer.size())));
}

TEST(Cpio, SortedWithParentsAndIndependentOfInputOrder) {
  const core::Bytes a = Archive({File("rootfs/etc/b", "2"), File("rootfs/etc/a", "1"),
                                 Link("rootfs/bin/sh", "busybox"), File("cmd", "x\n")});
  const core::Bytes b = Archive({File("cmd", "x\n"), Link("rootfs/bin/sh", "busybox"),
                                 File("rootfs/etc/a", "1"), File("rootfs/etc/b", "2")});
  EXPECT_EQ(a, b);
  TempDir dir;
  WriteFile(dir.path() / "a.cpio", a);
  // GNU cpio reads it back: paths in byte order, parents first, owners root, fixed mtime.
  EXPECT_EQ(Shell("cpio -it --quiet < " + (dir.path() / "a.cpio").string()),
            "cmd\nrootfs\nrootfs/bin\nrootfs/bin/sh\nrootfs/etc\nrootfs/etc/a\nrootfs/etc/b\n");
  const std::string listing =
      Shell("cpio -itv --quiet --numeric-uid-gid < " + (dir.path() / "a.cpio").string());
  EXPECT_NE(listing.find(
                "lrwxrwxrwx   1 0        0               7 Jan  1  1970 rootfs/bin/sh -> busybox"),
            std::string::npos)
      << listing;
  EXPECT_NE(listing.find("drwxr-xr-x   2 0        0               0 Jan  1  1970 rootfs/etc"),
            std::string::npos)
      << listing;
  // And extracts the contents.
  Shell("cd " + dir.path().string() + " && mkdir x && cd x && cpio -id --quiet < ../a.cpio");
  EXPECT_EQ(testing::ReadText(dir.path() / "x" / "rootfs" / "etc" / "b"), "2");
  EXPECT_EQ(fs::read_symlink(dir.path() / "x" / "rootfs" / "bin" / "sh"), "busybox");
}

TEST(Cpio, PrepareRejectsBadTrees) {
  const auto code = [](std::vector<ArchiveEntry> entries) {
    auto prepared = PrepareArchive(std::move(entries));
    return prepared ? ErrorCode::kInternal : prepared.error().code;
  };
  EXPECT_EQ(code({File("a", "1"), File("a", "2")}), ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(code({Dir("a"), File("a", "2")}), ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(code({File("a", "1"), File("a/b", "2")}), ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(code({File("../a", "1")}), ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(code({File("/a", "1")}), ErrorCode::kRootfsPathInvalid);  // not normalized
  EXPECT_EQ(code({Link("l", "")}), ErrorCode::kCpioUnsupportedEntry);
  ArchiveEntry huge = File("big", "");
  huge.size = 1ULL << 32;
  EXPECT_EQ(code({huge}), ErrorCode::kCpioUnsupportedEntry);
}

TEST(Cpio, NormalizePaths) {
  EXPECT_EQ(*NormalizeArchivePath("./etc//passwd/"), "etc/passwd");
  EXPECT_EQ(*NormalizeArchivePath("/usr/./bin"), "usr/bin");
  EXPECT_EQ(*NormalizeArchivePath("./"), "");
  EXPECT_EQ(NormalizeArchivePath("a/../b").error().code, ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(NormalizeArchivePath(std::string("a\0b", 3)).error().code,
            ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(NormalizeArchivePath(std::string(5000, 'a')).error().code,
            ErrorCode::kRootfsPathInvalid);
  EXPECT_EQ(NormalizedPermissions(EntryKind::kFile, 0700), 0755U);
  EXPECT_EQ(NormalizedPermissions(EntryKind::kFile, 04600), 0644U);
  EXPECT_EQ(NormalizedPermissions(EntryKind::kDirectory, 0700), 0755U);
}

TEST(Cpio, FileChangedSizeWhileWritten) {
  ArchiveEntry entry = File("a", "12345");
  entry.size = 4;  // stat said 4, the file now holds 5
  auto prepared = PrepareArchive({entry});
  ASSERT_TRUE(prepared.has_value());
  auto written = WriteCpio(*prepared, 0, [](core::ByteView) { return core::Ok(); });
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kIoRead);
}

// ---- tar ----

// A minimal ustar writer for hand-made (and hand-broken) archives.
struct TarMember {
  std::string name;
  char type = '0';
  std::string data;
  std::string link;
  std::uint32_t mode = 0644;
  std::string prefix;
};

core::Bytes TarHeader(const TarMember& m, std::size_t size) {
  core::Bytes block(512, 0);
  const auto put = [&block](std::size_t offset, const std::string& text) {
    std::copy(text.begin(), text.end(), block.begin() + static_cast<std::ptrdiff_t>(offset));
  };
  const auto octal = [](std::uint64_t value, int width) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%0*llo", width,
                  static_cast<unsigned long long>(value));  // NOLINT
    return std::string(buffer);
  };
  put(0, m.name.substr(0, 100));
  put(100, octal(m.mode, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  put(124, octal(size, 11));
  put(136, octal(0, 11));
  block[156] = static_cast<std::uint8_t>(m.type);
  put(157, m.link);
  put(257, std::string("ustar\0", 6) + "00");
  put(345, m.prefix);
  std::fill(block.begin() + 148, block.begin() + 156, ' ');
  unsigned sum = 0;
  for (std::uint8_t b : block) {
    sum += b;
  }
  put(148, octal(sum, 6));
  block[154] = 0;
  return block;
}

core::Bytes Tar(const std::vector<TarMember>& members, bool end = true) {
  core::Bytes out;
  for (const TarMember& m : members) {
    const core::Bytes header = TarHeader(m, m.data.size());
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), m.data.begin(), m.data.end());
    out.resize((out.size() + 511) / 512 * 512, 0);
  }
  if (end) {
    out.resize(out.size() + 1024, 0);
  }
  return out;
}

std::string Pax(const std::string& key, const std::string& value) {
  const std::string body = " " + key + "=" + value + "\n";
  std::size_t len = body.size() + 1;
  while (std::to_string(len).size() + body.size() != len) {
    ++len;
  }
  return std::to_string(len) + body;
}

TEST(Tar, UstarPaxGnuLongNamesAndHardLinks) {
  const std::string long_name = std::string(120, 'n');
  const core::Bytes tar = Tar({
      {"./", '5', "", "", 0755, ""},
      {"./bin/", '5', "", "", 0700, ""},
      {"./bin/app", '0', "#!/bin/sh\n", "", 0700, ""},
      {"./bin/sh", '2', "", "app", 0777, ""},
      {"./bin/hard", '1', "", "./bin/app", 0644, ""},
      {"file", '0', "split", "", 0600, "deep/er"},  // ustar prefix
      {"PaxHeaders/x", 'x', Pax("path", "pax/" + long_name), "", 0644, ""},
      {"ignored", '0', "pax data", "", 0644, ""},
      {"././@LongLink", 'L', long_name + std::string(1, '\0'), "", 0644, ""},
      {"truncated", '0', "gnu data", "", 0644, ""},
      {"g", 'g', Pax("comment", "global"), "", 0644, ""},
  });
  const MemorySource source(tar);  // outlives the entries, which read from it
  auto entries = ReadTar(source);
  ASSERT_TRUE(entries.has_value()) << entries.error().detail;
  auto prepared = PrepareArchive(std::move(*entries));
  ASSERT_TRUE(prepared.has_value()) << prepared.error().detail;
  std::vector<std::string> paths;
  for (const ArchiveEntry& entry : *prepared) {
    paths.push_back(entry.path);
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"bin", "bin/app", "bin/hard", "bin/sh", "deep", "deep/er",
                                      "deep/er/file", long_name, "pax", "pax/" + long_name}));
  const auto find = [&](const std::string& path) -> const ArchiveEntry& {
    return *std::find_if(prepared->begin(), prepared->end(),
                         [&](const ArchiveEntry& e) { return e.path == path; });
  };
  EXPECT_EQ(find("bin").permissions, 0755U);
  EXPECT_EQ(find("bin/app").permissions, 0755U);
  EXPECT_EQ(find("deep/er/file").permissions, 0644U);
  EXPECT_EQ(find("bin/sh").kind, EntryKind::kSymlink);
  EXPECT_EQ(find("bin/sh").link_target, "app");
  const ArchiveEntry& hard = find("bin/hard");
  EXPECT_EQ(hard.kind, EntryKind::kFile);
  EXPECT_EQ(hard.size, 10U);
  auto data = hard.open();
  ASSERT_TRUE(data.has_value());
  auto bytes = ReadRange(**data, 0, (*data)->Size());
  EXPECT_EQ(std::string(core::AsChars(*bytes)), "#!/bin/sh\n");
  EXPECT_EQ(find("pax/" + long_name).size, 8U);
  EXPECT_EQ(find(long_name).size, 8U);
}

TEST(Tar, PaxSizeOverridesTheHeader) {
  TarMember pax{"x", 'x', Pax("size", "3"), "", 0644, ""};
  core::Bytes tar = Tar({pax});
  tar.resize(tar.size() - 1024);
  // A header that says 0 bytes, followed by 3 bytes of data.
  core::Bytes header = TarHeader({"f", '0', "", "", 0644, ""}, 0);
  tar.insert(tar.end(), header.begin(), header.end());
  const std::string data = "abc";
  tar.insert(tar.end(), data.begin(), data.end());
  tar.resize(tar.size() + 509 + 1024, 0);
  auto entries = ReadTar(MemorySource(tar));
  ASSERT_TRUE(entries.has_value()) << entries.error().detail;
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_EQ(entries->front().size, 3U);
}

TEST(Tar, MalformedArchives) {
  const auto code = [](const core::Bytes& tar) {
    auto entries = ReadTar(MemorySource(tar));
    return entries ? ErrorCode::kInternal : entries.error().code;
  };
  const core::Bytes good = Tar({{"a", '0', "data", "", 0644, ""}});
  ASSERT_TRUE(ReadTar(MemorySource(good)).has_value());
  core::Bytes bad_checksum = good;
  bad_checksum[0] = 'b';
  EXPECT_EQ(code(bad_checksum), ErrorCode::kTarMalformed);
  // Data past the end: the archive is cut inside the member.
  EXPECT_EQ(code(core::Bytes(good.begin(), good.begin() + 514)), ErrorCode::kTarMalformed);
  // No end-of-archive block; a header cut short.
  EXPECT_EQ(code(core::Bytes(good.begin(), good.begin() + 1024)), ErrorCode::kTarMalformed);
  EXPECT_EQ(code(core::Bytes(good.begin(), good.begin() + 100)), ErrorCode::kTarMalformed);
  // A size field that is not octal.
  core::Bytes bad_size = Tar({{"a", '0', "", "", 0644, ""}});
  bad_size[124] = '9';
  EXPECT_EQ(code(bad_size), ErrorCode::kTarMalformed);
  EXPECT_EQ(code(Tar({{"x", 'x', "12 path\n", "", 0644, ""}, {"a", '0', "", "", 0644, ""}})),
            ErrorCode::kTarMalformed);  // a pax record without '='
  EXPECT_EQ(code(Tar({{"x", 'x', "99 path=a\n", "", 0644, ""}, {"a", '0', "", "", 0644, ""}})),
            ErrorCode::kTarMalformed);  // a pax length past the data
  EXPECT_EQ(code(Tar({{"h", '1', "", "nowhere", 0644, ""}})), ErrorCode::kTarMalformed);
  EXPECT_EQ(code(Tar({{"s", 'S', "", "", 0644, ""}})), ErrorCode::kTarMalformed);
  EXPECT_EQ(code(Tar({{"dev/null", '3', "", "", 0644, ""}})), ErrorCode::kCpioUnsupportedEntry);
  EXPECT_EQ(code(Tar({{"fifo", '6', "", "", 0644, ""}})), ErrorCode::kCpioUnsupportedEntry);
  EXPECT_EQ(code(Tar({{"../escape", '0', "", "", 0644, ""}})), ErrorCode::kRootfsPathInvalid);
  // An extended header over the 1 MiB limit.
  core::Bytes big = Tar({{"L", 'L', "", "", 0644, ""}});
  const core::Bytes header = TarHeader({"L", 'L', "", "", 0644, ""}, (1 << 20) + 1);
  std::copy(header.begin(), header.end(), big.begin());
  big.resize((1 << 20) + 4096, 0);
  EXPECT_EQ(code(big), ErrorCode::kTarMalformed);
}

// GNU tar (gnu and pax formats) and a directory walk of the same tree give the same archive.
TEST(Tar, GnuTarAndDirectoryWalkAgree) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  fs::create_directories(root / "usr" / "bin");
  fs::create_directories(root / std::string(150, 'd'));
  WriteFile(root / "usr" / "bin" / "app", Text("binary"));
  fs::permissions(root / "usr" / "bin" / "app", fs::perms(0750));
  WriteFile(root / std::string(150, 'd') / std::string(120, 'f'), Text("long"));
  fs::create_symlink("usr/bin/app", root / "app");
  auto walked = io::ReadDirectoryTree(root.string());
  ASSERT_TRUE(walked.has_value()) << walked.error().detail;
  const core::Bytes from_dir = Archive(std::move(*walked));
  for (const std::string format : {"gnu", "pax", "ustar"}) {
    const fs::path tar_path = dir.path() / (format + ".tar");
    if (format == "ustar") {
      fs::remove_all(root / std::string(150, 'd'));  // ustar cannot hold the long names
    }
    Shell("tar --format=" + format + " -C " + root.string() + " -cf " + tar_path.string() + " .");
    auto tar = io::FileSource::Open(tar_path.string());
    ASSERT_TRUE(tar.has_value());
    auto entries = ReadTar(**tar);
    ASSERT_TRUE(entries.has_value()) << format << ": " << entries.error().detail;
    const core::Bytes from_tar = Archive(std::move(*entries));
    if (format == "ustar") {
      auto rewalked = io::ReadDirectoryTree(root.string());
      ASSERT_TRUE(rewalked.has_value());
      EXPECT_EQ(from_tar, Archive(std::move(*rewalked))) << format;
    } else {
      EXPECT_EQ(from_tar, from_dir) << format;
    }
  }
}

TEST(Tar, DirectoryWalkRejectsFifos) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0644), 0);
  auto walked = io::ReadDirectoryTree(dir.path().string());
  ASSERT_FALSE(walked.has_value());
  EXPECT_EQ(walked.error().code, ErrorCode::kCpioUnsupportedEntry);
  EXPECT_EQ(io::ReadDirectoryTree((dir.path() / "missing").string()).error().code,
            ErrorCode::kIoRead);
}

}  // namespace
}  // namespace enclavectl::eif

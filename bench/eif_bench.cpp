// EIF measurement throughput (issue: "Measure in bench/"). Generates an image of
// $EIF_BENCH_MIB MiB (default 1024: kernel + cmdline + two large ramdisks) with the real
// builder and file sink, then times:
//   Sha384_16KiB_InMemory   one core, EVP SHA-384 over 16 KiB blocks (= openssl speed -evp
//                           sha384 -bytes 16384), the baseline
//   Crc32_Pclmul/_Zlib      the CRC-32 the reading thread computes (folded / zlib tables)
//   Sha384_File_OneCore     one core: pread the image in 1 MiB chunks and SHA-384 it once
//   Measure_TwoThreads      InspectImage as `enclavectl eif measure` runs it: PCR0 and
//                           PCR1/PCR2 hashers on two threads, CRC on the reading thread
//   Measure_Inline          the same walk with every hasher on the calling thread
// Measure_* also report CPU counters (sha_cpu_s, reader_cpu_s, worker_cpu_s,
// critical_vs_sha): on a shared machine the wall time shows how many cores were free, the
// counters show the critical path the two-thread design leaves.
// MB/s = bytes_per_second / 1e6 of the image (or buffer) size. With EIF_BENCH_IMAGE=path the
// image is kept there (bench/eif_measure.sh times the CLI on it).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "enclavectl/core/sha.hpp"
#include "enclavectl/eif/build.hpp"
#include "enclavectl/eif/crc32.hpp"
#include "enclavectl/eif/io.hpp"
#include "enclavectl/eif/measure.hpp"

namespace {

using namespace enclavectl;  // NOLINT(google-build-using-namespace)

// Deterministic pseudo-random bytes (xorshift64*), produced on demand: no input files.
class GeneratedSource final : public eif::ByteSource {
 public:
  GeneratedSource(std::uint64_t size, std::uint64_t seed) : size_(size), seed_(seed) {}
  std::uint64_t Size() const noexcept override { return size_; }
  core::Status ReadAt(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::uint64_t pos = offset + i;
      std::uint64_t x = seed_ ^ ((pos >> 3) * 0x9E3779B97F4A7C15ULL);
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      x *= 0x2545F4914F6CDD1DULL;
      out[i] = static_cast<std::uint8_t>(x >> (8 * (pos & 7)));
    }
    return core::Ok();
  }

 private:
  std::uint64_t size_;
  std::uint64_t seed_;
};

eif::SourceOpener Generated(std::uint64_t size, std::uint64_t seed) {
  return [size, seed]() -> core::Result<std::unique_ptr<eif::ByteSource>> {
    return std::make_unique<GeneratedSource>(size, seed);
  };
}

struct BenchImage {
  std::string path;
  bool keep = false;
  std::uint64_t size = 0;
  ~BenchImage() {
    if (!keep && !path.empty()) {
      std::filesystem::remove(path);
    }
  }
};

const BenchImage& Image() {
  static const BenchImage image = [] {
    BenchImage out;
    const char* mib_env = std::getenv("EIF_BENCH_MIB");  // NOLINT(concurrency-mt-unsafe)
    const std::uint64_t mib = mib_env != nullptr ? std::strtoull(mib_env, nullptr, 10) : 1024;
    const char* keep = std::getenv("EIF_BENCH_IMAGE");  // NOLINT(concurrency-mt-unsafe)
    out.keep = keep != nullptr;
    out.path = out.keep ? keep
                        : (std::filesystem::temp_directory_path() /
                           ("eif_bench_" + std::to_string(::getpid()) + ".eif"))
                              .string();
    const std::uint64_t kernel = 8ULL << 20;
    const std::uint64_t ramdisk = ((mib << 20) - kernel) / 2;
    eif::ImageSpec spec;
    spec.kernel = Generated(kernel, 1);
    spec.cmdline = "reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on";
    spec.ramdisks.push_back(eif::RamdiskInput{"bootstrap", Generated(ramdisk, 2), {}});
    spec.ramdisks.push_back(eif::RamdiskInput{"application", Generated(ramdisk, 3), {}});
    spec.metadata.image_name = "bench";
    spec.metadata.image_version = "1";
    auto sink = eif::io::FileSink::Create(out.path);
    auto built = sink ? eif::BuildImage(spec, **sink)
                      : core::Result<eif::BuildResult>(core::Fail(sink.error()));
    if (!built || !(*sink)->Commit()) {
      std::fprintf(stderr, "eif_bench: cannot build %s\n", out.path.c_str());
      std::exit(1);  // NOLINT(concurrency-mt-unsafe)
    }
    out.size = built->size;
    std::fprintf(stderr, "eif_bench: image %s, %llu bytes\n", out.path.c_str(),
                 static_cast<unsigned long long>(out.size));  // NOLINT(google-runtime-int)
    return out;
  }();
  return image;
}

void Sha384_16KiB_InMemory(benchmark::State& state) {
  core::Bytes buffer(64ULL << 20);
  static_cast<void>(GeneratedSource(buffer.size(), 7).ReadAt(0, buffer));
  for (auto _ : state) {
    core::Sha384Hasher hasher;
    for (std::size_t offset = 0; offset < buffer.size(); offset += 16384) {
      hasher.Update(core::ByteView(buffer).subspan(offset, 16384));
    }
    benchmark::DoNotOptimize(hasher.Finish());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
}

void Crc32(benchmark::State& state, bool simd) {
  core::Bytes buffer(64ULL << 20);
  static_cast<void>(GeneratedSource(buffer.size(), 9).ReadAt(0, buffer));
  for (auto _ : state) {
    benchmark::DoNotOptimize(eif::Crc32Update(0, buffer, simd));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
}
void Crc32_Pclmul(benchmark::State& state) { Crc32(state, true); }
void Crc32_Zlib(benchmark::State& state) { Crc32(state, false); }

void Sha384_File_OneCore(benchmark::State& state) {
  const BenchImage& image = Image();
  auto file = eif::io::FileSource::Open(image.path);
  core::Bytes buffer(1 << 20);
  for (auto _ : state) {
    core::Sha384Hasher hasher;
    auto status = eif::ForEachChunk(**file, 0, (*file)->Size(), buffer, [&](core::ByteView chunk) {
      hasher.Update(chunk);
      return core::Ok();
    });
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(hasher.Finish());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(image.size));
}

// CPU seconds used so far by the calling thread (RUSAGE_THREAD) or the whole process.
double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + (static_cast<double>(tv.tv_usec) / 1e6);
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time of one single-threaded SHA-384 pass over the image file (the baseline),
// the best of three: on a shared machine a single sample can be slowed by its neighbours.
double Sha384FileCpu() {
  static const double cpu = [] {
    auto file = eif::io::FileSource::Open(Image().path);
    core::Bytes buffer(1 << 20);
    double best = 0;
    for (int i = 0; i < 3; ++i) {
      const double start = CpuSeconds(RUSAGE_THREAD);
      core::Sha384Hasher hasher;
      static_cast<void>(
          eif::ForEachChunk(**file, 0, (*file)->Size(), buffer, [&](core::ByteView chunk) {
            hasher.Update(chunk);
            return core::Ok();
          }));
      benchmark::DoNotOptimize(hasher.Finish());
      const double used = CpuSeconds(RUSAGE_THREAD) - start;
      best = i == 0 ? used : std::min(best, used);
    }
    return best;
  }();
  return cpu;
}

void Measure(benchmark::State& state, bool parallel) {
  const BenchImage& image = Image();
  const double sha_cpu = Sha384FileCpu();
  double reader_cpu = 0;
  double process_cpu = 0;
  for (auto _ : state) {
    const double reader_start = CpuSeconds(RUSAGE_THREAD);
    const double process_start = CpuSeconds(RUSAGE_SELF);
    auto file = eif::io::FileSource::Open(image.path);
    eif::InspectOptions options;
    options.parallel = parallel;
    auto report = eif::InspectImage(**file, options);
    if (!report || report->FirstFailure() != nullptr) {
      state.SkipWithError("measurement failed");
      return;
    }
    benchmark::DoNotOptimize(report->measurements);
    reader_cpu += CpuSeconds(RUSAGE_THREAD) - reader_start;
    process_cpu += CpuSeconds(RUSAGE_SELF) - process_start;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(image.size));
  // Where the time goes, independent of how many cores the machine lends us right now:
  // the reading thread (pread, CRC) and, with two workers, each worker's share (both hash
  // every measured byte once). With two free cores the wall time is the longest of these;
  // critical_vs_sha compares it with one SHA-384 pass over the file on one core.
  const auto n = static_cast<double>(state.iterations());
  const double reader = reader_cpu / n;
  const double workers = (process_cpu - reader_cpu) / n;
  const double critical = parallel ? std::max(reader, workers / 2) : reader;
  state.counters["sha_cpu_s"] = sha_cpu;
  state.counters["reader_cpu_s"] = reader;
  state.counters["worker_cpu_s"] = parallel ? workers / 2 : 0;
  state.counters["critical_vs_sha"] = critical / sha_cpu;
}

void Measure_TwoThreads(benchmark::State& state) { Measure(state, true); }
void Measure_Inline(benchmark::State& state) { Measure(state, false); }

BENCHMARK(Sha384_16KiB_InMemory)->Unit(benchmark::kMillisecond)->Iterations(8)->UseRealTime();
BENCHMARK(Crc32_Pclmul)->Unit(benchmark::kMillisecond)->Iterations(8)->UseRealTime();
BENCHMARK(Crc32_Zlib)->Unit(benchmark::kMillisecond)->Iterations(8)->UseRealTime();
BENCHMARK(Sha384_File_OneCore)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(Measure_TwoThreads)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(Measure_Inline)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

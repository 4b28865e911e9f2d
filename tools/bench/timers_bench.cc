// vigil-timers-bench: durable timers (processors/timers) at scale, on the real clock.
//
//   1. schedules N far-future timers (--timers), committing every 10,000: throughput, RSS
//      before and after, and after a full compaction; size on disk;
//   2. keeps them pending, schedules K timers (--due-timers) due uniformly over the next
//      --seconds, then runs one loop like vigild's engine thread: apply the input due by now
//      (--input-rate events/s, at most --input-batch per iteration like one Kafka poll; each
//      schedules one far-future timer and cancels an existing one, like ticket events), pop
//      what is due (limit 1000), commit with fsync. Lateness =
//      pop time - due time of every fired timer.
//
// A measurement, not a test: nothing is asserted about time.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "processors/state/rocksdb_status.h"
#include "processors/state/state_store.h"
#include "processors/timers/timer_store.h"
#include "tools/bench/report.h"

namespace vigil::bench {
namespace {

constexpr size_t kScheduleCommitEvery = 10'000;
constexpr size_t kPopLimit = 1000;
// Far-future timers are due between 1 and 31 days from now: they never fire here.
constexpr absl::Duration kFarStart = absl::Hours(24);
constexpr int64_t kFarSpreadMs = int64_t{30} * 24 * 3600 * 1000;
// The due timers start this long after the time it takes to schedule them (at phase 1's
// rate), so that none is already late when the fire loop starts.
constexpr absl::Duration kDueLead = absl::Seconds(2);
// Stop the fire phase this long after the last due time even if timers are left.
constexpr absl::Duration kFireGrace = absl::Seconds(60);

struct Flags {
  uint64_t timers = 1'000'000;
  uint64_t due_timers = 100'000;
  double seconds = 20;
  double input_rate = 20'000;
  uint64_t input_batch = 1000;
  std::string dir = std::filesystem::temp_directory_path().string();
  bool keep = false;
};

// Resident set size of this process (VmRSS), MiB; 0 if unknown.
double RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double DirMiB(const std::filesystem::path& dir) {
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return static_cast<double>(bytes) / (1 << 20);
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// A payload the size of a lifecycle deadline's (rule, ticket, step).
std::string Payload(uint64_t i) { return absl::StrCat("R21|370100/370102/T", i, "|step=2"); }

void Check(const absl::Status& s, const char* what) {
  if (s.ok()) return;
  std::cerr << what << ": " << s << "\n";
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  Check(v.status(), what);
  return *std::move(v);
}

int Run(const Flags& flags) {
  const SystemClock clock;
  const std::filesystem::path dir =
      std::filesystem::path(flags.dir) / absl::StrCat("vigil-timers-bench-", getpid());
  std::filesystem::remove_all(dir);
  const Machine machine = DescribeMachine();
  std::cout << "machine: " << machine.cpu_model << ", " << machine.nproc << " CPUs, "
            << absl::StrFormat("%.1f", machine.ram_gib) << " GiB, " << machine.kernel << "\n"
            << "db: " << dir.string() << "\n";

  const double rss_start = RssMiB();
  std::unique_ptr<state::StateStore> store =
      Check(state::StateStore::Open(dir.string()), "opening the store");
  timers::TimerStore timers(store.get());
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> far_spread(0, kFarSpreadMs);
  auto far_due = [&] { return clock.Now() + kFarStart + absl::Milliseconds(far_spread(rng)); };

  // 1. N pending far-future timers.
  const double rss_open = RssMiB();
  const absl::Time schedule_start = clock.Now();
  {
    state::StateStore::Batch batch = store->NewBatch();
    for (uint64_t i = 0; i < flags.timers; ++i) {
      Check(timers.Schedule(batch, absl::StrCat("far/", i), far_due(), Payload(i)), "schedule");
      if ((i + 1) % kScheduleCommitEvery == 0 || i + 1 == flags.timers) {
        Check(store->Commit(batch, /*sync=*/true), "commit");
      }
    }
  }
  const absl::Duration schedule_time = clock.Now() - schedule_start;
  const double rss_scheduled = RssMiB();
  const double disk_scheduled = DirMiB(dir);
  const absl::Time compact_start = clock.Now();
  for (rocksdb::ColumnFamilyHandle* cf :
       {store->timers_cf(), store->timer_ids_cf(), store->meta_cf()}) {
    Check(state::FromRocks(
              store->db()->CompactRange(rocksdb::CompactRangeOptions(), cf, nullptr, nullptr),
              "compacting"),
          "compact");
  }
  const absl::Duration compact_time = clock.Now() - compact_start;
  const double rss_compacted = RssMiB();
  const double disk_compacted = DirMiB(dir);
  std::cout << "\n== schedule " << Thousands(static_cast<double>(flags.timers))
            << " far-future timers (commit every " << Thousands(kScheduleCommitEvery)
            << ", fsync) ==\n"
            << absl::StrFormat("throughput:        %s timers/s (%.1f s)\n",
                               Thousands(flags.timers / absl::ToDoubleSeconds(schedule_time)),
                               absl::ToDoubleSeconds(schedule_time))
            << absl::StrFormat(
                   "RSS:               %.1f MiB at start, %.1f MiB store open, "
                   "%.1f MiB scheduled, %.1f MiB compacted (%.1f s)\n",
                   rss_start, rss_open, rss_scheduled, rss_compacted,
                   absl::ToDoubleSeconds(compact_time))
            << absl::StrFormat("disk:              %.1f MiB scheduled, %.1f MiB compacted\n",
                               disk_scheduled, disk_compacted);

  // 2. K timers due over the next --seconds, fired under input load.
  const absl::Duration lead =
      kDueLead + absl::Seconds(static_cast<double>(flags.due_timers) /
                               std::max(1.0, flags.timers / absl::ToDoubleSeconds(schedule_time)));
  const absl::Time due_start = clock.Now() + lead;
  const int64_t window_ms = static_cast<int64_t>(flags.seconds * 1000);
  std::uniform_int_distribution<int64_t> due_spread(0, std::max<int64_t>(window_ms - 1, 0));
  {
    state::StateStore::Batch batch = store->NewBatch();
    for (uint64_t i = 0; i < flags.due_timers; ++i) {
      Check(timers.Schedule(batch, absl::StrCat("due/", i),
                            due_start + absl::Milliseconds(due_spread(rng)), Payload(i)),
            "schedule");
      if ((i + 1) % kScheduleCommitEvery == 0 || i + 1 == flags.due_timers) {
        Check(store->Commit(batch, /*sync=*/true), "commit");
      }
    }
  }
  const absl::Time loop_start = clock.Now();
  const absl::Time give_up = due_start + absl::Milliseconds(window_ms) + kFireGrace;
  std::vector<double> pop_lateness_ms, commit_lateness_ms, iteration_ms;
  pop_lateness_ms.reserve(flags.due_timers);
  commit_lateness_ms.reserve(flags.due_timers);
  uint64_t events = 0, fired = 0, iterations = 0, next_in_id = 0, next_cancel = 0;
  while (fired < flags.due_timers && clock.Now() < give_up) {
    const absl::Time iteration_start = clock.Now();
    state::StateStore::Batch batch = store->NewBatch();
    const auto target = static_cast<uint64_t>(flags.input_rate *
                                              absl::ToDoubleSeconds(iteration_start - loop_start));
    const uint64_t batch_end = std::min(target, events + flags.input_batch);
    for (; events < batch_end; ++events) {
      Check(timers.Schedule(batch, absl::StrCat("in/", next_in_id), far_due(), Payload(next_in_id)),
            "schedule");
      ++next_in_id;
      Check(timers.Cancel(batch, absl::StrCat("far/", next_cancel++ % flags.timers)), "cancel");
    }
    const absl::Time pop_time = clock.Now();
    const std::vector<timers::Timer> popped =
        Check(timers.PopDue(batch, pop_time, kPopLimit), "pop");
    if (!batch.empty()) Check(store->Commit(batch, /*sync=*/true), "commit");
    const absl::Time committed = clock.Now();
    for (const timers::Timer& t : popped) {
      pop_lateness_ms.push_back(Ms(pop_time - t.due));
      commit_lateness_ms.push_back(Ms(committed - t.due));
    }
    fired += popped.size();
    if (!batch.empty() || !popped.empty() || events > 0) {
      ++iterations;
      iteration_ms.push_back(Ms(committed - iteration_start));
    }
  }
  const absl::Duration loop_time = clock.Now() - loop_start;
  const uint64_t pending = Check(timers.Pending(nullptr), "pending");
  const double rss_fired = RssMiB();
  const Percentiles pop = ComputePercentiles(pop_lateness_ms);
  const Percentiles commit = ComputePercentiles(commit_lateness_ms);
  const Percentiles iter = ComputePercentiles(iteration_ms);
  std::cout << "\n== fire " << Thousands(static_cast<double>(flags.due_timers))
            << " timers due over " << flags.seconds << " s, "
            << Thousands(static_cast<double>(flags.timers)) << " pending, input "
            << Thousands(flags.input_rate) << " events/s (at most " << flags.input_batch
            << " an iteration), pop limit " << kPopLimit << ", fsync per iteration ==\n"
            << absl::StrFormat("first due:         %.1f s after the phase started\n",
                               absl::ToDoubleSeconds(lead))
            << absl::StrFormat("fired:             %s of %s\n", Thousands(fired),
                               Thousands(flags.due_timers))
            << absl::StrFormat("lateness at pop:   p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                               pop.p50, pop.p99, pop.max)
            << absl::StrFormat("lateness at commit: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                               commit.p50, commit.p99, commit.max)
            << absl::StrFormat("input achieved:    %s events/s (%s events in %.1f s)\n",
                               Thousands(events / absl::ToDoubleSeconds(loop_time)),
                               Thousands(events), absl::ToDoubleSeconds(loop_time))
            << absl::StrFormat(
                   "iterations:        %s, duration p50 %.2f ms, p99 %.2f ms, "
                   "max %.2f ms\n",
                   Thousands(iterations), iter.p50, iter.p99, iter.max)
            << absl::StrFormat("pending after:     %s\n", Thousands(pending))
            << absl::StrFormat("RSS:               %.1f MiB\n", rss_fired)
            << absl::StrFormat("disk:              %.1f MiB\n", DirMiB(dir));
  store.reset();
  if (!flags.keep) std::filesystem::remove_all(dir);
  return fired == flags.due_timers ? 0 : 2;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) {
  vigil::bench::Flags flags;
  CLI::App app{"vigil-timers-bench: durable timers in RocksDB under load"};
  app.add_option("--timers", flags.timers, "far-future timers kept pending")->capture_default_str();
  app.add_option("--due-timers", flags.due_timers, "timers due during the fire phase")
      ->capture_default_str();
  app.add_option("--seconds", flags.seconds, "the due timers spread over this many seconds")
      ->capture_default_str();
  app.add_option("--input-rate", flags.input_rate,
                 "input events/s during the fire phase (1 schedule + 1 cancel each)")
      ->capture_default_str();
  app.add_option("--input-batch", flags.input_batch,
                 "at most this many input events per iteration (like one Kafka poll)")
      ->capture_default_str();
  app.add_option("--dir", flags.dir, "parent directory of the (fresh, deleted) database")
      ->capture_default_str();
  app.add_flag("--keep", flags.keep, "keep the database afterwards");
  CLI11_PARSE(app, argc, argv);
  std::cout << "command:";
  for (int i = 0; i < argc; ++i) std::cout << " " << argv[i];
  std::cout << "\n";
  return vigil::bench::Run(flags);
}

// vigil-microbench: Google Benchmark micro benchmarks of vigild's per-event
// and per-commit work, on the same traffic as vigil-bench (tools/bench/traffic.h).
// BM_RuleEngine* run the rule catalogue vigild loads (rules/*.yaml of this
// source tree); BM_Rule*, BM_SlidingWindowAdd and BM_EndToEndInProcess the
// older hand-written R13 (ClusteredComplaints), for comparison.
//
//   build/tools/bench/vigil-microbench [--benchmark_filter=...]
//
// BM_StateCommit writes a RocksDB store under $VIGIL_BENCH_DIR (default: the
// system temp directory); its fsync cost is that file system's.
#include <benchmark/benchmark.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "processors/engine/clustered_complaints.h"
#include "processors/engine/rule_engine.h"
#include "processors/engine/sliding_window.h"
#include "processors/ingest/decoder.h"
#include "processors/ingest/validator.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "processors/state/state_store.h"
#include "tools/bench/traffic.h"

namespace vigil::bench {
namespace {

constexpr size_t kStreamEvents = 200000;

// The benchmark stream, generated once: envelopes in send order and their
// binary Protobuf encodings (JSON: TheJsonStream()).
struct Stream {
  std::vector<v1::Envelope> events;
  std::vector<std::string> protobuf;
  std::vector<std::string> json;
  size_t protobuf_bytes = 0, json_bytes = 0;
};

const Stream& TheStream() {
  static const Stream* s = [] {
    auto* out = new Stream();
    Traffic traffic(TrafficOptions{});
    out->events.resize(kStreamEvents);
    for (auto& e : out->events) {
      traffic.Next(&e);
      out->protobuf.push_back(e.SerializeAsString());
      out->protobuf_bytes += out->protobuf.back().size();
    }
    return out;
  }();
  return *s;
}

// The first 20,000 events in proto3 JSON (protobuf's own printer is slow too).
const Stream& TheJsonStream() {
  static const Stream* s = [] {
    auto* out = new Stream();
    for (size_t i = 0; i < 20000; ++i) {
      std::string j;
      (void)google::protobuf::util::MessageToJsonString(TheStream().events[i], &j);
      out->json_bytes += j.size();
      out->json.push_back(std::move(j));
    }
    return out;
  }();
  return *s;
}

// Rule state and warnings as a realistic run leaves them (for the state benchmarks).
struct Snapshot {
  std::vector<std::pair<std::string, internal::ClusterState>> states;
  std::vector<internal::OutboxRecord> outbox;
};

const Snapshot& TheSnapshot() {
  static const Snapshot* s = [] {
    auto* out = new Snapshot();
    engine::ClusteredComplaints rule(engine::ClusterRuleConfig{});
    engine::RuleOutput o;
    for (const v1::Envelope& e : TheStream().events) {
      o.events.clear();
      rule.Apply(e, &o);
      for (const v1::WarningEvent& we : o.events) {
        internal::OutboxRecord r;
        r.set_topic("vigil.warnings.v1");
        r.set_key(we.warning().region().city_code());
        r.set_value(we.SerializeAsString());
        internal::Header* h = r.add_headers();
        h->set_name("vigil-warning-id");
        h->set_value(we.warning().warning_id());
        out->outbox.push_back(std::move(r));
      }
    }
    for (auto& [key, state] : rule.TakeDirty()) {
      if (state) out->states.emplace_back(key, *std::move(state));
    }
    return out;
  }();
  return *s;
}

// ---------------------------------------------------------------- decode + validate

void BM_DecodeProtobuf(benchmark::State& state) {
  const Stream& s = TheStream();
  v1::Envelope e;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ingest::Decode(s.protobuf[i], ingest::Format::kProtobuf, &e));
    if (++i == s.protobuf.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(s.protobuf_bytes / s.protobuf.size()));
}
BENCHMARK(BM_DecodeProtobuf);

void BM_DecodeJson(benchmark::State& state) {
  const Stream& s = TheJsonStream();
  v1::Envelope e;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ingest::Decode(s.json[i], ingest::Format::kJson, &e));
    if (++i == s.json.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(s.json_bytes / s.json.size()));
}
BENCHMARK(BM_DecodeJson);

void BM_Validate(benchmark::State& state) {
  const Stream& s = TheStream();
  const ingest::ValidationOptions options;
  const absl::Time now = absl::Now();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        ingest::Validate(s.events[i], ingest::InputKind::kTickets, now, options));
    if (++i == s.events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Validate);

void BM_DecodeAndValidateProtobuf(benchmark::State& state) {
  const Stream& s = TheStream();
  const ingest::ValidationOptions options;
  const absl::Time now = absl::Now();
  v1::Envelope e;
  size_t i = 0;
  for (auto _ : state) {
    auto why = ingest::Decode(s.protobuf[i], ingest::Format::kProtobuf, &e);
    if (!why) why = ingest::Validate(e, ingest::InputKind::kTickets, now, options);
    benchmark::DoNotOptimize(why);
    if (++i == s.protobuf.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndValidateProtobuf);

// ---------------------------------------------------------------- window + rule

// SlidingWindow::Add in steady state with `range(0)` entries per window:
// every add evicts the oldest; then R13's MaxCountContaining.
void BM_SlidingWindowAdd(benchmark::State& state) {
  const int64_t entries = state.range(0);
  const int64_t size_ms = 24 * 3600 * 1000;
  const int64_t step_ms = size_ms / entries;
  engine::SlidingWindow w(size_ms, 0);
  int64_t t = 0;
  uint64_t n = 0;
  std::vector<std::string> ids(4096), subjects(4096);
  for (size_t i = 0; i < ids.size(); ++i) {
    ids[i] = absl::StrCat("b", 1000000 + i);
    subjects[i] = absl::StrCat("TK0100001", 1000000 + i);
  }
  for (int64_t i = 0; i < entries; ++i, ++n) w.Add(t += step_ms, ids[n % 4096], subjects[n % 4096]);
  for (auto _ : state) {
    w.Add(t += step_ms, ids[n % 4096], subjects[n % 4096]);
    ++n;
    benchmark::DoNotOptimize(w.MaxCountContaining(t));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["entries"] = static_cast<double>(w.entries().size());
}
BENCHMARK(BM_SlidingWindowAdd)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

// ClusteredComplaints::Apply over the realistic stream (every event kind; only
// accepted complaints reach the window). State restarts when the stream wraps.
void BM_RuleApply(benchmark::State& state) {
  const Stream& s = TheStream();
  auto rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
  engine::RuleOutput out;
  size_t i = 0;
  uint64_t warnings = 0;
  for (auto _ : state) {
    out.events.clear();
    rule->Apply(s.events[i], &out);
    warnings += out.events.size();
    if (++i == s.events.size()) {
      state.PauseTiming();
      i = 0;
      rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["warnings/event"] =
      static_cast<double>(warnings) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RuleApply);

// TakeDirty after a batch of `range(0)` events: the state snapshot that goes
// into each commit. Reported per batch; "keys" is the dirty keys per batch.
void BM_RuleTakeDirty(benchmark::State& state) {
  const Stream& s = TheStream();
  const size_t batch = static_cast<size_t>(state.range(0));
  auto rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
  engine::RuleOutput out;
  size_t i = 0;
  uint64_t keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (i + batch > s.events.size()) {  // a wrap would only add duplicates: start afresh
      i = 0;
      rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
    }
    for (size_t k = 0; k < batch; ++k, ++i) {
      out.events.clear();
      rule->Apply(s.events[i], &out);
    }
    state.ResumeTiming();
    keys += rule->TakeDirty().size();
  }
  state.counters["keys"] = static_cast<double>(keys) / static_cast<double>(state.iterations());
  state.counters["per_key"] = benchmark::Counter(
      static_cast<double>(keys), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RuleTakeDirty)->Arg(1000)->Arg(10000)->Iterations(100)->Unit(benchmark::kMicrosecond);

// The rule catalogue, loaded once (rules/*.yaml of this source tree).
std::shared_ptr<const rules::RuleSet> TheCatalogue() {
  static const auto* s = [] {
    auto loaded = rules::LoadRuleDir(VIGIL_SOURCE_DIR "/rules");
    if (!loaded.ok()) {
      std::fprintf(stderr, "vigil-microbench: %s\n",
                   std::string(loaded.status().message()).c_str());
      std::abort();
    }
    return new std::shared_ptr<const rules::RuleSet>(*std::move(loaded));
  }();
  return *s;
}

absl::Time EventTime(const v1::Envelope& e) {
  return absl::FromUnixSeconds(e.event_time().seconds()) +
         absl::Nanoseconds(e.event_time().nanos());
}

// The rule engine as vigild drives it: the watermark follows the event times,
// then Apply. No reference data (the bench's vigild has none).
struct CatalogueEngine {
  reference::ReferenceStore ref;
  engine::RuleEngine engine{TheCatalogue(), &ref};
  engine::EngineOutput out;
  size_t Apply(const v1::Envelope& e) {
    out.events.clear();
    out.rejection.reset();
    const absl::Time t = EventTime(e);
    if (t > engine.watermark()) engine.AdvanceWatermark(t, &out);
    engine.Apply(e, &out);
    return out.events.size();
  }
};

// RuleEngine::Apply (with the watermark advance before it) over the realistic
// stream, every rule of the catalogue. State restarts when the stream wraps.
void BM_RuleEngineApply(benchmark::State& state) {
  const Stream& s = TheStream();
  auto rule = std::make_unique<CatalogueEngine>();
  size_t i = 0;
  uint64_t warnings = 0;
  for (auto _ : state) {
    warnings += rule->Apply(s.events[i]);
    if (++i == s.events.size()) {
      state.PauseTiming();
      i = 0;
      rule = std::make_unique<CatalogueEngine>();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["rules"] = static_cast<double>(TheCatalogue()->rules.size());
  state.counters["warnings/event"] =
      static_cast<double>(warnings) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_RuleEngineApply);

// RuleEngine::TakeDirty after a batch of `range(0)` events (as BM_RuleTakeDirty).
void BM_RuleEngineTakeDirty(benchmark::State& state) {
  const Stream& s = TheStream();
  const size_t batch = static_cast<size_t>(state.range(0));
  auto rule = std::make_unique<CatalogueEngine>();
  size_t i = 0;
  uint64_t keys = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (i + batch > s.events.size()) {
      i = 0;
      rule = std::make_unique<CatalogueEngine>();
    }
    for (size_t k = 0; k < batch; ++k, ++i) rule->Apply(s.events[i]);
    state.ResumeTiming();
    keys += rule->engine.TakeDirty().size();
  }
  state.counters["keys"] = static_cast<double>(keys) / static_cast<double>(state.iterations());
  state.counters["per_key"] = benchmark::Counter(
      static_cast<double>(keys), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RuleEngineTakeDirty)
    ->Arg(1000)
    ->Arg(10000)
    ->Iterations(100)
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- state

std::string BenchDir() {
  const char* env = std::getenv("VIGIL_BENCH_DIR");
  const std::filesystem::path base = env ? env : std::filesystem::temp_directory_path().string();
  return (base / absl::StrCat("vigil-microbench-", ::getpid())).string();
}

// One StateStore commit: `range(0)` dirty rule keys + 6 input offsets + one
// outbox record per 40 keys (R13's warnings per dirty key in the stream),
// with fsync (`range(1)` = 1) or without.
void BM_StateCommit(benchmark::State& state) {
  const Snapshot& snap = TheSnapshot();
  const size_t keys = static_cast<size_t>(state.range(0));
  const bool sync = state.range(1) != 0;
  const std::string dir = BenchDir();
  std::filesystem::remove_all(dir);
  auto store = state::StateStore::Open(dir);
  if (!store.ok()) {
    state.SkipWithError(std::string(store.status().message()).c_str());
    return;
  }
  size_t k = 0, w = 0;
  int64_t offset = 0;
  for (auto _ : state) {
    state::StateStore::Batch batch = (*store)->NewBatch();
    for (size_t i = 0; i < keys; ++i) {
      const auto& [key, s] = snap.states[k];
      batch.PutClusterState("R13", key, s);
      if (++k == snap.states.size()) k = 0;
    }
    for (size_t i = 0; i < keys / 40; ++i) {
      batch.AppendOutbox(snap.outbox[w]);
      if (++w == snap.outbox.size()) w = 0;
    }
    offset += static_cast<int64_t>(keys);
    for (int p = 0; p < 6; ++p) batch.PutOffset({"vigil.tickets.v1", Partition(p)}, Offset(offset));
    if (auto st = (*store)->Commit(batch, sync); !st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(keys));
  state.counters["per_key"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(keys),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StateCommit)
    ->ArgNames({"keys", "sync"})
    ->ArgsProduct({{1, 100, 1000, 3000, 10000}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// ---------------------------------------------------------------- end to end

// vigild's per-event engine work in one thread, no Kafka, no RocksDB: decode,
// validate, R13, and R13's dirty-state snapshot every 10,000 events.
void BM_EndToEndInProcess(benchmark::State& state) {
  const Stream& s = TheStream();
  const ingest::ValidationOptions options;
  const absl::Time now = absl::Now();
  auto rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
  v1::Envelope e;
  engine::RuleOutput out;
  size_t i = 0;
  for (auto _ : state) {
    auto why = ingest::Decode(s.protobuf[i], ingest::Format::kProtobuf, &e);
    if (!why) why = ingest::Validate(e, ingest::InputKind::kTickets, now, options);
    if (!why) {
      out.events.clear();
      rule->Apply(e, &out);
    }
    if (++i % 10000 == 0) benchmark::DoNotOptimize(rule->TakeDirty());
    if (i == s.protobuf.size()) {
      state.PauseTiming();
      i = 0;
      rule = std::make_unique<engine::ClusteredComplaints>(engine::ClusterRuleConfig{});
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EndToEndInProcess);

// The same with the rule engine over the catalogue: what vigil-bench's
// "in-process" row measures.
void BM_EndToEndInProcessCatalogue(benchmark::State& state) {
  const Stream& s = TheStream();
  const ingest::ValidationOptions options;
  const absl::Time now = absl::Now();
  auto rule = std::make_unique<CatalogueEngine>();
  v1::Envelope e;
  size_t i = 0;
  for (auto _ : state) {
    auto why = ingest::Decode(s.protobuf[i], ingest::Format::kProtobuf, &e);
    if (!why) why = ingest::Validate(e, ingest::InputKind::kTickets, now, options);
    if (!why) rule->Apply(e);
    if (++i % 10000 == 0) benchmark::DoNotOptimize(rule->engine.TakeDirty());
    if (i == s.protobuf.size()) {
      state.PauseTiming();
      i = 0;
      rule = std::make_unique<CatalogueEngine>();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EndToEndInProcessCatalogue);

}  // namespace
}  // namespace vigil::bench

BENCHMARK_MAIN();

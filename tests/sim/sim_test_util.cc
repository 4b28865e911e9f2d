#include "tests/sim/sim_test_util.h"

#include <gtest/gtest.h>

#include "tools/sim/event_sink.h"
#include "tools/sim/local_time.h"
#include "tools/sim/sim_context.h"

namespace vigil::sim::testing {

Run Generate(const SimOptions& options) {
  Run run;
  absl::StatusOr<RunSpec> spec = Resolve(options);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return run;
  run.spec = *spec;
  run.topology = Topology::Build(TopologyFor(run.spec));
  VectorSink sink;
  absl::StatusOr<SimResult> result = Simulate(run.spec, run.topology, sink);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return run;
  run.events = std::move(sink.events());
  run.result = *std::move(result);
  return run;
}

SimOptions Options(const std::string& preset, uint64_t seed, double scale, int cities,
                   absl::Duration duration) {
  SimOptions o;
  o.preset = preset;
  o.seed = seed;
  o.scale = scale;
  o.cities = cities;
  o.duration = duration;
  return o;
}

int64_t Seconds(const v1::Envelope& e) { return e.event_time().seconds(); }

int LocalHourOf(const v1::Envelope& e) { return LocalHour(absl::FromUnixSeconds(Seconds(e))); }

int StatusRank(v1::Ticket::Kind kind, v1::Ticket::Status status) {
  using T = v1::Ticket;
  std::vector<std::vector<T::Status>> order;
  switch (kind) {
    case T::FAULT_REPAIR:
      order = {{T::ACCEPTED}, {T::DISPATCHED}, {T::UNIT_ACCEPTED}, {T::ARRIVED},
               {T::RESTORED}, {T::REPLIED},    {T::CLOSED}};
      break;
    case T::COMPLAINT:
      order = {{T::ACCEPTED},
               {T::DISPATCHED},
               {T::CONTACTED},
               {T::SUSPENDED},
               {T::RESUMED},
               {T::REPLIED},
               {T::REVISITED_SATISFIED, T::REVISITED_DISSATISFIED},
               {T::CLOSED}};
      break;
    case T::CONSULTATION:
      order = {{T::ACCEPTED}, {T::REPLIED}, {T::CLOSED}};
      break;
    case T::PRAISE:
      order = {{T::ACCEPTED}, {T::CLOSED}};
      break;
    default:  // REPORT, OPINION, SERVICE_REQUEST, URGE
      order = {{T::ACCEPTED}, {T::DISPATCHED}, {T::REPLIED}, {T::CLOSED}};
      break;
  }
  for (size_t i = 0; i < order.size(); ++i) {
    for (T::Status s : order[i]) {
      if (s == status) return static_cast<int>(i);
    }
  }
  return -1;
}

int64_t CallsBetween(const Run& run, uint32_t city, absl::Time from, absl::Time to) {
  const std::vector<uint32_t>& bins = run.result.summary.call_bins.at(city);
  int64_t n = 0;
  for (size_t b = 0; b < bins.size(); ++b) {
    const absl::Time t = run.spec.start + absl::Seconds(static_cast<int64_t>(b) * kBinSeconds);
    if (t >= from && t < to) n += bins[b];
  }
  return n;
}

}  // namespace vigil::sim::testing

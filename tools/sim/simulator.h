#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/sim/event_sink.h"
#include "tools/sim/labels.h"
#include "tools/sim/scenario.h"
#include "tools/sim/summary.h"
#include "tools/sim/topology.h"

namespace vigil::sim {

struct SimResult {
  std::vector<Label> labels;
  Summary summary;
};

// Called now and then with the simulated time reached and the events so far.
using ProgressFn = std::function<void(absl::Time sim_time, int64_t events)>;

// The topology a run uses (a function of seed, scale and cities only, so the
// same topology underlies every preset of one seed).
TopologyOptions TopologyFor(const RunSpec& spec);

// Runs the preset over the topology and writes every envelope to `sink` in
// event-time order (ties in generation order). Deterministic: the same spec
// and topology give the same events, labels and summary.
absl::StatusOr<SimResult> Simulate(const RunSpec& spec, const Topology& topology, EventSink& sink,
                                   const ProgressFn& progress = nullptr);

// Convenience: resolve options, build the topology, simulate.
absl::StatusOr<SimResult> Generate(const SimOptions& options, EventSink& sink);

}  // namespace vigil::sim

#pragma once

#include <string>
#include <vector>

#include "tools/sim/scenario.h"
#include "tools/sim/simulator.h"
#include "tools/sim/topology.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim::testing {

// One generated run, kept in memory.
struct Run {
  RunSpec spec;
  Topology topology;
  std::vector<v1::Envelope> events;
  SimResult result;
};

// Generates `options` (fails the test on error).
Run Generate(const SimOptions& options);

SimOptions Options(const std::string& preset, uint64_t seed, double scale, int cities,
                   absl::Duration duration);

int64_t Seconds(const v1::Envelope& e);
// Local (UTC+8) hour of the event.
int LocalHourOf(const v1::Envelope& e);

// Position of `status` in the lifecycle of a `kind` ticket (vigil-sim's order,
// tools/sim/tickets.h), or -1 when that kind never takes the status. Statuses
// of one ticket come with strictly increasing ranks; the two revisit outcomes
// share a rank.
int StatusRank(v1::Ticket::Kind kind, v1::Ticket::Status status);

// Calls of `city` (index) in [from, to) from the run's 5-minute bins.
int64_t CallsBetween(const Run& run, uint32_t city, absl::Time from, absl::Time to);

}  // namespace vigil::sim::testing

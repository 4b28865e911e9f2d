#pragma once

#include <cstdint>
#include <vector>

#include "tools/sim/model.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// One revision of an outage's estimated restoration time (ETR).
struct EtrUpdate {
  int64_t at;   // when the new estimate was published
  int64_t etr;  // the new estimate
};

// How dispatchers revise a missed ETR (deterministic, so expected volumes can
// be computed in advance): 10 minutes after an ETR passes unmet, a new one is
// published that under-estimates the remaining time by 20 % (at least 30 min,
// rounded up to 15 min), until restoration. At most 8 revisions.
std::vector<EtrUpdate> EtrUpdates(int64_t start, int64_t restore, int64_t etr0);

// Moments of re-call hazard (§3.3): each time an ETR passes unmet, and every
// 2 hours after that while power is still off.
std::vector<int64_t> EtrPasses(int64_t restore, int64_t etr0,
                               const std::vector<EtrUpdate>& updates);

// P(an affected customer calls) (§3.3) and the mean delay of that call after
// the outage starts: faults 12 min, unnotified planned outages 5 min (at the
// start), notified planned outages 60 min (asking when power comes back).
double CallProbability(const ModelParams& params, v1::OutageEvent::Kind kind, bool notified);
double CallDelayMeanSeconds(const ModelParams& params, v1::OutageEvent::Kind kind, bool notified);

// Restore commitment (§1.2) of an outage by its first area's class.
int64_t RestoreCommitmentSeconds(const ModelParams& params, int area_class);

}  // namespace vigil::sim

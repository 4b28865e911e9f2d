#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "tools/sim/crews.h"
#include "tools/sim/demand.h"
#include "tools/sim/event_queue.h"
#include "tools/sim/model.h"
#include "tools/sim/rng.h"
#include "tools/sim/scenario_plan.h"
#include "tools/sim/topology.h"

namespace vigil::sim {

inline constexpr int64_t kBinSeconds = 300;  // 5-minute call bins

// State shared by the simulation's processes: the agenda, the random
// streams, id counters, the crews and the call bins. One per run.
class SimContext {
 public:
  SimContext(const Topology& topology_in, const ModelParams& params_in, const Demand& demand_in,
             const ScenarioPlan& plan_in, std::string run_tag_in, uint64_t seed,
             int64_t warm_begin_in, int64_t start_in, int64_t end_in, CrewPool crews_in)
      : topology(topology_in),
        params(params_in),
        demand(demand_in),
        plan(plan_in),
        warm_begin(warm_begin_in),
        start(start_in),
        end(end_in),
        run_tag(std::move(run_tag_in)),
        crews(std::move(crews_in)),
        background_rng(Rng::Stream(seed, "background")),
        outage_rng(Rng::Stream(seed, "outages")),
        ticket_rng(Rng::Stream(seed, "tickets")),
        load_rng(Rng::Stream(seed, "loads")),
        call_bins(
            topology_in.cities().size(),
            std::vector<uint32_t>(
                static_cast<size_t>((end_in - start_in + kBinSeconds - 1) / kBinSeconds), 0)) {}

  SimContext(const SimContext&) = delete;
  SimContext& operator=(const SimContext&) = delete;

  const Topology& topology;
  const ModelParams& params;
  const Demand& demand;
  const ScenarioPlan& plan;
  const int64_t warm_begin;
  const int64_t start;
  const int64_t end;  // exclusive
  // Prefix of every id ("<preset initials><seed>-"), so runs can share topics.
  const std::string run_tag;
  EventQueue queue;
  CrewPool crews;
  Rng background_rng;
  Rng outage_rng;
  Rng ticket_rng;
  Rng load_rng;
  // Calls per city and 5-minute bin of the stream window.
  std::vector<std::vector<uint32_t>> call_bins;

  bool InWindow(int64_t t) const { return t >= start && t < end; }

  // Schedules an envelope; those outside [start, end) are dropped.
  void Emit(int64_t t, std::unique_ptr<v1::Envelope> e) {
    if (!InWindow(t)) return;
    e->mutable_event_time()->set_seconds(t);
    e->set_source("vigil-sim");
    queue.Schedule(t, std::move(e));
  }

  void CountCall(int64_t t, uint32_t city) {
    if (InWindow(t)) ++call_bins[city][static_cast<size_t>((t - start) / kBinSeconds)];
  }

  std::string NextTicketId() { return absl::StrFormat("%sT%010d", run_tag, ++tickets_); }
  std::string NextOutageId() { return absl::StrFormat("%sO%08d", run_tag, ++outages_); }
  std::string NextCallId() { return absl::StrFormat("%sC%010d", run_tag, ++calls_); }

 private:
  int64_t tickets_ = 0;
  int64_t outages_ = 0;
  int64_t calls_ = 0;
};

}  // namespace vigil::sim

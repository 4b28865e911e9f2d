#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/sim/demand.h"
#include "tools/sim/model.h"
#include "tools/sim/scenario.h"
#include "tools/sim/topology.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// An outage a scenario places explicitly (storm trips, typhoon damage, the
// planned outages without notice, the frequent-outage area).
struct ScriptedOutage {
  v1::OutageEvent::Kind kind = v1::OutageEvent::FAULT;
  std::vector<uint32_t> areas;  // in scope (one feeder or a part of it)
  int64_t start = 0;
  int64_t restore = 0;
  int64_t etr0 = 0;             // initial ETR (planned: the announced end)
  int coverage_permille = 0;    // notice (planned) / SMS (fault) coverage
  bool notified = false;        // drives P(call) and complaint conversion
  double call_factor = 1;       // scales P(call) and complaint conversion (wide-area events)
  double complaint_factor = 1;  // scales complaint conversion
  double tendency_share = -1;   // 12398 flag share on its complaints (-1: model default)
  v1::Ticket::Category complaint_category = v1::Ticket::CATEGORY_UNSPECIFIED;  // override
};

// Extra calls in one city (or one county of it): expected calls per minute
// from `t0` on. Storm "rain" load, the backlog county's extra repairs.
struct LoadCurve {
  uint32_t city = 0;
  int county = -1;  // >= 0: the calls come from this county's areas
  int64_t t0 = 0;
  std::vector<double> per_minute;
  double repair_share = 1;  // the rest: consultation_share, then no-ticket calls
  double consultation_share = 0;
  bool mutual_aid = true;  // repairs don't queue for the county's crews
};

// Complaints placed in one area: a deliberate cluster (R13).
struct ClusterInjection {
  uint32_t area = 0;
  v1::Ticket::Category category = v1::Ticket::OTHER;
  int count = 3;
  int64_t from = 0;
  int64_t to = 0;
  double tendency_share = 0;  // share carrying TENDENCY_12398 (the first one always when > 0)
};

// A window in which a city's traffic surges (R20 ground truth).
struct SurgeWindow {
  uint32_t city = 0;
  int64_t from = 0;
  int64_t to = 0;
};

// Everything a preset changes, resolved against the topology.
struct ScenarioPlan {
  std::string preset;
  DemandAdjust adjust;             // background demand (all cities)
  double lv_fault_multiplier = 1;  // single-area fault origins
  int boost_county = -1;           // county with more faults and repairs
  double boost_factor = 1;
  int backlog_county = -1;  // county whose crews are cut
  int64_t backlog_from = 0;
  double backlog_crew_factor = 1;
  std::vector<LoadCurve> loads;
  std::vector<ScriptedOutage> outages;
  std::vector<ClusterInjection> clusters;
  std::vector<SurgeWindow> surges;
  std::vector<uint32_t> focus_cities;  // the cities the scenario is about
  int focus_area = -1;                 // frequent_outage_taiqu's area
  std::string focus_key;               // region key the scenario is about (city, county or area)
  std::string notes;                   // what was placed, for the summary
};

ScenarioPlan BuildPlan(const RunSpec& spec, const Topology& topology, const ModelParams& params,
                       const Demand& demand);

// Expected calls per minute an outage produces (first calls, ETR re-calls),
// added into `per_minute` (index 0 = t0).
void AddExpectedOutageCalls(const Topology& topology, const ModelParams& params,
                            const ScriptedOutage& outage, int64_t t0,
                            std::vector<double>* per_minute);

}  // namespace vigil::sim

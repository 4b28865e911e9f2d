#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/sim/demand.h"
#include "tools/sim/labels.h"
#include "tools/sim/scenario_plan.h"
#include "tools/sim/topology.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// Derives the ground-truth labels from the emitted stream itself (so every
// label agrees with the events), plus the scenario's own incidents:
//
//  complaint_cluster          R13  every episode of >= 3 accepted complaints of one category
//                                  in one area within 24 h, exactly as vigild's R13 episodes
//  frequent_outage            R17  >= 3 outages started in one area within 60 days
//  outage_over_etr            R18, R02  restored after the ETR announced at its start
//  notice_missing             R14  planned/temporary outage with notice coverage < 95 %
//  important_customer_outage  R16  an outage with important customers in scope
//  escalation_12398           R09  a customer's ticket flagged TENDENCY_12398 or MEDIA (30-day
//  episodes) ticket_overdue             R01/R02/R03/R05/R06  a ticket stage passed its deadline
//  dispatch_backlog           R01, R02  the backlog county's overdue repairs (preset)
//  traffic_surge              R20  a scenario surge window where 5-min calls reach 3x baseline
class GroundTruth {
 public:
  GroundTruth(const Topology& topology, const ScenarioPlan& plan, int64_t start, int64_t end);

  // Every emitted envelope, in stream order.
  void Observe(const v1::Envelope& event);

  // The labels, sorted by detectable_at; ids "<preset>-<00001>".
  std::vector<Label> Finish(const std::vector<std::vector<uint32_t>>& call_bins,
                            const Demand& demand);

  // R13's rule, for the simulator and its tests: the episodes of `times`
  // (sorted event times, seconds) that raise a warning — at least `min_count`
  // within `window`. Each episode: {index of the raising event, indices}.
  struct Episode {
    size_t raised_by;
    std::vector<size_t> members;
  };
  static std::vector<Episode> Episodes(const std::vector<int64_t>& times, int64_t window,
                                       int min_count);

 private:
  struct Entry {
    int64_t time;
    std::string event_id;
  };
  struct OutageTrack {
    v1::OutageEvent::Kind kind = v1::OutageEvent::KIND_UNSPECIFIED;
    std::string region_key;
    std::vector<std::string> area_ids;
    std::vector<std::string> event_ids;
    int64_t first_seen = 0;
    int64_t started = -1;  // STARTED event time
    int64_t start_time = 0;
    int64_t etr0 = 0;
    int64_t restored = -1;
    int coverage = -1;  // latest notice coverage
    bool important = false;
  };
  struct TicketTrack {
    v1::Ticket::Kind kind;
    std::string region_key;
    std::string county;
    std::vector<std::string> event_ids;
    int64_t accepted = 0;
    int64_t deadline = 0;  // of the current stage
    v1::Ticket::Status stage = v1::Ticket::ACCEPTED;
    bool done = false;
  };

  void OnTicket(const v1::Envelope& e, int64_t t);
  void OnOutage(const v1::Envelope& e, int64_t t);
  void Overdue(const std::string& ticket_id, TicketTrack& tt, int64_t detected);

  const Topology& topology_;
  const ScenarioPlan& plan_;
  int64_t start_;
  int64_t end_;
  std::vector<Label> labels_;
  std::map<std::string, std::vector<Entry>> complaints_;    // R13 key → accepted complaints
  std::map<std::string, std::vector<Entry>> area_outages_;  // area key → STARTED events
  std::map<std::string, OutageTrack> outages_;              // outage id
  std::map<std::string, TicketTrack> tickets_;              // open tickets accepted in the stream
  std::map<std::string, std::vector<Entry>> flagged_;       // customer → flagged tickets
  std::map<std::string, std::string> flagged_region_;       // customer → region key
  std::map<std::string, bool> flagged_media_;
  struct Late {
    std::string accepted_event_id;
    int64_t accepted;
    int64_t detected;
  };
  std::vector<Late> backlog_;  // overdue repairs of the backlog county
  std::map<std::pair<uint32_t, int64_t>, std::vector<std::string>> surge_events_;  // (city, bin)
};

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/sim/demand.h"
#include "tools/sim/labels.h"
#include "tools/sim/scenario_plan.h"
#include "tools/sim/topology.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// Derives the ground-truth labels from the emitted stream itself (so every
// label agrees with the events), plus the scenario's own incidents. Where a
// rule of the catalogue (rules/*.yaml, rules/CATALOGUE.md) covers a kind, the
// label follows that rule's definition and names its family and the key its
// warning carries (Label::warning_key):
//
//  complaint_cluster          R13  an R13-feeder episode: >= 3 accepted COMPLAINT / OPINION
//                                  tickets on one feeder within 24 h, until 72 h without one
//                                  (III; II when one area has >= 5 within 24 h: R13-area folds
//                                  in; I with a MEDIA complaint); key feeder:<id>; Label::key
//                                  "<region_key>|<most frequent category>"
//  frequent_outage            R17  >= 3 outages started in one area (its area_ids) within 60 days
//                                  (III, >= 4: II); key area:<id>
//  long_outage                R18  a FAULT outage open >= 3 h (4 h when all its areas are rural
//                                  or remote; III > 8 h, II > 24 h); key outage:<id>
//  important_customer_outage  R16  a started outage with important customers in scope
//                                  (III; II > 30 min; I > 2 h); key outage:<id>
//  escalation_12398           R09  a customer's tickets (not PRAISE) flagged TENDENCY_12398 or
//                                  MEDIA, 30-day episodes (III; I with >= 2 or MEDIA);
//                                  key customer:<id>
//  traffic_surge              R20  5-min bins where a city's new tickets reach 3x max(5, the
//                                  model's normal-day calls of the slot), bins < 1 h apart merged
//                                  (II at 10x, III at 5x), overlapping a scenario surge window;
//                                  key city:<code>
//  ticket_burst               R20  the same outside the scenario's surge windows (outage call
//                                  bursts)
//  outage_over_etr            R02  restored after the ETR announced at its start (not shipped)
//  notice_missing             R14  planned/temporary outage with notice coverage < 95 %
//  ticket_overdue             R01..R06  a deadline clock of rules/deadlines/ passed its limit
//                                  (R03 dispatch / unit accept 5 min, R01 arrival, R02 restore
//                                  after arrival, R04 complaint contact 24 h, R05 complaint
//                                  reply 4 wd, R06 others; SUSPENDED .. RESUMED pauses them)
//  dispatch_backlog           R01, R02  the backlog county's overdue repairs (preset)
class GroundTruth {
 public:
  GroundTruth(const Topology& topology, const ScenarioPlan& plan, int64_t start, int64_t end);

  // Every emitted envelope, in stream order.
  void Observe(const v1::Envelope& event);

  // The labels, sorted by detectable_at; ids "<preset>-<00001>".
  std::vector<Label> Finish(const std::vector<std::vector<uint32_t>>& call_bins,
                            const Demand& demand);

  // A count rule's episodes over `times` (sorted event times, seconds): raised
  // by the event that makes at least `min_count` within `window` (the
  // window's events up to it are members); later events join while they come
  // less than `quiet` (default: `window`) after the previous member; after
  // that a new episode needs `min_count` within `window` again.
  // Each episode: {index of the raising event, indices}.
  struct Episode {
    size_t raised_by;
    std::vector<size_t> members;
  };
  static std::vector<Episode> Episodes(const std::vector<int64_t>& times, int64_t window,
                                       int min_count, int64_t quiet = -1);

 private:
  struct Entry {
    int64_t time;
    std::string event_id;
    bool media = false;
  };
  struct Complaint {  // an accepted complaint or opinion (R13)
    int64_t time;
    std::string event_id;
    std::string area_key;  // RegionKey of the ticket
    std::string category;  // Ticket.Category name
    bool media = false;
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
    // First STARTED or ESTIMATE_CHANGED event (an outage begun before the stream
    // shows up with ESTIMATE_CHANGED), and the start_time it carries.
    int64_t active_seen = -1;
    int64_t active_start = 0;
  };
  // One deadline clock of a ticket, as rules/deadlines/ runs it.
  struct TicketClock {
    const char* rule;  // "R03-dispatch", "R01", ...
    int64_t deadline;
    bool open = true;
    bool overdue = false;
  };
  struct TicketTrack {
    v1::Ticket::Kind kind;
    std::string region_key;
    std::string county;
    std::string area_id;
    std::string subtype;
    std::vector<std::string> event_ids;
    int64_t accepted = 0;
    int64_t paused_at = -1;  // SUSPENDED: every clock stops until RESUMED
    std::vector<TicketClock> clocks;
  };

  void OnTicket(const v1::Envelope& e, int64_t t);
  void OnOutage(const v1::Envelope& e, int64_t t);
  // Moves the clocks of `tt` for its event `status` at `t`; labels the ones
  // that passed their deadline before it.
  void AdvanceClocks(const std::string& ticket_id, TicketTrack& tt, v1::Ticket::Status status,
                     int64_t t);
  void Overdue(const std::string& ticket_id, const TicketTrack& tt, TicketClock& clock);
  AreaClass ClassOf(const std::string& area_id);
  void ComplaintClusters();
  // R18's first limit for an outage: 4 h when every area is rural or remote.
  int64_t RestoreLimit(const OutageTrack& ot);

  const Topology& topology_;
  const ScenarioPlan& plan_;
  int64_t start_;
  int64_t end_;
  std::vector<Label> labels_;
  std::map<std::string, std::vector<Complaint>> complaints_;  // R13 warning key → complaints
  std::map<std::string, std::vector<Entry>> area_outages_;    // area key → STARTED events
  std::map<std::string, OutageTrack> outages_;                // outage id
  std::map<std::string, TicketTrack> tickets_;                // open tickets accepted in the stream
  std::map<std::string, std::vector<Entry>> flagged_;         // customer → flagged tickets
  std::map<std::string, std::string> flagged_region_;         // customer → region key
  std::set<std::string> flagged_tickets_;                     // ticket ids already counted
  std::map<std::string, AreaClass> area_class_;               // area id → class (lazy)
  struct Late {
    std::string accepted_event_id;
    int64_t accepted;
    int64_t detected;
  };
  std::vector<Late> backlog_;  // overdue repairs of the backlog county
  // (city index, 5-min bin since start) → the city's accepted tickets.
  std::map<std::pair<uint32_t, int64_t>, std::vector<Entry>> surge_events_;
};

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/sim/sim_context.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// What a ticket needs to know about the outage it reports.
struct OutageTimeline {
  std::string outage_id;
  int64_t start = 0;
  int64_t crew_arrival = 0;  // the (first) crew on site
  int64_t restore = 0;
  std::vector<int64_t> etr_passes;  // re-call hazard moments (EtrPasses)
};

struct TicketRequest {
  v1::Ticket::Kind kind = v1::Ticket::CONSULTATION;
  v1::Ticket::Category category = v1::Ticket::CATEGORY_UNSPECIFIED;
  uint32_t area = 0;
  uint32_t slot = 0;
  bool tendency = false;  // the matter carries a 越级 (12398) flag
  bool media = false;     // the matter carries a media flag
  // How a repair is handled: by the county's crews, by reinforcement crews
  // (storms), as part of an outage (replied when power is back), or answered
  // by explaining a planned outage (replied within the hour; its ETR passes
  // still draw re-calls).
  enum class Handling { kCrews, kMutualAid, kOutage, kInformed } handling = Handling::kCrews;
  std::shared_ptr<const OutageTimeline> outage;
};

// Service-request subtypes (Ticket.subtype) and their share of 服务申请.
inline constexpr const char* kServiceSubtypes[] = {"arrears_reconnect", "appliance_damage",
                                                   "meter_abnormal",    "meter_data",
                                                   "charging_booking",  "other"};
inline constexpr double kServiceSubtypeShares[] = {0.22, 0.06, 0.20, 0.10, 0.02, 0.40};

// Reply deadline of a ticket accepted at `accepted` (§1.2, as
// rules/limits/time_limits.yaml): complaint 4 wd, 举报 9 wd, 意见 5 wd, 服务申请
// by subtype (24 h / 24 h / 4 wd / 6 wd / 45 min / 5 wd; unknown: 5 wd), others 24 h.
int64_t ReplyDeadline(v1::Ticket::Kind kind, const std::string& subtype, int64_t accepted);

// The 95598 desk: turns calls into tickets with their whole life (§3.4), each
// status change with the deadline of the stage it starts:
//   repairs     ACCEPTED → DISPATCHED → UNIT_ACCEPTED → ARRIVED → RESTORED → REPLIED → CLOSED
//   complaints  ACCEPTED → DISPATCHED → CONTACTED [→ SUSPENDED → RESUMED] → REPLIED →
//               REVISITED_SATISFIED | REVISITED_DISSATISFIED → CLOSED
//   others      ACCEPTED → DISPATCHED → REPLIED → CLOSED (consultations skip the dispatch,
//               praise is accepted and closed)
// Re-calls on open tickets (URGE tickets linked to the ticket + repeat-call
// signals), escalation to complaints with 12398 tendency, repeat calls after
// closing.
class TicketDesk {
 public:
  explicit TicketDesk(SimContext& ctx) : ctx_(ctx) {}

  // A call that becomes a ticket.
  void Call(int64_t now, const TicketRequest& request);
  // A call that produces no ticket (closed on the call, or a known outage).
  void CallWithoutTicket(int64_t now, uint32_t area);
  // A complaint call; the matter's flags are drawn (tendency_share < 0: the
  // model's share), `force_tendency` sets the 12398 flag.
  void Complaint(int64_t now, uint32_t area, uint32_t slot, v1::Ticket::Category category,
                 double tendency_share, bool force_tendency);

  // A background complaint category (§1.1 / Part 1 §3 complaint themes).
  static v1::Ticket::Category DrawComplaintCategory(Rng& rng);

 private:
  struct Ticket;

  void Schedule(int64_t now, const std::shared_ptr<Ticket>& t, const TicketRequest& request,
                int64_t reply_hint);
  void ScheduleRecalls(int64_t now, const std::shared_ptr<Ticket>& t, const TicketRequest& request);
  void Recall(int64_t now, const std::shared_ptr<Ticket>& t);
  void RepeatCall(int64_t now, const std::shared_ptr<Ticket>& t);
  // Emits one status change of `t` at `at` (only inside the stream window).
  void Emit(int64_t at, Ticket& t, v1::Ticket::Status status, int64_t deadline);
  void Materialize(Ticket& t) const;
  std::unique_ptr<v1::Envelope> Envelope(const Ticket& t, v1::Ticket::Status status,
                                         int64_t deadline) const;

  SimContext& ctx_;
};

}  // namespace vigil::sim

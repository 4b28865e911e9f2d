#include "tools/sim/tickets.h"

#include <algorithm>
#include <cmath>

#include "tools/sim/local_time.h"

namespace vigil::sim {
namespace {

constexpr int64_t kMinute = 60;
constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;
constexpr int kMaxRecalls = 6;     // re-calls by the hazard rate, per ticket
constexpr int kMaxEtrRecalls = 4;  // re-calls at ETR passes, per ticket

int64_t Secs(double s) { return static_cast<int64_t>(std::llround(s)); }

int64_t Uniform(Rng& rng, int64_t lo, int64_t hi) { return rng.UniformInt(lo, hi); }

// Moves a reply into office hours (08:00–21:00 local).
int64_t OfficeHours(Rng& rng, int64_t t) {
  const absl::Time at = absl::FromUnixSeconds(t);
  const int hour = LocalHour(at);
  if (hour >= 8 && hour < 21) return t;
  int64_t day = absl::ToUnixSeconds(LocalMidnight(at));
  if (hour >= 21) day += kDay;
  return day + 8 * kHour + Uniform(rng, 0, 2 * kHour);
}

// A wait of `lo`–`hi` seconds; with probability `late` longer (up to 3 × `hi`).
int64_t Delay(Rng& rng, double late, int64_t lo, int64_t hi) {
  return rng.Bernoulli(late) ? Uniform(rng, hi + 10, 3 * hi) : Uniform(rng, lo, hi);
}

}  // namespace

int64_t ReplyDeadline(v1::Ticket::Kind kind, const std::string& subtype, int64_t accepted) {
  const absl::Time at = absl::FromUnixSeconds(accepted);
  auto wd = [&](int days) { return absl::ToUnixSeconds(AddWorkingDays(at, days)); };
  switch (kind) {
    case v1::Ticket::COMPLAINT:
      return wd(4);
    case v1::Ticket::REPORT:
      return wd(9);
    case v1::Ticket::OPINION:
      return wd(5);
    case v1::Ticket::SERVICE_REQUEST:
      if (subtype == "arrears_reconnect" || subtype == "appliance_damage") return accepted + kDay;
      if (subtype == "meter_abnormal") return wd(4);
      if (subtype == "meter_data") return wd(6);
      if (subtype == "charging_booking") return accepted + 45 * kMinute;
      return wd(5);
    default:
      return accepted + kDay;
  }
}

struct TicketDesk::Ticket {
  std::string id;
  v1::Ticket::Kind kind = v1::Ticket::CONSULTATION;
  v1::Ticket::Category category = v1::Ticket::CATEGORY_UNSPECIFIED;
  uint32_t area = 0;
  uint32_t slot = 0;
  uint32_t city = 0;
  uint32_t county = 0;
  std::string customer_id;
  std::string subtype;            // service requests
  std::string related_ticket_id;  // urges: the urged ticket
  std::vector<v1::Ticket::Tag> tags;
  v1::Region region;        // region and customer id are filled when the
  bool has_region = false;  // first envelope is emitted (not in the warm-up)
  bool sensitive = false;
  int64_t accepted = 0;
  int64_t deadline = 0;  // reply / completion deadline
  int64_t replied = 0;
  int64_t closed = 0;
  int calls = 1;
  int urges = 0;
  bool escalated = false;
};

v1::Ticket::Category TicketDesk::DrawComplaintCategory(Rng& rng) {
  static constexpr double kWeights[] = {0, 0.20, 0.05, 0.15, 0.10, 0.10, 0.20, 0.12, 0.08};
  const std::vector<double> w(std::begin(kWeights), std::end(kWeights));
  return static_cast<v1::Ticket::Category>(rng.Choose(w));
}

void TicketDesk::Emit(int64_t at, Ticket& t, v1::Ticket::Status status, int64_t deadline) {
  if (!ctx_.InWindow(at)) return;  // warm-up or past the end: not built at all
  Materialize(t);
  ctx_.Emit(at, Envelope(t, status, deadline));
}

void TicketDesk::Materialize(Ticket& t) const {
  if (t.has_region) return;
  ctx_.topology.FillAreaRegion(t.area, &t.region);
  t.customer_id = ctx_.topology.CustomerId(t.area, t.slot);
  t.has_region = true;
}

std::unique_ptr<v1::Envelope> TicketDesk::Envelope(const Ticket& t, v1::Ticket::Status status,
                                                   int64_t deadline) const {
  auto e = std::make_unique<v1::Envelope>();
  *e->mutable_region() = t.region;
  v1::Ticket* tk = e->mutable_ticket();
  tk->set_ticket_id(t.id);
  tk->set_kind(t.kind);
  if (t.category != v1::Ticket::CATEGORY_UNSPECIFIED) tk->set_category(t.category);
  tk->set_status(status);
  if (deadline > 0) tk->mutable_deadline()->set_seconds(deadline);
  tk->set_customer_id(t.customer_id);
  for (v1::Ticket::Tag tag : t.tags) tk->add_tags(tag);
  if (!t.subtype.empty()) tk->set_subtype(t.subtype);
  if (!t.related_ticket_id.empty()) tk->set_related_ticket_id(t.related_ticket_id);
  return e;
}

void TicketDesk::CallWithoutTicket(int64_t now, uint32_t area) {
  ctx_.CountCall(now, ctx_.topology.CityOfArea(area));
}

void TicketDesk::Complaint(int64_t now, uint32_t area, uint32_t slot, v1::Ticket::Category category,
                           double tendency_share, bool force_tendency) {
  Rng& rng = ctx_.ticket_rng;
  TicketRequest r;
  r.kind = v1::Ticket::COMPLAINT;
  r.category = category;
  r.area = area;
  r.slot = slot;
  r.tendency = force_tendency ||
               rng.Bernoulli(tendency_share < 0 ? ctx_.params.tendency_flag_share : tendency_share);
  r.media = rng.Bernoulli(ctx_.params.media_flag_share);
  Call(now, r);
}

void TicketDesk::Call(int64_t now, const TicketRequest& request) {
  const Topology& topo = ctx_.topology;
  auto t = std::make_shared<Ticket>();
  t->id = ctx_.NextTicketId();
  t->kind = request.kind;
  t->category = request.category;
  t->area = request.area;
  t->slot = request.slot;
  t->county = topo.CountyOfArea(request.area);
  t->city = topo.counties()[t->county].city;
  const uint8_t tags = topo.TagsOf(request.area, request.slot);
  if (request.tendency || (tags & kTendency12398)) t->tags.push_back(v1::Ticket::TENDENCY_12398);
  if (tags & kSensitive) t->tags.push_back(v1::Ticket::SENSITIVE);
  if (tags & kImportant) t->tags.push_back(v1::Ticket::IMPORTANT_CUSTOMER);
  if (request.media) t->tags.push_back(v1::Ticket::MEDIA);
  t->sensitive = (tags & kSensitive) != 0;
  t->accepted = now;
  ctx_.CountCall(now, t->city);
  Schedule(now, t, request, 0);
  ScheduleRecalls(now, t, request);
}

void TicketDesk::Schedule(int64_t now, const std::shared_ptr<Ticket>& tp,
                          const TicketRequest& request, int64_t reply_hint) {
  Ticket& t = *tp;
  Rng& rng = ctx_.ticket_rng;
  const ModelParams& p = ctx_.params;
  const int cls = static_cast<int>(ctx_.topology.areas()[t.area].cls);
  using S = v1::Ticket;
  switch (t.kind) {
    case S::CONSULTATION: {
      t.deadline = now + kDay;
      t.replied = now + std::clamp<int64_t>(Secs(rng.LogNormal(600, 1.0)), kMinute, 20 * kHour);
      t.closed = t.replied + Uniform(rng, kHour, 12 * kHour);
      Emit(now, t, S::ACCEPTED, t.deadline);
      Emit(t.replied, t, S::REPLIED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      return;
    }
    case S::PRAISE: {
      t.replied = t.closed = now + Uniform(rng, kHour, kDay);
      Emit(now, t, S::ACCEPTED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      return;
    }
    case S::FAULT_REPAIR: {
      if (request.handling == TicketRequest::Handling::kInformed) {
        // A planned outage the caller was not told about: the desk explains
        // it on the call, replies and archives the ticket (nothing to dispatch).
        t.deadline = now + 5 * kMinute;
        t.replied = now + Uniform(rng, kMinute, 4 * kMinute);
        t.closed = t.replied + Uniform(rng, 10 * kMinute, 30 * kMinute);
        Emit(now, t, S::ACCEPTED, t.deadline);
        Emit(t.replied, t, S::REPLIED, 0);
        Emit(t.closed, t, S::CLOSED, 0);
        return;
      }
      // 派单 and 接单 within 5 minutes each, a few later (§1.2, R03).
      const int64_t dispatched = now + Delay(rng, 0.03, kMinute, 5 * kMinute - 10);
      const int64_t unit_accepted = dispatched + Delay(rng, 0.03, kMinute, 5 * kMinute - 10);
      const int64_t arrival_deadline = now + absl::ToInt64Seconds(p.arrival_limit[cls]);
      const int64_t restore_limit = absl::ToInt64Seconds(p.restore_limit[cls]);
      // The commitment as a whole (arrival + restore): re-calls are more
      // frequent after it.
      t.deadline = arrival_deadline + restore_limit;
      const int64_t travel = Secs(rng.LogNormal(absl::ToDoubleSeconds(p.travel_median[cls]), 0.35));
      const int64_t fix = std::max<int64_t>(
          20 * kMinute, Secs(rng.LogNormal(absl::ToDoubleSeconds(p.fix_median), p.fix_sigma)));
      int64_t arrived = 0, restored = 0;
      switch (request.handling) {
        case TicketRequest::Handling::kCrews:  // the county's crews (a queue)
          arrived = ctx_.crews.Assign(t.county, unit_accepted, travel, fix);
          restored = arrived + fix;
          break;
        case TicketRequest::Handling::kMutualAid:  // storm reinforcements: slower roads
          arrived = unit_accepted + Secs(static_cast<double>(travel) * rng.Uniform(1.5, 3));
          restored = arrived + fix;
          break;
        default: {  // merged into a known outage: its crew, restored with it
          const OutageTimeline& o = *request.outage;
          arrived = std::max(unit_accepted + Uniform(rng, kMinute, 10 * kMinute), o.crew_arrival);
          if (arrived >= o.restore) arrived = unit_accepted + Uniform(rng, kMinute, 3 * kMinute);
          restored = std::max(arrived + kMinute, o.restore + Uniform(rng, 0, 5 * kMinute));
          break;
        }
      }
      t.replied = restored + Uniform(rng, 5 * kMinute, 30 * kMinute);
      t.closed = t.replied + Uniform(rng, 2 * kHour, kDay);
      Emit(now, t, S::ACCEPTED, now + 5 * kMinute);
      Emit(dispatched, t, S::DISPATCHED, dispatched + 5 * kMinute);
      Emit(unit_accepted, t, S::UNIT_ACCEPTED, arrival_deadline);
      Emit(arrived, t, S::ARRIVED, arrived + restore_limit);
      Emit(restored, t, S::RESTORED, 0);
      Emit(t.replied, t, S::REPLIED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      break;
    }
    case S::URGE: {
      t.deadline = now + kDay;
      const int64_t dispatched = now + Uniform(rng, 5 * kMinute, kHour);
      t.replied = std::max(dispatched + kMinute, std::min(reply_hint > 0 ? reply_hint : t.deadline,
                                                          now + Uniform(rng, kHour, 8 * kHour)));
      t.closed = t.replied + Uniform(rng, kHour, 12 * kHour);
      Emit(now, t, S::ACCEPTED, t.deadline);
      Emit(dispatched, t, S::DISPATCHED, t.deadline);
      Emit(t.replied, t, S::REPLIED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      return;
    }
    case S::COMPLAINT: {
      // Contact within 24 h (most within hours, in office hours), reply
      // within 4 working days; some customers ask to wait (the clock pauses).
      const int64_t contact_deadline = now + kDay;
      int64_t deadline = ReplyDeadline(t.kind, t.subtype, now);
      const int64_t dispatched = now + Uniform(rng, 10 * kMinute, 2 * kHour);
      const bool late_contact = rng.Bernoulli(p.late_contact_share);
      int64_t contacted =
          late_contact
              ? now + Uniform(rng, kDay + 30 * kMinute, 2 * kDay)
              : OfficeHours(rng, dispatched + std::min<int64_t>(
                                                  20 * kHour, Secs(rng.LogNormal(3 * kHour, 0.9))));
      if (!late_contact && contacted > contact_deadline - 5 * kMinute) {
        contacted = contact_deadline - Uniform(rng, 10 * kMinute, 2 * kHour);
      }
      contacted = std::max(contacted, dispatched + Uniform(rng, 5 * kMinute, 30 * kMinute));
      int64_t suspended = 0, resumed = 0;
      if (rng.Bernoulli(p.suspended_share)) {
        suspended = contacted + Uniform(rng, 10 * kMinute, 4 * kHour);
        resumed = suspended + Uniform(rng, 12 * kHour, 3 * kDay);
        deadline += resumed - suspended;
      }
      t.deadline = deadline;
      const int64_t ready = std::max(contacted, resumed) + Uniform(rng, 30 * kMinute, 3 * kHour);
      const int64_t paused = resumed - suspended;
      const double span = static_cast<double>(deadline - paused - now);
      const bool late = rng.Bernoulli(p.overdue_share);
      const double r = late ? rng.Uniform(1.02, 1.6) : rng.Uniform(0.1, 0.95);
      const int64_t target = now + paused + Secs(span * r);
      int64_t reply = OfficeHours(rng, target);
      if (!late && reply > deadline) reply = target;
      t.replied = std::max(ready, reply);
      const int64_t revisited = t.replied + Uniform(rng, 2 * kHour, 2 * kDay);
      const bool dissatisfied = rng.Bernoulli(p.dissatisfied_revisit);
      t.closed = revisited + Uniform(rng, kHour, kDay);
      Emit(now, t, S::ACCEPTED, contact_deadline);
      Emit(dispatched, t, S::DISPATCHED, contact_deadline);
      Emit(contacted, t, S::CONTACTED, deadline - paused);
      if (suspended > 0) {
        Emit(suspended, t, S::SUSPENDED, 0);
        Emit(resumed, t, S::RESUMED, deadline);
      }
      Emit(t.replied, t, S::REPLIED, 0);
      Emit(revisited, t, dissatisfied ? S::REVISITED_DISSATISFIED : S::REVISITED_SATISFIED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      if (dissatisfied) {
        // A dissatisfied customer calls again and may escalate toward 12398 (§3.4).
        const bool escalate = rng.Bernoulli(p.escalate_after_dissatisfied);
        ctx_.queue.Schedule(
            revisited + Uniform(rng, 30 * kMinute, 3 * kDay), [this, tp, escalate](int64_t at) {
              RepeatCall(at, tp);
              if (escalate)
                Complaint(at + 2 * kMinute, tp->area, tp->slot, tp->category, 1.0, true);
            });
      }
      break;
    }
    default: {  // REPORT, OPINION, SERVICE_REQUEST
      if (t.kind == S::SERVICE_REQUEST) {
        const std::vector<double> w(std::begin(kServiceSubtypeShares),
                                    std::end(kServiceSubtypeShares));
        t.subtype = kServiceSubtypes[rng.Choose(w)];
      }
      t.deadline = ReplyDeadline(t.kind, t.subtype, now);
      const double span = static_cast<double>(t.deadline - now);
      // Dispatched within 2 h (within a quarter of a short limit).
      const int64_t dispatch_max = std::min<int64_t>(2 * kHour, Secs(span / 4));
      const int64_t dispatched =
          now + Uniform(rng, std::min<int64_t>(10 * kMinute, dispatch_max / 2), dispatch_max);
      const bool late = rng.Bernoulli(p.overdue_share);
      const double r = late ? rng.Uniform(1.02, 1.6) : rng.Uniform(0.1, 0.95);
      const int64_t target = now + Secs(span * r);
      int64_t reply = OfficeHours(rng, target);
      if (!late && reply > t.deadline) reply = target;  // short limits: no waiting for morning
      t.replied = std::max(dispatched + kMinute, reply);
      t.closed = t.replied + Uniform(rng, 4 * kHour, 2 * kDay);
      Emit(now, t, S::ACCEPTED, t.deadline);
      Emit(dispatched, t, S::DISPATCHED, t.deadline);
      Emit(t.replied, t, S::REPLIED, 0);
      Emit(t.closed, t, S::CLOSED, 0);
      break;
    }
  }
  // After closing: a repeat call within 7 days (§3.4).
  const bool overdue = t.replied > t.deadline;
  if (rng.Bernoulli(overdue ? 3 * p.repeat_call_after_close : p.repeat_call_after_close)) {
    ctx_.queue.Schedule(t.closed + Uniform(rng, kHour, 7 * kDay),
                        [this, tp](int64_t at) { RepeatCall(at, tp); });
  }
}

void TicketDesk::ScheduleRecalls(int64_t now, const std::shared_ptr<Ticket>& tp,
                                 const TicketRequest& request) {
  const Ticket& t = *tp;
  if (t.kind == v1::Ticket::PRAISE || t.kind == v1::Ticket::URGE) return;
  Rng& rng = ctx_.ticket_rng;
  const ModelParams& p = ctx_.params;
  std::vector<int64_t> times;
  const double factor = t.sensitive ? p.recall_sensitive_factor : 1.0;
  const bool outage = request.outage != nullptr;
  // Non-homogeneous Poisson re-calls, by thinning: λ before the deadline
  // (calibrated), after a missed one 0.15/h; waking hours weigh more.
  const double before = ctx_.demand.urge_rate_per_hour() * factor / kHour;
  const double after = (outage ? before : p.recall_after_deadline_per_hour * factor / kHour);
  const double max_rate = std::max(before, t.replied > t.deadline ? after : before) * 24 * 0.08;
  if (max_rate > 0) {
    for (double at = static_cast<double>(now + 10 * kMinute);;) {
      at += rng.Exponential(1.0 / max_rate);
      const int64_t s = Secs(at);
      if (s >= t.replied || times.size() >= kMaxRecalls) break;
      const double rate = (s < t.deadline ? before : after) * 24 *
                          kIntradayWeights[LocalHour(absl::FromUnixSeconds(s))];
      if (rng.Uniform() * max_rate < rate) times.push_back(s);
    }
  }
  // Re-calls when an outage's ETR passes unmet (§3.3); at night fewer
  // people call (the pass probability is weighted like the intraday curve).
  if (outage) {
    int spikes = 0;
    for (int64_t pass : request.outage->etr_passes) {
      if (pass <= now || spikes >= kMaxEtrRecalls) continue;
      const double waking =
          std::min(1.0, 24 * kIntradayWeights[LocalHour(absl::FromUnixSeconds(pass))]);
      if (!rng.Bernoulli(p.recall_on_etr_pass * waking)) continue;
      const int64_t s = pass + Secs(rng.Exponential(600));
      if (s < t.replied) {
        times.push_back(s);
        ++spikes;
      }
    }
  }
  for (int64_t s : times) {
    ctx_.queue.Schedule(s, [this, tp](int64_t at) { Recall(at, tp); });
  }
}

void TicketDesk::Recall(int64_t now, const std::shared_ptr<Ticket>& tp) {
  Ticket& t = *tp;
  if (now >= t.replied) return;
  ++t.urges;
  // The re-call on an open ticket is logged as an URGE ticket...
  TicketRequest r;
  r.kind = v1::Ticket::URGE;
  r.category = t.category;
  r.area = t.area;
  r.slot = t.slot;
  auto urge = std::make_shared<Ticket>();
  urge->id = ctx_.NextTicketId();
  urge->kind = v1::Ticket::URGE;
  urge->category = t.category;
  urge->area = t.area;
  urge->slot = t.slot;
  urge->city = t.city;
  urge->county = t.county;
  urge->tags = t.tags;
  urge->related_ticket_id = t.id;
  urge->accepted = now;
  Schedule(now, urge, r, t.replied);
  // ...and as a repeat-call signal linked to the ticket (counted as one call).
  RepeatCall(now, tp);
  // Escalation ladder (§3.4): after 2 urges, or an urge on an overdue
  // complaint, P(complaint) 0.3.
  Rng& rng = ctx_.ticket_rng;
  const bool ladder = (t.kind != v1::Ticket::COMPLAINT && t.urges >= 2) ||
                      (t.kind == v1::Ticket::COMPLAINT && now > t.deadline);
  if (!t.escalated && ladder && rng.Bernoulli(ctx_.params.complaint_after_two_urges)) {
    t.escalated = true;
    v1::Ticket::Category category = t.category;
    if (t.kind == v1::Ticket::FAULT_REPAIR) category = v1::Ticket::DELAYED_RESTORATION;
    if (t.kind == v1::Ticket::SERVICE_REQUEST) category = v1::Ticket::CONNECTION_OVERDUE;
    if (category == v1::Ticket::CATEGORY_UNSPECIFIED) category = v1::Ticket::SERVICE_ATTITUDE;
    const bool repeat = t.kind == v1::Ticket::COMPLAINT;
    const uint32_t area = t.area, slot = t.slot;
    ctx_.queue.Schedule(now + Uniform(rng, 5 * kMinute, kHour),
                        [this, area, slot, category, repeat](int64_t at) {
                          Complaint(at, area, slot, category, repeat ? 0.5 : 0.3, false);
                        });
  }
}

void TicketDesk::RepeatCall(int64_t now, const std::shared_ptr<Ticket>& tp) {
  Ticket& t = *tp;
  ++t.calls;
  ctx_.CountCall(now, t.city);
  const std::string call_id = ctx_.NextCallId();
  if (!ctx_.InWindow(now)) return;
  Materialize(t);
  auto e = std::make_unique<v1::Envelope>();
  *e->mutable_region() = t.region;
  v1::RepeatCall* rc = e->mutable_repeat_call();
  rc->set_call_id(call_id);
  rc->set_customer_id(t.customer_id);
  rc->set_linked_ticket_id(t.id);
  rc->set_call_count(static_cast<uint32_t>(t.calls));
  ctx_.Emit(now, std::move(e));
}

}  // namespace vigil::sim

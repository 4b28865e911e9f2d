#include "tools/sim/ground_truth.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "processors/ingest/region.h"
#include "tools/sim/local_time.h"
#include "tools/sim/model.h"
#include "tools/sim/sim_context.h"
#include "tools/sim/tickets.h"

namespace vigil::sim {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxSurgeEvents = 100;

absl::Time T(int64_t s) { return absl::FromUnixSeconds(s); }

constexpr int64_t kHour = 3600;
constexpr int64_t kMinute = 60;

// R20's baseline floor (rules/R20_traffic_surge.yaml, baseline.min_baseline).
constexpr double kSurgeMinBaseline = 5;

// The deepest region key both keys lie in (whole path segments).
std::string CommonRegion(const std::string& a, const std::string& b) {
  size_t i = 0, cut = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    if (a[i] == '/') cut = i;
    ++i;
  }
  if (i == a.size() && i == b.size()) return a;
  if ((i == a.size() && b[i] == '/') || (i == b.size() && a[i] == '/')) return a.substr(0, i);
  return a.substr(0, cut);
}

constexpr uint32_t Bit(v1::Ticket::Status s) { return 1u << s; }

// The ticket clocks of rules/deadlines/ (R01–R06): kind, start status, stop statuses.
struct ClockDef {
  v1::Ticket::Kind kind;
  const char* rule;
  v1::Ticket::Status start;
  uint32_t stops;
};
using S = v1::Ticket;
constexpr uint32_t kReplyStops = Bit(S::REPLIED) | Bit(S::CLOSED);
constexpr ClockDef kClocks[] = {
    {S::FAULT_REPAIR, "R03-dispatch", S::ACCEPTED,
     Bit(S::DISPATCHED) | Bit(S::UNIT_ACCEPTED) | Bit(S::ARRIVED) | Bit(S::RESTORED) | kReplyStops},
    {S::FAULT_REPAIR, "R03-accept", S::DISPATCHED,
     Bit(S::UNIT_ACCEPTED) | Bit(S::ARRIVED) | Bit(S::RESTORED) | kReplyStops},
    {S::FAULT_REPAIR, "R01", S::ACCEPTED, Bit(S::ARRIVED) | Bit(S::RESTORED) | Bit(S::CLOSED)},
    {S::FAULT_REPAIR, "R02", S::ARRIVED, Bit(S::RESTORED) | Bit(S::CLOSED)},
    {S::COMPLAINT, "R04", S::ACCEPTED, Bit(S::CONTACTED) | kReplyStops},
    {S::COMPLAINT, "R05", S::ACCEPTED, kReplyStops},
    {S::REPORT, "R06-report", S::ACCEPTED, kReplyStops},
    {S::OPINION, "R06-opinion", S::ACCEPTED, kReplyStops},
    {S::SERVICE_REQUEST, "R06-service", S::ACCEPTED, kReplyStops},
};

bool HasTag(const v1::Ticket& t, v1::Ticket::Tag tag) {
  return std::find(t.tags().begin(), t.tags().end(), tag) != t.tags().end();
}

}  // namespace

std::vector<GroundTruth::Episode> GroundTruth::Episodes(const std::vector<int64_t>& times,
                                                        int64_t window, int min_count,
                                                        int64_t quiet) {
  if (quiet < 0) quiet = window;
  std::vector<Episode> out;
  bool active = false;
  int64_t first = 0, last = 0;
  size_t lo = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    const int64_t t = times[i];
    if (active && t > first - window && t < last + quiet) {
      out.back().members.push_back(i);
      last = std::max(last, t);
      continue;
    }
    active = false;
    while (times[lo] <= t - window) ++lo;
    if (static_cast<int>(i - lo + 1) >= min_count) {
      Episode e{i, {}};
      for (size_t j = lo; j <= i; ++j) e.members.push_back(j);
      out.push_back(std::move(e));
      active = true;
      first = times[lo];
      last = t;
    }
  }
  return out;
}

GroundTruth::GroundTruth(const Topology& topology, const ScenarioPlan& plan, int64_t start,
                         int64_t end)
    : topology_(topology), plan_(plan), start_(start), end_(end) {}

void GroundTruth::Observe(const v1::Envelope& e) {
  const int64_t t = e.event_time().seconds();
  if (e.has_ticket()) OnTicket(e, t);
  if (e.has_outage()) OnOutage(e, t);
}

void GroundTruth::OnTicket(const v1::Envelope& e, int64_t t) {
  const v1::Ticket& tk = e.ticket();
  // R09: every ticket (not PRAISE) flagged 12398 or MEDIA counts once, at its
  // first event in the stream (a ticket accepted before the stream counts at
  // its first status change, as the rule sees it).
  if (tk.kind() != v1::Ticket::PRAISE &&
      (HasTag(tk, v1::Ticket::TENDENCY_12398) || HasTag(tk, v1::Ticket::MEDIA)) &&
      flagged_tickets_.insert(tk.ticket_id()).second) {
    flagged_[tk.customer_id()].push_back({t, e.event_id(), HasTag(tk, v1::Ticket::MEDIA)});
    flagged_region_[tk.customer_id()] = ingest::RegionKey(e.region());
  }
  if (tk.status() == v1::Ticket::ACCEPTED) {
    TicketTrack& tt = tickets_[tk.ticket_id()];
    tt.kind = tk.kind();
    tt.region_key = ingest::RegionKey(e.region());
    tt.county = e.region().county_code();
    tt.area_id = e.region().area_id();
    tt.subtype = tk.subtype();
    tt.event_ids = {e.event_id()};
    tt.accepted = t;
    AdvanceClocks(tk.ticket_id(), tt, tk.status(), t);
    if (tk.kind() == v1::Ticket::COMPLAINT || tk.kind() == v1::Ticket::OPINION) {
      // R13-feeder's key; a ticket without feeder only reaches R13-area.
      const std::string key = e.region().feeder_id().empty()
                                  ? absl::StrCat("area:", e.region().area_id())
                                  : absl::StrCat("feeder:", e.region().feeder_id());
      complaints_[key].push_back({t, e.event_id(), tt.region_key,
                                  v1::Ticket::Category_Name(tk.category()),
                                  HasTag(tk, v1::Ticket::MEDIA)});
    }
    int city = -1;
    if (int code = 0; absl::SimpleAtoi(e.region().city_code(), &code)) {
      city = topology_.CityIndex(code);
    }
    if (city >= 0 && t >= start_) {
      surge_events_[{static_cast<uint32_t>(city), (t - start_) / kBinSeconds}].push_back(
          {t, e.event_id()});
    }
    return;
  }
  auto it = tickets_.find(tk.ticket_id());
  if (it == tickets_.end()) return;  // accepted before the stream began
  TicketTrack& tt = it->second;
  tt.event_ids.push_back(e.event_id());
  AdvanceClocks(it->first, tt, tk.status(), t);
  if (tk.status() == v1::Ticket::CLOSED) tickets_.erase(it);
}

void GroundTruth::AdvanceClocks(const std::string& ticket_id, TicketTrack& tt,
                                v1::Ticket::Status status, int64_t t) {
  if (status == v1::Ticket::RESUMED && tt.paused_at >= 0) {
    for (TicketClock& c : tt.clocks) c.deadline += t - tt.paused_at;
    tt.paused_at = -1;
  }
  for (TicketClock& c : tt.clocks) {
    if (c.open && !c.overdue && tt.paused_at < 0 && t > c.deadline) Overdue(ticket_id, tt, c);
  }
  for (const ClockDef& def : kClocks) {
    if (def.kind != tt.kind) continue;
    auto c = std::find_if(tt.clocks.begin(), tt.clocks.end(),
                          [&](const TicketClock& x) { return x.rule == def.rule; });
    if (c != tt.clocks.end() && (def.stops & Bit(status))) c->open = false;
    if (c != tt.clocks.end() || def.start != status) continue;
    // The limits of rules/limits/time_limits.yaml (§1.2); the model's values are those.
    static const ModelParams kLimits;
    const int cls = static_cast<int>(ClassOf(tt.area_id));
    const std::string_view rule = def.rule;
    int64_t deadline = t + 5 * kMinute;  // R03
    if (rule == "R01") deadline = t + absl::ToInt64Seconds(kLimits.arrival_limit[cls]);
    if (rule == "R02") deadline = t + absl::ToInt64Seconds(kLimits.restore_limit[cls]);
    if (rule == "R04") deadline = t + kDay;
    if (rule == "R05" || rule.starts_with("R06")) deadline = ReplyDeadline(tt.kind, tt.subtype, t);
    tt.clocks.push_back({def.rule, deadline});
  }
  if (status == v1::Ticket::SUSPENDED && tt.paused_at < 0) tt.paused_at = t;
}

AreaClass GroundTruth::ClassOf(const std::string& area_id) {
  if (area_class_.empty()) {
    for (uint32_t a = 0; a < topology_.areas().size(); ++a) {
      area_class_[topology_.AreaId(a)] = topology_.areas()[a].cls;
    }
  }
  auto it = area_class_.find(area_id);
  return it == area_class_.end() ? AreaClass::kUrban : it->second;  // unknown: the strictest
}

void GroundTruth::Overdue(const std::string& ticket_id, const TicketTrack& tt, TicketClock& clock) {
  clock.overdue = true;
  const std::string_view rule = clock.rule;
  Label l;
  l.kind = "ticket_overdue";
  l.rule_ids = {std::string(rule.substr(0, rule.find('-')))};
  l.min_grade = rule == "R05"             ? v1::GRADE_II
                : rule.starts_with("R03") ? v1::GRADE_IV
                                          : v1::GRADE_III;
  l.region_key = tt.region_key;
  l.start = T(tt.accepted);
  l.end = T(clock.deadline);
  l.detectable_at = T(clock.deadline);
  l.event_ids = tt.event_ids;
  l.description =
      absl::StrCat(v1::Ticket::Kind_Name(tt.kind), " ticket ", ticket_id, " passed its ",
                   clock.rule, " deadline ", FormatLocal(T(clock.deadline)));
  labels_.push_back(std::move(l));
  if (rule == "R01" && plan_.backlog_county >= 0 &&
      tt.county == topology_.CountyCode(plan_.backlog_county) &&
      tt.accepted >= plan_.backlog_from) {
    backlog_.push_back({tt.event_ids.front(), tt.accepted, clock.deadline});
  }
}

void GroundTruth::OnOutage(const v1::Envelope& e, int64_t t) {
  const v1::OutageEvent& o = e.outage();
  OutageTrack& ot = outages_[o.outage_id()];
  if (ot.event_ids.empty()) {
    ot.kind = o.kind();
    ot.region_key = ingest::RegionKey(e.region());
    ot.area_ids.assign(o.area_ids().begin(), o.area_ids().end());
    ot.first_seen = t;
  }
  ot.event_ids.push_back(e.event_id());
  ot.important = ot.important || o.important_customer_ids_size() > 0;
  if ((o.phase() == v1::OutageEvent::STARTED || o.phase() == v1::OutageEvent::ESTIMATE_CHANGED) &&
      ot.active_seen < 0 && ot.restored < 0) {
    ot.active_seen = t;
    ot.active_start = o.has_start_time() ? o.start_time().seconds() : t;
  }
  switch (o.phase()) {
    case v1::OutageEvent::NOTICED:
      if (o.kind() != v1::OutageEvent::FAULT)
        ot.coverage = static_cast<int>(o.notice_coverage_permille());
      ot.start_time = o.start_time().seconds();
      break;
    case v1::OutageEvent::STARTED: {
      ot.started = t;
      ot.start_time = o.start_time().seconds();
      ot.etr0 = o.estimated_restoration().seconds();
      if (o.kind() != v1::OutageEvent::FAULT)
        ot.coverage = static_cast<int>(o.notice_coverage_permille());
      // Area keys: the region down to the station, plus each area id.
      v1::Region r = e.region();
      r.clear_area_id();
      const std::string station_key = ingest::RegionKey(r);
      for (const std::string& area : o.area_ids()) {
        area_outages_[absl::StrCat(station_key, "/", area)].push_back({t, e.event_id()});
      }
      break;
    }
    case v1::OutageEvent::RESTORED:
      ot.restored = t;
      break;
    default:
      break;
  }
}

void GroundTruth::ComplaintClusters() {
  for (const auto& [key, entries] : complaints_) {
    const bool feeder = key.starts_with("feeder:");
    std::vector<int64_t> times;
    for (const Complaint& c : entries) times.push_back(c.time);
    // R13-feeder: III at 3 within 24 h; R13-area (no feeder): II at 5. Both
    // resolve after 72 h without a complaint.
    for (const Episode& ep : Episodes(times, kDay, feeder ? 3 : 5, 3 * kDay)) {
      Label l;
      l.kind = "complaint_cluster";
      l.rule_ids = {"R13"};
      l.warning_key = key;
      std::set<std::string> categories;
      std::map<std::string, std::vector<int64_t>> by_area;  // area key → complaint times
      bool media = false;
      l.region_key = entries[ep.members.front()].area_key;
      for (size_t i : ep.members) {
        const Complaint& c = entries[i];
        l.region_key = CommonRegion(l.region_key, c.area_key);
        categories.insert(c.category);
        by_area[c.area_key].push_back(c.time);
        media = media || c.media;
        l.event_ids.push_back(c.event_id);
      }
      // The most frequent category (ties: the first by name) names the cluster.
      std::map<std::string, int> per_category;
      for (size_t i : ep.members) ++per_category[entries[i].category];
      const auto top =
          std::max_element(per_category.begin(), per_category.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      l.key = absl::StrCat(l.region_key, "|", top->first);
      l.start = T(entries[ep.members.front()].time);
      l.end = T(entries[ep.members.back()].time);
      l.detectable_at = T(entries[ep.raised_by].time);
      // Orange once an area of the feeder has 5 within 24 h (its R13-area
      // warning folds into the feeder's and lifts it); red with a MEDIA complaint.
      l.min_grade = feeder ? v1::GRADE_III : v1::GRADE_II;
      for (const auto& [area, t] : by_area) {
        for (size_t i = 0, lo = 0; i < t.size(); ++i) {
          while (t[lo] <= t[i] - kDay) ++lo;
          if (i - lo + 1 >= 5) l.min_grade = std::max(l.min_grade, v1::GRADE_II);
        }
      }
      if (media) l.min_grade = v1::GRADE_I;
      l.description =
          absl::StrFormat("%d complaints/opinions (%s) on %s from %d area(s) between %s and %s",
                          ep.members.size(), absl::StrJoin(categories, ", "), key, by_area.size(),
                          FormatLocal(l.start), FormatLocal(l.end));
      labels_.push_back(std::move(l));
    }
  }
}

int64_t GroundTruth::RestoreLimit(const OutageTrack& ot) {
  if (ot.area_ids.empty()) return 3 * kHour;
  for (const std::string& id : ot.area_ids) {
    if (ClassOf(id) == AreaClass::kUrban) return 3 * kHour;
  }
  return 4 * kHour;
}

std::vector<Label> GroundTruth::Finish(const std::vector<std::vector<uint32_t>>& call_bins,
                                       const Demand& demand) {
  (void)call_bins;
  // Tickets still open past their deadline at the end of the stream.
  for (auto& [id, tt] : tickets_) {
    if (tt.paused_at >= 0) continue;
    for (TicketClock& c : tt.clocks) {
      if (c.open && !c.overdue && c.deadline < end_) Overdue(id, tt, c);
    }
  }
  // R13 complaint clusters, per feeder.
  ComplaintClusters();
  // R17 frequent outages.
  for (const auto& [key, entries] : area_outages_) {
    std::vector<int64_t> times;
    for (const Entry& en : entries) times.push_back(en.time);
    for (const Episode& ep : Episodes(times, 60 * kDay, 3)) {
      Label l;
      l.kind = "frequent_outage";
      l.rule_ids = {"R17"};
      l.region_key = key;
      l.warning_key = absl::StrCat("area:", key.substr(key.rfind('/') + 1));
      l.start = T(entries[ep.members.front()].time);
      l.end = T(entries[ep.members.back()].time);
      l.detectable_at = T(entries[ep.raised_by].time);
      l.min_grade = ep.members.size() >= 4 ? v1::GRADE_II : v1::GRADE_III;
      for (size_t i : ep.members) l.event_ids.push_back(entries[i].event_id);
      l.description =
          absl::StrFormat("%d outages in area %s within 60 days", ep.members.size(), key);
      labels_.push_back(std::move(l));
    }
  }
  // Outages: long, over their ETR, notice missing, important customers.
  for (const auto& [id, ot] : outages_) {
    const int64_t last = ot.restored >= 0 ? ot.restored : end_;
    if (ot.kind == v1::OutageEvent::FAULT && ot.active_seen >= 0) {
      const int64_t limit = RestoreLimit(ot);
      const int64_t detectable = std::max(ot.active_start + limit, ot.active_seen);
      if (last - ot.active_start > limit && detectable < end_) {
        Label l;
        l.kind = "long_outage";
        l.rule_ids = {"R18"};
        l.warning_key = absl::StrCat("outage:", id);
        l.region_key = ot.region_key;
        l.start = T(ot.active_seen);
        l.end = T(last);
        l.detectable_at = T(detectable);
        const int64_t off = last - ot.active_start;
        l.min_grade = off > 24 * kHour  ? v1::GRADE_II
                      : off > 8 * kHour ? v1::GRADE_III
                                        : v1::GRADE_IV;
        l.event_ids = ot.event_ids;
        l.description = absl::StrFormat(
            "fault outage %s (%d areas) off %.1f h, past the %d h restore commitment%s", id,
            ot.area_ids.size(), off / 3600.0, limit / kHour,
            ot.restored >= 0 ? "" : " (still off at the end)");
        labels_.push_back(std::move(l));
      }
    }
    if (ot.started >= 0 && ot.etr0 < last) {
      Label l;
      l.kind = "outage_over_etr";
      l.rule_ids = {"R02"};
      l.region_key = ot.region_key;
      l.start = T(ot.started);
      l.end = T(last);
      l.detectable_at = T(std::max(ot.etr0, ot.started));
      const int64_t hours = (last - ot.start_time) / 3600;
      l.min_grade = hours > 24 ? v1::GRADE_II : hours > 8 ? v1::GRADE_III : v1::GRADE_IV;
      l.event_ids = ot.event_ids;
      l.description = absl::StrCat("outage ", id, " (", ot.area_ids.size(),
                                   " areas) ran past its ETR ", FormatLocal(T(ot.etr0)),
                                   ot.restored >= 0 ? ", restored " : ", still off at the end",
                                   ot.restored >= 0 ? FormatLocal(T(ot.restored)) : "");
      labels_.push_back(std::move(l));
    }
    if (ot.kind != v1::OutageEvent::FAULT && ot.coverage >= 0 && ot.coverage < 950) {
      const int64_t detectable = std::max(ot.first_seen, ot.start_time - kDay);
      if (detectable < end_) {
        Label l;
        l.kind = "notice_missing";
        l.rule_ids = {"R14"};
        l.region_key = ot.region_key;
        l.start = T(ot.first_seen);
        l.end = T(std::max(ot.first_seen, ot.started));
        l.detectable_at = T(detectable);
        l.min_grade = ot.coverage < 900 ? v1::GRADE_III : v1::GRADE_IV;
        l.event_ids = ot.event_ids;
        l.description = absl::StrFormat("%s outage %s starting %s: notice coverage %.1f%%",
                                        v1::OutageEvent::Kind_Name(ot.kind), id,
                                        FormatLocal(T(ot.start_time)), ot.coverage / 10.0);
        labels_.push_back(std::move(l));
      }
    }
    if (ot.active_seen >= 0 && ot.important) {
      const int64_t detectable = std::max(ot.active_seen, ot.active_start + 1);
      if (detectable < end_ && detectable < last) {
        Label l;
        l.kind = "important_customer_outage";
        l.rule_ids = {"R16"};
        l.warning_key = absl::StrCat("outage:", id);
        l.region_key = ot.region_key;
        l.start = T(ot.active_seen);
        l.end = T(last);
        l.detectable_at = T(detectable);
        const int64_t off = last - ot.active_start;
        l.min_grade = off > 2 * kHour      ? v1::GRADE_I
                      : off > 30 * kMinute ? v1::GRADE_II
                                           : v1::GRADE_III;
        l.event_ids = ot.event_ids;
        l.description = absl::StrFormat("outage %s has important customers in scope, off %.1f h",
                                        id, off / 3600.0);
        labels_.push_back(std::move(l));
      }
    }
  }
  // R09 escalation tendency per customer (30-day episodes).
  for (const auto& [customer, entries] : flagged_) {
    std::vector<int64_t> times;
    for (const Entry& en : entries) times.push_back(en.time);
    for (const Episode& ep : Episodes(times, 30 * kDay, 1)) {
      Label l;
      l.kind = "escalation_12398";
      l.rule_ids = {"R09"};
      l.warning_key = absl::StrCat("customer:", customer);
      l.region_key = flagged_region_[customer];
      l.start = T(entries[ep.members.front()].time);
      l.end = T(entries[ep.members.back()].time);
      l.detectable_at = l.start;
      bool media = false;
      for (size_t i : ep.members) media = media || entries[i].media;
      l.min_grade = ep.members.size() >= 2 || media ? v1::GRADE_I : v1::GRADE_III;
      for (size_t i : ep.members) l.event_ids.push_back(entries[i].event_id);
      l.description = absl::StrFormat("customer %s: %d tickets flagged 12398/media%s", customer,
                                      ep.members.size(), media ? " (media)" : "");
      labels_.push_back(std::move(l));
    }
  }
  // The preset's dispatch backlog: one county-level incident.
  if (!backlog_.empty()) {
    Label l;
    l.kind = "dispatch_backlog";
    l.rule_ids = {"R01", "R02"};
    l.region_key = topology_.CountyKey(plan_.backlog_county);
    int64_t first = backlog_.front().accepted, last = 0, detect = backlog_.front().detected;
    for (const Late& late : backlog_) {
      first = std::min(first, late.accepted);
      last = std::max(last, late.detected);
      detect = std::min(detect, late.detected);
      l.event_ids.push_back(late.accepted_event_id);
    }
    l.start = T(first);
    l.end = T(last);
    l.detectable_at = T(detect);
    l.min_grade = v1::GRADE_III;
    l.description = absl::StrFormat("%d repair tickets in county %s missed their deadline",
                                    backlog_.size(), l.region_key);
    labels_.push_back(std::move(l));
  }
  // R20 traffic surges: 5-minute bins where a city's new tickets reach R20's
  // threshold, 3x the baseline, with the model's normal-day calls of that slot
  // as the baseline but at least R20's min_baseline (the rule's 28-day median
  // is the observed counterpart of the model's value). Qualifying bins less
  // than an hour apart make one incident: traffic_surge when it overlaps one
  // of the scenario's surge windows, ticket_burst otherwise (outage call
  // bursts, e.g. planned outages starting at 07:30).
  {
    struct Open {
      int64_t first = -1, last = -1, detectable = -1;
      double peak = 0;
      std::pair<uint32_t, int64_t> first_bin;
    };
    std::map<uint32_t, Open> open;  // city → the incident being built
    const auto close = [&](uint32_t city, const Open& o) {
      bool scenario = false;
      for (const SurgeWindow& w : plan_.surges) {
        scenario = scenario || (w.city == city && o.first < w.to && o.last + kBinSeconds > w.from);
      }
      Label l;
      l.kind = scenario ? "traffic_surge" : "ticket_burst";
      l.rule_ids = {"R20"};
      l.region_key = topology_.CityCode(city);
      l.warning_key = absl::StrCat("city:", l.region_key);
      l.start = T(o.first);
      l.end = T(o.last + kBinSeconds);
      l.detectable_at = T(o.detectable);
      l.min_grade = o.peak >= 10 ? v1::GRADE_II : o.peak >= 5 ? v1::GRADE_III : v1::GRADE_IV;
      const std::vector<Entry>& first = surge_events_.at(o.first_bin);
      for (size_t i = 0; i < first.size() && i < kMaxSurgeEvents; ++i) {
        l.event_ids.push_back(first[i].event_id);
      }
      l.description = absl::StrFormat(
          "city %s: 5-min new tickets up to %.1fx the baseline (normal-day calls, at least %g)%s",
          l.region_key, o.peak, kSurgeMinBaseline,
          scenario ? ", the scenario's surge" : " (outside the scenario's surges)");
      labels_.push_back(std::move(l));
    };
    for (const auto& [cb, entries] : surge_events_) {  // ordered by (city, bin)
      const auto [city, bin] = cb;
      const int64_t t = start_ + bin * kBinSeconds;
      if (t >= end_) continue;
      const double base = std::max(kSurgeMinBaseline, demand.BaselineRate(city, t) * kBinSeconds);
      const size_t need = static_cast<size_t>(std::ceil(3 * base));
      if (entries.size() < need) continue;
      auto it = open.find(city);
      if (it != open.end() && t - it->second.last > kHour) {
        close(city, it->second);
        open.erase(it);
        it = open.end();
      }
      if (it == open.end()) {
        Open o;
        o.first = t;
        o.detectable = entries[need - 1].time;
        o.first_bin = cb;
        it = open.emplace(city, o).first;
      }
      it->second.last = t;
      it->second.peak = std::max(it->second.peak, entries.size() / base);
    }
    for (const auto& [city, o] : open) close(city, o);
  }
  std::stable_sort(labels_.begin(), labels_.end(), [](const Label& a, const Label& b) {
    const std::string& ea = a.event_ids.empty() ? a.region_key : a.event_ids.front();
    const std::string& eb = b.event_ids.empty() ? b.region_key : b.event_ids.front();
    return std::tie(a.detectable_at, a.kind, a.region_key, a.warning_key, a.key, ea) <
           std::tie(b.detectable_at, b.kind, b.region_key, b.warning_key, b.key, eb);
  });
  for (size_t i = 0; i < labels_.size(); ++i) {
    labels_[i].incident_id = absl::StrFormat("%s-%05d", plan_.preset, i + 1);
  }
  return std::move(labels_);
}

}  // namespace vigil::sim

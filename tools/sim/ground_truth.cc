#include "tools/sim/ground_truth.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processors/ingest/region.h"
#include "tools/sim/local_time.h"
#include "tools/sim/sim_context.h"

namespace vigil::sim {
namespace {

constexpr int64_t kDay = 86400;
constexpr size_t kMaxSurgeEvents = 100;

absl::Time T(int64_t s) { return absl::FromUnixSeconds(s); }

// vigild's R13 defaults (processors/engine/clustered_complaints.h).
v1::Grade ClusterGrade(size_t count) {
  if (count >= 20) return v1::GRADE_I;
  if (count >= 10) return v1::GRADE_II;
  if (count >= 5) return v1::GRADE_III;
  return v1::GRADE_IV;
}

bool HasTag(const v1::Ticket& t, v1::Ticket::Tag tag) {
  return std::find(t.tags().begin(), t.tags().end(), tag) != t.tags().end();
}

}  // namespace

std::vector<GroundTruth::Episode> GroundTruth::Episodes(const std::vector<int64_t>& times,
                                                        int64_t window, int min_count) {
  std::vector<Episode> out;
  bool active = false;
  int64_t first = 0, last = 0;
  size_t lo = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    const int64_t t = times[i];
    if (active && t > first - window && t < last + window) {
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
  if (tk.status() == v1::Ticket::ACCEPTED) {
    TicketTrack& tt = tickets_[tk.ticket_id()];
    tt.kind = tk.kind();
    tt.region_key = ingest::RegionKey(e.region());
    tt.county = e.region().county_code();
    tt.event_ids = {e.event_id()};
    tt.accepted = t;
    tt.deadline = tk.has_deadline() ? tk.deadline().seconds() : 0;
    if (tk.kind() == v1::Ticket::COMPLAINT) {
      complaints_[absl::StrCat(tt.region_key, "|", v1::Ticket::Category_Name(tk.category()))]
          .push_back({t, e.event_id()});
    }
    if (HasTag(tk, v1::Ticket::TENDENCY_12398) || HasTag(tk, v1::Ticket::MEDIA)) {
      flagged_[tk.customer_id()].push_back({t, e.event_id()});
      flagged_region_[tk.customer_id()] = tt.region_key;
      if (HasTag(tk, v1::Ticket::MEDIA)) flagged_media_[tk.customer_id()] = true;
    }
    for (const SurgeWindow& w : plan_.surges) {
      if (t >= w.from && t < w.to && e.region().city_code() == topology_.CityCode(w.city)) {
        surge_events_[{w.city, (t - start_) / kBinSeconds}].push_back(e.event_id());
      }
    }
    return;
  }
  auto it = tickets_.find(tk.ticket_id());
  if (it == tickets_.end()) return;  // accepted before the stream began
  TicketTrack& tt = it->second;
  tt.event_ids.push_back(e.event_id());
  if (!tt.done && tt.deadline > 0 && t > tt.deadline) Overdue(it->first, tt, tt.deadline);
  tt.stage = tk.status();
  tt.deadline = tk.has_deadline() ? tk.deadline().seconds() : 0;
  if (tk.status() == v1::Ticket::CLOSED) tickets_.erase(it);
}

void GroundTruth::Overdue(const std::string& ticket_id, TicketTrack& tt, int64_t detected) {
  tt.done = true;
  Label l;
  l.kind = "ticket_overdue";
  const bool repair = tt.kind == v1::Ticket::FAULT_REPAIR;
  if (repair && tt.stage == v1::Ticket::ACCEPTED) {
    l.rule_ids = {"R03"};
  } else if (repair) {
    l.rule_ids = {"R01", "R02"};
    l.min_grade = v1::GRADE_III;
  } else if (tt.kind == v1::Ticket::COMPLAINT) {
    l.rule_ids = {"R05"};
    l.min_grade = v1::GRADE_II;
  } else {
    l.rule_ids = {"R06"};
    l.min_grade = v1::GRADE_III;
  }
  l.region_key = tt.region_key;
  l.start = T(tt.accepted);
  l.end = T(detected);
  l.detectable_at = T(detected);
  l.event_ids = tt.event_ids;
  l.description =
      absl::StrCat(v1::Ticket::Kind_Name(tt.kind), " ticket ", ticket_id, " passed its ",
                   v1::Ticket::Status_Name(tt.stage), " deadline ", FormatLocal(T(detected)));
  labels_.push_back(std::move(l));
  if (repair && tt.stage == v1::Ticket::DISPATCHED && plan_.backlog_county >= 0 &&
      tt.county == topology_.CountyCode(plan_.backlog_county) &&
      tt.accepted >= plan_.backlog_from) {
    backlog_.push_back({tt.event_ids.front(), tt.accepted, detected});
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
      ot.important = o.important_customer_ids_size() > 0;
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

std::vector<Label> GroundTruth::Finish(const std::vector<std::vector<uint32_t>>& call_bins,
                                       const Demand& demand) {
  // Tickets still open past their deadline at the end of the stream.
  for (auto& [id, tt] : tickets_) {
    if (!tt.done && tt.deadline > 0 && tt.deadline < end_) Overdue(id, tt, tt.deadline);
  }
  // R13 complaint clusters.
  for (const auto& [key, entries] : complaints_) {
    std::vector<int64_t> times;
    for (const Entry& en : entries) times.push_back(en.time);
    for (const Episode& ep : Episodes(times, kDay, 3)) {
      Label l;
      l.kind = "complaint_cluster";
      l.rule_ids = {"R13"};
      l.key = key;
      l.region_key = key.substr(0, key.find('|'));
      l.start = T(entries[ep.members.front()].time);
      l.end = T(entries[ep.members.back()].time);
      l.detectable_at = T(entries[ep.raised_by].time);
      l.min_grade = ClusterGrade(ep.members.size());
      for (size_t i : ep.members) l.event_ids.push_back(entries[i].event_id);
      l.description = absl::StrFormat("%d %s complaints in area %s between %s and %s",
                                      ep.members.size(), key.substr(key.find('|') + 1),
                                      l.region_key, FormatLocal(l.start), FormatLocal(l.end));
      labels_.push_back(std::move(l));
    }
  }
  // R17 frequent outages.
  for (const auto& [key, entries] : area_outages_) {
    std::vector<int64_t> times;
    for (const Entry& en : entries) times.push_back(en.time);
    for (const Episode& ep : Episodes(times, 60 * kDay, 3)) {
      Label l;
      l.kind = "frequent_outage";
      l.rule_ids = {"R17"};
      l.region_key = key;
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
  // Outages: over their ETR, notice missing, important customers.
  for (const auto& [id, ot] : outages_) {
    const int64_t last = ot.restored >= 0 ? ot.restored : end_;
    if (ot.started >= 0 && ot.etr0 < last) {
      Label l;
      l.kind = "outage_over_etr";
      l.rule_ids = {"R18", "R02"};
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
    if (ot.started >= 0 && ot.important) {
      Label l;
      l.kind = "important_customer_outage";
      l.rule_ids = {"R16"};
      l.region_key = ot.region_key;
      l.start = T(ot.started);
      l.end = T(last);
      l.detectable_at = T(ot.started);
      l.min_grade = v1::GRADE_III;
      l.event_ids = ot.event_ids;
      l.description = absl::StrCat("outage ", id, " has important customers in scope");
      labels_.push_back(std::move(l));
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
      l.region_key = flagged_region_[customer];
      l.start = T(entries[ep.members.front()].time);
      l.end = T(entries[ep.members.back()].time);
      l.detectable_at = l.start;
      l.min_grade =
          ep.members.size() >= 2 || flagged_media_[customer] ? v1::GRADE_I : v1::GRADE_III;
      for (size_t i : ep.members) l.event_ids.push_back(entries[i].event_id);
      l.description = absl::StrFormat("customer %s: %d tickets flagged 12398/media", customer,
                                      ep.members.size());
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
  // R20 traffic surges in the scenario's windows.
  for (const SurgeWindow& w : plan_.surges) {
    int64_t first = -1, last = -1;
    double peak = 0;
    const int64_t from = std::max(w.from, start_);
    for (int64_t t = start_ + (from - start_) / kBinSeconds * kBinSeconds; t < std::min(w.to, end_);
         t += kBinSeconds) {
      const size_t bin = static_cast<size_t>((t - start_) / kBinSeconds);
      if (bin >= call_bins[w.city].size()) break;
      const double base = demand.BaselineRate(w.city, t) * kBinSeconds;
      const uint32_t n = call_bins[w.city][bin];
      if (n >= 10 && n >= 3 * base) {
        if (first < 0) first = t;
        last = t;
        peak = std::max(peak, n / base);
      }
    }
    if (first < 0) continue;
    Label l;
    l.kind = "traffic_surge";
    l.rule_ids = {"R20"};
    l.region_key = topology_.CityCode(w.city);
    l.start = T(first);
    l.end = T(last + kBinSeconds);
    l.detectable_at = T(first + kBinSeconds);
    l.min_grade = peak >= 10 ? v1::GRADE_II : peak >= 5 ? v1::GRADE_III : v1::GRADE_IV;
    auto it = surge_events_.find({w.city, (first - start_) / kBinSeconds});
    if (it != surge_events_.end()) {
      for (size_t i = 0; i < it->second.size() && i < kMaxSurgeEvents; ++i) {
        l.event_ids.push_back(it->second[i]);
      }
    }
    l.description = absl::StrFormat("city %s: 5-min calls up to %.1fx the normal-day baseline",
                                    l.region_key, peak);
    labels_.push_back(std::move(l));
  }
  std::stable_sort(labels_.begin(), labels_.end(), [](const Label& a, const Label& b) {
    const std::string& ea = a.event_ids.empty() ? a.region_key : a.event_ids.front();
    const std::string& eb = b.event_ids.empty() ? b.region_key : b.event_ids.front();
    return std::tie(a.detectable_at, a.kind, a.region_key, a.key, ea) <
           std::tie(b.detectable_at, b.kind, b.region_key, b.key, eb);
  });
  for (size_t i = 0; i < labels_.size(); ++i) {
    labels_[i].incident_id = absl::StrFormat("%s-%05d", plan_.preset, i + 1);
  }
  return std::move(labels_);
}

}  // namespace vigil::sim

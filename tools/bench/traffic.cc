#include "tools/bench/traffic.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "tools/sim/event_sink.h"
#include "tools/sim/simulator.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/sim/complaint_stream.h"

namespace vigil::bench {
namespace {

constexpr int64_t kDaySeconds = 24 * 3600;
constexpr int kCounties = 4;  // complaint_stream: counties 02..05, stations S01..S04

// Moves an event of complaint_stream's one city (370100) to city `city` (1-based)
// and makes its ticket id unique across cities and days.
void Relocate(v1::Envelope& e, int city, int64_t day) {
  v1::Region* r = e.mutable_region();
  const std::string county_suffix = r->county_code().substr(4);
  r->set_province_code("370000");
  r->set_city_code(absl::StrFormat("37%02d00", city));
  r->set_county_code(absl::StrFormat("37%02d%s", city, county_suffix));
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id(absl::StrFormat("TK%02d%05d%s", city, day, t->ticket_id().substr(2)));
}

void SetRegion(v1::Region* r, int city, int county, int area) {
  r->set_province_code("370000");
  r->set_city_code(absl::StrFormat("37%02d00", city));
  r->set_county_code(absl::StrFormat("37%02d%02d", city, county));
  r->set_station_id(absl::StrFormat("S%02d", county - 1));
  r->set_area_id(absl::StrFormat("T%02d%03d", county, area));
}

// Non-complaint ticket kinds of a normal day (domain/95598.md §3.2), by weight.
struct KindWeight {
  v1::Ticket::Kind kind;
  double weight;
};
constexpr KindWeight kOtherKinds[] = {
    {v1::Ticket::FAULT_REPAIR, 40},    {v1::Ticket::CONSULTATION, 30},
    {v1::Ticket::SERVICE_REQUEST, 12}, {v1::Ticket::URGE, 7},
    {v1::Ticket::OPINION, 5},          {v1::Ticket::PRAISE, 2},
    {v1::Ticket::REPORT, 0.5},
};

v1::Ticket::Kind PickKind(std::mt19937_64& rng) {
  double total = 0;
  for (const auto& k : kOtherKinds) total += k.weight;
  double x = std::uniform_real_distribution<double>(0, total)(rng);
  for (const auto& k : kOtherKinds) {
    if (x < k.weight) return k.kind;
    x -= k.weight;
  }
  return v1::Ticket::CONSULTATION;
}

}  // namespace

std::string EventId(uint64_t seq) { return absl::StrCat("b", seq); }

int64_t SeqOfEventId(const std::string& id) {
  uint64_t seq = 0;
  if (id.size() < 2 || id[0] != 'b' || !absl::SimpleAtoi(id.substr(1), &seq)) {
    return -1;
  }
  return static_cast<int64_t>(seq);
}

Traffic::Traffic(TrafficOptions options) : options_(std::move(options)), rng_(options_.seed) {
  if (options_.start == absl::UnixEpoch()) {
    options_.start =
        absl::FromUnixSeconds((absl::ToUnixSeconds(absl::Now()) / kDaySeconds - 120) * kDaySeconds);
  }
  options_.cities = std::clamp(options_.cities, 1, 99);
  options_.complaint_share = std::clamp(options_.complaint_share, 0.0, 1.0);
}

void Traffic::Next(v1::Envelope* out) {
  while (pos_ >= buffer_.size()) GenerateDay();
  out->Swap(&buffer_[pos_++]);
  out->set_event_id(EventId(seq_++));
}

void Traffic::GenerateSimCycle() {
  if (sim_base_.empty()) {
    sim::SimOptions so;
    so.preset = options_.sim_preset;
    so.seed = options_.seed;
    if (options_.sim_scale > 0) so.scale = options_.sim_scale;
    sim::VectorSink sink;
    auto result = sim::Generate(so, sink);
    if (!result.ok() || sink.events().empty()) {
      std::fprintf(stderr, "vigil-bench: vigil-sim preset %s: %s\n", options_.sim_preset.c_str(),
                   result.ok() ? "no events" : std::string(result.status().message()).c_str());
      std::exit(2);
    }
    sim_base_ = std::move(sink.events());
  }
  const int64_t first = sim_base_.front().event_time().seconds();
  const int64_t span = sim_base_.back().event_time().seconds() - first;
  const int64_t shift = day_ * (span + 2 * 86400);
  const std::string suffix = absl::StrCat("-c", day_);
  buffer_.clear();
  pos_ = 0;
  for (const v1::Envelope& base : sim_base_) {
    // The benchmark has one input topic, the tickets topic: outage events and
    // repeat calls would be dead-lettered there (topic_mismatch), so they are left out.
    if (!base.has_ticket()) continue;
    v1::Envelope& e = buffer_.emplace_back(base);
    e.mutable_event_time()->set_seconds(e.event_time().seconds() + shift);
    if (day_ == 0) continue;
    if (e.has_ticket()) e.mutable_ticket()->mutable_ticket_id()->append(suffix);
    if (e.has_outage()) e.mutable_outage()->mutable_outage_id()->append(suffix);
    if (e.has_repeat_call()) e.mutable_repeat_call()->mutable_call_id()->append(suffix);
  }
  ++day_;
}

void Traffic::GenerateDay() {
  if (!options_.sim_preset.empty()) {
    GenerateSimCycle();
    return;
  }
  const TrafficOptions& o = options_;
  const absl::Time day_start = o.start + absl::Hours(24) * day_;
  const int64_t complaints_total =
      static_cast<int64_t>(static_cast<double>(o.events_per_day) * o.complaint_share);
  const int64_t complaints_per_city = complaints_total / o.cities;
  std::vector<v1::Envelope> day;
  day.reserve(static_cast<size_t>(o.events_per_day) + 1024);

  // 1. Accepted complaints: complaint_stream's background plus injected clusters.
  for (int city = 1; city <= o.cities; ++city) {
    sim::ComplaintStreamOptions so;
    so.seed = rng_();
    so.start = day_start;
    so.duration = absl::Hours(24);
    so.areas_per_county = o.areas_per_county;
    int64_t clustered = 0;
    for (int k = 0; k < o.clusters_per_city_per_day; ++k) {
      sim::InjectedCluster c;
      const int county = 2 + static_cast<int>(rng_() % kCounties);
      const int area = 1 + static_cast<int>(rng_() % o.areas_per_county);
      c.area_id = absl::StrFormat("T%02d%03d", county, area);
      c.category = static_cast<v1::Ticket::Category>(1 + rng_() % 8);
      c.count = o.min_cluster + static_cast<int>(rng_() % (o.max_cluster - o.min_cluster + 1));
      const int64_t span_s = 3600 + static_cast<int64_t>(rng_() % (5 * 3600));
      c.span = absl::Seconds(span_s);
      c.offset = absl::Seconds(static_cast<int64_t>(rng_() % (kDaySeconds - span_s)));
      clustered += c.count;
      so.clusters.push_back(std::move(c));
    }
    so.background_complaints =
        static_cast<int>(std::max<int64_t>(0, complaints_per_city - clustered));
    for (v1::Envelope& e : sim::ComplaintStream(so)) {
      Relocate(e, city, day_);
      day.push_back(std::move(e));
    }
  }
  const int64_t accepted = static_cast<int64_t>(day.size());

  // 2. Status changes of those complaints, later the same day.
  const int64_t followups = std::min(accepted, std::max<int64_t>(0, o.events_per_day - accepted));
  const int64_t day_end_s = absl::ToUnixSeconds(day_start) + kDaySeconds - 1;
  static constexpr v1::Ticket::Status kLater[] = {v1::Ticket::DISPATCHED, v1::Ticket::REPLIED,
                                                  v1::Ticket::CLOSED};
  for (int64_t i = 0; i < followups; ++i) {
    v1::Envelope e = day[static_cast<size_t>(i * accepted / std::max<int64_t>(1, followups))];
    const int64_t later = 600 + static_cast<int64_t>(rng_() % (8 * 3600));
    e.mutable_event_time()->set_seconds(std::min(day_end_s, e.event_time().seconds() + later));
    e.mutable_ticket()->set_status(kLater[rng_() % 3]);
    day.push_back(std::move(e));
  }

  // 3. Every other kind of ticket, accepted or moving on.
  const int64_t others = std::max<int64_t>(0, o.events_per_day - accepted - followups);
  for (int64_t i = 0; i < others; ++i) {
    v1::Envelope& e = day.emplace_back();
    const int city = 1 + static_cast<int>(rng_() % o.cities);
    const int county = 2 + static_cast<int>(rng_() % kCounties);
    const int area = 1 + static_cast<int>(rng_() % o.areas_per_county);
    const int64_t at = absl::ToUnixSeconds(day_start) + static_cast<int64_t>(rng_() % kDaySeconds);
    e.mutable_event_time()->set_seconds(at);
    e.set_source("vigil-bench");
    SetRegion(e.mutable_region(), city, county, area);
    v1::Ticket* t = e.mutable_ticket();
    t->set_ticket_id(absl::StrFormat("TO%02d%05d%08d", city, day_, i));
    t->set_kind(PickKind(rng_));
    if (t->kind() == v1::Ticket::FAULT_REPAIR) {
      t->set_category(static_cast<v1::Ticket::Category>(1 + rng_() % 4));
      t->mutable_deadline()->set_seconds(at + 45 * 60);
    } else if (rng_() % 4 == 0) {
      t->set_category(rng_() % 2 ? v1::Ticket::BILLING : v1::Ticket::OTHER);
    }
    t->set_status(rng_() % 3 == 0 ? kLater[rng_() % 3] : v1::Ticket::ACCEPTED);
    t->set_customer_id(absl::StrFormat("C%09d", static_cast<int>(rng_() % 1000000000)));
    if (rng_() % 100 == 0) t->add_tags(v1::Ticket::SENSITIVE);
  }

  // Event-time order (stable: complaint_stream's order within a second stays).
  std::vector<uint32_t> order(day.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&day](uint32_t a, uint32_t b) {
    return day[a].event_time().seconds() < day[b].event_time().seconds();
  });
  buffer_.clear();
  buffer_.resize(day.size());
  for (size_t i = 0; i < order.size(); ++i) buffer_[i].Swap(&day[order[i]]);
  pos_ = 0;
  ++day_;
}

}  // namespace vigil::bench

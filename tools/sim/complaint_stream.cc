#include "tools/sim/complaint_stream.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_format.h"

namespace vigil::sim {
namespace {

v1::Envelope Complaint(int seq, absl::Time at, int county, int area, v1::Ticket::Category cat,
                       int customer) {
  v1::Envelope e;
  e.set_event_id(absl::StrFormat("evt-%06d", seq));
  e.mutable_event_time()->set_seconds(absl::ToUnixSeconds(at));
  e.set_source("vigil-sim");
  v1::Region* r = e.mutable_region();
  r->set_province_code("370000");
  r->set_city_code("370100");
  r->set_county_code(absl::StrFormat("3701%02d", county));
  r->set_station_id(absl::StrFormat("S%02d", county - 1));
  r->set_area_id(absl::StrFormat("T%02d%03d", county, area));
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id(absl::StrFormat("TK%08d", seq));
  t->set_kind(v1::Ticket::COMPLAINT);
  t->set_category(cat);
  t->set_status(v1::Ticket::ACCEPTED);
  t->set_customer_id(absl::StrFormat("C%09d", customer));
  return e;
}

}  // namespace

std::vector<InjectedCluster> DemoClusters() {
  return {
      {"T02007", v1::Ticket::LOW_VOLTAGE, 4, absl::Hours(1), absl::Minutes(90)},
      {"T03011", v1::Ticket::FREQUENT_OUTAGE, 6, absl::Hours(3), absl::Hours(4)},
      {"T05002", v1::Ticket::DELAYED_RESTORATION, 11, absl::Hours(6), absl::Hours(3)},
  };
}

std::vector<v1::Envelope> ComplaintStream(const ComplaintStreamOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::vector<v1::Envelope> out;
  int seq = 0;
  const int64_t span_s = absl::ToInt64Seconds(o.duration);
  for (int i = 0; i < o.background_complaints; ++i) {
    const int county = 2 + static_cast<int>(rng() % 4);
    const int area = 1 + static_cast<int>(rng() % o.areas_per_county);
    const auto cat = static_cast<v1::Ticket::Category>(1 + rng() % 8);
    const absl::Time at = o.start + absl::Seconds(static_cast<int64_t>(rng() % span_s));
    out.push_back(Complaint(++seq, at, county, area, cat, static_cast<int>(rng() % 1000000)));
  }
  for (const InjectedCluster& c : o.clusters) {
    const int county = std::stoi(c.area_id.substr(1, 2));
    const int area = std::stoi(c.area_id.substr(3));
    for (int i = 0; i < c.count; ++i) {
      const absl::Time at = o.start + c.offset + c.span * i / std::max(1, c.count - 1);
      out.push_back(Complaint(++seq, at, county, area, c.category,
                              static_cast<int>(rng() % 1000000)));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::Envelope& a, const v1::Envelope& b) {
    return a.event_time().seconds() < b.event_time().seconds();
  });
  return out;
}

}  // namespace vigil::sim

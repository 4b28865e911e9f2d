#include "tests/support/test_events.h"

namespace vigil::testing {

const char kR13Rule[] = R"(rules:
  - id: R13
    version: "it"
    title: complaint cluster
    input:
      stream: ticket
      filter: {kind: [COMPLAINT], status: [ACCEPTED]}
    key: area
    window: {type: sliding, size: 24h, allowed_lateness: 1h}
    condition: {measure: count}
    grades: {IV: 3, III: 5, II: 10, I: 20}
    resolve: {quiet_for: 72h}
    message: "{count} complaints in {key}"
)";

v1::Envelope ComplaintEvent(const std::string& id, int64_t second, const std::string& city,
                            const std::string& area, v1::Ticket::Category category) {
  v1::Envelope e;
  e.set_event_id("evt-" + id);
  e.mutable_event_time()->set_seconds(1784102400 + second);  // 2026-07-15T08:00Z
  v1::Region* r = e.mutable_region();
  r->set_province_code(city.substr(0, 2) + "0000");
  r->set_city_code(city);
  r->set_county_code(city.substr(0, 4) + "02");
  r->set_station_id("S01");
  r->set_area_id(area);
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id("TK-" + id);
  t->set_kind(v1::Ticket::COMPLAINT);
  t->set_category(category);
  t->set_status(v1::Ticket::ACCEPTED);
  return e;
}

}  // namespace vigil::testing

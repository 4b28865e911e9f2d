#include "processors/ingest/validator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/printers.h"

namespace vigil::ingest {
namespace {

constexpr int64_t kEventSeconds = 1784102400;  // 2026-07-15T08:00:00Z

class ValidatorTest : public ::testing::Test {
 protected:
  // The clock stands one hour after the events.
  const absl::Time now_ = absl::FromUnixSeconds(kEventSeconds) + absl::Hours(1);

  static v1::Envelope Base(const std::string& event_id) {
    v1::Envelope e;
    e.set_event_id(event_id);
    e.mutable_event_time()->set_seconds(kEventSeconds);
    v1::Region* r = e.mutable_region();
    r->set_province_code("370000");
    r->set_city_code("370100");
    r->set_county_code("370102");
    r->set_station_id("S01");
    r->set_feeder_id("F10-3");
    r->set_area_id("T0001");
    return e;
  }
  static v1::Envelope Ticket() {
    v1::Envelope e = Base("evt-ticket");
    v1::Ticket* t = e.mutable_ticket();
    t->set_ticket_id("TK00000001");
    t->set_kind(v1::Ticket::COMPLAINT);
    t->set_category(v1::Ticket::LOW_VOLTAGE);
    t->set_status(v1::Ticket::ACCEPTED);
    t->set_customer_id("C000000001");
    t->add_tags(v1::Ticket::TENDENCY_12398);
    t->mutable_deadline()->set_seconds(kEventSeconds + 86400);
    return e;
  }
  static v1::Envelope Outage() {
    v1::Envelope e = Base("evt-outage");
    e.mutable_region()->clear_area_id();
    v1::OutageEvent* o = e.mutable_outage();
    o->set_outage_id("OUT-1");
    o->set_kind(v1::OutageEvent::FAULT);
    o->set_phase(v1::OutageEvent::STARTED);
    o->add_area_ids("T0001");
    o->add_feeder_ids("F10-3");
    o->set_affected_customers(120);
    o->mutable_start_time()->set_seconds(kEventSeconds);
    o->mutable_estimated_restoration()->set_seconds(kEventSeconds + 7200);
    o->set_notice_coverage_permille(1000);
    return e;
  }
  static v1::Envelope RepeatCall() {
    v1::Envelope e = Base("evt-call");
    v1::RepeatCall* c = e.mutable_repeat_call();
    c->set_call_id("CALL-1");
    c->set_customer_id("C000000001");
    c->set_linked_ticket_id("TK00000001");
    c->set_call_count(2);
    return e;
  }

  std::optional<Rejection> Check(const v1::Envelope& e, InputKind kind = InputKind::kTickets,
                                 ValidationOptions options = {}) {
    return Validate(e, kind, now_, options);
  }

  // Expects `e` refused for `reason`, with a detail that mentions `field`.
  void ExpectRejected(const v1::Envelope& e, RejectReason reason, const std::string& field,
                      InputKind kind = InputKind::kTickets) {
    const std::optional<Rejection> r = Check(e, kind);
    ASSERT_TRUE(r.has_value()) << "accepted: " << e.ShortDebugString();
    EXPECT_EQ(ReasonCode(r->reason), ReasonCode(reason)) << r->detail;
    EXPECT_NE(r->detail.find(field), std::string::npos)
        << "detail '" << r->detail << "' does not name " << field;
  }
};

// Complete ticket, outage and repeat-call envelopes pass on their own topics.
TEST_F(ValidatorTest, ValidEventsPass) {
  EXPECT_EQ(Check(Ticket(), InputKind::kTickets), std::nullopt);
  EXPECT_EQ(Check(Outage(), InputKind::kOutages), std::nullopt);
  EXPECT_EQ(Check(RepeatCall(), InputKind::kRepeatCalls), std::nullopt);
}

// Optional fields may be left out: a minimal non-complaint ticket needs only a city.
TEST_F(ValidatorTest, MinimalNonComplaintTicketPasses) {
  v1::Envelope e;
  e.set_event_id("e");
  e.mutable_event_time()->set_seconds(kEventSeconds);
  e.mutable_region()->set_city_code("370100");
  e.mutable_ticket()->set_ticket_id("T");
  e.mutable_ticket()->set_kind(v1::Ticket::CONSULTATION);
  e.mutable_ticket()->set_status(v1::Ticket::CLOSED);
  EXPECT_EQ(Check(e), std::nullopt);
}

// An envelope without any payload is refused as missing_field.
TEST_F(ValidatorTest, MissingPayload) {
  v1::Envelope e = Ticket();
  e.clear_payload();
  ExpectRejected(e, RejectReason::kMissingField, "payload");
}

// A payload on another payload's topic is refused as topic_mismatch, naming both.
TEST_F(ValidatorTest, PayloadOnWrongTopic) {
  ExpectRejected(Outage(), RejectReason::kTopicMismatch, "outage", InputKind::kTickets);
  ExpectRejected(Outage(), RejectReason::kTopicMismatch, "tickets topic", InputKind::kTickets);
  ExpectRejected(Ticket(), RejectReason::kTopicMismatch, "ticket", InputKind::kRepeatCalls);
  ExpectRejected(RepeatCall(), RejectReason::kTopicMismatch, "repeat_call", InputKind::kOutages);
}

// event_id is required and must be printable ASCII of at most 128 characters.
TEST_F(ValidatorTest, EventId) {
  v1::Envelope e = Ticket();
  e.clear_event_id();
  ExpectRejected(e, RejectReason::kMissingField, "event_id");
  e.set_event_id("evt 1");
  ExpectRejected(e, RejectReason::kInvalidValue, "event_id");
  e.set_event_id(std::string(129, 'x'));
  ExpectRejected(e, RejectReason::kInvalidValue, "event_id");
  e.set_event_id(std::string(128, 'x'));
  EXPECT_EQ(Check(e), std::nullopt);
}

// event_time is required.
TEST_F(ValidatorTest, MissingEventTime) {
  v1::Envelope e = Ticket();
  e.clear_event_time();
  ExpectRejected(e, RejectReason::kMissingField, "event_time");
}

// event_time before 2000-01-01 is refused as invalid_timestamp; the first second of 2000 passes.
TEST_F(ValidatorTest, EventTimeBefore2000) {
  v1::Envelope e = Ticket();
  e.mutable_event_time()->set_seconds(946684799);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "event_time");
  e.mutable_event_time()->set_seconds(946684800);
  EXPECT_EQ(Check(e), std::nullopt);
}

// Malformed nanos are refused as invalid_timestamp.
TEST_F(ValidatorTest, EventTimeBadNanos) {
  v1::Envelope e = Ticket();
  e.mutable_event_time()->set_nanos(1000000000);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "event_time");
  e.mutable_event_time()->set_nanos(-1);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "event_time");
}

// Events more than the allowed skew (default 5 min) ahead of the clock are refused.
TEST_F(ValidatorTest, EventTimeInTheFuture) {
  v1::Envelope e = Ticket();
  const int64_t now_s = absl::ToUnixSeconds(now_);
  e.mutable_event_time()->set_seconds(now_s + 10 * 60);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "event_time");
  e.mutable_event_time()->set_seconds(now_s + 4 * 60);
  EXPECT_EQ(Check(e), std::nullopt);
  e.mutable_event_time()->set_seconds(now_s + 5 * 60);
  EXPECT_EQ(Check(e), std::nullopt);
  e.mutable_event_time()->set_nanos(1);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "event_time");
}

// The skew is configurable.
TEST_F(ValidatorTest, FutureSkewIsConfigurable) {
  v1::Envelope e = Ticket();
  e.mutable_event_time()->set_seconds(absl::ToUnixSeconds(now_) + 4 * 60);
  const auto r = Check(e, InputKind::kTickets, {.max_future_skew = absl::Minutes(1)});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, RejectReason::kInvalidTimestamp);
}

// The region, and its city code, are required.
TEST_F(ValidatorTest, MissingRegionOrCity) {
  v1::Envelope e = Ticket();
  e.clear_region();
  ExpectRejected(e, RejectReason::kMissingField, "region");
  e = Ticket();
  e.mutable_region()->clear_city_code();
  ExpectRejected(e, RejectReason::kMissingField, "region.city_code");
}

// City codes must be six digits "PPCC00" and not a province code.
TEST_F(ValidatorTest, BadCityCodes) {
  for (const char* city : {"370000", "37010", "3701000", "3701AB", "370101", "３７０１００"}) {
    v1::Envelope e = Ticket();
    e.mutable_region()->set_city_code(city);
    ExpectRejected(e, RejectReason::kInvalidRegion, "region.city_code");
  }
}

// A province code, when set, must contain the city.
TEST_F(ValidatorTest, ProvinceMustContainCity) {
  v1::Envelope e = Ticket();
  e.mutable_region()->set_province_code("380000");
  ExpectRejected(e, RejectReason::kInvalidRegion, "region.province_code");
}

// A county must share the city's first four digits and not end in "00".
TEST_F(ValidatorTest, CountyNotInsideCity) {
  for (const char* county : {"370202", "370100", "37010X", "3701022"}) {
    v1::Envelope e = Ticket();
    e.mutable_region()->set_county_code(county);
    ExpectRejected(e, RejectReason::kInvalidRegion, "region.county_code");
  }
}

// A station needs a county; an area needs a station.
TEST_F(ValidatorTest, LowerLevelsNeedTheirParents) {
  v1::Envelope e = RepeatCall();
  e.mutable_region()->clear_county_code();
  ExpectRejected(e, RejectReason::kMissingField, "region.county_code", InputKind::kRepeatCalls);
  e = RepeatCall();
  e.mutable_region()->clear_station_id();
  ExpectRejected(e, RejectReason::kMissingField, "region.station_id", InputKind::kRepeatCalls);
}

// Complaint tickets need a transformer area (the clustering key); other tickets do not.
TEST_F(ValidatorTest, ComplaintNeedsArea) {
  v1::Envelope e = Ticket();
  e.mutable_region()->clear_area_id();
  ExpectRejected(e, RejectReason::kMissingField, "region.area_id");
  e.mutable_ticket()->set_kind(v1::Ticket::FAULT_REPAIR);
  EXPECT_EQ(Check(e), std::nullopt);
}

// Station, feeder and area ids must be 1-32 characters of [A-Za-z0-9_-].
TEST_F(ValidatorTest, BadGridIds) {
  const struct {
    void (v1::Region::*set)(const std::string&);
    const char* field;
  } kFields[] = {{&v1::Region::set_station_id, "region.station_id"},
                 {&v1::Region::set_feeder_id, "region.feeder_id"},
                 {&v1::Region::set_area_id, "region.area_id"}};
  for (const auto& f : kFields) {
    for (const std::string& id :
         std::vector<std::string>{"T 01", "T/01", "台区1", std::string(33, 'a')}) {
      v1::Envelope e = Ticket();
      (e.mutable_region()->*f.set)(id);
      ExpectRejected(e, RejectReason::kInvalidRegion, f.field);
    }
  }
}

// Ticket ids are required and printable.
TEST_F(ValidatorTest, TicketId) {
  v1::Envelope e = Ticket();
  e.mutable_ticket()->clear_ticket_id();
  ExpectRejected(e, RejectReason::kMissingField, "ticket.ticket_id");
  e.mutable_ticket()->set_ticket_id("TK\n1");
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.ticket_id");
  e.mutable_ticket()->set_ticket_id(std::string(65, '1'));
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.ticket_id");
}

// Ticket kind and status are required; values outside the enum are invalid_value.
TEST_F(ValidatorTest, TicketEnums) {
  v1::Envelope e = Ticket();
  e.mutable_ticket()->set_kind(v1::Ticket::KIND_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kMissingField, "ticket.kind");
  e.mutable_ticket()->set_kind(static_cast<v1::Ticket::Kind>(99));
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.kind");
  e = Ticket();
  e.mutable_ticket()->set_status(v1::Ticket::STATUS_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kMissingField, "ticket.status");
  e.mutable_ticket()->set_status(static_cast<v1::Ticket::Status>(-1));
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.status");
}

// Complaints need a category; a category that is set must be known on any kind.
TEST_F(ValidatorTest, TicketCategory) {
  v1::Envelope e = Ticket();
  e.mutable_ticket()->set_category(v1::Ticket::CATEGORY_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kMissingField, "ticket.category");
  e.mutable_ticket()->set_kind(v1::Ticket::OPINION);
  EXPECT_EQ(Check(e), std::nullopt);
  e.mutable_ticket()->set_category(static_cast<v1::Ticket::Category>(42));
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.category");
}

// Tags must be known and not UNSPECIFIED; a set customer id must be printable.
TEST_F(ValidatorTest, TicketTagsAndCustomer) {
  v1::Envelope e = Ticket();
  e.mutable_ticket()->add_tags(v1::Ticket::TAG_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.tags");
  e = Ticket();
  e.mutable_ticket()->add_tags(static_cast<v1::Ticket::Tag>(77));
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.tags");
  e = Ticket();
  e.mutable_ticket()->set_customer_id("C 1");
  ExpectRejected(e, RejectReason::kInvalidValue, "ticket.customer_id");
}

// A deadline, when set, must be a valid timestamp.
TEST_F(ValidatorTest, TicketDeadline) {
  v1::Envelope e = Ticket();
  e.mutable_ticket()->mutable_deadline()->set_seconds(0);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "ticket.deadline");
}

// Outage id, kind and phase are required; unknown enum values are invalid_value.
TEST_F(ValidatorTest, OutageRequiredFields) {
  v1::Envelope e = Outage();
  e.mutable_outage()->clear_outage_id();
  ExpectRejected(e, RejectReason::kMissingField, "outage.outage_id", InputKind::kOutages);
  e = Outage();
  e.mutable_outage()->set_kind(v1::OutageEvent::KIND_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kMissingField, "outage.kind", InputKind::kOutages);
  e.mutable_outage()->set_kind(static_cast<v1::OutageEvent::Kind>(99));
  ExpectRejected(e, RejectReason::kInvalidValue, "outage.kind", InputKind::kOutages);
  e = Outage();
  e.mutable_outage()->set_phase(v1::OutageEvent::PHASE_UNSPECIFIED);
  ExpectRejected(e, RejectReason::kMissingField, "outage.phase", InputKind::kOutages);
  e.mutable_outage()->set_phase(static_cast<v1::OutageEvent::Phase>(99));
  ExpectRejected(e, RejectReason::kInvalidValue, "outage.phase", InputKind::kOutages);
}

// A started outage needs a scope; area and feeder ids must be grid ids.
TEST_F(ValidatorTest, OutageScope) {
  v1::Envelope e = Outage();
  e.mutable_outage()->clear_area_ids();
  e.mutable_outage()->clear_feeder_ids();
  ExpectRejected(e, RejectReason::kMissingField, "outage.area_ids", InputKind::kOutages);
  e.mutable_outage()->set_phase(v1::OutageEvent::NOTICED);
  EXPECT_EQ(Check(e, InputKind::kOutages), std::nullopt);
  e = Outage();
  e.mutable_outage()->add_area_ids("");
  ExpectRejected(e, RejectReason::kInvalidRegion, "outage.area_ids", InputKind::kOutages);
  e = Outage();
  e.mutable_outage()->add_feeder_ids("F 1");
  ExpectRejected(e, RejectReason::kInvalidRegion, "outage.feeder_ids", InputKind::kOutages);
}

// Notice coverage is per-mille: above 1000 is invalid_value.
TEST_F(ValidatorTest, OutageNoticeCoverage) {
  v1::Envelope e = Outage();
  e.mutable_outage()->set_notice_coverage_permille(1001);
  ExpectRejected(e, RejectReason::kInvalidValue, "outage.notice_coverage_permille",
                 InputKind::kOutages);
}

// The estimated restoration must not be before the start; equal is fine.
TEST_F(ValidatorTest, OutageRestorationBeforeStart) {
  v1::Envelope e = Outage();
  e.mutable_outage()->mutable_estimated_restoration()->set_seconds(kEventSeconds - 60);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "outage.estimated_restoration",
                 InputKind::kOutages);
  e.mutable_outage()->mutable_estimated_restoration()->set_seconds(kEventSeconds);
  EXPECT_EQ(Check(e, InputKind::kOutages), std::nullopt);
  e = Outage();
  e.mutable_outage()->mutable_start_time()->set_seconds(12);
  ExpectRejected(e, RejectReason::kInvalidTimestamp, "outage.start_time", InputKind::kOutages);
}

// Repeat calls need call and customer ids and a call count of at least 2.
TEST_F(ValidatorTest, RepeatCallFields) {
  v1::Envelope e = RepeatCall();
  e.mutable_repeat_call()->clear_call_id();
  ExpectRejected(e, RejectReason::kMissingField, "repeat_call.call_id", InputKind::kRepeatCalls);
  e = RepeatCall();
  e.mutable_repeat_call()->clear_customer_id();
  ExpectRejected(e, RejectReason::kMissingField, "repeat_call.customer_id",
                 InputKind::kRepeatCalls);
  e = RepeatCall();
  e.mutable_repeat_call()->set_linked_ticket_id("TK 1");
  ExpectRejected(e, RejectReason::kInvalidValue, "repeat_call.linked_ticket_id",
                 InputKind::kRepeatCalls);
  e = RepeatCall();
  e.mutable_repeat_call()->set_call_count(1);
  ExpectRejected(e, RejectReason::kInvalidValue, "repeat_call.call_count", InputKind::kRepeatCalls);
}

}  // namespace
}  // namespace vigil::ingest

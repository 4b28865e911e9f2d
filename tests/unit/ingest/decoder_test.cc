#include "processors/ingest/decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/printers.h"

namespace vigil::ingest {
namespace {

v1::Envelope SampleTicket() {
  v1::Envelope e;
  e.set_event_id("evt-1");
  e.mutable_event_time()->set_seconds(1784102400);  // 2026-07-15T08:00:00Z
  e.set_source("95598-core");
  v1::Region* r = e.mutable_region();
  r->set_city_code("370100");
  r->set_county_code("370102");
  r->set_station_id("S01");
  r->set_area_id("T0001");
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id("TK1");
  t->set_kind(v1::Ticket::COMPLAINT);
  t->set_category(v1::Ticket::LOW_VOLTAGE);
  t->set_status(v1::Ticket::ACCEPTED);
  t->add_tags(v1::Ticket::SENSITIVE);
  return e;
}

constexpr char kSampleJson[] = R"json({
  "eventId": "evt-1",
  "eventTime": "2026-07-15T08:00:00Z",
  "source": "95598-core",
  "region": {"cityCode": "370100", "countyCode": "370102", "stationId": "S01",
             "areaId": "T0001"},
  "ticket": {"ticketId": "TK1", "kind": "COMPLAINT", "category": "LOW_VOLTAGE",
             "status": "ACCEPTED", "tags": ["SENSITIVE"]}
})json";

// A binary Protobuf envelope decodes to an equal message.
TEST(DecoderTest, BinaryProtobufRoundTrips) {
  const std::string bytes = SampleTicket().SerializeAsString();
  v1::Envelope out;
  EXPECT_EQ(Decode(bytes, Format::kProtobuf, &out), std::nullopt);
  EXPECT_EQ(out.SerializeAsString(), bytes);
  EXPECT_EQ(out.ticket().category(), v1::Ticket::LOW_VOLTAGE);
}

// Proto3 JSON with camelCase names and enum names decodes to the same message.
TEST(DecoderTest, Proto3JsonWithEnumNames) {
  v1::Envelope out;
  EXPECT_EQ(Decode(kSampleJson, Format::kJson, &out), std::nullopt);
  EXPECT_EQ(out.SerializeAsString(), SampleTicket().SerializeAsString());
}

// JSON may also use the original field names and enum numbers.
TEST(DecoderTest, JsonAcceptsOriginalFieldNamesAndEnumNumbers) {
  v1::Envelope out;
  EXPECT_EQ(Decode(R"({"event_id": "evt-2", "ticket": {"kind": 1, "status": "ACCEPTED"}})",
                   Format::kJson, &out),
            std::nullopt);
  EXPECT_EQ(out.event_id(), "evt-2");
  EXPECT_EQ(out.ticket().kind(), v1::Ticket::COMPLAINT);
  EXPECT_EQ(out.ticket().status(), v1::Ticket::ACCEPTED);
}

// Unknown JSON fields, at the top and nested, are ignored (forward compatibility).
TEST(DecoderTest, UnknownJsonFieldsAreIgnored) {
  v1::Envelope out;
  EXPECT_EQ(Decode(R"({"eventId": "evt-3", "futureField": {"x": [1, 2]},
                       "ticket": {"ticketId": "TK3", "priority": "HIGH", "kind": "REPORT"}})",
                   Format::kJson, &out),
            std::nullopt);
  EXPECT_EQ(out.event_id(), "evt-3");
  EXPECT_EQ(out.ticket().ticket_id(), "TK3");
  EXPECT_EQ(out.ticket().kind(), v1::Ticket::REPORT);
  // Enum-looking values inside unknown fields are not checked either.
  EXPECT_EQ(Decode(R"({"eventId": "e", "futureKind": "NEW_KIND", "ticket": {"kind": "REPORT"}})",
                   Format::kJson, &out),
            std::nullopt);
}

// An enum name the schema does not know is refused, not silently turned into UNSPECIFIED.
TEST(DecoderTest, UnknownJsonEnumNameIsDecodeFailure) {
  v1::Envelope out;
  const auto r =
      Decode(R"({"eventId": "evt-4", "ticket": {"kind": "COMPLAIN"}})", Format::kJson, &out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, RejectReason::kDecodeFailed);
  EXPECT_NE(r->detail.find("ticket.kind: unknown enum value \"COMPLAIN\""), std::string::npos)
      << r->detail;
}

// An unknown enum name inside a repeated enum field is refused too.
TEST(DecoderTest, UnknownJsonEnumNameInRepeatedFieldIsDecodeFailure) {
  v1::Envelope out;
  const auto r = Decode(R"({"ticket": {"tags": ["SENSITIVE", "VIP"]}})", Format::kJson, &out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, RejectReason::kDecodeFailed);
}

// Bytes that are not a binary Protobuf envelope are refused.
TEST(DecoderTest, GarbageBytesAreDecodeFailure) {
  v1::Envelope out;
  for (const std::string& bytes : {std::string("\x0a\x05"
                                               "ab",
                                               4),                      // truncated length
                                   std::string("\xff\xff\xff\xff", 4),  // truncated varint
                                   std::string("\x0f", 1)}) {           // wire type 7
    const auto r = Decode(bytes, Format::kProtobuf, &out);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->reason, RejectReason::kDecodeFailed);
    EXPECT_NE(r->detail.find("binary Protobuf"), std::string::npos) << r->detail;
  }
}

// Text that is not JSON, or JSON of the wrong shape, is refused.
TEST(DecoderTest, MalformedJsonIsDecodeFailure) {
  v1::Envelope out;
  for (const char* text :
       {"{not json", "[1, 2]", R"({"eventId": 5})", R"({"eventTime": "yesterday"})"}) {
    const auto r = Decode(text, Format::kJson, &out);
    ASSERT_TRUE(r.has_value()) << text;
    EXPECT_EQ(r->reason, RejectReason::kDecodeFailed) << text;
    EXPECT_NE(r->detail.find("proto3 JSON"), std::string::npos) << r->detail;
  }
}

// An empty record value is refused in both formats.
TEST(DecoderTest, EmptyValueIsDecodeFailure) {
  v1::Envelope out;
  for (Format format : {Format::kProtobuf, Format::kJson}) {
    const auto r = Decode("", format, &out);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->reason, RejectReason::kDecodeFailed);
    EXPECT_EQ(r->detail, "empty record value");
  }
}

// Decoding clears what the output message held before.
TEST(DecoderTest, ClearsPreviousContent) {
  v1::Envelope out = SampleTicket();
  EXPECT_EQ(Decode(R"({"eventId": "evt-5"})", Format::kJson, &out), std::nullopt);
  EXPECT_EQ(out.event_id(), "evt-5");
  EXPECT_FALSE(out.has_ticket());
  EXPECT_FALSE(out.has_region());
}

// Reason codes are the stable strings of the dead-letter header.
TEST(RejectionTest, ReasonCodesAreStable) {
  EXPECT_EQ(ReasonCode(RejectReason::kDecodeFailed), "decode_failed");
  EXPECT_EQ(ReasonCode(RejectReason::kMissingField), "missing_field");
  EXPECT_EQ(ReasonCode(RejectReason::kInvalidRegion), "invalid_region");
  EXPECT_EQ(ReasonCode(RejectReason::kInvalidTimestamp), "invalid_timestamp");
  EXPECT_EQ(ReasonCode(RejectReason::kInvalidValue), "invalid_value");
  EXPECT_EQ(ReasonCode(RejectReason::kTopicMismatch), "topic_mismatch");
  EXPECT_EQ(ReasonCode(RejectReason::kLate), "late");
}

}  // namespace
}  // namespace vigil::ingest

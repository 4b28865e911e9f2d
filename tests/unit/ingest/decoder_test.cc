#include "processors/ingest/decoder.h"

#include <google/protobuf/util/json_util.h>
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

// Records outside the decoder's fast path (escapes, non-ASCII, numbers as
// strings, floats, nulls, repeated members, enum numbers, UTC offsets) decode
// exactly as protobuf's own parser reads them.
TEST(DecoderTest, JsonOutsideTheFastPathDecodesAsProtobufDoes) {
  for (const char* text : {
           R"({"eventId": "a\"b\u4e2d", "source": "中文"})",
           R"({"eventId": "a", "eventId": "b", "event_id": "c"})",
           R"({"region": {"cityCode": "370100"}, "region": {"areaId": "T1"}})",
           R"({"ticket": {"kind": 99, "tags": ["SENSITIVE", 2], "ticketId": "t"}})",
           R"({"outage": {"affectedCustomers": "5", "areaIds": "A1"}})",
           R"({"outage": {"affectedCustomers": 5.0, "noticeCoveragePermille": 1e2}})",
           R"({"eventTime": null, "ticket": {"deadline": null}, "x": [1.5, null, {"y": -0}]})",
           R"({"eventTime": "2026-07-01T08:00:00.5+08:00"})",
           R"({"eventTime": "0001-01-01T00:00:00+01:00"})",  // before Timestamp's range
           R"({"eventTime": "9999-12-31T23:59:59-01:00"})",  // after it
           R"( {"eventId" : "e" ,"futureField": {"a": [true, false, 12]}} )",
       }) {
    v1::Envelope expected;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &expected, options).ok()) << text;
    v1::Envelope out;
    EXPECT_EQ(Decode(text, Format::kJson, &out), std::nullopt) << text;
    EXPECT_EQ(out.SerializeAsString(), expected.SerializeAsString()) << text;
  }
}

// What protobuf's parser refuses is refused with its message, whichever path saw it first.
TEST(DecoderTest, JsonRefusalsKeepProtobufsMessages) {
  v1::Envelope out;
  const auto invalid_utf8 = Decode("{\"eventId\": \"\xff\"}", Format::kJson, &out);
  ASSERT_TRUE(invalid_utf8.has_value());
  EXPECT_NE(invalid_utf8->detail.find("UTF-8"), std::string::npos) << invalid_utf8->detail;
  const auto two_payloads = Decode(R"({"ticket": {}, "outage": {}})", Format::kJson, &out);
  ASSERT_TRUE(two_payloads.has_value());
  EXPECT_NE(two_payloads->detail.find("oneof"), std::string::npos) << two_payloads->detail;
  const auto range =
      Decode(R"({"outage": {"affectedCustomers": 4294967296}})", Format::kJson, &out);
  ASSERT_TRUE(range.has_value());
  EXPECT_NE(range->detail.find("outage.affected_customers"), std::string::npos) << range->detail;
  const auto trailing = Decode(R"({"eventId": "e"} x)", Format::kJson, &out);
  ASSERT_TRUE(trailing.has_value());
  EXPECT_EQ(trailing->reason, RejectReason::kDecodeFailed);
}

// Of two unknown enum names, the one under the first member in name order is reported.
TEST(DecoderTest, UnknownJsonEnumNamesReportedInNameOrder) {
  v1::Envelope out;
  const auto r =
      Decode(R"({"ticket": {"status": "CLOSE0", "kind": "F}ULT"}})", Format::kJson, &out);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->detail.find("ticket.kind: unknown enum value \"F}ULT\""), std::string::npos)
      << r->detail;
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

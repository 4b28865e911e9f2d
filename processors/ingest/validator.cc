#include "processors/ingest/validator.h"

#include "absl/strings/str_cat.h"
#include "processors/ingest/region.h"

namespace vigil::ingest {
namespace {

// 2000-01-01T00:00:00Z: nothing in a 95598 stream is older.
constexpr int64_t kMinEventSeconds = 946684800;

bool IsPrintableId(std::string_view id, size_t max_len) {
  if (id.empty() || id.size() > max_len) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::optional<Rejection> CheckId(std::string_view field, std::string_view id, size_t max_len) {
  if (id.empty()) return Rejection{RejectReason::kMissingField, std::string(field)};
  if (!IsPrintableId(id, max_len)) {
    return Rejection{
        RejectReason::kInvalidValue,
        absl::StrCat(std::string(field), " must be 1-", max_len, " printable ASCII characters")};
  }
  return std::nullopt;
}

template <typename Enum>
std::optional<Rejection> CheckEnum(std::string_view field, int value, bool (*is_valid)(int)) {
  if (value == 0) return Rejection{RejectReason::kMissingField, std::string(field)};
  if (!is_valid(value)) {
    return Rejection{RejectReason::kInvalidValue,
                     absl::StrCat(std::string(field), " has unknown value ", value)};
  }
  return std::nullopt;
}

std::optional<Rejection> CheckTimestamp(std::string_view field,
                                        const google::protobuf::Timestamp& ts) {
  if (ts.seconds() < kMinEventSeconds || ts.nanos() < 0 || ts.nanos() > 999999999) {
    return Rejection{RejectReason::kInvalidTimestamp,
                     absl::StrCat(std::string(field), " (", ts.seconds(),
                                  "s) is before 2000-01-01 or malformed")};
  }
  return std::nullopt;
}

#define VIGIL_CHECK(expr)                       \
  if (std::optional<Rejection> r = (expr); r) { \
    return r;                                   \
  }

std::optional<Rejection> CheckTicket(const v1::Ticket& t) {
  VIGIL_CHECK(CheckId("ticket.ticket_id", t.ticket_id(), 64));
  VIGIL_CHECK(CheckEnum<v1::Ticket::Kind>("ticket.kind", t.kind(), v1::Ticket::Kind_IsValid));
  VIGIL_CHECK(
      CheckEnum<v1::Ticket::Status>("ticket.status", t.status(), v1::Ticket::Status_IsValid));
  if (t.kind() == v1::Ticket::COMPLAINT || t.category() != 0) {
    VIGIL_CHECK(CheckEnum<v1::Ticket::Category>("ticket.category", t.category(),
                                                v1::Ticket::Category_IsValid));
  }
  if (!t.customer_id().empty()) VIGIL_CHECK(CheckId("ticket.customer_id", t.customer_id(), 64));
  for (int tag : t.tags()) {
    if (tag == 0 || !v1::Ticket::Tag_IsValid(tag)) {
      return Rejection{RejectReason::kInvalidValue, absl::StrCat("ticket.tags has value ", tag)};
    }
  }
  if (t.has_deadline()) VIGIL_CHECK(CheckTimestamp("ticket.deadline", t.deadline()));
  return std::nullopt;
}

std::optional<Rejection> CheckOutage(const v1::OutageEvent& o) {
  VIGIL_CHECK(CheckId("outage.outage_id", o.outage_id(), 64));
  VIGIL_CHECK(
      CheckEnum<v1::OutageEvent::Kind>("outage.kind", o.kind(), v1::OutageEvent::Kind_IsValid));
  VIGIL_CHECK(
      CheckEnum<v1::OutageEvent::Phase>("outage.phase", o.phase(), v1::OutageEvent::Phase_IsValid));
  for (const auto& id : o.area_ids()) {
    if (!IsGridId(id)) {
      return Rejection{
          RejectReason::kInvalidRegion,
          absl::StrCat("outage.area_ids entry '", id, "' is not 1-32 of [A-Za-z0-9_-]")};
    }
  }
  for (const auto& id : o.feeder_ids()) {
    if (!IsGridId(id)) {
      return Rejection{
          RejectReason::kInvalidRegion,
          absl::StrCat("outage.feeder_ids entry '", id, "' is not 1-32 of [A-Za-z0-9_-]")};
    }
  }
  if (o.phase() == v1::OutageEvent::STARTED && o.area_ids().empty() && o.feeder_ids().empty()) {
    return Rejection{RejectReason::kMissingField, "outage.area_ids or outage.feeder_ids"};
  }
  if (o.notice_coverage_permille() > 1000) {
    return Rejection{RejectReason::kInvalidValue, "outage.notice_coverage_permille above 1000"};
  }
  if (o.has_start_time()) VIGIL_CHECK(CheckTimestamp("outage.start_time", o.start_time()));
  if (o.has_estimated_restoration()) {
    VIGIL_CHECK(CheckTimestamp("outage.estimated_restoration", o.estimated_restoration()));
    if (o.has_start_time() && o.estimated_restoration().seconds() < o.start_time().seconds()) {
      return Rejection{RejectReason::kInvalidTimestamp,
                       "outage.estimated_restoration is before outage.start_time"};
    }
  }
  return std::nullopt;
}

std::optional<Rejection> CheckRepeatCall(const v1::RepeatCall& c) {
  VIGIL_CHECK(CheckId("repeat_call.call_id", c.call_id(), 64));
  VIGIL_CHECK(CheckId("repeat_call.customer_id", c.customer_id(), 64));
  if (!c.linked_ticket_id().empty()) {
    VIGIL_CHECK(CheckId("repeat_call.linked_ticket_id", c.linked_ticket_id(), 64));
  }
  if (c.call_count() == 1) {
    return Rejection{RejectReason::kInvalidValue, "repeat_call.call_count must be >= 2"};
  }
  return std::nullopt;
}

std::string_view TopicName(InputKind kind) {
  switch (kind) {
    case InputKind::kTickets:
      return "tickets";
    case InputKind::kOutages:
      return "outages";
    case InputKind::kRepeatCalls:
      return "repeat-calls";
  }
  return "?";
}

}  // namespace

std::optional<Rejection> Validate(const v1::Envelope& e, InputKind kind, absl::Time now,
                                  const ValidationOptions& options) {
  using P = v1::Envelope::PayloadCase;
  const P expected = kind == InputKind::kTickets   ? P::kTicket
                     : kind == InputKind::kOutages ? P::kOutage
                                                   : P::kRepeatCall;
  if (e.payload_case() == P::PAYLOAD_NOT_SET) {
    return Rejection{RejectReason::kMissingField, "payload (ticket, outage or repeat_call)"};
  }
  if (e.payload_case() != expected) {
    const auto* desc = v1::Envelope::descriptor();
    return Rejection{RejectReason::kTopicMismatch,
                     absl::StrCat("payload ", desc->FindFieldByNumber(e.payload_case())->name(),
                                  " on the ", std::string(TopicName(kind)), " topic (expected ",
                                  desc->FindFieldByNumber(expected)->name(), ")")};
  }
  VIGIL_CHECK(CheckId("event_id", e.event_id(), 128));
  if (!e.has_event_time()) return Rejection{RejectReason::kMissingField, "event_time"};
  VIGIL_CHECK(CheckTimestamp("event_time", e.event_time()));
  const absl::Time event_time =
      absl::FromUnixSeconds(e.event_time().seconds()) + absl::Nanoseconds(e.event_time().nanos());
  if (event_time > now + options.max_future_skew) {
    return Rejection{RejectReason::kInvalidTimestamp,
                     absl::StrCat("event_time ", absl::FormatTime(event_time), " is more than ",
                                  absl::FormatDuration(options.max_future_skew),
                                  " ahead of the clock (", absl::FormatTime(now), ")")};
  }
  if (!e.has_region()) return Rejection{RejectReason::kMissingField, "region"};
  const bool needs_area = e.has_ticket() && e.ticket().kind() == v1::Ticket::COMPLAINT;
  VIGIL_CHECK(CheckRegion(e.region(), needs_area));
  switch (e.payload_case()) {
    case P::kTicket:
      return CheckTicket(e.ticket());
    case P::kOutage:
      return CheckOutage(e.outage());
    case P::kRepeatCall:
      return CheckRepeatCall(e.repeat_call());
    case P::PAYLOAD_NOT_SET:
      break;
  }
  return std::nullopt;
}

InputKind KindOfPayload(const v1::Envelope& event) {
  switch (event.payload_case()) {
    case v1::Envelope::kOutage:
      return InputKind::kOutages;
    case v1::Envelope::kRepeatCall:
      return InputKind::kRepeatCalls;
    default:
      return InputKind::kTickets;
  }
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ms = absl::ToUnixMillis(t);
  ts.set_seconds(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  ts.set_nanos(static_cast<int32_t>((ms - ts.seconds() * 1000) * 1000000));
  return ts;
}

}  // namespace vigil::ingest

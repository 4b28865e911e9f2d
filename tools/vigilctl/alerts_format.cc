#include "tools/vigilctl/alerts_format.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "processors/warnings/warning_format.h"

namespace vigil::vigilctl {
namespace {

constexpr char kTableTime[] = "%Y-%m-%d %H:%M:%S";
constexpr char kDetailTime[] = "%Y-%m-%d %H:%M:%S %Ez";

bool IsSet(const google::protobuf::Timestamp& ts) { return ts.seconds() != 0 || ts.nanos() != 0; }

// Newlines and tabs in free text would break a one-line-per-event table.
std::string OneLine(const std::string& text) {
  std::string out = text;
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return out;
}

std::string TableTime(const google::protobuf::Timestamp& ts, absl::TimeZone zone) {
  if (!IsSet(ts)) return std::string(19, '-');
  return absl::FormatTime(kTableTime, ToTime(ts), zone);
}

// "2026-07-01 10:05:00 +08:00 (in 12m)" / "(5m ago)"; "-" when unset.
std::string DetailTime(const google::protobuf::Timestamp& ts, absl::Time now, absl::TimeZone zone,
                       bool relative) {
  if (!IsSet(ts)) return "-";
  const absl::Time t = ToTime(ts);
  std::string out = absl::FormatTime(kDetailTime, t, zone);
  if (relative) {
    const absl::Duration d = t - now;
    if (absl::AbsDuration(d) < absl::Seconds(1)) {
      absl::StrAppend(&out, " (now)");
    } else if (d > absl::ZeroDuration()) {
      absl::StrAppend(&out, " (in ", ShortDuration(d), ")");
    } else {
      absl::StrAppend(&out, " (", ShortDuration(d), " ago)");
    }
  }
  return out;
}

struct Deadline {
  const char* label;  // "ack ", "feedback " or "" (the rule's time limit)
  absl::Time at;
};

std::string StateName(v1::WarningState state) {
  return state == v1::WARNING_STATE_UNSPECIFIED ? "-" : v1::WarningState_Name(state);
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return absl::InfinitePast();
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string ShortDuration(absl::Duration d) {
  const int64_t s = absl::ToInt64Seconds(absl::AbsDuration(d));
  constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
  if (s < kMinute) return absl::StrCat(s, "s");
  if (s < kHour) return absl::StrCat(s / kMinute, "m");
  if (s < kDay) {
    const int64_t m = s % kHour / kMinute;
    return m == 0 ? absl::StrCat(s / kHour, "h") : absl::StrCat(s / kHour, "h", m, "m");
  }
  const int64_t h = s % kDay / kHour;
  return h == 0 ? absl::StrCat(s / kDay, "d") : absl::StrCat(s / kDay, "d", h, "h");
}

std::string Countdown(const v1::Warning& w, absl::Time at) {
  const v1::Lifecycle& l = w.lifecycle();
  const bool awaiting_ack = w.state() == v1::OPEN || w.state() == v1::REOPENED;
  const bool awaiting_feedback = awaiting_ack || w.state() == v1::ACKNOWLEDGED;
  std::vector<Deadline> pending;
  if (awaiting_ack && IsSet(l.ack_deadline()))
    pending.push_back({"ack ", ToTime(l.ack_deadline())});
  if (awaiting_feedback && IsSet(l.feedback_deadline())) {
    pending.push_back({"feedback ", ToTime(l.feedback_deadline())});
  }
  if (IsSet(w.deadline()) && !l.condition_cleared() && w.state() != v1::CLOSED) {
    pending.push_back({"", ToTime(w.deadline())});
  }
  if (pending.empty()) return "";
  // The earliest; on a tie the first listed (what the unit does next).
  const Deadline next =
      *std::min_element(pending.begin(), pending.end(),
                        [](const Deadline& a, const Deadline& b) { return a.at < b.at; });
  const absl::Duration left = next.at - at;
  if (absl::AbsDuration(left) < absl::Seconds(1)) return absl::StrCat(next.label, "due now");
  if (left > absl::ZeroDuration()) return absl::StrCat(next.label, "due in ", ShortDuration(left));
  return absl::StrCat(next.label, "overdue ", ShortDuration(left));
}

std::string EventTableHeader() {
  return absl::StrFormat("%-19s  %-3s  %-18s  %-6s  %-28s  %-27s  %-4s  %-13s  %-22s  %s", "TIME",
                         "GR", "STATE", "RULE", "REGION", "WARNING", "VER", "TYPE", "COUNTDOWN",
                         "MESSAGE");
}

std::string FormatEventLine(const v1::WarningEvent& event, absl::TimeZone zone) {
  const v1::Warning& w = event.warning();
  const absl::Time at = ToTime(w.updated_at());
  const std::string type = event.type() == v1::WarningEvent::TYPE_UNSPECIFIED
                               ? "-"
                               : v1::WarningEvent::Type_Name(event.type());
  return absl::StrFormat(
      "%-19s  %-3s  %-18s  %-6s  %-28s  %-27s  %-4s  %-13s  %-22s  %s",
      TableTime(w.updated_at(), zone), std::string(warnings::GradeRoman(w.grade())),
      StateName(w.state()), OrDash(w.rule_id()), OrDash(w.region_key()), OrDash(w.warning_id()),
      absl::StrCat("v", w.version()), type,
      OrDash(at == absl::InfinitePast() ? "" : Countdown(w, at)), OneLine(w.message()));
}

std::string WarningTableHeader() {
  return absl::StrFormat("%-19s  %-3s  %-18s  %-6s  %-28s  %-27s  %-4s  %-22s  %s", "UPDATED", "GR",
                         "STATE", "RULE", "REGION", "WARNING", "VER", "COUNTDOWN", "TITLE");
}

std::string FormatWarningLine(const v1::Warning& w, absl::Time now, absl::TimeZone zone) {
  return absl::StrFormat(
      "%-19s  %-3s  %-18s  %-6s  %-28s  %-27s  %-4s  %-22s  %s", TableTime(w.updated_at(), zone),
      std::string(warnings::GradeRoman(w.grade())), StateName(w.state()), OrDash(w.rule_id()),
      OrDash(w.region_key()), OrDash(w.warning_id()), absl::StrCat("v", w.version()),
      OrDash(Countdown(w, now)), OneLine(w.title()));
}

std::string FormatWarningDetail(const v1::Warning& w, absl::Time now, absl::TimeZone zone) {
  std::string out;
  auto line = [&out](const char* name, const std::string& value) {
    absl::StrAppend(&out, absl::StrFormat("  %-19s %s\n", absl::StrCat(name, ":"), value));
  };
  auto time = [&](const google::protobuf::Timestamp& ts) {
    return DetailTime(ts, now, zone, /*relative=*/true);
  };
  absl::StrAppend(&out, w.warning_id(), "  v", w.version(), "\n");
  line("title", OneLine(w.title()));
  line("message", OneLine(w.message()));
  line("rule", absl::StrCat(OrDash(w.rule_id()), " (version ", OrDash(w.rule_version()), ")"));
  line("key", OrDash(w.key()));
  line("grade", std::string(warnings::GradeRoman(w.grade())));
  line("state", StateName(w.state()));
  line("owner level", OrDash(w.owner_level()));
  line("region", OrDash(w.region_key()));
  if (!w.customer_id().empty()) line("customer", w.customer_id());
  if (w.customer_tags_size() > 0) {
    std::vector<std::string> tags;
    for (int tag : w.customer_tags()) {
      tags.push_back(v1::CustomerTag_Name(static_cast<v1::CustomerTag>(tag)));
    }
    line("customer tags", absl::StrJoin(tags, " "));
  }
  if (w.category() != v1::Ticket::CATEGORY_UNSPECIFIED) {
    line("category", v1::Ticket::Category_Name(w.category()));
  }
  if (w.folded_keys_size() > 0) line("folded", absl::StrJoin(w.folded_keys(), " "));
  line("raised", DetailTime(w.raised_at(), now, zone, /*relative=*/false));
  line("updated", DetailTime(w.updated_at(), now, zone, /*relative=*/false));
  line("deadline", time(w.deadline()));
  line("next", OrDash(Countdown(w, now)));

  const v1::Lifecycle& l = w.lifecycle();
  absl::StrAppend(&out, "lifecycle\n");
  line("ack deadline", time(l.ack_deadline()));
  line("feedback deadline", time(l.feedback_deadline()));
  auto who_when = [&](const std::string& who, const google::protobuf::Timestamp& when) {
    if (who.empty() && !IsSet(when)) return std::string("-");
    return absl::StrCat("by ", OrDash(who), " at ",
                        DetailTime(when, now, zone, /*relative=*/false));
  };
  line("acknowledged", who_when(l.acknowledged_by(), l.acknowledged_at()));
  line("feedback", who_when(l.feedback_by(), l.feedback_at()));
  if (!l.feedback().empty()) line("feedback text", OneLine(l.feedback()));
  line("closed", who_when(l.closed_by(), l.closed_at()));
  if (IsSet(l.lookback_until())) line("look-back until", time(l.lookback_until()));
  line("counters", absl::StrCat("escalations ", l.escalations(), ", reopenings ", l.reopenings(),
                                ", urges ", l.urges()));
  line("condition cleared", l.condition_cleared() ? "yes" : "no");

  const v1::Evidence& e = w.evidence();
  absl::StrAppend(&out, "evidence\n");
  line("count", absl::StrCat(e.count()));
  line("window", absl::StrCat(DetailTime(e.window_start(), now, zone, /*relative=*/false), " .. ",
                              DetailTime(e.window_end(), now, zone, /*relative=*/false)));
  line("events", e.event_ids_size() == 0 ? "-" : absl::StrJoin(e.event_ids(), " "));
  if (e.subject_ids_size() > 0) line("subjects", absl::StrJoin(e.subject_ids(), " "));

  absl::StrAppend(&out, "timer history", w.timer_history_size() == 0 ? ": none\n" : "\n");
  for (const v1::TimerRecord& t : w.timer_history()) {
    absl::StrAppend(&out, "  ", DetailTime(t.due(), now, zone, /*relative=*/false), "  ",
                    v1::TimerRecord::Kind_Name(t.kind()), "\n");
  }
  return out;
}

std::string FormatCommandResult(const v1::CommandResult& r) {
  const std::string what = absl::StrCat(r.action() == v1::WarningCommand::ACTION_UNSPECIFIED
                                            ? "command"
                                            : v1::WarningCommand::Action_Name(r.action()),
                                        " ", OrDash(r.warning_id()));
  const std::string details =
      absl::StrCat("warning version ", r.warning_version(), ", command ", OrDash(r.command_id()));
  if (r.accepted()) return absl::StrCat("accepted: ", what, " (", details, ")");
  return absl::StrCat("rejected (", v1::CommandResult::Code_Name(r.code()),
                      "): ", OrDash(OneLine(r.reason())), " (", what, ", ", details, ")");
}

absl::StatusOr<std::string> JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot write ", message.GetTypeName(),
                                            " as JSON: ", std::string(status.message())));
  }
  return json;
}

}  // namespace vigil::vigilctl

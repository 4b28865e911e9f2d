#pragma once

// How `vigilctl alerts` shows AlertService messages: a table line per warning
// event or warning, the full detail of one warning, a command result in words,
// and proto3-JSON lines for scripts. Pure functions: the time zone and "now"
// come from the caller, so the same message always gives the same text.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "vigil/v1/command.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::vigilctl {

// absl::Time of a Timestamp; absl::InfinitePast() when unset (zero).
absl::Time ToTime(const google::protobuf::Timestamp& ts);

// A short, rounded-down length: "45s", "12m", "2h", "2h5m", "3d", "3d4h".
// Negative lengths are shown by their magnitude.
std::string ShortDuration(absl::Duration d);

// The next deadline the warning waits for, seen at time `at`:
//   "ack due in 12m", "ack overdue 5m"  (OPEN, REOPENED: lifecycle.ack_deadline)
//   "feedback due in 2h"                (OPEN, REOPENED, ACKNOWLEDGED: lifecycle.feedback_deadline)
//   "due in 40m", "overdue 5m"          (warning.deadline, the rule's time limit, until the
//                                        condition cleared or the warning closed)
// The earliest of those that apply; "due now" within a second of it; "" when
// none applies.
std::string Countdown(const v1::Warning& warning, absl::Time at);

// Column titles for FormatEventLine.
std::string EventTableHeader();

// One table line for an event: its time (warning.updated_at, the event time of
// the change, in `zone`), grade, state, rule, region key, warning id, version,
// event type, the countdown at that time, and the message on one line.
// Deterministic: nothing depends on the wall clock.
std::string FormatEventLine(const v1::WarningEvent& event, absl::TimeZone zone);

// Column titles for FormatWarningLine.
std::string WarningTableHeader();

// One table line for a warning (`alerts list`): last change, grade, state,
// rule, region key, warning id, version, countdown at `now`, title.
std::string FormatWarningLine(const v1::Warning& warning, absl::Time now, absl::TimeZone zone);

// Everything about one warning (`alerts show`), several lines ending in '\n':
// grade, state, owner level, deadlines (with how far off they are at `now`),
// lifecycle, evidence and timer history.
std::string FormatWarningDetail(const v1::Warning& warning, absl::Time now, absl::TimeZone zone);

// A command result in one line: "accepted: ACKNOWLEDGE R13-… (warning version 4,
// command jinan/c-1)" or "rejected (WRONG_STATE): reason (…)".
std::string FormatCommandResult(const v1::CommandResult& result);

// `message` as one line of proto3 JSON with the .proto field names
// ("ledger_seq", not "ledgerSeq"), no trailing newline.
absl::StatusOr<std::string> JsonLine(const google::protobuf::Message& message);

}  // namespace vigil::vigilctl

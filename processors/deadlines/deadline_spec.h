#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/reference.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::deadlines {

// A time limit: a fixed duration, or a number of working days on the business
// calendar (then `duration` is zero).
struct Limit {
  absl::Duration duration = absl::ZeroDuration();
  int working_days = 0;  // > 0: working days
  bool operator==(const Limit&) const = default;
};

// One row of rules/limits/time_limits.yaml: the limit of one clock for a ticket
// kind, optionally narrowed by subtype and area class.
struct TimeLimitRow {
  std::string clock;    // e.g. "repair_arrival", "complaint_reply"
  std::string subtype;  // "" = any subtype
  v1::AreaClass area_class = v1::AREA_CLASS_UNSPECIFIED;  // UNSPECIFIED = any class
  Limit limit;
  std::string source;  // where the number comes from (URL / document)
  std::string tag;     // "S", "S*", "M" or "I" (95598.md conventions)
  std::string file;
  int line = 0;
};

// A point on a clock, relative to its deadline D and its limit L (the clock
// started at D - L, pauses excluded).
struct ClockPoint {
  enum class Kind {
    kFraction,  // `fraction` of L elapsed: 0.7 = 70 % (before D), 2.0 = at D + L
    kBefore,    // `amount` before D (working days on the calendar)
    kAfter,     // `amount` after D
    kSinceStart,  // `amount` after the clock started (pauses excluded)
  };
  Kind kind = Kind::kFraction;
  double fraction = 0;
  Limit amount;
  bool operator==(const ClockPoint&) const = default;
};

// A notice (countdown before the deadline, escalation after it) at a point of
// the clock, raising the warning to at least `grade`.
struct Step {
  ClockPoint at;
  v1::Grade grade = v1::GRADE_UNSPECIFIED;
  // R14 only: the step acts only while the outage's notice coverage (per-mille)
  // is below this; 0 = unconditional.
  uint32_t coverage_below_permille = 0;
  int line = 0;
};

// While overdue (from the deadline on), a customer with any of `tags`
// (ticket tags ∪ reference tags) lifts the grade to at least `grade`.
struct OverdueFloor {
  std::vector<v1::Ticket::Tag> tags;
  v1::Grade grade = v1::GRADE_UNSPECIFIED;
};

// R07: urges (催办, URGE tickets whose related_ticket_id names the open
// ticket) counted per ticket; the grade of the highest reached count.
struct UrgeGrade {
  uint32_t count = 0;  // >= 1
  v1::Grade grade = v1::GRADE_UNSPECIFIED;
};

// A deadline rule (R01–R07, R14, R15, R21) from rules/deadlines/*.yaml.
//
// Ticket clocks start on the first event of the ticket with a status in
// `starts_on` and stop (the warning resolves) on a status in `stops_on`;
// SUSPENDED / RESUMED pause and resume them (pauses extend the deadline).
// Outage clocks start on a phase in `starts_on_phase`; R14 measures its steps
// back from the outage's planned start (`anchor: outage_start`).
struct DeadlineRule {
  enum class Subject { kTicket, kOutage };
  enum class Anchor {
    kClockStart,   // deadline = start + limit (pauses added)
    kOutageStart,  // deadline = OutageEvent.start_time (R14: planned start)
  };
  enum class Mode {
    kCountdown,  // notices / overdue / escalations on the clock
    kUrges,      // R07: count urges on the open ticket
  };

  std::string id;
  std::string version;
  std::string title;
  std::string description;
  Subject subject = Subject::kTicket;
  Mode mode = Mode::kCountdown;

  // Which tickets (ticket subject): empty = any.
  std::vector<v1::Ticket::Kind> kinds;
  std::vector<std::string> subtypes;
  // The ticket or its customer (reference table) must carry one of these
  // (R21: sensitive / 12398 customers). Empty = no requirement.
  std::vector<v1::Ticket::Tag> require_tags;
  std::vector<v1::Ticket::Status> starts_on;  // default {ACCEPTED}
  std::vector<v1::Ticket::Status> stops_on;
  // Which outages (outage subject).
  std::vector<v1::OutageEvent::Kind> outage_kinds;
  std::vector<v1::OutageEvent::Phase> starts_on_phase;
  std::vector<v1::OutageEvent::Phase> stops_on_phase;
  // Outage subject: the clock also stops once the outage reports a notice
  // coverage (per-mille) at or above this (R15: 1 = any notice sent; R14: 950).
  uint32_t stop_at_coverage_permille = 0;

  // The limit: a clock name of the time-limit table (looked up by the
  // ticket's kind... subtype and its area's class), or a fixed limit.
  std::string clock;
  std::optional<Limit> fixed_limit;
  Anchor anchor = Anchor::kClockStart;
  // R21: shadow clocks run at a share of the table's limit (0.5 = half).
  double scale = 1.0;

  std::vector<Step> countdown;  // before the deadline, in clock order
  v1::Grade overdue_grade = v1::GRADE_UNSPECIFIED;  // at the deadline; UNSPECIFIED = none
  std::vector<Step> escalations;                    // after the deadline, in clock order
  std::vector<OverdueFloor> overdue_floors;
  std::vector<UrgeGrade> urge_grades;  // kUrges, ascending count
  v1::Grade urge_after_overdue_grade = v1::GRADE_UNSPECIFIED;  // kUrges: any urge once overdue

  // After the warning closes, how long a recurrence reopens it (回头看).
  absl::Duration lookback = absl::Hours(24 * 7);
  std::string message;  // template: {subject} {deadline} {remaining} {overdue_by} {grade}
  std::string file;
  int line = 0;
};

}  // namespace vigil::deadlines

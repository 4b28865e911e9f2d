#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/reference.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::rules {

// One rule of the rule language (rules/README.md), as parsed from YAML.
// Plain data: the engine interprets it; the parser guarantees the invariants
// stated on each field.

enum class Stream { kTicket, kOutage, kRepeatCall };

// What a rule's state and warnings are keyed by. Region levels project the
// event's region; kCustomer / kTicket / kOutage use the payload's id.
enum class KeyLevel {
  kArea,      // transformer area (台区): region.area_id
  kFeeder,    // region.feeder_id
  kStation,   // supply station (供电所): region.station_id
  kCounty,    // region.county_code
  kCity,      // region.city_code
  kProvince,  // region.province_code
  kCustomer,  // ticket.customer_id / repeat_call.customer_id
  kTicket,    // ticket.ticket_id / repeat_call.linked_ticket_id
  kOutage,    // outage.outage_id
};

enum class WindowKind { kTumbling, kHopping, kSliding, kSession };

enum class MeasureKind {
  kCount,              // entries in the window
  kDistinctCustomers,  // distinct customer ids in the window
  kSum,                // sum of `sum_field` over the window
  kRatio,              // entries matching `numerator` / all entries
  kRateVsBaseline,     // count in the current bin / baseline of the same slot
  kCustomersOutShare,  // share (0..1) of the key's customers under an open outage
  kOpenDuration,       // seconds the keyed outage has been off (start → now)
};

// Grade index: 0 = IV (blue) ... 3 = I (red). v1::Grade = index + 1.
inline constexpr int kGrades = 4;
inline v1::Grade GradeOf(int index) { return static_cast<v1::Grade>(index + 1); }
inline int GradeIndex(v1::Grade g) { return static_cast<int>(g) - 1; }

// Conditions on an event. Empty lists match anything; lists are OR within a
// field and AND across fields. Only the fields of the rule's stream are set.
struct Filter {
  // ticket
  std::vector<v1::Ticket::Kind> ticket_kinds;
  std::vector<v1::Ticket::Category> categories;
  std::vector<v1::Ticket::Status> statuses;
  // Any of these tags, on the ticket or (joined) on its customer in the
  // reference data.
  std::vector<v1::Ticket::Tag> tags_any;
  // outage
  std::vector<v1::OutageEvent::Kind> outage_kinds;
  std::vector<v1::OutageEvent::Phase> outage_phases;
  // Outage with at least one important customer in scope (event list or
  // reference data of its areas).
  bool important_customer_in_scope = false;
  // repeat_call
  uint32_t min_call_count = 0;

  bool empty() const {
    return ticket_kinds.empty() && categories.empty() && statuses.empty() && tags_any.empty() &&
           outage_kinds.empty() && outage_phases.empty() && !important_customer_in_scope &&
           min_call_count == 0;
  }
};

struct WindowSpec {
  WindowKind kind = WindowKind::kSliding;
  absl::Duration size = absl::Hours(1);  // > 0 (tumbling/hopping/sliding); bin for baselines
  absl::Duration advance = absl::ZeroDuration();  // hopping only: 0 < advance <= size
  absl::Duration gap = absl::ZeroDuration();      // session only: > 0
  // Events further than this behind the watermark are late (dead letter).
  absl::Duration allowed_lateness = absl::Hours(1);
};

// For kRateVsBaseline: baseline of a bin = median count of the same slot of
// day over the previous `history_days` days that have data, but at least
// `min_baseline`. With fewer than `min_history_days` days of data, the
// baseline is `min_baseline`.
struct BaselineSpec {
  int history_days = 28;
  int min_history_days = 7;
  double min_baseline = 5;
};

// Raise and clear thresholds on the measure, per grade (index 0 = IV).
// Unset grades are skipped. Raise thresholds are non-decreasing with grade;
// clear[g] <= raise[g] (default: equal). Durations are in seconds.
struct Thresholds {
  std::array<std::optional<double>, kGrades> raise;
  std::array<std::optional<double>, kGrades> clear;
};

// A grade the warning has at least while a condition holds.
struct GradeFloor {
  enum class When {
    kTagged,            // any evidence event carries one of `tags` (ticket or customer ref)
    kImportantLevel,    // an important customer in scope at `important_level` or higher
    kCustomersAtLeast,  // outage affects >= `value` customers
    kActiveFor,         // warning active for >= `duration`
    kAreaTagged,        // a customer in the key's area(s) carries one of `tags` (reference)
  };
  When when = When::kTagged;
  std::vector<v1::Ticket::Tag> tags;
  v1::ImportantLevel important_level = v1::IMPORTANT_LEVEL_UNSPECIFIED;
  double value = 0;
  absl::Duration duration = absl::ZeroDuration();
  int grade = 0;  // index
};

// Per-region (and/or area-class) replacement of thresholds. The most specific
// match wins: longest region prefix, then an area-class match.
struct Override {
  std::string region_prefix;  // prefix of the key's county/city/province code; "" = any
  v1::AreaClass area_class = v1::AREA_CLASS_UNSPECIFIED;  // unspecified = any
  Thresholds thresholds;
  int line = 0;  // where it was written, for messages
};

// Cross-stream gate on open outages covering the key's region (area, or its feeder).
enum class OutageGate { kAny, kRequireOpen, kRequireNone };

struct ResolveSpec {
  // Resolve after the measure stayed below the lowest clear threshold this long.
  std::optional<absl::Duration> below_for;
  // Resolve when no new evidence arrived for this long.
  std::optional<absl::Duration> quiet_for;
  // Keyed outage reached one of these phases (kOutage keys).
  std::vector<v1::OutageEvent::Phase> outage_phases;
  // An outage covering the key's area/feeder started (R12: it got registered).
  bool outage_registered = false;
};

struct RuleSpec {
  std::string id;       // [A-Za-z0-9_-]+, unique in a rule set
  std::string version;  // free text, goes into every warning
  std::string description;
  std::string title;  // short title of warnings
  Stream stream = Stream::kTicket;
  Filter filter;
  KeyLevel key = KeyLevel::kArea;
  WindowSpec window;
  MeasureKind measure = MeasureKind::kCount;
  std::string sum_field;  // kSum: "affected_customers" | "call_count"
  Filter numerator;       // kRatio
  BaselineSpec baseline;  // kRateVsBaseline
  Thresholds thresholds;
  // A grade is not lowered before it has been held this long.
  absl::Duration min_dwell = absl::ZeroDuration();
  std::vector<GradeFloor> floors;
  OutageGate outage_gate = OutageGate::kAny;
  // Rule id of the parent (coarser key level, same stream): while the parent
  // has an active warning over this key's region, this rule's warnings there
  // are folded into it instead of being sent.
  std::string fold_into;
  ResolveSpec resolve;
  // Every warning update adds evidence (true) or only grade changes are sent.
  bool update_on_evidence = true;
  // A key with no active warning and no evidence for this long is dropped.
  // Default: window size + allowed lateness (+ baseline history).
  absl::Duration state_ttl = absl::ZeroDuration();
  // fmt-style template with named fields: {rule} {key} {value} {count}
  // {customers} {grade} {window} {window_start} {window_end} {events} {title}.
  std::string message;
  std::vector<Override> overrides;

  // Where the rule was defined.
  std::string file;
  int line = 0;

  // Hash of what the rule's state depends on (stream, filter, key, window,
  // measure and its parameters). Equal ⇒ state survives a reload/restart.
  uint64_t StateFingerprint() const;
  // Hash of the whole definition. Equal ⇒ nothing to re-evaluate on reload.
  uint64_t DefinitionFingerprint() const;
};

}  // namespace vigil::rules

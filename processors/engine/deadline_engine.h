#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "processors/deadlines/business_calendar.h"
#include "processors/deadlines/deadline_spec.h"
#include "processors/deadlines/time_limits.h"
#include "processors/reference/reference_store.h"
#include "processors/state/state_store.h"
#include "processors/timers/timer_store.h"
#include "vigil/internal/state.pb.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::engine {

// The deadline rules with what they are measured against: the time-limit
// table and the business calendar. Immutable once built; shared.
struct DeadlineSet {
  std::vector<deadlines::DeadlineRule> rules;
  deadlines::TimeLimitTable table;
  deadlines::BusinessCalendar calendar;
};

// Runs the deadline rules (R01–R07, R14, R15, R21): one clock per (rule,
// ticket) or (rule, outage), kept in the StateStore (records namespace
// "clock"), each with at most one pending durable timer (its next step).
// Nothing is held in memory per clock, so millions of open tickets cost disk,
// not RAM.
//
// Time: a step acts at its due time. Steps of a subject's clocks due before
// one of its events act before that event (so the output depends only on the
// subject's own input order); the others act when the caller pops their
// timers. All changes (clock state, timers) go into the caller's batch.
//
// Deterministic; never reads a clock. Not thread-safe (one per task).
class DeadlineEngine {
 public:
  DeadlineEngine(std::shared_ptr<const DeadlineSet> set, const reference::ReferenceStore* ref,
                 state::StateStore* store, timers::TimerStore* timers);

  // Applies a validated ticket or outage event (others are ignored).
  absl::Status Apply(const v1::Envelope& event, state::StateStore::Batch& batch,
                     std::vector<v1::WarningEvent>* out);
  // A CLOCK timer popped by the caller fired: acts the clock's due steps.
  absl::Status Fire(const internal::TimerPayload& payload, absl::Time due,
                    state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);

  // Swaps the rule set between batches. Clocks of rules that are gone are
  // left to expire: their timers find no rule and drop the clock.
  void Reload(std::shared_ptr<const DeadlineSet> set);
  // Warnings of running clocks (raised, not resolved), by warning id. For
  // tests and tools: scans every clock.
  absl::StatusOr<std::vector<v1::Warning>> ActiveWarnings(const state::StateStore::Batch* batch);
  const DeadlineSet& set() const { return *set_; }

 private:
  struct Step {
    v1::TimerRecord::Kind kind;
    const deadlines::Step* spec;  // nullptr for the overdue step
    v1::Grade grade;
  };

  const deadlines::DeadlineRule* FindRule(std::string_view id) const;
  std::vector<Step> StepsOf(const deadlines::DeadlineRule& rule) const;
  absl::Time StepDue(const deadlines::DeadlineRule& rule, const Step& step,
                     const internal::ClockState& clock) const;
  absl::Status ApplyTicket(const v1::Envelope& event, state::StateStore::Batch& batch,
                           std::vector<v1::WarningEvent>* out);
  absl::Status ApplyOutage(const v1::Envelope& event, state::StateStore::Batch& batch,
                           std::vector<v1::WarningEvent>* out);
  absl::Status ApplyUrge(const deadlines::DeadlineRule& rule, const v1::Envelope& event,
                         state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);
  // Acts every step of `clock` due strictly before `until` (or at or before,
  // `inclusive`).
  void CatchUp(const deadlines::DeadlineRule& rule, internal::ClockState& clock, absl::Time until,
               bool inclusive, std::vector<v1::WarningEvent>* out);
  // Raises or updates the clock's warning at `at` to at least `grade`.
  void Notify(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
              v1::WarningEvent::Type type, v1::TimerRecord::Kind kind, absl::Time at,
              v1::Grade grade, std::vector<v1::WarningEvent>* out);
  void Resolve(const deadlines::DeadlineRule& rule, internal::ClockState& clock, absl::Time at,
               std::string_view why, std::vector<v1::WarningEvent>* out);
  // Starts a clock for the subject at `at`; false when it cannot be timed
  // (no limit for its kind/class/subtype, or no anchor).
  bool Start(const deadlines::DeadlineRule& rule, const v1::Envelope& event, absl::Time at,
             internal::ClockState* clock) const;
  // Persists the clock and (re)schedules its timer for its next step.
  absl::Status Save(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
                    state::StateStore::Batch& batch);
  absl::Status Drop(const internal::ClockState& clock, state::StateStore::Batch& batch);
  void RenderMessage(const deadlines::DeadlineRule& rule, const internal::ClockState& clock,
                     absl::Time at, v1::Warning* w) const;
  void AddEvidence(const v1::Envelope& event, internal::ClockState* clock) const;
  uint32_t TagBits(const v1::Ticket& ticket) const;

  std::shared_ptr<const DeadlineSet> set_;
  const reference::ReferenceStore* ref_;
  state::StateStore* store_;
  timers::TimerStore* timers_;
};

// Records namespace and key of a clock.
inline constexpr std::string_view kClockNamespace = "clock";
std::string ClockKey(std::string_view rule_id, std::string_view subject_id);

}  // namespace vigil::engine

#pragma once

// The warning lifecycle (1123 闭环: warning → 提级管控 → 回头看) as pure
// decisions: each function takes the policy, the time and the warning, and
// says what the warning becomes. No clock reads, no I/O; the ledger stores the
// result, schedules LifecycleTimers and publishes the event.
//
// Versions and updated_at: ApplyCommand bumps them (its result names the
// version the ledger publishes); the On* functions leave them to the caller,
// which publishes their change together with the engine's own.

#include <vector>

#include "absl/time/time.h"
#include "processors/lifecycle/owner.h"
#include "processors/lifecycle/policy.h"
#include "vigil/v1/command.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::lifecycle {

// A new warning: state OPEN, owner by grade, ack and feedback deadlines = now
// + the grade's windows.
void OnRaised(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w);

// The rule changed the grade from `old_grade` to w->grade(). The owner never
// moves down. When the grade went up, a deadline not yet met becomes
// min(current, now + the new grade's window) (ack while OPEN/REOPENED,
// feedback until it is submitted); a lower grade never extends a deadline.
void OnRegraded(const LifecyclePolicy& policy, absl::Time now, v1::Grade old_grade, v1::Warning* w);

// The rule's condition cleared: only marks it; the warning still needs
// feedback and closing.
void OnConditionCleared(v1::Warning* w);

// The ack deadline passed with the warning still OPEN/REOPENED: grade +
// escalate_on_ack_overdue (at most I), owner one level up, escalations + 1,
// and a new ack deadline now + the new grade's window (re-notification); the
// feedback deadline shortens as in OnRegraded. With escalate_on_ack_overdue 0
// only the ack deadline is renewed. Returns false, changing nothing, for a
// stale timer: the warning is not waiting for acknowledgement or its
// deadline is still ahead.
bool OnAckOverdue(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w);

// A recurrence (same rule and key) of a CLOSED warning inside its look-back
// (lookback_until > now): REOPENED, grade = max(recurrence_grade, grade +
// reopen_grade_step) capped at I, owner by grade (never down), reopenings + 1,
// new deadlines from now, acknowledgement/feedback/look-back cleared (closed_by
// and closed_at stay: the last close), condition_cleared = false. Returns false, changing nothing, when the warning
// is not CLOSED or its look-back is over (then the engine raises a new one).
bool ReopenOnRecurrence(const LifecyclePolicy& policy, absl::Time now, v1::Grade recurrence_grade,
                        v1::Warning* w);

// What a lifecycle command does to a warning.
struct CommandDecision {
  // For the command-results topic; warning_version = the version the ledger
  // publishes (accepted) or the current one (rejected, 0 for an unknown id).
  v1::CommandResult result;
  // True when accepted: `after` is then the warning to store and publish
  // (version + 1, updated_at = now) with an event of `event_type`.
  bool changed = false;
  v1::Warning after;
  v1::WarningEvent::Type event_type = v1::WarningEvent::TYPE_UNSPECIFIED;
};

// Validates and applies a command to `current` (nullptr = no warning with
// cmd.warning_id). Checks, in order: INVALID (missing or malformed
// command_id, warning_id, actor or action; SUBMIT_FEEDBACK without text),
// UNKNOWN_WARNING, WRONG_REGION (InRegion), NOT_PERMITTED (CLOSE and REOPEN
// need the province, actor_region ""), WRONG_STATE. Idempotency by
// command_id is the ledger's: this function judges every command afresh.
//
// Transitions (event STATE_CHANGED unless named):
//   ACKNOWLEDGE      OPEN | REOPENED → ACKNOWLEDGED (acknowledged_by/at)
//   SUBMIT_FEEDBACK  ACKNOWLEDGED → FEEDBACK_SUBMITTED (feedback, feedback_by/at)
//   CLOSE            FEEDBACK_SUBMITTED → CLOSED (closed_by/at, lookback_until =
//                    now + LookbackFor(rule_id))
//   REOPEN           CLOSED → REOPENED as ReopenOnRecurrence but at the same grade
//                    and condition_cleared kept (event REOPENED)
//   ESCALATE         any state but CLOSED, state kept: grade + 1 (at most I), owner
//                    one level up, escalations + 1, deadlines as OnRegraded (event
//                    ESCALATED)
CommandDecision ApplyCommand(const LifecyclePolicy& policy, const v1::Warning* current,
                             const v1::WarningCommand& cmd, absl::Time now);

// A lifecycle timer that should be pending.
struct PlannedTimer {
  v1::TimerRecord::Kind kind = v1::TimerRecord::KIND_UNSPECIFIED;
  absl::Time due;
  bool operator==(const PlannedTimer&) const = default;
};

// The timers the warning's current state needs, sorted by due (ties in kind
// order): OPEN/REOPENED → ACK_COUNTDOWN at each countdown share of the ack
// window and ACK_OVERDUE at its deadline, plus the feedback ones;
// ACKNOWLEDGED → FEEDBACK_COUNTDOWN at each share of the feedback window and
// FEEDBACK_OVERDUE at its deadline; FEEDBACK_SUBMITTED → none; CLOSED →
// LOOKBACK_END at lookback_until. A window runs from its deadline − the
// grade's window, but not before the warning was raised (or, once reopened,
// closed): after a regrade the shares apply to the window that is left.
// Timers already past are returned too (the ledger decides); a deadline that
// is unset gives no timers.
std::vector<PlannedTimer> LifecycleTimers(const LifecyclePolicy& policy, const v1::Warning& w);

// The owner of a warning of `grade` under the policy.
OwnerLevel OwnerForGrade(const LifecyclePolicy& policy, v1::Grade grade);

// `grade` raised by `steps` grades, at most I (GRADE_UNSPECIFIED counts as IV).
v1::Grade RaiseGrade(v1::Grade grade, int steps);

}  // namespace vigil::lifecycle

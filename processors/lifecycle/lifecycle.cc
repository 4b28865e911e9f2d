// The warning-side decisions: raise, regrade, clear, ack overdue, recurrence.

#include "processors/lifecycle/lifecycle.h"

#include <algorithm>

#include "processors/lifecycle/edits.h"
#include "processors/lifecycle/proto_time.h"

namespace vigil::lifecycle {

using internal::IsSet;
using internal::ToTime;

OwnerLevel OwnerForGrade(const LifecyclePolicy& policy, v1::Grade grade) {
  return policy.For(grade).owner;
}

v1::Grade RaiseGrade(v1::Grade grade, int steps) {
  const int from = LifecyclePolicy::GradeIndex(grade) + static_cast<int>(v1::GRADE_IV);
  return static_cast<v1::Grade>(std::min(from + std::max(steps, 0), static_cast<int>(v1::GRADE_I)));
}

void OnRaised(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w) {
  w->set_state(v1::OPEN);
  w->set_owner_level(std::string(OwnerName(OwnerForGrade(policy, w->grade()))));
  internal::StartDeadlines(policy, now, w);
}

void OnRegraded(const LifecyclePolicy& policy, absl::Time now, v1::Grade old_grade,
                v1::Warning* w) {
  internal::RaiseOwner(OwnerForGrade(policy, w->grade()), w);
  if (LifecyclePolicy::GradeIndex(w->grade()) > LifecyclePolicy::GradeIndex(old_grade)) {
    internal::ShortenDeadlines(policy, now, w);
  }
}

void OnConditionCleared(v1::Warning* w) { w->mutable_lifecycle()->set_condition_cleared(true); }

bool OnAckOverdue(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w) {
  if (w->state() != v1::OPEN && w->state() != v1::REOPENED) return false;
  const google::protobuf::Timestamp& deadline = w->lifecycle().ack_deadline();
  if (!IsSet(deadline) || now < ToTime(deadline)) return false;
  if (policy.escalate_on_ack_overdue > 0) {
    const v1::Grade old_grade = w->grade();
    w->set_grade(RaiseGrade(old_grade, policy.escalate_on_ack_overdue));
    internal::EscalateOwner(policy, w);
    v1::Lifecycle* lc = w->mutable_lifecycle();
    lc->set_escalations(lc->escalations() + 1);
    if (w->grade() != old_grade) internal::ShortenDeadlines(policy, now, w);
  }
  internal::SetTime(now + policy.For(w->grade()).ack,
                    w->mutable_lifecycle()->mutable_ack_deadline());
  return true;
}

bool ReopenOnRecurrence(const LifecyclePolicy& policy, absl::Time now, v1::Grade recurrence_grade,
                        v1::Warning* w) {
  if (w->state() != v1::CLOSED) return false;
  const google::protobuf::Timestamp& until = w->lifecycle().lookback_until();
  if (!IsSet(until) || ToTime(until) <= now) return false;
  const v1::Grade stepped = RaiseGrade(w->grade(), policy.reopen_grade_step);
  const v1::Grade recurrence = RaiseGrade(recurrence_grade, 0);  // normalised, UNSPECIFIED = IV
  w->set_grade(std::max(stepped, recurrence));
  internal::RaiseOwner(OwnerForGrade(policy, w->grade()), w);
  internal::Reopen(policy, now, w);
  w->mutable_lifecycle()->set_condition_cleared(false);
  return true;
}

}  // namespace vigil::lifecycle

#include "processors/lifecycle/edits.h"

#include <algorithm>

#include "processors/lifecycle/lifecycle.h"
#include "processors/lifecycle/proto_time.h"

namespace vigil::lifecycle::internal {
namespace {

// `*deadline` = min(itself, candidate); unset counts as infinitely far.
void Shorten(absl::Time candidate, google::protobuf::Timestamp* deadline) {
  if (!IsSet(*deadline) || candidate < ToTime(*deadline)) SetTime(candidate, deadline);
}

}  // namespace

std::optional<OwnerLevel> CurrentOwner(const v1::Warning& w) {
  return ParseOwnerLevel(w.owner_level());
}

void RaiseOwner(OwnerLevel level, v1::Warning* w) {
  const std::optional<OwnerLevel> current = CurrentOwner(*w);
  if (!current || *current < level) w->set_owner_level(std::string(OwnerName(level)));
}

void EscalateOwner(const LifecyclePolicy& policy, v1::Warning* w) {
  const std::optional<OwnerLevel> current = CurrentOwner(*w);
  OwnerLevel up = OwnerForGrade(policy, w->grade());
  if (current) up = std::max(up, policy.OwnerAbove(*current));
  RaiseOwner(up, w);
}

void StartDeadlines(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w) {
  const GradePolicy& g = policy.For(w->grade());
  v1::Lifecycle* lc = w->mutable_lifecycle();
  SetTime(now + g.ack, lc->mutable_ack_deadline());
  SetTime(now + g.feedback, lc->mutable_feedback_deadline());
}

void ShortenDeadlines(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w) {
  const GradePolicy& g = policy.For(w->grade());
  v1::Lifecycle* lc = w->mutable_lifecycle();
  switch (w->state()) {
    case v1::OPEN:
    case v1::REOPENED:
      Shorten(now + g.ack, lc->mutable_ack_deadline());
      Shorten(now + g.feedback, lc->mutable_feedback_deadline());
      break;
    case v1::ACKNOWLEDGED:
      Shorten(now + g.feedback, lc->mutable_feedback_deadline());
      break;
    default:  // feedback submitted or closed: no deadline left to meet
      break;
  }
}

void Reopen(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w) {
  w->set_state(v1::REOPENED);
  v1::Lifecycle* lc = w->mutable_lifecycle();
  lc->set_reopenings(lc->reopenings() + 1);
  lc->clear_acknowledged_by();
  lc->clear_acknowledged_at();
  lc->clear_feedback();
  lc->clear_feedback_by();
  lc->clear_feedback_at();
  lc->clear_lookback_until();
  StartDeadlines(policy, now, w);
}

}  // namespace vigil::lifecycle::internal

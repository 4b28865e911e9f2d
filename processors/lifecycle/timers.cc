// The lifecycle timers a warning's state needs (the ledger reconciles its
// pending timers with these after every change).

#include <algorithm>
#include <tuple>

#include "processors/lifecycle/lifecycle.h"
#include "processors/lifecycle/proto_time.h"

namespace vigil::lifecycle {
namespace {

using internal::IsSet;
using internal::ToTime;

// Countdowns at the policy's shares of [deadline − window, deadline], the
// start not before `anchor`, and the overdue timer at the deadline.
void AddWindow(const LifecyclePolicy& policy, const google::protobuf::Timestamp& deadline_ts,
               absl::Duration window, absl::Time anchor, v1::TimerRecord::Kind countdown,
               v1::TimerRecord::Kind overdue, std::vector<PlannedTimer>* out) {
  if (!IsSet(deadline_ts)) return;
  const absl::Time deadline = ToTime(deadline_ts);
  const absl::Time start = std::min(std::max(deadline - window, anchor), deadline);
  for (double share : policy.countdown) {
    out->push_back({countdown, start + share * (deadline - start)});
  }
  out->push_back({overdue, deadline});
}

}  // namespace

std::vector<PlannedTimer> LifecycleTimers(const LifecyclePolicy& policy, const v1::Warning& w) {
  const v1::Lifecycle& lc = w.lifecycle();
  const GradePolicy& g = policy.For(w.grade());
  // Windows start at the raise, or at the reopening (which follows the last close).
  const absl::Time anchor =
      lc.reopenings() > 0 && IsSet(lc.closed_at()) ? ToTime(lc.closed_at()) : ToTime(w.raised_at());
  std::vector<PlannedTimer> out;
  switch (w.state()) {
    case v1::OPEN:
    case v1::REOPENED:
      AddWindow(policy, lc.ack_deadline(), g.ack, anchor, v1::TimerRecord::ACK_COUNTDOWN,
                v1::TimerRecord::ACK_OVERDUE, &out);
      [[fallthrough]];
    case v1::ACKNOWLEDGED:
      AddWindow(policy, lc.feedback_deadline(), g.feedback, anchor,
                v1::TimerRecord::FEEDBACK_COUNTDOWN, v1::TimerRecord::FEEDBACK_OVERDUE, &out);
      break;
    case v1::CLOSED:
      if (IsSet(lc.lookback_until())) {
        out.push_back({v1::TimerRecord::LOOKBACK_END, ToTime(lc.lookback_until())});
      }
      break;
    default:  // FEEDBACK_SUBMITTED waits for the province; nothing is timed
      break;
  }
  std::stable_sort(out.begin(), out.end(), [](const PlannedTimer& a, const PlannedTimer& b) {
    return std::tie(a.due, a.kind) < std::tie(b.due, b.kind);
  });
  return out;
}

}  // namespace vigil::lifecycle

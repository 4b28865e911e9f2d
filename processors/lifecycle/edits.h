#pragma once

// Internal to processors/lifecycle: the edits of a warning that several
// decisions share (lifecycle.cc, command.cc).

#include <optional>

#include "absl/time/time.h"
#include "processors/lifecycle/policy.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::lifecycle::internal {

// The warning's owner level; a missing or unknown one counts as below station.
std::optional<OwnerLevel> CurrentOwner(const v1::Warning& w);
// Sets the owner to `level` unless it is already higher (never moves down).
void RaiseOwner(OwnerLevel level, v1::Warning* w);
// Owner one level up on the policy's chain, and at least the new grade's owner.
void EscalateOwner(const LifecyclePolicy& policy, v1::Warning* w);

// Ack and feedback deadlines = now + the windows of the warning's grade.
void StartDeadlines(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w);
// After the grade went up: the deadlines not yet met become min(current, now +
// the grade's window) (an unset deadline counts as infinitely far).
void ShortenDeadlines(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w);

// Back to REOPENED: reopenings + 1, new deadlines from now, acknowledgement,
// feedback and look-back cleared (closed_by/closed_at stay: the last close).
void Reopen(const LifecyclePolicy& policy, absl::Time now, v1::Warning* w);

}  // namespace vigil::lifecycle::internal

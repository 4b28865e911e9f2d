#pragma once

// Clock arithmetic of the deadline rules: where a deadline and a step of a
// clock fall. Pauses (SUSPENDED / RESUMED) are the caller's: it shifts start
// and deadline by the paused time.

#include "absl/time/time.h"
#include "processors/deadlines/business_calendar.h"
#include "processors/deadlines/deadline_spec.h"

namespace vigil::deadlines {

// start + limit: start + the duration, or the same local time on the n-th
// working day after start's day (BusinessCalendar::AddWorkingDays). With
// scale != 1 (R21 shadow clocks): start + scale × (full deadline − start).
absl::Time DeadlineOf(absl::Time start, const Limit& limit, double scale,
                      const BusinessCalendar& calendar);

// Where point `p` of a clock that started at `start` and is due at
// `deadline` falls:
//   kFraction   start + fraction × (deadline − start)
//   kBefore     deadline − amount (working days: SubtractWorkingDays)
//   kAfter      deadline + amount (working days: AddWorkingDays)
//   kSinceStart start + amount (working days: AddWorkingDays)
absl::Time PointOf(const ClockPoint& p, absl::Time start, absl::Time deadline,
                   const BusinessCalendar& calendar);

}  // namespace vigil::deadlines

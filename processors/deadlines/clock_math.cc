#include "processors/deadlines/clock_math.h"

namespace vigil::deadlines {
namespace {

absl::Time Plus(absl::Time t, const Limit& amount, const BusinessCalendar& calendar) {
  if (amount.working_days > 0) return calendar.AddWorkingDays(t, amount.working_days);
  return t + amount.duration;
}

absl::Time Minus(absl::Time t, const Limit& amount, const BusinessCalendar& calendar) {
  if (amount.working_days > 0) return calendar.SubtractWorkingDays(t, amount.working_days);
  return t - amount.duration;
}

}  // namespace

absl::Time DeadlineOf(absl::Time start, const Limit& limit, double scale,
                      const BusinessCalendar& calendar) {
  const absl::Time full = Plus(start, limit, calendar);
  if (scale == 1.0) return full;
  return start + scale * (full - start);
}

absl::Time PointOf(const ClockPoint& p, absl::Time start, absl::Time deadline,
                   const BusinessCalendar& calendar) {
  switch (p.kind) {
    case ClockPoint::Kind::kFraction:
      return start + p.fraction * (deadline - start);
    case ClockPoint::Kind::kBefore:
      return Minus(deadline, p.amount, calendar);
    case ClockPoint::Kind::kAfter:
      return Plus(deadline, p.amount, calendar);
    case ClockPoint::Kind::kSinceStart:
      return Plus(start, p.amount, calendar);
  }
  return deadline;
}

}  // namespace vigil::deadlines

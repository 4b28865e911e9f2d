#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace vigil::sim {

// The simulator's calendar: China Standard Time (UTC+8, no DST). Event times
// on the wire are UTC; intraday, weekly and seasonal curves use local time.
absl::TimeZone ChinaTime();

absl::CivilSecond ToLocal(absl::Time t);
absl::Time FromLocal(absl::CivilSecond local);
// Local hour 0–23, month 1–12.
int LocalHour(absl::Time t);
int LocalMonth(absl::Time t);
bool IsWeekend(absl::Time t);
// Local midnight at or before t.
absl::Time LocalMidnight(absl::Time t);

// t plus `days` working days (Mon–Fri; holidays are not modelled), keeping the
// time of day; a start on a weekend counts from 00:00 of the next Monday (as the
// deadline rules count working days, rules/README.md).
absl::Time AddWorkingDays(absl::Time t, int days);

// "2026-07-15", "2026-07-15T08:00" or "2026-07-15T08:00:00", local time.
absl::StatusOr<absl::Time> ParseLocalTime(const std::string& text);
// "5d", "36h", "90m", "2d12h", "45s" (units d, h, m, s; summed).
absl::StatusOr<absl::Duration> ParseSimDuration(const std::string& text);

// "2026-07-15 08:00 CST".
std::string FormatLocal(absl::Time t);

}  // namespace vigil::sim

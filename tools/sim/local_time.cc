#include "tools/sim/local_time.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace vigil::sim {

namespace {
constexpr absl::Duration kOffset = absl::Hours(8);
}  // namespace

absl::TimeZone ChinaTime() { return absl::FixedTimeZone(8 * 3600); }

// UTC+8 by arithmetic: absl's fixed zones take a lock per lookup.
absl::CivilSecond ToLocal(absl::Time t) {
  return absl::ToCivilSecond(t + kOffset, absl::UTCTimeZone());
}

absl::Time FromLocal(absl::CivilSecond local) {
  return absl::FromCivil(local, absl::UTCTimeZone()) - kOffset;
}

int LocalHour(absl::Time t) { return ToLocal(t).hour(); }

int LocalMonth(absl::Time t) { return ToLocal(t).month(); }

bool IsWeekend(absl::Time t) {
  const absl::Weekday d = absl::GetWeekday(ToLocal(t));
  return d == absl::Weekday::saturday || d == absl::Weekday::sunday;
}

absl::Time LocalMidnight(absl::Time t) { return FromLocal(absl::CivilDay(ToLocal(t))); }

absl::Time AddWorkingDays(absl::Time t, int days) {
  absl::CivilSecond local = ToLocal(t);
  absl::CivilDay day(local);
  const absl::Duration time_of_day = absl::Seconds(local - absl::CivilSecond(day));
  bool moved_to_monday = false;
  while (absl::GetWeekday(day) == absl::Weekday::saturday ||
         absl::GetWeekday(day) == absl::Weekday::sunday) {
    day += 1;
    moved_to_monday = true;
  }
  for (int added = 0; added < days;) {
    day += 1;
    if (absl::GetWeekday(day) != absl::Weekday::saturday &&
        absl::GetWeekday(day) != absl::Weekday::sunday) {
      ++added;
    }
  }
  return FromLocal(absl::CivilSecond(day)) + (moved_to_monday ? absl::ZeroDuration() : time_of_day);
}

absl::StatusOr<absl::Time> ParseLocalTime(const std::string& text) {
  absl::CivilSecond sec;
  absl::CivilMinute min;
  absl::CivilDay day;
  if (absl::ParseCivilTime(text, &sec)) return FromLocal(sec);
  if (absl::ParseCivilTime(text, &min)) return FromLocal(absl::CivilSecond(min));
  if (absl::ParseCivilTime(text, &day)) return FromLocal(absl::CivilSecond(day));
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not a local (UTC+8) date or time like 2026-07-15 or ", "2026-07-15T08:00"));
}

absl::StatusOr<absl::Duration> ParseSimDuration(const std::string& text) {
  absl::Duration total;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) {
      ++j;
    }
    if (j == i || j == text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not a duration like 5d, 36h, 90m or 2d12h"));
    }
    const double value = std::stod(text.substr(i, j - i));
    switch (text[j]) {
      case 'd':
        total += absl::Hours(24 * value);
        break;
      case 'h':
        total += absl::Hours(value);
        break;
      case 'm':
        total += absl::Minutes(value);
        break;
      case 's':
        total += absl::Seconds(value);
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "'", text, "': unknown unit '", std::string(1, text[j]), "' (use d, h, m, s)"));
    }
    any = true;
    i = j + 1;
  }
  if (!any || total <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a positive duration"));
  }
  return total;
}

std::string FormatLocal(absl::Time t) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M", t + kOffset, absl::UTCTimeZone()), " CST");
}

}  // namespace vigil::sim

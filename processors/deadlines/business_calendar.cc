// Business calendar files (rules/calendars/<year>.yaml) and working-day
// arithmetic on them.

#include "processors/deadlines/business_calendar.h"

#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "processors/deadlines/yaml_reader.h"

namespace vigil::deadlines {
namespace {

using internal::Elem;
using internal::MapView;
using internal::Val;
using internal::YamlReader;

constexpr int kChinaStandardTime = 8 * 3600;

bool IsWeekend(absl::CivilDay day) {
  const absl::Weekday w = absl::GetWeekday(day);
  return w == absl::Weekday::saturday || w == absl::Weekday::sunday;
}

// "2026-01-01": exactly YYYY-MM-DD and a real date.
bool ParseDate(absl::string_view s, absl::CivilDay* out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(s[i])) return false;
  }
  int y = 0;
  int m = 0;
  int d = 0;
  if (!absl::SimpleAtoi(s.substr(0, 4), &y) || !absl::SimpleAtoi(s.substr(5, 2), &m) ||
      !absl::SimpleAtoi(s.substr(8, 2), &d)) {
    return false;
  }
  const absl::CivilDay day(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) return false;  // normalised
  *out = day;
  return true;
}

// "+08:00" / "-05:30" → seconds east of UTC.
bool ParseOffset(absl::string_view s, int* seconds) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  int h = 0;
  int m = 0;
  if (!absl::ascii_isdigit(s[1]) || !absl::ascii_isdigit(s[2]) || !absl::ascii_isdigit(s[4]) ||
      !absl::ascii_isdigit(s[5]) || !absl::SimpleAtoi(s.substr(1, 2), &h) ||
      !absl::SimpleAtoi(s.substr(4, 2), &m) || h > 14 || m > 59) {
    return false;
  }
  *seconds = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

// One file's contents, before it joins the calendar.
struct YearFile {
  int year = 0;
  int offset = 0;
  std::string offset_text;
  internal::SourcePos offset_pos;
  internal::SourcePos year_pos;
  std::vector<absl::CivilDay> holidays;
  std::vector<absl::CivilDay> workdays;
};

struct DaySeen {
  std::string list;  // "holidays" or "workdays"
  int line = 0;
};

// Parses the dates of `holidays` or `workdays`.
void ParseDays(YamlReader& r, const Val& v, std::optional<int> year, bool holidays,
               std::vector<std::pair<absl::CivilDay, DaySeen>>* seen,
               std::vector<absl::CivilDay>* out) {
  if (!v.present) return;
  if (!v.node.IsSequence()) {
    r.Error(v, "must be a list of {date: YYYY-MM-DD, name: ...}");
    return;
  }
  const std::string list = holidays ? "holidays" : "workdays";
  for (size_t i = 0; i < v.node.size(); ++i) {
    const std::optional<MapView> m = r.Map(Elem(v.node[i], v.path, i), {"date", "name"});
    if (!m) continue;
    std::string name;
    if (r.Required(m->Get("name"), "the holiday's name, e.g. 春节")) r.Str(m->Get("name"), &name);
    const Val date = m->Get("date");
    if (!r.Required(date, "the date, YYYY-MM-DD")) continue;
    absl::CivilDay day;
    if (!date.node.IsScalar() || !ParseDate(date.node.Scalar(), &day)) {
      r.Error(date, "must be a date written YYYY-MM-DD, e.g. 2026-10-01");
      continue;
    }
    if (year && day.year() != *year) {
      r.Error(date, absl::StrCat("is outside the year of this file (", *year, ")"));
      continue;
    }
    if (holidays && IsWeekend(day)) {
      r.Error(date, absl::StrCat(absl::FormatCivilTime(day),
                                 " is a Saturday or Sunday; list only holidays that fall on "
                                 "Monday to Friday (weekends are off anyway)"));
      continue;
    }
    if (!holidays && !IsWeekend(day)) {
      r.Error(date, absl::StrCat(absl::FormatCivilTime(day),
                                 " is a Monday to Friday; make-up working days (调休) fall on a "
                                 "Saturday or Sunday"));
      continue;
    }
    bool duplicate = false;
    for (const auto& [d, where] : *seen) {
      if (d == day) {
        r.Error(date, absl::StrCat("duplicate date ", absl::FormatCivilTime(day), " (first in ",
                                   where.list, " at line ", where.line, ")"));
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    seen->push_back({day, {list, internal::PosOf(date.mark).line}});
    out->push_back(day);
  }
}

std::optional<YearFile> ParseYearFile(YamlReader& r) {
  std::optional<YAML::Node> root = r.Load();
  if (!root) return std::nullopt;
  const size_t errors = r.error_count();
  YearFile f;
  try {
    const Val top(*root, root->Mark(), "", true);
    const std::optional<MapView> m =
        r.Map(top, {"year", "utc_offset", "source", "holidays", "workdays"});
    if (!m) return std::nullopt;
    std::optional<int> year;
    const Val y = m->Get("year");
    if (r.Required(y, "the calendar year, e.g. 2026")) {
      int value = 0;
      if (!y.node.IsScalar() || !absl::SimpleAtoi(y.node.Scalar(), &value) || value < 1970 ||
          value > 2200) {
        r.Error(y, "must be a year like 2026 (1970 to 2200)");
      } else {
        year = value;
        f.year = value;
        f.year_pos = internal::PosOf(y.mark);
      }
    }
    const Val offset = m->Get("utc_offset");
    if (r.Required(offset, "the calendar's local time, e.g. \"+08:00\" (China Standard Time)")) {
      if (!offset.node.IsScalar() || !ParseOffset(offset.node.Scalar(), &f.offset)) {
        r.Error(offset, "must be an offset from UTC written \"+HH:MM\" or \"-HH:MM\"");
      } else {
        f.offset_text = offset.node.Scalar();
        f.offset_pos = internal::PosOf(offset.mark);
      }
    }
    std::string source;
    if (r.Required(m->Get("source"), "the notice the dates come from")) {
      r.Str(m->Get("source"), &source);
    }
    std::vector<std::pair<absl::CivilDay, DaySeen>> seen;
    ParseDays(r, m->Get("holidays"), year, /*holidays=*/true, &seen, &f.holidays);
    ParseDays(r, m->Get("workdays"), year, /*holidays=*/false, &seen, &f.workdays);
  } catch (const YAML::Exception& e) {
    r.Exception(e);
  }
  if (r.error_count() != errors) return std::nullopt;
  return f;
}

}  // namespace

BusinessCalendar::BusinessCalendar() : zone_(absl::FixedTimeZone(kChinaStandardTime)) {}

absl::StatusOr<BusinessCalendar> BusinessCalendar::Load(const std::vector<std::string>& paths) {
  struct Loaded {
    std::string file;
    YearFile f;
  };
  std::vector<Loaded> loaded;
  std::vector<std::string> errors;
  for (const std::string& path : paths) {
    YamlReader r(path);
    std::optional<YearFile> f = ParseYearFile(r);
    std::vector<std::string> file_errors = r.TakeErrors();
    if (f && !loaded.empty()) {
      // Set-level checks: one local time for all files, one file per year.
      const Loaded& first = loaded.front();
      if (f->offset != first.f.offset) {
        file_errors.push_back(internal::FormatError(
            path, f->offset_pos, "utc_offset",
            absl::StrCat(f->offset_text, " differs from ", first.f.offset_text, " in ", first.file,
                         "; all calendar files must use one local time")));
      }
      for (const Loaded& l : loaded) {
        if (l.f.year == f->year) {
          file_errors.push_back(internal::FormatError(
              path, f->year_pos, "year",
              absl::StrCat("duplicate year ", f->year, "; first in ", l.file, ":",
                           l.f.year_pos.line, ":", l.f.year_pos.column)));
          break;
        }
      }
    }
    if (!file_errors.empty()) {
      errors.insert(errors.end(), file_errors.begin(), file_errors.end());
    } else if (f) {
      loaded.push_back({path, std::move(*f)});
    }
  }
  if (!errors.empty()) return internal::ErrorsToStatus(errors);
  BusinessCalendar cal;
  for (const Loaded& l : loaded) {
    cal.zone_ = absl::FixedTimeZone(l.f.offset);
    cal.years_.insert(l.f.year);
    cal.holidays_.insert(l.f.holidays.begin(), l.f.holidays.end());
    cal.workdays_.insert(l.f.workdays.begin(), l.f.workdays.end());
    cal.files_.push_back(l.file);
  }
  return cal;
}

absl::StatusOr<BusinessCalendar> BusinessCalendar::LoadDir(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> files = internal::YamlFilesIn(dir, "calendar");
  if (!files.ok()) return files.status();
  return Load(*files);
}

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const {
  if (IsWeekend(day)) return workdays_.count(day) > 0;
  return holidays_.count(day) == 0;
}

absl::CivilDay BusinessCalendar::NextWorkingDay(absl::CivilDay day) const {
  do {
    ++day;
  } while (!IsWorkingDay(day));
  return day;
}

absl::CivilDay BusinessCalendar::PreviousWorkingDay(absl::CivilDay day) const {
  do {
    --day;
  } while (!IsWorkingDay(day));
  return day;
}

BusinessCalendar::DayAndTime BusinessCalendar::Normalise(absl::Time t) const {
  const absl::CivilDay day = absl::ToCivilDay(t, zone_);
  if (IsWorkingDay(day)) return {day, t - absl::FromCivil(day, zone_)};
  return {NextWorkingDay(day), absl::ZeroDuration()};
}

absl::Time BusinessCalendar::AddWorkingDays(absl::Time start, int n) const {
  if (n < 0) return SubtractWorkingDays(start, -n);
  if (start == absl::InfiniteFuture() || start == absl::InfinitePast()) return start;
  DayAndTime at = Normalise(start);
  for (int i = 0; i < n; ++i) at.day = NextWorkingDay(at.day);
  return absl::FromCivil(at.day, zone_) + at.time_of_day;
}

absl::Time BusinessCalendar::SubtractWorkingDays(absl::Time t, int n) const {
  if (n < 0) return AddWorkingDays(t, -n);
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return t;
  DayAndTime at = Normalise(t);
  for (int i = 0; i < n; ++i) at.day = PreviousWorkingDay(at.day);
  return absl::FromCivil(at.day, zone_) + at.time_of_day;
}

}  // namespace vigil::deadlines

#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace vigil::deadlines {

// The working days of the PRC business calendar: Monday to Friday, minus the
// public holidays, plus the make-up working days (调休) on weekends, as the
// State Council announces them per year (rules/calendars/<year>.yaml).
// A year without a file is plain Monday to Friday (`Covers` tells).
//
// Working-day limits ("4 working days") end at the same local time of day on
// the n-th working day after the start's day; a start on a non-working day
// counts from 00:00 of the next working day. Local time is the calendars'
// `utc_offset` (China Standard Time, +08:00, by default).
//
// Immutable after loading; safe to share between threads.
class BusinessCalendar {
 public:
  // Plain Monday to Friday at +08:00, no year covered.
  BusinessCalendar();

  // Loads calendar files (one year each). Errors: InvalidArgument with one
  // "file:line:col: path: what" line per problem of every file.
  static absl::StatusOr<BusinessCalendar> Load(const std::vector<std::string>& paths);
  // Loads every *.yaml directly in `dir` (sorted); NotFound when there is none.
  static absl::StatusOr<BusinessCalendar> LoadDir(const std::string& dir);

  bool IsWorkingDay(absl::CivilDay day) const;
  // True when a file of `year` was loaded.
  bool Covers(int year) const { return years_.count(year) > 0; }

  // The same local time of day on the n-th working day after start's day
  // (from 00:00 of the next working day when start's day is not one).
  // n == 0 gives that normalised start; n < 0 is SubtractWorkingDays(-n).
  absl::Time AddWorkingDays(absl::Time start, int n) const;
  // The inverse: the same local time of day on the n-th working day before
  // t's day (t on a non-working day counts as 00:00 of the next working day,
  // which has the same working time before it). For a start on a working
  // day, SubtractWorkingDays(AddWorkingDays(s, n), n) == s.
  absl::Time SubtractWorkingDays(absl::Time t, int n) const;

  absl::TimeZone zone() const { return zone_; }
  // The files loaded, in load order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  absl::CivilDay NextWorkingDay(absl::CivilDay day) const;
  absl::CivilDay PreviousWorkingDay(absl::CivilDay day) const;
  // A local day and the time since its midnight.
  struct DayAndTime {
    absl::CivilDay day;
    absl::Duration time_of_day;
  };
  // t's day and time, or 00:00 of the next working day when t's day is not one.
  DayAndTime Normalise(absl::Time t) const;

  absl::TimeZone zone_;
  std::set<int> years_;
  std::set<absl::CivilDay> holidays_;  // weekdays off
  std::set<absl::CivilDay> workdays_;  // weekend days worked
  std::vector<std::string> files_;
};

}  // namespace vigil::deadlines

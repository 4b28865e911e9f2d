#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/deadlines/deadline_spec.h"
#include "vigil/v1/reference.pb.h"

namespace vigil::deadlines {

// The time-limit table (rules/limits/time_limits.yaml): per clock
// ("repair_arrival", "complaint_reply", ...) its limit, optionally narrowed by
// ticket subtype and area class, with the source of each number.
//
// Immutable after loading; safe to share between threads.
class TimeLimitTable {
 public:
  TimeLimitTable() = default;

  // Errors: InvalidArgument, one "file:line:col: path: what" line per problem.
  static absl::StatusOr<TimeLimitTable> Load(const std::string& path);

  // The most specific row of `clock` for a subject of class `cls` and
  // `subtype`: a row of exactly that subtype beats one of any subtype (""),
  // then a row of exactly that class beats one of any class. A row naming a
  // subtype or class matches only that subtype or class (an UNSPECIFIED class
  // or "" subtype matches only the "any" rows). nullptr when no row matches.
  const TimeLimitRow* Find(std::string_view clock, v1::AreaClass cls,
                           std::string_view subtype) const;
  bool HasClock(std::string_view clock) const;
  // The clock names, sorted, each once.
  std::vector<std::string> Clocks() const;
  // Rows in file order.
  const std::vector<TimeLimitRow>& rows() const { return rows_; }

 private:
  std::vector<TimeLimitRow> rows_;
};

}  // namespace vigil::deadlines

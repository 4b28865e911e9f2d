#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/deadlines/deadline_spec.h"
#include "processors/deadlines/time_limits.h"

namespace vigil::deadlines {

// Loads deadline-rule files (rules/deadlines/*.yaml; format in rules/README.md,
// "Deadline rules") and validates them against the time-limit table: every
// file is checked and every problem reported at once, as InvalidArgument with
// one "file:line:col: path: what" line each. Rule ids are unique across the
// files. Rules come in file order, then in their order in each file.
absl::StatusOr<std::vector<DeadlineRule>> LoadDeadlineRules(const std::vector<std::string>& paths,
                                                            const TimeLimitTable& table);

// Loads every *.yaml file directly in `dir` (sorted by name); NotFound when
// there is none.
absl::StatusOr<std::vector<DeadlineRule>> LoadDeadlineDir(const std::string& dir,
                                                          const TimeLimitTable& table);

}  // namespace vigil::deadlines

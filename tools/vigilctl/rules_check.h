#pragma once

// `vigilctl rules check FILE|DIR...`: loads rule files as vigild would and
// reports every problem.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vigil::vigilctl {

// Expands FILE|DIR arguments into rule files: a directory stands for the
// *.yaml files directly in it (sorted, as vigild loads a rule dir); files are
// kept as given. Errors: a path that does not exist, a dir without rules.
absl::StatusOr<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& paths);

// Checks the rule set made of `paths`. Writes "OK: N rules in M files" to
// `out`, or the problems ("file:line:col: message" lines) to `err`.
// Returns the exit code: 0 valid, 1 not.
int RunRulesCheck(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

}  // namespace vigil::vigilctl

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/rules/rule_spec.h"

namespace vigil::rules {

// A validated, immutable set of rules (every rules/*.yaml of a directory, or
// a list of files). Shared by pointer so a reload can swap it atomically.
struct RuleSet {
  std::vector<RuleSpec> rules;  // in file order, then rule order in each file
  std::vector<std::string> files;
  const RuleSpec* Find(const std::string& id) const;
};

// Parses one rule file's text. `name` goes into errors. Errors:
// InvalidArgument with one line per problem, each "name:line:column: message".
absl::StatusOr<std::vector<RuleSpec>> ParseRuleFile(const std::string& text,
                                                    const std::string& name);

// Loads files and validates the set as a whole (unique ids, fold_into names a
// rule of the same stream at a coarser key level, ...).
absl::StatusOr<std::shared_ptr<const RuleSet>> LoadRuleFiles(const std::vector<std::string>& paths);

// Loads every *.yaml file directly in `dir` (sorted by name; sub-directories
// such as tests/ are not read).
absl::StatusOr<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir);

// The rule files a directory holds (sorted), for reload change detection.
absl::StatusOr<std::vector<std::string>> RuleFilesIn(const std::string& dir);

}  // namespace vigil::rules

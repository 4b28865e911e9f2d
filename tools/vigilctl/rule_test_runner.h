#pragma once

// `vigilctl rules test FILE|DIR...`: runs rule unit tests (rule_test_file.h)
// against the real rule engine, in the spirit of `promtool test rules`.
//
// Per test case: a fresh RuleEngine over the file's rules and reference data
// (loaded once per file). Inputs are applied in the listed order; an
// expectation at T first applies every pending input with at <= T (in listed
// order), then advances the watermark to T and compares the active warnings.
// Before each input at t the watermark moves to max(watermark, t). Inputs
// after the last expectation are still applied (late / validation checks).

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/engine/deadline_engine.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "tools/vigilctl/rule_test_file.h"

namespace vigil::vigilctl {

// A test file with what it needs to run: the rules and the reference table.
struct LoadedTestFile {
  RuleTestFile file;
  std::shared_ptr<const rules::RuleSet> rules;
  // Deadline rules among rule_files (files in a `deadlines/` directory), with
  // the time-limit table and calendars of that rules directory.
  std::shared_ptr<const engine::DeadlineSet> deadlines;
  std::unique_ptr<reference::ReferenceStore> reference;
};

// Parses the file, loads its rule files (dirs expand to *.yaml) and reference
// data. Errors name the test file and, for its own mistakes, line and column.
absl::StatusOr<LoadedTestFile> LoadTestFile(const std::string& path);

// Runs one test case. Returns nullopt when it passed, else the failure report:
// "FAIL <file>: \"<name>\" at <at> (<time>): ..." with the expected/got diff
// and the warning events emitted so far, newline-terminated.
std::optional<std::string> RunTestCase(const LoadedTestFile& loaded, const RuleTestCase& test);

struct RuleTestSummary {
  int files = 0;
  int file_errors = 0;
  int tests = 0;
  int failed = 0;
};

// Runs every test of the given files; a DIR stands for its *.test.yaml files
// (sorted). Failure reports and per-file lines ("<file>: 4 tests, 4 passed")
// go to `out`; errors in test files to `err`.
RuleTestSummary RunRuleTests(const std::vector<std::string>& paths, std::ostream& out,
                             std::ostream& err);

// The command: RunRuleTests, returns the exit code (0 all passed, 1 otherwise).
int RunRulesTest(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

}  // namespace vigil::vigilctl

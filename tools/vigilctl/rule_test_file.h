#pragma once

// The rule unit-test file format of `vigilctl rules test` (README.md, "rules
// test"): rule files, reference data, a start time, event defaults, and test
// cases of timed inputs and expected active warnings.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/reference.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::vigilctl {

// One input event of a test case, ready for the engine: defaults merged, ids
// and event time filled, decoded. `repeat: N` inputs are expanded into N of these.
struct TestEvent {
  absl::Duration at;   // offset from the file's start
  bool late = false;   // must be rejected as late
  v1::Envelope event;  // decoded, not yet validated
  int line = 0;        // where the input was written (1-based)
  std::string label;   // "input 3" / "input 3 copy 2", for messages
};

// Matches active warnings: rule id, and the key and grade when given.
struct WarningMatcher {
  std::optional<v1::WarningEvent::Type> type;  // `events` matchers only
  std::string rule;
  std::optional<std::string> key;
  std::optional<v1::Grade> grade;
};

// What must hold at `at` (after the inputs up to `at` and the watermark at `at`).
struct Expectation {
  absl::Duration at;
  // When set: the exact set of active warnings (each matcher consumes one).
  std::optional<std::vector<WarningMatcher>> warnings;
  // None of these may be active.
  std::vector<WarningMatcher> absent;
  // When set: exactly these warning events, in order, since the previous
  // expectation (countdown and overdue notices, raises, resolutions).
  std::optional<std::vector<WarningMatcher>> events;
  int line = 0;
};

struct RuleTestCase {
  std::string name;
  int line = 0;
  std::vector<TestEvent> inputs;    // in the listed order, repeats expanded
  std::vector<Expectation> expect;  // sorted by `at` (stable)
};

// A reference record written in the test file.
struct InlineReference {
  v1::ReferenceRecord record;
  int line = 0;
  int column = 0;
};

struct RuleTestFile {
  std::string path;                          // as given
  std::vector<std::string> rule_files;       // files or dirs, resolved against the file's dir
  std::vector<std::string> reference_files;  // resolved against the file's dir
  std::vector<InlineReference> reference;
  absl::Time start;
  absl::TimeZone zone;  // the UTC offset `start` was written with, for messages
  std::vector<RuleTestCase> tests;
};

// Parses a test file's text. `path` names the file in errors and anchors the
// relative paths. Errors are InvalidArgument "path:line:column: message".
absl::StatusOr<RuleTestFile> ParseRuleTestFile(const std::string& text, const std::string& path);
// Reads and parses a test file.
absl::StatusOr<RuleTestFile> ReadRuleTestFile(const std::string& path);

// "0s", "10m", "2h", "1d", "1h30m", "90s", "0" (units d, h, m, s, ms; summed).
absl::StatusOr<absl::Duration> ParseOffset(const std::string& text);
// "IV" | "III" | "II" | "I".
std::optional<v1::Grade> ParseGrade(const std::string& text);
std::string GradeName(v1::Grade grade);
// An offset as written in test files, "1d2h30m" ("0s" for zero).
std::string FormatOffset(absl::Duration d);

}  // namespace vigil::vigilctl

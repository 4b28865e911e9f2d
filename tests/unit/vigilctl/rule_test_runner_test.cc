#include "tools/vigilctl/rule_test_runner.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/unit/vigilctl/test_files.h"

namespace vigil::vigilctl {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

constexpr char kHeader[] = R"yaml(rule_files: [../rules/t1.yaml]
start: "2026-07-01T08:00:00+08:00"
defaults:
  region: {cityCode: "370100", countyCode: "370102", stationId: "37010201", areaId: "A1"}
tests:
)yaml";

constexpr char kComplaint[] =
    "{ticket: {ticketId: t, kind: COMPLAINT, category: BILLING, status: ACCEPTED}}";

class RuleTestRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchDir();
    WriteFile(dir_, "rules/t1.yaml", testing::kClusterRule);
  }

  // Writes a test file of `tests` under the header and loads it.
  LoadedTestFile Load(const std::string& tests, const std::string& name = "t1.test.yaml") {
    const std::string path = WriteFile(dir_, "tests/" + name, std::string(kHeader) + tests);
    auto loaded = LoadTestFile(path);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return *std::move(loaded);
  }

  std::string Complaints(const std::string& at, int n, const std::string& every) {
    return "      - at: " + at + "\n        repeat: " + std::to_string(n) +
           "\n        every: " + every + "\n        event: " + kComplaint + "\n";
  }

  std::string dir_;
};

// Three complaints in an hour: blue after two, yellow after three; the test passes.
TEST_F(RuleTestRunnerTest, CorrectTestPasses) {
  const LoadedTestFile loaded = Load("  - name: three complaints\n    input:\n" +
                                     Complaints("0m", 3, "5m") + R"yaml(    expect:
      - at: 11m
        warnings: [{rule: T1, key: "area:A1", grade: III}]
      - at: 6m
        warnings: [{rule: T1, grade: IV}]
      - at: 1m
        warnings: []
      - at: 11m
        absent: [{rule: T2}, {rule: T1, grade: II}]
)yaml");
  ASSERT_EQ(loaded.file.tests.size(), 1u);
  EXPECT_EQ(RunTestCase(loaded, loaded.file.tests[0]), std::nullopt);
}

// A wrong expectation fails with the diff and the warning events so far.
TEST_F(RuleTestRunnerTest, WrongTestFailsWithDiff) {
  const LoadedTestFile loaded =
      Load("  - name: wrong grade\n    input:\n" + Complaints("0m", 3, "5m") + R"yaml(    expect:
      - at: 11m
        warnings: [{rule: T1, key: "area:A1", grade: II}]
)yaml");
  const auto failure = RunTestCase(loaded, loaded.file.tests[0]);
  ASSERT_TRUE(failure.has_value());
  EXPECT_TRUE(Contains(*failure, "FAIL " + loaded.file.path +
                                     ": \"wrong grade\" at 11m (2026-07-01T08:11:00+08:00):\n"));
  EXPECT_TRUE(Contains(*failure,
                       "    expected: T1 area:A1 II\n"
                       "         got: T1 area:A1 III\n"
                       "     missing: T1 area:A1 II\n"
                       "  unexpected: T1 area:A1 III\n"));
  EXPECT_TRUE(Contains(*failure,
                       "  warning events so far:\n"
                       "    2026-07-01T08:05:00+08:00 RAISED T1 area:A1 IV v1\n"
                       "    2026-07-01T08:10:00+08:00 UPDATED T1 area:A1 III v2\n"));
}

// `absent` fails when a matching warning is active; an empty exact set shows "(none)".
TEST_F(RuleTestRunnerTest, AbsentAndEmptySetsFail) {
  const LoadedTestFile loaded =
      Load("  - name: absent\n    input:\n" + Complaints("0m", 2, "1m") + R"yaml(    expect:
      - at: 5m
        absent: [{rule: T1}]
  - name: nothing expected
    expect:
      - at: 5m
        warnings: [{rule: T1}]
)yaml");
  const auto absent = RunTestCase(loaded, loaded.file.tests[0]);
  ASSERT_TRUE(absent.has_value());
  EXPECT_TRUE(
      Contains(*absent, "  not absent: T1 area:A1 IV  (absent: T1 (any key) (any grade))\n"));
  const auto missing = RunTestCase(loaded, loaded.file.tests[1]);
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(Contains(*missing, "         got: (none)\n"));
  EXPECT_TRUE(Contains(*missing, "  warning events so far: (none)\n"));
}

// An input marked `late: true` must be rejected as late, and only such inputs may be.
TEST_F(RuleTestRunnerTest, LateInputs) {
  const LoadedTestFile loaded = Load(std::string(R"yaml(  - name: late and marked
    input:
      - at: 30m
        event: )yaml") + kComplaint + R"yaml(
      - at: 0m
        late: true
        event: )yaml" + kComplaint + R"yaml(
    expect:
      - at: 31m
        warnings: []
  - name: late but not marked
    input:
      - at: 30m
        event: )yaml" + kComplaint + R"yaml(
      - at: 0m
        event: )yaml" + kComplaint + R"yaml(
    expect:
      - at: 31m
        warnings: []
  - name: marked but in time
    input:
      - at: 30m
        event: )yaml" + kComplaint + R"yaml(
      - at: 25m
        late: true
        event: )yaml" + kComplaint + R"yaml(
    expect:
      - at: 31m
        warnings: [{rule: T1, grade: IV}]
)yaml");
  EXPECT_EQ(RunTestCase(loaded, loaded.file.tests[0]), std::nullopt);
  const auto unmarked = RunTestCase(loaded, loaded.file.tests[1]);
  ASSERT_TRUE(unmarked.has_value());
  EXPECT_TRUE(Contains(*unmarked, "at 0s (2026-07-01T08:00:00+08:00)"));
  EXPECT_TRUE(Contains(*unmarked,
                       "  input 2 (line 20) was rejected as late (watermark "
                       "2026-07-01T08:30:00+08:00)"));
  const auto in_time = RunTestCase(loaded, loaded.file.tests[2]);
  ASSERT_TRUE(in_time.has_value());
  EXPECT_TRUE(Contains(*in_time, "  input 2 (line 29) has late: true but was applied"));
}

// An input the validator refuses fails its test with the reason.
TEST_F(RuleTestRunnerTest, InvalidInputFailsWithReason) {
  const LoadedTestFile loaded = Load(R"yaml(  - name: no category
    input:
      - at: 1m
        event: {ticket: {ticketId: t, kind: COMPLAINT, status: ACCEPTED}}
    expect:
      - at: 2m
        warnings: []
)yaml");
  const auto failure = RunTestCase(loaded, loaded.file.tests[0]);
  ASSERT_TRUE(failure.has_value());
  EXPECT_TRUE(Contains(*failure,
                       "  input 1 (line 8) is not a valid event: missing_field: "
                       "ticket.category"));
}

// A directory runs its *.test.yaml files: one line per file, failures before it.
TEST_F(RuleTestRunnerTest, RunsADirectoryWithPerFileSummaries) {
  Load("  - name: ok\n    input:\n" + Complaints("0m", 2, "1m") +
           "    expect: [{at: 2m, warnings: [{rule: T1, grade: IV}]}]\n"
           "  - name: bad\n    expect: [{at: 2m, warnings: [{rule: T1}]}]\n",
       "a.test.yaml");
  Load("  - name: ok\n    expect: [{at: 2m, warnings: []}]\n", "b.test.yaml");
  WriteFile(dir_, "tests/notes.yaml", "not a test\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunRulesTest({dir_ + "/tests"}, out, err), 1);
  EXPECT_EQ(err.str(), "");
  EXPECT_TRUE(Contains(out.str(), "FAIL " + dir_ + "/tests/a.test.yaml: \"bad\" at 2m"));
  EXPECT_TRUE(Contains(out.str(), dir_ + "/tests/a.test.yaml: 2 tests, 1 passed, 1 failed\n" +
                                      dir_ + "/tests/b.test.yaml: 1 tests, 1 passed\n" +
                                      "total: 3 tests in 2 files, 2 passed, 1 failed\n"));
}

// Errors in a test file, or in the rules it names, go to stderr and fail the run.
TEST_F(RuleTestRunnerTest, FileErrorsFailTheRun) {
  const std::string bad_yaml = WriteFile(dir_, "tests/bad.test.yaml", "tests: [\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunRulesTest({bad_yaml}, out, err), 1);
  EXPECT_TRUE(Contains(err.str(), bad_yaml + ":"));

  const std::string missing_rules =
      WriteFile(dir_, "tests/missing.test.yaml",
                "rule_files: [nowhere.yaml]\nstart: \"2026-07-01T08:00:00Z\"\ntests: []\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunRulesTest({missing_rules}, out2, err2), 1);
  EXPECT_TRUE(Contains(err2.str(), missing_rules + ": rule_files: "));
}

}  // namespace
}  // namespace vigil::vigilctl

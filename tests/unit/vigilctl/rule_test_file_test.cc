#include "tools/vigilctl/rule_test_file.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace vigil::vigilctl {
namespace {

// Whether `text` contains `part`, showing both when not.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

constexpr char kHeader[] = R"yaml(rule_files: [../t1.yaml, more/]
start: "2026-07-01T08:00:00+08:00"
defaults:
  region: {cityCode: 370100, countyCode: "370102", stationId: "37010201", areaId: "A1"}
  source: sim
tests:
)yaml";

std::string WithHeader(const std::string& tests) { return std::string(kHeader) + tests; }

// The message of a parse that must fail.
std::string ErrorOf(const std::string& text) {
  auto parsed = ParseRuleTestFile(text, "t/x.test.yaml");
  EXPECT_FALSE(parsed.ok());
  return std::string(parsed.status().message());
}

// Inputs are decoded with defaults merged under them; ids, times and source
// are filled; repeats expand into copies with suffixed ids and spaced times.
TEST(RuleTestFileTest, ParsesInputsWithDefaultsRepeatsAndFilledFields) {
  auto parsed = ParseRuleTestFile(WithHeader(R"yaml(
  - name: first
    input:
      - at: 1h30m
        event: {region: {areaId: A2}, ticket: {ticketId: t, kind: COMPLAINT, status: ACCEPTED}}
      - at: 5m
        repeat: 3
        every: 1m
        event: {eventId: e, source: "", ticket: {ticketId: r, kind: COMPLAINT, status: ACCEPTED}}
    expect:
      - at: 2h
        warnings: []
      - at: 10m
        absent: [{rule: T1}]
)yaml"),
                                  "t/x.test.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->rule_files.size(), 2u);  // relative to the test file's directory
  EXPECT_EQ(parsed->rule_files[0], "t1.yaml");
  EXPECT_EQ(parsed->rule_files[1], "t/more/");
  ASSERT_EQ(parsed->tests.size(), 1u);
  const RuleTestCase& test = parsed->tests[0];
  EXPECT_EQ(test.name, "first");
  ASSERT_EQ(test.inputs.size(), 4u);

  const v1::Envelope& first = test.inputs[0].event;
  EXPECT_EQ(first.event_id(), "1-1");
  EXPECT_EQ(first.source(), "sim");
  EXPECT_EQ(first.region().area_id(), "A2");        // the event's own value wins
  EXPECT_EQ(first.region().city_code(), "370100");  // unquoted, typed by the field
  EXPECT_EQ(first.region().station_id(), "37010201");
  EXPECT_EQ(first.event_time().seconds(), absl::ToUnixSeconds(parsed->start + absl::Minutes(90)));
  EXPECT_EQ(test.inputs[0].at, absl::Minutes(90));
  EXPECT_EQ(test.inputs[0].label, "input 1");

  for (int copy = 1; copy <= 3; ++copy) {
    const TestEvent& t = test.inputs[copy];
    EXPECT_EQ(t.at, absl::Minutes(4 + copy));
    EXPECT_EQ(t.event.event_id(), "e-" + std::to_string(copy));
    EXPECT_EQ(t.event.ticket().ticket_id(), "r-" + std::to_string(copy));
    EXPECT_EQ(t.event.source(), "vigilctl-test");  // empty: the default
    EXPECT_EQ(t.label, "input 2 copy " + std::to_string(copy));
    EXPECT_EQ(t.line, 12);
  }
  // Expectations in time order.
  ASSERT_EQ(test.expect.size(), 2u);
  EXPECT_EQ(test.expect[0].at, absl::Minutes(10));
  EXPECT_FALSE(test.expect[0].warnings.has_value());
  ASSERT_EQ(test.expect[0].absent.size(), 1u);
  EXPECT_EQ(test.expect[0].absent[0].rule, "T1");
  EXPECT_FALSE(test.expect[0].absent[0].key.has_value());
  EXPECT_EQ(test.expect[1].at, absl::Hours(2));
  ASSERT_TRUE(test.expect[1].warnings.has_value());
  EXPECT_TRUE(test.expect[1].warnings->empty());
}

// Warning matchers carry rule, key and grade; key and grade are optional.
TEST(RuleTestFileTest, ParsesWarningMatchers) {
  auto parsed = ParseRuleTestFile(WithHeader(R"yaml(
  - name: m
    expect:
      - at: 0s
        warnings:
          - {rule: T1, key: "area:A1", grade: III}
          - {rule: T2, grade: I}
)yaml"),
                                  "x.test.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const auto& w = *parsed->tests[0].expect[0].warnings;
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].rule, "T1");
  EXPECT_EQ(w[0].key, "area:A1");
  EXPECT_EQ(w[0].grade, v1::GRADE_III);
  EXPECT_FALSE(w[1].key.has_value());
  EXPECT_EQ(w[1].grade, v1::GRADE_I);
}

// Inline reference records become ReferenceRecords, remembering where they were written.
TEST(RuleTestFileTest, ParsesInlineReference) {
  auto parsed = ParseRuleTestFile(R"yaml(rule_files: [r.yaml]
reference:
  - area: {region: {provinceCode: "370000", cityCode: "370100", countyCode: "370102",
                    stationId: "S1", feederId: F1, areaId: A1}, areaClass: URBAN, customers: 200}
  - customer: {customerId: 1000000077, areaId: A1, tendency12398: true}
start: "2026-07-01T00:00:00Z"
tests:
  - expect: [{at: 0s, warnings: []}]
)yaml",
                                  "x.test.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->reference.size(), 2u);
  EXPECT_EQ(parsed->reference[0].record.area().customers(), 200u);
  EXPECT_EQ(parsed->reference[0].record.area().area_class(), v1::URBAN);
  EXPECT_EQ(parsed->reference[0].line, 3);
  EXPECT_EQ(parsed->reference[1].record.customer().customer_id(), "1000000077");
  EXPECT_TRUE(parsed->reference[1].record.customer().tendency_12398());
  EXPECT_EQ(parsed->tests[0].name, "test 1");
}

// YAML syntax errors carry yaml-cpp's position.
TEST(RuleTestFileTest, YamlSyntaxErrorHasPosition) {
  EXPECT_TRUE(Contains(ErrorOf("rule_files: [a.yaml\nstart: x\n"), "t/x.test.yaml:"));
  const std::string error = ErrorOf("tests:\n  - name: a\n   bad: [\n");
  EXPECT_TRUE(std::regex_match(error, std::regex("t/x\\.test\\.yaml:[0-9]+:[0-9]+: .*"))) << error;
}

// Mistakes in the file's structure point at the offending node.
TEST(RuleTestFileTest, StructureErrorsPointAtTheNode) {
  // Line 11 is the matcher; column 40 its misspelt key.
  EXPECT_EQ(ErrorOf(WithHeader(R"yaml(  - name: a
    expect:
      - at: 1m
        warnings:
          - {rule: T1, key: "area:A1", grde: III}
)yaml")),
            "t/x.test.yaml:11:40: unknown key \"grde\" in a warning (expected grade, key, rule)");
  EXPECT_TRUE(Contains(ErrorOf(WithHeader(R"yaml(  - name: a
    expect:
      - at: 10x
        warnings: []
)yaml")),
                       "t/x.test.yaml:9:13: \"10x\" is not an offset"));
  EXPECT_TRUE(Contains(ErrorOf(WithHeader(R"yaml(  - name: a
    expect:
      - at: 1m
        warnings: [{rule: T1, grade: V}]
)yaml")),
                       "t/x.test.yaml:10:38: grade must be IV, III, II or I, not \"V\""));
  EXPECT_TRUE(Contains(ErrorOf(WithHeader(R"yaml(  - name: a
    input:
      - at: 1m
        event: {ticket: {ticketId: t, kind: COMPLAIN, status: ACCEPTED}}
    expect:
      - at: 1m
        warnings: []
)yaml")),
                       "t/x.test.yaml:10:16: event: not a vigil.v1.Envelope in proto3 JSON: "
                       "ticket.kind: unknown enum value \"COMPLAIN\""));
  EXPECT_TRUE(Contains(ErrorOf(WithHeader(R"yaml(  - name: a
    input:
      - at: 1m
        repeat: 0
        event: {}
    expect: [{at: 1m, warnings: []}]
)yaml")),
                       "t/x.test.yaml:10:17: repeat must be a whole number"));
  EXPECT_TRUE(Contains(ErrorOf(WithHeader(R"yaml(  - name: a
    expect:
      - at: 1m
)yaml")),
                       "t/x.test.yaml:9:9: expectation: give `warnings` (exact), `absent` or `events`"));
  EXPECT_TRUE(Contains(ErrorOf("start: \"2026-07-01T08:00:00+08:00\"\ntests: []\n"),
                       "t/x.test.yaml:1:1: rule_files is required"));
  EXPECT_TRUE(Contains(ErrorOf("rule_files: [a.yaml]\nstart: yesterday\ntests: []\n"),
                       "t/x.test.yaml:2:8: start: not an RFC 3339 time"));
  EXPECT_TRUE(Contains(ErrorOf("rule_files: [a.yaml]\nstart: \"2026-07-01T08:00:00Z\"\ntest: []\n"),
                       "t/x.test.yaml:3:1: unknown key \"test\" in the test file"));
}

// Offsets: units d, h, m, s, ms, summed; anything else is refused.
TEST(RuleTestFileTest, ParsesOffsets) {
  EXPECT_EQ(*ParseOffset("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseOffset("0s"), absl::ZeroDuration());
  EXPECT_EQ(*ParseOffset("10m"), absl::Minutes(10));
  EXPECT_EQ(*ParseOffset("1d"), absl::Hours(24));
  EXPECT_EQ(*ParseOffset("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseOffset("3d1m"), absl::Hours(72) + absl::Minutes(1));
  EXPECT_EQ(*ParseOffset("250ms"), absl::Milliseconds(250));
  for (const char* bad : {"", "m", "10", "-5m", "1.5h", "10 m", "1w"}) {
    EXPECT_FALSE(ParseOffset(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatOffset(absl::Hours(26) + absl::Minutes(1)), "1d2h1m");
  EXPECT_EQ(FormatOffset(absl::ZeroDuration()), "0s");
}

// Grades are written IV | III | II | I.
TEST(RuleTestFileTest, GradeNamesRoundTrip) {
  for (v1::Grade g : {v1::GRADE_IV, v1::GRADE_III, v1::GRADE_II, v1::GRADE_I}) {
    EXPECT_EQ(ParseGrade(GradeName(g)), g);
  }
  EXPECT_FALSE(ParseGrade("4").has_value());
  EXPECT_FALSE(ParseGrade("iv").has_value());
}

}  // namespace
}  // namespace vigil::vigilctl

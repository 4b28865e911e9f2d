#include "processors/lifecycle/policy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace vigil::lifecycle {
namespace {

// gtest predicate: `text` contains `part`.
bool HasSubstr(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr char kValid[] = R"yaml(grades:
  I:   {ack: 15m, feedback: 2h,  owner: province}
  II:  {ack: 30m, feedback: 4h,  owner: city}
  III: {ack: 2h,  feedback: 24h, owner: county}
  IV:  {ack: 4h,  feedback: 72h, owner: station}
countdown: [50%, 80%]
escalate_on_ack_overdue: 1
owner_chain: [station, county, city, province]
lookback: {default: 7d, rules: {R04: 30d, R05: 30d, R09: 30d, R10: 30d, R13-feeder: 30d}}
reopen_grade_step: 1
)yaml";

// kValid with `from` replaced by `to` (which must occur).
std::string Edit(const std::string& from, const std::string& to) {
  const std::string text = kValid;
  EXPECT_NE(text.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(text, {{from, to}});
}

// Parsing `text` fails with exactly one error at line:col naming `path`, whose
// message contains `what`.
void ExpectError(const std::string& text, int line, int col, const std::string& path,
                 const std::string& what) {
  const absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Parse(text, "policy.yaml");
  ASSERT_FALSE(p.ok()) << text;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(p.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << "more than one error: " << message;
  EXPECT_PRED2(HasSubstr, message, absl::StrCat("policy.yaml:", line, ":", col, ": ", path, ": "));
  EXPECT_PRED2(HasSubstr, message, what);
}

// The shipped rules/lifecycle/policy.yaml loads and equals Default().
TEST(LifecyclePolicyTest, ShippedFileEqualsDefault) {
  const absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Load(VIGIL_LIFECYCLE_POLICY_FILE);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(*p == LifecyclePolicy::Default());
}

// The text the tests edit is the shipped policy too.
TEST(LifecyclePolicyTest, ValidTextEqualsDefault) {
  const absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Parse(kValid, "policy.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(*p == LifecyclePolicy::Default());
}

// Default(): the numbers of the file, grade by grade.
TEST(LifecyclePolicyTest, DefaultValues) {
  const LifecyclePolicy p = LifecyclePolicy::Default();
  EXPECT_EQ(p.For(v1::GRADE_I).ack, absl::Minutes(15));
  EXPECT_EQ(p.For(v1::GRADE_I).feedback, absl::Hours(2));
  EXPECT_EQ(p.For(v1::GRADE_I).owner, OwnerLevel::kProvince);
  EXPECT_EQ(p.For(v1::GRADE_II).owner, OwnerLevel::kCity);
  EXPECT_EQ(p.For(v1::GRADE_III).ack, absl::Hours(2));
  EXPECT_EQ(p.For(v1::GRADE_III).owner, OwnerLevel::kCounty);
  EXPECT_EQ(p.For(v1::GRADE_IV).feedback, absl::Hours(72));
  EXPECT_EQ(p.For(v1::GRADE_IV).owner, OwnerLevel::kStation);
  EXPECT_EQ(p.For(v1::GRADE_UNSPECIFIED).ack, absl::Hours(4));  // counts as IV
  EXPECT_EQ(p.countdown, (std::vector<double>{0.5, 0.8}));
}

// A missing file is NotFound, naming the path.
TEST(LifecyclePolicyTest, MissingFile) {
  const absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Load("/nonexistent/policy.yaml");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_PRED2(HasSubstr, std::string(p.status().message()), "/nonexistent/policy.yaml");
}

// Look-back: exact rule id first, then the family before '-', then the default.
TEST(LifecyclePolicyTest, LookbackLookup) {
  LifecyclePolicy p = LifecyclePolicy::Default();
  p.lookback_rules["R21"] = absl::Hours(24 * 10);
  p.lookback_rules["R21-arrival"] = absl::Hours(24 * 20);
  EXPECT_EQ(p.LookbackFor("R21-arrival"), absl::Hours(24 * 20));
  EXPECT_EQ(p.LookbackFor("R21-reply"), absl::Hours(24 * 10));
  EXPECT_EQ(p.LookbackFor("R21"), absl::Hours(24 * 10));
  EXPECT_EQ(p.LookbackFor("R05"), absl::Hours(24 * 30));
  EXPECT_EQ(p.LookbackFor("R05-reply"), absl::Hours(24 * 30));
  EXPECT_EQ(p.LookbackFor("R13-feeder"), absl::Hours(24 * 30));
  EXPECT_EQ(p.LookbackFor("R13-area"), absl::Hours(24 * 7));
  EXPECT_EQ(p.LookbackFor("R011"), absl::Hours(24 * 7));  // not a family of R01
  EXPECT_EQ(p.LookbackFor(""), absl::Hours(24 * 7));
}

// One level up the chain; a chain that skips levels skips them; province stays.
TEST(LifecyclePolicyTest, OwnerAbove) {
  LifecyclePolicy p = LifecyclePolicy::Default();
  EXPECT_EQ(p.OwnerAbove(OwnerLevel::kStation), OwnerLevel::kCounty);
  EXPECT_EQ(p.OwnerAbove(OwnerLevel::kCity), OwnerLevel::kProvince);
  EXPECT_EQ(p.OwnerAbove(OwnerLevel::kProvince), OwnerLevel::kProvince);
  p.owner_chain = {OwnerLevel::kStation, OwnerLevel::kCity, OwnerLevel::kProvince};
  EXPECT_EQ(p.OwnerAbove(OwnerLevel::kStation), OwnerLevel::kCity);
  EXPECT_EQ(p.OwnerAbove(OwnerLevel::kCounty), OwnerLevel::kCity);
}

// Durations may be composite; countdown may be empty; look-back rules optional.
TEST(LifecyclePolicyTest, AcceptsVariants) {
  const std::string text =
      Edit("I:   {ack: 15m, feedback: 2h,", "I:   {ack: 1h30m, feedback: 1.5h,");
  absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Parse(text, "policy.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->For(v1::GRADE_I).ack, absl::Minutes(90));
  EXPECT_EQ(p->For(v1::GRADE_I).feedback, absl::Minutes(90));

  p = LifecyclePolicy::Parse(Edit("countdown: [50%, 80%]", "countdown: []"), "policy.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->countdown.empty());

  p = LifecyclePolicy::Parse(
      Edit("{default: 7d, rules: {R04: 30d, R05: 30d, R09: 30d, R10: 30d, R13-feeder: 30d}}",
           "{default: 7d}"),
      "policy.yaml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->lookback_rules.empty());
}

// Syntax errors and non-mapping files point at the file.
TEST(LifecyclePolicyErrorTest, SyntaxAndShape) {
  ExpectError("", 1, 1, "grades", "missing");
  ExpectError("- a\n- b\n", 1, 1, "grades", "missing");
  const absl::StatusOr<LifecyclePolicy> p =
      LifecyclePolicy::Parse("grades: {I: [\n", "policy.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_PRED2(HasSubstr, std::string(p.status().message()), "policy.yaml:");
  EXPECT_PRED2(HasSubstr, std::string(p.status().message()), "YAML syntax error");
}

// Unknown keys at every level, with what is allowed.
TEST(LifecyclePolicyErrorTest, UnknownKeys) {
  ExpectError(absl::StrCat(kValid, "extra: 1\n"), 11, 1, "extra", "unknown key; allowed here:");
  ExpectError(Edit("owner: station}\n", "owner: station}\n  V: {}\n"), 6, 3, "grades.V",
              "unknown key");
  ExpectError(Edit("{ack: 2h,  feedback: 24h, owner: county}",
                   "{ack: 2h,  feedback: 24h, owner: county, urge: 1h}"),
              4, 49, "grades.III.urge", "allowed here: ack, feedback, owner");
  ExpectError(Edit("{default: 7d,", "{default: 7d, max: 9d,"), 9, 25, "lookback.max",
              "unknown key");
  ExpectError(Edit("countdown: [50%, 80%]\n", "countdown: [50%, 80%]\ncountdown: [50%]\n"), 7, 1,
              "countdown", "duplicate key (first at line 6)");
}

// Every top-level key and every grade is required.
TEST(LifecyclePolicyErrorTest, MissingValues) {
  ExpectError(Edit("  IV:  {ack: 4h,  feedback: 72h, owner: station}\n", ""), 2, 3, "grades.IV",
              "missing; every grade");
  ExpectError(Edit("{ack: 30m, feedback: 4h,  owner: city}", "{ack: 30m, owner: city}"), 3, 8,
              "grades.II.feedback", "missing");
  ExpectError(Edit("reopen_grade_step: 1\n", ""), 1, 1, "reopen_grade_step", "missing");
  ExpectError(Edit("{default: 7d, rules:", "{rules:"), 9, 11, "lookback.default", "missing");
}

// Durations must parse, be > 0 and feedback >= ack.
TEST(LifecyclePolicyErrorTest, Durations) {
  ExpectError(Edit("{ack: 15m,", "{ack: 15 minutes,"), 2, 14, "grades.I.ack", "must be a duration");
  ExpectError(Edit("{ack: 15m,", "{ack: 0s,"), 2, 14, "grades.I.ack", "> 0");
  ExpectError(Edit("{ack: 15m,", "{ack: -15m,"), 2, 14, "grades.I.ack", "must be a duration");
  ExpectError(Edit("{ack: 2h,  feedback: 24h,", "{ack: 2h,  feedback: 1h,"), 4, 29,
              "grades.III.feedback", "must be at least ack (2h)");
  ExpectError(Edit("R09: 30d", "R09: 30"), 9, 58, "lookback.rules.R09", "must be a duration");
  ExpectError(Edit("default: 7d", "default: 9999d"), 9, 21, "lookback.default", "at most 3650d");
}

// Owners must be known, on the chain and not decrease with the grade.
TEST(LifecyclePolicyErrorTest, Owners) {
  ExpectError(Edit("owner: city}", "owner: prefecture}"), 3, 41, "grades.II.owner",
              "unknown owner \"prefecture\"; one of station, county, city, province");
  ExpectError(Edit("owner: city}", "owner: station}"), 3, 41, "grades.II.owner",
              "must not be below the owner of grade III (county)");
  ExpectError(Edit("owner: province}", "owner: county}"), 2, 41, "grades.I.owner",
              "must not be below the owner of grade II (city)");
}

// The chain must be known levels, strictly ascending, ending at province, and
// hold every grade's owner.
TEST(LifecyclePolicyErrorTest, OwnerChain) {
  ExpectError(Edit("[station, county, city, province]", "[station, town, city, province]"), 8, 24,
              "owner_chain[1]", "unknown owner \"town\"");
  ExpectError(Edit("[station, county, city, province]", "[station, city, county, province]"), 8, 30,
              "owner_chain[2]", "must be above the previous entry (city)");
  ExpectError(Edit("[station, county, city, province]", "[station, county, city]"), 8, 32,
              "owner_chain[2]", "must end at province");
  ExpectError(Edit("[station, county, city, province]", "[station, city, province]"), 4, 41,
              "grades.III.owner", "is not on owner_chain");
  ExpectError(Edit("[station, county, city, province]", "[]"), 8, 14, "owner_chain",
              "non-empty list");
}

// Countdown shares are percentages strictly inside (0, 100), increasing.
TEST(LifecyclePolicyErrorTest, Countdown) {
  ExpectError(Edit("[50%, 80%]", "[50%, 100%]"), 6, 18, "countdown[1]",
              "strictly between 0% and 100%");
  ExpectError(Edit("[50%, 80%]", "[0%, 80%]"), 6, 13, "countdown[0]", "strictly between");
  ExpectError(Edit("[50%, 80%]", "[0.5, 80%]"), 6, 13, "countdown[0]", "like \"50%\"");
  ExpectError(Edit("[50%, 80%]", "[80%, 50%]"), 6, 18, "countdown[1]",
              "must be above the previous share (80%)");
  ExpectError(Edit("[50%, 80%]", "50%"), 6, 12, "countdown", "must be a list");
}

// Integers in range; rule ids well formed.
TEST(LifecyclePolicyErrorTest, IntegersAndRuleIds) {
  ExpectError(Edit("escalate_on_ack_overdue: 1", "escalate_on_ack_overdue: 4"), 7, 26,
              "escalate_on_ack_overdue", "must be an integer in [0, 3]");
  ExpectError(Edit("reopen_grade_step: 1", "reopen_grade_step: one"), 10, 20, "reopen_grade_step",
              "must be an integer in [0, 3]");
  ExpectError(Edit("R04: 30d", "\"R 04\": 30d"), 9, 33, "lookback.rules.R 04", "must be a rule id");
}

// Every problem of a file is reported, sorted by position.
TEST(LifecyclePolicyErrorTest, ReportsEveryProblemInOrder) {
  std::string text = Edit("{ack: 15m,", "{ack: x,");
  text = absl::StrReplaceAll(
      text, {{"reopen_grade_step: 1", "reopen_grade_step: 9"}, {"[50%, 80%]", "[50%, 180%]"}});
  const absl::StatusOr<LifecyclePolicy> p = LifecyclePolicy::Parse(text, "policy.yaml");
  ASSERT_FALSE(p.ok());
  const std::vector<std::string> lines = absl::StrSplit(p.status().message(), '\n');
  ASSERT_EQ(lines.size(), 3u) << p.status();
  EXPECT_PRED2(HasSubstr, lines[0], "policy.yaml:2:14: grades.I.ack:");
  EXPECT_PRED2(HasSubstr, lines[1], "policy.yaml:6:18: countdown[1]:");
  EXPECT_PRED2(HasSubstr, lines[2], "policy.yaml:10:20: reopen_grade_step:");
}

}  // namespace
}  // namespace vigil::lifecycle

#include "processors/rules/rule_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::rules {
namespace {

namespace fs = std::filesystem;

// A rule of 11 lines with the given id, stream, key and optional fold_into.
// The id value is on its first line (column 9), fold_into's on its 10th (column 16).
std::string Rule(const std::string& id, const std::string& stream, const std::string& key,
                 const std::string& fold_into = "") {
  return "  - id: " + id + "\n" +
         "    version: \"1\"\n"
         "    title: t\n"
         "    input: {stream: " +
         stream + "}\n" + "    key: " + key + "\n" +
         "    window: {type: sliding, size: 24h}\n"
         "    condition: {measure: count}\n"
         "    grades: {III: 3}\n"
         "    resolve: {quiet_for: 72h}\n" +
         (fold_into.empty() ? "    # no fold\n" : "    fold_into: " + fold_into + "\n") +
         "    message: \"{count} in {key}\"\n";
}

// One temp directory per test.
class RuleSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("rule_set_test_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // Loads the files and returns the error lines (none when it loaded).
  std::vector<std::string> LoadErrors(const std::vector<std::string>& paths) {
    const absl::StatusOr<std::shared_ptr<const RuleSet>> set = LoadRuleFiles(paths);
    if (set.ok()) return {};
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    std::vector<std::string> lines;
    std::string message(set.status().message());
    size_t start = 0;
    while (start <= message.size()) {
      const size_t end = message.find('\n', start);
      lines.push_back(message.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return lines;
  }

  fs::path dir_;
};

// A directory loads its *.yaml files in name order; tests/, other extensions
// and hidden files are not rules.
TEST_F(RuleSetTest, LoadsDirectoryInNameOrder) {
  const std::string b =
      Write("b.yaml", "rules:\n" + Rule("B1", "ticket", "area") + Rule("B2", "ticket", "feeder"));
  const std::string a = Write("a.yaml", "rules:\n" + Rule("A1", "outage", "city"));
  Write("tests/a.test.yaml", "not: rules\n");
  Write("notes.yml", "not: rules\n");
  Write("README.md", "# rules\n");
  Write(".a.yaml.swp", "junk");
  Write(".hidden.yaml", "junk: [");

  const absl::StatusOr<std::vector<std::string>> files = RuleFilesIn(dir_.string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, (std::vector<std::string>{a, b}));

  const absl::StatusOr<std::shared_ptr<const RuleSet>> set = LoadRuleDir(dir_.string());
  ASSERT_TRUE(set.ok()) << set.status();
  const RuleSet& s = **set;
  EXPECT_EQ(s.files, (std::vector<std::string>{a, b}));
  ASSERT_EQ(s.rules.size(), 3u);
  EXPECT_EQ(s.rules[0].id, "A1");
  EXPECT_EQ(s.rules[1].id, "B1");
  EXPECT_EQ(s.rules[2].id, "B2");
  EXPECT_EQ(s.rules[2].file, b);
  EXPECT_EQ(s.rules[2].line, 13);
  ASSERT_NE(s.Find("B2"), nullptr);
  EXPECT_EQ(s.Find("B2")->key, KeyLevel::kFeeder);
  EXPECT_EQ(s.Find("nope"), nullptr);
}

// A directory without rule files, or no directory at all, is an error.
TEST_F(RuleSetTest, EmptyOrMissingDirectory) {
  Write("tests/a.test.yaml", "x: 1\n");
  const absl::StatusOr<std::shared_ptr<const RuleSet>> empty = LoadRuleDir(dir_.string());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("no *.yaml rule files"), std::string::npos);

  const absl::StatusOr<std::shared_ptr<const RuleSet>> missing =
      LoadRuleDir((dir_ / "absent").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(RuleFilesIn((dir_ / "absent").string()).status().code(), absl::StatusCode::kNotFound);
}

// The errors of every file are reported together; an unreadable file is one of them.
TEST_F(RuleSetTest, ErrorsOfAllFilesJoined) {
  const std::string a = Write("a.yaml", "rules:\n" + Rule("A1", "ticket", "district"));
  const std::string b = Write("b.yaml", "rules: [\n");
  const std::string c = (dir_ / "c.yaml").string();
  const std::vector<std::string> errors = LoadErrors({a, b, c});
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].rfind(a + ":6:10: rules[0].key: ", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind(b + ":2:1: YAML syntax error: ", 0), 0u) << errors[1];
  EXPECT_EQ(errors[2], c + ": cannot read the rule file");
}

// Ids are unique across files; the error names both positions.
TEST_F(RuleSetTest, DuplicateIdAcrossFiles) {
  const std::string a = Write("a.yaml", "rules:\n" + Rule("R1", "ticket", "area"));
  const std::string b =
      Write("b.yaml", "rules:\n" + Rule("R2", "ticket", "area") + Rule("R1", "ticket", "feeder"));
  const std::vector<std::string> errors = LoadErrors({a, b});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], b + ":13:9: rules[1].id: duplicate rule id \"R1\"; first defined at " + a +
                           ":2:9; ids are unique across files");
}

// fold_into names an existing rule of the same stream at a strictly coarser region level.
TEST_F(RuleSetTest, FoldIntoChecks) {
  const std::string f =
      Write("f.yaml", "rules:\n" + Rule("feeder", "ticket", "feeder") +
                          Rule("area", "ticket", "area", "feeder") +      // ok
                          Rule("ghost", "ticket", "area", "nobody") +     // unknown
                          Rule("other", "outage", "area", "feeder") +     // stream
                          Rule("same", "ticket", "feeder", "feeder") +    // not coarser
                          Rule("cust", "ticket", "customer", "feeder") +  // not a region key
                          Rule("station", "ticket", "station", "area"));  // finer
  const std::vector<std::string> errors = LoadErrors({f});
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0], f + ":33:16: rules[2].fold_into: names no rule: \"nobody\" is not defined "
                           "in the rule set");
  EXPECT_EQ(errors[1].rfind(f + ":44:16: rules[3].fold_into: \"feeder\" (" + f +
                                ":2:9) reads stream ticket, this rule outage",
                            0),
            0u)
      << errors[1];
  EXPECT_EQ(errors[2].rfind(f + ":55:16: rules[4].fold_into: \"feeder\" (" + f +
                                ":2:9) is keyed by feeder, this rule by feeder; fold only into a "
                                "strictly coarser region level (area < feeder < station < county "
                                "< city < province)",
                            0),
            0u)
      << errors[2];
  EXPECT_NE(errors[3].find("rules[5].fold_into: \"feeder\""), std::string::npos) << errors[3];
  EXPECT_NE(errors[3].find("this rule by customer"), std::string::npos) << errors[3];
  EXPECT_NE(errors[4].find("rules[6].fold_into: \"area\""), std::string::npos) << errors[4];
  EXPECT_NE(errors[4].find("this rule by station"), std::string::npos) << errors[4];
}

// A chain area → feeder → city loads; a cycle is named.
TEST_F(RuleSetTest, FoldChainsAndCycles) {
  const std::string ok =
      Write("ok.yaml", "rules:\n" + Rule("a", "ticket", "area", "f") +
                           Rule("f", "ticket", "feeder", "c") + Rule("c", "ticket", "city"));
  EXPECT_TRUE(LoadErrors({ok}).empty());

  const std::string cycle = Write("cycle.yaml", "rules:\n" + Rule("a", "ticket", "area", "f") +
                                                    Rule("f", "ticket", "feeder", "a"));
  const std::vector<std::string> errors = LoadErrors({cycle});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("rules[1].fold_into: \"a\""), std::string::npos) << errors[0];
  EXPECT_EQ(errors[1], cycle + ":11:16: rules[0].fold_into: fold_into cycle: a -> f -> a");
}

// Set-level checks wait until every file parses: no false "names no rule".
TEST_F(RuleSetTest, NoSetChecksWhileAFileIsBroken) {
  const std::string a = Write("a.yaml", "rules:\n" + Rule("a", "ticket", "area", "f"));
  const std::string b = Write("b.yaml", "rules:\n" + Rule("f", "ticket", "feeder") + "    x: 1\n");
  const std::vector<std::string> errors = LoadErrors({a, b});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("rules[0].x: unknown key"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace vigil::rules

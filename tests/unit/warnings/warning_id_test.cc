#include "processors/warnings/warning_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace vigil::warnings {
namespace {

constexpr char kKey[] = "370100/370102/S01/T0001|LOW_VOLTAGE";
constexpr int64_t kOpened = 1784102400000;
// FNV-1a 64 of the parts below, each followed by 0xff, computed independently of the code.
constexpr char kPinnedHex[] = "518e87185be3e155";

// Equal inputs give equal ids on every call.
TEST(WarningIdTest, Deterministic) {
  const std::string id = WarningId("R13", kKey, kOpened, "TK1");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(WarningId("R13", kKey, kOpened, "TK1"), id);
}

// The id is pinned: FNV-1a 64 of the parts, so it is the same on every machine and build.
TEST(WarningIdTest, PinnedValue) {
  EXPECT_EQ(WarningId("R13", kKey, kOpened, "TK1"), "R13-" + std::string(kPinnedHex));
}

// Changing any one input changes the id.
TEST(WarningIdTest, EveryInputMatters) {
  const std::set<std::string> ids = {
      WarningId("R13", kKey, kOpened, "TK1"),
      WarningId("R14", kKey, kOpened, "TK1"),
      WarningId("R13", "370100/370102/S01/T0002|LOW_VOLTAGE", kOpened, "TK1"),
      WarningId("R13", kKey, kOpened + 1, "TK1"),
      WarningId("R13", kKey, -kOpened, "TK1"),
      WarningId("R13", kKey, kOpened, "TK2"),
      WarningId("R13", kKey, kOpened, ""),
  };
  EXPECT_EQ(ids.size(), 7u);
}

// Moving bytes between adjacent parts changes the id.
TEST(WarningIdTest, PartBoundariesMatter) {
  EXPECT_NE(WarningId("R13", "ab", 1, "c"), WarningId("R13", "a", 1, "bc"));
  EXPECT_NE(WarningId("R1", "3k", 1, "s"), WarningId("R13", "k", 1, "s"));
  EXPECT_NE(WarningId("R13", "k1", 2, "s"), WarningId("R13", "k", 12, "s"));
  EXPECT_NE(WarningId("R13", "k", 12, "s"), WarningId("R13", "k", 1, "2s"));
}

// The format is "<rule_id>-" followed by 16 lowercase hex digits.
TEST(WarningIdTest, Format) {
  for (const auto& [rule, key] : {std::pair{"R13", kKey}, std::pair{"R2", ""}}) {
    const std::string id = WarningId(rule, key, 0, "s");
    const std::string prefix = std::string(rule) + "-";
    ASSERT_EQ(id.size(), prefix.size() + 16) << id;
    EXPECT_EQ(id.substr(0, prefix.size()), prefix);
    for (char c : id.substr(prefix.size())) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    }
  }
}

}  // namespace
}  // namespace vigil::warnings

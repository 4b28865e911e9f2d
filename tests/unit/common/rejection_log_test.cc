#include "processors/common/rejection_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RejectionLogTest, EachRejectionIsLoggedOnceUpToTheBurstThenSummarised) {
  std::vector<std::string> lines;
  RejectionLog log(/*burst=*/2, absl::Seconds(10), "; see the metrics",
                   [&](const std::string& l) { lines.push_back(l); });
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  int built = 0;
  for (int i = 0; i < 5; ++i) {
    log.Reject(t0 + absl::Seconds(i), i % 2 == 0 ? "INVALID_REGION" : "LATE", [&] {
      ++built;
      return "record " + std::to_string(i);
    });
  }
  EXPECT_THAT(lines, ElementsAre("record 0", "record 1"));
  EXPECT_EQ(built, 2);               // suppressed lines are never formatted
  log.Flush(t0 + absl::Seconds(9));  // the period is not over
  EXPECT_EQ(lines.size(), 2u);
  log.Flush(t0 + absl::Seconds(10));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[2], HasSubstr("3 more rejections in the last 10s"));
  EXPECT_THAT(lines[2], HasSubstr("(INVALID_REGION 2, LATE 1); see the metrics"));
  log.Flush(t0 + absl::Seconds(30));  // said once
  EXPECT_EQ(lines.size(), 3u);
  // A new period logs one by one again.
  log.Reject(t0 + absl::Seconds(31), "LATE", [] { return std::string("record 5"); });
  EXPECT_EQ(lines.back(), "record 5");
}

TEST(RejectionLogTest, ARejectionInANewPeriodFirstReportsTheOldOne) {
  std::vector<std::string> lines;
  RejectionLog log(/*burst=*/1, absl::Seconds(10), "; see the metrics",
                   [&](const std::string& l) { lines.push_back(l); });
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  log.Reject(t0, "A", [] { return std::string("first"); });
  log.Reject(t0, "A", [] { return std::string("second"); });
  log.Reject(t0 + absl::Seconds(11), "B", [] { return std::string("third"); });
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "first");
  EXPECT_THAT(lines[1], HasSubstr("1 more rejections"));
  EXPECT_EQ(lines[2], "third");
}

}  // namespace
}  // namespace vigil

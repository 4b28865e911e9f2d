#include "processors/engine/sliding_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace vigil::engine {
namespace {

using AddResult = SlidingWindow::AddResult;
using Entry = SlidingWindow::Entry;

constexpr int64_t kSize = 1000;
constexpr int64_t kLateness = 100;

class SlidingWindowTest : public ::testing::Test {
 protected:
  AddResult Add(int64_t t, const std::string& subject) {
    return window_.Add(t, "e-" + subject, subject);
  }
  std::vector<std::string> Subjects(const std::vector<Entry>& entries) {
    std::vector<std::string> out;
    for (const Entry& e : entries) out.push_back(e.subject_id);
    return out;
  }

  SlidingWindow window_{kSize, kLateness};
};

// An empty window counts nothing.
TEST_F(SlidingWindowTest, EmptyCountsZero) {
  EXPECT_TRUE(window_.empty());
  EXPECT_EQ(window_.MaxCountContaining(0), 0);
  EXPECT_TRUE(window_.DensestWindowContaining(0).empty());
}

// Windows are half-open: events exactly `size` apart never share a window.
TEST_F(SlidingWindowTest, EventsSizeApartAreNotInOneWindow) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'000 + kSize, "b"), AddResult::kAdded);
  EXPECT_EQ(window_.MaxCountContaining(10'000), 1);
  EXPECT_EQ(window_.MaxCountContaining(10'000 + kSize), 1);
}

// Events `size - 1` apart share a window.
TEST_F(SlidingWindowTest, EventsSizeMinusOneApartAreInOneWindow) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'000 + kSize - 1, "b"), AddResult::kAdded);
  EXPECT_EQ(window_.MaxCountContaining(10'000), 2);
  EXPECT_EQ(window_.MaxCountContaining(10'000 + kSize - 1), 2);
}

// Events at the same instant are all counted, ordered by subject.
TEST_F(SlidingWindowTest, SimultaneousEvents) {
  ASSERT_EQ(Add(500, "c"), AddResult::kAdded);
  ASSERT_EQ(Add(500, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(500, "b"), AddResult::kAdded);
  EXPECT_EQ(window_.MaxCountContaining(500), 3);
  EXPECT_EQ(Subjects(window_.entries()), (std::vector<std::string>{"a", "b", "c"}));
}

// An out-of-order event inside the allowed lateness is inserted in order and counted.
TEST_F(SlidingWindowTest, OutOfOrderInsideWindowIsCounted) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'900, "c"), AddResult::kAdded);
  ASSERT_EQ(Add(10'850, "b"), AddResult::kAdded);  // 50 ms behind the newest
  EXPECT_EQ(Subjects(window_.entries()), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(window_.MaxCountContaining(10'850), 3);
  EXPECT_EQ(window_.max_time_ms(), 10'900);
}

// A subject already in the window is a duplicate, even at another time.
TEST_F(SlidingWindowTest, DuplicateSubject) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  EXPECT_EQ(Add(10'000, "a"), AddResult::kDuplicate);
  EXPECT_EQ(Add(10'050, "a"), AddResult::kDuplicate);
  EXPECT_EQ(window_.entries().size(), 1u);
  EXPECT_EQ(window_.max_time_ms(), 10'000);
}

// Events further than the allowed lateness behind the newest are late; exactly at it is fine.
TEST_F(SlidingWindowTest, Lateness) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  EXPECT_EQ(Add(10'000 - kLateness - 1, "late"), AddResult::kLate);
  EXPECT_EQ(Add(10'000 - kLateness, "edge"), AddResult::kAdded);
  EXPECT_EQ(window_.entries().size(), 2u);
  EXPECT_EQ(window_.MaxCountContaining(10'000), 2);
}

// A late event is refused before the duplicate check and changes nothing.
TEST_F(SlidingWindowTest, LateDuplicateIsLate) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  EXPECT_EQ(Add(1'000, "a"), AddResult::kLate);
  EXPECT_EQ(window_.entries(), (std::vector<Entry>{{10'000, "e-a", "a"}}));
}

// Eviction drops only entries no non-late event's window can reach (size + lateness behind).
TEST_F(SlidingWindowTest, EvictionKeepsReachableEntries) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'001, "b"), AddResult::kAdded);
  // Newest 11'100: horizon 11'100 - 100 - 1'000 = 10'000; "a" (at the horizon) goes.
  ASSERT_EQ(Add(11'100, "c"), AddResult::kAdded);
  EXPECT_EQ(Subjects(window_.entries()), (std::vector<std::string>{"b", "c"}));
  // Newest 11'101: horizon 10'001; "b" goes.
  ASSERT_EQ(Add(11'101, "d"), AddResult::kAdded);
  EXPECT_EQ(Subjects(window_.entries()), (std::vector<std::string>{"c", "d"}));
  // The oldest non-late event (11'001) only reaches back to 10'002.
  ASSERT_EQ(Add(11'001, "e"), AddResult::kAdded);
  EXPECT_EQ(window_.MaxCountContaining(11'001), 3);
}

// An entry one millisecond inside the horizon is still counted by the oldest non-late event.
TEST_F(SlidingWindowTest, EntryJustInsideHorizonStillCounts) {
  ASSERT_EQ(Add(10'002, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(11'101, "b"), AddResult::kAdded);
  ASSERT_EQ(Subjects(window_.entries()), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(Add(11'001, "c"), AddResult::kAdded);    // exactly the allowed lateness behind
  EXPECT_EQ(window_.MaxCountContaining(11'001), 2);  // [10'002, 11'002) holds a and c
}

// After eviction a subject may be counted again (dedup is per retained entries).
TEST_F(SlidingWindowTest, EvictedSubjectCanReturn) {
  ASSERT_EQ(Add(0, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(5'000, "b"), AddResult::kAdded);
  EXPECT_EQ(Add(5'000, "a"), AddResult::kAdded);
}

// The densest window containing a time is returned.
TEST(SlidingWindowDensestTest, DensestWindowContaining) {
  SlidingWindow w(1000, 5000);
  for (const auto& [t, s] : std::vector<std::pair<int64_t, std::string>>{
           {10'000, "a"}, {10'400, "b"}, {10'900, "c"}, {11'300, "d"}, {11'350, "e"}}) {
    ASSERT_EQ(w.Add(t, "e-" + s, s), AddResult::kAdded);
  }
  // Containing 10'900: [10'400, 11'400) holds b, c, d, e; [10'000, 11'000) only a, b, c.
  EXPECT_EQ(w.MaxCountContaining(10'900), 4);
  const std::vector<Entry> densest = w.DensestWindowContaining(10'900);
  ASSERT_EQ(densest.size(), 4u);
  EXPECT_EQ(densest.front(), (Entry{10'400, "e-b", "b"}));
  EXPECT_EQ(densest.back(), (Entry{11'350, "e-e", "e"}));
  // Containing 10'000: only windows starting in (9'000, 10'000], at best a, b, c.
  EXPECT_EQ(w.MaxCountContaining(10'000), 3);
  EXPECT_EQ(w.DensestWindowContaining(10'000).back().subject_id, "c");
  EXPECT_EQ(w.MaxCountContaining(11'350), 4);
  EXPECT_EQ(w.MaxCountContaining(12'000), 2);  // [11'300, 12'300): d, e
}

// Ties between equally dense windows go to the earliest one.
TEST(SlidingWindowDensestTest, TieGoesToEarliest) {
  SlidingWindow w(1000, 5000);
  ASSERT_EQ(w.Add(10'000, "e-a", "a"), AddResult::kAdded);
  ASSERT_EQ(w.Add(10'600, "e-b", "b"), AddResult::kAdded);
  ASSERT_EQ(w.Add(11'200, "e-c", "c"), AddResult::kAdded);
  const std::vector<Entry> densest = w.DensestWindowContaining(10'600);
  ASSERT_EQ(densest.size(), 2u);
  EXPECT_EQ(densest[0].subject_id, "a");
  EXPECT_EQ(densest[1].subject_id, "b");
}

// A time with no entry of its own is still inside windows that hold later entries.
TEST_F(SlidingWindowTest, QueryBetweenEntries) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'500, "b"), AddResult::kAdded);
  EXPECT_EQ(window_.MaxCountContaining(10'200), 2);
  EXPECT_EQ(window_.MaxCountContaining(9'600), 2);  // [9'600, 10'600)
  EXPECT_EQ(window_.MaxCountContaining(9'200), 1);  // [9'200, 10'200)
  EXPECT_EQ(Subjects(window_.DensestWindowContaining(9'200)), (std::vector<std::string>{"a"}));
  EXPECT_EQ(window_.MaxCountContaining(8'500), 0);
}

// Restore sorts the entries and continues exactly like the original window.
TEST_F(SlidingWindowTest, RestoreContinuesIdentically) {
  ASSERT_EQ(Add(10'000, "a"), AddResult::kAdded);
  ASSERT_EQ(Add(10'300, "c"), AddResult::kAdded);
  ASSERT_EQ(Add(10'200, "b"), AddResult::kAdded);
  std::vector<Entry> shuffled = window_.entries();
  std::reverse(shuffled.begin(), shuffled.end());
  SlidingWindow restored(kSize, kLateness);
  restored.Restore(shuffled, window_.max_time_ms());
  EXPECT_EQ(restored.entries(), window_.entries());
  EXPECT_EQ(restored.max_time_ms(), 10'300);
  EXPECT_EQ(restored.Add(10'199, "x", "late"), AddResult::kLate);
  EXPECT_EQ(restored.Add(10'250, "x", "b"), AddResult::kDuplicate);
  EXPECT_EQ(restored.Add(10'250, "x", "d"), AddResult::kAdded);
  EXPECT_EQ(restored.MaxCountContaining(10'250), 4);
}

// Property: Add, entries() and MaxCountContaining / DensestWindowContaining agree with a
// brute-force model over random streams, for every query time a non-late event can have.
TEST(SlidingWindowPropertyTest, MatchesBruteForce) {
  std::mt19937 rng(20260715);
  int queries = 0;
  for (int round = 0; round < 3000; ++round) {
    const int64_t size = 1 + rng() % 20;
    const int64_t lateness = rng() % 30;
    SlidingWindow w(size, lateness);
    struct Event {
      int64_t t;
      std::string subject;
    };
    std::vector<Event> accepted;  // every event the model accepted (never evicted)
    int64_t max_t = INT64_MIN;
    const int n = 1 + static_cast<int>(rng() % 25);
    for (int i = 0; i < n; ++i) {
      const int64_t t = static_cast<int64_t>(rng() % 120);
      const std::string subject = "s" + std::to_string(rng() % 30);
      // Model.
      AddResult expected = AddResult::kAdded;
      if (max_t != INT64_MIN && t < max_t - lateness) {
        expected = AddResult::kLate;
      } else {
        for (const Event& e : accepted) {
          if (e.subject == subject && e.t > max_t - lateness - size)
            expected = AddResult::kDuplicate;
        }
      }
      ASSERT_EQ(w.Add(t, "e" + std::to_string(i), subject), expected)
          << "round " << round << " event " << i;
      if (expected != AddResult::kAdded) continue;
      accepted.push_back({t, subject});
      max_t = std::max(max_t, t);
      // Retained entries: exactly those after the horizon, sorted by (time, subject).
      std::vector<std::pair<int64_t, std::string>> retained;
      for (const Event& e : accepted) {
        if (e.t > max_t - lateness - size) retained.emplace_back(e.t, e.subject);
      }
      std::sort(retained.begin(), retained.end());
      std::vector<std::pair<int64_t, std::string>> actual;
      for (const Entry& e : w.entries()) actual.emplace_back(e.time_ms, e.subject_id);
      ASSERT_EQ(actual, retained) << "round " << round;
      // Every time a non-late event may still have: [max - lateness, max + size].
      for (int64_t q = max_t - lateness; q <= max_t + size; ++q) {
        int best = 0;
        int64_t best_s = q - size + 1;
        for (int64_t s = q - size + 1; s <= q; ++s) {
          int count = 0;
          for (const Event& e : accepted) count += e.t >= s && e.t < s + size;
          if (count > best) {
            best = count;
            best_s = s;
          }
        }
        ASSERT_EQ(w.MaxCountContaining(q), best) << "round " << round << " q " << q;
        const std::vector<Entry> densest = w.DensestWindowContaining(q);
        ASSERT_EQ(static_cast<int>(densest.size()), best);
        // It is the content of the earliest densest window.
        std::vector<Entry> expected_entries;
        for (const Entry& e : w.entries()) {
          if (e.time_ms >= best_s && e.time_ms < best_s + size) expected_entries.push_back(e);
        }
        ASSERT_EQ(densest, expected_entries) << "round " << round << " q " << q;
        ++queries;
      }
    }
  }
  EXPECT_GT(queries, 100000);
}

}  // namespace
}  // namespace vigil::engine

#include "processors/timers/timer_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "processors/common/clock.h"

namespace vigil::timers {
namespace {

using state::StateStore;

absl::Time Ms(int64_t ms) { return absl::FromUnixMillis(ms); }

class TimerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("vigil_timers_") + info->name() + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    timers_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Closes and reopens the store, like a process restart.
  void Reopen() {
    timers_.reset();
    store_.reset();
    auto opened = StateStore::Open(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
    timers_ = std::make_unique<TimerStore>(store_.get());
  }
  void Schedule(StateStore::Batch& batch, const std::string& id, absl::Time due,
                const std::string& payload = "p") {
    const absl::Status s = timers_->Schedule(batch, id, due, payload);
    ASSERT_TRUE(s.ok()) << s;
  }
  // Schedules and commits in a batch of its own.
  void ScheduleCommitted(const std::string& id, absl::Time due, const std::string& payload = "p") {
    StateStore::Batch batch = store_->NewBatch();
    Schedule(batch, id, due, payload);
    Commit(batch);
  }
  void Commit(StateStore::Batch& batch) {
    const absl::Status s = store_->Commit(batch);
    ASSERT_TRUE(s.ok()) << s;
  }
  std::vector<Timer> Pop(StateStore::Batch& batch, absl::Time until, size_t limit = 1000) {
    auto popped = timers_->PopDue(batch, until, limit);
    EXPECT_TRUE(popped.ok()) << popped.status();
    return popped.ok() ? *std::move(popped) : std::vector<Timer>();
  }
  std::vector<std::string> PopIds(StateStore::Batch& batch, absl::Time until, size_t limit = 1000) {
    std::vector<std::string> ids;
    for (const Timer& t : Pop(batch, until, limit)) ids.push_back(t.id);
    return ids;
  }
  uint64_t Pending(const StateStore::Batch* batch) {
    auto pending = timers_->Pending(batch);
    EXPECT_TRUE(pending.ok()) << pending.status();
    return pending.value_or(~uint64_t{0});
  }
  std::optional<Timer> Get(const StateStore::Batch& batch, const std::string& id) {
    auto timer = timers_->Get(batch, id);
    EXPECT_TRUE(timer.ok()) << timer.status();
    return timer.ok() ? *timer : std::nullopt;
  }
  std::optional<absl::Time> NextDue(const StateStore::Batch& batch) {
    auto due = timers_->NextDue(batch);
    EXPECT_TRUE(due.ok()) << due.status();
    return due.ok() ? *due : std::nullopt;
  }

  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<TimerStore> timers_;
};

// Timers pop in due order, and by id among timers due at the same millisecond.
TEST_F(TimerStoreTest, PopsInDueThenIdOrder) {
  ScheduleCommitted("c", Ms(3000));
  ScheduleCommitted("b", Ms(1000));
  ScheduleCommitted("ab", Ms(1000));
  ScheduleCommitted("a", Ms(1000));
  ScheduleCommitted("d", Ms(2000));
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(PopIds(batch, Ms(5000)), (std::vector<std::string>{"a", "ab", "b", "d", "c"}));
}

// Timers with the same due time and different ids are separate timers.
TEST_F(TimerStoreTest, SameDueDifferentIdsAreDistinct) {
  ScheduleCommitted("x", Ms(1000), "px");
  ScheduleCommitted("y", Ms(1000), "py");
  EXPECT_EQ(Pending(nullptr), 2u);
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(Pop(batch, Ms(1000)),
            (std::vector<Timer>{{"x", Ms(1000), "px"}, {"y", Ms(1000), "py"}}));
}

// PopDue returns timers due at or before `until` only; due times keep milliseconds only.
TEST_F(TimerStoreTest, PopsOnlyDueTimersAtMillisecondPrecision) {
  ManualClock clock(Ms(10'000));
  ScheduleCommitted("early", clock.Now() + absl::Microseconds(999));
  ScheduleCommitted("late", clock.Now() + absl::Milliseconds(1));
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(NextDue(batch), Ms(10'000));
  EXPECT_EQ(Pop(batch, clock.Now()), (std::vector<Timer>{{"early", Ms(10'000), "p"}}));
  EXPECT_TRUE(Pop(batch, clock.Now() + absl::Microseconds(999)).empty());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(PopIds(batch, clock.Now()), (std::vector<std::string>{"late"}));
}

// Times before 1970 are valid and sort before later ones.
TEST_F(TimerStoreTest, NegativeTimesSortFirst) {
  ScheduleCommitted("after", Ms(5));
  ScheduleCommitted("before", Ms(-5));
  ScheduleCommitted("epoch", Ms(0));
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(
      Pop(batch, Ms(10)),
      (std::vector<Timer>{{"before", Ms(-5), "p"}, {"epoch", Ms(0), "p"}, {"after", Ms(5), "p"}}));
}

// An empty id and an infinite due time are rejected.
TEST_F(TimerStoreTest, RejectsInvalidArguments) {
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(timers_->Schedule(batch, "", Ms(1), "p").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(timers_->Schedule(batch, "t", absl::InfiniteFuture(), "p").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(timers_->Schedule(batch, "t", absl::InfinitePast(), "p").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(batch.empty());
}

// A cancelled timer never fires; cancelling an absent timer is a no-op.
TEST_F(TimerStoreTest, CancelRemovesTimer) {
  ScheduleCommitted("a", Ms(1000));
  ScheduleCommitted("b", Ms(2000));
  StateStore::Batch batch = store_->NewBatch();
  ASSERT_TRUE(timers_->Cancel(batch, "a").ok());
  ASSERT_TRUE(timers_->Cancel(batch, "a").ok());
  ASSERT_TRUE(timers_->Cancel(batch, "never").ok());
  EXPECT_EQ(Pending(&batch), 1u);
  Commit(batch);
  EXPECT_EQ(Pending(nullptr), 1u);
  EXPECT_EQ(Get(batch, "a"), std::nullopt);
  EXPECT_EQ(PopIds(batch, Ms(5000)), (std::vector<std::string>{"b"}));
}

// Rescheduling a pending id moves it (earlier or later) and replaces its payload.
TEST_F(TimerStoreTest, RescheduleEarlierAndLater) {
  ScheduleCommitted("a", Ms(2000), "v1");
  ScheduleCommitted("b", Ms(3000));
  ScheduleCommitted("a", Ms(1000), "v2");  // earlier
  EXPECT_EQ(Pending(nullptr), 2u);
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(Get(batch, "a"), (Timer{"a", Ms(1000), "v2"}));
  ScheduleCommitted("a", Ms(4000), "v3");  // later
  EXPECT_EQ(Pending(nullptr), 2u);
  EXPECT_EQ(Get(batch, "a"), (Timer{"a", Ms(4000), "v3"}));
  ScheduleCommitted("a", Ms(4000), "v4");  // same time, new payload
  EXPECT_EQ(Pop(batch, Ms(10'000)),
            (std::vector<Timer>{{"b", Ms(3000), "p"}, {"a", Ms(4000), "v4"}}));
  EXPECT_EQ(Pending(&batch), 0u);
}

// PopDue stops at `limit` and the next call resumes, within a batch and after a commit.
TEST_F(TimerStoreTest, PopLimitAndResumption) {
  for (int i = 0; i < 5; ++i) ScheduleCommitted("t" + std::to_string(i), Ms(1000 + i));
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_TRUE(Pop(batch, Ms(2000), 0).empty());
  EXPECT_EQ(PopIds(batch, Ms(2000), 2), (std::vector<std::string>{"t0", "t1"}));
  EXPECT_EQ(PopIds(batch, Ms(2000), 2), (std::vector<std::string>{"t2", "t3"}));
  EXPECT_EQ(Pending(&batch), 1u);
  Commit(batch);
  EXPECT_EQ(Pending(nullptr), 1u);
  EXPECT_EQ(PopIds(batch, Ms(2000), 2), (std::vector<std::string>{"t4"}));
  EXPECT_TRUE(Pop(batch, Ms(2000), 2).empty());
  Commit(batch);
  EXPECT_EQ(Pending(nullptr), 0u);
}

// A timer scheduled in an uncommitted batch can be read and popped from that batch only.
TEST_F(TimerStoreTest, ScheduleThenPopInOneBatch) {
  ScheduleCommitted("committed", Ms(1500));
  StateStore::Batch batch = store_->NewBatch();
  Schedule(batch, "new", Ms(1000), "fresh");
  EXPECT_EQ(Get(batch, "new"), (Timer{"new", Ms(1000), "fresh"}));
  EXPECT_EQ(NextDue(batch), Ms(1000));
  EXPECT_EQ(Pending(&batch), 2u);
  EXPECT_EQ(Pending(nullptr), 1u);
  StateStore::Batch other = store_->NewBatch();
  EXPECT_EQ(Get(other, "new"), std::nullopt);
  EXPECT_EQ(PopIds(batch, Ms(2000)), (std::vector<std::string>{"new", "committed"}));
  EXPECT_EQ(Pending(&batch), 0u);
  Commit(batch);
  EXPECT_EQ(Pending(nullptr), 0u);
  EXPECT_EQ(NextDue(other), std::nullopt);
}

// Cancelling a committed timer in a batch hides it from that batch before the commit.
TEST_F(TimerStoreTest, CancelInBatchHidesCommittedTimer) {
  ScheduleCommitted("a", Ms(1000));
  ScheduleCommitted("b", Ms(2000));
  StateStore::Batch batch = store_->NewBatch();
  ASSERT_TRUE(timers_->Cancel(batch, "a").ok());
  EXPECT_EQ(Get(batch, "a"), std::nullopt);
  EXPECT_EQ(NextDue(batch), Ms(2000));
  EXPECT_EQ(Pending(&batch), 1u);
  EXPECT_EQ(Pending(nullptr), 2u);
  EXPECT_EQ(PopIds(batch, Ms(5000)), (std::vector<std::string>{"b"}));
}

// Committed timers survive closing and reopening the store.
TEST_F(TimerStoreTest, SurvivesReopen) {
  ScheduleCommitted("a", Ms(1000), "pa");
  ScheduleCommitted("b", Ms(-1000), "pb");
  Reopen();
  EXPECT_EQ(Pending(nullptr), 2u);
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(Pop(batch, Ms(1000)),
            (std::vector<Timer>{{"b", Ms(-1000), "pb"}, {"a", Ms(1000), "pa"}}));
  Commit(batch);
  Reopen();
  EXPECT_EQ(Pending(nullptr), 0u);
  StateStore::Batch after = store_->NewBatch();
  EXPECT_TRUE(Pop(after, Ms(1000)).empty());
}

// A timer popped in a batch that is never committed (a crash) is still pending afterwards,
// both in the same process and after reopening.
TEST_F(TimerStoreTest, PoppedButUncommittedTimerStaysPending) {
  ScheduleCommitted("a", Ms(1000));
  ScheduleCommitted("b", Ms(2000));
  {
    StateStore::Batch batch = store_->NewBatch();
    EXPECT_EQ(PopIds(batch, Ms(1500)), (std::vector<std::string>{"a"}));
  }
  {
    StateStore::Batch batch = store_->NewBatch();
    EXPECT_EQ(PopIds(batch, Ms(3000)), (std::vector<std::string>{"a", "b"}));
  }
  Reopen();
  EXPECT_EQ(Pending(nullptr), 2u);
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(PopIds(batch, Ms(3000)), (std::vector<std::string>{"a", "b"}));
}

// After pops were committed, a timer scheduled earlier than everything popped still fires,
// whether it is scheduled afterwards or in another batch that commits afterwards.
TEST_F(TimerStoreTest, EarlierTimerAfterCommittedPopsFires) {
  for (int i = 0; i < 10; ++i) ScheduleCommitted("t" + std::to_string(i), Ms(1000 + i));
  StateStore::Batch other = store_->NewBatch();
  Schedule(other, "late-arrival", Ms(500));
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(Pop(batch, Ms(2000)).size(), 10u);
  Commit(batch);
  Commit(other);
  Schedule(batch, "past", Ms(100));
  EXPECT_EQ(PopIds(batch, Ms(2000)), (std::vector<std::string>{"past", "late-arrival"}));
  Commit(batch);
  // And scheduled after a pop in the same batch.
  ScheduleCommitted("u", Ms(3000));
  EXPECT_EQ(PopIds(batch, Ms(3000)), (std::vector<std::string>{"u"}));
  Schedule(batch, "v", Ms(2500));
  Commit(batch);
  EXPECT_EQ(PopIds(batch, Ms(3000)), (std::vector<std::string>{"v"}));
}

// CancelPrefix removes exactly the timers whose id starts with the prefix, batch included.
TEST_F(TimerStoreTest, CancelPrefix) {
  ScheduleCommitted("t/1/a", Ms(1000));
  ScheduleCommitted("t/1/b", Ms(3000));
  ScheduleCommitted("t/10", Ms(2000));
  ScheduleCommitted("t/2/a", Ms(1000));
  StateStore::Batch batch = store_->NewBatch();
  Schedule(batch, "t/1/c", Ms(500));
  ASSERT_TRUE(timers_->CancelPrefix(batch, "t/1/").ok());
  ASSERT_TRUE(timers_->CancelPrefix(batch, "nothing").ok());
  EXPECT_EQ(Pending(&batch), 2u);
  Commit(batch);
  EXPECT_EQ(Pending(nullptr), 2u);
  EXPECT_EQ(PopIds(batch, Ms(5000)), (std::vector<std::string>{"t/2/a", "t/10"}));
}

// NextDue is the earliest pending due time, nullopt when nothing is pending.
TEST_F(TimerStoreTest, NextDue) {
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_EQ(NextDue(batch), std::nullopt);
  ScheduleCommitted("a", Ms(2000));
  EXPECT_EQ(NextDue(batch), Ms(2000));
  Schedule(batch, "b", Ms(1000));
  EXPECT_EQ(NextDue(batch), Ms(1000));
  ASSERT_TRUE(timers_->Cancel(batch, "b").ok());
  ASSERT_TRUE(timers_->Cancel(batch, "a").ok());
  EXPECT_EQ(NextDue(batch), std::nullopt);
}

// Random operations, commits, dropped batches and restarts agree with a std::map model.
TEST_F(TimerStoreTest, MatchesModel) {
  using Model = std::map<std::string, std::pair<int64_t, std::string>>;  // id -> (due, payload)
  Model committed;
  Model open = committed;
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  auto batch = std::make_unique<StateStore::Batch>(store_->NewBatch());
  for (int step = 0; step < 3000; ++step) {
    const int op = pick(100);
    const std::string id = "id" + std::to_string(pick(40));
    if (op < 40) {
      const int64_t due = pick(200);
      const std::string payload = std::to_string(step);
      Schedule(*batch, id, Ms(due), payload);
      open[id] = {due, payload};
    } else if (op < 55) {
      ASSERT_TRUE(timers_->Cancel(*batch, id).ok());
      open.erase(id);
    } else if (op < 80) {
      const int64_t until = pick(220);
      const size_t limit = static_cast<size_t>(pick(6));
      std::vector<std::pair<std::pair<int64_t, std::string>, std::string>> due;
      for (const auto& [tid, t] : open) {
        if (t.first <= until) due.push_back({{t.first, tid}, t.second});
      }
      std::sort(due.begin(), due.end());
      if (due.size() > limit) due.resize(limit);
      std::vector<Timer> expected;
      for (const auto& [key, payload] : due) {
        expected.push_back({key.second, Ms(key.first), payload});
        open.erase(key.second);
      }
      ASSERT_EQ(Pop(*batch, Ms(until), limit), expected) << "step " << step;
    } else if (op < 88) {
      Commit(*batch);
      committed = open;
    } else if (op < 94) {
      batch = std::make_unique<StateStore::Batch>(store_->NewBatch());
      open = committed;
    } else if (op < 96) {
      batch.reset();
      Reopen();
      batch = std::make_unique<StateStore::Batch>(store_->NewBatch());
      open = committed;
    } else {
      std::optional<absl::Time> next;
      for (const auto& [tid, t] : open) {
        if (!next.has_value() || Ms(t.first) < *next) next = Ms(t.first);
      }
      ASSERT_EQ(NextDue(*batch), next) << "step " << step;
    }
    ASSERT_EQ(Pending(batch.get()), open.size()) << "step " << step;
    const auto it = open.find(id);
    ASSERT_EQ(Get(*batch, id), it == open.end() ? std::nullopt
                                                : std::optional<Timer>(Timer{
                                                      id, Ms(it->second.first), it->second.second}))
        << "step " << step;
  }
}

}  // namespace
}  // namespace vigil::timers

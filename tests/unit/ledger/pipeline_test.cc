#include "processors/ledger/pipeline.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "processors/lifecycle/policy.h"
#include "processors/state/state_store.h"

namespace vigil::ledger {
namespace {

using v1::WarningEvent;

const absl::Time kT0 = absl::FromCivil(absl::CivilSecond(2026, 7, 1, 8, 0, 0), absl::UTCTimeZone());

// A repair-arrival clock like R01: 45 min, countdown at 70 %, overdue III,
// escalation at 200 % to I; stops on ARRIVED.
deadlines::DeadlineRule ArrivalRule() {
  deadlines::DeadlineRule r;
  r.id = "R01";
  r.version = "1";
  r.title = "arrival";
  r.kinds = {v1::Ticket::FAULT_REPAIR};
  r.starts_on = {v1::Ticket::ACCEPTED};
  r.stops_on = {v1::Ticket::ARRIVED, v1::Ticket::CLOSED};
  r.fixed_limit = deadlines::Limit{absl::Minutes(45), 0};
  deadlines::Step countdown;
  countdown.at.kind = deadlines::ClockPoint::Kind::kFraction;
  countdown.at.fraction = 0.7;
  countdown.grade = v1::GRADE_IV;
  r.countdown = {countdown};
  r.overdue_grade = v1::GRADE_III;
  deadlines::Step twice;
  twice.at.kind = deadlines::ClockPoint::Kind::kFraction;
  twice.at.fraction = 2.0;
  twice.grade = v1::GRADE_I;
  r.escalations = {twice};
  r.message = "ticket {subject}: deadline {deadline}";
  return r;
}

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-pipeline-XXXXXX").string();
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

v1::Envelope Ticket(const std::string& event_id, const std::string& ticket_id,
                    v1::Ticket::Status status, absl::Time at) {
  v1::Envelope e;
  e.set_event_id(event_id);
  e.mutable_event_time()->set_seconds(absl::ToUnixSeconds(at));
  v1::Region* r = e.mutable_region();
  r->set_province_code("370000");
  r->set_city_code("370100");
  r->set_county_code("370102");
  r->set_station_id("S1");
  r->set_area_id("A1");
  v1::Ticket* t = e.mutable_ticket();
  t->set_ticket_id(ticket_id);
  t->set_kind(v1::Ticket::FAULT_REPAIR);
  t->set_status(status);
  t->set_customer_id("C1");
  return e;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    auto set = std::make_shared<engine::DeadlineSet>();
    set->rules = {ArrivalRule()};
    deadlines_ = set;
    auto rules = rules::LoadRuleFiles({});
    ASSERT_TRUE(rules.ok()) << rules.status();
    rules_ = *rules;
    policy_ =
        std::make_shared<const lifecycle::LifecyclePolicy>(lifecycle::LifecyclePolicy::Default());
    Open();
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Open() {
    auto store = state::StateStore::Open(dir_ + "/state");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    pipeline_ = std::make_unique<Pipeline>(rules_, deadlines_, policy_, &reference_, store_.get());
    ASSERT_TRUE(pipeline_->Open().ok());
    batch_ = std::make_unique<state::StateStore::Batch>(store_->NewBatch());
  }
  // Simulates a crash: the uncommitted batch is lost.
  void Crash() {
    batch_.reset();
    pipeline_.reset();
    store_.reset();
    Open();
  }
  void Commit() {
    ASSERT_TRUE(store_->Commit(*batch_).ok());
    batch_ = std::make_unique<state::StateStore::Batch>(store_->NewBatch());
  }

  std::vector<WarningEvent> Apply(const v1::Envelope& e) {
    engine::EngineOutput out;
    auto more = pipeline_->AdvanceTo(ingest_time_ = std::max(ingest_time_, ToTime(e)), ingest_time_,
                                     *batch_, &out);
    EXPECT_TRUE(more.ok()) << more.status();
    EXPECT_TRUE(pipeline_->Apply(e, *batch_, &out).ok());
    return out.events;
  }
  std::vector<WarningEvent> AdvanceTo(absl::Time t) {
    engine::EngineOutput out;
    for (;;) {
      auto more = pipeline_->AdvanceTo(t, t, *batch_, &out, 2);
      EXPECT_TRUE(more.ok()) << more.status();
      if (!more.ok() || !*more) break;
    }
    ingest_time_ = std::max(ingest_time_, t);
    return out.events;
  }
  v1::CommandResult Command(const std::string& id, v1::WarningCommand::Action action,
                            const std::string& warning_id, const std::string& region, absl::Time at,
                            std::vector<WarningEvent>* events = nullptr) {
    v1::WarningCommand c;
    c.set_command_id(id);
    c.set_action(action);
    c.set_warning_id(warning_id);
    c.set_actor("op-1");
    c.set_actor_region(region);
    c.set_text("crew sent");
    engine::EngineOutput out;
    v1::CommandResult result;
    EXPECT_TRUE(pipeline_->Command(c, at, *batch_, &out, &result).ok());
    if (events != nullptr) *events = out.events;
    return result;
  }
  static absl::Time ToTime(const v1::Envelope& e) {
    return absl::FromUnixSeconds(e.event_time().seconds());
  }

  std::string dir_;
  std::shared_ptr<const rules::RuleSet> rules_;
  std::shared_ptr<const engine::DeadlineSet> deadlines_;
  std::shared_ptr<const lifecycle::LifecyclePolicy> policy_;
  reference::ReferenceStore reference_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<state::StateStore::Batch> batch_;
  absl::Time ingest_time_ = absl::InfinitePast();
};

TEST_F(PipelineTest, FollowsADeadlineWarningFromRaiseToClose) {
  EXPECT_TRUE(Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0)).empty());
  // Nothing before 70 % of 45 min (31.5 min).
  EXPECT_TRUE(AdvanceTo(kT0 + absl::Minutes(31)).empty());
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::RAISED);
  EXPECT_EQ(ev[0].timer().kind(), v1::TimerRecord::COUNTDOWN);
  EXPECT_EQ(ev[0].warning().grade(), v1::GRADE_IV);
  EXPECT_EQ(ev[0].warning().state(), v1::OPEN);
  EXPECT_EQ(ev[0].warning().key(), "ticket:T1");
  EXPECT_EQ(ev[0].warning().owner_level(), "station");
  EXPECT_EQ(ev[0].warning().version(), 1u);
  EXPECT_EQ(ev[0].ledger_seq(), 1u);
  const std::string id = ev[0].warning().warning_id();
  EXPECT_EQ(ev[0].warning().deadline().seconds(), absl::ToUnixSeconds(kT0 + absl::Minutes(45)));

  ev = AdvanceTo(kT0 + absl::Minutes(46));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::OVERDUE);
  EXPECT_EQ(ev[0].timer().kind(), v1::TimerRecord::OVERDUE);
  EXPECT_EQ(ev[0].warning().grade(), v1::GRADE_III);
  EXPECT_EQ(ev[0].warning().warning_id(), id);
  EXPECT_EQ(ev[0].warning().version(), 2u);

  std::vector<WarningEvent> ack;
  v1::CommandResult r =
      Command("c1", v1::WarningCommand::ACKNOWLEDGE, id, "370100", kT0 + absl::Minutes(50), &ack);
  EXPECT_TRUE(r.accepted()) << r.reason();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].type(), WarningEvent::STATE_CHANGED);
  EXPECT_EQ(ack[0].warning().state(), v1::ACKNOWLEDGED);
  EXPECT_EQ(ack[0].command_id(), "c1");
  EXPECT_EQ(ack[0].warning().version(), 3u);

  ev = Apply(Ticket("e2", "T1", v1::Ticket::ARRIVED, kT0 + absl::Minutes(55)));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::RESOLVED);
  EXPECT_TRUE(ev[0].warning().lifecycle().condition_cleared());
  EXPECT_EQ(ev[0].warning().state(), v1::ACKNOWLEDGED);

  std::vector<WarningEvent> fb;
  EXPECT_TRUE(Command("c2", v1::WarningCommand::SUBMIT_FEEDBACK, id, "370100/370102",
                      kT0 + absl::Minutes(70), &fb)
                  .accepted());
  ASSERT_EQ(fb.size(), 1u);
  EXPECT_EQ(fb[0].warning().state(), v1::FEEDBACK_SUBMITTED);
  std::vector<WarningEvent> closed;
  EXPECT_TRUE(
      Command("c3", v1::WarningCommand::CLOSE, id, "", kT0 + absl::Hours(2), &closed).accepted());
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].warning().state(), v1::CLOSED);
  EXPECT_EQ(closed[0].warning().version(), 6u);
  EXPECT_EQ(closed[0].ledger_seq(), 6u);

  auto log = pipeline_->ledger().Events(batch_.get(), 0, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 6u);
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].ledger_seq(), i + 1);
  auto w = pipeline_->ledger().Get(batch_.get(), id);
  ASSERT_TRUE(w.ok() && w->has_value());
  EXPECT_EQ((*w)->state(), v1::CLOSED);
  // The timer history explains the warning: countdown, overdue.
  ASSERT_GE((*w)->timer_history_size(), 2);
  EXPECT_EQ((*w)->timer_history(0).kind(), v1::TimerRecord::COUNTDOWN);
  EXPECT_EQ((*w)->timer_history(1).kind(), v1::TimerRecord::OVERDUE);
  EXPECT_EQ((*w)->evidence().event_ids_size(), 2);
}

TEST_F(PipelineTest, CommandsAreValidatedAndIdempotent) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  const std::string id = ev[0].warning().warning_id();
  const absl::Time at = kT0 + absl::Minutes(33);

  v1::CommandResult unknown = Command("x1", v1::WarningCommand::ACKNOWLEDGE, "R01-nope", "", at);
  EXPECT_FALSE(unknown.accepted());
  EXPECT_EQ(unknown.code(), v1::CommandResult::UNKNOWN_WARNING);
  v1::CommandResult region = Command("x2", v1::WarningCommand::ACKNOWLEDGE, id, "370200", at);
  EXPECT_EQ(region.code(), v1::CommandResult::WRONG_REGION);
  v1::CommandResult state = Command("x3", v1::WarningCommand::CLOSE, id, "", at);
  EXPECT_EQ(state.code(), v1::CommandResult::WRONG_STATE);

  std::vector<WarningEvent> first, again;
  v1::CommandResult ok = Command("c1", v1::WarningCommand::ACKNOWLEDGE, id, "370100", at, &first);
  EXPECT_TRUE(ok.accepted());
  EXPECT_EQ(first.size(), 1u);
  v1::CommandResult repeat =
      Command("c1", v1::WarningCommand::ACKNOWLEDGE, id, "370100", at, &again);
  EXPECT_TRUE(repeat.accepted());
  EXPECT_EQ(repeat.warning_version(), ok.warning_version());
  EXPECT_TRUE(again.empty()) << "a repeated command id publishes nothing";
  // A repeat with the same id survives a restart (idempotency is durable).
  Commit();
  Crash();
  repeat = Command("c1", v1::WarningCommand::ACKNOWLEDGE, id, "370100", at, &again);
  EXPECT_TRUE(repeat.accepted());
  EXPECT_TRUE(again.empty());
}

TEST_F(PipelineTest, UnacknowledgedWarningEscalatesAndMovesUp) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  const v1::Warning raised = ev[0].warning();
  const absl::Time ack_deadline =
      absl::FromUnixSeconds(raised.lifecycle().ack_deadline().seconds());
  ASSERT_GT(ack_deadline, kT0 + absl::Minutes(32));
  // Past the ack deadline (the clock's own overdue and escalations fire too).
  ev = AdvanceTo(ack_deadline + absl::Minutes(1));
  uint32_t escalations = 0;
  for (const WarningEvent& e : ev) {
    if (e.type() != WarningEvent::ESCALATED) continue;
    EXPECT_EQ(e.timer().kind(), v1::TimerRecord::ACK_OVERDUE);
    EXPECT_EQ(e.warning().lifecycle().escalations(), ++escalations);
    EXPECT_NE(e.warning().owner_level(), "station");
  }
  EXPECT_GE(escalations, 1u);
  // At the top (grade I, the province) it is re-notified a bounded number of
  // times, then waits for someone to act: no endless alarm storm.
  ev = AdvanceTo(ack_deadline + absl::Hours(48));
  for (const WarningEvent& e : ev) EXPECT_NE(e.type(), WarningEvent::ESCALATED);
  auto w = pipeline_->ledger().Get(batch_.get(), raised.warning_id());
  ASSERT_TRUE(w.ok() && w->has_value());
  EXPECT_EQ((*w)->grade(), v1::GRADE_I);
  EXPECT_EQ((*w)->owner_level(), "province");
}

TEST_F(PipelineTest, RecurrenceInLookBackReopensOneGradeHigher) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  const std::string id = ev[0].warning().warning_id();
  const absl::Time t = kT0 + absl::Minutes(33);
  ASSERT_TRUE(Command("a", v1::WarningCommand::ACKNOWLEDGE, id, "", t).accepted());
  Apply(Ticket("e2", "T1", v1::Ticket::ARRIVED, t + absl::Minutes(1)));
  ASSERT_TRUE(
      Command("f", v1::WarningCommand::SUBMIT_FEEDBACK, id, "", t + absl::Minutes(2)).accepted());
  ASSERT_TRUE(Command("c", v1::WarningCommand::CLOSE, id, "", t + absl::Minutes(3)).accepted());
  // The same ticket id opens a new clock (a reopened ticket) inside look-back.
  const absl::Time again = t + absl::Hours(1);
  Apply(Ticket("e3", "T1", v1::Ticket::ACCEPTED, again));
  ev = AdvanceTo(again + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::REOPENED);
  EXPECT_EQ(ev[0].warning().warning_id(), id);
  EXPECT_EQ(ev[0].warning().state(), v1::REOPENED);
  EXPECT_EQ(ev[0].warning().grade(), v1::GRADE_III);  // IV + 1
  EXPECT_EQ(ev[0].warning().lifecycle().reopenings(), 1u);
  // Later steps of the new episode update the same warning.
  ev = AdvanceTo(again + absl::Minutes(46));
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev[0].warning().warning_id(), id);
  EXPECT_EQ(ev[0].type(), WarningEvent::OVERDUE);
}

TEST_F(PipelineTest, PauseAndResumeMoveTheDeadline) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  Apply(Ticket("e2", "T1", v1::Ticket::SUSPENDED, kT0 + absl::Minutes(10)));
  EXPECT_TRUE(AdvanceTo(kT0 + absl::Hours(3)).empty()) << "a paused clock does not fire";
  Apply(Ticket("e3", "T1", v1::Ticket::RESUMED, kT0 + absl::Hours(3)));
  // 10 min ran before the pause; 70 % (31.5 min) is 21.5 min after resuming.
  EXPECT_TRUE(AdvanceTo(kT0 + absl::Hours(3) + absl::Minutes(21)).empty());
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Hours(3) + absl::Minutes(22));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].warning().deadline().seconds(),
            absl::ToUnixSeconds(kT0 + absl::Hours(3) + absl::Minutes(35)));
}

TEST_F(PipelineTest, ASubjectsDueStepActsBeforeItsNextEvent) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  // The watermark has not moved, but T1's next event is past its countdown
  // point: the countdown acts first, then the arrival resolves it.
  engine::EngineOutput out;
  ASSERT_TRUE(
      pipeline_
          ->Apply(Ticket("e2", "T1", v1::Ticket::ARRIVED, kT0 + absl::Minutes(40)), *batch_, &out)
          .ok());
  ASSERT_EQ(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].type(), WarningEvent::RAISED);
  EXPECT_EQ(out.events[1].type(), WarningEvent::RESOLVED);
  // Its clock is gone: no overdue later (only the warning's lifecycle notices).
  for (const WarningEvent& e : AdvanceTo(kT0 + absl::Hours(5))) {
    EXPECT_NE(e.timer().kind(), v1::TimerRecord::OVERDUE);
  }
}

TEST_F(PipelineTest, ATimerFiresOnceAcrossACrash) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  Commit();
  // Fired but not committed: lost with the crash, so it fires again.
  ASSERT_EQ(AdvanceTo(kT0 + absl::Minutes(32)).size(), 1u);
  Crash();
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::RAISED);
  EXPECT_EQ(ev[0].ledger_seq(), 1u);
  Commit();
  Crash();
  // Committed: never again.
  EXPECT_TRUE(AdvanceTo(kT0 + absl::Minutes(40)).empty());
  ev = AdvanceTo(kT0 + absl::Minutes(46));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type(), WarningEvent::OVERDUE);
  EXPECT_EQ(ev[0].ledger_seq(), 2u);
}

TEST_F(PipelineTest, ATimerLateOnTheWallClockIsFlaggedButPublishesTheSameWarning) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  engine::EngineOutput out;
  const absl::Time watermark = kT0 + absl::Minutes(32);
  auto more = pipeline_->AdvanceTo(watermark, watermark + absl::Hours(2), *batch_, &out);
  ASSERT_TRUE(more.ok());
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_GT(out.events[0].fired_late_by_ms(), absl::ToInt64Milliseconds(absl::Hours(1)));
  EXPECT_EQ(out.events[0].warning().updated_at().seconds(),
            absl::ToUnixSeconds(kT0 + absl::Seconds(1890)));  // the due time, not the wall clock
  EXPECT_EQ(pipeline_->timers_fired_late(), 1u);
}

TEST_F(PipelineTest, LedgerQueriesByRegionStateAndGrade) {
  Apply(Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0));
  v1::Envelope other = Ticket("e2", "T2", v1::Ticket::ACCEPTED, kT0);
  other.mutable_region()->set_city_code("370200");
  other.mutable_region()->set_county_code("370202");
  Apply(other);
  AdvanceTo(kT0 + absl::Minutes(46));
  Query q;
  auto all = pipeline_->ledger().List(batch_.get(), q);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  q.region_prefix = "370100";
  auto jinan = pipeline_->ledger().List(batch_.get(), q);
  ASSERT_TRUE(jinan.ok());
  ASSERT_EQ(jinan->size(), 1u);
  EXPECT_EQ((*jinan)[0].key(), "ticket:T1");
  q.region_prefix = "3701";  // not a whole segment
  EXPECT_TRUE(pipeline_->ledger().List(batch_.get(), q)->empty());
  q.region_prefix = "";
  q.min_grade = v1::GRADE_II;
  EXPECT_TRUE(pipeline_->ledger().List(batch_.get(), q)->empty());
  q.min_grade = v1::GRADE_III;
  q.state = v1::OPEN;
  EXPECT_EQ(pipeline_->ledger().List(batch_.get(), q)->size(), 2u);
  q.state = v1::CLOSED;
  EXPECT_TRUE(pipeline_->ledger().List(batch_.get(), q)->empty());
}

TEST_F(PipelineTest, CustomerTagsAreKeptAndAttached) {
  v1::Envelope e = Ticket("e1", "T1", v1::Ticket::ACCEPTED, kT0);
  e.mutable_ticket()->add_tags(v1::Ticket::TENDENCY_12398);
  Apply(e);
  std::vector<WarningEvent> ev = AdvanceTo(kT0 + absl::Minutes(32));
  ASSERT_EQ(ev.size(), 1u);
  const auto& tags = ev[0].warning().customer_tags();
  EXPECT_NE(std::find(tags.begin(), tags.end(), v1::TAG_TENDENCY_12398), tags.end());
  EXPECT_NE(std::find(tags.begin(), tags.end(), v1::TAG_WARNED), tags.end());
  EXPECT_EQ(ev[0].warning().customer_id(), "C1");
  // A later ticket of the same customer, without tags, still carries them.
  Apply(Ticket("e2", "T2", v1::Ticket::ACCEPTED, kT0 + absl::Hours(1)));
  ev = AdvanceTo(kT0 + absl::Hours(1) + absl::Minutes(32));
  std::erase_if(ev, [](const WarningEvent& x) { return x.warning().key() != "ticket:T2"; });
  ASSERT_EQ(ev.size(), 1u);
  const auto& later = ev[0].warning().customer_tags();
  EXPECT_NE(std::find(later.begin(), later.end(), v1::TAG_TENDENCY_12398), later.end());
}

// Where the caller happens to advance time (every minute, or once over hours
// of backlog after a restart) must not change what is published: timers fire
// one at a time in (due, id) order, including the ones a firing schedules
// (a clock's next step, a warning's next ack cycle) before older ones.
TEST_F(PipelineTest, TheOutputDoesNotDependOnHowFarTimeIsAdvancedAtOnce) {
  auto run = [&](const std::string& sub, absl::Duration step) {
    auto store = state::StateStore::Open(dir_ + "/" + sub);
    EXPECT_TRUE(store.ok()) << store.status();
    Pipeline p(rules_, deadlines_, policy_, &reference_, store->get());
    EXPECT_TRUE(p.Open().ok());
    state::StateStore::Batch batch = (*store)->NewBatch();
    engine::EngineOutput out;
    for (int i = 0; i < 6; ++i) {
      // Tickets 7 min apart: their clocks and ack cycles interleave.
      EXPECT_TRUE(p.Apply(Ticket(absl::StrCat("e", i), absl::StrCat("T", i), v1::Ticket::ACCEPTED,
                                 kT0 + absl::Minutes(7 * i)),
                          batch, &out)
                      .ok());
    }
    const absl::Time end = kT0 + absl::Hours(12);
    for (absl::Time t = kT0 + step; t <= end; t += step) {
      for (;;) {
        auto more = p.AdvanceTo(t, t, batch, &out);
        EXPECT_TRUE(more.ok()) << more.status();
        if (!more.ok() || !*more) break;
      }
    }
    std::map<std::pair<std::string, uint64_t>, std::string> by_version;
    for (const WarningEvent& e : out.events) {
      by_version[{e.warning().warning_id(), e.warning().version()}] = absl::StrCat(
          WarningEvent::Type_Name(e.type()), " ", v1::TimerRecord::Kind_Name(e.timer().kind()), "@",
          e.timer().due().seconds(), " ", v1::Grade_Name(e.warning().grade()));
    }
    return by_version;
  };
  const auto minute_by_minute = run("a", absl::Minutes(1));
  const auto at_once = run("b", absl::Hours(12));
  ASSERT_GT(minute_by_minute.size(), 60u) << "clocks and ack cycles must have fired";
  EXPECT_EQ(at_once, minute_by_minute);
}

}  // namespace
}  // namespace vigil::ledger

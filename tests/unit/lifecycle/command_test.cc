#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processors/lifecycle/lifecycle.h"
#include "tests/unit/lifecycle/fixtures.h"

namespace vigil::lifecycle {
namespace {

using testing::At;
using testing::MakeWarning;
using testing::T0;
using testing::Ts;
using Action = v1::WarningCommand::Action;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ApplyCommandTest : public ::testing::Test {
 protected:
  ApplyCommandTest() {
    warning_ = MakeWarning(v1::GRADE_III, T0(), "R05", "410100/410102/S1/A1");
    OnRaised(policy_, T0(), &warning_);
    warning_.set_version(3);
  }

  // A command on warning_ by a city operator of 410100.
  v1::WarningCommand Cmd(Action action, const std::string& actor_region = "410100") {
    v1::WarningCommand c;
    c.set_command_id("cmd-" + std::to_string(++next_id_));
    c.set_action(action);
    c.set_warning_id(warning_.warning_id());
    c.set_actor("op-7");
    c.set_actor_region(actor_region);
    if (action == v1::WarningCommand::SUBMIT_FEEDBACK) c.set_text("crew restored supply");
    return c;
  }

  // warning_ in `state` (as far as the state field goes).
  v1::Warning In(v1::WarningState state) {
    v1::Warning w = warning_;
    w.set_state(state);
    return w;
  }

  // Applies `cmd` and expects a rejection with `code` whose reason holds `reason`.
  void ExpectRejected(const v1::Warning* w, const v1::WarningCommand& cmd,
                      v1::CommandResult::Code code, const std::string& reason) {
    const CommandDecision d = ApplyCommand(policy_, w, cmd, now_);
    EXPECT_FALSE(d.result.accepted());
    EXPECT_EQ(d.result.code(), code)
        << v1::CommandResult::Code_Name(d.result.code()) << ": " << d.result.reason();
    EXPECT_PRED2(Contains, d.result.reason(), reason);
    EXPECT_FALSE(d.changed);
    EXPECT_EQ(d.result.warning_version(), w != nullptr ? w->version() : 0u);
    EXPECT_EQ(d.result.command_id(), cmd.command_id());
    EXPECT_EQ(d.result.warning_id(), cmd.warning_id());
    EXPECT_EQ(d.result.action(), cmd.action());
  }

  // Applies `cmd` to `w`, expects acceptance with an event of `type`, returns the decision.
  CommandDecision ExpectAccepted(const v1::Warning& w, const v1::WarningCommand& cmd,
                                 v1::WarningEvent::Type type) {
    CommandDecision d = ApplyCommand(policy_, &w, cmd, now_);
    EXPECT_TRUE(d.result.accepted()) << d.result.reason();
    EXPECT_EQ(d.result.code(), v1::CommandResult::OK);
    EXPECT_EQ(d.result.reason(), "");
    EXPECT_TRUE(d.changed);
    EXPECT_EQ(d.result.warning_version(), w.version() + 1);
    EXPECT_EQ(d.after.version(), w.version() + 1);
    EXPECT_EQ(At(d.after.updated_at()), now_);
    EXPECT_EQ(d.event_type, type);
    EXPECT_EQ(d.result.command_id(), cmd.command_id());
    return d;
  }

  const LifecyclePolicy policy_ = LifecyclePolicy::Default();
  const absl::Time now_ = T0() + absl::Minutes(20);
  v1::Warning warning_;
  int next_id_ = 0;
};

// ACKNOWLEDGE: OPEN → ACKNOWLEDGED, recording who and when.
TEST_F(ApplyCommandTest, AcknowledgeOpen) {
  const CommandDecision d = ExpectAccepted(In(v1::OPEN), Cmd(v1::WarningCommand::ACKNOWLEDGE),
                                           v1::WarningEvent::STATE_CHANGED);
  EXPECT_EQ(d.after.state(), v1::ACKNOWLEDGED);
  EXPECT_EQ(d.after.lifecycle().acknowledged_by(), "op-7");
  EXPECT_EQ(At(d.after.lifecycle().acknowledged_at()), now_);
  EXPECT_EQ(d.after.lifecycle().ack_deadline().seconds(),
            warning_.lifecycle().ack_deadline().seconds());  // deadlines untouched
}

// ACKNOWLEDGE also takes a REOPENED warning.
TEST_F(ApplyCommandTest, AcknowledgeReopened) {
  const CommandDecision d = ExpectAccepted(In(v1::REOPENED), Cmd(v1::WarningCommand::ACKNOWLEDGE),
                                           v1::WarningEvent::STATE_CHANGED);
  EXPECT_EQ(d.after.state(), v1::ACKNOWLEDGED);
}

// SUBMIT_FEEDBACK: ACKNOWLEDGED → FEEDBACK_SUBMITTED with the text.
TEST_F(ApplyCommandTest, SubmitFeedback) {
  const CommandDecision d =
      ExpectAccepted(In(v1::ACKNOWLEDGED), Cmd(v1::WarningCommand::SUBMIT_FEEDBACK),
                     v1::WarningEvent::STATE_CHANGED);
  EXPECT_EQ(d.after.state(), v1::FEEDBACK_SUBMITTED);
  EXPECT_EQ(d.after.lifecycle().feedback(), "crew restored supply");
  EXPECT_EQ(d.after.lifecycle().feedback_by(), "op-7");
  EXPECT_EQ(At(d.after.lifecycle().feedback_at()), now_);
}

// CLOSE by the province: CLOSED, look-back of the rule (R05: 30 days).
TEST_F(ApplyCommandTest, CloseStartsLookback) {
  const CommandDecision d =
      ExpectAccepted(In(v1::FEEDBACK_SUBMITTED), Cmd(v1::WarningCommand::CLOSE, ""),
                     v1::WarningEvent::STATE_CHANGED);
  EXPECT_EQ(d.after.state(), v1::CLOSED);
  EXPECT_EQ(d.after.lifecycle().closed_by(), "op-7");
  EXPECT_EQ(At(d.after.lifecycle().closed_at()), now_);
  EXPECT_EQ(At(d.after.lifecycle().lookback_until()), now_ + absl::Hours(24 * 30));
}

// The look-back follows the rule id: exact, family, default.
TEST_F(ApplyCommandTest, CloseLookbackByRule) {
  for (const auto& [rule, days] : {std::pair<std::string, int>{"R13-feeder", 30},
                                   {"R13-area", 7},
                                   {"R09-text", 30},
                                   {"R18", 7}}) {
    v1::Warning w = In(v1::FEEDBACK_SUBMITTED);
    w.set_rule_id(rule);
    const CommandDecision d =
        ExpectAccepted(w, Cmd(v1::WarningCommand::CLOSE, ""), v1::WarningEvent::STATE_CHANGED);
    EXPECT_EQ(At(d.after.lifecycle().lookback_until()), now_ + absl::Hours(24 * days)) << rule;
  }
}

// REOPEN by the province: REOPENED, fresh deadlines at the current grade, history cleared.
TEST_F(ApplyCommandTest, Reopen) {
  v1::Warning w = In(v1::CLOSED);
  v1::Lifecycle* lc = w.mutable_lifecycle();
  lc->set_acknowledged_by("op-1");
  *lc->mutable_acknowledged_at() = Ts(T0());
  lc->set_feedback("done");
  lc->set_feedback_by("op-2");
  *lc->mutable_feedback_at() = Ts(T0());
  lc->set_closed_by("prov-1");
  *lc->mutable_closed_at() = Ts(T0());
  *lc->mutable_lookback_until() = Ts(T0() + absl::Hours(24 * 30));
  const CommandDecision d =
      ExpectAccepted(w, Cmd(v1::WarningCommand::REOPEN, ""), v1::WarningEvent::REOPENED);
  const v1::Lifecycle& after = d.after.lifecycle();
  EXPECT_EQ(d.after.state(), v1::REOPENED);
  EXPECT_EQ(d.after.grade(), v1::GRADE_III);
  EXPECT_EQ(after.reopenings(), 1u);
  EXPECT_EQ(At(after.ack_deadline()), now_ + absl::Hours(2));
  EXPECT_EQ(At(after.feedback_deadline()), now_ + absl::Hours(24));
  EXPECT_FALSE(after.has_lookback_until());
  EXPECT_EQ(after.acknowledged_by(), "");
  EXPECT_FALSE(after.has_acknowledged_at());
  EXPECT_EQ(after.feedback(), "");
  EXPECT_EQ(after.feedback_by(), "");
  EXPECT_FALSE(after.has_feedback_at());
  EXPECT_EQ(after.closed_by(), "prov-1");  // the last close is history
}

// ESCALATE: grade + 1, owner up, escalations + 1, deadlines shortened as on a regrade.
TEST_F(ApplyCommandTest, Escalate) {
  const CommandDecision d =
      ExpectAccepted(In(v1::OPEN), Cmd(v1::WarningCommand::ESCALATE), v1::WarningEvent::ESCALATED);
  EXPECT_EQ(d.after.grade(), v1::GRADE_II);
  EXPECT_EQ(d.after.owner_level(), "city");
  EXPECT_EQ(d.after.state(), v1::OPEN);
  EXPECT_EQ(d.after.lifecycle().escalations(), 1u);
  EXPECT_EQ(At(d.after.lifecycle().ack_deadline()), now_ + absl::Minutes(30));
  EXPECT_EQ(At(d.after.lifecycle().feedback_deadline()), now_ + absl::Hours(4));
}

// ESCALATE works in every state but CLOSED, and keeps the state.
TEST_F(ApplyCommandTest, EscalateInEveryOpenState) {
  for (v1::WarningState s : {v1::OPEN, v1::ACKNOWLEDGED, v1::FEEDBACK_SUBMITTED, v1::REOPENED}) {
    const CommandDecision d =
        ExpectAccepted(In(s), Cmd(v1::WarningCommand::ESCALATE), v1::WarningEvent::ESCALATED);
    EXPECT_EQ(d.after.state(), s);
    EXPECT_EQ(d.after.grade(), v1::GRADE_II);
  }
}

// ESCALATE at grade I and the province stays there but is counted.
TEST_F(ApplyCommandTest, EscalateCapsAtGradeIAndProvince) {
  v1::Warning w = In(v1::ACKNOWLEDGED);
  w.set_grade(v1::GRADE_I);
  w.set_owner_level("province");
  const CommandDecision d =
      ExpectAccepted(w, Cmd(v1::WarningCommand::ESCALATE, ""), v1::WarningEvent::ESCALATED);
  EXPECT_EQ(d.after.grade(), v1::GRADE_I);
  EXPECT_EQ(d.after.owner_level(), "province");
  EXPECT_EQ(d.after.lifecycle().escalations(), 1u);
}

// A full loop: ack → feedback → close → reopen → ack, versions counting up.
TEST_F(ApplyCommandTest, FullLoop) {
  v1::Warning w = warning_;
  for (const auto& [action, region, state] :
       {std::tuple{v1::WarningCommand::ACKNOWLEDGE, "410100/410102", v1::ACKNOWLEDGED},
        std::tuple{v1::WarningCommand::SUBMIT_FEEDBACK, "410100", v1::FEEDBACK_SUBMITTED},
        std::tuple{v1::WarningCommand::CLOSE, "", v1::CLOSED},
        std::tuple{v1::WarningCommand::REOPEN, "", v1::REOPENED},
        std::tuple{v1::WarningCommand::ACKNOWLEDGE, "", v1::ACKNOWLEDGED}}) {
    const CommandDecision d = ApplyCommand(policy_, &w, Cmd(action, region), now_);
    ASSERT_TRUE(d.result.accepted()) << d.result.reason();
    EXPECT_EQ(d.after.state(), state);
    EXPECT_EQ(d.after.version(), w.version() + 1);
    w = d.after;
  }
  EXPECT_EQ(w.version(), 8u);
}

// INVALID: each missing or malformed field, before any other check.
TEST_F(ApplyCommandTest, InvalidCommands) {
  const v1::Warning w = In(v1::OPEN);
  v1::WarningCommand c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.clear_command_id();
  ExpectRejected(nullptr, c, v1::CommandResult::INVALID, "command_id is missing");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.set_command_id(std::string(129, 'x'));
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "command_id must be 1–128");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.set_command_id("id\n1");
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "printable ASCII");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.clear_warning_id();
  ExpectRejected(nullptr, c, v1::CommandResult::INVALID, "warning_id is missing");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.clear_actor();
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "actor is missing");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.set_actor(std::string(65, 'a'));
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "actor must be 1–64");
  c = Cmd(v1::WarningCommand::ACTION_UNSPECIFIED);
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "action is missing or unknown");
  c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.set_action(static_cast<Action>(42));
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "action is missing or unknown");
  const v1::Warning acked = In(v1::ACKNOWLEDGED);
  c = Cmd(v1::WarningCommand::SUBMIT_FEEDBACK);
  c.clear_text();
  ExpectRejected(&acked, c, v1::CommandResult::INVALID, "SUBMIT_FEEDBACK needs the feedback");
  c.set_text(" \n\t");
  ExpectRejected(&acked, c, v1::CommandResult::INVALID, "SUBMIT_FEEDBACK needs the feedback");
  // INVALID comes before WRONG_REGION and WRONG_STATE.
  c = Cmd(v1::WarningCommand::SUBMIT_FEEDBACK, "410200");
  c.clear_text();
  ExpectRejected(&w, c, v1::CommandResult::INVALID, "SUBMIT_FEEDBACK needs the feedback");
}

// UNKNOWN_WARNING: no warning (or another one) for the id; version 0.
TEST_F(ApplyCommandTest, UnknownWarning) {
  ExpectRejected(nullptr, Cmd(v1::WarningCommand::ACKNOWLEDGE, "410200"),
                 v1::CommandResult::UNKNOWN_WARNING, "no warning R05-00000000000000a1");
  v1::WarningCommand c = Cmd(v1::WarningCommand::ACKNOWLEDGE);
  c.set_warning_id("R05-ffffffffffffffff");
  const CommandDecision d = ApplyCommand(policy_, &warning_, c, now_);
  EXPECT_EQ(d.result.code(), v1::CommandResult::UNKNOWN_WARNING);
  EXPECT_EQ(d.result.warning_version(), 0u);
}

// WRONG_REGION: other cities, finer units and the segment-prefix trap.
TEST_F(ApplyCommandTest, WrongRegion) {
  const v1::Warning w = In(v1::OPEN);
  ExpectRejected(&w, Cmd(v1::WarningCommand::ACKNOWLEDGE, "410200"),
                 v1::CommandResult::WRONG_REGION, "outside actor region \"410200\"");
  ExpectRejected(&w, Cmd(v1::WarningCommand::ACKNOWLEDGE, "410100/410103"),
                 v1::CommandResult::WRONG_REGION, "ask its owner (county) or the province");
  ExpectRejected(&w, Cmd(v1::WarningCommand::ACKNOWLEDGE, "41010"), v1::CommandResult::WRONG_REGION,
                 "is in region \"410100/410102/S1/A1\"");
  v1::Warning trap = w;
  trap.set_region_key("4101001/410102/S1/A1");
  ExpectRejected(&trap, Cmd(v1::WarningCommand::ACKNOWLEDGE, "410100"),
                 v1::CommandResult::WRONG_REGION, "outside");
  // WRONG_REGION comes before NOT_PERMITTED and WRONG_STATE.
  ExpectRejected(&w, Cmd(v1::WarningCommand::CLOSE, "410200"), v1::CommandResult::WRONG_REGION,
                 "outside");
}

// Actors of the warning's county, station or area, and the province, may act.
TEST_F(ApplyCommandTest, RegionsThatMayAct) {
  for (const char* region :
       {"", "410100", "410100/410102", "410100/410102/S1", "410100/410102/S1/A1"}) {
    const CommandDecision d =
        ApplyCommand(policy_, &warning_, Cmd(v1::WarningCommand::ACKNOWLEDGE, region), now_);
    EXPECT_TRUE(d.result.accepted()) << region << ": " << d.result.reason();
  }
}

// NOT_PERMITTED: CLOSE and REOPEN need the province, before the state check.
TEST_F(ApplyCommandTest, CloseAndReopenNeedProvince) {
  const v1::Warning submitted = In(v1::FEEDBACK_SUBMITTED);
  ExpectRejected(&submitted, Cmd(v1::WarningCommand::CLOSE), v1::CommandResult::NOT_PERMITTED,
                 "CLOSE needs the province role");
  const v1::Warning closed = In(v1::CLOSED);
  ExpectRejected(&closed, Cmd(v1::WarningCommand::REOPEN, "410100/410102"),
                 v1::CommandResult::NOT_PERMITTED, "REOPEN needs the province role");
  const v1::Warning open = In(v1::OPEN);
  ExpectRejected(&open, Cmd(v1::WarningCommand::CLOSE), v1::CommandResult::NOT_PERMITTED,
                 "province");
}

// WRONG_STATE for every action in every state it does not apply to, with the next step.
TEST_F(ApplyCommandTest, WrongStateForEachAction) {
  struct Case {
    Action action;
    v1::WarningState state;
    const char* reason;
  };
  const Case cases[] = {
      {v1::WarningCommand::ACKNOWLEDGE, v1::ACKNOWLEDGED,
       "warning R05-00000000000000a1 is ACKNOWLEDGED; ACKNOWLEDGE needs OPEN or REOPENED; "
       "SUBMIT_FEEDBACK is the next step"},
      {v1::WarningCommand::ACKNOWLEDGE, v1::FEEDBACK_SUBMITTED,
       "CLOSE by the province is the next step"},
      {v1::WarningCommand::ACKNOWLEDGE, v1::CLOSED, "the province can REOPEN it"},
      {v1::WarningCommand::SUBMIT_FEEDBACK, v1::OPEN,
       "is OPEN; SUBMIT_FEEDBACK needs ACKNOWLEDGED; ACKNOWLEDGE is the next step"},
      {v1::WarningCommand::SUBMIT_FEEDBACK, v1::REOPENED, "ACKNOWLEDGE is the next step"},
      {v1::WarningCommand::SUBMIT_FEEDBACK, v1::FEEDBACK_SUBMITTED, "is FEEDBACK_SUBMITTED"},
      {v1::WarningCommand::SUBMIT_FEEDBACK, v1::CLOSED, "is CLOSED"},
      {v1::WarningCommand::CLOSE, v1::OPEN, "CLOSE needs FEEDBACK_SUBMITTED"},
      {v1::WarningCommand::CLOSE, v1::ACKNOWLEDGED, "SUBMIT_FEEDBACK is the next step"},
      {v1::WarningCommand::CLOSE, v1::REOPENED, "ACKNOWLEDGE is the next step"},
      {v1::WarningCommand::CLOSE, v1::CLOSED, "is CLOSED"},
      {v1::WarningCommand::REOPEN, v1::OPEN, "REOPEN needs CLOSED"},
      {v1::WarningCommand::REOPEN, v1::ACKNOWLEDGED, "REOPEN needs CLOSED"},
      {v1::WarningCommand::REOPEN, v1::FEEDBACK_SUBMITTED, "REOPEN needs CLOSED"},
      {v1::WarningCommand::REOPEN, v1::REOPENED, "REOPEN needs CLOSED"},
      {v1::WarningCommand::ESCALATE, v1::CLOSED,
       "ESCALATE needs a state other than CLOSED; it is done; the province can REOPEN it"},
      {v1::WarningCommand::ESCALATE, v1::WARNING_STATE_UNSPECIFIED, "state is invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(v1::WarningCommand::Action_Name(c.action), " on ",
                              v1::WarningState_Name(c.state)));
    const v1::Warning w = In(c.state);
    const bool province =
        c.action == v1::WarningCommand::CLOSE || c.action == v1::WarningCommand::REOPEN;
    v1::WarningCommand cmd = Cmd(c.action, province ? "" : "410100");
    ExpectRejected(&w, cmd, v1::CommandResult::WRONG_STATE, c.reason);
  }
}

}  // namespace
}  // namespace vigil::lifecycle

// Lifecycle commands: validation in a fixed order, then the transition.

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "processors/lifecycle/edits.h"
#include "processors/lifecycle/lifecycle.h"
#include "processors/lifecycle/proto_time.h"

namespace vigil::lifecycle {
namespace {

using Code = v1::CommandResult::Code;
using Action = v1::WarningCommand::Action;

// 1–max printable ASCII characters (command ids and actors, command.proto).
bool IsPrintableAscii(const std::string& s, size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// Reasons quote ids the sender wrote; they are shown on one line.
std::string Printable(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

bool Blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isspace(c); });
}

std::string ActionName(Action a) { return v1::WarningCommand::Action_Name(a); }
std::string StateName(v1::WarningState s) { return v1::WarningState_Name(s); }

// Why a command is malformed, or nullopt.
std::optional<std::string> Malformed(const v1::WarningCommand& cmd) {
  if (cmd.command_id().empty()) return "command_id is missing; set a unique id per command";
  if (!IsPrintableAscii(cmd.command_id(), 128)) {
    return "command_id must be 1–128 printable ASCII characters";
  }
  if (cmd.warning_id().empty()) return "warning_id is missing; name the warning to act on";
  if (cmd.actor().empty()) return "actor is missing; name the operator issuing the command";
  if (!IsPrintableAscii(cmd.actor(), 64)) return "actor must be 1–64 printable ASCII characters";
  if (cmd.action() == v1::WarningCommand::ACTION_UNSPECIFIED ||
      !v1::WarningCommand::Action_IsValid(cmd.action())) {
    return "action is missing or unknown; one of ACKNOWLEDGE, SUBMIT_FEEDBACK, CLOSE, REOPEN, "
           "ESCALATE";
  }
  if (cmd.action() == v1::WarningCommand::SUBMIT_FEEDBACK && Blank(cmd.text())) {
    return "SUBMIT_FEEDBACK needs the feedback in text (how the warning was handled)";
  }
  return std::nullopt;
}

// The states an action applies to.
bool Allowed(Action a, v1::WarningState s) {
  switch (a) {
    case v1::WarningCommand::ACKNOWLEDGE:
      return s == v1::OPEN || s == v1::REOPENED;
    case v1::WarningCommand::SUBMIT_FEEDBACK:
      return s == v1::ACKNOWLEDGED;
    case v1::WarningCommand::CLOSE:
      return s == v1::FEEDBACK_SUBMITTED;
    case v1::WarningCommand::REOPEN:
      return s == v1::CLOSED;
    case v1::WarningCommand::ESCALATE:
      return s == v1::OPEN || s == v1::ACKNOWLEDGED || s == v1::FEEDBACK_SUBMITTED ||
             s == v1::REOPENED;
    default:
      return false;
  }
}

std::string NeededStates(Action a) {
  switch (a) {
    case v1::WarningCommand::ACKNOWLEDGE:
      return "OPEN or REOPENED";
    case v1::WarningCommand::SUBMIT_FEEDBACK:
      return "ACKNOWLEDGED";
    case v1::WarningCommand::CLOSE:
      return "FEEDBACK_SUBMITTED";
    case v1::WarningCommand::REOPEN:
      return "CLOSED";
    default:
      return "a state other than CLOSED";
  }
}

// What can be done with a warning in state `s`.
std::string NextStep(v1::WarningState s) {
  switch (s) {
    case v1::OPEN:
    case v1::REOPENED:
      return "ACKNOWLEDGE is the next step";
    case v1::ACKNOWLEDGED:
      return "SUBMIT_FEEDBACK is the next step";
    case v1::FEEDBACK_SUBMITTED:
      return "CLOSE by the province is the next step";
    case v1::CLOSED:
      return "it is done; the province can REOPEN it";
    default:
      return "its state is invalid; report it to the Vigil operators";
  }
}

CommandDecision Reject(CommandDecision d, Code code, std::string reason, uint64_t version) {
  d.result.set_accepted(false);
  d.result.set_code(code);
  d.result.set_reason(std::move(reason));
  d.result.set_warning_version(version);
  d.changed = false;
  return d;
}

}  // namespace

CommandDecision ApplyCommand(const LifecyclePolicy& policy, const v1::Warning* current,
                             const v1::WarningCommand& cmd, absl::Time now) {
  CommandDecision d;
  d.result.set_command_id(cmd.command_id());
  d.result.set_warning_id(cmd.warning_id());
  d.result.set_action(cmd.action());
  const std::string id = Printable(cmd.warning_id());

  if (std::optional<std::string> why = Malformed(cmd)) {
    return Reject(std::move(d), v1::CommandResult::INVALID, *std::move(why),
                  current != nullptr ? current->version() : 0);
  }
  if (current == nullptr || current->warning_id() != cmd.warning_id()) {
    return Reject(std::move(d), v1::CommandResult::UNKNOWN_WARNING,
                  absl::StrCat("no warning ", id,
                               "; check the id (closed warnings are kept "
                               "until their look-back ends)"),
                  0);
  }
  const uint64_t version = current->version();
  const Action action = cmd.action();
  if (!InRegion(current->region_key(), cmd.actor_region())) {
    return Reject(
        std::move(d), v1::CommandResult::WRONG_REGION,
        absl::StrCat("warning ", id, " is in region \"", current->region_key(),
                     "\", outside actor region \"", Printable(cmd.actor_region()),
                     "\"; ask its owner (", current->owner_level(), ") or the province to act"),
        version);
  }
  if ((action == v1::WarningCommand::CLOSE || action == v1::WarningCommand::REOPEN) &&
      !cmd.actor_region().empty()) {
    return Reject(
        std::move(d), v1::CommandResult::NOT_PERMITTED,
        absl::StrCat(ActionName(action),
                     " needs the province role (actor_region \"\"); "
                     "ask the provincial desk to ",
                     action == v1::WarningCommand::CLOSE ? "close" : "reopen", " warning ", id),
        version);
  }
  if (!Allowed(action, current->state())) {
    return Reject(
        std::move(d), v1::CommandResult::WRONG_STATE,
        absl::StrCat("warning ", id, " is ", StateName(current->state()), "; ", ActionName(action),
                     " needs ", NeededStates(action), "; ", NextStep(current->state())),
        version);
  }

  v1::Warning& w = d.after;
  w = *current;
  v1::Lifecycle* lc = w.mutable_lifecycle();
  d.event_type = v1::WarningEvent::STATE_CHANGED;
  switch (action) {
    case v1::WarningCommand::ACKNOWLEDGE:
      w.set_state(v1::ACKNOWLEDGED);
      lc->set_acknowledged_by(cmd.actor());
      internal::SetTime(now, lc->mutable_acknowledged_at());
      break;
    case v1::WarningCommand::SUBMIT_FEEDBACK:
      w.set_state(v1::FEEDBACK_SUBMITTED);
      lc->set_feedback(cmd.text());
      lc->set_feedback_by(cmd.actor());
      internal::SetTime(now, lc->mutable_feedback_at());
      break;
    case v1::WarningCommand::CLOSE:
      w.set_state(v1::CLOSED);
      lc->set_closed_by(cmd.actor());
      internal::SetTime(now, lc->mutable_closed_at());
      internal::SetTime(now + policy.LookbackFor(w.rule_id()), lc->mutable_lookback_until());
      break;
    case v1::WarningCommand::REOPEN:
      internal::Reopen(policy, now, &w);
      d.event_type = v1::WarningEvent::REOPENED;
      break;
    case v1::WarningCommand::ESCALATE: {
      const v1::Grade old_grade = w.grade();
      w.set_grade(RaiseGrade(old_grade, 1));
      internal::EscalateOwner(policy, &w);
      lc->set_escalations(lc->escalations() + 1);
      if (w.grade() != old_grade) internal::ShortenDeadlines(policy, now, &w);
      d.event_type = v1::WarningEvent::ESCALATED;
      break;
    }
    default:  // excluded by Malformed
      break;
  }
  w.set_version(version + 1);
  internal::SetTime(now, w.mutable_updated_at());
  d.changed = true;
  d.result.set_accepted(true);
  d.result.set_code(v1::CommandResult::OK);
  d.result.set_warning_version(version + 1);
  return d;
}

}  // namespace vigil::lifecycle

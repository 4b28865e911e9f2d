#include "processors/ledger/pipeline.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/ingest/validator.h"

namespace vigil::ledger {
namespace {

// A timer that fires more than this after its due time is flagged late.
constexpr absl::Duration kLateAfter = absl::Seconds(5);

}  // namespace

Pipeline::Pipeline(std::shared_ptr<const rules::RuleSet> rules,
                   std::shared_ptr<const engine::DeadlineSet> deadlines,
                   std::shared_ptr<const lifecycle::LifecyclePolicy> policy,
                   const reference::ReferenceStore* ref, state::StateStore* store)
    : store_(store),
      timers_(std::make_unique<timers::TimerStore>(store)),
      rule_engine_(std::make_unique<engine::RuleEngine>(std::move(rules), ref)),
      deadline_engine_(std::make_unique<engine::DeadlineEngine>(std::move(deadlines), ref, store,
                                                                timers_.get())),
      ledger_(std::make_unique<Ledger>(std::move(policy), store, timers_.get())) {}

absl::Status Pipeline::Open() { return ledger_->Open(); }

absl::Status Pipeline::ToLedger(std::vector<v1::WarningEvent>& engine_events,
                                state::StateStore::Batch& batch,
                                std::vector<v1::WarningEvent>* out) {
  for (const v1::WarningEvent& e : engine_events) {
    VIGIL_RETURN_IF_ERROR(
        ledger_->OnEngineEvent(e, ingest::ToTime(e.warning().updated_at()), batch, out));
  }
  engine_events.clear();
  return absl::OkStatus();
}

absl::Status Pipeline::Apply(const v1::Envelope& event, state::StateStore::Batch& batch,
                             engine::EngineOutput* out) {
  engine::EngineOutput rules_out;
  rule_engine_->Apply(event, &rules_out);
  out->rejection = std::move(rules_out.rejection);
  VIGIL_RETURN_IF_ERROR(ToLedger(rules_out.events, batch, &out->events));
  std::vector<v1::WarningEvent> deadline_events;
  VIGIL_RETURN_IF_ERROR(deadline_engine_->Apply(event, batch, &deadline_events));
  return ToLedger(deadline_events, batch, &out->events);
}

absl::StatusOr<bool> Pipeline::AdvanceTo(absl::Time watermark, absl::Time wall,
                                         state::StateStore::Batch& batch, engine::EngineOutput* out,
                                         size_t max_timers) {
  engine::EngineOutput rules_out;
  rule_engine_->AdvanceWatermark(watermark, &rules_out);
  VIGIL_RETURN_IF_ERROR(ToLedger(rules_out.events, batch, &out->events));
  if (watermark == absl::InfinitePast()) return false;
  // Strictly before the watermark: an event stamped exactly at the watermark
  // may still be on its way, and it wins over a deadline at the same instant.
  const absl::Time until = watermark - absl::Milliseconds(1);
  if (until == drained_until_ && timers_->schedules() == drained_schedules_ &&
      batch.id() == drained_batch_) {
    return false;  // nothing new can be due: skip the scan (once per event in vigild)
  }
  // One timer at a time, in (due, id) order: firing one may schedule,
  // reschedule or cancel others (a clock's next step, a warning's next ack
  // cycle), and those must take their place in the order. Popping several at
  // once would fire a snapshot, and the output would depend on where batches
  // happen to start (a restart, a full batch). At most max_timers in all.
  size_t fired = 0;
  while (fired < max_timers) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<timers::Timer> due, timers_->PopDue(batch, until, 1));
    if (due.empty()) {
      drained_until_ = until;
      drained_schedules_ = timers_->schedules();
      drained_batch_ = batch.id();
      return false;
    }
    fired += due.size();
    for (const timers::Timer& t : due) {
      internal::TimerPayload payload;
      if (!payload.ParseFromString(t.payload)) {
        return absl::DataLossError(absl::StrCat("timer ", t.id, ": unreadable payload"));
      }
      std::vector<v1::WarningEvent> engine_events;
      const size_t first = out->events.size();
      if (payload.target() == internal::TimerPayload::CLOCK) {
        VIGIL_RETURN_IF_ERROR(deadline_engine_->Fire(payload, t.due, batch, &engine_events));
        VIGIL_RETURN_IF_ERROR(ToLedger(engine_events, batch, &out->events));
      } else if (payload.target() == internal::TimerPayload::LIFECYCLE) {
        VIGIL_RETURN_IF_ERROR(ledger_->Fire(payload, t.due, batch, &out->events));
      }
      ++timers_fired_;
      const absl::Duration late = wall - t.due;
      if (lateness_observer_) lateness_observer_(late);
      if (late > kLateAfter) {
        ++timers_fired_late_;
        for (size_t i = first; i < out->events.size(); ++i) {
          out->events[i].set_fired_late_by_ms(absl::ToInt64Milliseconds(late));
        }
      }
    }
  }
  drained_batch_ = 0;
  return true;  // more may be due: the caller takes input first, then calls again
}

absl::StatusOr<engine::ReloadReport> Pipeline::Reload(
    std::shared_ptr<const rules::RuleSet> rules,
    std::shared_ptr<const engine::DeadlineSet> deadlines,
    std::shared_ptr<const lifecycle::LifecyclePolicy> policy, state::StateStore::Batch& batch,
    engine::EngineOutput* out) {
  engine::EngineOutput rules_out;
  engine::ReloadReport report = rule_engine_->Reload(std::move(rules), &rules_out);
  deadline_engine_->Reload(std::move(deadlines));
  ledger_->SetPolicy(std::move(policy));
  VIGIL_RETURN_IF_ERROR(ToLedger(rules_out.events, batch, &out->events));
  return report;
}

absl::Status Pipeline::Command(const v1::WarningCommand& command, absl::Time now,
                               state::StateStore::Batch& batch, engine::EngineOutput* out,
                               v1::CommandResult* result) {
  return ledger_->OnCommand(command, now, batch, &out->events, result);
}

}  // namespace vigil::ledger

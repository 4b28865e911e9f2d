#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "processors/engine/deadline_engine.h"
#include "processors/engine/rule_engine.h"
#include "processors/ledger/ledger.h"
#include "processors/state/state_store.h"
#include "processors/timers/timer_store.h"

namespace vigil::ledger {

// Everything between a validated event and the warnings topic, for one task:
// the window rules (RuleEngine), the deadline rules (DeadlineEngine), the
// durable timers both of them and the lifecycle use, and the ledger that
// numbers, tracks and publishes every warning. vigild, `vigilctl replay` and
// the tests drive this same object, so they give the same output.
//
// Time is passed in: event time for events, the watermark for timers (a
// timer fires once the watermark passes its due time; a subject's own clock
// steps fire before its next event). `wall` only measures how late a timer
// fired (WarningEvent.fired_late_by_ms); it never changes what is published.
class Pipeline {
 public:
  Pipeline(std::shared_ptr<const rules::RuleSet> rules,
           std::shared_ptr<const engine::DeadlineSet> deadlines,
           std::shared_ptr<const lifecycle::LifecyclePolicy> policy,
           const reference::ReferenceStore* ref, state::StateStore* store);
  // Restores the rule engine's records and the ledger counter.
  absl::Status Open();

  // Applies a validated event. `out->rejection` is set when it was late for
  // the window rules (the deadline rules still see it).
  absl::Status Apply(const v1::Envelope& event, state::StateStore::Batch& batch,
                     engine::EngineOutput* out);
  // Advances the window rules' watermark and fires at most `max_timers`
  // durable timers due before `watermark`, in due order. Returns true when
  // more timers are due (call again after taking input, so a long backlog of
  // timers never stalls ingestion).
  absl::StatusOr<bool> AdvanceTo(absl::Time watermark, absl::Time wall,
                                 state::StateStore::Batch& batch, engine::EngineOutput* out,
                                 size_t max_timers = 1000);
  // Swaps in a new rule bundle between batches (see RuleEngine::Reload).
  absl::StatusOr<engine::ReloadReport> Reload(
      std::shared_ptr<const rules::RuleSet> rules,
      std::shared_ptr<const engine::DeadlineSet> deadlines,
      std::shared_ptr<const lifecycle::LifecyclePolicy> policy, state::StateStore::Batch& batch,
      engine::EngineOutput* out);
  absl::Status Command(const v1::WarningCommand& command, absl::Time now,
                       state::StateStore::Batch& batch, engine::EngineOutput* out,
                       v1::CommandResult* result);

  engine::RuleEngine& rule_engine() { return *rule_engine_; }
  engine::DeadlineEngine& deadline_engine() { return *deadline_engine_; }
  Ledger& ledger() { return *ledger_; }
  timers::TimerStore& timers() { return *timers_; }
  uint64_t timers_fired() const { return timers_fired_; }
  uint64_t timers_fired_late() const { return timers_fired_late_; }
  // Called with each fired timer's lateness (wall − due) for monitoring; never
  // affects the output.
  void set_lateness_observer(std::function<void(absl::Duration)> fn) {
    lateness_observer_ = std::move(fn);
  }

 private:
  absl::Status ToLedger(std::vector<v1::WarningEvent>& engine_events,
                        state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);

  state::StateStore* store_;
  std::unique_ptr<timers::TimerStore> timers_;
  std::unique_ptr<engine::RuleEngine> rule_engine_;
  std::unique_ptr<engine::DeadlineEngine> deadline_engine_;
  std::unique_ptr<Ledger> ledger_;
  uint64_t timers_fired_ = 0;
  uint64_t timers_fired_late_ = 0;
  std::function<void(absl::Duration)> lateness_observer_;
  // Everything due before drained_until_ was popped in batch drained_batch_
  // with no schedule since.
  absl::Time drained_until_ = absl::InfinitePast();
  uint64_t drained_schedules_ = 0;
  uint64_t drained_batch_ = 0;
};

}  // namespace vigil::ledger

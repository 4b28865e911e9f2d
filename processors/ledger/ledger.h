#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/lifecycle/lifecycle.h"
#include "processors/state/state_store.h"
#include "processors/timers/timer_store.h"
#include "vigil/internal/state.pb.h"
#include "vigil/v1/command.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::ledger {

// A ledger query. Empty / unset fields do not filter.
struct Query {
  std::string region_prefix;  // whole-segment prefix of the region key
  std::optional<v1::WarningState> state;
  v1::Grade min_grade = v1::GRADE_UNSPECIFIED;
  std::vector<std::string> rule_ids;
  absl::Time updated_from = absl::InfinitePast();  // updated_at in [from, to)
  absl::Time updated_to = absl::InfiniteFuture();
  std::string after_warning_id;  // paging: ids after this (results are ordered by region, id)
  size_t limit = 100;
};

// The warning ledger: every warning with its lifecycle, and every published
// warning event with a sequence number (records namespaces "w", "region",
// "rk", "alias", "cmd", "ct", "log", "meta" of the StateStore).
//
// Everything the engines raise passes through here: the ledger owns the
// published version of a warning (the engines' versions are their own), its
// lifecycle (acknowledge → feedback → close, deadlines by grade, escalation
// when unacknowledged, look-back reopening one grade higher), the customer
// tags attached to it and its timer history. Commands (Kafka command topic,
// AlertService) go through OnCommand: validated, idempotent by command id.
//
// Deterministic: time is passed in (event time, a timer's due time, a
// command's time). All changes go into the caller's batch. Engine thread only.
class Ledger {
 public:
  Ledger(std::shared_ptr<const lifecycle::LifecyclePolicy> policy, state::StateStore* store,
         timers::TimerStore* timers);
  // Reads the sequence counter; call once before use.
  absl::Status Open();

  // An engine's warning event at `now` → the events to publish (0 or 1), with
  // ledger sequence numbers, appended to `out`.
  absl::Status OnEngineEvent(const v1::WarningEvent& event, absl::Time now,
                             state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);
  // A lifecycle command at `now`. `result` always set; a repeated command id
  // returns the first result and publishes nothing.
  absl::Status OnCommand(const v1::WarningCommand& command, absl::Time now,
                         state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out,
                         v1::CommandResult* result);
  // A LIFECYCLE timer popped by the caller fired.
  absl::Status Fire(const internal::TimerPayload& payload, absl::Time due,
                    state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);

  absl::StatusOr<std::optional<v1::Warning>> Get(const state::StateStore::Batch* batch,
                                                 std::string_view warning_id);
  absl::StatusOr<std::vector<v1::Warning>> List(const state::StateStore::Batch* batch,
                                                const Query& query);
  // Published events with ledger_seq > after_seq, in order, at most `limit`.
  // Calls fn for every warning in the ledger (committed state overlaid with
  // `batch`, which may be null), in id order, one at a time.
  absl::Status ForEach(const state::StateStore::Batch* batch,
                       const std::function<void(const v1::Warning&)>& fn);
  absl::StatusOr<std::vector<v1::WarningEvent>> Events(const state::StateStore::Batch* batch,
                                                       uint64_t after_seq, size_t limit);
  // The sequence number the next published event gets.
  uint64_t next_seq() const { return next_seq_; }

  void SetPolicy(std::shared_ptr<const lifecycle::LifecyclePolicy> policy) {
    policy_ = std::move(policy);
  }

 private:
  absl::StatusOr<std::optional<internal::LedgerEntry>> Load(const state::StateStore::Batch* batch,
                                                            std::string_view warning_id);
  absl::Status Save(const internal::LedgerEntry& entry, state::StateStore::Batch& batch);
  // Takes the engine's view of the warning into the entry (content, grade).
  void Merge(const v1::Warning& engine, absl::Time now, internal::LedgerEntry* entry);
  // Cancels the entry's pending lifecycle timers and schedules what its state
  // needs now (timers already acted are not scheduled again).
  absl::Status Reschedule(internal::LedgerEntry& entry, state::StateStore::Batch& batch);
  // The lifecycle timers the warning's state plans (LifecycleTimers), less the
  // acknowledgement ones once its condition cleared.
  std::vector<lifecycle::PlannedTimer> Planned(const v1::Warning& w) const;
  // Acts one lifecycle timer on the entry (history, escalation, publish); the
  // caller saves and reschedules.
  absl::Status Act(internal::LedgerEntry& entry, v1::TimerRecord::Kind kind, absl::Time due,
                   state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);
  // Acts the entry's lifecycle timers due before `now`, in due order.
  absl::Status CatchUp(internal::LedgerEntry& entry, absl::Time now,
                       state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out);
  // Attaches the customer's tags and records this warning on the customer.
  absl::Status Tag(v1::Warning* w, absl::Time now, state::StateStore::Batch& batch);
  // Assigns the next sequence number, logs and appends the event.
  void Publish(v1::WarningEvent event, state::StateStore::Batch& batch,
               std::vector<v1::WarningEvent>* out);

  std::shared_ptr<const lifecycle::LifecyclePolicy> policy_;
  state::StateStore* store_;
  timers::TimerStore* timers_;
  uint64_t next_seq_ = 1;
};

}  // namespace vigil::ledger

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "processors/ingest/rejection.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "vigil/internal/state.pb.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::engine {

// What applying one event (or advancing time) produced.
struct EngineOutput {
  std::vector<v1::WarningEvent> events;        // in order
  std::optional<ingest::Rejection> rejection;  // set when the event was late
};

// What a reload did.
struct ReloadReport {
  std::vector<std::string> kept;     // same definition: untouched
  std::vector<std::string> changed;  // same state shape: state kept, re-evaluated
  std::vector<std::string> reset;    // state shape changed: state dropped
  std::vector<std::string> added;
  std::vector<std::string> removed;  // state dropped, active warnings resolved
};

// Persisted state: one record per (rule, key) plus one per open outage.
// TakeDirty() returns what changed since the last call (nullopt = delete).
struct StateChange {
  std::string rule_id;  // "" for engine-wide records (open outages)
  std::string key;
  std::optional<std::string> value;  // serialized internal::RuleKeyState / OpenOutage
};

// The rule engine of one task: interprets a RuleSet over validated events.
//
// Time: windows run on event time. The caller advances the watermark
// (AdvanceWatermark) — vigild from its partitions (idle ones excluded), replay
// and rule tests from the input's event times. A (rule, key) acts at its own
// times only: timers due before an event of that key fire before the event
// is applied, whatever the watermark, so output depends on each key's input
// order and not on how the input was batched.
//
// Deterministic; never reads a clock. Not thread-safe (one per task).
class RuleEngine {
 public:
  RuleEngine(std::shared_ptr<const rules::RuleSet> rules, const reference::ReferenceStore* ref);
  ~RuleEngine();

  // Applies a validated event. An event further behind the watermark than a
  // matching rule's allowed lateness is applied to no rule and returned as a
  // `late` rejection.
  void Apply(const v1::Envelope& event, EngineOutput* out);

  // Moves the watermark forward (never back) and fires every timer due at or
  // before it, in (time, rule, key) order.
  void AdvanceWatermark(absl::Time watermark, EngineOutput* out);
  absl::Time watermark() const { return watermark_; }
  // Sets the watermark restored from durable state (start-up), firing nothing:
  // the next AdvanceWatermark fires what is due.
  void RestoreWatermark(absl::Time watermark) { watermark_ = std::max(watermark_, watermark); }

  // Swaps in a new rule set between batches. State of rules whose state
  // fingerprint is unchanged survives; rules with changed thresholds are
  // re-evaluated at the watermark.
  ReloadReport Reload(std::shared_ptr<const rules::RuleSet> rules, EngineOutput* out);
  const rules::RuleSet& rules() const { return *rules_; }

  std::vector<StateChange> TakeDirty();
  // Restores one persisted record (start-up). Records of unknown rules or of
  // a different state fingerprint are ignored (returns false).
  bool Restore(const StateChange& record);

  // Active (unresolved) warnings, sorted by warning id. For tests and tools.
  std::vector<v1::Warning> ActiveWarnings() const;
  size_t key_count() const;
  uint64_t late_events() const { return late_events_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const rules::RuleSet> rules_;
  absl::Time watermark_ = absl::InfinitePast();
  uint64_t late_events_ = 0;
};

}  // namespace vigil::engine

#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "processors/engine/sliding_window.h"
#include "processors/ingest/rejection.h"
#include "vigil/internal/state.pb.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::engine {

// Thresholds of the clustered-complaints rule (from the config file).
struct ClusterRuleConfig {
  std::string rule_id = "R13";
  std::string rule_version = "1";
  // At least this many accepted complaints of one category in one area...
  int min_complaints = 3;
  // ...within a sliding window of this size raise a warning.
  absl::Duration window = absl::Hours(24);
  // Events further behind the key's newest event are refused as late.
  absl::Duration allowed_lateness = absl::Hours(1);
  // Episode counts at or above which the grade rises (IV below the first).
  int grade_iii_at = 5;
  int grade_ii_at = 10;
  int grade_i_at = 20;
};

// What applying one event produced.
struct RuleOutput {
  std::vector<v1::WarningEvent> events;  // raised or updated warnings, in order
  std::optional<ingest::Rejection> rejection;  // set when the event was late
};

// R13 群体性投诉 per transformer area and complaint category.
//
// Counts ACCEPTED complaint tickets (each ticket once). When an accepted
// complaint makes some window of size W hold at least N of them, a warning is
// raised with a deterministic id. While that episode is active — the next
// complaint comes within W of the episode's evidence — every further complaint
// updates the same warning (version + 1, evidence, grade). A complaint after a
// quiet gap of W starts a new episode, which needs N complaints again.
//
// Not thread-safe: one instance per task, driven by the task's thread.
class ClusteredComplaints {
 public:
  explicit ClusteredComplaints(ClusterRuleConfig config);

  const ClusterRuleConfig& config() const { return config_; }

  // Applies a validated event. Anything but an accepted complaint is ignored.
  void Apply(const v1::Envelope& event, RuleOutput* out);

  // Keys whose state changed since the last call, with their state to persist
  // (nullopt = delete the key). Clears the dirty set.
  std::vector<std::pair<std::string, std::optional<internal::ClusterState>>> TakeDirty();

  // Restores one key's persisted state (at start-up).
  void Restore(const std::string& key, const internal::ClusterState& state);

  size_t key_count() const { return keys_.size(); }

 private:
  struct KeyState {
    explicit KeyState(const ClusterRuleConfig& c);
    SlidingWindow window;
    std::optional<v1::Warning> active;
  };

  KeyState& StateFor(const std::string& key);
  v1::Grade GradeFor(uint32_t count) const;
  void Raise(const std::string& key, const v1::Envelope& event, KeyState& st, RuleOutput* out);
  void Update(const v1::Envelope& event, KeyState& st, RuleOutput* out);
  void Describe(v1::Warning& w) const;

  ClusterRuleConfig config_;
  int64_t window_ms_;
  // Hashed: every accepted complaint looks its key up among hundreds of
  // thousands, and the keys share long prefixes (a std::map spent its time in
  // memcmp). Node-based, so a slot stays small and states never move.
  // Nothing iterates it: TakeDirty walks the ordered `dirty_`.
  absl::node_hash_map<std::string, KeyState> keys_;
  // std::set: deterministic order for TakeDirty.
  std::set<std::string> dirty_;
};

}  // namespace vigil::engine

#pragma once

#include <map>
#include <string>

#include "absl/time/time.h"

namespace vigil::engine {

// The event-time watermark of a task over its input partitions.
//
// Each partition's watermark is the newest event time read from it. The
// task's watermark is the minimum over *active* partitions — those that
// delivered a record within `idle_timeout` of wall-clock time — so an idle
// partition does not hold time back. When every partition is idle, event time
// follows the wall clock (now - idle_timeout), so windows close and
// resolutions fire even when no event arrives. It never goes back.
class WatermarkTracker {
 public:
  explicit WatermarkTracker(absl::Duration idle_timeout) : idle_timeout_(idle_timeout) {}

  // The partition was assigned at wall-clock `now`: until it delivers a
  // record or stays quiet for idle_timeout, it holds the watermark back (a
  // backlog read partition by partition must not make the others' events late).
  void Assign(const std::string& source, absl::Time now);
  // Whether the partition has delivered a record (also before a restart).
  bool HasDelivered(const std::string& source) const {
    auto it = sources_.find(source);
    return it != sources_.end() && it->second.max_event != absl::InfinitePast();
  }
  // A record with `event_time` was read from `source` at wall-clock `now`.
  void Observe(const std::string& source, absl::Time event_time, absl::Time now);
  // The partition was revoked: it no longer holds the watermark.
  void Forget(const std::string& source) { sources_.erase(source); }

  // The watermark at wall-clock `now` (monotonic).
  absl::Time Current(absl::Time now);

  // Durable form: the newest event time per partition that delivered a
  // record, and the watermark.
  std::map<std::string, absl::Time> MaxEventTimes() const;
  absl::Time watermark() const { return watermark_; }
  // Restores a partition's newest event time (it counts as active from `now`).
  void Restore(const std::string& source, absl::Time max_event, absl::Time now);
  void RestoreWatermark(absl::Time wm) { watermark_ = std::max(watermark_, wm); }

 private:
  struct Source {
    absl::Time max_event = absl::InfinitePast();
    absl::Time last_seen = absl::InfinitePast();
  };
  absl::Duration idle_timeout_;
  std::map<std::string, Source> sources_;
  absl::Time watermark_ = absl::InfinitePast();
  absl::Time first_call_ = absl::InfinitePast();
};

}  // namespace vigil::engine

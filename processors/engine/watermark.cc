#include "processors/engine/watermark.h"

#include <algorithm>

namespace vigil::engine {

void WatermarkTracker::Assign(const std::string& source, absl::Time now) {
  Source& s = sources_[source];
  s.last_seen = std::max(s.last_seen, now);
}

void WatermarkTracker::Observe(const std::string& source, absl::Time event_time, absl::Time now) {
  Source& s = sources_[source];
  s.max_event = std::max(s.max_event, event_time);
  s.last_seen = now;
}

std::map<std::string, absl::Time> WatermarkTracker::MaxEventTimes() const {
  std::map<std::string, absl::Time> out;
  // A partition that never delivered has no event time to keep: restored as
  // "delivered long ago" it would hold the watermark back for idle_timeout.
  for (const auto& [name, s] : sources_) {
    if (s.max_event != absl::InfinitePast()) out[name] = s.max_event;
  }
  return out;
}

void WatermarkTracker::Restore(const std::string& source, absl::Time max_event, absl::Time now) {
  Source& s = sources_[source];
  s.max_event = std::max(s.max_event, max_event);
  s.last_seen = now;
}

absl::Time WatermarkTracker::Current(absl::Time now) {
  if (first_call_ == absl::InfinitePast()) first_call_ = now;
  absl::Time candidate = absl::InfiniteFuture();
  bool any_active = false;
  for (const auto& [name, s] : sources_) {
    if (now - s.last_seen < idle_timeout_) {
      any_active = true;
      candidate = std::min(candidate, s.max_event);
    }
  }
  if (!any_active) {
    // Nothing read for idle_timeout (counting from the first call, so a task
    // that just started waits for its partitions before time moves on).
    if (sources_.empty() && now - first_call_ < idle_timeout_) return watermark_;
    candidate = now - idle_timeout_;
  }
  watermark_ = std::max(watermark_, candidate);
  return watermark_;
}

}  // namespace vigil::engine

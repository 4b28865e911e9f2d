#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::sim {

// The clock pacing reads and waits on. Tests use a fake that records the
// waits; only the CLI's real implementation sleeps.
class PaceClock {
 public:
  virtual ~PaceClock() = default;
  virtual absl::Time Now() = 0;
  virtual void SleepUntil(absl::Time t) = 0;
};

// "--speed": realtime (1x), "<N>x" (N times faster than event time), or max.
struct Speed {
  std::optional<double> factor;  // unset: as fast as possible
};
absl::StatusOr<Speed> ParseSpeed(const std::string& text);

// Holds events back until their turn: event time e is due at
// wall0 + (e - first event time) / factor, where wall0 is the clock when the
// first event was paced.
class Pacer {
 public:
  Pacer(PaceClock* clock, Speed speed) : clock_(clock), speed_(speed) {}

  // Waits (on the clock) until `event_time` is due; returns at once when
  // pacing is off or the event is late.
  void WaitFor(absl::Time event_time);

 private:
  PaceClock* clock_;
  Speed speed_;
  bool started_ = false;
  absl::Time first_event_;
  absl::Time wall0_;
};

}  // namespace vigil::sim

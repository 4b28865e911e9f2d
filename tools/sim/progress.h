#pragma once

#include <cstdint>
#include <ostream>

#include "absl/time/time.h"
#include "tools/sim/pacer.h"

namespace vigil::sim {

// A one-line progress bar over simulated time (for a terminal's stderr).
class ProgressBar {
 public:
  ProgressBar(std::ostream* out, PaceClock* clock, absl::Time start, absl::Time end)
      : out_(out), clock_(clock), start_(start), end_(end), wall0_(clock->Now()) {}

  // Redraws at most every 100 ms of wall time.
  void Update(absl::Time sim_time, int64_t events);
  // Draws the final state and ends the line.
  void Done(int64_t events);

 private:
  void Draw(absl::Time sim_time, int64_t events);

  std::ostream* out_;
  PaceClock* clock_;
  absl::Time start_;
  absl::Time end_;
  absl::Time wall0_;
  absl::Time last_draw_ = absl::InfinitePast();
};

}  // namespace vigil::sim

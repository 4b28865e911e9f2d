#include "tools/sim/progress.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "tools/sim/local_time.h"

namespace vigil::sim {

void ProgressBar::Update(absl::Time sim_time, int64_t events) {
  const absl::Time now = clock_->Now();
  if (now - last_draw_ < absl::Milliseconds(100)) return;
  last_draw_ = now;
  Draw(sim_time, events);
}

void ProgressBar::Done(int64_t events) {
  Draw(end_, events);
  *out_ << "\n" << std::flush;
}

void ProgressBar::Draw(absl::Time sim_time, int64_t events) {
  constexpr int kWidth = 30;
  const double span = absl::ToDoubleSeconds(end_ - start_);
  const double done =
      span > 0 ? std::clamp(absl::ToDoubleSeconds(sim_time - start_) / span, 0.0, 1.0) : 1.0;
  const int filled = static_cast<int>(done * kWidth);
  const double wall = absl::ToDoubleSeconds(clock_->Now() - wall0_);
  *out_ << absl::StrFormat("\r[%s%s] %3.0f%%  %s  %d events  %.0f events/s ",
                           std::string(filled, '#'), std::string(kWidth - filled, '.'), done * 100,
                           FormatLocal(std::max(sim_time, start_)), events,
                           wall > 0 ? events / wall : 0.0)
        << std::flush;
}

}  // namespace vigil::sim

#include "tools/sim/pacer.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vigil::sim {

absl::StatusOr<Speed> ParseSpeed(const std::string& text) {
  const std::string s = absl::AsciiStrToLower(text);
  if (s == "max") return Speed{};
  if (s == "realtime") return Speed{1.0};
  double factor = 0;
  if (s.size() > 1 && s.back() == 'x' && absl::SimpleAtod(s.substr(0, s.size() - 1), &factor) &&
      factor > 0) {
    return Speed{factor};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("speed '", text, "' is not realtime, max or <N>x (e.g. 60x)"));
}

void Pacer::WaitFor(absl::Time event_time) {
  if (!speed_.factor) return;
  if (!started_) {
    started_ = true;
    first_event_ = event_time;
    wall0_ = clock_->Now();
    return;
  }
  const absl::Time due = wall0_ + (event_time - first_event_) / *speed_.factor;
  if (due > clock_->Now() + absl::Milliseconds(1)) clock_->SleepUntil(due);
}

}  // namespace vigil::sim

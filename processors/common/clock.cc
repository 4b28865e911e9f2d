#include "processors/common/clock.h"

#include "absl/time/clock.h"

namespace vigil {

absl::Time SystemClock::Now() const { return absl::Now(); }

}  // namespace vigil

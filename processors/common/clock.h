#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace vigil {

// The only way code learns the time. The engine never reads the wall clock
// itself: live mode passes a SystemClock, tests and replay a ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time. The one place in Vigil that reads the system clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(now_ns_.load()); }
  void Set(absl::Time t) { now_ns_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { now_ns_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace vigil

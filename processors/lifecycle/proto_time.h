#pragma once

// Internal to processors/lifecycle: google.protobuf.Timestamp ↔ absl::Time.

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace vigil::lifecycle::internal {

// An unset timestamp (0 s, 0 ns) means "none" in the lifecycle fields.
inline bool IsSet(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

inline absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

inline void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t ns = absl::ToUnixNanos(t);
  int64_t seconds = ns / 1000000000;
  int64_t nanos = ns % 1000000000;
  if (nanos < 0) {
    --seconds;
    nanos += 1000000000;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(nanos));
}

}  // namespace vigil::lifecycle::internal

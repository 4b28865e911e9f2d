#pragma once

// Shared fixtures for the lifecycle tests: a fixed start time and warnings.

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/time/time.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::lifecycle::testing {

// 2026-07-01 08:00:00 UTC.
inline absl::Time T0() { return absl::FromUnixSeconds(1782892800); }

inline google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t ns = absl::ToUnixNanos(t);  // tests use times after 1970
  ts.set_seconds(ns / 1000000000);
  ts.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return ts;
}

inline absl::Time At(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// A warning as the engine hands it over before OnRaised: id, rule, region,
// grade, raised at `raised`, version 1.
inline v1::Warning MakeWarning(v1::Grade grade, absl::Time raised = T0(),
                               const std::string& rule_id = "R05",
                               const std::string& region_key = "410100/410102/S1/A1") {
  v1::Warning w;
  w.set_warning_id(rule_id + "-00000000000000a1");
  w.set_version(1);
  w.set_rule_id(rule_id);
  w.set_region_key(region_key);
  w.set_grade(grade);
  *w.mutable_raised_at() = Ts(raised);
  *w.mutable_updated_at() = Ts(raised);
  return w;
}

}  // namespace vigil::lifecycle::testing

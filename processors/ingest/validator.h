#pragma once

#include <optional>

#include "absl/time/time.h"
#include "processors/ingest/rejection.h"
#include "vigil/v1/events.pb.h"

namespace vigil::ingest {

// Which input topic a record came from; the payload must match it.
enum class InputKind { kTickets, kOutages, kRepeatCalls };

struct ValidationOptions {
  // Events stamped further than this ahead of the clock are refused.
  absl::Duration max_future_skew = absl::Minutes(5);
};

// The input kind an envelope's payload belongs to (for inputs that are not
// read from a typed topic: replay files, rule tests).
InputKind KindOfPayload(const v1::Envelope& event);

// A protobuf timestamp as absl::Time.
absl::Time ToTime(const google::protobuf::Timestamp& ts);
// absl::Time as a protobuf timestamp, floored to the millisecond (the
// precision of everything vigild keeps and publishes).
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// Checks a decoded envelope: payload matches the topic, required fields, id
// shapes, enum values, region codes and timestamps. `now` comes from the
// caller's clock.
std::optional<Rejection> Validate(const v1::Envelope& event, InputKind kind, absl::Time now,
                                  const ValidationOptions& options);

}  // namespace vigil::ingest

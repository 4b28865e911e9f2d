#pragma once

#include <optional>

#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"
#include "processors/ingest/rejection.h"

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

// Checks a decoded envelope: payload matches the topic, required fields, id
// shapes, enum values, region codes and timestamps. `now` comes from the
// caller's clock.
std::optional<Rejection> Validate(const v1::Envelope& event, InputKind kind, absl::Time now,
                                  const ValidationOptions& options);

}  // namespace vigil::ingest

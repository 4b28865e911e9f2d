#pragma once

#include <string>
#include <string_view>

namespace vigil::ingest {

// Why an input record was refused. Each reason is a stable code carried in the
// dead-letter record's `vigil-reason` header.
enum class RejectReason {
  kDecodeFailed,      // "decode_failed": not valid Protobuf / proto3 JSON
  kMissingField,      // "missing_field": a required field is empty
  kInvalidRegion,     // "invalid_region": a region code has the wrong shape
  kInvalidTimestamp,  // "invalid_timestamp": out of range or too far in the future
  kInvalidValue,      // "invalid_value": unknown enum value, bad id, bad number
  kTopicMismatch,     // "topic_mismatch": payload kind does not match the topic
  kLate,              // "late": older than the window's allowed lateness
};

std::string_view ReasonCode(RejectReason reason);

struct Rejection {
  RejectReason reason;
  std::string detail;  // human-readable: which field, what was wrong
};

}  // namespace vigil::ingest

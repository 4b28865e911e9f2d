#include "processors/ingest/rejection.h"

namespace vigil::ingest {

std::string_view ReasonCode(RejectReason reason) {
  switch (reason) {
    case RejectReason::kDecodeFailed:
      return "decode_failed";
    case RejectReason::kMissingField:
      return "missing_field";
    case RejectReason::kInvalidRegion:
      return "invalid_region";
    case RejectReason::kInvalidTimestamp:
      return "invalid_timestamp";
    case RejectReason::kInvalidValue:
      return "invalid_value";
    case RejectReason::kTopicMismatch:
      return "topic_mismatch";
    case RejectReason::kLate:
      return "late";
  }
  return "unknown";
}

}  // namespace vigil::ingest

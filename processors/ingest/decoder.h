#pragma once

#include <optional>
#include <string_view>

#include "vigil/v1/events.pb.h"
#include "processors/ingest/rejection.h"

namespace vigil::ingest {

// How an input topic's records are encoded (per-topic setting).
enum class Format { kProtobuf, kJson };

// Decodes one record value into `out`. Returns the rejection on failure, in
// which case `out` is unspecified. Unknown JSON fields are ignored (forward
// compatibility); unknown enum names in JSON are rejected.
std::optional<Rejection> Decode(std::string_view bytes, Format format, v1::Envelope* out);

}  // namespace vigil::ingest

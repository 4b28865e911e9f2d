#pragma once

// Decoding a reference record from one line of proto3 JSON, fast.
//
// protobuf 3.21's JsonStringToMessage costs ~20-30 µs per small record, which
// makes a province's file (10^5 areas, a few 10^5 tagged customers) take many
// seconds. Almost every line is in the plain shape MessageToJsonString writes,
// so those are read by a small reflection-driven reader, and any line that
// holds more (escapes, non-ASCII, numbers as strings or floats, nulls,
// repeated or well-known-type fields, unknown or duplicate keys) goes to
// JsonStringToMessage. The result is the same either way
// (tests/unit/reference/reference_store_test.cc compares the two).

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "vigil/v1/reference.pb.h"

namespace vigil::reference {

// Reads `json` into `message` (cleared first) if it is an object in the plain
// subset; false otherwise, with `message` unspecified.
bool ParsePlainJson(std::string_view json, google::protobuf::Message* message);

// Reads one proto3-JSON ReferenceRecord (default JsonParseOptions: unknown
// fields are errors): ParsePlainJson, else JsonStringToMessage.
absl::Status ParseReferenceRecordJson(std::string_view json, v1::ReferenceRecord* record);

}  // namespace vigil::reference

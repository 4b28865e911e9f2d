#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "tools/sim/event_sink.h"

namespace vigil::sim {

// proto3 JSON of one envelope (MessageToJsonString, default options: no
// whitespace, enum names, fields in field-number order — deterministic).
absl::StatusOr<std::string> EnvelopeToJson(const v1::Envelope& event);

// Writes one envelope per line as proto3 JSON.
class JsonLinesSink final : public EventSink {
 public:
  // "-" writes to stdout.
  static absl::StatusOr<std::unique_ptr<JsonLinesSink>> Open(const std::string& path);
  explicit JsonLinesSink(std::ostream* out) : out_(out) {}

  absl::Status Write(const v1::Envelope& event) override;
  absl::Status Close() override;

 private:
  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_;
  std::string path_;
};

}  // namespace vigil::sim

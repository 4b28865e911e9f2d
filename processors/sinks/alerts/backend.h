#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/ledger/ledger.h"
#include "vigil/v1/command.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::alerts {

// What the AlertService needs from the engine, called from gRPC threads.
// Reads see committed state only; commands run on the engine thread, in order
// with events, and return once their effects are durable. vigild implements
// it (vigild/alert_backend.h); tests use fakes.
class Backend {
 public:
  virtual ~Backend() = default;

  virtual absl::StatusOr<std::optional<v1::Warning>> GetWarning(std::string_view warning_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Warning>> ListWarnings(const ledger::Query& query) = 0;
  // Published events with ledger_seq > after_seq, in order, at most `limit`.
  virtual absl::StatusOr<std::vector<v1::WarningEvent>> EventsAfter(uint64_t after_seq,
                                                                    size_t limit) = 0;
  // Applies a lifecycle command; blocks until committed or `timeout` passes
  // (DEADLINE_EXCEEDED: it may still apply; repeating the command id is safe).
  virtual absl::StatusOr<v1::CommandResult> Command(const v1::WarningCommand& command,
                                                    absl::Duration timeout) = 0;
};

}  // namespace vigil::alerts

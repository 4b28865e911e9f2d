#pragma once

#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/ledger/ledger.h"
#include "processors/sinks/alerts/backend.h"
#include "processors/state/state_store.h"
#include "vigil/v1/command.pb.h"

namespace vigil::vigild {

// Hands lifecycle commands from gRPC threads to the engine thread and their
// results back once the batch that applied them is durable. Thread-safe.
class CommandQueue {
 public:
  struct Pending {
    v1::WarningCommand command;
    std::promise<absl::StatusOr<v1::CommandResult>> done;
  };

  // gRPC thread: queues `command`, waits up to `timeout` for its result.
  absl::StatusOr<v1::CommandResult> Submit(v1::WarningCommand command, absl::Duration timeout);
  // Engine thread: everything queued so far, in arrival order.
  std::vector<std::shared_ptr<Pending>> Take();
  // No more commands: queued ones and new ones get UNAVAILABLE.
  void Close();

 private:
  std::mutex mu_;
  std::deque<std::shared_ptr<Pending>> queue_;
  bool closed_ = false;
};

// alerts::Backend for vigild: committed ledger reads straight from RocksDB
// (any thread), commands through the CommandQueue to the engine thread.
class AlertBackend final : public alerts::Backend {
 public:
  AlertBackend(state::StateStore* store, CommandQueue* commands);

  absl::StatusOr<std::optional<v1::Warning>> GetWarning(std::string_view warning_id) override;
  absl::StatusOr<std::vector<v1::Warning>> ListWarnings(const ledger::Query& query) override;
  absl::StatusOr<std::vector<v1::WarningEvent>> EventsAfter(uint64_t after_seq,
                                                            size_t limit) override;
  absl::StatusOr<v1::CommandResult> Command(const v1::WarningCommand& command,
                                            absl::Duration timeout) override;

 private:
  // A ledger used for reads of committed state only (no batch, no timers):
  // those touch nothing but RocksDB, which is safe from any thread.
  ledger::Ledger reader_;
  CommandQueue* commands_;
};

}  // namespace vigil::vigild

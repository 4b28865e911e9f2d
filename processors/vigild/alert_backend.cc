#include "processors/vigild/alert_backend.h"

#include <chrono>
#include <utility>

#include "processors/lifecycle/policy.h"

namespace vigil::vigild {

absl::StatusOr<v1::CommandResult> CommandQueue::Submit(v1::WarningCommand command,
                                                       absl::Duration timeout) {
  auto pending = std::make_shared<Pending>();
  pending->command = std::move(command);
  std::future<absl::StatusOr<v1::CommandResult>> result = pending->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return absl::UnavailableError("vigild is stopping; repeat the command later");
    queue_.push_back(pending);
  }
  if (result.wait_for(absl::ToChronoNanoseconds(timeout)) != std::future_status::ready) {
    return absl::DeadlineExceededError("the engine did not apply the command in time");
  }
  return result.get();
}

std::vector<std::shared_ptr<CommandQueue::Pending>> CommandQueue::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Pending>> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

void CommandQueue::Close() {
  std::deque<std::shared_ptr<Pending>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    left.swap(queue_);
  }
  for (const auto& p : left) {
    p->done.set_value(absl::UnavailableError("vigild is stopping; repeat the command later"));
  }
}

AlertBackend::AlertBackend(state::StateStore* store, CommandQueue* commands)
    : reader_(
          std::make_shared<const lifecycle::LifecyclePolicy>(lifecycle::LifecyclePolicy::Default()),
          store, nullptr),
      commands_(commands) {}

absl::StatusOr<std::optional<v1::Warning>> AlertBackend::GetWarning(std::string_view warning_id) {
  return reader_.Get(nullptr, warning_id);
}

absl::StatusOr<std::vector<v1::Warning>> AlertBackend::ListWarnings(const ledger::Query& query) {
  return reader_.List(nullptr, query);
}

absl::StatusOr<std::vector<v1::WarningEvent>> AlertBackend::EventsAfter(uint64_t after_seq,
                                                                        size_t limit) {
  return reader_.Events(nullptr, after_seq, limit);
}

absl::StatusOr<v1::CommandResult> AlertBackend::Command(const v1::WarningCommand& command,
                                                        absl::Duration timeout) {
  return commands_->Submit(command, timeout);
}

}  // namespace vigil::vigild

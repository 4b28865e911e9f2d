#include "processors/sinks/alerts/alert_service.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "processors/ingest/validator.h"
#include "processors/lifecycle/owner.h"
#include "spdlog/spdlog.h"

namespace vigil::alerts {
namespace {

constexpr size_t kMaxIdLength = 128;
constexpr size_t kMaxFeedbackChars = 4000;
constexpr uint32_t kDefaultPageSize = 50;
constexpr uint32_t kMaxPageSize = 500;

grpc::Status Internal(const char* method, const absl::Status& s) {
  spdlog::error("alerts: {} failed: {}", method, s.ToString());
  return grpc::Status(grpc::StatusCode::INTERNAL, std::string(s.message()));
}

bool Matches(const v1::WarningEvent& e, const Unit& unit, const v1::SubscribeRequest& request) {
  const v1::Warning& w = e.warning();
  if (!AccessPolicy::Sees(unit, w.region_key())) return false;
  if (!request.region_prefix().empty() &&
      !lifecycle::InRegion(w.region_key(), request.region_prefix())) {
    return false;
  }
  if (request.min_grade() != v1::GRADE_UNSPECIFIED && w.grade() < request.min_grade()) {
    return false;
  }
  if (request.rule_ids_size() > 0 && std::find(request.rule_ids().begin(), request.rule_ids().end(),
                                               w.rule_id()) == request.rule_ids().end()) {
    return false;
  }
  return true;
}

// Shared by a Subscribe handler and its subscription's overflow callback (run
// on the engine thread): a write blocked on a stalled client is cancelled, a
// stream between writes sees the overflow at its next step. Both sides use
// sequentially consistent atomics, so one of them always notices.
struct StreamGuard {
  std::atomic<bool> writing{false};
  std::atomic<bool> overflowed{false};
  std::mutex mu;
  grpc::ServerContext* context = nullptr;  // null once the handler returned
};

}  // namespace

AlertServiceImpl::AlertServiceImpl(Backend* backend, Hub* hub, const AccessPolicy* access,
                                   const Clock* clock, ServiceOptions options)
    : backend_(backend),
      hub_(hub),
      access_(access),
      clock_(clock),
      options_(options),
      refusals_log_(/*burst=*/20, absl::Seconds(10),
                    "; vigil_alert_calls_denied_total counts them all",
                    [](const std::string& line) { spdlog::warn("{}", line); }) {}

grpc::Status AlertServiceImpl::Unauthenticated(const grpc::ServerContext& context,
                                               const char* method) {
  refused_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    refusals_log_.Reject(clock_->Now(), "UNAUTHENTICATED", [&] {
      return absl::StrCat("alerts: ", method, " from ", context.peer(),
                          " refused: no valid credential");
    });
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "no valid credential: send \"authorization: Bearer <token>\" or a client "
                      "certificate issued to your unit");
}

grpc::Status AlertServiceImpl::Denied(const grpc::ServerContext& context, const Unit& unit,
                                      const char* method, const std::string& what) {
  refused_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    refusals_log_.Reject(clock_->Now(), "PERMISSION_DENIED", [&] {
      return absl::StrCat("alerts: ", method, " by unit ", unit.name, " (", context.peer(),
                          ") denied: ", what);
    });
  }
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat(what, " is outside the regions of unit ", unit.name));
}

void AlertServiceImpl::FlushLog() {
  std::lock_guard<std::mutex> lock(log_mu_);
  refusals_log_.Flush(clock_->Now());
}

grpc::Status AlertServiceImpl::Subscribe(grpc::ServerContext* context,
                                         const v1::SubscribeRequest* request,
                                         grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  const Unit* unit = access_->Authenticate(*context);
  if (unit == nullptr) return Unauthenticated(*context, "Subscribe");
  if (!AccessPolicy::Overlaps(*unit, request->region_prefix())) {
    return Denied(*context, *unit, "Subscribe",
                  absl::StrCat("region prefix \"", request->region_prefix(), "\""));
  }
  // Registered before the ledger is read: whatever commits from now on is in
  // the subscription, whatever committed before is in the log.
  std::shared_ptr<Subscription> sub = hub_->Subscribe(options_.max_buffered_events);
  auto guard = std::make_shared<StreamGuard>();
  guard->context = context;
  sub->OnOverflow([guard] {
    guard->overflowed.store(true);
    std::lock_guard<std::mutex> lock(guard->mu);
    if (guard->writing.load() && guard->context != nullptr) guard->context->TryCancel();
  });
  absl::Cleanup done = [&] {
    {
      std::lock_guard<std::mutex> lock(guard->mu);
      guard->context = nullptr;
    }
    hub_->Unsubscribe(sub);
  };
  uint64_t cursor = request->after_seq();
  auto resume_hint = [&] { return absl::StrCat("resume with after_seq=", cursor); };
  absl::Time last_write = clock_->Now();
  auto write = [&](const v1::SubscribeResponse& response) {
    guard->writing.store(true);
    const bool ok = !guard->overflowed.load() && writer->Write(response);
    guard->writing.store(false);
    last_write = clock_->Now();
    return ok;
  };
  auto overflow_status = [&] {
    spdlog::warn("alerts: subscriber {} ({}) too slow: more than {} events behind; cut off at {}",
                 unit->name, context->peer(), options_.max_buffered_events, cursor);
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("too slow: more than ", options_.max_buffered_events,
                                     " events waited for this stream; ", resume_hint()));
  };
  spdlog::info("alerts: unit {} ({}) subscribed after seq {}", unit->name, context->peer(), cursor);

  // Catch up from the committed ledger log.
  v1::SubscribeResponse response;
  for (;;) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    absl::StatusOr<std::vector<v1::WarningEvent>> page =
        backend_->EventsAfter(cursor, options_.catch_up_page);
    if (!page.ok()) return Internal("Subscribe", page.status());
    if (page->empty()) break;
    for (v1::WarningEvent& e : *page) {
      cursor = e.ledger_seq();
      if (!Matches(e, *unit, *request)) continue;
      *response.mutable_event() = std::move(e);
      if (!write(response)) {
        return guard->overflowed.load() ? overflow_status() : grpc::Status::CANCELLED;
      }
    }
  }
  // Then live.
  for (;;) {
    v1::WarningEvent e;
    const absl::Duration wait =
        std::max(absl::Milliseconds(1), options_.heartbeat_interval - (clock_->Now() - last_write));
    switch (sub->Pop(wait, &e)) {
      case Subscription::Next::kClosed:
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            absl::StrCat("server stopping; ", resume_hint()));
      case Subscription::Next::kOverflowed:
        return overflow_status();
      case Subscription::Next::kEvent:
        if (e.ledger_seq() <= cursor) break;  // read from the log already
        cursor = e.ledger_seq();
        if (Matches(e, *unit, *request)) {
          *response.mutable_event() = std::move(e);
          if (!write(response)) {
            return guard->overflowed.load() ? overflow_status() : grpc::Status::CANCELLED;
          }
        }
        break;
      case Subscription::Next::kTimeout:
        break;
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    if (clock_->Now() - last_write >= options_.heartbeat_interval) {
      v1::SubscribeResponse beat;
      *beat.mutable_heartbeat()->mutable_server_time() = ingest::ToTimestamp(clock_->Now());
      beat.mutable_heartbeat()->set_head_seq(std::max(hub_->head_seq(), cursor));
      if (!write(beat)) {
        return guard->overflowed.load() ? overflow_status() : grpc::Status::CANCELLED;
      }
    }
  }
}

grpc::Status AlertServiceImpl::RunCommand(grpc::ServerContext* context, const char* method,
                                          v1::WarningCommand command, v1::CommandResult* response) {
  const Unit* unit = access_->Authenticate(*context);
  if (unit == nullptr) return Unauthenticated(*context, method);
  if (command.command_id().empty() || command.command_id().size() > kMaxIdLength) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "command_id: 1–128 characters, chosen by the client (repeat it to retry)");
  }
  if (command.actor().empty() || command.actor().size() > kMaxIdLength) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "operator: 1–128 characters (who acts)");
  }
  if (command.warning_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "warning_id: missing");
  }
  absl::StatusOr<std::optional<v1::Warning>> w = backend_->GetWarning(command.warning_id());
  if (!w.ok()) return Internal(method, w.status());
  if (w->has_value()) {
    std::optional<std::string> region = AccessPolicy::ActingRegion(*unit, (*w)->region_key());
    if (!region) {
      return Denied(*context, *unit, method,
                    absl::StrCat("warning ", command.warning_id(), " (", (*w)->region_key(), ")"));
    }
    command.set_actor_region(*region);
  } else if (!unit->province) {
    // Unknown: the engine answers UNKNOWN_WARNING; a unit acts in its first region.
    command.set_actor_region(unit->regions.empty() ? "-" : unit->regions.front());
  }
  // Command ids are the unit's own: two units cannot collide, a retry repeats.
  command.set_command_id(absl::StrCat(unit->name, "/", command.command_id()));
  absl::StatusOr<v1::CommandResult> result = backend_->Command(command, options_.command_timeout);
  if (!result.ok()) {
    if (absl::IsDeadlineExceeded(result.status())) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "the engine did not confirm in time; repeat the same command_id");
    }
    if (absl::IsUnavailable(result.status())) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(result.status().message()));
    }
    return Internal(method, result.status());
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status AlertServiceImpl::Acknowledge(grpc::ServerContext* context,
                                           const v1::AcknowledgeRequest* request,
                                           v1::CommandResult* response) {
  v1::WarningCommand c;
  c.set_command_id(request->command_id());
  c.set_action(v1::WarningCommand::ACKNOWLEDGE);
  c.set_warning_id(request->warning_id());
  c.set_actor(request->operator_());
  return RunCommand(context, "Acknowledge", std::move(c), response);
}

grpc::Status AlertServiceImpl::SubmitFeedback(grpc::ServerContext* context,
                                              const v1::SubmitFeedbackRequest* request,
                                              v1::CommandResult* response) {
  if (request->feedback().empty() || request->feedback().size() > 4 * kMaxFeedbackChars) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "feedback: 1–4000 characters of what was done");
  }
  v1::WarningCommand c;
  c.set_command_id(request->command_id());
  c.set_action(v1::WarningCommand::SUBMIT_FEEDBACK);
  c.set_warning_id(request->warning_id());
  c.set_actor(request->operator_());
  c.set_text(request->feedback());
  return RunCommand(context, "SubmitFeedback", std::move(c), response);
}

grpc::Status AlertServiceImpl::GetWarning(grpc::ServerContext* context,
                                          const v1::GetWarningRequest* request,
                                          v1::Warning* response) {
  const Unit* unit = access_->Authenticate(*context);
  if (unit == nullptr) return Unauthenticated(*context, "GetWarning");
  absl::StatusOr<std::optional<v1::Warning>> w = backend_->GetWarning(request->warning_id());
  if (!w.ok()) return Internal("GetWarning", w.status());
  if (!w->has_value()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no warning ", request->warning_id()));
  }
  if (!AccessPolicy::Sees(*unit, (*w)->region_key())) {
    return Denied(*context, *unit, "GetWarning",
                  absl::StrCat("warning ", request->warning_id(), " (", (*w)->region_key(), ")"));
  }
  *response = **std::move(w);
  return grpc::Status::OK;
}

grpc::Status AlertServiceImpl::ListWarnings(grpc::ServerContext* context,
                                            const v1::ListWarningsRequest* request,
                                            v1::ListWarningsResponse* response) {
  const Unit* unit = access_->Authenticate(*context);
  if (unit == nullptr) return Unauthenticated(*context, "ListWarnings");
  const std::string& wanted = request->region_prefix();
  if (!AccessPolicy::Overlaps(*unit, wanted)) {
    return Denied(*context, *unit, "ListWarnings", absl::StrCat("region prefix \"", wanted, "\""));
  }
  if (request->page_size() > kMaxPageSize) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "page_size: 1–500 (0 = 50)");
  }
  const uint32_t page = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  // The region prefixes to scan: the request's, cut to the unit's regions.
  std::set<std::string> prefixes;
  if (unit->province) {
    prefixes.insert(wanted);
  } else {
    for (const std::string& r : unit->regions) {
      if (wanted.empty() || lifecycle::InRegion(r, wanted)) {
        prefixes.insert(r);
      } else if (lifecycle::InRegion(wanted, r)) {
        prefixes.insert(wanted);
      }
    }
  }
  std::vector<v1::Warning> found;
  for (const std::string& prefix : prefixes) {
    ledger::Query q;
    q.region_prefix = prefix;
    q.min_grade = request->min_grade();
    q.rule_ids.assign(request->rule_ids().begin(), request->rule_ids().end());
    q.after_warning_id = request->page_token();
    q.limit = page + 1;
    absl::StatusOr<std::vector<v1::Warning>> part = backend_->ListWarnings(q);
    if (!part.ok()) return Internal("ListWarnings", part.status());
    for (v1::Warning& w : *part) found.push_back(std::move(w));
  }
  // Ordered by warning id (stable paging); a warning is listed once.
  std::sort(found.begin(), found.end(), [](const v1::Warning& a, const v1::Warning& b) {
    return a.warning_id() < b.warning_id();
  });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const v1::Warning& a, const v1::Warning& b) {
                            return a.warning_id() == b.warning_id();
                          }),
              found.end());
  const bool more = found.size() > page;
  if (more) found.resize(page);
  for (v1::Warning& w : found) *response->add_warnings() = std::move(w);
  if (more) response->set_next_page_token(response->warnings().rbegin()->warning_id());
  return grpc::Status::OK;
}

}  // namespace vigil::alerts

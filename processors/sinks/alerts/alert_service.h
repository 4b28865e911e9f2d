#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "processors/common/rejection_log.h"
#include "processors/sinks/alerts/access.h"
#include "processors/sinks/alerts/backend.h"
#include "processors/sinks/alerts/hub.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::alerts {

struct ServiceOptions {
  // A Subscribe stream with nothing to send for this long sends a Heartbeat.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // Live events buffered per stream before a slow client is cut off
  // (RESOURCE_EXHAUSTED; it resumes from its cursor).
  size_t max_buffered_events = 10000;
  // How long Acknowledge / SubmitFeedback wait for the engine to commit.
  absl::Duration command_timeout = absl::Seconds(10);
  // Ledger events read per step when a stream catches up from its cursor.
  size_t catch_up_page = 500;
};

// vigil.v1.AlertService (proto/vigil/v1/alert_service.proto) for city units
// and the province. Every call authenticates (AccessPolicy) and sees or acts
// on its own regions only: anything else is PERMISSION_DENIED, and logged.
//
// Subscribe resumes after a ledger sequence (the cursor): it first reads the
// committed ledger log, then follows the live hub, skipping what it already
// sent, so a client that reconnects with its last ledger_seq gets every event
// it missed, in order, and none twice. Sync gRPC API: one server thread per
// open stream.
class AlertServiceImpl final : public v1::AlertService::Service {
 public:
  AlertServiceImpl(Backend* backend, Hub* hub, const AccessPolicy* access, const Clock* clock,
                   ServiceOptions options);

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) override;
  grpc::Status Acknowledge(grpc::ServerContext* context, const v1::AcknowledgeRequest* request,
                           v1::CommandResult* response) override;
  grpc::Status SubmitFeedback(grpc::ServerContext* context,
                              const v1::SubmitFeedbackRequest* request,
                              v1::CommandResult* response) override;
  grpc::Status GetWarning(grpc::ServerContext* context, const v1::GetWarningRequest* request,
                          v1::Warning* response) override;
  grpc::Status ListWarnings(grpc::ServerContext* context, const v1::ListWarningsRequest* request,
                            v1::ListWarningsResponse* response) override;

  // Calls refused so far (UNAUTHENTICATED or PERMISSION_DENIED).
  uint64_t refused() const { return refused_.load(); }
  // Logs the summary of refused calls not logged one by one, once their period is over.
  void FlushLog();

 private:
  // Count, log (one line per refusal up to a burst, then a summary) and answer a refusal.
  grpc::Status Unauthenticated(const grpc::ServerContext& context, const char* method);
  grpc::Status Denied(const grpc::ServerContext& context, const Unit& unit, const char* method,
                      const std::string& what);

  grpc::Status RunCommand(grpc::ServerContext* context, const char* method,
                          v1::WarningCommand command, v1::CommandResult* response);

  Backend* backend_;
  Hub* hub_;
  const AccessPolicy* access_;
  const Clock* clock_;
  ServiceOptions options_;
  std::atomic<uint64_t> refused_{0};
  std::mutex log_mu_;  // guards refusals_log_ (server threads)
  RejectionLog refusals_log_;
};

}  // namespace vigil::alerts

#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "processors/sinks/alerts/access.h"
#include "processors/sinks/alerts/alert_service.h"
#include "processors/sinks/alerts/backend.h"
#include "processors/sinks/alerts/hub.h"

namespace vigil::alerts {

// The `alerts:` section of vigild's config.
struct ServerConfig {
  // host:port to listen on ("127.0.0.1:0" picks a free port); "" = no AlertService.
  std::string listen;
  // TLS server certificate and key (PEM files); required unless plaintext.
  std::string cert_file;
  std::string key_file;
  // CA (PEM) for client certificates; "" = tokens only. With it, a verified
  // client certificate whose common name is a unit's name authenticates it.
  std::string client_ca_file;
  // Explicitly allow a server without TLS (development only; warned at start).
  bool plaintext = false;
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  ServiceOptions service;
  std::vector<Unit> units;
};

// The gRPC server of the AlertService, with the standard health service
// (grpc.health.v1, "vigil.v1.AlertService" SERVING while up) and server
// reflection, so grpcurl and grpc_health_probe work against it.
class Server {
 public:
  // Starts listening. Files that cannot be read are an error naming them.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerConfig& config, Backend* backend,
                                                       Hub* hub, const Clock* clock);
  ~Server();

  // The port actually bound.
  int port() const { return port_; }
  // Calls refused so far (UNAUTHENTICATED or PERMISSION_DENIED).
  uint64_t refused_calls() const { return service_->refused(); }
  // Logs the summary of refused calls not logged one by one (call periodically).
  void FlushLog() { service_->FlushLog(); }
  // Ends open streams (UNAVAILABLE with their cursor) and stops; calls in
  // progress get `grace` to finish.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;

  Hub* hub_ = nullptr;
  std::unique_ptr<AccessPolicy> access_;
  std::unique_ptr<AlertServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace vigil::alerts

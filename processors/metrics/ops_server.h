#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

class CivetServer;

namespace vigil::metrics {

// An answer of a health check: `ok` selects 200 or 503; `detail` is a JSON
// object explaining it (what is missing, how far behind).
struct Health {
  bool ok = false;
  std::string detail = "{}";
};

// vigild's operations endpoint (CivetWeb), on one port:
//   GET /metrics  Prometheus text format of the registry;
//   GET /healthz  liveness: 200 while the engine loop is turning, else 503;
//   GET /readyz   readiness: 200 when vigild should get traffic, else 503.
// The checks run on the server's threads: they must only read thread-safe state.
class OpsServer {
 public:
  struct Checks {
    std::function<Health()> live;
    std::function<Health()> ready;
  };

  // Listens on `listen` ("127.0.0.1:9464"; port 0 picks a free port).
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry, Checks checks);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

 private:
  class MetricsHandler;
  class HealthHandler;

  OpsServer() = default;

  std::unique_ptr<CivetServer> server_;
  std::unique_ptr<MetricsHandler> metrics_;
  std::unique_ptr<HealthHandler> live_;
  std::unique_ptr<HealthHandler> ready_;
  int port_ = 0;
};

}  // namespace vigil::metrics

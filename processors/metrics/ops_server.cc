#include "processors/metrics/ops_server.h"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace vigil::metrics {
namespace {

void Reply(mg_connection* conn, int code, std::string_view content_type, std::string_view body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            code, code == 200 ? "OK" : "Service Unavailable", static_cast<int>(content_type.size()),
            content_type.data(), body.size());
  mg_write(conn, body.data(), body.size());
}

}  // namespace

class OpsServer::MetricsHandler : public CivetHandler {
 public:
  explicit MetricsHandler(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const std::string body = prometheus::TextSerializer().Serialize(registry_->Collect());
    Reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    return true;
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

class OpsServer::HealthHandler : public CivetHandler {
 public:
  explicit HealthHandler(std::function<Health()> check) : check_(std::move(check)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const Health h = check_();
    Reply(conn, h.ok ? 200 : 503, "application/json", h.detail + "\n");
    return true;
  }

 private:
  std::function<Health()> check_;
};

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry, Checks checks) {
  std::unique_ptr<OpsServer> s(new OpsServer());
  const std::vector<std::string> options = {"listening_ports", listen, "num_threads", "2"};
  try {
    s->server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics.listen ", listen, ": cannot listen there (",
                                               e.what(), "); is another process using the port?"));
  }
  s->metrics_ = std::make_unique<MetricsHandler>(std::move(registry));
  s->live_ = std::make_unique<HealthHandler>(std::move(checks.live));
  s->ready_ = std::make_unique<HealthHandler>(std::move(checks.ready));
  s->server_->addHandler("/metrics", s->metrics_.get());
  s->server_->addHandler("/healthz", s->live_.get());
  s->server_->addHandler("/readyz", s->ready_.get());
  const std::vector<int> ports = s->server_->getListeningPorts();
  s->port_ = ports.empty() ? 0 : ports.front();
  return s;
}

OpsServer::~OpsServer() {
  if (server_ != nullptr) server_->close();  // stops the threads before the handlers go
}

}  // namespace vigil::metrics

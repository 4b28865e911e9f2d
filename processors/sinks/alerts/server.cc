#include "processors/sinks/alerts/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace vigil::alerts {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", path, ": cannot read it (for a development set run tools/dev-certs)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": not a PEM file"));
  }
  return ss.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerConfig& config, Backend* backend,
                                                      Hub* hub, const Clock* clock) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string mode;
  if (config.plaintext) {
    credentials = grpc::InsecureServerCredentials();
    mode = "PLAINTEXT";
  } else {
    absl::StatusOr<std::string> cert = ReadPem(config.cert_file, "alerts.tls.cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(config.key_file, "alerts.tls.key");
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    mode = "TLS, bearer tokens";
    if (!config.client_ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPem(config.client_ca_file, "alerts.tls.client_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      // A certificate is optional (a token will do) but verified when sent.
      ssl.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
      mode = "TLS, bearer tokens or client certificates";
    }
    credentials = grpc::SslServerCredentials(ssl);
  }
  std::unique_ptr<Server> s(new Server());
  s->hub_ = hub;
  s->access_ = std::make_unique<AccessPolicy>(config.units);
  s->service_ =
      std::make_unique<AlertServiceImpl>(backend, hub, s->access_.get(), clock, config.service);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, credentials, &s->port_);
  builder.RegisterService(s->service_.get());
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(config.keepalive_time)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(config.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Clients may ping as often as every 10 s without being told off.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("alerts.listen ", config.listen,
                     ": cannot listen there (in use, or not a local address?)"));
  }
  s->server_->GetHealthCheckService()->SetServingStatus("vigil.v1.AlertService", true);
  if (config.plaintext) {
    spdlog::warn(
        "alerts: PLAINTEXT gRPC (alerts.plaintext: true): tokens and warnings cross the "
        "network unencrypted; use TLS outside a development machine");
  }
  spdlog::info("alerts: AlertService listening on port {} ({}; {} units)", s->port_, mode,
               config.units.size());
  return s;
}

void Server::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  server_->GetHealthCheckService()->SetServingStatus("vigil.v1.AlertService", false);
  hub_->CloseAll();  // open streams end with UNAVAILABLE and their cursor
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
}

Server::~Server() {
  if (server_ != nullptr) Shutdown(absl::Seconds(1));
}

}  // namespace vigil::alerts

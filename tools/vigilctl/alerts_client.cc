#include "tools/vigilctl/alerts_client.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vigil::vigilctl {
namespace {

// The reconnect backoff of the channel follows the watch's own, so a server
// that is back is reached within about 5 s (gRPC's default grows to 120 s).
constexpr int kMinReconnectMs = 200;
constexpr int kMaxReconnectMs = 5000;
// Pings on an open stream; vigild accepts one every 10 s or slower.
constexpr int kKeepaliveMs = 20000;
constexpr int kKeepaliveTimeoutMs = 10000;
// ListWarnings pages of 500 warnings with their evidence can exceed gRPC's 4 MiB.
constexpr int kMaxReceiveBytes = 64 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read it"));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ss.str();
}

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", text.status().message()));
  }
  if (text->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": not a PEM file"));
  }
  return text;
}

// Whether the host of "HOST:PORT" (or "[V6]:PORT") is an IP address literal.
bool HostIsIp(const std::string& target) {
  if (!target.empty() && target.front() == '[') return true;
  in6_addr v6;
  if (inet_pton(AF_INET6, target.c_str(), &v6) == 1) return true;
  const std::string host = target.substr(0, target.rfind(':'));
  in_addr v4;
  return inet_pton(AF_INET, host.c_str(), &v4) == 1;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kMinReconnectMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinReconnectMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  // A watch sends nothing after its request; keep pinging anyway (default: 2 pings, then none).
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.plaintext) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPem(options.ca_file, "--ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      absl::StatusOr<std::string> cert = ReadPem(options.cert_file, "--cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem(options.key_file, "--key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
    if (!options.server_name.empty()) {
      args.SetSslTargetNameOverride(options.server_name);
    } else if (HostIsIp(options.server)) {
      args.SetSslTargetNameOverride("localhost");
    }
  }
  return grpc::CreateCustomChannel(options.server, credentials, args);
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--token-file ", text.status().message()));
  }
  const std::string token(absl::StripAsciiWhitespace(*text));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--token-file ", path, ": empty"));
  }
  return token;
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

bool IsResumable(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

std::string ExplainError(const absl::Status& status, const std::string& server) {
  const std::string what =
      absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      return absl::StrCat(what,
                          " (check the token: --token, --token-file or VIGIL_ALERTS_TOKEN; or the "
                          "client certificate: --cert and --key)");
    case absl::StatusCode::kPermissionDenied:
      return absl::StrCat(what,
                          " (a unit sees and acts on its own regions only: check --region and the "
                          "warning id, or ask the province desk)");
    case absl::StatusCode::kUnavailable:
      return absl::StrCat(
          "cannot reach the AlertService at ", server, ": ", what,
          " (is vigild running there with an alerts: section? for TLS give its CA with --ca and "
          "the name in its certificate with --server-name; --plaintext only for a plaintext "
          "server)");
    case absl::StatusCode::kDeadlineExceeded:
      return absl::StrCat(what, " (no answer within --timeout; a longer --timeout may help)");
    case absl::StatusCode::kUnimplemented:
      return absl::StrCat(what, " (", server,
                          " does not serve vigil.v1.AlertService; check --server)");
    default:
      return what;
  }
}

absl::StatusOr<uint64_t> LoadCursor(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no cursor file yet"));
  }
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  const absl::string_view digits = absl::StripAsciiWhitespace(*text);
  uint64_t seq = 0;
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (digits.empty() || err != std::errc() || end != digits.data() + digits.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": not a cursor file (it holds the last ledger sequence seen, as "
                     "vigilctl alerts watch --cursor-file writes it); remove it or pass another"));
  }
  return seq;
}

absl::Status SaveCursor(const std::string& path, uint64_t seq) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << seq << '\n';
    out.close();
    if (!out) {
      return absl::UnavailableError(absl::StrCat(tmp, ": cannot write the cursor file"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path, ": ",
                                               std::generic_category().message(errno)));
  }
  return absl::OkStatus();
}

AlertsClient::AlertsClient(std::shared_ptr<grpc::ChannelInterface> channel, std::string token,
                           absl::Duration timeout)
    : channel_(std::move(channel)),
      stub_(v1::AlertService::NewStub(channel_)),
      token_(std::move(token)),
      timeout_(timeout) {}

void AlertsClient::WaitOnChannel(absl::Duration duration) const {
  // A sync client's connections make progress only while some thread polls
  // for the channel; absl::SleepFor here would leave a reconnection's TLS
  // handshake unread until gRPC's 5 s backup poller, which can fail it.
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(duration);
  while (std::chrono::system_clock::now() < deadline) {
    const grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
    if (!channel_->WaitForStateChange(state, deadline)) break;  // the deadline passed
  }
}

void AlertsClient::Prepare(grpc::ClientContext* context, bool unary) const {
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (unary) {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  }
}

absl::StatusOr<v1::CommandResult> AlertsClient::Acknowledge(const v1::AcknowledgeRequest& request) {
  return Unary(&v1::AlertService::Stub::Acknowledge, request);
}

absl::StatusOr<v1::CommandResult> AlertsClient::SubmitFeedback(
    const v1::SubmitFeedbackRequest& request) {
  return Unary(&v1::AlertService::Stub::SubmitFeedback, request);
}

absl::StatusOr<v1::Warning> AlertsClient::GetWarning(const std::string& warning_id) {
  v1::GetWarningRequest request;
  request.set_warning_id(warning_id);
  return Unary(&v1::AlertService::Stub::GetWarning, request);
}

absl::StatusOr<v1::ListWarningsResponse> AlertsClient::ListWarnings(
    const v1::ListWarningsRequest& request) {
  return Unary(&v1::AlertService::Stub::ListWarnings, request);
}

absl::Status AlertsClient::Watch(v1::SubscribeRequest request, const WatchOptions& options,
                                 const WatchHandlers& handlers) {
  auto stopped = [&handlers] { return handlers.stop && handlers.stop(); };
  uint64_t cursor = request.after_seq();  // the last sequence delivered (or the start)
  absl::Duration backoff = options.initial_backoff;
  for (;;) {
    if (stopped()) return absl::OkStatus();
    request.set_after_seq(cursor);
    grpc::ClientContext context;
    Prepare(&context, /*unary=*/false);  // no deadline: the stream lives until it breaks
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
        stub_->Subscribe(&context, request);
    // Ends this attempt early (stop, or a handler's error): the call is
    // cancelled and drained before Finish, as the sync API wants.
    auto abandon = [&] {
      context.TryCancel();
      v1::SubscribeResponse ignored;
      while (reader->Read(&ignored)) {
      }
      (void)reader->Finish();  // CANCELLED: we asked for it
    };
    bool received = false;
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      received = true;
      if (response.has_event()) {
        const v1::WarningEvent& event = response.event();
        if (event.ledger_seq() > cursor) {  // else: delivered already
          cursor = event.ledger_seq();
          if (absl::Status s = handlers.on_event(event); !s.ok()) {
            abandon();
            return s;
          }
        }
      } else if (response.has_heartbeat() && handlers.on_heartbeat) {
        handlers.on_heartbeat(response.heartbeat());
      }
      if (stopped()) {
        abandon();
        return absl::OkStatus();
      }
    }
    absl::Status why = FromGrpc(reader->Finish());
    if (!IsResumable(why.code())) return why;
    if (why.ok()) why = absl::UnavailableError("the server ended the stream");
    if (received) backoff = options.initial_backoff;
    if (stopped()) return absl::OkStatus();
    if (handlers.on_resume) handlers.on_resume(why, cursor, backoff);
    if (options.sleep) {
      options.sleep(backoff);
    } else {
      WaitOnChannel(backoff);
    }
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

}  // namespace vigil::vigilctl

#pragma once

// The client side of vigild's AlertService (proto/vigil/v1/alert_service.proto)
// for `vigilctl alerts`: the channel and its credentials, unary calls with a
// deadline, and a Subscribe loop that resumes after a dropped stream from the
// last ledger sequence it delivered, so every event arrives once.
//
// Threads: an AlertsClient is used by one thread at a time (vigilctl's main
// thread); gRPC runs its own threads underneath.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::vigilctl {

// Where the AlertService is and how to sign in. The CLI fills it from flags
// and VIGIL_ALERTS_* environment variables.
struct ConnectionOptions {
  std::string server = "127.0.0.1:7443";  // HOST:PORT (or any gRPC target)
  bool plaintext = false;                 // only for a server with alerts.plaintext: true
  std::string ca_file;                    // PEM CA to trust; "" = the system's roots
  std::string cert_file;                  // client certificate (PEM), with key_file
  std::string key_file;
  // TLS name to check in the server's certificate; "" = "localhost" when the
  // host is an IP address (tools/dev-certs names the server so), else the host.
  std::string server_name;
  std::string token;  // bearer token; "" = none (a client certificate, then)
  absl::Duration timeout = absl::Seconds(10);  // deadline of each unary call
};

// A channel to `options.server` with TLS (or plaintext) as asked, keepalive,
// and a reconnect backoff of 0.2 s to 5 s. Errors: a PEM file cannot be read
// or is not PEM (InvalidArgument naming the flag).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

// A token file's contents without surrounding whitespace. Errors: unreadable
// or empty file.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

// A grpc::Status as an absl::Status (the codes are the same numbers).
absl::Status FromGrpc(const grpc::Status& status);

// Whether a Subscribe stream that ended with `code` is resumed: the server
// stopping (UNAVAILABLE), cutting off a slow reader (RESOURCE_EXHAUSTED, or
// CANCELLED when its write was blocked), a broken connection (UNAVAILABLE,
// INTERNAL, UNKNOWN), a deadline, ABORTED, or a stream that ended with OK.
// Everything else (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
// UNIMPLEMENTED, …) ends the watch.
bool IsResumable(absl::StatusCode code);

// A failed call's error as a message that says what to do, e.g. for
// UNAUTHENTICATED which flags carry the credentials.
std::string ExplainError(const absl::Status& status, const std::string& server);

// The cursor file of `alerts watch --cursor-file`: the last ledger sequence
// delivered, as a decimal number and a newline.
// LoadCursor: the saved sequence. Errors: NotFound when there is no file yet
// (the caller then starts from its --after-seq); InvalidArgument when the file
// is not such a number.
absl::StatusOr<uint64_t> LoadCursor(const std::string& path);
// Writes `seq` to PATH.tmp and renames it over PATH, so a crash leaves the old
// or the new cursor, never a torn one.
absl::Status SaveCursor(const std::string& path, uint64_t seq);

// How Watch retries.
struct WatchOptions {
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  // Waits between attempts. Empty: waits on the channel, driving its
  // reconnection meanwhile. Tests record the waits instead.
  std::function<void(absl::Duration)> sleep;
};

// What Watch calls, on the calling thread.
struct WatchHandlers {
  // Each event once, in ledger order. A non-OK status ends the watch with it.
  std::function<absl::Status(const v1::WarningEvent&)> on_event;
  // Each heartbeat (optional).
  std::function<void(const v1::Heartbeat&)> on_heartbeat;
  // The stream ended with `why` (resumable); the next attempt, after
  // `backoff`, asks for events after `after_seq` (optional).
  std::function<void(const absl::Status& why, uint64_t after_seq, absl::Duration backoff)>
      on_resume;
  // Checked after every message and before every attempt: true ends the
  // watch with OK (optional; without it only an error ends the watch).
  std::function<bool()> stop;
};

class AlertsClient {
 public:
  // Calls over `channel`; a non-empty `token` is sent as "authorization:
  // Bearer <token>" on every call; unary calls time out after `timeout`.
  AlertsClient(std::shared_ptr<grpc::ChannelInterface> channel, std::string token,
               absl::Duration timeout);

  absl::StatusOr<v1::CommandResult> Acknowledge(const v1::AcknowledgeRequest& request);
  absl::StatusOr<v1::CommandResult> SubmitFeedback(const v1::SubmitFeedbackRequest& request);
  absl::StatusOr<v1::Warning> GetWarning(const std::string& warning_id);
  absl::StatusOr<v1::ListWarningsResponse> ListWarnings(const v1::ListWarningsRequest& request);

  // Subscribes with `request` (its after_seq is where to start) and hands
  // each event to the handlers. When the stream ends resumably (IsResumable)
  // it subscribes again after the last sequence delivered, waiting
  // initial_backoff, doubling up to max_backoff, back to initial_backoff once
  // a stream delivered something. An event at or below the last delivered
  // sequence is dropped, so none is handed over twice; the server sends every
  // event after the cursor, so none is skipped.
  // Returns OK when `stop` said so, else the error that ended it.
  absl::Status Watch(v1::SubscribeRequest request, const WatchOptions& options,
                     const WatchHandlers& handlers);

 private:
  void Prepare(grpc::ClientContext* context, bool unary) const;
  // One unary call with the credentials and deadline; gRPC errors as Status.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Unary(grpc::Status (v1::AlertService::Stub::*method)(
                                     grpc::ClientContext*, const Request&, Response*),
                                 const Request& request) {
    grpc::ClientContext context;
    Prepare(&context, /*unary=*/true);
    Response response;
    if (absl::Status s = FromGrpc((stub_.get()->*method)(&context, request, &response)); !s.ok()) {
      return s;
    }
    return response;
  }
  // Waits `duration` while driving the channel's (re)connection.
  void WaitOnChannel(absl::Duration duration) const;

  std::shared_ptr<grpc::ChannelInterface> channel_;
  std::unique_ptr<v1::AlertService::Stub> stub_;
  std::string token_;
  absl::Duration timeout_;
};

}  // namespace vigil::vigilctl

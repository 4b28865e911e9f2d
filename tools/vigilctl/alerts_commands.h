#pragma once

// `vigilctl alerts watch|ack|feedback|list|show`: each command over an
// AlertsClient, writing results to `out` and notes and errors to `err`.
// main.cc parses the flags into these structs; tests call them directly.
//
// Exit codes: 0 ok (a command accepted), 1 an error or a rejected command.

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "tools/vigilctl/alerts_client.h"
#include "vigil/v1/alert_service.pb.h"

namespace vigil::vigilctl {

// Where and how a command writes.
struct AlertsOutput {
  std::ostream& out;  // results: table lines or JSON lines
  std::ostream& err;  // notes and errors, prefixed "vigilctl: "
  bool json = false;  // one proto3-JSON object per line (field names as in .proto)
  absl::TimeZone zone = absl::UTCTimeZone();  // for table times
  const Clock* clock = nullptr;               // "now" for countdowns in list/show
  std::string server;                         // named in error messages
};

struct WatchCommand {
  v1::SubscribeRequest request;  // filters; after_seq = where to start without a cursor file
  // Saved after each event and read at the start (it then wins over
  // request.after_seq); "" = none.
  std::string cursor_file;
  int64_t exit_after = 0;        // stop after this many events; 0 = never
  bool show_heartbeats = false;  // --json only: heartbeats as {"heartbeat":…} lines
  WatchOptions retry;
};

// The live stream, one table line (or JSON line) per event, resuming after
// dropped connections with a note on `err`.
int RunWatch(AlertsClient& client, const WatchCommand& command, const AlertsOutput& output);

// Acknowledge / SubmitFeedback: prints the CommandResult. The command id is
// printed on `err` first, so a retry after a timeout can repeat it.
int RunAcknowledge(AlertsClient& client, const v1::AcknowledgeRequest& request,
                   const AlertsOutput& output);
int RunFeedback(AlertsClient& client, const v1::SubmitFeedbackRequest& request,
                const AlertsOutput& output);

// ListWarnings: one line per warning; `all` follows next_page_token to the
// end, else a note on `err` says how to get the next page.
int RunList(AlertsClient& client, v1::ListWarningsRequest request, bool all,
            const AlertsOutput& output);

// GetWarning: the full detail (or its JSON).
int RunShow(AlertsClient& client, const std::string& warning_id, const AlertsOutput& output);

// A fresh command id, "vigilctl-" and 16 random hex digits.
std::string NewCommandId();

}  // namespace vigil::vigilctl

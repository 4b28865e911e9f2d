#include "tools/vigilctl/alerts_commands.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/vigilctl/alerts_format.h"

namespace vigil::vigilctl {
namespace {

// Writes `message` as a JSON line, or says why not; false on failure.
bool PrintJson(const google::protobuf::Message& message, const AlertsOutput& o) {
  absl::StatusOr<std::string> line = JsonLine(message);
  if (!line.ok()) {
    o.err << "vigilctl: " << line.status().message() << "\n";
    return false;
  }
  o.out << *line << "\n";
  return true;
}

// Said before the call, so that a retry after a timeout can repeat the id.
void NoteCommandId(const std::string& command_id, const AlertsOutput& o) {
  o.err << "vigilctl: command id " << command_id << " (a retry with --command-id " << command_id
        << " is safe)\n";
}

int PrintCommandResult(const absl::StatusOr<v1::CommandResult>& result,
                       const std::string& command_id, const AlertsOutput& o) {
  if (!result.ok()) {
    o.err << "vigilctl: " << ExplainError(result.status(), o.server)
          << "\nvigilctl: the command may or may not have been applied; repeating it with "
             "--command-id "
          << command_id << " is safe\n";
    return 1;
  }
  if (o.json) {
    if (!PrintJson(*result, o)) return 1;
  } else {
    o.out << FormatCommandResult(*result) << "\n";
  }
  o.out.flush();
  return result->accepted() ? 0 : 1;
}

}  // namespace

std::string NewCommandId() {
  std::random_device device;
  const uint64_t high = device(), low = device();
  return absl::StrFormat("vigilctl-%08x%08x", high & 0xffffffffu, low & 0xffffffffu);
}

int RunWatch(AlertsClient& client, const WatchCommand& command, const AlertsOutput& o) {
  v1::SubscribeRequest request = command.request;
  if (!command.cursor_file.empty()) {
    absl::StatusOr<uint64_t> saved = LoadCursor(command.cursor_file);
    if (saved.ok()) {
      request.set_after_seq(*saved);
    } else if (!absl::IsNotFound(saved.status())) {
      o.err << "vigilctl: --cursor-file " << saved.status().message() << "\n";
      return 1;
    }
  }
  o.err << "vigilctl: watching " << o.server << " after seq " << request.after_seq()
        << (command.cursor_file.empty() ? "" : absl::StrCat(" (cursor ", command.cursor_file, ")"))
        << "\n";

  uint64_t last_seq = request.after_seq();
  int64_t delivered = 0;
  WatchHandlers handlers;
  handlers.on_event = [&](const v1::WarningEvent& event) -> absl::Status {
    if (o.json) {
      absl::StatusOr<std::string> line = JsonLine(event);
      if (!line.ok()) return line.status();
      o.out << "{\"event\":" << *line << "}\n";  // a SubscribeResponse, as the stream has it
    } else {
      if (delivered == 0) o.out << EventTableHeader() << "\n";
      o.out << FormatEventLine(event, o.zone) << "\n";
    }
    o.out.flush();
    if (!o.out) return absl::UnavailableError("cannot write to stdout");
    // Shown first, saved second: a crash in between shows it again, never skips it.
    last_seq = event.ledger_seq();
    ++delivered;
    if (!command.cursor_file.empty()) return SaveCursor(command.cursor_file, last_seq);
    return absl::OkStatus();
  };
  if (o.json && command.show_heartbeats) {
    handlers.on_heartbeat = [&](const v1::Heartbeat& heartbeat) {
      absl::StatusOr<std::string> line = JsonLine(heartbeat);
      if (line.ok()) o.out << "{\"heartbeat\":" << *line << "}\n" << std::flush;
    };
  }
  handlers.on_resume = [&](const absl::Status& why, uint64_t after_seq, absl::Duration backoff) {
    o.err << "vigilctl: stream ended (" << absl::StatusCodeToString(why.code()) << ": "
          << why.message() << "); resuming after seq " << after_seq << " in "
          << absl::FormatDuration(backoff) << "\n";
  };
  handlers.stop = [&] { return command.exit_after > 0 && delivered >= command.exit_after; };

  const absl::Status status = client.Watch(std::move(request), command.retry, handlers);
  if (!status.ok()) {
    o.err << "vigilctl: " << ExplainError(status, o.server) << "\n";
    if (delivered > 0) {
      o.err << "vigilctl: stopped after seq " << last_seq << "; resume with "
            << (command.cursor_file.empty() ? absl::StrCat("--after-seq ", last_seq)
                                            : "the same --cursor-file")
            << "\n";
    }
    return 1;
  }
  return 0;
}

int RunAcknowledge(AlertsClient& client, const v1::AcknowledgeRequest& request,
                   const AlertsOutput& o) {
  NoteCommandId(request.command_id(), o);
  return PrintCommandResult(client.Acknowledge(request), request.command_id(), o);
}

int RunFeedback(AlertsClient& client, const v1::SubmitFeedbackRequest& request,
                const AlertsOutput& o) {
  NoteCommandId(request.command_id(), o);
  return PrintCommandResult(client.SubmitFeedback(request), request.command_id(), o);
}

int RunList(AlertsClient& client, v1::ListWarningsRequest request, bool all,
            const AlertsOutput& o) {
  const absl::Time now = o.clock->Now();
  for (bool first = true;; first = false) {
    absl::StatusOr<v1::ListWarningsResponse> page = client.ListWarnings(request);
    if (!page.ok()) {
      o.out.flush();
      o.err << "vigilctl: " << ExplainError(page.status(), o.server) << "\n";
      return 1;
    }
    if (first && !o.json) o.out << WarningTableHeader() << "\n";
    for (const v1::Warning& w : page->warnings()) {
      if (o.json) {
        if (!PrintJson(w, o)) return 1;
      } else {
        o.out << FormatWarningLine(w, now, o.zone) << "\n";
      }
    }
    if (page->next_page_token().empty()) break;
    if (!all) {
      o.out.flush();
      o.err << "vigilctl: more warnings: repeat with --page-token " << page->next_page_token()
            << " for the next page, or --all for every page\n";
      break;
    }
    request.set_page_token(page->next_page_token());
  }
  o.out.flush();
  return 0;
}

int RunShow(AlertsClient& client, const std::string& warning_id, const AlertsOutput& o) {
  absl::StatusOr<v1::Warning> w = client.GetWarning(warning_id);
  if (!w.ok()) {
    o.err << "vigilctl: " << ExplainError(w.status(), o.server) << "\n";
    return 1;
  }
  if (o.json) {
    if (!PrintJson(*w, o)) return 1;
  } else {
    o.out << FormatWarningDetail(*w, o.clock->Now(), o.zone);
  }
  o.out.flush();
  return 0;
}

}  // namespace vigil::vigilctl

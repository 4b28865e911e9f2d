// vigilctl: offline tools for Vigil's rules, and a city unit's client for
// vigild's AlertService.
//
//   vigilctl rules check rules/
//   vigilctl rules test rules/tests/
//   vigilctl replay --rules rules/ --input day.jsonl [--reference ref.jsonl] [--until TIME]
//   vigilctl alerts --token-file FILE [--server HOST:PORT --ca PEM ...] watch|ack|list|...
//
// Exit codes: 0 ok, 1 check/test failure (or a replay that could not run; an
// alerts call that failed or a rejected command), 2 usage error. This file
// only wires the command line; the commands live in vigilctl_lib.
#include <grpc/support/log.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "tools/vigilctl/alerts_client.h"
#include "tools/vigilctl/alerts_commands.h"
#include "tools/vigilctl/replay.h"
#include "tools/vigilctl/rule_test_file.h"
#include "tools/vigilctl/rule_test_runner.h"
#include "tools/vigilctl/rules_check.h"

namespace vigil::vigilctl {
namespace {

constexpr int kExitUsage = 2;

// The deepest subcommand the parser reached, and its path ("vigilctl rules check").
const CLI::App* Deepest(const CLI::App& app, std::string* path) {
  const CLI::App* current = &app;
  *path = app.get_name();
  for (;;) {
    const auto selected = current->get_subcommands();
    if (selected.empty()) return current;
    current = selected.front();
    *path += " " + current->get_name();
  }
}

int Usage(const CLI::App& app, const std::string& message) {
  std::string path;
  Deepest(app, &path);
  std::cerr << "vigilctl: " << message << "; try " << path << " --help\n";
  return kExitUsage;
}

// CLI11's errors, reworded where they do not say what to do.
int ParseFailure(const CLI::App& app, const CLI::ParseError& e) {
  std::string path;
  const CLI::App* command = Deepest(app, &path);
  if (absl::StartsWith(e.what(), "A subcommand is required")) {
    std::vector<std::string> names;
    for (const CLI::App* sub : command->get_subcommands({})) names.push_back(sub->get_name());
    return Usage(app, absl::StrCat(path, " needs a command: ", absl::StrJoin(names, " or ")));
  }
  return Usage(app, e.what());
}

std::string Env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// `vigilctl alerts ...`: the flags of every alerts command.
struct AlertsFlags {
  std::string server = Env("VIGIL_ALERTS_SERVER", "127.0.0.1:7443");
  std::string ca, token, token_file, cert, key, server_name;
  std::string timeout = "10s";
  bool plaintext = false;
  bool json = false;
  // watch
  uint64_t after_seq = 0;
  std::string cursor_file;
  int64_t exit_after = 0;
  bool show_heartbeats = false;
  // watch and list
  std::string region, min_grade;
  std::vector<std::string> rules;
  // list
  uint32_t page_size = 0;
  std::string page_token;
  bool all = false;
  // ack, feedback, show
  std::string warning_id, op, command_id, text;
};

void AddFilterFlags(CLI::App* command, AlertsFlags* f) {
  command->add_option("--region", f->region, "Only this region key prefix, e.g. 370100/370102")
      ->type_name("PREFIX");
  command->add_option("--min-grade", f->min_grade, "Only this grade and above: I, II, III or IV")
      ->type_name("GRADE");
  command->add_option("--rule", f->rules, "Only this rule (repeatable, or R01,R13)")
      ->type_name("ID")
      ->delimiter(',')
      ->allow_extra_args(false);
}

// The connection from the flags (and VIGIL_ALERTS_* variables), or a usage
// error message.
absl::StatusOr<ConnectionOptions> Connection(const AlertsFlags& f) {
  ConnectionOptions c;
  c.server = f.server;
  c.plaintext = f.plaintext;
  c.server_name = f.server_name;
  if (f.plaintext &&
      (!f.ca.empty() || !f.cert.empty() || !f.key.empty() || !f.server_name.empty())) {
    return absl::InvalidArgumentError(
        "--plaintext is for a server configured with alerts.plaintext: true and takes no "
        "--ca, --cert, --key or --server-name; drop it to use TLS");
  }
  if (f.cert.empty() != f.key.empty()) {
    return absl::InvalidArgumentError(
        "--cert PEM and --key PEM go together (the unit's client certificate and its key)");
  }
  if (!f.token.empty() && !f.token_file.empty()) {
    return absl::InvalidArgumentError("give the token once: --token or --token-file");
  }
  const bool with_cert = !f.cert.empty();
  if (with_cert && (!f.token.empty() || !f.token_file.empty())) {
    return absl::InvalidArgumentError(
        "sign in with a token or a client certificate, not both (a token wins at the server)");
  }
  if (!f.plaintext) {
    c.ca_file = f.ca.empty() ? Env("VIGIL_ALERTS_CA") : f.ca;
    c.cert_file = f.cert;
    c.key_file = f.key;
  }
  if (!f.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(f.token_file);
    if (!token.ok()) return token.status();
    c.token = *token;
  } else if (!f.token.empty()) {
    c.token = f.token;
  } else if (!with_cert) {
    c.token = Env("VIGIL_ALERTS_TOKEN");
  }
  if (c.token.empty() && !with_cert) {
    return absl::InvalidArgumentError(
        "no credentials: give --token-file FILE (or VIGIL_ALERTS_TOKEN, or --token) or the unit's "
        "client certificate with --cert PEM --key PEM");
  }
  if (!absl::ParseDuration(f.timeout, &c.timeout) || c.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout \"", f.timeout, "\" is not a duration like 10s, 500ms or 1m"));
  }
  return c;
}

// --min-grade: "" = all grades.
absl::StatusOr<v1::Grade> MinGrade(const AlertsFlags& f) {
  if (f.min_grade.empty()) return v1::GRADE_UNSPECIFIED;
  std::optional<v1::Grade> g = ParseGrade(f.min_grade);
  if (!g) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min-grade \"", f.min_grade,
                     "\" is not I (red), II (orange), III (yellow) or IV (blue)"));
  }
  return *g;
}

// Command ids and operators: 1–128 characters (AlertService's limits).
absl::Status CheckCommand(const AlertsFlags& f, const std::string& command_id) {
  if (f.warning_id.empty()) {
    return absl::InvalidArgumentError("WARNING_ID is required (as watch, list or show print it)");
  }
  if (f.op.empty() || f.op.size() > 128) {
    return absl::InvalidArgumentError("--operator NAME is required: 1-128 characters, who acts");
  }
  if (command_id.empty() || command_id.size() > 128) {
    return absl::InvalidArgumentError("--command-id: 1-128 characters");
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  CLI::App app{
      "Offline tools for Vigil's rules (check, unit-test, replay) and the AlertService client.",
      "vigilctl"};
  app.require_subcommand(1);

  CLI::App* rules = app.add_subcommand("rules", "Check or unit-test rule files.");
  rules->require_subcommand(1);

  std::vector<std::string> check_paths;
  CLI::App* check = rules->add_subcommand(
      "check", "Load rule files as vigild would; print \"OK: N rules in M files\" or the errors.");
  check->add_option("paths", check_paths, "Rule files, or dirs standing for their *.yaml")
      ->type_name("FILE|DIR");

  std::vector<std::string> test_paths;
  CLI::App* test = rules->add_subcommand(
      "test", "Run rule unit tests (*.test.yaml; see tools/vigilctl/README.md).");
  test->add_option("paths", test_paths, "Test files, or dirs standing for their *.test.yaml")
      ->type_name("FILE|DIR");

  std::string replay_rules, replay_input, replay_until;
  std::vector<std::string> replay_reference;
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Run rules over recorded JSON lines (Envelopes and ReferenceRecords); warning events as "
      "JSON lines to stdout, a summary to stderr.");
  replay->add_option("--rules", replay_rules, "Rule dir (its *.yaml) or one rule file")
      ->type_name("DIR");
  replay->add_option("--input", replay_input, "JSON lines; '-' reads stdin")->type_name("FILE");
  replay
      ->add_option("--reference", replay_reference,
                   "ReferenceRecord JSON lines loaded before the input (repeatable)")
      ->type_name("FILE");
  replay
      ->add_option("--until", replay_until,
                   "Advance the watermark to this RFC 3339 time at the end (fires timers)")
      ->type_name("TIME");

  AlertsFlags af;
  CLI::App* alerts = app.add_subcommand(
      "alerts",
      "Client for vigild's AlertService (a city unit's operator): watch, ack, feedback, list, "
      "show.");
  alerts->require_subcommand(1);
  alerts->fallthrough();  // the connection flags may also follow the command
  alerts
      ->add_option("--server", af.server,
                   "AlertService address (env VIGIL_ALERTS_SERVER; default 127.0.0.1:7443)")
      ->type_name("HOST:PORT");
  alerts->add_option("--ca", af.ca, "CA certificate to trust (env VIGIL_ALERTS_CA)")
      ->type_name("PEM");
  alerts
      ->add_option("--token", af.token,
                   "Bearer token (env VIGIL_ALERTS_TOKEN; --token-file is better: ps shows this)")
      ->type_name("TOKEN");
  alerts->add_option("--token-file", af.token_file, "File holding the bearer token")
      ->type_name("FILE");
  alerts->add_option("--cert", af.cert, "Client certificate of the unit (instead of a token)")
      ->type_name("PEM");
  alerts->add_option("--key", af.key, "Key of --cert")->type_name("PEM");
  alerts
      ->add_option("--server-name", af.server_name,
                   "Name in the server's certificate (default localhost when HOST is an IP)")
      ->type_name("NAME");
  alerts->add_flag("--plaintext", af.plaintext,
                   "No TLS: only for a server configured with alerts.plaintext: true");
  alerts->add_flag("--json", af.json,
                   "Machine output: one proto3-JSON object per line (.proto field names)");
  alerts->add_option("--timeout", af.timeout, "Deadline of each call except watch (default 10s)")
      ->type_name("DURATION");

  CLI::App* watch = alerts->add_subcommand(
      "watch",
      "Stream warning events live, one line each; resumes after a dropped connection without "
      "repeating or skipping an event.");
  watch
      ->add_option("--after-seq", af.after_seq,
                   "Start after this ledger sequence (0 = oldest kept)")
      ->type_name("N");
  AddFilterFlags(watch, &af);
  watch
      ->add_option("--cursor-file", af.cursor_file,
                   "Save the last sequence here after each event and start from it (wins over "
                   "--after-seq once it exists)")
      ->type_name("FILE");
  watch->add_option("--exit-after", af.exit_after, "Exit 0 after N events")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  watch->add_flag("--show-heartbeats", af.show_heartbeats,
                  "With --json: print heartbeats as {\"heartbeat\":...} lines");

  CLI::App* ack = alerts->add_subcommand("ack", "Acknowledge a warning (OPEN -> ACKNOWLEDGED).");
  CLI::App* feedback = alerts->add_subcommand(
      "feedback", "Submit handling feedback (ACKNOWLEDGED -> FEEDBACK_SUBMITTED).");
  for (CLI::App* command : {ack, feedback}) {
    command->add_option("warning_id", af.warning_id, "The warning")->type_name("WARNING_ID");
    command->add_option("--operator", af.op, "Who acts (name or id)")->type_name("NAME");
    command
        ->add_option("--command-id", af.command_id,
                     "Idempotency key, 1-128 chars (default: a new one, printed; repeat it to "
                     "retry safely)")
        ->type_name("ID");
  }
  feedback->add_option("--text", af.text, "What was done, 1-4000 characters")->type_name("TEXT");

  CLI::App* list =
      alerts->add_subcommand("list", "List warnings in your regions, ordered by warning id.");
  AddFilterFlags(list, &af);
  list->add_option("--page-size", af.page_size, "Warnings per page, 1-500 (default 50)")
      ->type_name("N")
      ->check(CLI::Range(1, 500));
  list->add_option("--page-token", af.page_token, "Continue from a previous page")
      ->type_name("TOKEN");
  list->add_flag("--all", af.all, "Follow every page to the end");

  CLI::App* show = alerts->add_subcommand(
      "show", "One warning in full: grade, state, owner, deadlines, lifecycle, evidence, timers.");
  show->add_option("warning_id", af.warning_id, "The warning")->type_name("WARNING_ID");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ParseFailure(app, e);
  }

  if (check->parsed()) {
    if (check_paths.empty()) return Usage(app, "rules check needs at least one FILE or DIR");
    return RunRulesCheck(check_paths, std::cout, std::cerr);
  }
  if (test->parsed()) {
    if (test_paths.empty()) return Usage(app, "rules test needs at least one FILE or DIR");
    return RunRulesTest(test_paths, std::cout, std::cerr);
  }

  if (alerts->parsed()) {
    absl::StatusOr<ConnectionOptions> connection = Connection(af);
    if (!connection.ok()) return Usage(app, std::string(connection.status().message()));
    absl::StatusOr<v1::Grade> min_grade = MinGrade(af);
    if (!min_grade.ok()) return Usage(app, std::string(min_grade.status().message()));
    std::string command_id;
    if (ack->parsed() || feedback->parsed()) {
      command_id = af.command_id.empty() ? NewCommandId() : af.command_id;
      if (absl::Status s = CheckCommand(af, command_id); !s.ok()) {
        return Usage(app, std::string(s.message()));
      }
      // 4000 characters of UTF-8: up to 4 bytes each, as the server counts.
      if (feedback->parsed() && (af.text.empty() || af.text.size() > 4 * 4000)) {
        return Usage(app, "--text TEXT is required: 1-4000 characters of what was done");
      }
    }
    if (show->parsed() && af.warning_id.empty()) {
      return Usage(app, "WARNING_ID is required (as watch or list print it)");
    }
    // gRPC's own error log repeats what the messages below explain; GRPC_VERBOSITY=debug
    // (or any value) brings it back.
    if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(*connection);
    if (!channel.ok()) return Usage(app, std::string(channel.status().message()));
    AlertsClient client(*channel, connection->token, connection->timeout);
    const SystemClock clock;
    const AlertsOutput output{.out = std::cout,
                              .err = std::cerr,
                              .json = af.json,
                              .zone = absl::LocalTimeZone(),
                              .clock = &clock,
                              .server = connection->server};
    if (watch->parsed()) {
      WatchCommand command;
      command.request.set_after_seq(af.after_seq);
      command.request.set_region_prefix(af.region);
      command.request.set_min_grade(*min_grade);
      for (const std::string& rule : af.rules) command.request.add_rule_ids(rule);
      command.cursor_file = af.cursor_file;
      command.exit_after = af.exit_after;
      command.show_heartbeats = af.show_heartbeats;
      return RunWatch(client, command, output);
    }
    if (ack->parsed()) {
      v1::AcknowledgeRequest request;
      request.set_command_id(command_id);
      request.set_warning_id(af.warning_id);
      request.set_operator_(af.op);
      return RunAcknowledge(client, request, output);
    }
    if (feedback->parsed()) {
      v1::SubmitFeedbackRequest request;
      request.set_command_id(command_id);
      request.set_warning_id(af.warning_id);
      request.set_operator_(af.op);
      request.set_feedback(af.text);
      return RunFeedback(client, request, output);
    }
    if (list->parsed()) {
      v1::ListWarningsRequest request;
      request.set_region_prefix(af.region);
      request.set_min_grade(*min_grade);
      for (const std::string& rule : af.rules) request.add_rule_ids(rule);
      request.set_page_size(af.page_size);
      request.set_page_token(af.page_token);
      return RunList(client, request, af.all, output);
    }
    return RunShow(client, af.warning_id, output);
  }

  // replay
  if (replay_rules.empty()) return Usage(app, "--rules DIR is required");
  if (replay_input.empty()) return Usage(app, "--input FILE is required ('-' reads stdin)");
  ReplayOptions options;
  options.rules = {replay_rules};
  options.reference_files = replay_reference;
  if (!replay_until.empty()) {
    absl::Time until;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, replay_until, &until, &error)) {
      return Usage(app, absl::StrCat("--until \"", replay_until,
                                     "\" is not an RFC 3339 time like 2026-07-02T00:00:00+08:00"));
    }
    options.until = until;
  }
  std::ifstream file;
  std::istream* input = &std::cin;
  if (replay_input != "-") {
    file.open(replay_input, std::ios::binary);
    if (!file) return Usage(app, absl::StrCat("--input ", replay_input, ": cannot open"));
    input = &file;
  }
  std::ios::sync_with_stdio(false);
  const SystemClock clock;
  auto summary = Replay(options, *input, std::cout, &std::cerr, clock);
  if (!summary.ok()) {
    std::cerr << "vigilctl replay: " << summary.status().message() << "\n";
    return 1;
  }
  std::cerr << FormatSummary(*summary);
  return 0;
}

}  // namespace
}  // namespace vigil::vigilctl

int main(int argc, char** argv) { return vigil::vigilctl::Main(argc, argv); }

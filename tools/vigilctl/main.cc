// vigilctl: offline tools for Vigil's rules.
//
//   vigilctl rules check rules/
//   vigilctl rules test rules/tests/
//   vigilctl replay --rules rules/ --input day.jsonl [--reference ref.jsonl] [--until TIME]
//
// Exit codes: 0 ok, 1 check/test failure (or a replay that could not run),
// 2 usage error. This file only wires the command line; the commands live in
// vigilctl_lib.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "tools/vigilctl/replay.h"
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

int Main(int argc, char** argv) {
  CLI::App app{"Offline tools for Vigil's rules: check, unit-test, replay.", "vigilctl"};
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

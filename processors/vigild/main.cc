// vigild: the Vigil stream processor.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "processors/common/clock.h"
#include "processors/vigild/app.h"
#include "processors/vigild/config.h"
#include "processors/vigild/embedded_kafka.h"
#include "processors/vigild/logging.h"

namespace {

// The process-wide values: a signal handler can reach nothing else.
std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void OnSignal(int) { g_stop.store(true); }
void OnHangup(int) { g_reload.store(true); }

}  // namespace

int main(int argc, char** argv) {
  // First of all: a stop requested while vigild starts (loading rules,
  // opening RocksDB, joining the group) is a clean stop once it runs.
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  struct sigaction hup = {};
  hup.sa_handler = OnHangup;
  sigaction(SIGHUP, &hup, nullptr);

  CLI::App cli{
      "vigild — Vigil's real-time service-dispatch and early-warning processor.\n"
      "Reads tickets, outage events and repeat calls from Kafka, runs the rules and\n"
      "publishes graded warnings. Stops cleanly on SIGTERM or SIGINT; SIGHUP reloads the\n"
      "rule files (also reloaded when they change; a bad set is rejected, the old one stays)."};
  std::string config_path;
  bool embedded = false;
  std::string log_level;
  std::string log_format;
  cli.add_option("-c,--config", config_path, "YAML config file (see deploy/vigil.example.yaml)")
      ->required();
  cli.add_flag("--embedded-kafka", embedded,
               "run librdkafka's in-process mock broker on 127.0.0.1 and use it instead of "
               "kafka.brokers (demo only; prints its address)");
  const std::vector<std::string> levels(vigil::vigild::kLogLevels.begin(),
                                        vigil::vigild::kLogLevels.end());
  const std::vector<std::string> formats(vigil::vigild::kLogFormats.begin(),
                                         vigil::vigild::kLogFormats.end());
  cli.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error (overrides logging.level; default info)")
      ->check(CLI::IsMember(levels));
  cli.add_option("--log-format", log_format,
                 "text, or json: one JSON object per line on stderr (overrides logging.format; "
                 "default text)")
      ->check(CLI::IsMember(formats));
  CLI11_PARSE(cli, argc, argv);

  absl::StatusOr<vigil::vigild::Config> config = vigil::vigild::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "vigild: invalid config: " << config.status().message() << "\n";
    return 2;
  }
  // A flag given on the command line wins over the file.
  if (!log_format.empty()) config->log_format = log_format;
  if (!log_level.empty()) config->log_level = log_level;
  if (absl::Status s = vigil::vigild::ConfigureLogging(config->log_format, config->log_level);
      !s.ok()) {
    std::cerr << "vigild: " << s.message() << "\n";
    return 2;
  }
  // Fault injection for the crash tests (tests/integration); never set in production.
  if (const char* failpoint = std::getenv("VIGIL_FAILPOINT"); failpoint != nullptr) {
    config->failpoint = failpoint;
    spdlog::warn("failpoint {} armed (VIGIL_FAILPOINT)", config->failpoint);
  }

  std::unique_ptr<vigil::vigild::EmbeddedKafka> kafka;
  if (embedded) {
    auto k = vigil::vigild::EmbeddedKafka::Start();
    if (!k.ok()) {
      std::cerr << "vigild: " << k.status().message() << "\n";
      return 1;
    }
    kafka = *std::move(k);
    for (const std::string& t :
         {config->tickets.name, config->outages.name, config->repeat_calls.name,
          config->warnings_topic, config->dead_letter_topic, config->reference_topic.name,
          config->commands.name, config->command_results_topic}) {
      if (t.empty()) continue;
      if (auto s = kafka->CreateTopic(t, 3); !s.ok()) {
        std::cerr << "vigild: " << s.message() << "\n";
        return 1;
      }
    }
    config->brokers = kafka->bootstrap();
    std::cout << "embedded kafka (librdkafka mock) listening on " << kafka->bootstrap()
              << std::endl;
  }

  vigil::SystemClock clock;
  auto app = vigil::vigild::App::Create(*std::move(config), &clock);
  if (!app.ok()) {
    std::cerr << "vigild: cannot start: " << app.status().message() << "\n";
    return 1;
  }
  absl::Status run = (*app)->Run(g_stop, &g_reload);
  if (!run.ok()) {
    spdlog::critical("vigild stopped on error: {}", std::string(run.message()));
    return 1;
  }
  spdlog::info("vigild stopped cleanly");
  return 0;
}

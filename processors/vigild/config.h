#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/ingest/decoder.h"
#include "processors/sinks/alerts/server.h"

namespace vigil::vigild {

struct InputTopic {
  std::string name;
  ingest::Format format = ingest::Format::kProtobuf;
};

// vigild's whole configuration, from one YAML file (see deploy/vigil.example.yaml).
struct Config {
  // kafka:
  std::string brokers;
  std::string group_id = "vigil";
  // Where to start a partition that has no stored offset: "earliest" or "latest".
  std::string start_from = "earliest";
  std::map<std::string, std::string> kafka_properties;  // librdkafka pass-through
  // topics:
  InputTopic tickets{"vigil.tickets.v1"};
  InputTopic outages{"vigil.outages.v1"};
  InputTopic repeat_calls{"vigil.repeat-calls.v1"};
  std::string warnings_topic = "vigil.warnings.v1";
  std::string dead_letter_topic = "vigil.dead-letter.v1";
  // Lifecycle commands (vigil.v1.WarningCommand) from the provincial desk, and
  // one vigil.v1.CommandResult per command (keyed by command id).
  InputTopic commands{"vigil.commands.v1"};
  std::string command_results_topic = "vigil.command-results.v1";
  // Optional mirror of the warnings topic in proto3 JSON ("" = none), for
  // consumers without Protobuf.
  std::string warnings_json_topic;
  // state:
  std::string state_path;
  // logging: (--log-format / --log-level override these when given)
  std::string log_format = "text";  // one of kLogFormats (logging.h)
  std::string log_level = "info";   // one of kLogLevels (logging.h)
  // engine:
  absl::Duration commit_interval = absl::Milliseconds(100);
  int max_batch_events = 10000;
  absl::Duration max_future_skew = absl::Minutes(5);
  // A partition with no record for this long no longer holds the watermark
  // back; with every partition idle, event time follows the wall clock.
  absl::Duration idle_timeout = absl::Seconds(30);
  // rules:
  std::string rules_dir = "rules";  // every *.yaml in it (not sub-directories)
  absl::Duration rules_check_interval = absl::Seconds(2);  // file-change polling; 0 = off
  // reference:
  std::string reference_file;  // proto3-JSON ReferenceRecord lines loaded at start ("" = none)
  InputTopic reference_topic{"vigil.reference.v1"};  // compacted; name "" = none
  // metrics: the operations HTTP endpoint on this host:port ("" = off):
  // /metrics (Prometheus), /healthz (liveness), /readyz (readiness).
  std::string metrics_listen;
  // Ready only while the input lag (all assigned partitions) is at most this.
  int metrics_ready_max_lag = 10000;
  // Live only while the engine loop turned within this time.
  absl::Duration metrics_liveness_timeout = absl::Minutes(2);
  // alerts: the gRPC AlertService for city units (listen "" = off).
  alerts::ServerConfig alerts;
  // Fault injection for crash tests, from $VIGIL_FAILPOINT (not the file):
  // "crash_after_timer_commit" = SIGKILL itself right after a commit that
  // fired a timer, before publishing it.
  std::string failpoint;
};

// Parses and validates a config file. Errors name the file, line and column
// ("vigil.yaml:12:5: rules.clustered_complaints.min_complaints: must be ...").
absl::StatusOr<Config> LoadConfig(const std::string& path);
// Same, from text; `name` is used in error messages.
absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& name);

}  // namespace vigil::vigild

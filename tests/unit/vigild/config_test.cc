#include "processors/vigild/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace vigil::vigild {
namespace {

constexpr char kMinimal[] = R"(kafka:
  brokers: 127.0.0.1:9092
state:
  path: /var/lib/vigil/state
)";

// Parses `text` and expects an error whose message starts with "test.yaml:<line>:<col>: <path>".
void ExpectError(const std::string& text, int line, int column, const std::string& path,
                 const std::string& what = "") {
  const absl::StatusOr<Config> c = ParseConfig(text, "test.yaml");
  ASSERT_FALSE(c.ok()) << "accepted:\n" << text;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(c.status().message());
  const std::string prefix =
      "test.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": " + path + ": ";
  EXPECT_EQ(message.substr(0, prefix.size()), prefix) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

// A config with only the required keys parses, everything else taking its default.
TEST(ConfigTest, MinimalConfigTakesDefaults) {
  const absl::StatusOr<Config> c = ParseConfig(kMinimal, "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->brokers, "127.0.0.1:9092");
  EXPECT_EQ(c->state_path, "/var/lib/vigil/state");
  EXPECT_EQ(c->group_id, "vigil");
  EXPECT_EQ(c->start_from, "earliest");
  EXPECT_TRUE(c->kafka_properties.empty());
  EXPECT_EQ(c->tickets.name, "vigil.tickets.v1");
  EXPECT_EQ(c->tickets.format, ingest::Format::kProtobuf);
  EXPECT_EQ(c->outages.name, "vigil.outages.v1");
  EXPECT_EQ(c->repeat_calls.name, "vigil.repeat-calls.v1");
  EXPECT_EQ(c->warnings_topic, "vigil.warnings.v1");
  EXPECT_EQ(c->dead_letter_topic, "vigil.dead-letter.v1");
  EXPECT_EQ(c->commit_interval, absl::Milliseconds(100));
  EXPECT_EQ(c->max_batch_events, 10000);
  EXPECT_EQ(c->max_future_skew, absl::Minutes(5));
  EXPECT_EQ(c->idle_timeout, absl::Seconds(30));
  EXPECT_EQ(c->rules_dir, "rules");
  EXPECT_EQ(c->rules_check_interval, absl::Seconds(2));
  EXPECT_EQ(c->reference_file, "");
  EXPECT_EQ(c->reference_topic.name, "vigil.reference.v1");
}

// Every key can be set.
TEST(ConfigTest, FullConfig) {
  const absl::StatusOr<Config> c = ParseConfig(R"(kafka:
  brokers: k1:9092,k2:9092
  group_id: vigil-test
  start_from: latest
  properties:
    client.id: vigild
    security.protocol: ssl
topics:
  tickets: {name: t.tickets, format: json}
  outages: t.outages
  repeat_calls: {name: t.calls}
  warnings: t.warnings
  dead_letter: t.dlq
state:
  path: /tmp/state
engine:
  commit_interval: 250ms
  max_batch_events: 500
  max_future_skew: 0s
  idle_timeout: 5s
rules:
  dir: /etc/vigil/rules
  reload_check_interval: 0s
reference:
  file: /etc/vigil/grid.jsonl
  topic: {name: t.ref, format: json}
)",
                                               "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->brokers, "k1:9092,k2:9092");
  EXPECT_EQ(c->group_id, "vigil-test");
  EXPECT_EQ(c->start_from, "latest");
  EXPECT_EQ(c->kafka_properties, (std::map<std::string, std::string>{
                                     {"client.id", "vigild"}, {"security.protocol", "ssl"}}));
  EXPECT_EQ(c->tickets.name, "t.tickets");
  EXPECT_EQ(c->tickets.format, ingest::Format::kJson);
  EXPECT_EQ(c->outages.name, "t.outages");
  EXPECT_EQ(c->outages.format, ingest::Format::kProtobuf);
  EXPECT_EQ(c->repeat_calls.name, "t.calls");
  EXPECT_EQ(c->warnings_topic, "t.warnings");
  EXPECT_EQ(c->dead_letter_topic, "t.dlq");
  EXPECT_EQ(c->state_path, "/tmp/state");
  EXPECT_EQ(c->commit_interval, absl::Milliseconds(250));
  EXPECT_EQ(c->max_batch_events, 500);
  EXPECT_EQ(c->max_future_skew, absl::ZeroDuration());
  EXPECT_EQ(c->idle_timeout, absl::Seconds(5));
  EXPECT_EQ(c->rules_dir, "/etc/vigil/rules");
  EXPECT_EQ(c->rules_check_interval, absl::ZeroDuration());
  EXPECT_EQ(c->reference_file, "/etc/vigil/grid.jsonl");
  EXPECT_EQ(c->reference_topic.name, "t.ref");
  EXPECT_EQ(c->reference_topic.format, ingest::Format::kJson);
}

// The old in-config R13 thresholds point to the rule files.
TEST(ConfigTest, OldRuleSectionPointsToRuleFiles) {
  ExpectError(std::string(kMinimal) + "rules:\n  clustered_complaints:\n    min_complaints: 3\n", 7,
              5, "rules.clustered_complaints", "rules/*.yaml");
}

// An empty reference topic name disables the topic.
TEST(ConfigTest, ReferenceTopicCanBeDisabled) {
  const absl::StatusOr<Config> c =
      ParseConfig(std::string(kMinimal) + "reference: {topic: \"\"}\n", "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->reference_topic.name.empty());
}

// A misspelt key is an error at its line, listing the keys allowed there.
TEST(ConfigTest, UnknownKeyNamesItsLine) {
  ExpectError(std::string(kMinimal) + "rules:\n  dri: x\n", 6, 3, "rules.dri", "dir");
  ExpectError("kafka:\n  brokers: b:1\n  brokres: b:2\nstate: {path: s}\n", 3, 3, "kafka.brokres",
              "unknown key");
  ExpectError(std::string(kMinimal) + "engine_:\n  commit_interval: 1s\n", 5, 1, "config.engine_",
              "unknown key");
}

// The AlertService section: TLS unless plaintext is explicit, units with
// regions and credentials; mistakes name their line.
TEST(ConfigTest, AlertsSection) {
  const std::string head = std::string(kMinimal) + "alerts:\n  listen: 127.0.0.1:7443\n";
  const std::string units =
      "  units:\n    - {name: jinan, regions: [\"370100\"], token: 0123456789abcdef}\n"
      "    - {name: province, role: province, token: fedcba9876543210}\n";
  absl::StatusOr<Config> c = ParseConfig(
      head + "  tls: {cert: s.pem, key: s.key, client_ca: ca.pem}\n" + units, "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->alerts.listen, "127.0.0.1:7443");
  EXPECT_FALSE(c->alerts.plaintext);
  ASSERT_EQ(c->alerts.units.size(), 2u);
  EXPECT_EQ(c->alerts.units[0].regions, std::vector<std::string>{"370100"});
  EXPECT_TRUE(c->alerts.units[1].province);
  // No TLS without saying so.
  ExpectError(head + units, 6, 3, "alerts.tls", "plaintext");
  EXPECT_TRUE(ParseConfig(head + "  plaintext: true\n" + units, "test.yaml").ok());
  // A unit without regions, a short token, a duplicate name.
  const std::string tls = "  tls: {cert: s.pem, key: s.key}\n  units:\n";
  ExpectError(head + tls + "    - {name: a, token: 0123456789abcdef}\n", 9, 7,
              "alerts.units[0].regions", "missing");
  ExpectError(head + tls + "    - {name: a, regions: [\"1\"], token: short}\n", 9, 40,
              "alerts.units[0].token", "too short");
  ExpectError(head + tls + "    - {name: a, regions: [\"1\"], token: 0123456789abcdef}\n" +
                  "    - {name: a, regions: [\"2\"], token: 0123456789abcdeX}\n",
              10, 14, "alerts.units[1].name", "twice");
}

// The configs shipped in deploy/ are valid as they stand.
TEST(ConfigTest, ShippedConfigsLoad) {
  for (const char* name : {"vigil.example.yaml", "vigil.demo.yaml"}) {
    absl::StatusOr<Config> c = LoadConfig(std::string(VIGIL_SOURCE_DIR) + "/deploy/" + name);
    EXPECT_TRUE(c.ok()) << name << ": " << c.status();
  }
}

// Durations use Go-style units; anything else is an error at the value.
TEST(ConfigTest, BadDurations) {
  const std::string head = std::string(kMinimal) + "engine:\n";
  ExpectError(head + "  idle_timeout: 24 hours\n", 6, 17, "engine.idle_timeout", "duration");
  ExpectError(head + "  idle_timeout: 24\n", 6, 17, "engine.idle_timeout");
  ExpectError(head + "  idle_timeout: -1h\n", 6, 17, "engine.idle_timeout");
  ExpectError(std::string(kMinimal) + "engine:\n  commit_interval: 0s\n", 6, 20,
              "engine.commit_interval");
}

// Infinite or absurdly long durations are refused (they would overflow millisecond arithmetic).
TEST(ConfigTest, UnboundedDurations) {
  const std::string head = std::string(kMinimal) + "engine:\n";
  ExpectError(head + "  idle_timeout: inf\n", 6, 17, "engine.idle_timeout", "at most 87600h");
  ExpectError(head + "  idle_timeout: 9999999999999h\n", 6, 17, "engine.idle_timeout");
}

// A topic format other than protobuf or json is an error at the value.
TEST(ConfigTest, BadTopicFormat) {
  ExpectError(std::string(kMinimal) + "topics:\n  outages: {name: o, format: xml}\n", 6, 30,
              "topics.outages.format", "\"protobuf\" or \"json\"");
}

// kafka.brokers is required.
TEST(ConfigTest, MissingBrokers) {
  ExpectError("kafka:\n  group_id: g\nstate: {path: s}\n", 2, 3, "kafka.brokers", "missing");
  ExpectError("state: {path: s}\n", 1, 1, "kafka", "missing");
  ExpectError("kafka: {brokers: ''}\nstate: {path: s}\n", 1, 18, "kafka.brokers", "non-empty");
}

// state.path is required.
TEST(ConfigTest, MissingStatePath) {
  ExpectError("kafka: {brokers: b:1}\n", 1, 1, "state", "missing");
  ExpectError("kafka: {brokers: b:1}\nstate:\n  pth: /x\n", 3, 3, "state.pth", "unknown key");
  ExpectError("kafka: {brokers: b:1}\nstate: {}\n", 2, 8, "state.path", "missing");
}

// Kafka properties that vigild sets itself are refused.
TEST(ConfigTest, ReservedKafkaProperties) {
  for (const char* key : {"group.id", "bootstrap.servers", "enable.auto.commit"}) {
    ExpectError(std::string("kafka:\n  brokers: b:1\n  properties:\n    client.id: v\n    ") + key +
                    ": x\nstate: {path: s}\n",
                5, 5, std::string("kafka.properties.") + key, "set by vigild");
  }
}

// Topics must all have distinct names.
TEST(ConfigTest, DuplicateTopicNames) {
  ExpectError(std::string(kMinimal) + "topics:\n  warnings: same\n  dead_letter: same\n", 6, 3,
              "topics", "own name");
  ExpectError(std::string(kMinimal) + "topics:\n  outages: vigil.tickets.v1\n", 6, 3, "topics",
              "own name");
}

// kafka.start_from is "earliest" or "latest".
TEST(ConfigTest, BadStartFrom) {
  ExpectError("kafka: {brokers: b:1, start_from: beginning}\nstate: {path: s}\n", 1, 35,
              "kafka.start_from", "\"earliest\" or \"latest\"");
}

// YAML syntax errors, empty files and non-mapping documents are reported, not thrown.
TEST(ConfigTest, MalformedDocuments) {
  const absl::StatusOr<Config> syntax = ParseConfig("kafka: [\n", "test.yaml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(std::string(syntax.status().message()).rfind("test.yaml:", 0), 0u) << syntax.status();
  const absl::StatusOr<Config> empty = ParseConfig("", "test.yaml");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "test.yaml: empty file");
  ExpectError("- a\n- b\n", 1, 1, "config", "mapping");
  ExpectError("kafka: b:1\nstate: {path: s}\n", 1, 8, "kafka", "mapping");
}

// A non-scalar mapping key is an error, not an uncaught exception.
TEST(ConfigTest, ComplexKeyIsAnError) {
  const absl::StatusOr<Config> c =
      ParseConfig("kafka: {brokers: b:1}\nstate: {path: s}\n? [a, b]\n: 1\n", "test.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(c.status().message()).rfind("test.yaml:3:", 0), 0u) << c.status();
}

// LoadConfig reports a missing file with its path.
TEST(ConfigTest, LoadConfigMissingFile) {
  const absl::StatusOr<Config> c = LoadConfig("/nonexistent/vigil.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/vigil.yaml"), std::string::npos);
}

// Without a logging section vigild logs text at info.
TEST(LoggingConfigTest, DefaultsToTextAtInfo) {
  const absl::StatusOr<Config> c = ParseConfig(kMinimal, "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_format, "text");
  EXPECT_EQ(c->log_level, "info");
}

// Both keys are read; either may be left out.
TEST(LoggingConfigTest, ReadsFormatAndLevel) {
  absl::StatusOr<Config> c =
      ParseConfig(std::string(kMinimal) + "logging: {format: json, level: debug}\n", "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->log_level, "debug");

  c = ParseConfig(std::string(kMinimal) + "logging:\n  level: error\n", "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->log_format, "text");
  EXPECT_EQ(c->log_level, "error");
}

// Bad values and unknown keys are refused at their file:line:column.
TEST(LoggingConfigTest, RejectsBadValuesWithPosition) {
  ExpectError(std::string(kMinimal) + "logging:\n  format: xml\n", 6, 11, "logging.format",
              "must be one of: text, json");
  ExpectError(std::string(kMinimal) + "logging:\n  format: json\n  level: verbose\n", 7, 10,
              "logging.level", "must be one of: trace, debug, info, warn, error");
  ExpectError(std::string(kMinimal) + "logging:\n  level: warning\n", 6, 10, "logging.level",
              "must be one of");
  ExpectError(std::string(kMinimal) + "logging:\n  formt: json\n", 6, 3, "logging.formt",
              "unknown key; expected one of: format, level");
  ExpectError(std::string(kMinimal) + "logging:\n  format: [json]\n", 6, 11, "logging.format",
              "must be a non-empty string");
  ExpectError(std::string(kMinimal) + "logging: json\n", 5, 10, "logging", "must be a mapping");
}

// The commented-out logging section of deploy/vigil.example.yaml is valid once uncommented.
TEST(LoggingConfigTest, ExampleSectionParses) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/deploy/vigil.example.yaml");
  ASSERT_TRUE(in) << "cannot read deploy/vigil.example.yaml";
  std::string line, section;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "# logging:") inside = true;
    if (inside && line.rfind("# ", 0) != 0) break;
    if (inside) section += line.substr(2) + "\n";
  }
  ASSERT_FALSE(section.empty()) << "no \"# logging:\" section in deploy/vigil.example.yaml";
  const absl::StatusOr<Config> c = ParseConfig(kMinimal + section, "vigil.example.yaml");
  ASSERT_TRUE(c.ok()) << c.status() << "\n" << section;
  EXPECT_EQ(c->log_format, "text");
  EXPECT_EQ(c->log_level, "info");
}

// The metrics section: listen address, readiness bound, liveness timeout.
TEST(ConfigTest, MetricsSectionIsReadAndChecked) {
  absl::StatusOr<Config> c = ParseConfig(kMinimal, "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics_listen, "");  // off unless configured
  c = ParseConfig(
      std::string(kMinimal) +
          "metrics: {listen: 127.0.0.1:9464, ready_max_lag: 50, liveness_timeout: 30s}\n",
      "test.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(c->metrics_ready_max_lag, 50);
  EXPECT_EQ(c->metrics_liveness_timeout, absl::Seconds(30));
  ExpectError(std::string(kMinimal) + "metrics:\n  ready_max_lag: -1\n", 6, 18,
              "metrics.ready_max_lag", "must be an integer in [0, 1000000000]");
  ExpectError(std::string(kMinimal) + "metrics:\n  liveness_timeout: 1s\n", 6, 21,
              "metrics.liveness_timeout");
  ExpectError(std::string(kMinimal) + "metrics:\n  port: 9464\n", 6, 3, "metrics.port",
              "unknown key");
}

}  // namespace
}  // namespace vigil::vigild

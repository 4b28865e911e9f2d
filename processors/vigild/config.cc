#include "processors/vigild/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/vigild/logging.h"

namespace vigil::vigild {
namespace {

// Collects the first error with its position.
class Parser {
 public:
  explicit Parser(std::string name) : name_(std::move(name)) {}

  absl::Status Error(const YAML::Node& node, const std::string& path, const std::string& what) {
    const YAML::Mark m = node.Mark();
    if (m.line >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_, ":", m.line + 1, ":", m.column + 1, ": ", path, ": ", what));
    }
    return absl::InvalidArgumentError(absl::StrCat(name_, ": ", path, ": ", what));
  }

  // Rejects keys not in `allowed` (typos must not be silently ignored).
  absl::Status OnlyKeys(const YAML::Node& map, const std::string& path,
                        const std::set<std::string>& allowed) {
    if (!map.IsMap()) return Error(map, path, "must be a mapping");
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.contains(key)) {
        return Error(kv.first, absl::StrCat(path, ".", key),
                     absl::StrCat("unknown key; expected one of: ", absl::StrJoin(allowed, ", ")));
      }
    }
    return absl::OkStatus();
  }

  absl::Status String(const YAML::Node& node, const std::string& path, std::string* out) {
    if (!node) return absl::OkStatus();
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Error(node, path, "must be a non-empty string");
    }
    *out = node.Scalar();
    return absl::OkStatus();
  }

  absl::Status Int(const YAML::Node& node, const std::string& path, int min, int max, int* out) {
    if (!node) return absl::OkStatus();
    int v = 0;
    if (!node.IsScalar() || !YAML::convert<int>::decode(node, v) || v < min || v > max) {
      return Error(node, path, absl::StrCat("must be an integer in [", min, ", ", max, "]"));
    }
    *out = v;
    return absl::OkStatus();
  }

  absl::Status Duration(const YAML::Node& node, const std::string& path, absl::Duration min,
                        absl::Duration* out) {
    if (!node) return absl::OkStatus();
    // Bounded above: "inf" or huge values would overflow millisecond arithmetic.
    const absl::Duration max = absl::Hours(87600);
    absl::Duration d;
    if (!node.IsScalar() || !absl::ParseDuration(node.Scalar(), &d) || d < min || d > max) {
      return Error(
          node, path,
          absl::StrCat("must be a duration like \"90s\", \"15m\" or \"24h\", at least ",
                       absl::FormatDuration(min), " and at most ", absl::FormatDuration(max)));
    }
    *out = d;
    return absl::OkStatus();
  }

  absl::Status Input(const YAML::Node& node, const std::string& path, InputTopic* out) {
    if (!node) return absl::OkStatus();
    if (node.IsScalar()) return String(node, path, &out->name);
    if (auto s = OnlyKeys(node, path, {"name", "format"}); !s.ok()) return s;
    if (auto s = String(node["name"], absl::StrCat(path, ".name"), &out->name); !s.ok()) return s;
    if (node["format"]) {
      const std::string f = node["format"].IsScalar() ? node["format"].Scalar() : "";
      if (f == "protobuf") {
        out->format = ingest::Format::kProtobuf;
      } else if (f == "json") {
        out->format = ingest::Format::kJson;
      } else {
        return Error(node["format"], absl::StrCat(path, ".format"),
                     "must be \"protobuf\" or \"json\"");
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string name_;
};

#define VIGIL_TRY(expr)                     \
  if (absl::Status s_ = (expr); !s_.ok()) { \
    return s_;                              \
  }

}  // namespace

namespace {

absl::Status ParseAlerts(Parser& p, const YAML::Node& a, alerts::ServerConfig* out) {
  VIGIL_TRY(p.OnlyKeys(a, "alerts",
                       {"listen", "tls", "plaintext", "heartbeat_interval", "max_buffered_events",
                        "command_timeout", "keepalive_time", "keepalive_timeout", "units"}));
  if (!a["listen"]) return p.Error(a, "alerts.listen", "missing (host:port, e.g. 127.0.0.1:7443)");
  VIGIL_TRY(p.String(a["listen"], "alerts.listen", &out->listen));
  if (const YAML::Node pt = a["plaintext"]) {
    if (!pt.IsScalar() || (pt.Scalar() != "true" && pt.Scalar() != "false")) {
      return p.Error(pt, "alerts.plaintext", "must be true or false");
    }
    out->plaintext = pt.Scalar() == "true";
  }
  if (const YAML::Node tls = a["tls"]) {
    VIGIL_TRY(p.OnlyKeys(tls, "alerts.tls", {"cert", "key", "client_ca"}));
    VIGIL_TRY(p.String(tls["cert"], "alerts.tls.cert", &out->cert_file));
    VIGIL_TRY(p.String(tls["key"], "alerts.tls.key", &out->key_file));
    VIGIL_TRY(p.String(tls["client_ca"], "alerts.tls.client_ca", &out->client_ca_file));
  }
  if (!out->plaintext && (out->cert_file.empty() || out->key_file.empty())) {
    return p.Error(a, "alerts.tls",
                   "cert and key are required (PEM files; tools/dev-certs makes a development "
                   "set); to run without TLS on purpose set alerts.plaintext: true");
  }
  VIGIL_TRY(p.Duration(a["heartbeat_interval"], "alerts.heartbeat_interval", absl::Milliseconds(10),
                       &out->service.heartbeat_interval));
  VIGIL_TRY(p.Duration(a["command_timeout"], "alerts.command_timeout", absl::Milliseconds(10),
                       &out->service.command_timeout));
  VIGIL_TRY(p.Duration(a["keepalive_time"], "alerts.keepalive_time", absl::Seconds(1),
                       &out->keepalive_time));
  VIGIL_TRY(p.Duration(a["keepalive_timeout"], "alerts.keepalive_timeout", absl::Seconds(1),
                       &out->keepalive_timeout));
  int buffered = static_cast<int>(out->service.max_buffered_events);
  VIGIL_TRY(p.Int(a["max_buffered_events"], "alerts.max_buffered_events", 1, 10000000, &buffered));
  out->service.max_buffered_events = static_cast<size_t>(buffered);
  const YAML::Node units = a["units"];
  if (!units || !units.IsSequence() || units.size() == 0) {
    return p.Error(a, "alerts.units",
                   "missing; a list of {name, role: unit|province, regions: [...], token}");
  }
  std::set<std::string> names, tokens;
  for (size_t i = 0; i < units.size(); ++i) {
    const YAML::Node u = units[i];
    const std::string path = absl::StrCat("alerts.units[", i, "]");
    VIGIL_TRY(p.OnlyKeys(u, path, {"name", "role", "regions", "token"}));
    alerts::Unit unit;
    VIGIL_TRY(p.String(u["name"], path + ".name", &unit.name));
    if (unit.name.empty()) return p.Error(u, path + ".name", "missing (the unit's name)");
    if (!names.insert(unit.name).second) {
      return p.Error(u["name"], path + ".name", "used twice; unit names must be unique");
    }
    std::string role = "unit";
    VIGIL_TRY(p.String(u["role"], path + ".role", &role));
    if (role != "unit" && role != "province") {
      return p.Error(u["role"], path + ".role", "must be \"unit\" or \"province\"");
    }
    unit.province = role == "province";
    if (const YAML::Node r = u["regions"]) {
      if (!r.IsSequence())
        return p.Error(r, path + ".regions", "must be a list of region prefixes");
      for (const auto& region : r) {
        if (!region.IsScalar() || region.Scalar().empty()) {
          return p.Error(region, path + ".regions", "each must be a region prefix like \"370100\"");
        }
        unit.regions.push_back(region.Scalar());
      }
    }
    if (!unit.province && unit.regions.empty()) {
      return p.Error(u, path + ".regions",
                     "missing; a unit sees only its regions (e.g. [\"370100\"]); the province "
                     "role sees all");
    }
    VIGIL_TRY(p.String(u["token"], path + ".token", &unit.token));
    if (!unit.token.empty() && unit.token.size() < 16) {
      return p.Error(u["token"], path + ".token", "too short: use at least 16 random characters");
    }
    if (!unit.token.empty() && !tokens.insert(unit.token).second) {
      return p.Error(u["token"], path + ".token", "used by two units");
    }
    if (unit.token.empty() && out->client_ca_file.empty()) {
      return p.Error(u, path + ".token",
                     "missing; without alerts.tls.client_ca a unit can only sign in with a token");
    }
    out->units.push_back(std::move(unit));
  }
  return absl::OkStatus();
}

// logging: {format: text|json, level: trace|debug|info|warn|error}
absl::Status ParseLogging(Parser& p, const YAML::Node& l, Config* out) {
  VIGIL_TRY(p.OnlyKeys(l, "logging", {"format", "level"}));
  VIGIL_TRY(p.String(l["format"], "logging.format", &out->log_format));
  if (std::find(kLogFormats.begin(), kLogFormats.end(), out->log_format) == kLogFormats.end()) {
    return p.Error(l["format"], "logging.format",
                   absl::StrCat("must be one of: ", absl::StrJoin(kLogFormats, ", ")));
  }
  VIGIL_TRY(p.String(l["level"], "logging.level", &out->log_level));
  if (std::find(kLogLevels.begin(), kLogLevels.end(), out->log_level) == kLogLevels.end()) {
    return p.Error(l["level"], "logging.level",
                   absl::StrCat("must be one of: ", absl::StrJoin(kLogLevels, ", ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> Parse(const YAML::Node& root, const std::string& name) {
  Parser p(name);
  Config c;
  if (!root || root.IsNull()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file"));
  VIGIL_TRY(p.OnlyKeys(root, "config",
                       {"kafka", "topics", "state", "logging", "engine", "rules", "reference",
                        "alerts", "metrics"}));

  const YAML::Node kafka = root["kafka"];
  if (!kafka) return p.Error(root, "kafka", "missing; it needs at least kafka.brokers");
  VIGIL_TRY(p.OnlyKeys(kafka, "kafka", {"brokers", "group_id", "start_from", "properties"}));
  if (!kafka["brokers"]) return p.Error(kafka, "kafka.brokers", "missing (host:port,...)");
  VIGIL_TRY(p.String(kafka["brokers"], "kafka.brokers", &c.brokers));
  VIGIL_TRY(p.String(kafka["group_id"], "kafka.group_id", &c.group_id));
  VIGIL_TRY(p.String(kafka["start_from"], "kafka.start_from", &c.start_from));
  if (c.start_from != "earliest" && c.start_from != "latest") {
    return p.Error(kafka["start_from"], "kafka.start_from", "must be \"earliest\" or \"latest\"");
  }
  if (const YAML::Node props = kafka["properties"]) {
    if (!props.IsMap()) return p.Error(props, "kafka.properties", "must be a mapping");
    for (const auto& kv : props) {
      const std::string key = kv.first.as<std::string>();
      if (!kv.second.IsScalar()) {
        return p.Error(kv.second, absl::StrCat("kafka.properties.", key), "must be a scalar");
      }
      if (key == "bootstrap.servers" || key == "group.id" || key == "enable.auto.commit") {
        return p.Error(kv.first, absl::StrCat("kafka.properties.", key),
                       "is set by vigild itself; use kafka.brokers / kafka.group_id");
      }
      c.kafka_properties[key] = kv.second.Scalar();
    }
  }

  if (const YAML::Node t = root["topics"]) {
    VIGIL_TRY(p.OnlyKeys(t, "topics",
                         {"tickets", "outages", "repeat_calls", "warnings", "dead_letter",
                          "commands", "command_results", "warnings_json"}));
    VIGIL_TRY(p.Input(t["tickets"], "topics.tickets", &c.tickets));
    VIGIL_TRY(p.Input(t["outages"], "topics.outages", &c.outages));
    VIGIL_TRY(p.Input(t["repeat_calls"], "topics.repeat_calls", &c.repeat_calls));
    VIGIL_TRY(p.String(t["warnings"], "topics.warnings", &c.warnings_topic));
    VIGIL_TRY(p.String(t["dead_letter"], "topics.dead_letter", &c.dead_letter_topic));
    VIGIL_TRY(p.Input(t["commands"], "topics.commands", &c.commands));
    VIGIL_TRY(p.String(t["command_results"], "topics.command_results", &c.command_results_topic));
    VIGIL_TRY(p.String(t["warnings_json"], "topics.warnings_json", &c.warnings_json_topic));
    std::set<std::string> names = {c.tickets.name,         c.outages.name,      c.repeat_calls.name,
                                   c.warnings_topic,       c.dead_letter_topic, c.commands.name,
                                   c.command_results_topic};
    if (names.size() != 7 || names.contains(c.warnings_json_topic)) {
      return p.Error(t, "topics", "every topic must have its own name");
    }
  }

  const YAML::Node st = root["state"];
  if (!st) return p.Error(root, "state", "missing; it needs state.path (a RocksDB directory)");
  VIGIL_TRY(p.OnlyKeys(st, "state", {"path"}));
  if (!st["path"]) return p.Error(st, "state.path", "missing (a RocksDB directory)");
  VIGIL_TRY(p.String(st["path"], "state.path", &c.state_path));

  if (const YAML::Node l = root["logging"]) VIGIL_TRY(ParseLogging(p, l, &c));

  if (const YAML::Node e = root["engine"]) {
    VIGIL_TRY(p.OnlyKeys(
        e, "engine", {"commit_interval", "max_batch_events", "max_future_skew", "idle_timeout"}));
    VIGIL_TRY(p.Duration(e["idle_timeout"], "engine.idle_timeout", absl::Milliseconds(1),
                         &c.idle_timeout));
    VIGIL_TRY(p.Duration(e["commit_interval"], "engine.commit_interval", absl::Milliseconds(1),
                         &c.commit_interval));
    VIGIL_TRY(
        p.Int(e["max_batch_events"], "engine.max_batch_events", 1, 1000000, &c.max_batch_events));
    VIGIL_TRY(p.Duration(e["max_future_skew"], "engine.max_future_skew", absl::ZeroDuration(),
                         &c.max_future_skew));
  }

  if (const YAML::Node r = root["rules"]) {
    if (r["clustered_complaints"]) {
      return p.Error(r["clustered_complaints"], "rules.clustered_complaints",
                     "rule thresholds moved to rule files: set rules.dir to a directory of "
                     "rules/*.yaml (see rules/README.md; R13 is rules/R13_complaint_cluster.yaml)");
    }
    VIGIL_TRY(p.OnlyKeys(r, "rules", {"dir", "reload_check_interval"}));
    VIGIL_TRY(p.String(r["dir"], "rules.dir", &c.rules_dir));
    VIGIL_TRY(p.Duration(r["reload_check_interval"], "rules.reload_check_interval",
                         absl::ZeroDuration(), &c.rules_check_interval));
  }
  if (const YAML::Node ref = root["reference"]) {
    VIGIL_TRY(p.OnlyKeys(ref, "reference", {"file", "topic"}));
    VIGIL_TRY(p.String(ref["file"], "reference.file", &c.reference_file));
    if (const YAML::Node t = ref["topic"]) {
      if (t.IsScalar() && t.Scalar().empty()) {
        c.reference_topic.name.clear();
      } else {
        VIGIL_TRY(p.Input(t, "reference.topic", &c.reference_topic));
      }
    }
  }
  if (const YAML::Node a = root["alerts"]) VIGIL_TRY(ParseAlerts(p, a, &c.alerts));
  if (const YAML::Node m = root["metrics"]) {
    VIGIL_TRY(p.OnlyKeys(m, "metrics", {"listen", "ready_max_lag", "liveness_timeout"}));
    VIGIL_TRY(p.String(m["listen"], "metrics.listen", &c.metrics_listen));
    VIGIL_TRY(p.Int(m["ready_max_lag"], "metrics.ready_max_lag", 0, 1000000000,
                    &c.metrics_ready_max_lag));
    VIGIL_TRY(p.Duration(m["liveness_timeout"], "metrics.liveness_timeout", absl::Seconds(5),
                         &c.metrics_liveness_timeout));
  }
  return c;
}

absl::Status YamlError(const YAML::Exception& e, const std::string& name) {
  if (e.mark.is_null()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", e.msg));
  return absl::InvalidArgumentError(
      absl::StrCat(name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
}

}  // namespace

absl::StatusOr<Config> ParseConfig(const std::string& text, const std::string& name) {
  // Node access throws too (e.g. a mapping key that is not a scalar).
  try {
    return Parse(YAML::Load(text), name);
  } catch (const YAML::Exception& e) {
    return YamlError(e, name);
  }
}

absl::StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        path, ": cannot read the config file (does it exist? see deploy/vigil.example.yaml)"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace vigil::vigild

#include "tools/sim/score_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "librdkafka/rdkafkacpp.h"
#include "tools/sim/labels.h"
#include "tools/sim/score.h"

namespace vigil::sim {
namespace {

absl::StatusOr<std::vector<v1::WarningEvent>> ReadJsonLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the warnings file"));
  std::vector<v1::WarningEvent> out;
  std::string line;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    v1::WarningEvent e;
    auto s = google::protobuf::util::JsonStringToMessage(line, &e, opts);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": not a vigil.v1.WarningEvent in proto3 JSON: ",
                       s.ToString()));
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<v1::WarningEvent>> ReadTopic(const std::string& bootstrap,
                                                        const std::string& topic) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", "vigil-sim-score", err);
  conf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  RdKafka::Metadata* md = nullptr;
  std::unique_ptr<RdKafka::Topic> t(RdKafka::Topic::create(c.get(), topic, nullptr, err));
  if (c->metadata(false, t.get(), &md, 10000) != RdKafka::ERR_NO_ERROR || !md ||
      md->topics()->empty() || md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    delete md;
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not found at ", bootstrap));
  }
  std::map<int32_t, int64_t> end;
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto* p : *md->topics()->at(0)->partitions()) {
    int64_t lo = 0, hi = 0;
    c->query_watermark_offsets(topic, p->id(), &lo, &hi, 10000);
    if (hi > lo) {
      end[p->id()] = hi;
      parts.push_back(RdKafka::TopicPartition::create(topic, p->id(), lo));
    }
  }
  delete md;
  std::vector<v1::WarningEvent> out;
  if (parts.empty()) return out;
  c->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  int idle = 0;
  while (!end.empty() && idle < 100) {  // 100 empty polls of 100 ms: the broker went away
    std::unique_ptr<RdKafka::Message> m(c->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      ++idle;
      continue;
    }
    idle = 0;
    v1::WarningEvent e;
    if (e.ParseFromArray(m->payload(), static_cast<int>(m->len()))) out.push_back(std::move(e));
    if (m->offset() + 1 >= end[m->partition()]) end.erase(m->partition());
  }
  c->close();
  if (!end.empty()) return absl::UnavailableError("timed out reading the warnings topic");
  return out;
}

}  // namespace

absl::StatusOr<std::vector<v1::WarningEvent>> ReadWarnings(const std::string& source) {
  if (absl::StartsWith(source, "kafka://")) {
    const std::string rest = source.substr(8);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", source, "': expected kafka://host:port/topic"));
    }
    return ReadTopic(rest.substr(0, slash), rest.substr(slash + 1));
  }
  return ReadJsonLines(source);
}

void AddScoreCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "score", "score warnings against a scenario's ground-truth labels, per rule");
  struct Args {
    std::string labels, warnings, json_out, slack = "24h";
    std::vector<std::string> rules;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--labels", args->labels, "labels file written by `vigil-sim generate`")
      ->required();
  cmd->add_option("--warnings", args->warnings,
                  "warnings: a JSON-lines file of vigil.v1.WarningEvent, or kafka://host:port/topic")
      ->required();
  cmd->add_option("--rules", args->rules,
                  "rules to score (default: every rule that raised a warning)")
      ->delimiter(',');
  cmd->add_option("--slack", args->slack,
                  "how far outside an incident's span a warning may be raised (e.g. 24h)");
  cmd->add_option("--json-out", args->json_out, "also write the report as JSON here");
  cmd->callback([args] {
    absl::Duration slack;
    if (!absl::ParseDuration(args->slack, &slack)) {
      throw CLI::ValidationError("--slack", "expected a duration like 30m or 24h");
    }
    auto labels = ReadLabels(args->labels);
    if (!labels.ok()) throw CLI::Error("labels", std::string(labels.status().message()), 2);
    auto warnings = ReadWarnings(args->warnings);
    if (!warnings.ok()) throw CLI::Error("warnings", std::string(warnings.status().message()), 2);
    ScoreOptions options;
    options.match_slack = slack;
    options.rules.insert(args->rules.begin(), args->rules.end());
    if (options.rules.empty()) {
      for (const auto& w : *warnings) options.rules.insert(w.warning().rule_id());
    }
    const ScoreReport report = Score(*labels, *warnings, options);
    std::cout << labels->size() << " incidents, " << warnings->size() << " warning events\n"
              << FormatReport(report);
    if (!args->json_out.empty()) {
      std::ofstream(args->json_out) << ReportToJson(report) << "\n";
    }
  });
}

}  // namespace vigil::sim

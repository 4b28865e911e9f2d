#include "tools/sim/score_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>

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
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot read the warnings file"));
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<v1::WarningEvent> out;
  std::string line;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
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

absl::StatusOr<std::set<std::string>> RuleIdsIn(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  // Block style "  - id: R13-feeder" and flow style "- {id: R13, ...}".
  static const std::regex kId(R"((^|[\s{,])id:\s*["']?([A-Za-z0-9_-]+))");
  std::set<std::string> ids;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      const size_t hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      std::smatch m;
      if (std::regex_search(line, m, kId)) ids.insert(m[2].str());
    }
  }
  return ids;
}

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
    std::string labels, warnings, json_out, rules_dir, slack = "24h";
    std::vector<std::string> rules;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--labels", args->labels, "labels file written by `vigil-sim generate`")
      ->required();
  cmd->add_option("--warnings", args->warnings,
                  "warnings: a file of vigil.v1.WarningEvent proto3-JSON lines (`vigilctl replay` "
                  "output; '-' = stdin), or kafka://host:port/topic (binary, as vigild publishes)")
      ->required();
  cmd->add_option("--rules", args->rules,
                  "rule families to score, e.g. R13,R17 (R13 = R13, R13-feeder, R13-area, ...); "
                  "default: every family the labels name (with --rules-dir: those in the rule set)")
      ->delimiter(',');
  cmd->add_option("--rules-dir", args->rules_dir,
                  "the rule directory the warnings came from: families the labels name but no "
                  "rule in it belongs to are reported as not scored (not deployed)");
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
      options.rules = LabelledFamilies(*labels);
      if (!args->rules_dir.empty()) {
        auto deployed = RuleIdsIn(args->rules_dir);
        if (!deployed.ok())
          throw CLI::Error("rules-dir", std::string(deployed.status().message()), 2);
        std::erase_if(options.rules, [&](const std::string& family) {
          return std::none_of(deployed->begin(), deployed->end(), [&](const std::string& id) {
            return RuleInFamily(id, family) || RuleInFamily(family, id);
          });
        });
      }
    }
    const ScoreReport report = Score(*labels, *warnings, options);
    std::set<std::string> ids;
    for (const auto& w : *warnings) ids.insert(w.warning().warning_id());
    std::cout << labels->size() << " incidents, " << warnings->size() << " warning events ("
              << ids.size() << " warnings)\n"
              << FormatReport(report);
    if (!args->json_out.empty()) {
      std::ofstream(args->json_out) << ReportToJson(report) << "\n";
    }
  });
}

}  // namespace vigil::sim

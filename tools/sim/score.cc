#include "tools/sim/score.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace vigil::sim {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// Everything known about one warning id across its published versions.
struct Folded {
  std::string rule_id;
  std::string key;
  std::string region_key;
  absl::Time raised_at = absl::InfiniteFuture();
  v1::Grade max_grade = v1::GRADE_UNSPECIFIED;
};

bool Matches(const Folded& w, const Label& l, absl::Duration slack) {
  if (!l.key.empty()) {
    if (w.key != l.key) return false;
  } else if (!absl::StartsWith(w.region_key, l.region_key)) {
    return false;
  }
  return w.raised_at >= l.start - slack && w.raised_at <= l.end + slack;
}

std::string Seconds(absl::Duration d) {
  return absl::StrFormat("%.0fs", absl::ToDoubleSeconds(d));
}

}  // namespace

absl::Duration RuleScore::DelayQuantile(double q) const {
  if (delays.empty()) return absl::ZeroDuration();
  std::vector<absl::Duration> sorted = delays;
  std::sort(sorted.begin(), sorted.end());
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

ScoreReport Score(const std::vector<Label>& labels, const std::vector<v1::WarningEvent>& warnings,
                  const ScoreOptions& options) {
  std::map<std::string, Folded> folded;  // by warning id, deterministic order
  for (const v1::WarningEvent& e : warnings) {
    const v1::Warning& w = e.warning();
    Folded& f = folded[w.warning_id()];
    f.rule_id = w.rule_id();
    f.key = w.key();
    f.region_key = w.region_key();
    if (w.has_raised_at()) f.raised_at = std::min(f.raised_at, ToTime(w.raised_at()));
    f.max_grade = std::max(f.max_grade, w.grade());
  }

  ScoreReport report;
  std::map<std::string, RuleScore> by_rule;
  for (const std::string& r : options.rules) by_rule[r].rule_id = r;
  std::set<std::string> matched_warnings;  // "<rule>\0<id>"

  for (const Label& l : labels) {
    bool scored = false;
    for (const std::string& rule : l.rule_ids) {
      if (!options.rules.contains(rule)) continue;
      scored = true;
      RuleScore& rs = by_rule[rule];
      ++rs.incidents;
      bool detected = false, graded = false;
      absl::Time first = absl::InfiniteFuture();
      for (const auto& [id, w] : folded) {
        if (w.rule_id != rule || !Matches(w, l, options.match_slack)) continue;
        detected = true;
        graded = graded || w.max_grade >= l.min_grade;
        first = std::min(first, w.raised_at);
        matched_warnings.insert(rule + '\0' + id);
      }
      if (detected) {
        ++rs.detected;
        if (!graded) ++rs.under_graded;
        rs.delays.push_back(std::max(absl::ZeroDuration(), first - l.detectable_at));
      } else {
        report.missed[rule].push_back(l.incident_id);
      }
    }
    if (!scored) ++report.unscored_incidents;
  }
  for (const auto& [id, w] : folded) {
    if (!options.rules.contains(w.rule_id)) continue;
    RuleScore& rs = by_rule[w.rule_id];
    ++rs.warnings;
    if (!matched_warnings.contains(w.rule_id + '\0' + id)) {
      ++rs.false_warnings;
      report.false_ids[w.rule_id].push_back(id);
    }
  }
  for (auto& [rule, rs] : by_rule) report.rules.push_back(std::move(rs));
  return report;
}

std::string FormatReport(const ScoreReport& r) {
  std::string out = absl::StrFormat("%-6s %9s %8s %7s %9s %6s %9s %10s %10s %10s\n", "rule",
                                    "incidents", "detected", "recall", "warnings", "false",
                                    "precision", "delay p50", "delay p90", "delay max");
  for (const RuleScore& s : r.rules) {
    out += absl::StrFormat("%-6s %9d %8d %6.1f%% %9d %6d %8.1f%% %10s %10s %10s\n", s.rule_id,
                           s.incidents, s.detected, 100 * s.recall(), s.warnings,
                           s.false_warnings, 100 * s.precision(),
                           Seconds(s.DelayQuantile(0.5)), Seconds(s.DelayQuantile(0.9)),
                           Seconds(s.DelayQuantile(1.0)));
    if (s.under_graded > 0) {
      out += absl::StrFormat("       %d detected incidents never reached their expected grade\n",
                             s.under_graded);
    }
  }
  if (r.unscored_incidents > 0) {
    out += absl::StrFormat("%d incidents name only rules that were not scored (not deployed yet)\n",
                           r.unscored_incidents);
  }
  return out;
}

std::string ReportToJson(const ScoreReport& r) {
  nlohmann::ordered_json j;
  j["rules"] = nlohmann::json::array();
  for (const RuleScore& s : r.rules) {
    nlohmann::ordered_json x;
    x["rule_id"] = s.rule_id;
    x["incidents"] = s.incidents;
    x["detected"] = s.detected;
    x["recall"] = s.recall();
    x["under_graded"] = s.under_graded;
    x["warnings"] = s.warnings;
    x["false_warnings"] = s.false_warnings;
    x["precision"] = s.precision();
    x["delay_p50_s"] = absl::ToDoubleSeconds(s.DelayQuantile(0.5));
    x["delay_p90_s"] = absl::ToDoubleSeconds(s.DelayQuantile(0.9));
    x["delay_max_s"] = absl::ToDoubleSeconds(s.DelayQuantile(1.0));
    x["missed"] = r.missed.contains(s.rule_id) ? r.missed.at(s.rule_id)
                                                : std::vector<std::string>{};
    x["false_warning_ids"] = r.false_ids.contains(s.rule_id) ? r.false_ids.at(s.rule_id)
                                                             : std::vector<std::string>{};
    j["rules"].push_back(x);
  }
  j["unscored_incidents"] = r.unscored_incidents;
  return j.dump(2);
}

}  // namespace vigil::sim

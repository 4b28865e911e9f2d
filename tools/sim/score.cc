#include "tools/sim/score.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

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

// `region` is `scope` or lies below it (whole path segments only).
bool InRegion(const std::string& region, const std::string& scope) {
  if (scope.empty()) return true;
  return region == scope || (absl::StartsWith(region, scope) && region.size() > scope.size() &&
                             region[scope.size()] == '/');
}

bool Matches(const Folded& w, const Label& l, absl::Duration slack) {
  if (!l.warning_key.empty()) {
    if (w.key != l.warning_key) return false;
  } else if (!InRegion(w.region_key, l.region_key)) {
    return false;
  }
  return w.raised_at >= l.start - slack && w.raised_at <= l.end + slack;
}

// Whether a label entry (family or rule id) and a scored family overlap.
bool Overlap(const std::string& entry, const std::string& family) {
  return RuleInFamily(entry, family) || RuleInFamily(family, entry);
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

std::set<std::string> LabelledFamilies(const std::vector<Label>& labels) {
  std::set<std::string> out;
  for (const Label& l : labels) out.insert(l.rule_ids.begin(), l.rule_ids.end());
  return out;
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
  std::map<std::string, RuleScore> by_family;
  for (const std::string& r : options.rules) by_family[r].rule_id = r;
  std::set<std::string> matched_warnings;  // "<family>\0<id>"

  for (const Label& l : labels) {
    bool scored = false;
    for (const std::string& family : options.rules) {
      std::vector<const std::string*> entries;  // the label's entries within this family
      for (const std::string& e : l.rule_ids) {
        if (Overlap(e, family)) entries.push_back(&e);
      }
      if (entries.empty()) continue;
      scored = true;
      RuleScore& rs = by_family[family];
      ++rs.incidents;
      bool detected = false, graded = false;
      absl::Time first = absl::InfiniteFuture();
      for (const auto& [id, w] : folded) {
        if (!RuleInFamily(w.rule_id, family)) continue;
        if (std::none_of(entries.begin(), entries.end(),
                         [&](const std::string* e) { return RuleInFamily(w.rule_id, *e); })) {
          continue;
        }
        if (!Matches(w, l, options.match_slack)) continue;
        detected = true;
        graded = graded || w.max_grade >= l.min_grade;
        first = std::min(first, w.raised_at);
        matched_warnings.insert(family + '\0' + id);
      }
      if (detected) {
        ++rs.detected;
        if (!graded) ++rs.under_graded;
        rs.delays.push_back(std::max(absl::ZeroDuration(), first - l.detectable_at));
      } else {
        report.missed[family].push_back(l.incident_id);
      }
    }
    if (!scored) {
      ++report.unscored_incidents;
      report.unscored_families.insert(l.rule_ids.begin(), l.rule_ids.end());
    }
  }
  for (const auto& [id, w] : folded) {
    bool any = false;
    for (const std::string& family : options.rules) {
      if (!RuleInFamily(w.rule_id, family)) continue;
      any = true;
      RuleScore& rs = by_family[family];
      ++rs.warnings;
      ++rs.warnings_by_rule[w.rule_id];
      if (!matched_warnings.contains(family + '\0' + id)) {
        ++rs.false_warnings;
        ++rs.false_by_rule[w.rule_id];
        report.false_ids[family].push_back(id);
      }
    }
    if (!any) ++report.unlabelled_warnings[w.rule_id];
  }
  for (auto& [family, rs] : by_family) report.rules.push_back(std::move(rs));
  return report;
}

std::string FormatReport(const ScoreReport& r) {
  std::string out = absl::StrFormat("%-11s %9s %8s %7s %9s %6s %9s %10s %10s %10s\n", "rule",
                                    "incidents", "detected", "recall", "warnings", "false",
                                    "precision", "delay p50", "delay p90", "delay max");
  for (const RuleScore& s : r.rules) {
    out += absl::StrFormat("%-11s %9d %8d %6.1f%% %9d %6d %8.1f%% %10s %10s %10s\n", s.rule_id,
                           s.incidents, s.detected, 100 * s.recall(), s.warnings, s.false_warnings,
                           100 * s.precision(), Seconds(s.DelayQuantile(0.5)),
                           Seconds(s.DelayQuantile(0.9)), Seconds(s.DelayQuantile(1.0)));
    if (s.under_graded > 0) {
      out += absl::StrFormat(
          "            %d detected incidents never reached their expected grade\n", s.under_graded);
    }
    if (s.warnings_by_rule.size() > 1 ||
        (s.warnings_by_rule.size() == 1 && s.warnings_by_rule.begin()->first != s.rule_id)) {
      std::vector<std::string> parts;
      for (const auto& [rule, n] : s.warnings_by_rule) {
        const auto f = s.false_by_rule.find(rule);
        parts.push_back(absl::StrFormat("%s %d (%d false)", rule, n,
                                        f == s.false_by_rule.end() ? 0 : f->second));
      }
      out += "            warnings by rule: " + absl::StrJoin(parts, ", ") + "\n";
    }
  }
  if (r.unscored_incidents > 0) {
    out += absl::StrFormat("%d incidents name only rules that were not scored: %s\n",
                           r.unscored_incidents, absl::StrJoin(r.unscored_families, ", "));
  }
  if (!r.unlabelled_warnings.empty()) {
    std::vector<std::string> parts;
    for (const auto& [rule, n] : r.unlabelled_warnings) {
      parts.push_back(absl::StrFormat("%s %d", rule, n));
    }
    out += "warnings of rules without labels (not scored): " + absl::StrJoin(parts, ", ") + "\n";
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
    x["warnings_by_rule"] = s.warnings_by_rule;
    x["false_by_rule"] = s.false_by_rule;
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
  j["unscored_families"] = r.unscored_families;
  j["unlabelled_warnings"] = r.unlabelled_warnings;
  return j.dump(2);
}

}  // namespace vigil::sim

#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/sim/labels.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::sim {

struct ScoreOptions {
  // Rule families to score, one report row each: "R13" covers the rules R13,
  // R13-feeder, R13-area, … (RuleInFamily); an exact id ("R13-feeder") covers
  // that rule only. Labels that name none of them are reported as not scored.
  std::set<std::string> rules;
  // A warning matches an incident when it was raised (event time) within
  // [start - match_slack, end + match_slack] of the incident.
  absl::Duration match_slack = absl::Hours(24);
};

// One family's figures.
struct RuleScore {
  std::string rule_id;   // the family (or exact rule id) as given in ScoreOptions::rules
  int incidents = 0;     // labels naming this family (or a rule of it)
  int detected = 0;      // ...matched by at least one warning of the family
  int under_graded = 0;  // detected, but no matching warning reached min_grade
  int warnings = 0;      // distinct warning ids of the family
  int false_warnings = 0;  // ...matching no incident of the family
  // Distinct warning ids and false ones per rule id of the family ("R13-feeder").
  std::map<std::string, int> warnings_by_rule;
  std::map<std::string, int> false_by_rule;
  // Detection delay (event time): first matching warning's raised_at minus the
  // incident's detectable_at, clamped at zero; one per detected incident.
  std::vector<absl::Duration> delays;

  double recall() const { return incidents == 0 ? 0.0 : double(detected) / incidents; }
  double precision() const {
    return warnings == 0 ? 0.0 : double(warnings - false_warnings) / warnings;
  }
  absl::Duration DelayQuantile(double q) const;
};

struct ScoreReport {
  std::vector<RuleScore> rules;                               // sorted by family
  std::map<std::string, std::vector<std::string>> missed;     // family → incident ids
  std::map<std::string, std::vector<std::string>> false_ids;  // family → warning ids
  int unscored_incidents = 0;                                 // labels naming no scored family
  std::set<std::string> unscored_families;                    // what those labels name
  // Warnings of rules in no scored family (no labels to judge them by):
  // rule id → distinct warning ids.
  std::map<std::string, int> unlabelled_warnings;
};

// Matches warnings (every published WarningEvent; repeats and updates of one
// warning id are folded together) against the ground truth. A warning matches
// an incident when its rule is in a family the label names, it was raised
// within the incident's span ± slack, and its key is the label's warning_key
// (or, for labels without one, its region_key is the label's region_key or
// lies below it).
ScoreReport Score(const std::vector<Label>& labels, const std::vector<v1::WarningEvent>& warnings,
                  const ScoreOptions& options);

// The families the labels name (their rule_ids), sorted.
std::set<std::string> LabelledFamilies(const std::vector<Label>& labels);

// A readable table (one row per family) and the report as JSON.
std::string FormatReport(const ScoreReport& report);
std::string ReportToJson(const ScoreReport& report);

}  // namespace vigil::sim

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
  // Rules to score. Labels that name none of them are reported as not scored.
  std::set<std::string> rules;
  // A warning matches an incident when it was raised (event time) within
  // [start - match_slack, end + match_slack] of the incident.
  absl::Duration match_slack = absl::Hours(24);
};

// One rule's figures.
struct RuleScore {
  std::string rule_id;
  int incidents = 0;     // labels naming this rule
  int detected = 0;      // ...matched by at least one warning of this rule
  int under_graded = 0;  // detected, but no matching warning reached min_grade
  int warnings = 0;      // distinct warning ids of this rule
  int false_warnings = 0;  // ...matching no incident of this rule
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
  std::vector<RuleScore> rules;                           // sorted by rule id
  std::map<std::string, std::vector<std::string>> missed;  // rule → incident ids
  std::map<std::string, std::vector<std::string>> false_ids;  // rule → warning ids
  int unscored_incidents = 0;  // labels for rules not in ScoreOptions::rules
};

// Matches warnings (every published WarningEvent; repeats and updates of one
// warning id are folded together) against the ground truth.
ScoreReport Score(const std::vector<Label>& labels, const std::vector<v1::WarningEvent>& warnings,
                  const ScoreOptions& options);

// A readable table (one row per rule) and the report as JSON.
std::string FormatReport(const ScoreReport& report);
std::string ReportToJson(const ScoreReport& report);

}  // namespace vigil::sim

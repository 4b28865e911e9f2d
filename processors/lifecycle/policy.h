#pragma once

// The lifecycle policy (rules/lifecycle/policy.yaml): acknowledgement and
// feedback windows per grade, who owns a warning of each grade, countdown
// shares, automatic escalation, look-back per rule.

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/lifecycle/owner.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::lifecycle {

// What a warning of one grade gets when it is raised (or reopened).
struct GradePolicy {
  absl::Duration ack;       // acknowledge within this, > 0
  absl::Duration feedback;  // submit feedback within this (from the same start), >= ack
  OwnerLevel owner = OwnerLevel::kStation;
  bool operator==(const GradePolicy&) const = default;
};

struct LifecyclePolicy {
  // Index GradeIndex(grade): 0 = IV … 3 = I. Owners never decrease with the grade.
  std::array<GradePolicy, 4> grades;
  // Countdown notices at these shares of each window, strictly increasing, each in (0, 1).
  std::vector<double> countdown;
  // Grades added when the ack deadline passes unacknowledged, 0–3; 0 = never
  // (the deadline is only renewed, as a re-notification).
  int escalate_on_ack_overdue = 1;
  // Escalation path, strictly ascending, ending at province; every grade's
  // owner is on it. "One level up" = the next entry.
  std::vector<OwnerLevel> owner_chain;
  // Look-back (回头看) after closing, > 0: per rule id ("R13-feeder", or the
  // family "R05"), else the default.
  absl::Duration default_lookback;
  std::map<std::string, absl::Duration, std::less<>> lookback_rules;
  // Grades added when a recurrence reopens a closed warning, 0–3.
  int reopen_grade_step = 1;

  bool operator==(const LifecyclePolicy&) const = default;

  // Reads and validates a policy file. Every problem is reported, one per line
  // "path:line:col: grades.I.feedback: what is wrong and what is allowed".
  static absl::StatusOr<LifecyclePolicy> Load(const std::string& path);
  // The same from text; `name` stands for the file in errors.
  static absl::StatusOr<LifecyclePolicy> Parse(const std::string& text, const std::string& name);
  // The values of the shipped rules/lifecycle/policy.yaml (for tests and tools
  // that do not read files).
  static LifecyclePolicy Default();

  // The windows of `grade` (GRADE_UNSPECIFIED counts as IV).
  const GradePolicy& For(v1::Grade grade) const { return grades[GradeIndex(grade)]; }
  // Look-back of a warning of `rule_id`: the exact id ("R21-arrival"), then
  // its family (the part before the first '-', "R21"), then the default.
  absl::Duration LookbackFor(std::string_view rule_id) const;
  // The owner one level up `current` on the chain (province stays province; a
  // level not on the chain moves to the next one above it).
  OwnerLevel OwnerAbove(OwnerLevel current) const;

  // 0 = IV … 3 = I; GRADE_UNSPECIFIED and unknown values count as IV.
  static int GradeIndex(v1::Grade grade);
};

}  // namespace vigil::lifecycle

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/engine/deadline_engine.h"
#include "processors/lifecycle/policy.h"
#include "processors/rules/rule_set.h"

namespace vigil::ledger {

// Everything a rules directory defines, loaded together so that a reload
// swaps all of it or none:
//   <dir>/*.yaml                   window rules (rules/README.md)
//   <dir>/deadlines/*.yaml         deadline rules (R01–R07, R14, R15, R21)
//   <dir>/limits/time_limits.yaml  the time-limit table the deadline rules use
//   <dir>/calendars/*.yaml         business calendars (holidays, make-up days)
//   <dir>/lifecycle/policy.yaml    ack / feedback deadlines, escalation, look-back
// The sub-directories are optional: without deadlines/ there are no deadline
// rules (then limits/ and calendars/ are not needed); without lifecycle/ the
// built-in default policy applies.
struct RuleBundle {
  std::shared_ptr<const rules::RuleSet> rules;
  std::shared_ptr<const engine::DeadlineSet> deadlines;
  std::shared_ptr<const lifecycle::LifecyclePolicy> policy;
};

absl::StatusOr<RuleBundle> LoadRuleBundle(const std::string& dir);

// Every file LoadRuleBundle reads (for change detection), sorted.
std::vector<std::string> RuleBundleFiles(const std::string& dir);

}  // namespace vigil::ledger

#include "processors/ledger/rule_bundle.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/deadlines/deadline_parser.h"

namespace vigil::ledger {
namespace {

namespace fs = std::filesystem;

bool IsDir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool IsFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::vector<std::string> YamlIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || e.path().extension() != ".yaml") continue;
    out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

absl::StatusOr<RuleBundle> LoadRuleBundle(const std::string& dir) {
  RuleBundle bundle;
  VIGIL_ASSIGN_OR_RETURN(bundle.rules, rules::LoadRuleDir(dir));
  auto deadlines = std::make_shared<engine::DeadlineSet>();
  const std::string deadline_dir = absl::StrCat(dir, "/deadlines");
  if (IsDir(deadline_dir)) {
    VIGIL_ASSIGN_OR_RETURN(deadlines->table, deadlines::TimeLimitTable::Load(
                                                 absl::StrCat(dir, "/limits/time_limits.yaml")));
    VIGIL_ASSIGN_OR_RETURN(deadlines->calendar,
                           deadlines::BusinessCalendar::LoadDir(absl::StrCat(dir, "/calendars")));
    VIGIL_ASSIGN_OR_RETURN(deadlines->rules,
                           deadlines::LoadDeadlineDir(deadline_dir, deadlines->table));
  }
  const std::string policy_file = absl::StrCat(dir, "/lifecycle/policy.yaml");
  lifecycle::LifecyclePolicy policy = lifecycle::LifecyclePolicy::Default();
  if (IsFile(policy_file)) {
    VIGIL_ASSIGN_OR_RETURN(policy, lifecycle::LifecyclePolicy::Load(policy_file));
  }
  // A deadline rule's own `lookback` applies unless the policy names the rule.
  for (const deadlines::DeadlineRule& rule : deadlines->rules) {
    policy.lookback_rules.emplace(rule.id, rule.lookback);
  }
  bundle.deadlines = std::move(deadlines);
  bundle.policy = std::make_shared<const lifecycle::LifecyclePolicy>(std::move(policy));
  return bundle;
}

std::vector<std::string> RuleBundleFiles(const std::string& dir) {
  std::vector<std::string> files = YamlIn(dir);
  for (const char* sub : {"/deadlines", "/limits", "/calendars", "/lifecycle"}) {
    std::vector<std::string> more = YamlIn(absl::StrCat(dir, sub));
    files.insert(files.end(), more.begin(), more.end());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace vigil::ledger

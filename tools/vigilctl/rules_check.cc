#include "tools/vigilctl/rules_check.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "processors/ledger/rule_bundle.h"
#include "processors/rules/rule_set.h"

namespace vigil::vigilctl {

absl::StatusOr<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      auto in_dir = rules::RuleFilesIn(path);
      if (!in_dir.ok()) return in_dir.status();
      if (in_dir->empty()) {
        return absl::NotFoundError(absl::StrCat(path, ": no *.yaml rule files in this directory"));
      }
      files.insert(files.end(), in_dir->begin(), in_dir->end());
    } else if (std::filesystem::exists(path, ec)) {
      files.push_back(path);
    } else {
      return absl::NotFoundError(absl::StrCat(path, ": no such file or directory"));
    }
  }
  return files;
}

int RunRulesCheck(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  if (paths.size() == 1 && std::filesystem::is_directory(paths[0], ec)) {
    // A rules directory: everything vigild would load from it.
    absl::StatusOr<ledger::RuleBundle> bundle = ledger::LoadRuleBundle(paths[0]);
    if (!bundle.ok()) {
      err << bundle.status().message() << "\n";
      return 1;
    }
    out << "OK: " << bundle->rules->rules.size() << " rules in " << bundle->rules->files.size()
        << " files";
    if (!bundle->deadlines->rules.empty()) {
      out << "; " << bundle->deadlines->rules.size() << " deadline rules, "
          << bundle->deadlines->table.rows().size() << " time limits, calendars "
          << bundle->deadlines->calendar.files().size();
    }
    out << "\n";
    return 0;
  }
  auto files = ExpandRulePaths(paths);
  if (!files.ok()) {
    err << files.status().message() << "\n";
    return 1;
  }
  auto rule_set = rules::LoadRuleFiles(*files);
  if (!rule_set.ok()) {
    err << rule_set.status().message() << "\n";
    return 1;
  }
  out << "OK: " << (*rule_set)->rules.size() << " rules in " << (*rule_set)->files.size()
      << " files\n";
  return 0;
}

}  // namespace vigil::vigilctl

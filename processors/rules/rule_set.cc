// Loading rule files and directories, and the checks that need the whole set.

#include "processors/rules/rule_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/rules/rule_parser.h"

namespace vigil::rules {
namespace {

// Region levels from fine to coarse; -1 for non-region keys.
int RegionRank(KeyLevel k) {
  switch (k) {
    case KeyLevel::kArea:
      return 0;
    case KeyLevel::kFeeder:
      return 1;
    case KeyLevel::kStation:
      return 2;
    case KeyLevel::kCounty:
      return 3;
    case KeyLevel::kCity:
      return 4;
    case KeyLevel::kProvince:
      return 5;
    default:
      return -1;
  }
}

const char* KeyName(KeyLevel k) {
  static constexpr const char* kNames[] = {"area",     "feeder",   "station", "county", "city",
                                           "province", "customer", "ticket",  "outage"};
  return kNames[static_cast<int>(k)];
}

const char* StreamName(Stream s) {
  switch (s) {
    case Stream::kTicket:
      return "ticket";
    case Stream::kOutage:
      return "outage";
    case Stream::kRepeatCall:
      return "repeat_call";
  }
  return "?";
}

struct Located {
  const ParsedRule* rule;
  const std::string* file;
};

std::string Where(const Located& l, SourcePos pos) {
  return absl::StrCat(*l.file, ":", pos.line, ":", pos.column);
}

std::string PathOf(const ParsedRule& r, std::string_view field) {
  return absl::StrCat("rules[", r.index, "].", std::string(field));
}

// Set-level errors of rules that each parsed cleanly.
std::vector<std::string> CheckSet(const std::vector<Located>& all) {
  std::vector<std::string> errors;
  std::map<std::string, Located> by_id;
  for (const Located& l : all) {
    const auto [it, inserted] = by_id.emplace(l.rule->spec.id, l);
    if (!inserted) {
      errors.push_back(FormatRuleError(
          *l.file, l.rule->id, PathOf(*l.rule, "id"),
          absl::StrCat("duplicate rule id \"", l.rule->spec.id, "\"; first defined at ",
                       Where(it->second, it->second.rule->id), "; ids are unique across files")));
    }
  }
  for (const Located& l : all) {
    const RuleSpec& s = l.rule->spec;
    if (s.fold_into.empty() || s.fold_into == s.id) continue;  // self: reported by the parser
    const std::string path = PathOf(*l.rule, "fold_into");
    const auto parent = by_id.find(s.fold_into);
    if (parent == by_id.end()) {
      errors.push_back(FormatRuleError(
          *l.file, l.rule->fold_into, path,
          absl::StrCat("names no rule: \"", s.fold_into, "\" is not defined in the rule set")));
      continue;
    }
    const RuleSpec& p = parent->second.rule->spec;
    const std::string at = Where(parent->second, parent->second.rule->id);
    if (p.stream != s.stream) {
      errors.push_back(
          FormatRuleError(*l.file, l.rule->fold_into, path,
                          absl::StrCat("\"", p.id, "\" (", at, ") reads stream ",
                                       StreamName(p.stream), ", this rule ", StreamName(s.stream),
                                       "; fold only into a rule of the "
                                       "same stream")));
    } else if (RegionRank(s.key) < 0 || RegionRank(p.key) <= RegionRank(s.key)) {
      errors.push_back(FormatRuleError(
          *l.file, l.rule->fold_into, path,
          absl::StrCat("\"", p.id, "\" (", at, ") is keyed by ", KeyName(p.key), ", this rule by ",
                       KeyName(s.key),
                       "; fold only into a strictly coarser "
                       "region level (area < feeder < station < county < city < province)")));
    }
  }
  // Cycles (only possible together with the level errors above, but a cycle
  // would hang the engine, so it is named explicitly). Reported once, at its
  // first rule in set order.
  std::set<std::string> in_reported_cycle;
  for (const Located& l : all) {
    const std::string& id = l.rule->spec.id;
    if (in_reported_cycle.contains(id)) continue;
    std::vector<std::string> chain = {id};
    const RuleSpec* current = &l.rule->spec;
    while (!current->fold_into.empty()) {
      const auto next = by_id.find(current->fold_into);
      if (next == by_id.end()) break;
      const std::string& next_id = next->second.rule->spec.id;
      if (next_id == id) {
        if (chain.size() > 1) {
          in_reported_cycle.insert(chain.begin(), chain.end());
          chain.push_back(id);
          errors.push_back(
              FormatRuleError(*l.file, l.rule->fold_into, PathOf(*l.rule, "fold_into"),
                              absl::StrCat("fold_into cycle: ", absl::StrJoin(chain, " -> "))));
        }
        break;
      }
      if (std::find(chain.begin(), chain.end(), next_id) != chain.end()) break;
      chain.push_back(next_id);
      current = &next->second.rule->spec;
    }
  }
  return errors;
}

}  // namespace

const RuleSpec* RuleSet::Find(const std::string& id) const {
  for (const RuleSpec& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const RuleSet>> LoadRuleFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::string> errors;
  std::vector<ParsedRuleFile> files;
  files.reserve(paths.size());
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors.push_back(absl::StrCat(path, ": cannot read the rule file"));
      files.emplace_back();
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    files.push_back(ParseRuleText(text.str(), path));
    for (const std::string& e : files.back().errors) errors.push_back(e);
  }
  if (errors.empty()) {
    // Set-level checks only over complete files: a rule missing because its
    // file has errors would show up as false "names no rule" errors.
    std::vector<Located> all;
    for (size_t f = 0; f < files.size(); ++f) {
      for (const ParsedRule& r : files[f].rules) all.push_back({&r, &paths[f]});
    }
    errors = CheckSet(all);
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));

  auto set = std::make_shared<RuleSet>();
  set->files = paths;
  for (ParsedRuleFile& f : files) {
    for (ParsedRule& r : f.rules) set->rules.push_back(std::move(r.spec));
  }
  return std::shared_ptr<const RuleSet>(std::move(set));
}

absl::StatusOr<std::vector<std::string>> RuleFilesIn(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a rule directory (does it exist?)"));
  }
  std::vector<std::pair<std::string, std::string>> found;  // name, path
  fs::directory_iterator it(dir, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  for (const fs::directory_entry& e : it) {
    const std::string name = e.path().filename().string();
    // Hidden files (editor locks and backups) are not rules.
    if (name.empty() || name[0] == '.' || e.path().extension() != ".yaml") continue;
    std::error_code type_ec;
    if (!e.is_regular_file(type_ec)) continue;
    found.emplace_back(name, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  paths.reserve(found.size());
  for (auto& [name, path] : found) paths.push_back(std::move(path));
  return paths;
}

absl::StatusOr<std::shared_ptr<const RuleSet>> LoadRuleDir(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> paths = RuleFilesIn(dir);
  if (!paths.ok()) return paths.status();
  if (paths->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": no *.yaml rule files (rule tests in tests/ are not rules)"));
  }
  return LoadRuleFiles(*paths);
}

}  // namespace vigil::rules

#include "tools/sim/labels.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace vigil::sim {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTime(const nlohmann::json& j, const char* field) {
  if (!j.contains(field) || !j[field].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "' missing or not a string"));
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, j[field].get<std::string>(), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "': ", err));
  }
  return t;
}

}  // namespace

bool RuleInFamily(const std::string& rule_id, const std::string& family) {
  if (family.empty()) return false;
  return rule_id == family ||
         (rule_id.size() > family.size() && rule_id.compare(0, family.size(), family) == 0 &&
          rule_id[family.size()] == '-');
}

std::string RuleFamily(const std::string& rule_id) { return rule_id.substr(0, rule_id.find('-')); }

std::string LabelToJson(const Label& l) {
  nlohmann::ordered_json j;
  j["incident_id"] = l.incident_id;
  j["kind"] = l.kind;
  j["rule_ids"] = l.rule_ids;
  j["key"] = l.key;
  j["warning_key"] = l.warning_key;
  j["region_key"] = l.region_key;
  j["start"] = Rfc3339(l.start);
  j["end"] = Rfc3339(l.end);
  j["detectable_at"] = Rfc3339(l.detectable_at);
  j["min_grade"] = v1::Grade_Name(l.min_grade);
  j["event_ids"] = l.event_ids;
  j["description"] = l.description;
  return j.dump();
}

absl::StatusOr<Label> LabelFromJson(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  Label l;
  try {
    l.incident_id = j.at("incident_id").get<std::string>();
    l.kind = j.at("kind").get<std::string>();
    l.rule_ids = j.at("rule_ids").get<std::vector<std::string>>();
    l.key = j.value("key", "");
    l.warning_key = j.value("warning_key", "");
    l.region_key = j.value("region_key", "");
    if (j.contains("event_ids")) l.event_ids = j["event_ids"].get<std::vector<std::string>>();
    l.description = j.value("description", "");
    const std::string grade = j.value("min_grade", "GRADE_IV");
    if (!v1::Grade_Parse(grade, &l.min_grade) || l.min_grade == v1::GRADE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("field 'min_grade': unknown grade ", grade));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  auto start = ParseTime(j, "start");
  if (!start.ok()) return start.status();
  auto end = ParseTime(j, "end");
  if (!end.ok()) return end.status();
  auto detectable = ParseTime(j, "detectable_at");
  if (!detectable.ok()) return detectable.status();
  l.start = *start;
  l.end = *end;
  l.detectable_at = *detectable;
  if (l.incident_id.empty()) return absl::InvalidArgumentError("field 'incident_id' is empty");
  return l;
}

absl::StatusOr<std::vector<Label>> ReadLabels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the labels file"));
  std::vector<Label> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    auto l = LabelFromJson(line);
    if (!l.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", l.status().message()));
    out.push_back(*std::move(l));
  }
  return out;
}

}  // namespace vigil::sim

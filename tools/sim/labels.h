#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::sim {

// Ground truth: one incident a scenario injected, written as one JSON line
// to the labels file beside the events. The scorer matches warnings to these.
//
// JSON line (all times RFC 3339 UTC):
// {"incident_id":"thunderstorm_city-0007","kind":"complaint_cluster",
//  "rule_ids":["R13"],"key":"370100/370102/37010201/TL370102001001|LOW_VOLTAGE",
//  "warning_key":"feeder:L370102001","region_key":"370100/370102/37010201/TL370102001001",
//  "start":"…","end":"…","detectable_at":"…","min_grade":"GRADE_III",
//  "event_ids":["…"],"description":"…"}
struct Label {
  std::string incident_id;  // unique within the file
  // complaint_cluster, long_outage, outage_over_etr, escalation_12398, frequent_outage,
  // notice_missing, traffic_surge, dispatch_backlog, important_customer_outage, …
  std::string kind;
  // Rule families (or exact rule ids) expected to warn, e.g. {"R13"}: a family
  // "R13" stands for every rule whose id is "R13" or starts with "R13-"
  // (R13-feeder, R13-area); "R13-feeder" names that rule only. See RuleInFamily.
  std::vector<std::string> rule_ids;
  // The incident's own key, descriptive, not used for matching. complaint_cluster:
  // "<region_key>|<categories joined by +>" (for one area and one category this
  // is the key of the pre-catalogue R13 rule).
  std::string key;
  // The key a matching warning carries (Warning.key, "<level>:<id>", e.g.
  // "feeder:L370102001", "outage:tc1-O00000025", "customer:1000012003",
  // "city:370100"). Empty: match on region_key instead.
  std::string warning_key;
  // Canonical region key of the incident's scope (city/county/station/area,
  // cut at the scope's level). Without warning_key a warning matches when its
  // region_key is this key or lies below it ("<region_key>/…").
  std::string region_key;
  absl::Time start;          // first event of the incident (event time)
  absl::Time end;            // last event of the incident
  absl::Time detectable_at;  // earliest event time at which the rule's condition holds
  v1::Grade min_grade = v1::GRADE_IV;  // lowest grade a correct warning has
  std::vector<std::string> event_ids;  // the events that make up the incident
  std::string description;             // readable, for reports
};

// Whether rule `rule_id` (a Warning.rule_id, e.g. "R13-feeder") belongs to
// `family` ("R13": the id is "R13" or starts with "R13-"; an exact id
// "R13-feeder" names itself only).
bool RuleInFamily(const std::string& rule_id, const std::string& family);

// The family of a rule id: its part before the first '-' ("R13-feeder" → "R13").
std::string RuleFamily(const std::string& rule_id);

std::string LabelToJson(const Label& label);
// Parses one JSON line; errors say which field is wrong.
absl::StatusOr<Label> LabelFromJson(const std::string& line);
// Reads a labels file; errors name file:line.
absl::StatusOr<std::vector<Label>> ReadLabels(const std::string& path);

}  // namespace vigil::sim

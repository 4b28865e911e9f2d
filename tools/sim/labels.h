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
//  "rule_ids":["R13"],"key":"370100/370102/3701020/T…|LOW_VOLTAGE",
//  "region_key":"370100/370102/3701020/T…","start":"…","end":"…",
//  "detectable_at":"…","min_grade":"GRADE_IV","event_ids":["…"],
//  "description":"…"}
struct Label {
  std::string incident_id;  // unique within the file
  // complaint_cluster, outage_over_etr, escalation_12398, frequent_outage,
  // notice_missing, traffic_surge, dispatch_backlog, important_customer_outage, …
  std::string kind;
  std::vector<std::string> rule_ids;  // catalogue rules expected to warn, e.g. {"R13"}
  // The rule key a matching warning carries (Warning.key). Empty: match on
  // region_key prefix instead.
  std::string key;
  // Canonical region key of the incident's scope (city/county/station/area,
  // cut at the scope's level); a warning matches when its region_key starts with it.
  std::string region_key;
  absl::Time start;          // first event of the incident (event time)
  absl::Time end;            // last event of the incident
  absl::Time detectable_at;  // earliest event time at which the rule's condition holds
  v1::Grade min_grade = v1::GRADE_IV;  // lowest grade a correct warning has
  std::vector<std::string> event_ids;  // the events that make up the incident
  std::string description;             // readable, for reports
};

std::string LabelToJson(const Label& label);
// Parses one JSON line; errors say which field is wrong.
absl::StatusOr<Label> LabelFromJson(const std::string& line);
// Reads a labels file; errors name file:line.
absl::StatusOr<std::vector<Label>> ReadLabels(const std::string& path);

}  // namespace vigil::sim

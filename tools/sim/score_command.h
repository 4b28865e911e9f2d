#pragma once

#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::sim {

// Registers `vigil-sim score --labels L --warnings W [--rules R13,R17,...]
// [--rules-dir rules] [--slack 24h] [--json-out F]`: per rule family, detection
// recall, false warnings and detection delay of the warnings W against the
// ground truth L.
void AddScoreCommand(CLI::App& app);

// The rule ids defined in the *.yaml files directly in `dir` (a line scan for
// "id: X", enough for the catalogue's rule files; not a YAML parser).
absl::StatusOr<std::set<std::string>> RuleIdsIn(const std::string& dir);

// Reads WarningEvents from a JSON-lines file (proto3 JSON, one per line) or,
// for "kafka://host:port/topic", from every partition of a topic up to its
// current end (binary Protobuf, as vigild publishes them).
absl::StatusOr<std::vector<v1::WarningEvent>> ReadWarnings(const std::string& source);

}  // namespace vigil::sim

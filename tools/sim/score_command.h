#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::sim {

// Registers `vigil-sim score --labels L --warnings W [--rules R13,...]
// [--slack 24h] [--json-out F]`: per rule, detection recall, false warnings and
// detection delay of the warnings W against the ground truth L.
void AddScoreCommand(CLI::App& app);

// Reads WarningEvents from a JSON-lines file (proto3 JSON, one per line) or,
// for "kafka://host:port/topic", from every partition of a topic up to its
// current end (binary Protobuf, as vigild publishes them).
absl::StatusOr<std::vector<v1::WarningEvent>> ReadWarnings(const std::string& source);

}  // namespace vigil::sim

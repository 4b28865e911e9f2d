#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/sim/topology.h"

namespace vigil::sim {

// Writes the topology as reference data, JSON lines (tools/sim/README.md):
//   {"kind":"province", ...}             one line: totals, seed, scale
//   {"kind":"city", ...}                 one per city
//   {"kind":"county", ...}               one per county
//   {"kind":"area", ...}                 one per transformer area: path, class, customers, tag
//   counts
//   {"kind":"customer", ...}             one per tagged customer, after its area
absl::Status WriteReference(const Topology& topology, const TopologyOptions& options,
                            std::ostream& out);
absl::Status WriteReferenceFile(const Topology& topology, const TopologyOptions& options,
                                const std::string& path);

}  // namespace vigil::sim

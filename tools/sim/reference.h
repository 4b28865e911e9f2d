#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/sim/topology.h"

namespace vigil::sim {

// Writes the topology as reference data: one proto3-JSON `vigil.v1.ReferenceRecord`
// per line (tools/sim/README.md), the format `reference::LoadReferenceFile` reads
// and the reference topic carries:
//   {"area":{...}}       one per transformer area: full region path, class, customers
//   {"customer":{...}}   one per tagged customer, right after its area
// The output depends on the topology only (`options` is not written).
absl::Status WriteReference(const Topology& topology, const TopologyOptions& options,
                            std::ostream& out);
absl::Status WriteReferenceFile(const Topology& topology, const TopologyOptions& options,
                                const std::string& path);

}  // namespace vigil::sim

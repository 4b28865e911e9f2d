#pragma once

#include <string>
#include <vector>

#include "processors/reference/reference_store.h"
#include "processors/rules/rule_spec.h"
#include "vigil/v1/events.pb.h"

namespace vigil::engine {

// One key an event counts for, with the region the key stands for.
struct EventKey {
  std::string key;    // "<level>:<id>", e.g. "area:T0001", "customer:1000012003"
  v1::Region region;  // projected to the key's level (finer fields cleared)
};

// "area", "feeder", ... as used in keys and rule files.
const char* KeyLevelName(rules::KeyLevel level);

// The region `region` projected to `level`: fields below the level cleared.
// Non-region levels (customer, ticket, outage) keep the whole region.
v1::Region ProjectRegion(const v1::Region& region, rules::KeyLevel level);

// The key of a region at a region level ("" when the region lacks that field).
std::string RegionLevelKey(const v1::Region& region, rules::KeyLevel level);

// The keys an event counts for at `level`, sorted by key, without duplicates.
// Tickets and repeat calls have one key (none when the id of the level is
// empty); an outage keyed by area counts for each of its areas and the areas
// of its feeders (reference data), keyed by feeder for each of its feeders
// and the feeders of its areas.
std::vector<EventKey> KeysOf(const v1::Envelope& event, rules::KeyLevel level,
                             const reference::ReferenceStore& ref);

// Region levels ordered fine → coarse (area = 0 ... province = 5); -1 for
// customer / ticket / outage.
int RegionRank(rules::KeyLevel level);

}  // namespace vigil::engine

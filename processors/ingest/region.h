#pragma once

#include <optional>
#include <string>

#include "vigil/v1/events.pb.h"
#include "processors/ingest/rejection.h"

namespace vigil::ingest {

// Checks every region code present for its shape and for consistency between
// levels (county inside city, station needs county, area needs station).
// `require_area` also demands a transformer area.
std::optional<Rejection> CheckRegion(const v1::Region& region, bool require_area);

// Canonical region key "<city>/<county>/<station>/<area>", cut at the deepest
// level present. Assumes CheckRegion passed.
std::string RegionKey(const v1::Region& region);

// True for 1–32 characters of [A-Za-z0-9_-] (station, feeder and area ids).
bool IsGridId(std::string_view id);

}  // namespace vigil::ingest

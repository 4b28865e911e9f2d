#pragma once

// Who owns a warning (Warning.owner_level) and which warnings a command's
// actor may act on (WarningCommand.actor_region).

#include <optional>
#include <string_view>

namespace vigil::lifecycle {

// Dispatch levels, lowest first: 提级管控 moves a warning up, never down.
enum class OwnerLevel { kStation = 0, kCounty = 1, kCity = 2, kProvince = 3 };

// "station", "county", "city", "province" (the Warning.owner_level values).
std::string_view OwnerName(OwnerLevel level);
// The level of one of those names; nullopt for anything else (also "").
std::optional<OwnerLevel> ParseOwnerLevel(std::string_view name);

// True when a warning of `region_key` ("<city>/<county>/<station>/<area>") is
// inside `actor_region`: "" (the province) covers everything, otherwise the
// actor's region must be a whole-segment prefix of the key ("410100" covers
// "410100/410102/S1/A1" and "410100" itself, not "4101001/…"; "410100/"
// covers the same but "410100" itself).
bool InRegion(std::string_view region_key, std::string_view actor_region);

}  // namespace vigil::lifecycle

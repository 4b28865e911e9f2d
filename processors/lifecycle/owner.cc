#include "processors/lifecycle/owner.h"

#include <array>

namespace vigil::lifecycle {
namespace {

constexpr std::array<std::string_view, 4> kOwnerNames = {"station", "county", "city", "province"};

}  // namespace

std::string_view OwnerName(OwnerLevel level) { return kOwnerNames[static_cast<int>(level)]; }

std::optional<OwnerLevel> ParseOwnerLevel(std::string_view name) {
  for (size_t i = 0; i < kOwnerNames.size(); ++i) {
    if (kOwnerNames[i] == name) return static_cast<OwnerLevel>(i);
  }
  return std::nullopt;
}

bool InRegion(std::string_view region_key, std::string_view actor_region) {
  if (actor_region.empty()) return true;
  if (!region_key.starts_with(actor_region)) return false;
  // "410100/" already ends at a segment boundary ("/" alone covers nothing:
  // keys do not start with '/').
  if (actor_region.back() == '/') return true;
  return region_key.size() == actor_region.size() || region_key[actor_region.size()] == '/';
}

}  // namespace vigil::lifecycle

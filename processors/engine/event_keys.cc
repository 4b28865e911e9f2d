#include "processors/engine/event_keys.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace vigil::engine {
namespace {

using rules::KeyLevel;

void AddKey(std::vector<EventKey>* keys, KeyLevel level, const std::string& id,
            const v1::Region& region) {
  if (id.empty()) return;
  keys->push_back({absl::StrCat(KeyLevelName(level), ":", id), ProjectRegion(region, level)});
}

// The region of an area: the reference path when known, else the event's
// region with the area (and, if it is not the event's area, the feeder) set.
v1::Region AreaRegion(const std::string& area_id, const v1::Region& event_region,
                      const reference::ReferenceStore& ref) {
  if (const v1::AreaInfo* a = ref.Area(area_id)) return a->region();
  v1::Region r = event_region;
  if (r.area_id() != area_id) r.clear_feeder_id();
  r.set_area_id(area_id);
  return r;
}

}  // namespace

const char* KeyLevelName(KeyLevel level) {
  switch (level) {
    case KeyLevel::kArea: return "area";
    case KeyLevel::kFeeder: return "feeder";
    case KeyLevel::kStation: return "station";
    case KeyLevel::kCounty: return "county";
    case KeyLevel::kCity: return "city";
    case KeyLevel::kProvince: return "province";
    case KeyLevel::kCustomer: return "customer";
    case KeyLevel::kTicket: return "ticket";
    case KeyLevel::kOutage: return "outage";
  }
  return "?";
}

int RegionRank(KeyLevel level) {
  switch (level) {
    case KeyLevel::kArea: return 0;
    case KeyLevel::kFeeder: return 1;
    case KeyLevel::kStation: return 2;
    case KeyLevel::kCounty: return 3;
    case KeyLevel::kCity: return 4;
    case KeyLevel::kProvince: return 5;
    default: return -1;
  }
}

v1::Region ProjectRegion(const v1::Region& region, KeyLevel level) {
  v1::Region r = region;
  const int rank = RegionRank(level);
  if (rank < 0) return r;
  if (rank >= 1) r.clear_area_id();
  if (rank >= 2) r.clear_feeder_id();
  if (rank >= 3) r.clear_station_id();
  if (rank >= 4) r.clear_county_code();
  if (rank >= 5) r.clear_city_code();
  return r;
}

std::string RegionLevelKey(const v1::Region& region, KeyLevel level) {
  const std::string* id = nullptr;
  switch (level) {
    case KeyLevel::kArea: id = &region.area_id(); break;
    case KeyLevel::kFeeder: id = &region.feeder_id(); break;
    case KeyLevel::kStation: id = &region.station_id(); break;
    case KeyLevel::kCounty: id = &region.county_code(); break;
    case KeyLevel::kCity: id = &region.city_code(); break;
    case KeyLevel::kProvince: id = &region.province_code(); break;
    default: return "";
  }
  if (id->empty()) return "";
  return absl::StrCat(KeyLevelName(level), ":", *id);
}

std::vector<EventKey> KeysOf(const v1::Envelope& event, KeyLevel level,
                             const reference::ReferenceStore& ref) {
  std::vector<EventKey> keys;
  const v1::Region& region = event.region();
  switch (level) {
    case KeyLevel::kCustomer:
      if (event.has_ticket()) AddKey(&keys, level, event.ticket().customer_id(), region);
      if (event.has_repeat_call()) AddKey(&keys, level, event.repeat_call().customer_id(), region);
      return keys;
    case KeyLevel::kTicket:
      if (event.has_ticket()) AddKey(&keys, level, event.ticket().ticket_id(), region);
      if (event.has_repeat_call()) {
        AddKey(&keys, level, event.repeat_call().linked_ticket_id(), region);
      }
      return keys;
    case KeyLevel::kOutage:
      if (event.has_outage()) AddKey(&keys, level, event.outage().outage_id(), region);
      return keys;
    default:
      break;
  }
  if (event.has_outage() && (level == KeyLevel::kArea || level == KeyLevel::kFeeder)) {
    const v1::OutageEvent& o = event.outage();
    std::vector<std::string> areas(o.area_ids().begin(), o.area_ids().end());
    for (const std::string& f : o.feeder_ids()) {
      const auto& fa = ref.AreasOfFeeder(f);
      areas.insert(areas.end(), fa.begin(), fa.end());
    }
    if (o.area_ids().empty() && o.feeder_ids().empty() && !region.area_id().empty()) {
      areas.push_back(region.area_id());
    }
    std::sort(areas.begin(), areas.end());
    areas.erase(std::unique(areas.begin(), areas.end()), areas.end());
    if (level == KeyLevel::kArea) {
      for (const std::string& a : areas) AddKey(&keys, level, a, AreaRegion(a, region, ref));
    } else {
      std::vector<std::pair<std::string, v1::Region>> feeders;
      for (const std::string& f : o.feeder_ids()) {
        v1::Region r = region;
        r.set_feeder_id(f);
        feeders.emplace_back(f, r);
      }
      for (const std::string& a : areas) {
        if (const v1::AreaInfo* info = ref.Area(a)) {
          feeders.emplace_back(info->region().feeder_id(), info->region());
        }
      }
      if (feeders.empty() && !region.feeder_id().empty()) {
        feeders.emplace_back(region.feeder_id(), region);
      }
      std::sort(feeders.begin(), feeders.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      feeders.erase(std::unique(feeders.begin(), feeders.end(),
                                [](const auto& a, const auto& b) { return a.first == b.first; }),
                    feeders.end());
      for (const auto& [f, r] : feeders) AddKey(&keys, level, f, r);
    }
    std::sort(keys.begin(), keys.end(),
              [](const EventKey& a, const EventKey& b) { return a.key < b.key; });
    return keys;
  }
  const std::string k = RegionLevelKey(region, level);
  if (!k.empty()) keys.push_back({k, ProjectRegion(region, level)});
  return keys;
}

}  // namespace vigil::engine

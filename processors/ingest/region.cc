#include "processors/ingest/region.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vigil::ingest {
namespace {

bool IsSixDigits(std::string_view s) {
  if (s.size() != 6) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Rejection Bad(std::string detail) { return {RejectReason::kInvalidRegion, std::move(detail)}; }

}  // namespace

bool IsGridId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::optional<Rejection> CheckRegion(const v1::Region& r, bool require_area) {
  if (r.city_code().empty()) return Rejection{RejectReason::kMissingField, "region.city_code"};
  const std::string& city = r.city_code();
  if (!IsSixDigits(city) || city.substr(4) != "00" || city.substr(2) == "0000") {
    return Bad(absl::StrCat("region.city_code '", city, "' is not a GB/T 2260 city code PPCC00"));
  }
  if (!r.province_code().empty() && r.province_code() != absl::StrCat(city.substr(0, 2), "0000")) {
    return Bad(absl::StrCat("region.province_code '", r.province_code(), "' does not contain city ",
                            city));
  }
  const bool below_county = !r.station_id().empty() || !r.area_id().empty();
  if (r.county_code().empty()) {
    if (below_county || require_area) {
      return Rejection{RejectReason::kMissingField, "region.county_code"};
    }
  } else {
    const std::string& county = r.county_code();
    if (!IsSixDigits(county) || county.substr(0, 4) != city.substr(0, 4) ||
        county.substr(4) == "00") {
      return Bad(absl::StrCat("region.county_code '", county, "' is not a county of city ", city));
    }
  }
  if (!r.station_id().empty() && !IsGridId(r.station_id())) {
    return Bad(absl::StrCat("region.station_id '", r.station_id(), "' is not 1-32 of [A-Za-z0-9_-]"));
  }
  if (!r.feeder_id().empty() && !IsGridId(r.feeder_id())) {
    return Bad(absl::StrCat("region.feeder_id '", r.feeder_id(), "' is not 1-32 of [A-Za-z0-9_-]"));
  }
  if (!r.area_id().empty()) {
    if (r.station_id().empty()) return Rejection{RejectReason::kMissingField, "region.station_id"};
    if (!IsGridId(r.area_id())) {
      return Bad(absl::StrCat("region.area_id '", r.area_id(), "' is not 1-32 of [A-Za-z0-9_-]"));
    }
  } else if (require_area) {
    return Rejection{RejectReason::kMissingField, "region.area_id"};
  }
  return std::nullopt;
}

std::string RegionKey(const v1::Region& r) {
  std::string key = r.city_code();
  if (r.county_code().empty()) return key;
  absl::StrAppend(&key, "/", r.county_code());
  if (r.station_id().empty()) return key;
  absl::StrAppend(&key, "/", r.station_id());
  if (r.area_id().empty()) return key;
  absl::StrAppend(&key, "/", r.area_id());
  return key;
}

}  // namespace vigil::ingest

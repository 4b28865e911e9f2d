#include "tools/sim/reference.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace vigil::sim {
namespace {

const char* CountyTypeName(CountyType t) {
  switch (t) {
    case CountyType::kDistrict:
      return "district";
    case CountyType::kCounty:
      return "county";
    case CountyType::kCountyCity:
      return "county_city";
  }
  return "?";
}

const char* LevelName(uint8_t level) {
  return level == 0 ? "special" : level == 1 ? "first" : "second";
}

}  // namespace

absl::Status WriteReference(const Topology& t, const TopologyOptions& options, std::ostream& out) {
  using json = nlohmann::ordered_json;
  {
    json j;
    j["kind"] = "province";
    j["province_code"] = "370000";
    j["seed"] = options.seed;
    j["scale"] = options.scale;
    j["cities"] = t.cities().size();
    j["counties"] = t.counties().size();
    j["stations"] = t.stations().size();
    j["feeders"] = t.feeders().size();
    j["areas"] = t.areas().size();
    j["customers"] = t.customers();
    j["tagged_customers"] = t.tagged().size();
    out << j.dump() << "\n";
  }
  for (uint32_t c = 0; c < t.cities().size(); ++c) {
    const City& city = t.cities()[c];
    json j;
    j["kind"] = "city";
    j["city_code"] = t.CityCode(c);
    j["coastal"] = city.coastal;
    j["counties"] = city.counties;
    j["areas"] = city.areas;
    j["customers"] = city.customers;
    out << j.dump() << "\n";
  }
  for (uint32_t c = 0; c < t.counties().size(); ++c) {
    const County& county = t.counties()[c];
    json j;
    j["kind"] = "county";
    j["city_code"] = t.CityCode(county.city);
    j["county_code"] = t.CountyCode(c);
    j["type"] = CountyTypeName(county.type);
    j["stations"] = county.stations;
    j["areas"] = county.areas;
    j["customers"] = county.customers;
    out << j.dump() << "\n";
  }
  // Areas and customers are most of the file (a full province has ~300 k
  // areas and ~600 k tagged customers): formatted directly, not through a
  // JSON object per line. Every value is a number or an id of [A-Za-z0-9_-/],
  // so nothing needs escaping.
  std::string line;
  for (uint32_t a = 0; a < t.areas().size(); ++a) {
    const Area& area = t.areas()[a];
    const Feeder& feeder = t.feeders()[area.feeder];
    const uint32_t county = t.CountyOfArea(a);
    int important = 0, sensitive = 0, tendency = 0;
    for (uint32_t i = 0; i < area.tagged; ++i) {
      const uint8_t tags = t.tagged()[area.first_tagged + i].tags;
      important += (tags & kImportant) != 0;
      sensitive += (tags & kSensitive) != 0;
      tendency += (tags & kTendency12398) != 0;
    }
    const std::string key = t.AreaKey(a);
    const std::string area_id = t.AreaId(a);
    line.clear();
    absl::StrAppend(&line, "{\"kind\":\"area\",\"region_key\":\"", key, "\",\"city_code\":\"",
                    t.CityCode(t.counties()[county].city), "\",\"county_code\":\"",
                    t.CountyCode(county), "\",\"station_id\":\"", t.StationId(feeder.station),
                    "\",\"feeder_id\":\"", t.FeederId(area.feeder), "\",\"area_id\":\"", area_id,
                    "\",\"class\":\"", AreaClassName(area.cls),
                    "\",\"customers\":", area.customers);
    absl::StrAppend(&line, ",\"important\":", important, ",\"sensitive\":", sensitive,
                    ",\"tendency_12398\":", tendency,
                    ",\"dedicated_feeder\":", feeder.dedicated ? "true" : "false", "}\n");
    for (uint32_t i = 0; i < area.tagged; ++i) {
      const TaggedCustomer& c = t.tagged()[area.first_tagged + i];
      absl::StrAppend(&line, "{\"kind\":\"customer\",\"customer_id\":\"", t.CustomerId(a, c.slot),
                      "\",\"region_key\":\"", key, "\",\"area_id\":\"", area_id, "\",\"tags\":[");
      const char* sep = "";
      for (const auto& [bit, name] :
           {std::pair<uint8_t, const char*>{kImportant, "IMPORTANT_CUSTOMER"},
            {kSensitive, "SENSITIVE"},
            {kTendency12398, "TENDENCY_12398"}}) {
        if (c.tags & bit) {
          absl::StrAppend(&line, sep, "\"", name, "\"");
          sep = ",";
        }
      }
      absl::StrAppend(&line, "]");
      if (c.tags & kImportant) {
        absl::StrAppend(&line, ",\"important_level\":\"", LevelName(c.important_level), "\"");
      }
      absl::StrAppend(&line, "}\n");
    }
    out << line;
  }
  if (!out) return absl::DataLossError("writing the reference data failed");
  return absl::OkStatus();
}

absl::Status WriteReferenceFile(const Topology& t, const TopologyOptions& options,
                                const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::NotFoundError(absl::StrCat(path, ": cannot open for writing"));
  absl::Status s = WriteReference(t, options, out);
  out.close();
  if (s.ok() && !out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return s;
}

}  // namespace vigil::sim

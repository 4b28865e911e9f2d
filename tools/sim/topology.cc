#include "tools/sim/topology.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::sim {
namespace {

constexpr int kProvince = 37;
// County customers at full scale: ~52 M over ~150 counties (mean of the
// lognormal jitter and the district factor included).
constexpr double kCountyCustomers = 290000;
// Supply-station size by county kind (urban stations are larger).
constexpr double kStationCustomers[] = {60000, 32000, 40000};
// Important-customer rates: dedicated feeders vs the rest (~0.2 % overall).
constexpr double kImportantDedicated = 0.03;
constexpr double kImportantOther = 0.0006;
constexpr double kSensitiveRate = 0.0075;
constexpr double kTendencyRate = 0.001;
constexpr int kCoastalCities[] = {2, 5, 6, 7, 10, 11, 16};

// Area-class probabilities {urban, rural, remote} of a station.
std::array<double, 3> StationMix(CountyType type, int station_seq) {
  switch (type) {
    case CountyType::kDistrict:
      return {0.9, 0.1, 0.0};
    case CountyType::kCounty:
      return station_seq == 1 ? std::array<double, 3>{0.6, 0.4, 0.0}
                              : std::array<double, 3>{0.0, 0.8, 0.2};
    case CountyType::kCountyCity:
      return station_seq <= 2 ? std::array<double, 3>{0.7, 0.3, 0.0}
                              : std::array<double, 3>{0.0, 0.85, 0.15};
  }
  return {0.0, 1.0, 0.0};
}

uint16_t AreaCustomers(Rng& rng, AreaClass cls) {
  switch (cls) {
    case AreaClass::kUrban:
      return static_cast<uint16_t>(rng.UniformInt(150, 600));
    case AreaClass::kRural:
      return static_cast<uint16_t>(rng.UniformInt(50, 300));
    case AreaClass::kRemote:
      return static_cast<uint16_t>(rng.UniformInt(30, 120));
  }
  return 100;
}

}  // namespace

const char* AreaClassName(AreaClass c) {
  switch (c) {
    case AreaClass::kUrban:
      return "urban";
    case AreaClass::kRural:
      return "rural";
    case AreaClass::kRemote:
      return "remote";
  }
  return "?";
}

Topology Topology::Build(const TopologyOptions& o) {
  Topology t;
  Rng rng = Rng::Stream(o.seed, "topology");
  const int n_cities =
      o.cities > 0 ? std::min(o.cities, 16) : static_cast<int>(rng.UniformInt(12, 16));
  const double scale = std::max(o.scale, 1e-6);
  for (int ci = 1; ci <= n_cities; ++ci) {
    City city{};
    city.code = kProvince * 10000 + ci * 100;
    city.coastal = std::find(std::begin(kCoastalCities), std::end(kCoastalCities), ci) !=
                   std::end(kCoastalCities);
    city.first_county = static_cast<uint32_t>(t.counties_.size());
    city.first_area = static_cast<uint32_t>(t.areas_.size());
    const int n_counties = ci == 1 ? 14 : static_cast<int>(rng.UniformInt(8, 14));
    const int districts = ci == 1 ? 6 : static_cast<int>(rng.UniformInt(2, 5));
    const int county_cities = static_cast<int>(rng.UniformInt(0, 3));
    const int plain = std::max(1, n_counties - districts - county_cities);
    std::vector<std::pair<int, CountyType>> kinds;
    for (int i = 0; i < districts; ++i) kinds.push_back({2 + i, CountyType::kDistrict});
    for (int i = 0; i < plain; ++i) kinds.push_back({21 + i, CountyType::kCounty});
    for (int i = 0; i < county_cities; ++i) kinds.push_back({81 + i, CountyType::kCountyCity});
    const uint32_t city_index = static_cast<uint32_t>(t.cities_.size());
    for (const auto& [suffix, type] : kinds) {
      County county{};
      county.city = city_index;
      county.code = city.code + suffix;
      county.type = type;
      county.first_station = static_cast<uint32_t>(t.stations_.size());
      county.first_area = static_cast<uint32_t>(t.areas_.size());
      const double target = kCountyCustomers * rng.LogNormal(1.0, 0.35) *
                            (type == CountyType::kDistrict ? 1.2 : 1.0) * scale;
      const double station_size = kStationCustomers[static_cast<int>(type)];
      const int n_stations = std::max(1, static_cast<int>(std::lround(target / station_size)));
      const double per_station = target / n_stations;
      uint16_t feeder_seq = 0;
      const uint32_t county_index = static_cast<uint32_t>(t.counties_.size());
      for (int si = 1; si <= n_stations; ++si) {
        Station st{};
        st.county = county_index;
        st.seq = static_cast<uint16_t>(si);
        st.first_feeder = static_cast<uint32_t>(t.feeders_.size());
        const std::array<double, 3> mix = StationMix(type, si);
        const std::vector<double> mix_v(mix.begin(), mix.end());
        const uint32_t station_index = static_cast<uint32_t>(t.stations_.size());
        while (st.customers < per_station || st.feeders == 0) {
          if (feeder_seq == 999) break;
          Feeder f{};
          f.station = station_index;
          f.seq = ++feeder_seq;
          f.first_area = static_cast<uint32_t>(t.areas_.size());
          // One feeder in each station of 4+ feeders serves the important customers.
          f.dedicated = st.feeders == 3;
          const int n_areas = static_cast<int>(rng.UniformInt(
              type == CountyType::kDistrict ? 4 : 5, type == CountyType::kDistrict ? 10 : 15));
          for (int ai = 1; ai <= n_areas; ++ai) {
            Area a{};
            a.feeder = static_cast<uint32_t>(t.feeders_.size());
            a.seq = static_cast<uint16_t>(ai);
            a.cls = static_cast<AreaClass>(rng.Choose(mix_v));
            a.customers = AreaCustomers(rng, a.cls);
            a.proneness = static_cast<float>(rng.LogNormal(std::exp(-0.125), 0.5));
            a.first_tagged = static_cast<uint32_t>(t.tagged_.size());
            // Tagged customers: important (clustered on the dedicated feeder),
            // sensitive and 12398-tendency (more where outages are frequent).
            const double prone = a.proneness * (a.cls == AreaClass::kUrban ? 0.8 : 1.3);
            std::map<uint16_t, TaggedCustomer> tags;
            auto tag = [&](int64_t count, uint8_t bit) {
              for (int64_t k = 0; k < count; ++k) {
                const auto slot = static_cast<uint16_t>(rng.UniformInt(0, a.customers - 1));
                TaggedCustomer& c = tags[slot];
                c.area = static_cast<uint32_t>(t.areas_.size());
                c.slot = slot;
                if (bit == kImportant && !(c.tags & kImportant)) {
                  const double u = rng.Uniform();
                  c.important_level = u < 0.05 ? 0 : u < 0.40 ? 1 : 2;
                }
                c.tags |= bit;
              }
            };
            tag(rng.Binomial(a.customers, f.dedicated ? kImportantDedicated : kImportantOther),
                kImportant);
            tag(rng.Binomial(a.customers, std::min(0.5, kSensitiveRate * prone)), kSensitive);
            tag(rng.Binomial(a.customers, std::min(0.5, kTendencyRate * prone)), kTendency12398);
            for (const auto& [slot, c] : tags) t.tagged_.push_back(c);
            a.tagged = static_cast<uint16_t>(t.tagged_.size() - a.first_tagged);
            f.customers += a.customers;
            t.areas_.push_back(a);
            ++f.areas;
          }
          st.customers += f.customers;
          ++st.feeders;
          t.feeders_.push_back(f);
        }
        county.customers += st.customers;
        ++county.stations;
        t.stations_.push_back(st);
      }
      county.areas = static_cast<uint32_t>(t.areas_.size()) - county.first_area;
      city.customers += county.customers;
      ++city.counties;
      t.counties_.push_back(county);
    }
    city.areas = static_cast<uint32_t>(t.areas_.size()) - city.first_area;
    t.customers_ += city.customers;
    t.cities_.push_back(city);
  }
  t.customer_cum_.reserve(t.areas_.size());
  double sum = 0;
  for (const Area& a : t.areas_) {
    sum += a.customers;
    t.customer_cum_.push_back(sum);
  }
  return t;
}

int Topology::CityIndex(int city_code) const {
  for (size_t i = 0; i < cities_.size(); ++i) {
    if (cities_[i].code == city_code) return static_cast<int>(i);
  }
  return -1;
}

std::string Topology::CityCode(uint32_t city) const { return absl::StrCat(cities_[city].code); }

std::string Topology::CountyCode(uint32_t county) const {
  return absl::StrCat(counties_[county].code);
}

std::string Topology::StationId(uint32_t station) const {
  const Station& s = stations_[station];
  return absl::StrFormat("%d%02d", counties_[s.county].code, s.seq);
}

std::string Topology::FeederId(uint32_t feeder) const {
  const Feeder& f = feeders_[feeder];
  return absl::StrFormat("L%d%03d", counties_[stations_[f.station].county].code, f.seq);
}

std::string Topology::AreaId(uint32_t area) const {
  const Area& a = areas_[area];
  return absl::StrFormat("T%s%03d", FeederId(a.feeder), a.seq);
}

std::string Topology::CustomerId(uint32_t area, uint32_t slot) const {
  return absl::StrFormat("%010d", 1000000000LL + static_cast<int64_t>(area) * 1000 + slot);
}

void Topology::FillAreaRegion(uint32_t area, v1::Region* r) const {
  FillFeederRegion(areas_[area].feeder, r);
  r->set_area_id(AreaId(area));
}

void Topology::FillFeederRegion(uint32_t feeder, v1::Region* r) const {
  const uint32_t station = feeders_[feeder].station;
  const uint32_t county = stations_[station].county;
  r->set_province_code(absl::StrCat(kProvince, "0000"));
  r->set_city_code(CityCode(counties_[county].city));
  r->set_county_code(CountyCode(county));
  r->set_station_id(StationId(station));
  r->set_feeder_id(FeederId(feeder));
}

std::string Topology::AreaKey(uint32_t area) const {
  const uint32_t station = StationOfArea(area);
  const uint32_t county = stations_[station].county;
  return absl::StrCat(CityCode(counties_[county].city), "/", CountyCode(county), "/",
                      StationId(station), "/", AreaId(area));
}

std::string Topology::CountyKey(uint32_t county) const {
  return absl::StrCat(CityCode(counties_[county].city), "/", CountyCode(county));
}

uint8_t Topology::TagsOf(uint32_t area, uint32_t slot, uint8_t* important_level) const {
  const Area& a = areas_[area];
  const auto begin = tagged_.begin() + a.first_tagged;
  const auto end = begin + a.tagged;
  const auto it = std::lower_bound(begin, end, slot,
                                   [](const TaggedCustomer& c, uint32_t s) { return c.slot < s; });
  if (it == end || it->slot != slot) return 0;
  if (important_level) *important_level = it->important_level;
  return it->tags;
}

uint32_t Topology::SampleArea(Rng& rng, uint32_t first, uint32_t count) const {
  const double lo = first == 0 ? 0.0 : customer_cum_[first - 1];
  const double hi = customer_cum_[first + count - 1];
  const double u = lo + rng.Uniform() * (hi - lo);
  const auto begin = customer_cum_.begin() + first;
  const auto end = begin + count;
  const auto it = std::upper_bound(begin, end, u);
  return std::min(first + count - 1, static_cast<uint32_t>(it - customer_cum_.begin()));
}

uint32_t Topology::SampleAreaInCity(Rng& rng, uint32_t city) const {
  return SampleArea(rng, cities_[city].first_area, cities_[city].areas);
}

uint32_t Topology::SampleAreaInCounty(Rng& rng, uint32_t county) const {
  return SampleArea(rng, counties_[county].first_area, counties_[county].areas);
}

}  // namespace vigil::sim

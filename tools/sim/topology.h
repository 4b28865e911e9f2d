#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/sim/rng.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// Area class of a transformer area (drives arrival and restore commitments).
enum class AreaClass : uint8_t { kUrban = 0, kRural = 1, kRemote = 2 };
const char* AreaClassName(AreaClass c);

// GB/T 2260 county kinds: 01–18 districts, 21–80 counties, 81–99 county-level cities.
enum class CountyType : uint8_t { kDistrict, kCounty, kCountyCity };

// Customer tags (bit flags).
enum CustomerTag : uint8_t { kImportant = 1, kSensitive = 2, kTendency12398 = 4 };

struct TaggedCustomer {
  uint32_t area;
  uint16_t slot;            // customer number within the area
  uint8_t tags;             // CustomerTag bits
  uint8_t important_level;  // 0 特级, 1 一级, 2 二级 (when kImportant)
};

struct Area {
  uint32_t feeder;
  uint16_t seq;  // 1-based within the feeder
  uint16_t customers;
  AreaClass cls;
  float proneness;  // outage proneness (mean 1); tags correlate with it
  uint32_t first_tagged;
  uint16_t tagged;
};

struct Feeder {
  uint32_t station;
  uint16_t seq;    // 1-based within the county
  bool dedicated;  // serves important customers
  uint32_t first_area;
  uint32_t areas;
  uint32_t customers;
};

struct Station {
  uint32_t county;
  uint16_t seq;  // 1-based within the county
  uint32_t first_feeder;
  uint32_t feeders;
  uint32_t customers;
};

struct County {
  uint32_t city;
  int code;  // six digits
  CountyType type;
  uint32_t first_station;
  uint32_t stations;
  uint32_t first_area;
  uint32_t areas;
  uint64_t customers;
};

struct City {
  int code;  // six digits, PPCC00
  bool coastal;
  uint32_t first_county;
  uint32_t counties;
  uint32_t first_area;
  uint32_t areas;
  uint64_t customers;
};

struct TopologyOptions {
  uint64_t seed = 1;
  // Share of a full province (~52 M customers, Shandong-sized). Area sizes
  // stay realistic; stations and feeders are fewer. Each county keeps at
  // least one station with one feeder.
  double scale = 1.0;
  // Number of cities (1–16); 0: 12–16 drawn from the seed.
  int cities = 0;
};

// A synthetic province 370000 (§3.1): cities › counties › supply stations ›
// feeders › transformer areas, with customer counts, area classes and tagged
// customers. Untagged customers are not stored: an area's customers are
// numbers 0..customers-1 and their ids are derived from (area, number).
//
// Ids (all pass vigil's validator): station "{county6}{seq2}", feeder
// "L{county6}{seq3}", area "T{feeder}{seq3}", customer 10 digits.
class Topology {
 public:
  static Topology Build(const TopologyOptions& options);

  const std::vector<City>& cities() const { return cities_; }
  const std::vector<County>& counties() const { return counties_; }
  const std::vector<Station>& stations() const { return stations_; }
  const std::vector<Feeder>& feeders() const { return feeders_; }
  const std::vector<Area>& areas() const { return areas_; }
  const std::vector<TaggedCustomer>& tagged() const { return tagged_; }
  uint64_t customers() const { return customers_; }

  uint32_t CountyOfArea(uint32_t area) const { return stations_[StationOfArea(area)].county; }
  uint32_t StationOfArea(uint32_t area) const { return feeders_[areas_[area].feeder].station; }
  uint32_t CityOfArea(uint32_t area) const { return counties_[CountyOfArea(area)].city; }
  int CityIndex(int city_code) const;  // -1 when absent

  std::string CityCode(uint32_t city) const;
  std::string CountyCode(uint32_t county) const;
  std::string StationId(uint32_t station) const;
  std::string FeederId(uint32_t feeder) const;
  std::string AreaId(uint32_t area) const;
  std::string CustomerId(uint32_t area, uint32_t slot) const;

  // Full region of an area (province … area, with its feeder).
  void FillAreaRegion(uint32_t area, v1::Region* region) const;
  // Region down to the station with the feeder id (no area).
  void FillFeederRegion(uint32_t feeder, v1::Region* region) const;
  // "<city>/<county>/<station>/<area>", as ingest::RegionKey.
  std::string AreaKey(uint32_t area) const;
  std::string CountyKey(uint32_t county) const;

  // Tags of customer `slot` of `area` (0 when untagged), and its level.
  uint8_t TagsOf(uint32_t area, uint32_t slot, uint8_t* important_level = nullptr) const;

  // An area of the city / county, with probability proportional to customers.
  uint32_t SampleAreaInCity(Rng& rng, uint32_t city) const;
  uint32_t SampleAreaInCounty(Rng& rng, uint32_t county) const;

 private:
  uint32_t SampleArea(Rng& rng, uint32_t first, uint32_t count) const;

  std::vector<City> cities_;
  std::vector<County> counties_;
  std::vector<Station> stations_;
  std::vector<Feeder> feeders_;
  std::vector<Area> areas_;
  std::vector<TaggedCustomer> tagged_;
  std::vector<double> customer_cum_;  // prefix sum of customers over areas
  uint64_t customers_ = 0;
};

}  // namespace vigil::sim

#include "processors/ingest/region.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/printers.h"

namespace vigil::ingest {
namespace {

v1::Region MakeRegion(const std::string& city, const std::string& county,
                      const std::string& station, const std::string& area) {
  v1::Region r;
  r.set_city_code(city);
  r.set_county_code(county);
  r.set_station_id(station);
  r.set_area_id(area);
  return r;
}

// The region key is cut at the deepest level present; province and feeder are not part of it.
TEST(RegionKeyTest, CutAtDeepestLevel) {
  EXPECT_EQ(RegionKey(MakeRegion("370100", "", "", "")), "370100");
  EXPECT_EQ(RegionKey(MakeRegion("370100", "370102", "", "")), "370100/370102");
  EXPECT_EQ(RegionKey(MakeRegion("370100", "370102", "S01", "")), "370100/370102/S01");
  v1::Region full = MakeRegion("370100", "370102", "S01", "T0001");
  full.set_province_code("370000");
  full.set_feeder_id("F1");
  EXPECT_EQ(RegionKey(full), "370100/370102/S01/T0001");
}

// Grid ids are 1-32 characters of [A-Za-z0-9_-].
TEST(RegionTest, IsGridId) {
  EXPECT_TRUE(IsGridId("a"));
  EXPECT_TRUE(IsGridId("Az09_-"));
  EXPECT_TRUE(IsGridId(std::string(32, 'x')));
  EXPECT_FALSE(IsGridId(""));
  EXPECT_FALSE(IsGridId(std::string(33, 'x')));
  EXPECT_FALSE(IsGridId("a.b"));
  EXPECT_FALSE(IsGridId("a b"));
  EXPECT_FALSE(IsGridId("a/b"));
  EXPECT_FALSE(IsGridId(std::string("a\0b", 3)));
  EXPECT_FALSE(IsGridId("台区"));
}

// A complete region passes; each level is optional below the city unless an area is required.
TEST(RegionTest, CheckRegionLevels) {
  EXPECT_EQ(CheckRegion(MakeRegion("370100", "370102", "S01", "T1"), true), std::nullopt);
  EXPECT_EQ(CheckRegion(MakeRegion("370100", "", "", ""), false), std::nullopt);
  EXPECT_EQ(CheckRegion(MakeRegion("370100", "370102", "", ""), false), std::nullopt);
  const auto r = CheckRegion(MakeRegion("370100", "", "", ""), true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reason, RejectReason::kMissingField);
  EXPECT_EQ(r->detail, "region.county_code");
}

}  // namespace
}  // namespace vigil::ingest

#include "processors/lifecycle/owner.h"

#include <gtest/gtest.h>

namespace vigil::lifecycle {
namespace {

// The province ("") covers every region, including a province-level warning.
TEST(InRegionTest, ProvinceCoversEverything) {
  EXPECT_TRUE(InRegion("410100/410102/S1/A1", ""));
  EXPECT_TRUE(InRegion("", ""));
}

// A city or county covers its own keys and everything below them.
TEST(InRegionTest, WholeSegmentPrefixCovers) {
  EXPECT_TRUE(InRegion("410100/410102/S1/A1", "410100"));
  EXPECT_TRUE(InRegion("410100/410102/S1/A1", "410100/410102"));
  EXPECT_TRUE(InRegion("410100/410102/S1/A1", "410100/410102/S1/A1"));
  EXPECT_TRUE(InRegion("410100", "410100"));
  EXPECT_TRUE(InRegion("410100/410102", "410100/"));
}

// A prefix that ends inside a segment does not cover: 410100 is not 4101001.
TEST(InRegionTest, PartialSegmentDoesNotCover) {
  EXPECT_FALSE(InRegion("4101001/410102/S1/A1", "410100"));
  EXPECT_FALSE(InRegion("410100/4101021/S1", "410100/410102"));
  EXPECT_FALSE(InRegion("410100/410102/S10/A1", "410100/410102/S1"));
  EXPECT_FALSE(InRegion("410100/410102", "41010"));
}

// Other regions, a finer actor and a province-level warning are outside.
TEST(InRegionTest, OutsideRegions) {
  EXPECT_FALSE(InRegion("410200/410202/S1/A1", "410100"));
  EXPECT_FALSE(InRegion("410100", "410100/410102"));
  EXPECT_FALSE(InRegion("", "410100"));
  EXPECT_FALSE(InRegion("410100/410102", "/"));
}

// Owner names round-trip; anything else is not a level.
TEST(OwnerLevelTest, NamesRoundTrip) {
  for (OwnerLevel l :
       {OwnerLevel::kStation, OwnerLevel::kCounty, OwnerLevel::kCity, OwnerLevel::kProvince}) {
    EXPECT_EQ(ParseOwnerLevel(OwnerName(l)), l);
  }
  EXPECT_EQ(OwnerName(OwnerLevel::kCity), "city");
  EXPECT_EQ(ParseOwnerLevel(""), std::nullopt);
  EXPECT_EQ(ParseOwnerLevel("Province"), std::nullopt);
  EXPECT_LT(OwnerLevel::kStation, OwnerLevel::kCounty);
  EXPECT_LT(OwnerLevel::kCity, OwnerLevel::kProvince);
}

}  // namespace
}  // namespace vigil::lifecycle

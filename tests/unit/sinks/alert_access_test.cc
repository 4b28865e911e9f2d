#include <gtest/gtest.h>

#include "processors/sinks/alerts/access.h"

namespace vigil::alerts {
namespace {

Unit Jinan() { return Unit{"jinan", false, {"370100", "370300/370302"}, "t"}; }
Unit Province() { return Unit{"province", true, {}, "p"}; }

TEST(AlertAccessTest, AUnitSeesWholeSegmentsOfItsRegionsOnly) {
  EXPECT_TRUE(AccessPolicy::Sees(Jinan(), "370100/370102/S1/A1"));
  EXPECT_TRUE(AccessPolicy::Sees(Jinan(), "370300/370302/S9/A9"));
  EXPECT_FALSE(AccessPolicy::Sees(Jinan(), "370300/370303/S9/A9"));
  EXPECT_FALSE(AccessPolicy::Sees(Jinan(), "3701001/x/y/z"));  // not a whole segment
  EXPECT_FALSE(AccessPolicy::Sees(Jinan(), "370200/370202/S1/A1"));
  EXPECT_TRUE(AccessPolicy::Sees(Province(), "370200/370202/S1/A1"));
}

TEST(AlertAccessTest, AUnitActsInTheRegionThatCoversTheWarning) {
  EXPECT_EQ(AccessPolicy::ActingRegion(Jinan(), "370300/370302/S9/A9"), "370300/370302");
  EXPECT_EQ(AccessPolicy::ActingRegion(Jinan(), "370200/370202/S1/A1"), std::nullopt);
  EXPECT_EQ(AccessPolicy::ActingRegion(Province(), "370200/370202/S1/A1"), "");
}

TEST(AlertAccessTest, ARequestedPrefixMustOverlapTheUnitsRegions) {
  EXPECT_TRUE(AccessPolicy::Overlaps(Jinan(), ""));
  EXPECT_TRUE(AccessPolicy::Overlaps(Jinan(), "370100/370102"));  // narrower
  EXPECT_TRUE(AccessPolicy::Overlaps(Jinan(), "370300"));         // wider, contains one
  EXPECT_FALSE(AccessPolicy::Overlaps(Jinan(), "370200"));
  EXPECT_TRUE(AccessPolicy::Overlaps(Province(), "370200"));
}

}  // namespace
}  // namespace vigil::alerts

// The synthetic province (§3.1): codes, ids that pass vigil's validator, scale
// and tag rates, and the reference-data file.
#include "tools/sim/topology.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "processors/ingest/region.h"
#include "tools/sim/reference.h"
#include "vigil/v1/reference.pb.h"

namespace vigil::sim {
namespace {

TEST(Topology, ProvinceShapeAndValidIds) {
  TopologyOptions o;
  o.seed = 3;
  o.scale = 0.05;
  const Topology t = Topology::Build(o);
  EXPECT_GE(t.cities().size(), 12u);
  EXPECT_LE(t.cities().size(), 16u);
  std::set<std::string> area_ids, station_ids, feeder_ids;
  for (uint32_t c = 0; c < t.counties().size(); ++c) {
    const County& county = t.counties()[c];
    EXPECT_GE(county.stations, 1u);
    const int suffix = county.code % 100;
    EXPECT_TRUE((suffix >= 1 && suffix <= 18) || (suffix >= 21 && suffix <= 80) || suffix >= 81);
  }
  for (uint32_t a = 0; a < t.areas().size(); a += 7) {
    v1::Region r;
    t.FillAreaRegion(a, &r);
    EXPECT_FALSE(ingest::CheckRegion(r, /*require_area=*/true)) << r.ShortDebugString();
    EXPECT_EQ(ingest::RegionKey(r), t.AreaKey(a));
    EXPECT_TRUE(area_ids.insert(r.area_id()).second) << r.area_id();
    EXPECT_EQ(t.CustomerId(a, 5).size(), 10u);
  }
  for (const City& c : t.cities()) EXPECT_EQ(c.code % 100, 0);
  // ~52 M customers at full scale.
  EXPECT_GT(t.customers(), 0.05 * 52e6 * 0.6);
  EXPECT_LT(t.customers(), 0.05 * 52e6 * 1.5);
}

TEST(Topology, TagRatesAndLookups) {
  TopologyOptions o;
  o.seed = 5;
  o.scale = 0.1;
  o.cities = 4;
  const Topology t = Topology::Build(o);
  ASSERT_EQ(t.cities().size(), 4u);
  double important = 0, sensitive = 0, tendency = 0;
  for (const TaggedCustomer& c : t.tagged()) {
    important += (c.tags & kImportant) != 0;
    sensitive += (c.tags & kSensitive) != 0;
    tendency += (c.tags & kTendency12398) != 0;
    EXPECT_EQ(t.TagsOf(c.area, c.slot), c.tags);
  }
  const double n = static_cast<double>(t.customers());
  EXPECT_NEAR(important / n, 0.002, 0.001);     // §3.1: 0.1–0.3 %
  EXPECT_NEAR(sensitive / n, 0.0075, 0.0025);   // 0.5–1 %
  EXPECT_NEAR(tendency / n, 0.00125, 0.00075);  // 0.05–0.2 %
}

TEST(Topology, ScaleAndCitiesOptions) {
  TopologyOptions small;
  small.seed = 1;
  small.scale = 0.01;
  small.cities = 2;
  TopologyOptions large = small;
  large.scale = 0.1;
  const Topology a = Topology::Build(small);
  const Topology b = Topology::Build(large);
  EXPECT_EQ(a.cities().size(), 2u);
  EXPECT_GT(b.customers(), 4 * a.customers());
}

// One vigil.v1.ReferenceRecord per line: each area (full region path, class,
// customers) followed by its tagged customers, matching the topology.
TEST(Reference, OneRecordPerAreaAndTaggedCustomer) {
  TopologyOptions o;
  o.seed = 2;
  o.scale = 0.01;
  o.cities = 2;
  const Topology t = Topology::Build(o);
  std::ostringstream out;
  ASSERT_TRUE(WriteReference(t, o, out).ok());
  std::istringstream in(out.str());
  std::string line;
  // urban / rural / remote and 特级 / 一级 / 二级, in the simulator's order.
  const v1::AreaClass kClass[] = {v1::URBAN, v1::RURAL, v1::REMOTE};
  const v1::ImportantLevel kLevel[] = {v1::SPECIAL, v1::FIRST, v1::SECOND};
  size_t lines = 0, tagged = 0;
  uint32_t area = 0;
  uint64_t customers = 0;
  v1::ReferenceRecord record;
  while (std::getline(in, line)) {
    ++lines;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &record).ok()) << line;
    if (record.has_area()) {
      ASSERT_LT(area, t.areas().size());
      v1::Region want;
      t.FillAreaRegion(area, &want);
      EXPECT_EQ(record.area().region().SerializeAsString(), want.SerializeAsString()) << line;
      EXPECT_EQ(record.area().region().province_code(), "370000");
      EXPECT_EQ(record.area().area_class(), kClass[static_cast<int>(t.areas()[area].cls)]);
      EXPECT_EQ(record.area().customers(), t.areas()[area].customers);
      customers += record.area().customers();
      tagged = 0;
      ++area;
    } else {
      ASSERT_TRUE(record.has_customer()) << line;
      ASSERT_GT(area, 0u) << "customer before any area";
      const Area& a = t.areas()[area - 1];
      ASSERT_LT(tagged, a.tagged);
      const TaggedCustomer& c = t.tagged()[a.first_tagged + tagged++];
      const v1::CustomerInfo& info = record.customer();
      EXPECT_EQ(info.customer_id(), t.CustomerId(area - 1, c.slot));
      EXPECT_EQ(info.area_id(), t.AreaId(area - 1));
      EXPECT_EQ(info.sensitive(), (c.tags & kSensitive) != 0);
      EXPECT_EQ(info.tendency_12398(), (c.tags & kTendency12398) != 0);
      EXPECT_EQ(info.important_level(), (c.tags & kImportant) ? kLevel[c.important_level]
                                                              : v1::IMPORTANT_LEVEL_UNSPECIFIED);
    }
  }
  EXPECT_EQ(area, t.areas().size());
  EXPECT_EQ(customers, t.customers());
  EXPECT_EQ(lines, t.areas().size() + t.tagged().size());
}

// The same seed and options give byte-identical reference files.
TEST(Reference, SameSeedGivesIdenticalBytes) {
  TopologyOptions o;
  o.seed = 6;
  o.scale = 0.01;
  o.cities = 2;
  std::ostringstream a, b;
  ASSERT_TRUE(WriteReference(Topology::Build(o), o, a).ok());
  ASSERT_TRUE(WriteReference(Topology::Build(o), o, b).ok());
  EXPECT_FALSE(a.str().empty());
  EXPECT_EQ(a.str(), b.str());
}

}  // namespace
}  // namespace vigil::sim

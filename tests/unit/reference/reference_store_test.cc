#include "processors/reference/reference_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/util/json_util.h"
#include "processors/reference/record_json.h"
#include "tools/sim/reference.h"
#include "tools/sim/topology.h"

namespace vigil::reference {
namespace {

using v1::Ticket;
using Tags = std::vector<Ticket::Tag>;

// An area record on feeder `feeder` of station `station` in county `county`
// (city and province derived from the county code).
v1::ReferenceRecord AreaRecord(const std::string& area, const std::string& feeder,
                               const std::string& station, const std::string& county,
                               uint32_t customers, v1::AreaClass cls = v1::URBAN) {
  v1::ReferenceRecord record;
  v1::AreaInfo* info = record.mutable_area();
  v1::Region* r = info->mutable_region();
  r->set_province_code(county.substr(0, 2) + "0000");
  r->set_city_code(county.substr(0, 4) + "00");
  r->set_county_code(county);
  r->set_station_id(station);
  r->set_feeder_id(feeder);
  r->set_area_id(area);
  info->set_area_class(cls);
  info->set_customers(customers);
  return record;
}

v1::ReferenceRecord CustomerRecord(const std::string& customer, const std::string& area,
                                   v1::ImportantLevel level, bool sensitive = false,
                                   bool tendency = false) {
  v1::ReferenceRecord record;
  v1::CustomerInfo* info = record.mutable_customer();
  info->set_customer_id(customer);
  info->set_area_id(area);
  info->set_important_level(level);
  info->set_sensitive(sensitive);
  info->set_tendency_12398(tendency);
  return record;
}

class ReferenceStoreTest : public ::testing::Test {
 protected:
  void Apply(const v1::ReferenceRecord& record) {
    const absl::Status s = store_.Apply(record);
    ASSERT_TRUE(s.ok()) << s << " for " << record.ShortDebugString();
  }
  Tags TagsOf(const std::string& customer) const {
    Tags out;
    store_.TagsOf(customer, &out);
    return out;
  }

  ReferenceStore store_;
};

// Customers of an area count at its feeder, station, county, city and province.
TEST_F(ReferenceStoreTest, UpsertSumsCustomersAtEveryScope) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(AreaRecord("T2", "F1", "S1", "370102", 50));
  Apply(AreaRecord("T3", "F2", "S2", "370103", 7));
  Apply(AreaRecord("T4", "F3", "S3", "370201", 3));
  EXPECT_EQ(store_.area_count(), 4u);
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F1"), 150u);
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F2"), 7u);
  EXPECT_EQ(store_.CustomersIn(Scope::kStation, "S1"), 150u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCounty, "370102"), 150u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCounty, "370103"), 7u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370100"), 157u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370200"), 3u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 160u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "440000"), 0u);
  // Scopes are separate namespaces: a county code is not a feeder id.
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "370102"), 0u);
  ASSERT_NE(store_.Area("T3"), nullptr);
  EXPECT_EQ(store_.Area("T3")->customers(), 7u);
  EXPECT_EQ(store_.Area("T9"), nullptr);
}

// Re-upserting an area with another customer count replaces its share, not adds.
TEST_F(ReferenceStoreTest, UpsertReplacesCustomerCount) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(AreaRecord("T2", "F1", "S1", "370102", 50));
  Apply(AreaRecord("T1", "F1", "S1", "370102", 30, v1::RURAL));
  EXPECT_EQ(store_.area_count(), 2u);
  EXPECT_EQ(store_.Area("T1")->area_class(), v1::RURAL);
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F1"), 80u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 80u);
  EXPECT_EQ(store_.AreasOfFeeder("F1"), (std::vector<std::string>{"T1", "T2"}));
}

// An area moved to another feeder, station and county leaves every old index.
TEST_F(ReferenceStoreTest, UpsertMovingAnAreaMovesItsCustomers) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(AreaRecord("T2", "F1", "S1", "370102", 50));
  Apply(AreaRecord("T3", "F2", "S2", "370211", 10));
  Apply(AreaRecord("T1", "F2", "S2", "370211", 100));
  EXPECT_EQ(store_.AreasOfFeeder("F1"), (std::vector<std::string>{"T2"}));
  EXPECT_EQ(store_.AreasOfFeeder("F2"), (std::vector<std::string>{"T1", "T3"}));
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F1"), 50u);
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F2"), 110u);
  EXPECT_EQ(store_.CustomersIn(Scope::kStation, "S1"), 50u);
  EXPECT_EQ(store_.CustomersIn(Scope::kStation, "S2"), 110u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCounty, "370102"), 50u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCounty, "370211"), 110u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370100"), 50u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370200"), 110u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 160u);
  // Moving the last area off a feeder empties it.
  Apply(AreaRecord("T2", "F2", "S2", "370211", 50));
  EXPECT_TRUE(store_.AreasOfFeeder("F1").empty());
  EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, "F1"), 0u);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370100"), 0u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 160u);
}

// Deleting an area takes it out of every index; unknown keys change nothing.
TEST_F(ReferenceStoreTest, DeleteAreaRemovesItFromEveryIndex) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(AreaRecord("T2", "F1", "S1", "370102", 50));
  const uint64_t before = store_.generation();
  store_.Delete("area:T9");
  store_.Delete("customer:T1");
  store_.Delete("T1");
  store_.Delete("");
  EXPECT_EQ(store_.generation(), before);
  EXPECT_EQ(store_.area_count(), 2u);

  store_.Delete("area:T1");
  EXPECT_GT(store_.generation(), before);
  EXPECT_EQ(store_.Area("T1"), nullptr);
  EXPECT_EQ(store_.area_count(), 1u);
  EXPECT_EQ(store_.AreasOfFeeder("F1"), (std::vector<std::string>{"T2"}));
  EXPECT_EQ(store_.CustomersIn(Scope::kStation, "S1"), 50u);
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 50u);
  store_.Delete("area:T2");
  EXPECT_EQ(store_.area_count(), 0u);
  EXPECT_TRUE(store_.AreasOfFeeder("F1").empty());
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 0u);
}

// A feeder's areas come back sorted by id whatever the arrival order.
TEST_F(ReferenceStoreTest, AreasOfFeederSorted) {
  for (const char* id : {"T05", "T01", "T10", "T03", "T02"}) {
    Apply(AreaRecord(id, "F1", "S1", "370102", 1));
  }
  Apply(AreaRecord("T04", "F2", "S1", "370102", 1));
  EXPECT_EQ(store_.AreasOfFeeder("F1"),
            (std::vector<std::string>{"T01", "T02", "T03", "T05", "T10"}));
  EXPECT_EQ(store_.AreasOfFeeder("F2"), (std::vector<std::string>{"T04"}));
  EXPECT_TRUE(store_.AreasOfFeeder("F9").empty());
}

// Tags per area follow the customers: re-tagging, moving and deleting them.
TEST_F(ReferenceStoreTest, AreaTagsFollowCustomers) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(AreaRecord("T2", "F1", "S1", "370102", 100));
  Apply(CustomerRecord("C1", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED, /*sensitive=*/true));
  Apply(CustomerRecord("C2", "T1", v1::SECOND, false, /*tendency=*/true));
  EXPECT_EQ(store_.customer_count(), 2u);
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::SENSITIVE));
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::TENDENCY_12398));
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::IMPORTANT_CUSTOMER));
  EXPECT_FALSE(store_.AnyTaggedIn("T1", Ticket::MEDIA));
  EXPECT_FALSE(store_.AnyTaggedIn("T2", Ticket::SENSITIVE));

  // Re-tagged: C1 is no longer sensitive, C2 no longer important.
  Apply(CustomerRecord("C1", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED, false, /*tendency=*/true));
  Apply(CustomerRecord("C2", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED, false, true));
  EXPECT_FALSE(store_.AnyTaggedIn("T1", Ticket::SENSITIVE));
  EXPECT_FALSE(store_.AnyTaggedIn("T1", Ticket::IMPORTANT_CUSTOMER));
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::TENDENCY_12398));

  // Moved: C1 goes to T2; T1 still has C2's tendency.
  Apply(CustomerRecord("C1", "T2", v1::IMPORTANT_LEVEL_UNSPECIFIED, false, true));
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::TENDENCY_12398));
  EXPECT_TRUE(store_.AnyTaggedIn("T2", Ticket::TENDENCY_12398));

  // Deleted: T1 has no tagged customer left.
  store_.Delete("customer:C2");
  EXPECT_FALSE(store_.AnyTaggedIn("T1", Ticket::TENDENCY_12398));
  EXPECT_EQ(store_.Customer("C2"), nullptr);
  EXPECT_EQ(store_.customer_count(), 1u);
}

// The most important level wins (SPECIAL > FIRST > SECOND > TEMPORARY) and
// falls back when that customer goes.
TEST_F(ReferenceStoreTest, MostImportantIn) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::IMPORTANT_LEVEL_UNSPECIFIED);
  Apply(CustomerRecord("C1", "T1", v1::TEMPORARY));
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::TEMPORARY);
  Apply(CustomerRecord("C2", "T1", v1::SECOND));
  Apply(CustomerRecord("C3", "T1", v1::SPECIAL));
  Apply(CustomerRecord("C4", "T1", v1::FIRST));
  Apply(CustomerRecord("C5", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED, /*sensitive=*/true));
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::SPECIAL);
  store_.Delete("customer:C3");
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::FIRST);
  Apply(CustomerRecord("C4", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED));  // demoted
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::SECOND);
  Apply(CustomerRecord("C2", "T2", v1::SECOND));  // moved away
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::TEMPORARY);
  EXPECT_EQ(store_.MostImportantIn("T2"), v1::SECOND);
  EXPECT_EQ(store_.MostImportantIn("T9"), v1::IMPORTANT_LEVEL_UNSPECIFIED);
}

// Customers are indexed by area id, so those that arrive before their area
// count for it, and still count after the area is deleted and re-created.
TEST_F(ReferenceStoreTest, CustomerBeforeItsArea) {
  Apply(CustomerRecord("C1", "T1", v1::FIRST, /*sensitive=*/true));
  EXPECT_EQ(store_.Area("T1"), nullptr);
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::FIRST);
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::SENSITIVE));
  store_.Delete("area:T1");
  Apply(AreaRecord("T1", "F2", "S2", "370103", 40));
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::FIRST);
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::SENSITIVE));
}

// TagsOf lists IMPORTANT_CUSTOMER, SENSITIVE, TENDENCY_12398 as set, appending.
TEST_F(ReferenceStoreTest, TagsOf) {
  Apply(CustomerRecord("C1", "T1", v1::SECOND, true, true));
  Apply(CustomerRecord("C2", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED, false, true));
  Apply(CustomerRecord("C3", "T1", v1::IMPORTANT_LEVEL_UNSPECIFIED));
  EXPECT_EQ(TagsOf("C1"),
            (Tags{Ticket::IMPORTANT_CUSTOMER, Ticket::SENSITIVE, Ticket::TENDENCY_12398}));
  EXPECT_EQ(TagsOf("C2"), (Tags{Ticket::TENDENCY_12398}));
  EXPECT_EQ(TagsOf("C3"), Tags{});
  EXPECT_EQ(TagsOf("C9"), Tags{});
  Tags out = {Ticket::MEDIA};
  store_.TagsOf("C2", &out);
  EXPECT_EQ(out, (Tags{Ticket::MEDIA, Ticket::TENDENCY_12398}));
}

// Invalid records are refused with InvalidArgument naming the problem, and
// change nothing (not even the generation).
TEST_F(ReferenceStoreTest, InvalidRecordsRefused) {
  Apply(AreaRecord("T1", "F1", "S1", "370102", 100));
  Apply(CustomerRecord("C1", "T1", v1::FIRST));
  const uint64_t generation = store_.generation();

  struct Case {
    v1::ReferenceRecord record;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({v1::ReferenceRecord(), "neither area nor customer"});
  for (const char* field :
       {"area_id", "feeder_id", "station_id", "county_code", "city_code", "province_code"}) {
    v1::ReferenceRecord r = AreaRecord("T1", "F9", "S9", "370211", 5);
    v1::Region* region = r.mutable_area()->mutable_region();
    region->GetReflection()->ClearField(region, region->GetDescriptor()->FindFieldByName(field));
    cases.push_back({r, field});
  }
  v1::ReferenceRecord no_customers = AreaRecord("T1", "F9", "S9", "370211", 0);
  cases.push_back({no_customers, "area T1: customers must be > 0"});
  v1::ReferenceRecord bad_class = AreaRecord("T1", "F9", "S9", "370211", 5);
  bad_class.mutable_area()->set_area_class(static_cast<v1::AreaClass>(42));
  cases.push_back({bad_class, "area_class 42"});
  cases.push_back({CustomerRecord("", "T1", v1::SPECIAL), "without customer_id"});
  cases.push_back({CustomerRecord("C1", "", v1::SPECIAL), "customer C1: area_id is empty"});
  cases.push_back({CustomerRecord("C1", "T1", static_cast<v1::ImportantLevel>(9)),
                   "customer C1: unknown important_level 9"});

  for (const Case& c : cases) {
    const absl::Status s = store_.Apply(c.record);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.record.ShortDebugString();
    EXPECT_TRUE(absl::StrContains(s.message(), c.message))
        << s << " for " << c.record.ShortDebugString();
  }
  EXPECT_EQ(store_.generation(), generation);
  EXPECT_EQ(store_.area_count(), 1u);
  EXPECT_EQ(store_.Area("T1")->region().feeder_id(), "F1");
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), 100u);
  EXPECT_TRUE(store_.AreasOfFeeder("F9").empty());
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::FIRST);
}

// Keys are "area:<area_id>" and "customer:<customer_id>".
TEST_F(ReferenceStoreTest, RecordKey) {
  EXPECT_EQ(RecordKey(AreaRecord("T1", "F1", "S1", "370102", 1)), "area:T1");
  EXPECT_EQ(RecordKey(CustomerRecord("C1", "T1", v1::FIRST)), "customer:C1");
  EXPECT_EQ(RecordKey(v1::ReferenceRecord()), "");
}

// Every successful change bumps the generation.
TEST_F(ReferenceStoreTest, GenerationBumpsOnChange) {
  uint64_t last = store_.generation();
  Apply(AreaRecord("T1", "F1", "S1", "370102", 1));
  EXPECT_GT(store_.generation(), last);
  last = store_.generation();
  Apply(CustomerRecord("C1", "T1", v1::FIRST));
  EXPECT_GT(store_.generation(), last);
  last = store_.generation();
  store_.Delete("customer:C1");
  EXPECT_GT(store_.generation(), last);
}

// Model check: random upserts, moves, re-tags and deletes keep every index
// equal to a recomputation from the records alone.
TEST_F(ReferenceStoreTest, IndexesMatchRecomputationUnderRandomChanges) {
  std::mt19937 rng(7);
  auto pick = [&rng](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  std::map<std::string, v1::AreaInfo> areas;
  std::map<std::string, v1::CustomerInfo> customers;
  const std::vector<std::string> counties = {"370102", "370103", "370211", "440305"};
  for (int step = 0; step < 4000; ++step) {
    const int op = pick(10);
    if (op < 4) {
      const std::string id = "T" + std::to_string(pick(40));
      const int feeder = pick(8);
      const std::string county = counties[feeder % counties.size()];
      v1::ReferenceRecord r =
          AreaRecord(id, "F" + std::to_string(feeder), "S" + std::to_string(feeder / 2), county,
                     1 + pick(500), static_cast<v1::AreaClass>(pick(4)));
      Apply(r);
      areas[id] = r.area();
    } else if (op < 8) {
      const std::string id = "C" + std::to_string(pick(60));
      v1::ReferenceRecord r =
          CustomerRecord(id, "T" + std::to_string(pick(45)),
                         static_cast<v1::ImportantLevel>(pick(5)), pick(2) == 0, pick(3) == 0);
      Apply(r);
      customers[id] = r.customer();
    } else if (op == 8) {
      const std::string id = "T" + std::to_string(pick(40));
      store_.Delete("area:" + id);
      areas.erase(id);
    } else {
      const std::string id = "C" + std::to_string(pick(60));
      store_.Delete("customer:" + id);
      customers.erase(id);
    }
    if (step % 50 != 49) continue;

    ASSERT_EQ(store_.area_count(), areas.size());
    ASSERT_EQ(store_.customer_count(), customers.size());
    std::map<std::string, std::vector<std::string>> feeder_areas;
    std::map<std::pair<Scope, std::string>, uint64_t> totals;
    for (const auto& [id, a] : areas) {
      const v1::Region& r = a.region();
      feeder_areas[r.feeder_id()].push_back(id);  // std::map iterates ids sorted
      totals[{Scope::kFeeder, r.feeder_id()}] += a.customers();
      totals[{Scope::kStation, r.station_id()}] += a.customers();
      totals[{Scope::kCounty, r.county_code()}] += a.customers();
      totals[{Scope::kCity, r.city_code()}] += a.customers();
      totals[{Scope::kProvince, r.province_code()}] += a.customers();
      ASSERT_NE(store_.Area(id), nullptr);
      EXPECT_EQ(store_.Area(id)->SerializeAsString(), a.SerializeAsString());
    }
    for (int f = 0; f < 8; ++f) {
      const std::string feeder = "F" + std::to_string(f);
      EXPECT_EQ(store_.AreasOfFeeder(feeder), feeder_areas[feeder]) << feeder;
      EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, feeder), (totals[{Scope::kFeeder, feeder}]));
      const std::string station = "S" + std::to_string(f);
      EXPECT_EQ(store_.CustomersIn(Scope::kStation, station), (totals[{Scope::kStation, station}]));
    }
    for (const std::string& county : counties) {
      const std::string city = county.substr(0, 4) + "00";
      const std::string province = county.substr(0, 2) + "0000";
      EXPECT_EQ(store_.CustomersIn(Scope::kCounty, county), (totals[{Scope::kCounty, county}]));
      EXPECT_EQ(store_.CustomersIn(Scope::kCity, city), (totals[{Scope::kCity, city}]));
      EXPECT_EQ(store_.CustomersIn(Scope::kProvince, province),
                (totals[{Scope::kProvince, province}]));
    }
    for (int a = 0; a < 45; ++a) {
      const std::string area = "T" + std::to_string(a);
      bool sensitive = false, tendency = false;
      int best = v1::IMPORTANT_LEVEL_UNSPECIFIED;
      for (const auto& [id, c] : customers) {
        if (c.area_id() != area) continue;
        sensitive |= c.sensitive();
        tendency |= c.tendency_12398();
        if (c.important_level() != v1::IMPORTANT_LEVEL_UNSPECIFIED &&
            (best == v1::IMPORTANT_LEVEL_UNSPECIFIED || c.important_level() < best)) {
          best = c.important_level();
        }
      }
      EXPECT_EQ(store_.AnyTaggedIn(area, Ticket::SENSITIVE), sensitive) << area;
      EXPECT_EQ(store_.AnyTaggedIn(area, Ticket::TENDENCY_12398), tendency) << area;
      EXPECT_EQ(store_.AnyTaggedIn(area, Ticket::IMPORTANT_CUSTOMER),
                best != v1::IMPORTANT_LEVEL_UNSPECIFIED)
          << area;
      EXPECT_EQ(store_.MostImportantIn(area), best) << area;
    }
  }
}

class ReferenceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::path(::testing::TempDir()) /
             (std::string("vigil_reference_") + info->name() + "_" + std::to_string(getpid()) +
              ".jsonl"))
                .string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good());
  }

  std::string path_;
  ReferenceStore store_;
};

constexpr char kAreaLine[] =
    R"({"area":{"region":{"provinceCode":"370000","cityCode":"370100","countyCode":"370102",)"
    R"("stationId":"S1","feederId":"F1","areaId":"T1"},"areaClass":"RURAL","customers":120}})";

// Records load; blank lines and '#' comments are skipped; both JSON name styles work.
TEST_F(ReferenceFileTest, LoadsRecordsSkippingBlankAndCommentLines) {
  Write(std::string("# reference data\n\n") + kAreaLine +
        "\n   \n"
        R"({"customer":{"customer_id":"C1","area_id":"T1","important_level":"SPECIAL",)"
        R"("sensitive":true}})"
        "\r\n  # indented comment\n"
        R"({"customer":{"customerId":"C2","areaId":"T1","tendency12398":true}})");
  const absl::Status s = LoadReferenceFile(path_, &store_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(store_.area_count(), 1u);
  EXPECT_EQ(store_.customer_count(), 2u);
  EXPECT_EQ(store_.Area("T1")->area_class(), v1::RURAL);
  EXPECT_EQ(store_.CustomersIn(Scope::kCity, "370100"), 120u);
  EXPECT_EQ(store_.MostImportantIn("T1"), v1::SPECIAL);
  EXPECT_TRUE(store_.AnyTaggedIn("T1", Ticket::TENDENCY_12398));
}

// A line that is not a ReferenceRecord stops the load, named "file:line: what";
// the lines before it stay loaded.
TEST_F(ReferenceFileTest, BadJsonLineStopsWithItsLineNumber) {
  Write(std::string(kAreaLine) + "\n# comment\n" +
        R"({"customer":{"customerId":"C1","areaId":"T1","importantLevel":"VERY"}})" + "\n" +
        R"({"customer":{"customerId":"C2","areaId":"T1","sensitive":true}})" + "\n");
  const absl::Status s = LoadReferenceFile(path_, &store_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(), path_ + ":3: ")) << s;
  EXPECT_EQ(store_.area_count(), 1u);
  EXPECT_EQ(store_.customer_count(), 0u);
}

// A well-formed record that fails validation is named the same way.
TEST_F(ReferenceFileTest, InvalidRecordStopsWithItsLineNumber) {
  Write(std::string(kAreaLine) + "\n" + R"({"area":{"region":{"areaId":"T2"},"customers":3}})" +
        "\n");
  const absl::Status s = LoadReferenceFile(path_, &store_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), path_ + ":2: area T2: region.feeder_id is empty");
  EXPECT_EQ(store_.area_count(), 1u);
}

// A missing file is NotFound, naming the path.
TEST_F(ReferenceFileTest, MissingFile) {
  const absl::Status s = LoadReferenceFile(path_ + ".absent", &store_);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), path_ + ".absent")) << s;
}

// The simulator's reference file loads completely and its totals match the topology.
TEST_F(ReferenceFileTest, LoadsSimulatorReference) {
  sim::TopologyOptions options;
  options.seed = 4;
  options.scale = 0.02;
  options.cities = 3;
  const sim::Topology t = sim::Topology::Build(options);
  ASSERT_TRUE(sim::WriteReferenceFile(t, options, path_).ok());
  const absl::Status s = LoadReferenceFile(path_, &store_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(store_.area_count(), t.areas().size());
  EXPECT_EQ(store_.customer_count(), t.tagged().size());
  EXPECT_EQ(store_.CustomersIn(Scope::kProvince, "370000"), t.customers());
  for (uint32_t c = 0; c < t.cities().size(); ++c) {
    EXPECT_EQ(store_.CustomersIn(Scope::kCity, t.CityCode(c)), t.cities()[c].customers);
  }
  for (uint32_t f = 0; f < t.feeders().size(); ++f) {
    const sim::Feeder& feeder = t.feeders()[f];
    const std::vector<std::string>& areas = store_.AreasOfFeeder(t.FeederId(f));
    ASSERT_EQ(areas.size(), feeder.areas);
    EXPECT_TRUE(std::is_sorted(areas.begin(), areas.end()));
    EXPECT_EQ(store_.CustomersIn(Scope::kFeeder, t.FeederId(f)), feeder.customers);
  }
  for (const sim::TaggedCustomer& c : t.tagged()) {
    const std::string area = t.AreaId(c.area);
    if (c.tags & sim::kImportant) {
      EXPECT_NE(store_.MostImportantIn(area), v1::IMPORTANT_LEVEL_UNSPECIFIED);
      EXPECT_LE(store_.MostImportantIn(area), c.important_level + int{v1::SPECIAL});
    }
    if (c.tags & sim::kSensitive) {
      EXPECT_TRUE(store_.AnyTaggedIn(area, Ticket::SENSITIVE));
    }
    if (c.tags & sim::kTendency12398) {
      EXPECT_TRUE(store_.AnyTaggedIn(area, Ticket::TENDENCY_12398));
    }
  }
}

// The plain-subset reader gives exactly what protobuf's JSON parser gives,
// and leaves everything outside the subset to it.
TEST(ReferenceJsonTest, PlainReaderAgreesWithProtobuf) {
  const std::vector<std::string> lines = {
      kAreaLine,
      R"({"customer":{"customerId":"C1","areaId":"T1","importantLevel":"SECOND","sensitive":true,)"
      R"("tendency12398":true}})",
      R"({"customer":{"customer_id":"C1","area_id":"T1","important_level":"FIRST",)"
      R"("tendency_12398":false}})",
      " { \"area\" : {\t\"customers\" : 3 , \"areaClass\":\"REMOTE\" } } \r",
      "{}",
      R"({"area":{}})",
      R"({"area":{"region":{}}})",
      R"({"area":{"customers":0,"areaClass":"AREA_CLASS_UNSPECIFIED"}})",
      R"({"area":{"customers":4294967295}})",
      R"({"area":{"customers":4294967296}})",
      R"({"area":{"customers":"12"}})",
      R"({"area":{"customers":12.0}})",
      R"({"area":{"customers":1e2}})",
      R"({"area":{"customers":-1}})",
      R"({"area":{"customers":007}})",
      R"({"area":{"customers":true}})",
      R"({"area":{"areaClass":2}})",
      R"({"area":{"areaClass":"NOPE"}})",
      R"({"area":{"areaClass":"SPECIAL"}})",
      R"({"customer":{"customerId":"C\u0031"}})",
      R"({"customer":{"customerId":"C\"1"}})",
      "{\"customer\":{\"customerId\":\"\xe5\xae\xa2\"}}",
      R"({"customer":{"sensitive":"true"}})",
      R"({"customer":{"sensitive":1}})",
      R"({"customer":{"sensitive":null}})",
      R"({"customer":{"sensitive":True}})",
      R"({"customer":{"customerId":"C1","customerId":"C2"}})",
      R"({"customer":{"customer_id":"C1","customerId":"C2"}})",
      R"({"customer":{"foo":1}})",
      R"({"area":{"customers":3},"customer":{"customerId":"C1"}})",
      R"({"area":null})",
      R"({"area":{"customers":3},})",
      R"({"area":{"customers":3}} x)",
      R"({"area":{"customers":3})",
      R"([{"area":{}}])",
      "null",
      "",
  };
  for (const std::string& line : lines) {
    v1::ReferenceRecord want;
    const bool want_ok = google::protobuf::util::JsonStringToMessage(line, &want).ok();
    v1::ReferenceRecord plain;
    if (ParsePlainJson(line, &plain)) {
      EXPECT_TRUE(want_ok) << "plain reader accepted what protobuf refuses: " << line;
      EXPECT_EQ(plain.SerializeAsString(), want.SerializeAsString()) << line;
    }
    v1::ReferenceRecord got;
    const absl::Status s = ParseReferenceRecordJson(line, &got);
    EXPECT_EQ(s.ok(), want_ok) << s << " for " << line;
    if (s.ok() && want_ok) {
      EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString()) << line;
    }
  }
  // The shapes MessageToJsonString writes take the fast path.
  v1::ReferenceRecord plain;
  EXPECT_TRUE(ParsePlainJson(kAreaLine, &plain));
  EXPECT_TRUE(ParsePlainJson(lines[1], &plain));
}

// Every line the simulator writes takes the plain path and decodes as protobuf's parser.
TEST_F(ReferenceFileTest, SimulatorLinesArePlain) {
  sim::TopologyOptions options;
  options.seed = 9;
  options.scale = 0.005;
  options.cities = 2;
  const sim::Topology t = sim::Topology::Build(options);
  ASSERT_TRUE(sim::WriteReferenceFile(t, options, path_).ok());
  std::ifstream in(path_);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    v1::ReferenceRecord plain, want;
    ASSERT_TRUE(ParsePlainJson(line, &plain)) << line;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &want).ok()) << line;
    ASSERT_EQ(plain.SerializeAsString(), want.SerializeAsString()) << line;
    ++lines;
  }
  EXPECT_EQ(lines, t.areas().size() + t.tagged().size());
}

}  // namespace
}  // namespace vigil::reference

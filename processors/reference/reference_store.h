#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/reference.pb.h"

namespace vigil::reference {

// Region levels above the area that customer totals are kept for.
enum class Scope { kFeeder, kStation, kCounty, kCity, kProvince };

// The reference table rules join against (a Kafka Streams "table"): areas with
// their place in the topology, class and customer count; tagged customers.
// Upserts and deletes keep every derived index (feeder → areas, customers per
// scope, tags per area) exact. Not thread-safe: owned by the engine thread.
class ReferenceStore {
 public:
  // Upserts one record. Invalid records (no id, area without region path or
  // customers) are refused with a message and change nothing.
  absl::Status Apply(const v1::ReferenceRecord& record);
  // Deletes by record key ("area:<id>" / "customer:<id>"); unknown keys are ignored.
  void Delete(std::string_view record_key);

  // The record of the id, or nullptr. Valid until the next Apply / Delete.
  const v1::AreaInfo* Area(std::string_view area_id) const;
  const v1::CustomerInfo* Customer(std::string_view customer_id) const;
  // Areas on a feeder, sorted by id (empty when unknown).
  const std::vector<std::string>& AreasOfFeeder(std::string_view feeder_id) const;
  // Customers of all known areas within the scope's id (a feeder id, station
  // id, county / city / province code); 0 when unknown.
  uint64_t CustomersIn(Scope scope, std::string_view id) const;
  // The most important level (SPECIAL highest) of the area's customers;
  // IMPORTANT_LEVEL_UNSPECIFIED when none. This and AnyTaggedIn count customers
  // by their area_id, whether or not that area's record has arrived yet.
  v1::ImportantLevel MostImportantIn(std::string_view area_id) const;
  // Whether a customer of the area carries the tag (SENSITIVE,
  // TENDENCY_12398, IMPORTANT_CUSTOMER; false for any other tag).
  bool AnyTaggedIn(std::string_view area_id, v1::Ticket::Tag tag) const;
  // The customer's tags from the table (appended to `out`, no duplicates check).
  void TagsOf(std::string_view customer_id, std::vector<v1::Ticket::Tag>* out) const;

  size_t area_count() const;
  size_t customer_count() const;
  // Bumped by every change; lets callers cache joins.
  uint64_t generation() const { return generation_; }

 private:
  // Tag counts of one area's customers, kept by area id whether or not the
  // area itself is known (a customer may arrive before its area).
  struct AreaTags {
    uint32_t sensitive = 0;
    uint32_t tendency_12398 = 0;
    // Customers per ImportantLevel value; [0] (not important) is unused.
    std::array<uint32_t, v1::ImportantLevel_ARRAYSIZE> by_level = {};
    bool empty() const;
  };

  absl::Status ApplyArea(const v1::AreaInfo& area);
  absl::Status ApplyCustomer(const v1::CustomerInfo& customer);
  void DeleteArea(std::string_view area_id);
  void DeleteCustomer(std::string_view customer_id);
  // Adds (`sign` +1) or removes (-1) the area's share of every index.
  void IndexArea(const v1::AreaInfo& area, int sign);
  void IndexCustomer(const v1::CustomerInfo& customer, int sign);

  absl::flat_hash_map<std::string, v1::AreaInfo> areas_;          // by area id
  absl::flat_hash_map<std::string, v1::CustomerInfo> customers_;  // by customer id
  // Feeder id → its known areas' ids, sorted.
  absl::flat_hash_map<std::string, std::vector<std::string>> feeder_areas_;
  // Per Scope (index = the enum's value): region id → customers of its areas.
  std::array<absl::flat_hash_map<std::string, uint64_t>, 5> customers_in_;
  absl::flat_hash_map<std::string, AreaTags> area_tags_;  // by area id
  std::vector<std::string> no_areas_;  // AreasOfFeeder of an unknown feeder; always empty
  uint64_t generation_ = 0;
};

// The Kafka key of a record: "area:<area_id>" or "customer:<customer_id>".
std::string RecordKey(const v1::ReferenceRecord& record);

// Loads a file of proto3-JSON ReferenceRecord lines (blank lines and lines
// starting with '#' skipped). Errors name "file:line: what"; the store keeps
// whatever loaded before the error.
absl::Status LoadReferenceFile(const std::string& path, ReferenceStore* store);

}  // namespace vigil::reference

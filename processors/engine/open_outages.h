#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "processors/reference/reference_store.h"
#include "vigil/internal/state.pb.h"
#include "vigil/v1/events.pb.h"

namespace vigil::engine {

// The outages that are off right now (STARTED, not yet RESTORED / CANCELLED),
// which areas and feeders they cover, and how many customers are out per
// region scope — what cross-stream conditions ("no outage registered",
// "share of customers out") join against.
class OpenOutages {
 public:
  // Applies an outage event. Returns true when the set of open outages changed.
  // `opened` is set when this event opened the outage.
  bool Apply(const v1::Envelope& event, const reference::ReferenceStore& ref, bool* opened);

  bool CoversArea(const std::string& area_id) const;
  bool CoversFeeder(const std::string& feeder_id) const;
  // Whether an open outage covers the region's area or feeder.
  bool Covers(const v1::Region& region) const;
  // Customers in covered areas (counted once per area) within a scope id.
  uint64_t CustomersOut(reference::Scope scope, const std::string& id) const;
  const internal::OpenOutage* Find(const std::string& outage_id) const;

  // Persistence: outage ids changed since the last call (erased ones are not
  // in the map any more).
  std::set<std::string> TakeDirty() { return std::exchange(dirty_, {}); }
  void Restore(const internal::OpenOutage& o);
  size_t size() const { return open_.size(); }

 private:
  void Open(const internal::OpenOutage& o, const reference::ReferenceStore* ref);
  void Close(const std::string& outage_id);
  void Count(const internal::OpenOutage& o, int sign);

  std::map<std::string, internal::OpenOutage> open_;
  absl::flat_hash_map<std::string, int> area_refs_;
  absl::flat_hash_map<std::string, int> feeder_refs_;
  // Per covered area: its customers and scope ids (fixed when first covered).
  struct AreaOut {
    uint64_t customers = 0;
    std::string feeder, station, county, city, province;
  };
  absl::flat_hash_map<std::string, AreaOut> area_out_;
  absl::flat_hash_map<std::string, uint64_t> customers_out_[5];  // by Scope
  std::set<std::string> dirty_;
};

}  // namespace vigil::engine

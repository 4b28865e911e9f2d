#pragma once

#include <cstdint>
#include <vector>

namespace vigil::sim {

// Repair crews of every county: each job (a customer-side repair or a fault
// outage) takes the crew that is free first, so a county with too few crews
// builds a queue and its arrivals slip (§3.5 dispatch_backlog).
class CrewPool {
 public:
  // crews[c]: crews of county c (>= 1).
  explicit CrewPool(std::vector<int> crews);

  // From `from` on, county `county` has only ceil(crews * factor) crews.
  void CutCapacity(uint32_t county, int64_t from, double factor);

  // A job ready at `ready` needs `travel` seconds to reach the site and keeps
  // the crew `work` seconds after arrival. Returns the arrival time. Calls
  // must come in (roughly) non-decreasing `ready` order.
  int64_t Assign(uint32_t county, int64_t ready, int64_t travel, int64_t work);

  int crews(uint32_t county) const { return static_cast<int>(free_at_[county].size()); }

 private:
  std::vector<std::vector<int64_t>> free_at_;
  std::vector<int64_t> cut_from_;
  std::vector<int> cut_to_;
};

}  // namespace vigil::sim

#include "tools/sim/crews.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil::sim {

CrewPool::CrewPool(std::vector<int> crews)
    : cut_from_(crews.size(), std::numeric_limits<int64_t>::max()), cut_to_(crews.size(), 0) {
  free_at_.reserve(crews.size());
  for (int n : crews) free_at_.emplace_back(std::max(1, n), 0);
}

void CrewPool::CutCapacity(uint32_t county, int64_t from, double factor) {
  cut_from_[county] = from;
  cut_to_[county] = std::max(
      1, static_cast<int>(std::ceil(static_cast<double>(free_at_[county].size()) * factor)));
}

int64_t CrewPool::Assign(uint32_t county, int64_t ready, int64_t travel, int64_t work) {
  std::vector<int64_t>& crews = free_at_[county];
  const size_t usable =
      ready >= cut_from_[county] ? static_cast<size_t>(cut_to_[county]) : crews.size();
  const auto it = std::min_element(crews.begin(), crews.begin() + static_cast<long>(usable));
  const int64_t start = std::max(ready, *it);
  const int64_t arrival = start + travel;
  *it = arrival + work;
  return arrival;
}

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// An injected cluster: `count` complaints of `category` in one area, evenly
// spread over `span`, starting `offset` after the stream start.
struct InjectedCluster {
  std::string area_id;
  v1::Ticket::Category category;
  int count;
  absl::Duration offset;
  absl::Duration span;
};

struct ComplaintStreamOptions {
  uint64_t seed = 1;
  absl::Time start = absl::FromCivil(absl::CivilMinute(2026, 7, 15, 8, 0), absl::UTCTimeZone());
  absl::Duration duration = absl::Hours(12);
  // Background complaints spread at random over areas and categories.
  int background_complaints = 60;
  int areas_per_county = 20;
  std::vector<InjectedCluster> clusters;
};

// A small, seeded stream of complaint tickets (ACCEPTED) over a synthetic city
// (370100, counties 370102..370105, stations S01..S04): random background
// complaints plus the injected clusters, sorted by event time. The same options
// give the same events.
std::vector<v1::Envelope> ComplaintStream(const ComplaintStreamOptions& options);

// The demo's default clusters: three areas that should raise warnings.
std::vector<InjectedCluster> DemoClusters();

}  // namespace vigil::sim

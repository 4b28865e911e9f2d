#include "tools/sim/outage_behaviour.h"

#include <algorithm>

namespace vigil::sim {
namespace {

constexpr int64_t kQuarter = 15 * 60;

int64_t RoundUpQuarter(int64_t t) { return (t + kQuarter - 1) / kQuarter * kQuarter; }

}  // namespace

std::vector<EtrUpdate> EtrUpdates(int64_t start, int64_t restore, int64_t etr0) {
  std::vector<EtrUpdate> out;
  int64_t etr = std::max(etr0, start);
  while (restore > etr && out.size() < 8) {
    const int64_t at = etr + 10 * 60;
    if (at >= restore) break;
    const int64_t remaining = restore - at;
    const int64_t next = RoundUpQuarter(at + std::max<int64_t>(30 * 60, remaining * 8 / 10));
    out.push_back({at, next});
    etr = next;
  }
  return out;
}

std::vector<int64_t> EtrPasses(int64_t restore, int64_t etr0,
                               const std::vector<EtrUpdate>& updates) {
  std::vector<int64_t> etrs = {etr0};
  for (const EtrUpdate& u : updates) etrs.push_back(u.etr);
  std::vector<int64_t> out;
  for (size_t i = 0; i < etrs.size(); ++i) {
    if (etrs[i] >= restore) break;
    const int64_t next = i + 1 < etrs.size() ? etrs[i + 1] : restore;
    for (int64_t t = etrs[i]; t < std::min(next, restore); t += 2 * 3600) out.push_back(t);
  }
  return out;
}

double CallProbability(const ModelParams& p, v1::OutageEvent::Kind kind, bool notified) {
  if (kind == v1::OutageEvent::FAULT) {
    return notified ? p.p_call_fault_sms : p.p_call_fault_unnotified;
  }
  return notified ? p.p_call_planned_notified : p.p_call_planned_unnotified;
}

double CallDelayMeanSeconds(const ModelParams& p, v1::OutageEvent::Kind kind, bool notified) {
  if (kind == v1::OutageEvent::FAULT) return absl::ToDoubleSeconds(p.call_delay_fault);
  return notified ? 3600.0 : absl::ToDoubleSeconds(p.call_delay_planned);
}

int64_t RestoreCommitmentSeconds(const ModelParams& p, int area_class) {
  return absl::ToInt64Seconds(p.restore_limit[area_class]);
}

}  // namespace vigil::sim

#include "tools/sim/summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/sim/local_time.h"
#include "tools/sim/sim_context.h"

namespace vigil::sim {

void Summary::Observe(const v1::Envelope& e) {
  ++events;
  ++by_city[e.region().city_code()];
  if (e.has_ticket()) {
    ++by_kind[absl::StrCat("ticket ", v1::Ticket::Status_Name(e.ticket().status()))];
    if (e.ticket().status() == v1::Ticket::ACCEPTED)
      ++tickets[v1::Ticket::Kind_Name(e.ticket().kind())];
  } else if (e.has_outage()) {
    ++by_kind[absl::StrCat("outage ", v1::OutageEvent::Phase_Name(e.outage().phase()))];
  } else if (e.has_repeat_call()) {
    ++by_kind["repeat_call"];
  }
}

void Summary::Finish(const Topology& topology, const Demand& demand,
                     std::vector<std::vector<uint32_t>> bins, const std::vector<Label>& all) {
  call_bins = std::move(bins);
  for (const Label& l : all) ++labels[l.kind];
  std::vector<uint32_t> province(call_bins.empty() ? 0 : call_bins.front().size(), 0);
  std::vector<double> province_base(province.size(), 0);
  for (uint32_t c = 0; c < call_bins.size(); ++c) {
    CityCalls cc;
    cc.city_code = topology.CityCode(c);
    for (size_t b = 0; b < call_bins[c].size(); ++b) {
      const int64_t t = start + static_cast<int64_t>(b) * kBinSeconds;
      const double base = demand.BaselineRate(c, t) * kBinSeconds;
      const uint32_t n = call_bins[c][b];
      cc.calls += n;
      cc.baseline_calls += base;
      province[b] += n;
      province_base[b] += base;
      if (n > cc.peak) {
        cc.peak = n;
        cc.peak_time = t;
        cc.baseline_at_peak = base;
      }
    }
    calls += cc.calls;
    cities.push_back(cc);
  }
  for (size_t b = 0; b < province.size(); ++b) {
    if (province[b] > peak) {
      peak = province[b];
      peak_time = start + static_cast<int64_t>(b) * kBinSeconds;
      baseline_at_peak = province_base[b];
    }
  }
}

std::string Summary::Format(double seconds) const {
  std::string out = absl::StrFormat("== vigil-sim %s: %s .. %s\n", preset,
                                    FormatLocal(absl::FromUnixSeconds(start)),
                                    FormatLocal(absl::FromUnixSeconds(end)));
  if (!notes.empty()) absl::StrAppend(&out, "   ", notes, "\n");
  absl::StrAppendFormat(&out, "   %d events", events);
  if (seconds > 0)
    absl::StrAppendFormat(&out, " in %.2f s (%.0f events/s)", seconds, events / seconds);
  absl::StrAppend(&out, "\n   by kind:");
  for (const auto& [k, n] : by_kind) absl::StrAppendFormat(&out, " %s=%d", k, n);
  absl::StrAppend(&out, "\n   tickets accepted:");
  for (const auto& [k, n] : tickets) absl::StrAppendFormat(&out, " %s=%d", k, n);
  absl::StrAppend(&out, "\n   events by city:");
  for (const auto& [k, n] : by_city) absl::StrAppendFormat(&out, " %s=%d", k, n);
  absl::StrAppendFormat(&out, "\n   calls: %d; 5-min peak %d at %s, baseline %.1f (x%.1f)\n", calls,
                        peak, FormatLocal(absl::FromUnixSeconds(peak_time)), baseline_at_peak,
                        baseline_at_peak > 0 ? peak / baseline_at_peak : 0.0);
  for (const CityCalls& c : cities) {
    if (c.calls == 0) continue;
    absl::StrAppendFormat(&out,
                          "     %s: %d calls (normal days: %.0f, x%.2f); 5-min peak %d at %s, "
                          "baseline %.2f (x%.1f)\n",
                          c.city_code, c.calls, c.baseline_calls,
                          c.baseline_calls > 0 ? c.calls / c.baseline_calls : 0.0, c.peak,
                          FormatLocal(absl::FromUnixSeconds(c.peak_time)), c.baseline_at_peak,
                          c.baseline_at_peak > 0 ? c.peak / c.baseline_at_peak : 0.0);
  }
  absl::StrAppend(&out, "   labels:");
  for (const auto& [k, n] : labels) absl::StrAppendFormat(&out, " %s=%d", k, n);
  absl::StrAppend(&out, "\n");
  return out;
}

}  // namespace vigil::sim

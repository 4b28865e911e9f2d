#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/sim/demand.h"
#include "tools/sim/labels.h"
#include "tools/sim/topology.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// What a run produced: counts by event kind and city, and the call curve
// (5-minute bins) against the anchor baseline.
struct Summary {
  struct CityCalls {
    std::string city_code;
    int64_t calls = 0;
    double baseline_calls = 0;    // expected calls of a normal day over the same window
    uint32_t peak = 0;            // most calls in one 5-minute bin
    int64_t peak_time = 0;        // start of that bin
    double baseline_at_peak = 0;  // expected calls in that bin on a normal day
  };

  std::string preset;
  std::string notes;
  std::string focus_key;                  // the region the scenario is about ("" = none)
  std::vector<std::string> focus_cities;  // city codes the scenario is about
  int64_t start = 0;
  int64_t end = 0;
  int64_t events = 0;
  std::map<std::string, int64_t> by_kind;  // "ticket ACCEPTED", "outage STARTED", …
  std::map<std::string, int64_t> tickets;  // accepted tickets by Ticket.Kind
  std::map<std::string, int64_t> by_city;  // events by city code
  std::map<std::string, int64_t> labels;   // labels by kind
  int64_t calls = 0;
  std::vector<CityCalls> cities;  // in city order
  // Province-wide 5-minute peak and the baseline of that bin.
  uint32_t peak = 0;
  int64_t peak_time = 0;
  double baseline_at_peak = 0;
  std::vector<std::vector<uint32_t>> call_bins;  // [city][5-minute bin]

  void Observe(const v1::Envelope& event);
  void Finish(const Topology& topology, const Demand& demand,
              std::vector<std::vector<uint32_t>> bins, const std::vector<Label>& labels);
  // A readable report; `seconds`: wall time of the run (0: not shown).
  std::string Format(double seconds) const;
};

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "vigil/v1/events.pb.h"

namespace vigil::bench {

// Shape of the benchmark's ticket traffic. Event time is compressed history: a
// simulated day holds `events_per_day` events of the whole province, so rule
// windows see realistic densities while the stream runs at millions per hour.
struct TrafficOptions {
  uint64_t seed = 1;
  // Cities 370100, 370200, ...: the Kafka key, so the partitions' share of load
  // is as uneven as a real province's.
  int cities = 16;
  // complaint_stream's layout: 4 counties per city, S01..S04, T<county><area>.
  int areas_per_county = 1000;
  int64_t events_per_day = 250000;
  // Accepted complaints among all events (the only events R13 does window work
  // for). As many again are status changes of those complaints (dispatched,
  // replied, closed); the rest are other ticket kinds (fault repair,
  // consultation, service requests, urges, ...), ignored by R13 after decoding
  // and validation. A normal 95598 day has ~2.5 % complaints; a storm day more.
  double complaint_share = 0.3;
  // Injected clusters (群体性投诉) per city and simulated day, each of
  // min..max complaints of one category in one area within 1–6 hours.
  int clusters_per_city_per_day = 20;
  int min_cluster = 4;
  int max_cluster = 20;
  // Event time of the first simulated day. The default (zero) means 120 days
  // before now, so millions of events stay in the past of vigild's clock.
  absl::Time start = absl::UnixEpoch();
  // When set, the events come from vigil-sim's preset (e.g. "thunderstorm_city")
  // instead: the scenario's whole stream, repeated with event times shifted by
  // its span plus two days and business ids suffixed per cycle, so windows of
  // one cycle never reach into the next. Only its tickets are used (the bench
  // has one input topic). The fields above (but seed) are unused.
  std::string sim_preset;
  double sim_scale = 0;  // 0: the preset's default
};

// An endless, deterministic stream of input envelopes in event-time order,
// generated a simulated day at a time. Accepted complaints come from
// tools/sim's ComplaintStream (background + injected clusters); this class
// adds the cities, the status changes and the other ticket kinds.
//
// This is the benchmark's one event source: switching to the full simulator
// means reimplementing Next().
class Traffic {
 public:
  explicit Traffic(TrafficOptions options);

  // The next event, with event_id EventId(seq). seq counts from 0.
  void Next(v1::Envelope* out);

  uint64_t emitted() const { return seq_; }
  const TrafficOptions& options() const { return options_; }

 private:
  void GenerateDay();
  void GenerateSimCycle();

  TrafficOptions options_;
  std::mt19937_64 rng_;
  int64_t day_ = 0;
  std::vector<v1::Envelope> buffer_;
  std::vector<v1::Envelope> sim_base_;  // one cycle of the preset, generated once
  size_t pos_ = 0;
  uint64_t seq_ = 0;
};

// "b<seq>": the event id the benchmark joins warnings on.
std::string EventId(uint64_t seq);
// The seq of an EventId(), or -1 when `id` is not one.
int64_t SeqOfEventId(const std::string& id);

}  // namespace vigil::bench

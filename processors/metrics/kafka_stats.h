#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "librdkafka/rdkafkacpp.h"
#include "processors/metrics/metrics.h"

namespace vigil::metrics {

// One librdkafka client's event callback (event_cb): its statistics
// (statistics.interval.ms) become the vigil_kafka_* gauges and, for a
// consumer, vigil_consumer_lag_records per partition; its log lines and
// errors go to vigild's log (spdlog) instead of librdkafka's own stderr
// printer. Runs on whatever thread librdkafka calls it from (the poll of the
// engine thread for statistics); the lag total is atomic for /readyz.
class KafkaStats : public RdKafka::EventCb {
 public:
  // `client` labels the series: consumer | producer | reference.
  KafkaStats(Metrics* metrics, std::string client, bool consumer_lag);

  void event_cb(RdKafka::Event& event) override;

  // Applies one statistics JSON document (public for tests).
  void OnStatistics(std::string_view json);

  // Sum of the lag over the assigned partitions at the last statistics, or -1
  // when no statistics with an assigned partition arrived yet.
  int64_t total_lag() const { return total_lag_.load(); }
  uint64_t statistics_seen() const { return statistics_seen_.load(); }

 private:
  Metrics* metrics_;
  std::string client_;
  bool consumer_lag_;
  std::atomic<int64_t> total_lag_{-1};
  std::atomic<uint64_t> statistics_seen_{0};
  // Series set by the previous statistics: those not set again are removed
  // (a broker gone, a partition revoked).
  std::set<std::pair<std::string, std::string>> lag_series_;  // (topic, partition)
  std::set<std::string> broker_series_;
  // Last error text and when it was logged (the same error is logged at most
  // once a minute).
  std::string last_error_;
  int64_t last_error_logged_s_ = 0;
};

}  // namespace vigil::metrics

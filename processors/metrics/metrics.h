#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

namespace vigil::metrics {

// vigild's Prometheus metrics (prometheus-cpp). Every family is registered
// here, at construction, so /metrics always shows the whole set and a test can
// list it (FamilyNames). Names follow Prometheus conventions: `vigil_` prefix,
// base units (seconds, bytes), `_total` for counters. Labels are bounded:
// topic, partition, outcome, rule, grade (I..IV), city (city_code), Kafka
// client and broker — never a customer, a ticket or a warning id.
//
// The engine thread updates them (counters once per batch, figures every few
// seconds); prometheus-cpp's metrics are atomic, so the HTTP thread that
// serialises them needs no lock.
class Metrics {
 public:
  explicit Metrics(const std::string& version);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }
  // The names of every registered family, sorted.
  std::vector<std::string> FamilyNames() const;
  // The histogram families among them (served as <name>_bucket, _sum, _count).
  std::vector<std::string> HistogramNames() const { return histograms_; }

  // --- ingest
  // Input records by topic and outcome: ok | invalid | late.
  prometheus::Family<prometheus::Counter>& consumed() { return *consumed_; }
  prometheus::Family<prometheus::Gauge>& consumer_lag() { return *consumer_lag_; }
  prometheus::Gauge& partitions_assigned() { return *partitions_assigned_; }
  prometheus::Histogram& batch_seconds() { return *batch_seconds_; }
  prometheus::Histogram& event_to_warning_seconds() { return *event_to_warning_seconds_; }

  // --- warnings and commands
  prometheus::Counter& WarningEvents(const std::string& rule, const std::string& grade,
                                     const std::string& type);
  prometheus::Family<prometheus::Gauge>& open_warnings() { return *open_warnings_; }
  prometheus::Counter& Commands(const std::string& source, const std::string& result);
  prometheus::Counter& RuleReloads(const std::string& result);  // ok | rejected
  prometheus::Gauge& RulesLoaded(const std::string& kind);      // window | deadline

  // --- timers
  prometheus::Counter& timers_fired() { return *timers_fired_; }
  prometheus::Counter& timers_fired_late() { return *timers_fired_late_; }
  prometheus::Gauge& timers_pending() { return *timers_pending_; }
  prometheus::Histogram& timer_lateness_seconds() { return *timer_lateness_seconds_; }

  // --- outbox
  prometheus::Gauge& outbox_in_flight() { return *outbox_in_flight_; }
  prometheus::Gauge& outbox_oldest_age_seconds() { return *outbox_oldest_age_seconds_; }
  prometheus::Histogram& outbox_publish_seconds() { return *outbox_publish_seconds_; }

  // --- AlertService (gRPC)
  prometheus::Gauge& alert_subscribers() { return *alert_subscribers_; }
  prometheus::Counter& alert_streams_cut_off() { return *alert_streams_cut_off_; }
  prometheus::Counter& alert_calls_denied() { return *alert_calls_denied_; }

  // --- RocksDB
  prometheus::Gauge& rocksdb_live_sst_bytes() { return *rocksdb_live_sst_bytes_; }
  prometheus::Gauge& rocksdb_memtable_bytes() { return *rocksdb_memtable_bytes_; }
  prometheus::Gauge& rocksdb_block_cache_usage_bytes() { return *rocksdb_block_cache_bytes_; }
  prometheus::Gauge& rocksdb_compaction_pending() { return *rocksdb_compaction_pending_; }
  prometheus::Gauge& rocksdb_pending_compaction_bytes() { return *rocksdb_pending_bytes_; }
  prometheus::Gauge& rocksdb_write_stopped() { return *rocksdb_write_stopped_; }
  prometheus::Counter& RocksdbWriteStalls(const std::string& kind);  // stop | slowdown

  // --- librdkafka statistics, by client (consumer | producer | reference)
  prometheus::Family<prometheus::Gauge>& kafka_broker_up() { return *kafka_broker_up_; }
  prometheus::Family<prometheus::Gauge>& kafka_broker_rtt_seconds() { return *kafka_rtt_; }
  prometheus::Family<prometheus::Gauge>& kafka_broker_outbuf() { return *kafka_outbuf_; }
  prometheus::Family<prometheus::Gauge>& kafka_broker_waitresp() { return *kafka_waitresp_; }
  prometheus::Family<prometheus::Gauge>& kafka_client_queue() { return *kafka_queue_; }
  prometheus::Family<prometheus::Gauge>& kafka_client_replyq() { return *kafka_replyq_; }

  // --- process
  prometheus::Gauge& ready() { return *ready_; }

 private:
  template <typename Builder>
  auto& Build(Builder builder, const std::string& name, const std::string& help);

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::string> names_;
  std::vector<std::string> histograms_;
  prometheus::Family<prometheus::Counter>* consumed_;
  prometheus::Family<prometheus::Gauge>* consumer_lag_;
  prometheus::Gauge* partitions_assigned_;
  prometheus::Histogram* batch_seconds_;
  prometheus::Histogram* event_to_warning_seconds_;
  prometheus::Family<prometheus::Counter>* warning_events_;
  prometheus::Family<prometheus::Gauge>* open_warnings_;
  prometheus::Family<prometheus::Counter>* commands_;
  prometheus::Family<prometheus::Counter>* rule_reloads_;
  prometheus::Family<prometheus::Gauge>* rules_loaded_;
  prometheus::Counter* timers_fired_;
  prometheus::Counter* timers_fired_late_;
  prometheus::Gauge* timers_pending_;
  prometheus::Histogram* timer_lateness_seconds_;
  prometheus::Gauge* outbox_in_flight_;
  prometheus::Gauge* outbox_oldest_age_seconds_;
  prometheus::Histogram* outbox_publish_seconds_;
  prometheus::Gauge* alert_subscribers_;
  prometheus::Counter* alert_streams_cut_off_;
  prometheus::Counter* alert_calls_denied_;
  prometheus::Gauge* rocksdb_live_sst_bytes_;
  prometheus::Gauge* rocksdb_memtable_bytes_;
  prometheus::Gauge* rocksdb_block_cache_bytes_;
  prometheus::Gauge* rocksdb_compaction_pending_;
  prometheus::Gauge* rocksdb_pending_bytes_;
  prometheus::Gauge* rocksdb_write_stopped_;
  prometheus::Family<prometheus::Counter>* rocksdb_write_stalls_;
  prometheus::Family<prometheus::Gauge>* kafka_broker_up_;
  prometheus::Family<prometheus::Gauge>* kafka_rtt_;
  prometheus::Family<prometheus::Gauge>* kafka_outbuf_;
  prometheus::Family<prometheus::Gauge>* kafka_waitresp_;
  prometheus::Family<prometheus::Gauge>* kafka_queue_;
  prometheus::Family<prometheus::Gauge>* kafka_replyq_;
  prometheus::Gauge* ready_;
};

}  // namespace vigil::metrics

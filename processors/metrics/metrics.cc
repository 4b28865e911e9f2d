#include "processors/metrics/metrics.h"

#include <algorithm>
#include <type_traits>

namespace vigil::metrics {
namespace {

// Latency buckets from 1 ms to 1 min (event to warning, batch, publish).
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}
// Timer lateness: on time is tens of ms; a backlog after a stop is minutes to hours.
prometheus::Histogram::BucketBoundaries LatenessBuckets() {
  return {0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600};
}

}  // namespace

template <typename Builder>
auto& Metrics::Build(Builder builder, const std::string& name, const std::string& help) {
  names_.push_back(name);
  if constexpr (std::is_same_v<Builder, prometheus::detail::Builder<prometheus::Histogram>>) {
    histograms_.push_back(name);
  }
  return builder.Name(name).Help(help).Register(*registry_);
}

Metrics::Metrics(const std::string& version) : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  consumed_ = &Build(BuildCounter(), "vigil_events_consumed_total",
                     "Input records read, by topic and outcome (ok; invalid and late go to the "
                     "dead-letter topic)");
  consumer_lag_ = &Build(BuildGauge(), "vigil_consumer_lag_records",
                         "Records on an assigned input partition not yet read (high watermark "
                         "minus position)");
  partitions_assigned_ =
      &Build(BuildGauge(), "vigil_partitions_assigned", "Input partitions assigned to this vigild")
           .Add({});
  batch_seconds_ = &Build(BuildHistogram(), "vigil_batch_duration_seconds",
                          "From taking a batch's first record (or firing its first timer) to its "
                          "durable RocksDB commit; idle polling is not counted")
                        .Add({}, LatencyBuckets());
  event_to_warning_seconds_ =
      &Build(BuildHistogram(), "vigil_event_to_warning_seconds",
             "From an input record's Kafka timestamp to the durable commit of the warning event "
             "it caused")
           .Add({}, LatencyBuckets());
  warning_events_ = &Build(BuildCounter(), "vigil_warning_events_total",
                           "Warning events published, by rule, grade and type (RAISED, UPDATED, "
                           "ESCALATED, REOPENED, ...)");
  open_warnings_ = &Build(BuildGauge(), "vigil_open_warnings",
                          "Warnings not closed, by grade and city (city_code)");
  commands_ = &Build(BuildCounter(), "vigil_commands_total",
                     "Lifecycle commands, by source (kafka, grpc) and result (accepted, rejected)");
  rule_reloads_ =
      &Build(BuildCounter(), "vigil_rule_reloads_total", "Rule reloads, by result (ok, rejected)");
  rules_loaded_ =
      &Build(BuildGauge(), "vigil_rules_loaded", "Rules running, by kind (window, deadline)");
  timers_fired_ =
      &Build(BuildCounter(), "vigil_timers_fired_total", "Durable timers fired").Add({});
  timers_fired_late_ = &Build(BuildCounter(), "vigil_timers_fired_late_total",
                              "Durable timers fired more than 5 s after their due time")
                            .Add({});
  timers_pending_ =
      &Build(BuildGauge(), "vigil_timers_pending", "Durable timers scheduled, not fired").Add({});
  timer_lateness_seconds_ = &Build(BuildHistogram(), "vigil_timer_lateness_seconds",
                                   "From a timer's due time to its firing")
                                 .Add({}, LatenessBuckets());
  outbox_in_flight_ = &Build(BuildGauge(), "vigil_outbox_in_flight",
                             "Outbox records committed but not yet acknowledged by Kafka")
                           .Add({});
  outbox_oldest_age_seconds_ =
      &Build(BuildGauge(), "vigil_outbox_oldest_age_seconds",
             "Age of the oldest outbox record not yet acknowledged by Kafka (0 when none)")
           .Add({});
  outbox_publish_seconds_ = &Build(BuildHistogram(), "vigil_outbox_publish_seconds",
                                   "From an outbox record's commit to Kafka's acknowledgement")
                                 .Add({}, LatencyBuckets());
  alert_subscribers_ =
      &Build(BuildGauge(), "vigil_alert_subscribers", "Open AlertService Subscribe streams")
           .Add({});
  alert_streams_cut_off_ =
      &Build(BuildCounter(), "vigil_alert_streams_cut_off_total",
             "Subscribe streams ended because the client fell too far behind (it resumes)")
           .Add({});
  alert_calls_denied_ = &Build(BuildCounter(), "vigil_alert_calls_denied_total",
                               "AlertService calls refused (UNAUTHENTICATED or PERMISSION_DENIED)")
                             .Add({});
  rocksdb_live_sst_bytes_ =
      &Build(BuildGauge(), "vigil_rocksdb_live_sst_bytes", "Size of RocksDB's live SST files")
           .Add({});
  rocksdb_memtable_bytes_ =
      &Build(BuildGauge(), "vigil_rocksdb_memtable_bytes", "Size of all RocksDB memtables").Add({});
  rocksdb_block_cache_bytes_ = &Build(BuildGauge(), "vigil_rocksdb_block_cache_usage_bytes",
                                      "Memory used by RocksDB's block cache")
                                    .Add({});
  rocksdb_compaction_pending_ = &Build(BuildGauge(), "vigil_rocksdb_compaction_pending",
                                       "1 when RocksDB has a compaction pending")
                                     .Add({});
  rocksdb_pending_bytes_ = &Build(BuildGauge(), "vigil_rocksdb_pending_compaction_bytes",
                                  "Bytes RocksDB estimates compaction still has to rewrite")
                                .Add({});
  rocksdb_write_stopped_ = &Build(BuildGauge(), "vigil_rocksdb_write_stopped",
                                  "1 while RocksDB stops writes (a write stall)")
                                .Add({});
  rocksdb_write_stalls_ = &Build(BuildCounter(), "vigil_rocksdb_write_stalls_total",
                                 "RocksDB write stalls, by kind (stop, slowdown)");
  kafka_broker_up_ = &Build(BuildGauge(), "vigil_kafka_broker_up",
                            "1 when the Kafka client's connection to the broker is UP");
  kafka_rtt_ = &Build(BuildGauge(), "vigil_kafka_broker_rtt_seconds",
                      "Average request round trip to the broker (librdkafka statistics)");
  kafka_outbuf_ = &Build(BuildGauge(), "vigil_kafka_broker_outbuf_requests",
                         "Requests waiting to be sent to the broker");
  kafka_waitresp_ = &Build(BuildGauge(), "vigil_kafka_broker_waitresp_requests",
                           "Requests sent to the broker and awaiting a response");
  kafka_queue_ = &Build(BuildGauge(), "vigil_kafka_client_queue_messages",
                        "Messages in the Kafka client's queues (producer: not yet delivered)");
  kafka_replyq_ = &Build(BuildGauge(), "vigil_kafka_client_replyq_events",
                         "Events waiting to be served by the Kafka client's poll");
  ready_ = &Build(BuildGauge(), "vigil_ready",
                  "1 when vigild is ready (rules loaded, RocksDB open, partitions assigned and "
                  "caught up); the same answer as /readyz")
                .Add({});
  Build(BuildGauge(), "vigil_build_info", "vigild's version; always 1")
      .Add({{"version", version}})
      .Set(1);
  for (const char* kind : {"window", "deadline"}) RulesLoaded(kind);
  for (const char* result : {"ok", "rejected"}) RuleReloads(result);
  for (const char* kind : {"stop", "slowdown"}) RocksdbWriteStalls(kind);
  for (const char* source : {"kafka", "grpc"}) {
    for (const char* result : {"accepted", "rejected"}) Commands(source, result);
  }
  std::sort(names_.begin(), names_.end());
}

std::vector<std::string> Metrics::FamilyNames() const { return names_; }

prometheus::Counter& Metrics::WarningEvents(const std::string& rule, const std::string& grade,
                                            const std::string& type) {
  return warning_events_->Add({{"rule", rule}, {"grade", grade}, {"type", type}});
}

prometheus::Counter& Metrics::Commands(const std::string& source, const std::string& result) {
  return commands_->Add({{"source", source}, {"result", result}});
}

prometheus::Counter& Metrics::RuleReloads(const std::string& result) {
  return rule_reloads_->Add({{"result", result}});
}

prometheus::Gauge& Metrics::RulesLoaded(const std::string& kind) {
  return rules_loaded_->Add({{"kind", kind}});
}

prometheus::Counter& Metrics::RocksdbWriteStalls(const std::string& kind) {
  return rocksdb_write_stalls_->Add({{"kind", kind}});
}

}  // namespace vigil::metrics

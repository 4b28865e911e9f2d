#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace vigil::metrics {

// vigild's Prometheus metrics (prometheus-cpp), served on /metrics. Names
// follow Prometheus conventions: `vigil_` prefix, base units (seconds,
// bytes), `_total` for counters; labels are bounded (topic, outcome, rule,
// grade, city — never a customer or a ticket).
//
// Counters are updated by the engine thread once per batch (not per event);
// prometheus-cpp's metrics are atomic, so the scrape thread reads them safely.
class Metrics {
 public:
  Metrics();

  // Starts the HTTP endpoint on `listen` ("127.0.0.1:9464"); "" = none.
  absl::Status Serve(const std::string& listen);
  // The port actually bound (0 when not serving).
  int port() const;

  prometheus::Registry& registry() { return *registry_; }

  // Events read from an input topic, by outcome: ok | invalid | late.
  prometheus::Counter& Consumed(const std::string& topic, const std::string& outcome);
  // Warning events published, by rule, grade and event type.
  prometheus::Counter& WarningEvents(const std::string& rule, const std::string& grade,
                                     const std::string& type);
  prometheus::Counter& RuleReloads(const std::string& result);  // ok | rejected
  prometheus::Counter& TimersFired() { return *timers_fired_; }
  prometheus::Counter& TimersFiredLate() { return *timers_fired_late_; }
  prometheus::Gauge& OutboxInFlight() { return *outbox_in_flight_; }
  prometheus::Gauge& AlertSubscribers() { return *alert_subscribers_; }
  prometheus::Counter& AlertStreamsCutOff() { return *alert_cut_off_; }
  // Seconds from taking a batch's first record to its durable commit.
  prometheus::Histogram& BatchSeconds() { return *batch_seconds_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* consumed_;
  prometheus::Family<prometheus::Counter>* warning_events_;
  prometheus::Family<prometheus::Counter>* rule_reloads_;
  prometheus::Counter* timers_fired_;
  prometheus::Counter* timers_fired_late_;
  prometheus::Gauge* outbox_in_flight_;
  prometheus::Gauge* alert_subscribers_;
  prometheus::Counter* alert_cut_off_;
  prometheus::Histogram* batch_seconds_;
};

}  // namespace vigil::metrics

#include "processors/metrics/metrics.h"

#include "absl/strings/str_cat.h"

namespace vigil::metrics {

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  consumed_ = &prometheus::BuildCounter()
                   .Name("vigil_events_consumed_total")
                   .Help("Input records read, by topic and outcome (ok, invalid, late)")
                   .Register(*registry_);
  warning_events_ = &prometheus::BuildCounter()
                         .Name("vigil_warning_events_total")
                         .Help("Warning events published, by rule, grade and type")
                         .Register(*registry_);
  rule_reloads_ = &prometheus::BuildCounter()
                       .Name("vigil_rule_reloads_total")
                       .Help("Rule reloads, by result (ok, rejected)")
                       .Register(*registry_);
  timers_fired_ = &prometheus::BuildCounter()
                       .Name("vigil_timers_fired_total")
                       .Help("Durable timers fired")
                       .Register(*registry_)
                       .Add({});
  timers_fired_late_ = &prometheus::BuildCounter()
                            .Name("vigil_timers_fired_late_total")
                            .Help("Durable timers fired more than 5 s after their due time")
                            .Register(*registry_)
                            .Add({});
  outbox_in_flight_ = &prometheus::BuildGauge()
                           .Name("vigil_outbox_in_flight")
                           .Help("Outbox records committed but not yet acknowledged by Kafka")
                           .Register(*registry_)
                           .Add({});
  alert_subscribers_ = &prometheus::BuildGauge()
                            .Name("vigil_alert_subscribers")
                            .Help("Open AlertService Subscribe streams")
                            .Register(*registry_)
                            .Add({});
  alert_cut_off_ = &prometheus::BuildCounter()
                        .Name("vigil_alert_streams_cut_off_total")
                        .Help("Subscribe streams ended because the client fell too far behind")
                        .Register(*registry_)
                        .Add({});
  batch_seconds_ =
      &prometheus::BuildHistogram()
           .Name("vigil_batch_duration_seconds")
           .Help("From a batch's first record to its durable commit")
           .Register(*registry_)
           .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1, 0.25, 0.5, 1, 2.5, 5});
}

absl::Status Metrics::Serve(const std::string& listen) {
  if (listen.empty()) return absl::OkStatus();
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics.listen ", listen, ": cannot listen there: ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  return absl::OkStatus();
}

int Metrics::port() const {
  if (exposer_ == nullptr) return 0;
  const auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

prometheus::Counter& Metrics::Consumed(const std::string& topic, const std::string& outcome) {
  return consumed_->Add({{"topic", topic}, {"outcome", outcome}});
}

prometheus::Counter& Metrics::WarningEvents(const std::string& rule, const std::string& grade,
                                            const std::string& type) {
  return warning_events_->Add({{"rule", rule}, {"grade", grade}, {"type", type}});
}

prometheus::Counter& Metrics::RuleReloads(const std::string& result) {
  return rule_reloads_->Add({{"result", result}});
}

}  // namespace vigil::metrics

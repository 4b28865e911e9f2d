#include "processors/metrics/kafka_stats.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace vigil::metrics {
namespace {

int64_t Int(const nlohmann::json& j, const char* key, int64_t fallback = 0) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : fallback;
}

spdlog::level::level_enum LevelOf(RdKafka::Event::Severity s) {
  switch (s) {
    case RdKafka::Event::EVENT_SEVERITY_EMERG:
    case RdKafka::Event::EVENT_SEVERITY_ALERT:
    case RdKafka::Event::EVENT_SEVERITY_CRITICAL:
    case RdKafka::Event::EVENT_SEVERITY_ERROR:
      return spdlog::level::err;
    case RdKafka::Event::EVENT_SEVERITY_WARNING:
      return spdlog::level::warn;
    case RdKafka::Event::EVENT_SEVERITY_NOTICE:
    case RdKafka::Event::EVENT_SEVERITY_INFO:
      return spdlog::level::info;
    case RdKafka::Event::EVENT_SEVERITY_DEBUG:
    default:
      return spdlog::level::debug;
  }
}

}  // namespace

KafkaStats::KafkaStats(Metrics* metrics, std::string client, bool consumer_lag)
    : metrics_(metrics), client_(std::move(client)), consumer_lag_(consumer_lag) {}

void KafkaStats::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_STATS:
      OnStatistics(event.str());
      break;
    case RdKafka::Event::EVENT_LOG:
      spdlog::log(LevelOf(event.severity()), "kafka {} {}: {}", client_, event.fac(), event.str());
      break;
    case RdKafka::Event::EVENT_ERROR: {
      // librdkafka retries by itself; repeated errors (a broker down) are logged once a minute.
      const std::string text = RdKafka::err2str(event.err()) + ": " + event.str();
      const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count();
      if (text != last_error_ || now_s - last_error_logged_s_ >= 60 || event.fatal()) {
        spdlog::log(event.fatal() ? spdlog::level::err : spdlog::level::warn, "kafka {}: {}{}",
                    client_, event.fatal() ? "FATAL " : "", text);
        last_error_ = text;
        last_error_logged_s_ = now_s;
      }
      break;
    }
    default:
      break;
  }
}

void KafkaStats::OnStatistics(std::string_view json) {
  const nlohmann::json stats = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (stats.is_discarded() || !stats.is_object()) return;
  statistics_seen_.fetch_add(1);
  metrics_->kafka_client_queue()
      .Add({{"client", client_}})
      .Set(static_cast<double>(Int(stats, "msg_cnt")));
  metrics_->kafka_client_replyq()
      .Add({{"client", client_}})
      .Set(static_cast<double>(Int(stats, "replyq")));

  std::set<std::string> brokers;
  if (const auto b = stats.find("brokers"); b != stats.end() && b->is_object()) {
    for (const auto& [name, broker] : b->items()) {
      // Real brokers only: not the bootstrap entries, nor the logical coordinator
      // connections (GroupCoordinator), which duplicate a real broker.
      const auto source = broker.find("source");
      if (Int(broker, "nodeid", -1) < 0 || source == broker.end() || !source->is_string() ||
          (*source != "learned" && *source != "configured")) {
        continue;
      }
      const prometheus::Labels labels = {{"client", client_}, {"broker", name}};
      const auto state = broker.find("state");
      metrics_->kafka_broker_up().Add(labels).Set(
          state != broker.end() && state->is_string() && *state == "UP" ? 1 : 0);
      double rtt_us = 0;
      if (const auto rtt = broker.find("rtt"); rtt != broker.end() && rtt->is_object()) {
        rtt_us = static_cast<double>(Int(*rtt, "avg"));
      }
      metrics_->kafka_broker_rtt_seconds().Add(labels).Set(rtt_us / 1e6);
      metrics_->kafka_broker_outbuf().Add(labels).Set(
          static_cast<double>(Int(broker, "outbuf_cnt")));
      metrics_->kafka_broker_waitresp().Add(labels).Set(
          static_cast<double>(Int(broker, "waitresp_cnt")));
      brokers.insert(name);
    }
  }
  for (const std::string& gone : broker_series_) {
    if (brokers.count(gone) != 0) continue;
    const prometheus::Labels labels = {{"client", client_}, {"broker", gone}};
    for (auto* family : {&metrics_->kafka_broker_up(), &metrics_->kafka_broker_rtt_seconds(),
                         &metrics_->kafka_broker_outbuf(), &metrics_->kafka_broker_waitresp()}) {
      family->Remove(&family->Add(labels));
    }
  }
  broker_series_ = std::move(brokers);

  if (!consumer_lag_) return;
  std::set<std::pair<std::string, std::string>> lag_series;
  int64_t total = 0;
  bool any = false;
  if (const auto t = stats.find("topics"); t != stats.end() && t->is_object()) {
    for (const auto& [topic, tstats] : t->items()) {
      const auto parts = tstats.find("partitions");
      if (parts == tstats.end() || !parts->is_object()) continue;
      for (const auto& [partition, p] : parts->items()) {
        if (Int(p, "partition", -1) < 0) continue;  // the internal UA partition
        const auto desired = p.find("desired");
        if (desired == p.end() || !desired->is_boolean() || !desired->get<bool>()) continue;
        const int64_t hi = Int(p, "hi_offset", -1);
        if (hi < 0) continue;  // not fetched yet
        // Position: the next offset for the application, else the committed one, else 0.
        int64_t position = Int(p, "app_offset", -1001);
        if (position < 0) position = Int(p, "committed_offset", -1001);
        if (position < 0) position = Int(p, "lo_offset", 0);
        const int64_t lag = std::max<int64_t>(0, hi - position);
        metrics_->consumer_lag()
            .Add({{"topic", topic}, {"partition", partition}})
            .Set(static_cast<double>(lag));
        lag_series.emplace(topic, partition);
        total += lag;
        any = true;
      }
    }
  }
  for (const auto& [topic, partition] : lag_series_) {
    if (lag_series.count({topic, partition}) != 0) continue;
    auto& family = metrics_->consumer_lag();
    family.Remove(&family.Add({{"topic", topic}, {"partition", partition}}));
  }
  lag_series_ = std::move(lag_series);
  total_lag_.store(any ? total : -1);
}

}  // namespace vigil::metrics

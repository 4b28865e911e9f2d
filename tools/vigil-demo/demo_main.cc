// vigil-demo: vigild on the embedded default (librdkafka's in-process mock
// broker) with twelve hours of simulated 95598 traffic (vigil-sim's
// thunderstorm_city preset on a small city: tickets, outages, repeat calls);
// prints the warnings it raises and the records it dead-letters, then exits
// (or, with --follow, keeps running until Ctrl-C).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "librdkafka/rdkafkacpp.h"
#include "processors/common/clock.h"
#include "processors/vigild/app.h"
#include "processors/vigild/config.h"
#include "processors/vigild/embedded_kafka.h"
#include "processors/warnings/warning_format.h"
#include "tools/sim/event_sink.h"
#include "tools/sim/local_time.h"
#include "tools/sim/simulator.h"
#include "vigil/v1/warning.pb.h"

namespace {

std::atomic<bool> g_interrupted{false};  // set by SIGINT/SIGTERM only
void OnSignal(int) { g_interrupted.store(true); }

int Fail(const std::string& what) {
  std::cerr << "vigil-demo: " << what << "\n";
  return 1;
}

std::string HeaderValue(RdKafka::Message& m, const std::string& name) {
  if (!m.headers()) return "";
  RdKafka::Headers::Header h = m.headers()->get_last(name);
  if (h.err() != RdKafka::ERR_NO_ERROR || !h.value()) return "";
  return std::string(static_cast<const char*>(h.value()), h.value_size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"vigil-demo — vigild with an embedded broker and simulated 95598 traffic"};
  std::string config_path = "deploy/vigil.demo.yaml";
  bool follow = false;
  uint64_t seed = 7;
  cli.add_option("-c,--config", config_path, "config file");
  cli.add_flag("--follow", follow, "keep running after the stream (Ctrl-C to stop)");
  cli.add_option("--seed", seed, "seed of the generated stream");
  CLI11_PARSE(cli, argc, argv);
  spdlog::set_level(spdlog::level::warn);

  auto config = vigil::vigild::LoadConfig(config_path);
  if (!config.ok()) return Fail(std::string(config.status().message()));
  auto kafka = vigil::vigild::EmbeddedKafka::Start();
  if (!kafka.ok()) return Fail(std::string(kafka.status().message()));
  for (const std::string& t :
       {config->tickets.name, config->outages.name, config->repeat_calls.name,
        config->warnings_topic, config->dead_letter_topic}) {
    if (auto s = (*kafka)->CreateTopic(t, 3); !s.ok()) return Fail(std::string(s.message()));
  }
  config->brokers = (*kafka)->bootstrap();
  const std::filesystem::path state =
      std::filesystem::path(config->state_path) / std::to_string(::getpid());
  std::filesystem::remove_all(state);
  config->state_path = state.string();

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  vigil::SystemClock clock;
  const std::string tickets_topic = config->tickets.name;
  const std::string metrics_listen = config->metrics_listen;
  const std::string outages_topic_name = config->outages.name;
  const std::string repeat_calls_topic_name = config->repeat_calls.name;
  const std::string warnings_topic = config->warnings_topic;
  const std::string dlq_topic = config->dead_letter_topic;
  auto app = vigil::vigild::App::Create(*std::move(config), &clock);
  if (!app.ok()) return Fail(std::string(app.status().message()));
  std::atomic<bool> stop{false};
  absl::Status run_status;
  std::thread engine([&] { run_status = (*app)->Run(stop); });

  std::cout << "== Vigil demo: vigild on the embedded broker " << (*kafka)->bootstrap() << "\n";

  // 1. The generated stream: a thunderstorm over a small city (12 h, ~2,000
  //    events with three injected complaint clusters), and two malformed
  //    records that must reach the dead-letter topic.
  vigil::sim::SimOptions opts;
  opts.preset = "thunderstorm_city";
  opts.seed = seed;
  opts.cities = 1;
  opts.scale = 0.2;
  opts.start = *vigil::sim::ParseLocalTime("2026-07-22T12:00");
  opts.duration = absl::Hours(12);
  opts.warmup = absl::Hours(72);
  vigil::sim::VectorSink sink;
  auto generated = vigil::sim::Generate(opts, sink);
  if (!generated.ok()) return Fail(std::string(generated.status().message()));
  const std::vector<vigil::v1::Envelope>& events = sink.events();
  const std::string outages_topic = outages_topic_name;
  const std::string repeat_calls_topic = repeat_calls_topic_name;
  std::string err;
  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  pconf->set("bootstrap.servers", (*kafka)->bootstrap(), err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), err));
  if (!producer) return Fail("producer: " + err);
  auto produce = [&](const std::string& topic, const std::string& key, const std::string& value) {
    while (producer->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                             0, nullptr) == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(50);
    }
  };
  auto topic_of = [&](const vigil::v1::Envelope& e) -> const std::string& {
    return e.has_ticket() ? tickets_topic : e.has_outage() ? outages_topic : repeat_calls_topic;
  };
  std::map<std::string, int> per_topic;
  for (const auto& e : events) {
    ++per_topic[topic_of(e)];
    produce(topic_of(e), e.region().city_code(), e.SerializeAsString());
  }
  produce(tickets_topic, "370100", "\x08\x96\x01 this is not an envelope");
  vigil::v1::Envelope no_region = events.front();
  no_region.set_event_id("evt-no-region");
  no_region.clear_region();
  produce(topic_of(no_region), "370100", no_region.SerializeAsString());
  if (producer->flush(30000) != RdKafka::ERR_NO_ERROR)
    return Fail("producing the stream timed out");
  std::cout << "== produced " << events.size() + 2 << " records: " << per_topic[tickets_topic]
            << " tickets, " << per_topic[outages_topic] << " outage events, "
            << per_topic[repeat_calls_topic] << " repeat calls (simulated thunderstorm over city "
            << "370100, " << vigil::sim::FormatLocal(*opts.start) << " + 12 h) and 2 malformed\n   "
            << generated->summary.notes
            << "; ground truth: " << generated->summary.labels["complaint_cluster"]
            << " complaint clusters (R13)\n\n";

  // Input end offsets: the engine is done when it has committed up to them.
  std::map<std::pair<std::string, int32_t>, int64_t> input_end;
  for (const std::string& t : {tickets_topic, outages_topic, repeat_calls_topic}) {
    for (int32_t p = 0; p < 3; ++p) {
      int64_t lo = 0, hi = 0;
      producer->query_watermark_offsets(t, p, &lo, &hi, 5000);
      input_end[{t, p}] = hi;
    }
  }

  // 2. Print what vigild publishes, as an independent consumer would see it.
  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  cconf->set("bootstrap.servers", (*kafka)->bootstrap(), err);
  cconf->set("group.id", "vigil-demo-printer", err);
  cconf->set("enable.auto.commit", "false", err);
  std::unique_ptr<RdKafka::KafkaConsumer> printer(RdKafka::KafkaConsumer::create(cconf.get(), err));
  if (!printer) return Fail("consumer: " + err);
  std::vector<RdKafka::TopicPartition*> parts;
  for (const std::string& t : {warnings_topic, dlq_topic}) {
    for (int32_t p = 0; p < 3; ++p) {
      parts.push_back(RdKafka::TopicPartition::create(t, p, RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  printer->assign(parts);
  RdKafka::TopicPartition::destroy(parts);

  int warnings = 0, dead = 0;
  std::map<std::pair<std::string, int32_t>, int64_t> seen;  // next offset per output partition
  auto print = [&](RdKafka::Message& m) {
    seen[{m.topic_name(), m.partition()}] = m.offset() + 1;
    if (m.topic_name() == warnings_topic) {
      vigil::v1::WarningEvent we;
      if (!we.ParseFromArray(m.payload(), static_cast<int>(m.len()))) return;
      ++warnings;
      std::cout << vigil::warnings::FormatWarningEvent(we) << "\n";
    } else {
      ++dead;
      std::cout << "DEAD-LETTER " << HeaderValue(m, "vigil-reason") << ": "
                << HeaderValue(m, "vigil-detail") << " (from "
                << HeaderValue(m, "vigil-source-topic") << "["
                << HeaderValue(m, "vigil-source-partition") << "]@"
                << HeaderValue(m, "vigil-source-offset") << ")\n";
    }
  };
  auto caught_up = [&]() {
    const auto progress = (*app)->GetProgress();
    if (progress.outbox_in_flight != 0) return false;
    for (const auto& [tp, end] : input_end) {
      auto it = progress.committed.find({tp.first, vigil::Partition(tp.second)});
      const int64_t at = it == progress.committed.end() ? 0 : it->second.value();
      if (at < end) return false;
    }
    return true;
  };
  auto outputs_read = [&]() {
    for (const std::string& t : {warnings_topic, dlq_topic}) {
      for (int32_t p = 0; p < 3; ++p) {
        int64_t lo = 0, hi = 0;
        printer->query_watermark_offsets(t, p, &lo, &hi, 5000);
        auto it = seen.find({t, p});
        if (hi > (it == seen.end() ? 0 : it->second)) return false;
      }
    }
    return true;
  };

  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool done = false;
  while (!g_interrupted.load()) {
    std::unique_ptr<RdKafka::Message> m(printer->consume(200));
    if (m->err() == RdKafka::ERR_NO_ERROR) {
      print(*m);
      continue;
    }
    if (!done && caught_up() && outputs_read()) {
      done = true;
      std::cout << "\n== vigild processed all " << events.size() + 2 << " records: " << warnings
                << " warning events on " << warnings_topic << ", " << dead << " records on "
                << dlq_topic << "\n";
      if (!follow) break;
      std::cout << "== --follow: still running. Produce more with e.g.\n"
                << "   kcat -b " << (*kafka)->bootstrap() << " -P -t " << tickets_topic
                << " -k 370100 <file>\n";
      if (!metrics_listen.empty()) {
        std::cout << "   Metrics: curl -s http://" << metrics_listen
                  << "/metrics | grep ^vigil_   (health: /healthz, /readyz; Prometheus: "
                     "README.md, Operations)\n";
      }
      std::cout << "   Ctrl-C to stop.\n";
    }
    if (!done && std::chrono::steady_clock::now() > give_up) {
      stop.store(true);
      engine.join();
      return Fail("vigild did not process the stream within 120 s");
    }
  }
  printer->close();
  stop.store(true);
  engine.join();
  std::filesystem::remove_all(state);
  if (!run_status.ok()) return Fail(std::string(run_status.message()));
  return done ? 0 : 130;
}

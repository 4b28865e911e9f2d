// vigil-alerts-bench: fan-out of the gRPC AlertService (processors/sinks/alerts)
// to many city-unit subscribers over TLS on 127.0.0.1.
//
// The real server, hub and access policy; the engine is replaced by a
// publisher thread that commits --rate events/s in batches every
// --commit-interval (as vigild's engine thread does) into an in-memory
// ledger log and the hub. --subscribers clients (each its own TLS channel and
// token, half of them a city unit, half the province) stream from the start
// and measure event-to-client latency: client receive time minus the time the
// batch was published (after its "commit"). A measurement, not a test.
//
//   build/tools/bench/vigil-alerts-bench --subscribers 100 --rate 2000 --seconds 10

#include <grpcpp/grpcpp.h>
#include <stdio.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"
#include "processors/sinks/alerts/server.h"
#include "tools/bench/report.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::bench {
namespace {

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The ledger log in memory: what a reconnecting or late subscriber reads.
class MemoryBackend final : public alerts::Backend {
 public:
  void Append(const std::vector<v1::WarningEvent>& events) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.insert(log_.end(), events.begin(), events.end());
  }
  absl::StatusOr<std::optional<v1::Warning>> GetWarning(std::string_view) override {
    return std::optional<v1::Warning>();
  }
  absl::StatusOr<std::vector<v1::Warning>> ListWarnings(const ledger::Query&) override {
    return std::vector<v1::Warning>();
  }
  absl::StatusOr<std::vector<v1::WarningEvent>> EventsAfter(uint64_t after_seq,
                                                            size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<v1::WarningEvent> out;
    for (size_t i = after_seq; i < log_.size() && out.size() < limit; ++i) out.push_back(log_[i]);
    return out;  // log_[i] has ledger_seq i + 1
  }
  absl::StatusOr<v1::CommandResult> Command(const v1::WarningCommand&, absl::Duration) override {
    return absl::UnimplementedError("not in this benchmark");
  }

 private:
  std::mutex mu_;
  std::vector<v1::WarningEvent> log_;
};

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Main(int argc, char** argv) {
  CLI::App cli{"vigil-alerts-bench: AlertService fan-out over TLS on 127.0.0.1"};
  int subscribers = 100, rate = 2000, seconds = 10, commit_ms = 100, buffered = 10000;
  cli.add_option("--subscribers", subscribers, "concurrent Subscribe streams")
      ->capture_default_str();
  cli.add_option("--rate", rate, "warning events per second")->capture_default_str();
  cli.add_option("--seconds", seconds, "how long events are published")->capture_default_str();
  cli.add_option("--commit-interval-ms", commit_ms, "events are published in batches this often")
      ->capture_default_str();
  cli.add_option("--max-buffered", buffered, "alerts.max_buffered_events")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("vigil-alerts-bench-", getpid());
  const std::string certs = absl::StrCat(VIGIL_SOURCE_DIR, "/tools/dev-certs ", dir.string(),
                                         " province > /dev/null 2>&1");
  if (std::system(certs.c_str()) != 0) {
    std::cerr << "vigil-alerts-bench: tools/dev-certs failed (is openssl installed?)\n";
    return 1;
  }
  alerts::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.cert_file = (dir / "server.pem").string();
  config.key_file = (dir / "server.key").string();
  config.service.heartbeat_interval = absl::Seconds(1);
  config.service.max_buffered_events = static_cast<size_t>(buffered);
  config.units = {{"province", true, {}, "province-token-0123456789"},
                  {"jinan", false, {"370100"}, "jinan-token-0123456789"}};
  SystemClock clock;
  MemoryBackend backend;
  alerts::Hub hub(0);
  absl::StatusOr<std::unique_ptr<alerts::Server>> server =
      alerts::Server::Start(config, &backend, &hub, &clock);
  if (!server.ok()) {
    std::cerr << "vigil-alerts-bench: " << server.status() << "\n";
    return 1;
  }
  const std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(dir / "ca.pem");

  const int64_t total = static_cast<int64_t>(rate) * seconds;
  std::atomic<int64_t> delivered{0};
  std::atomic<int> ready{0}, cut_off{0};
  std::vector<std::vector<double>> latencies(subscribers);
  std::vector<std::thread> clients;
  for (int i = 0; i < subscribers; ++i) {
    clients.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetSslTargetNameOverride("localhost");
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per subscriber
      auto stub = v1::AlertService::NewStub(
          grpc::CreateCustomChannel(target, grpc::SslCredentials(ssl), args));
      uint64_t cursor = 0;
      std::vector<double>& lat = latencies[i];
      lat.reserve(total);
      bool first = true;
      while (static_cast<int64_t>(cursor) < total) {
        grpc::ClientContext ctx;
        ctx.AddMetadata("authorization", i % 2 == 0 ? "Bearer province-token-0123456789"
                                                    : "Bearer jinan-token-0123456789");
        v1::SubscribeRequest req;
        req.set_after_seq(cursor);
        auto stream = stub->Subscribe(&ctx, req);
        if (first) {
          ++ready;
          first = false;
        }
        v1::SubscribeResponse r;
        while (static_cast<int64_t>(cursor) < total && stream->Read(&r)) {
          if (!r.has_event()) continue;
          const int64_t now = SteadyNs();
          cursor = r.event().ledger_seq();
          lat.push_back(static_cast<double>(now - r.event().fired_late_by_ms()) / 1e6);
          ++delivered;
        }
        if (static_cast<int64_t>(cursor) < total) {
          ++cut_off;  // resumes from its cursor
          ctx.TryCancel();
          stream->Finish();
        } else {
          ctx.TryCancel();
        }
      }
    });
  }
  while (ready.load() < subscribers) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  // The "engine": batches every commit interval, stamped when published.
  const int64_t start = SteadyNs();
  const int64_t step_ns = static_cast<int64_t>(commit_ms) * 1000000;
  int64_t seq = 0;
  for (int64_t tick = 1; seq < total; ++tick) {
    const int64_t due = start + tick * step_ns;
    const int64_t upto = std::min<int64_t>(total, rate * (tick * step_ns) / 1000000000);
    std::vector<v1::WarningEvent> batch;
    while (seq < upto) {
      v1::WarningEvent& e = batch.emplace_back();
      e.set_ledger_seq(static_cast<uint64_t>(++seq));
      e.set_type(v1::WarningEvent::UPDATED);
      v1::Warning* w = e.mutable_warning();
      w->set_warning_id(absl::StrCat("R13-", seq % 500));
      w->set_rule_id("R13");
      w->set_region_key("370100/370102/S01/A01");
      w->mutable_region()->set_city_code("370100");
      w->set_grade(v1::GRADE_III);
      w->set_message("5 complaints in area:A01 within 24h (grade III)");
      w->set_version(seq);
    }
    while (SteadyNs() < due) std::this_thread::sleep_for(std::chrono::microseconds(200));
    // Stamp at publish (the benchmark reuses fired_late_by_ms for the send time).
    const int64_t now = SteadyNs();
    for (v1::WarningEvent& e : batch) e.set_fired_late_by_ms(now);
    backend.Append(batch);
    hub.Publish(batch);
  }
  const int64_t published_ns = SteadyNs() - start;
  for (std::thread& t : clients) t.join();
  const int64_t done_ns = SteadyNs() - start;
  (*server)->Shutdown(absl::Seconds(1));
  std::filesystem::remove_all(dir);

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const Percentiles p = ComputePercentiles(std::move(all));
  const Machine m = DescribeMachine();
  std::cout << absl::StrFormat(
      "vigil-alerts-bench: %d subscribers (TLS, half city unit, half province), %d events/s "
      "for %d s in batches every %d ms\n"
      "  machine: %s, %d CPUs\n"
      "  published %d events in %.2f s; delivered %d (expected %d) in %.2f s\n"
      "  delivered rate: %.0f events/s to clients (%.0f per subscriber)\n"
      "  event-to-client latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n"
      "  streams cut off as too slow (resumed from their cursor): %d\n",
      subscribers, rate, seconds, commit_ms, m.cpu_model, m.nproc, total, published_ns / 1e9,
      delivered.load(), total * subscribers, done_ns / 1e9, delivered.load() / (done_ns / 1e9),
      total / (done_ns / 1e9), p.p50, p.p90, p.p99, p.p999, p.max, cut_off.load());
  return delivered.load() == total * subscribers ? 0 : 1;
}

}  // namespace
}  // namespace vigil::bench

int main(int argc, char** argv) { return vigil::bench::Main(argc, argv); }

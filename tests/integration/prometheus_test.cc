// vigild watched by a real Prometheus (Debian's `prometheus`, on 127.0.0.1) with the
// sample config deploy/prometheus/prometheus.yml and the alert rules next to it:
// Prometheus scrapes vigild under load, and its HTTP API shows the key series.
// Also: vigild's /metrics passes `promtool check metrics`; /healthz and /readyz answer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/support/http_get.h"
#include "tests/support/kafka_client.h"
#include "tests/support/kafka_env.h"
#include "tests/support/test_events.h"
#include "tests/support/vigild_process.h"
#include "vigil/v1/events.pb.h"

namespace vigil::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 3;

// A free TCP port on 127.0.0.1 (bound then released: Prometheus takes no port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A child process (Prometheus) with its output in a log file; SIGTERM at the end.
class Child {
 public:
  Child(std::vector<std::string> argv, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_ = -1;
};

class PrometheusScrapesVigild : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = KafkaEnvironment::Bootstrap();
    ASSERT_FALSE(bootstrap_.empty());
    tickets_ = UniqueName("pm-tickets");
    outages_ = UniqueName("pm-outages");
    calls_ = UniqueName("pm-calls");
    warnings_ = UniqueName("pm-warnings");
    dead_ = UniqueName("pm-dead");
    CreateTopics(bootstrap_, {tickets_, outages_, calls_, warnings_, dead_}, kPartitions);
    dir_ = std::filesystem::path(::testing::TempDir()) / UniqueName("prometheus-it");
    std::filesystem::create_directories(dir_ / "rules");
    std::ofstream(dir_ / "rules" / "R13.yaml") << kR13Rule;
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const char* log : {"vigild.log", "prometheus.log"}) {
        std::ifstream in(dir_ / log);
        std::cerr << "---- " << log << "\n" << in.rdbuf() << "\n";
      }
    }
    std::filesystem::remove_all(dir_);
  }

  std::string WriteVigildConfig() {
    const std::string path = (dir_ / "vigild.yaml").string();
    std::ofstream(path) << "kafka:\n  brokers: " << bootstrap_
                        << "\n  group_id: " << UniqueName("pm")
                        << "\n  properties: {session.timeout.ms: 6000}\n"
                        << "topics:\n  tickets: " << tickets_ << "\n  outages: " << outages_
                        << "\n  repeat_calls: " << calls_ << "\n  warnings: " << warnings_
                        << "\n  dead_letter: " << dead_ << "\n"
                        << "state:\n  path: " << (dir_ / "state").string() << "\n"
                        << "engine:\n  commit_interval: 20ms\n  idle_timeout: 1h\n"
                        << "rules:\n  dir: " << (dir_ / "rules").string() << "\n"
                        << "reference: {topic: \"\"}\n"
                        << "metrics:\n  listen: 127.0.0.1:0\n";
    return path;
  }

  // The shipped sample config with the test's vigild port, a 1 s scrape and
  // evaluation interval, and the shipped alert rules by absolute path.
  std::string WritePrometheusConfig(int vigild_port) {
    const std::filesystem::path sample =
        std::filesystem::path(VIGIL_SOURCE_DIR) / "deploy" / "prometheus" / "prometheus.yml";
    std::ifstream in(sample);
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    EXPECT_NE(yaml.find("127.0.0.1:9464"), std::string::npos) << "the sample's target changed";
    yaml = std::regex_replace(yaml, std::regex("127\\.0\\.0\\.1:9464"),
                              absl::StrCat("127.0.0.1:", vigild_port));
    yaml = std::regex_replace(yaml, std::regex("(scrape|evaluation)_interval: 15s"),
                              "$1_interval: 1s");
    yaml = std::regex_replace(yaml, std::regex("- vigil-alerts.yml"),
                              "- " + (sample.parent_path() / "vigil-alerts.yml").string());
    const std::string path = (dir_ / "prometheus.yml").string();
    std::ofstream(path) << yaml;
    return path;
  }

  // The value of an instant query that returns one sample (NaN when none yet).
  double Query(const std::string& promql) {
    const HttpReply r =
        HttpGet(absl::StrCat(prometheus_, "/api/v1/query?query=", UrlEncode(promql)));
    if (r.code != 200) return std::nan("");
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return std::nan("");
    const auto& result = j["data"]["result"];
    if (!result.is_array() || result.size() != 1) return std::nan("");
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  // Polls Prometheus until `promql`'s value satisfies `ok` (Prometheus
  // scrapes and evaluates every second); returns the last value seen.
  double AwaitQuery(const std::string& promql, const std::function<bool(double)>& ok,
                    seconds timeout = seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    double v = std::nan("");
    while (std::chrono::steady_clock::now() < deadline) {
      v = Query(promql);
      if (!std::isnan(v) && ok(v)) return v;
      std::this_thread::sleep_for(milliseconds(250));  // the poll period, not a wait for an event
    }
    ADD_FAILURE() << "Prometheus: " << promql << " stayed at " << v;
    return v;
  }

  void Produce(TestProducer& producer, int from, int count) {
    for (int i = from; i < from + count; ++i) {
      producer.Send(
          tickets_, "370100",
          ComplaintEvent(absl::StrCat("c", i), (i % 600) * 60, "370100", absl::StrCat("A", i % 7))
              .SerializeAsString());
    }
    producer.Flush();
  }

  std::string bootstrap_, tickets_, outages_, calls_, warnings_, dead_;
  std::filesystem::path dir_;
  std::string prometheus_;
};

TEST_F(PrometheusScrapesVigild, KeySeriesReachPrometheusUnderLoad) {
  VigildProcess vigild(WriteVigildConfig(), (dir_ / "vigild.log").string());
  vigild.Start();
  ASSERT_TRUE(AwaitLog(vigild, "operations endpoint on port", seconds(60))) << vigild.Log();
  std::smatch m;
  const std::string log = vigild.LogSinceStart();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("operations endpoint on port (\\d+)")));
  const int port = std::stoi(m[1]);
  const std::string base = absl::StrCat("http://127.0.0.1:", port);

  const int prometheus_port = FreePort();
  prometheus_ = absl::StrCat("http://127.0.0.1:", prometheus_port);
  Child prometheus({"prometheus", "--config.file=" + WritePrometheusConfig(port),
                    "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                    absl::StrCat("--web.listen-address=127.0.0.1:", prometheus_port)},
                   (dir_ / "prometheus.log").string());

  TestProducer producer(bootstrap_);
  Produce(producer, 0, 200);

  // Prometheus scrapes vigild and loads the shipped alert rules.
  EXPECT_EQ(AwaitQuery(R"(up{job="vigil"})", [](double v) { return v == 1; }), 1);
  const HttpReply rules = HttpGet(prometheus_ + "/api/v1/rules");
  ASSERT_EQ(rules.code, 200);
  const nlohmann::json groups = nlohmann::json::parse(rules.body)["data"]["groups"];
  ASSERT_EQ(groups.size(), 1u) << rules.body;
  EXPECT_GE(groups[0]["rules"].size(), 5u);
  for (const auto& rule : groups[0]["rules"]) {
    EXPECT_NE(rule.value("health", ""), "err") << rule.dump();
  }

  // Events consumed rise with the load.
  const std::string consumed =
      absl::StrCat(R"(sum(vigil_events_consumed_total{outcome="ok",topic=")", tickets_, R"("}))");
  EXPECT_EQ(AwaitQuery(consumed, [](double v) { return v == 200; }), 200);
  Produce(producer, 200, 300);
  EXPECT_EQ(AwaitQuery(consumed, [](double v) { return v == 500; }), 500);
  // A raised warning is counted, by rule and grade; open warnings by city.
  EXPECT_GE(AwaitQuery(R"(sum(vigil_warning_events_total{rule="R13",type="RAISED"}))",
                       [](double v) { return v >= 7; }),
            7);  // one per area A0..A6
  EXPECT_GE(
      AwaitQuery(R"(sum(vigil_open_warnings{city="370100"}))", [](double v) { return v >= 7; }), 7);
  // Lag per partition of the tickets topic, caught up.
  EXPECT_EQ(
      AwaitQuery(absl::StrCat(R"(count(vigil_consumer_lag_records{topic=")", tickets_, R"("}))"),
                 [](double v) { return v == kPartitions; }),
      kPartitions);
  EXPECT_EQ(
      AwaitQuery(absl::StrCat(R"(sum(vigil_consumer_lag_records{topic=")", tickets_, R"("}))"),
                 [](double v) { return v == 0; }),
      0);
  // Latency histograms have observations.
  EXPECT_GT(AwaitQuery("vigil_event_to_warning_seconds_count", [](double v) { return v > 0; }), 0);
  EXPECT_GT(AwaitQuery("vigil_batch_duration_seconds_count", [](double v) { return v > 0; }), 0);
  EXPECT_EQ(AwaitQuery("vigil_ready", [](double v) { return v == 1; }), 1);

  // vigild's own endpoints.
  const HttpReply metrics = HttpGet(base + "/metrics");
  ASSERT_EQ(metrics.code, 200);
  const std::string exposition = (dir_ / "metrics.txt").string();
  std::ofstream(exposition) << metrics.body;
  const std::string check = (dir_ / "promtool.txt").string();
  const int rc = std::system(
      absl::StrCat("promtool check metrics < ", exposition, " > ", check, " 2>&1").c_str());
  std::ifstream check_out(check);
  std::stringstream problems;
  problems << check_out.rdbuf();
  EXPECT_EQ(rc, 0) << problems.str();
  EXPECT_EQ(problems.str(), "") << "promtool check metrics found problems";
  const HttpReply live = HttpGet(base + "/healthz");
  EXPECT_EQ(live.code, 200) << live.body;
  const HttpReply ready = HttpGet(base + "/readyz");
  EXPECT_EQ(ready.code, 200) << ready.body;
  EXPECT_EQ(nlohmann::json::parse(ready.body)["status"], "ready") << ready.body;

  const int status = vigild.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << vigild.Log();
}

}  // namespace
}  // namespace vigil::testing

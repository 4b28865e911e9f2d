// The AlertService over real gRPC with TLS on 127.0.0.1, vigild on Apache
// Kafka: city units see and act on their own regions only, a dropped stream
// resumes from its cursor with no gap and no duplicate, a stalled client is
// cut off while others go on, 100 subscribers get every event; grpcurl,
// grpc_health_probe and kcat + protoc are independent clients.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/kafka_client.h"
#include "tests/support/kafka_env.h"
#include "tests/support/test_events.h"
#include "tests/support/vigild_process.h"
#include "vigil/v1/alert_service.grpc.pb.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::testing {
namespace {

using std::chrono::seconds;

constexpr int kPartitions = 3;
constexpr char kJinanToken[] = "jinan-token-0123456789";
constexpr char kQingdaoToken[] = "qingdao-token-0123456789";
constexpr char kProvinceToken[] = "province-token-0123456789";

// Every accepted complaint of an area updates its warning: one warning event
// per complaint, so counts are exact.
constexpr char kEveryComplaint[] = R"(rules:
  - id: AREA
    version: "1"
    title: complaints in an area
    input:
      stream: ticket
      filter: {kind: [COMPLAINT], status: [ACCEPTED]}
    key: area
    window: {type: sliding, size: 48h}
    condition: {measure: count}
    grades: {IV: 1}
    resolve: {quiet_for: 72h}
    message: "{count} complaints in {key}"
)";

// Runs a shell command; returns (exit code, stdout).
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string ToolPath(const std::string& name) {
  const char* cache = std::getenv("VIGIL_CACHE");
  const char* home = std::getenv("HOME");
  const std::filesystem::path dir =
      cache != nullptr ? std::filesystem::path(cache)
                       : std::filesystem::path(home != nullptr ? home : "/root") / ".cache/vigil";
  return (dir / "bin" / name).string();
}

class AlertsOverGrpc : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = KafkaEnvironment::Bootstrap();
    ASSERT_FALSE(bootstrap_.empty());
    tickets_ = UniqueName("al-tickets");
    warnings_ = UniqueName("al-warnings");
    warnings_json_ = UniqueName("al-warnings-json");
    results_ = UniqueName("al-results");  // the AlertService's commands are answered here too
    CreateTopics(bootstrap_, {tickets_, warnings_, warnings_json_, results_}, kPartitions);
    dir_ = std::filesystem::path(::testing::TempDir()) / UniqueName("vigild-alerts");
    std::filesystem::create_directories(dir_ / "rules");
    std::ofstream(dir_ / "rules" / "area.yaml") << kEveryComplaint;
    const auto [code, out] = Shell(absl::StrCat(VIGIL_SOURCE_DIR, "/tools/dev-certs ",
                                                (dir_ / "tls").string(), " province jinan 2>&1"));
    ASSERT_EQ(code, 0) << out;
  }
  void TearDown() override {
    if (vigild_ != nullptr) {
      if (HasFailure()) std::cerr << "---- vigild\n" << vigild_->Log() << "\n";
      vigild_->Signal(SIGTERM);
    }
    std::filesystem::remove_all(dir_);
  }

  void StartVigild(int max_buffered = 10000) {
    const std::string config = (dir_ / "vigil.yaml").string();
    const std::string tls = (dir_ / "tls").string();
    std::ofstream(config)
        << "kafka:\n  brokers: " << bootstrap_ << "\n  group_id: " << UniqueName("g-alerts")
        << "\n  properties: {session.timeout.ms: 6000}\n"
        << "topics:\n  tickets: " << tickets_ << "\n  outages: " << UniqueName("al-none-o")
        << "\n  repeat_calls: " << UniqueName("al-none-c") << "\n  warnings: " << warnings_
        << "\n  warnings_json: " << warnings_json_ << "\n  dead_letter: " << UniqueName("al-dead")
        << "\n  commands: " << UniqueName("al-commands") << "\n  command_results: " << results_
        << "\n"
        << "state:\n  path: " << (dir_ / "state").string() << "\n"
        << "engine:\n  commit_interval: 20ms\n  idle_timeout: 1h\n"
        << "rules:\n  dir: " << (dir_ / "rules").string() << "\n"
        << "reference: {topic: \"\"}\n"
        << "alerts:\n  listen: 127.0.0.1:0\n"
        << "  tls: {cert: " << tls << "/server.pem, key: " << tls
        << "/server.key, client_ca: " << tls << "/ca.pem}\n"
        << "  heartbeat_interval: 200ms\n  max_buffered_events: " << max_buffered << "\n"
        << "  units:\n"
        << "    - {name: province, role: province, token: " << kProvinceToken << "}\n"
        << "    - {name: jinan, regions: [\"370100\"], token: " << kJinanToken << "}\n"
        << "    - {name: qingdao, regions: [\"370200\"], token: " << kQingdaoToken << "}\n";
    vigild_ = std::make_unique<VigildProcess>(config, (dir_ / "vigild.log").string());
    vigild_->Start();
    ASSERT_TRUE(AwaitLog(*vigild_, "vigild consuming", seconds(60))) << vigild_->Log();
    std::smatch m;
    const std::string log = vigild_->LogSinceStart();
    ASSERT_TRUE(std::regex_search(log, m, std::regex("AlertService listening on port (\\d+)")))
        << log;
    port_ = std::stoi(m[1]);
  }

  std::shared_ptr<grpc::Channel> Channel(bool with_client_cert = false) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(dir_ / "tls" / "ca.pem");
    if (with_client_cert) {
      ssl.pem_private_key = Read(dir_ / "tls" / "jinan.key");
      ssl.pem_cert_chain = Read(dir_ / "tls" / "jinan.pem");
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port_), grpc::SslCredentials(ssl),
                                     args);
  }
  std::unique_ptr<v1::AlertService::Stub> Stub(bool with_client_cert = false) {
    return v1::AlertService::NewStub(Channel(with_client_cert));
  }
  static void Auth(grpc::ClientContext* ctx, const std::string& token) {
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + seconds(60));
  }

  void Produce(int from, int to, const std::string& city, const std::string& area) {
    TestProducer producer(bootstrap_);
    for (int i = from; i < to; ++i) {
      producer.Send(
          tickets_, city,
          ComplaintEvent(absl::StrCat(city, "-", area, "-", i), i, city, area).SerializeAsString());
    }
    producer.Flush();
  }

  // Reads a stream until `n` events arrived (heartbeats are counted apart).
  static std::vector<v1::WarningEvent> ReadEvents(grpc::ClientReader<v1::SubscribeResponse>* reader,
                                                  size_t n, int* heartbeats = nullptr) {
    std::vector<v1::WarningEvent> out;
    v1::SubscribeResponse r;
    while (out.size() < n && reader->Read(&r)) {
      if (r.has_event()) out.push_back(r.event());
      if (r.has_heartbeat() && heartbeats != nullptr) ++*heartbeats;
    }
    return out;
  }

  static std::string Read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string bootstrap_, tickets_, warnings_, warnings_json_, results_;
  std::filesystem::path dir_;
  std::unique_ptr<VigildProcess> vigild_;
  int port_ = 0;
};

TEST_F(AlertsOverGrpc, AUnitSeesAndActsOnItsOwnRegionsOnly) {
  StartVigild();
  Produce(0, 5, "370100", "A1");
  Produce(0, 5, "370200", "B1");
  auto stub = Stub();
  // The province sees all ten events; Jinan its five.
  grpc::ClientContext province_ctx;
  Auth(&province_ctx, kProvinceToken);
  auto all = stub->Subscribe(&province_ctx, v1::SubscribeRequest());
  const auto everything = ReadEvents(all.get(), 10);
  ASSERT_EQ(everything.size(), 10u);
  province_ctx.TryCancel();
  grpc::ClientContext jinan_ctx;
  Auth(&jinan_ctx, kJinanToken);
  auto own = stub->Subscribe(&jinan_ctx, v1::SubscribeRequest());
  int heartbeats = 0;
  // Five of its own, then heartbeats only: nothing of Qingdao's comes.
  std::vector<v1::WarningEvent> seen;
  v1::SubscribeResponse r;
  while (heartbeats < 3 && own->Read(&r)) {
    if (r.has_event()) seen.push_back(r.event());
    if (r.has_heartbeat()) {
      ++heartbeats;
      EXPECT_EQ(r.heartbeat().head_seq(), everything.back().ledger_seq());
    }
  }
  jinan_ctx.TryCancel();
  ASSERT_EQ(seen.size(), 5u);
  for (const auto& e : seen) EXPECT_EQ(e.warning().region().city_code(), "370100");

  // Another unit's warning: not readable, not acknowledgeable (and logged).
  std::string qingdao_warning;
  for (const auto& e : everything) {
    if (e.warning().region().city_code() == "370200") qingdao_warning = e.warning().warning_id();
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::GetWarningRequest req;
    req.set_warning_id(qingdao_warning);
    v1::Warning w;
    EXPECT_EQ(stub->GetWarning(&ctx, req, &w).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::AcknowledgeRequest req;
    req.set_command_id("ack-1");
    req.set_warning_id(qingdao_warning);
    req.set_operator_("zhang");
    v1::CommandResult res;
    EXPECT_EQ(stub->Acknowledge(&ctx, req, &res).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_NE(vigild_->Log().find("denied"), std::string::npos);
  // Its own: acknowledged, a repeat gives the same result, feedback follows.
  const std::string own_warning = seen.front().warning().warning_id();
  v1::CommandResult first, again, feedback;
  for (v1::CommandResult* res : {&first, &again}) {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::AcknowledgeRequest req;
    req.set_command_id("ack-2");
    req.set_warning_id(own_warning);
    req.set_operator_("zhang");
    ASSERT_TRUE(stub->Acknowledge(&ctx, req, res).ok());
  }
  EXPECT_TRUE(first.accepted()) << first.reason();
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::SubmitFeedbackRequest req;
    req.set_command_id("fb-1");
    req.set_warning_id(own_warning);
    req.set_operator_("zhang");
    req.set_feedback("transformer tap changed, voltage back to normal");
    ASSERT_TRUE(stub->SubmitFeedback(&ctx, req, &feedback).ok());
    EXPECT_TRUE(feedback.accepted()) << feedback.reason();
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::GetWarningRequest req;
    req.set_warning_id(own_warning);
    v1::Warning w;
    ASSERT_TRUE(stub->GetWarning(&ctx, req, &w).ok());
    EXPECT_EQ(w.state(), v1::FEEDBACK_SUBMITTED);
  }
  // A list is cut to the unit's regions; a wider prefix is allowed, another city's is not.
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::ListWarningsResponse res;
    ASSERT_TRUE(stub->ListWarnings(&ctx, v1::ListWarningsRequest(), &res).ok());
    ASSERT_EQ(res.warnings_size(), 1);
    EXPECT_EQ(res.warnings(0).warning_id(), own_warning);
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    v1::ListWarningsRequest req;
    req.set_region_prefix("370200");
    v1::ListWarningsResponse res;
    EXPECT_EQ(stub->ListWarnings(&ctx, req, &res).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // No credential, or a wrong one: UNAUTHENTICATED. A client certificate works.
  {
    grpc::ClientContext ctx;
    v1::ListWarningsResponse res;
    EXPECT_EQ(stub->ListWarnings(&ctx, v1::ListWarningsRequest(), &res).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "not-a-token-of-anyone");
    v1::ListWarningsResponse res;
    EXPECT_EQ(stub->ListWarnings(&ctx, v1::ListWarningsRequest(), &res).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto with_cert = Stub(/*with_client_cert=*/true);
    grpc::ClientContext ctx;
    v1::ListWarningsResponse res;
    ASSERT_TRUE(with_cert->ListWarnings(&ctx, v1::ListWarningsRequest(), &res).ok());
    EXPECT_EQ(res.warnings_size(), 1);
  }
}

TEST_F(AlertsOverGrpc, ADroppedStreamResumesFromItsCursorWithNoGapAndNoDuplicate) {
  StartVigild();
  Produce(0, 40, "370100", "A1");
  auto stub = Stub();
  std::vector<v1::WarningEvent> got;
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kProvinceToken);
    auto s = stub->Subscribe(&ctx, v1::SubscribeRequest());
    got = ReadEvents(s.get(), 15);
    ctx.TryCancel();  // the link drops
  }
  ASSERT_EQ(got.size(), 15u);
  Produce(40, 80, "370100", "A1");  // more while disconnected
  {
    grpc::ClientContext ctx;
    Auth(&ctx, kProvinceToken);
    v1::SubscribeRequest req;
    req.set_after_seq(got.back().ledger_seq());
    auto s = stub->Subscribe(&ctx, req);
    auto rest = ReadEvents(s.get(), 65);
    got.insert(got.end(), rest.begin(), rest.end());
    ctx.TryCancel();
  }
  ASSERT_EQ(got.size(), 80u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].ledger_seq(), i + 1) << "gap or duplicate at " << i;
    EXPECT_EQ(got[i].warning().evidence().count(), i + 1);
  }
}

// A city unit's operator, as the README shows: vigilctl watches (and resumes
// after vigild restarts), acknowledges and gives feedback; another city's
// warning is refused with a message.
TEST_F(AlertsOverGrpc, ACityUnitWatchesAcknowledgesAndGivesFeedbackWithVigilctl) {
  StartVigild();
  Produce(0, 3, "370100", "A1");
  Produce(0, 1, "370200", "B1");
  const std::string tls = (dir_ / "tls").string();
  std::ofstream(dir_ / "jinan.token") << kJinanToken << "\n";
  const std::string ctl =
      absl::StrCat(VIGILCTL_PATH, " alerts --server 127.0.0.1:", port_, " --ca ", tls,
                   "/ca.pem --token-file ", (dir_ / "jinan.token").string());
  const std::string cursor = (dir_ / "cursor").string();
  auto [wc, wout] = Shell(ctl + " --json watch --exit-after 3 --cursor-file " + cursor + " 2>&1");
  ASSERT_EQ(wc, 0) << wout;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(wout, m, std::regex("\"warning_id\":\"(AREA-[0-9a-f]+)\"")))
      << wout;
  const std::string id = m[1];
  EXPECT_EQ(wout.find("370200"), std::string::npos) << "another city's event: " << wout;
  EXPECT_TRUE(std::regex_match(Read(cursor), std::regex("[0-9]+\\s*"))) << Read(cursor);
  // vigild restarts; two more complaints come; the watch goes on from its cursor.
  ASSERT_EQ(vigild_->Signal(SIGTERM), 0);
  Produce(3, 5, "370100", "A1");
  vigild_->Start();
  ASSERT_TRUE(AwaitLog(*vigild_, "vigild consuming", seconds(60))) << vigild_->Log();
  const std::string log = vigild_->LogSinceStart();
  std::smatch port;
  ASSERT_TRUE(std::regex_search(log, port, std::regex("listening on port (\\d+)")));
  const std::string ctl2 = std::regex_replace(ctl, std::regex(absl::StrCat(":", port_, " ")),
                                              absl::StrCat(":", std::string(port[1]), " "));
  auto [rc, rout] = Shell(ctl2 + " --json watch --exit-after 2 --cursor-file " + cursor + " 2>&1");
  ASSERT_EQ(rc, 0) << rout;
  EXPECT_NE(rout.find("\"count\":4"), std::string::npos) << rout;
  EXPECT_NE(rout.find("\"count\":5"), std::string::npos) << rout;
  EXPECT_EQ(rout.find("\"count\":3"), std::string::npos) << "shown twice: " << rout;
  // Acknowledge, then feedback; show has it.
  auto [ac, aout] = Shell(ctl2 + " ack " + id + " --operator zhang 2>&1");
  EXPECT_EQ(ac, 0) << aout;
  auto [fc, fout] = Shell(ctl2 + " feedback " + id +
                          " --operator zhang --text 'tap changer reset, voltage normal' 2>&1");
  EXPECT_EQ(fc, 0) << fout;
  auto [sc, sout] = Shell(ctl2 + " show " + id + " 2>&1");
  EXPECT_EQ(sc, 0) << sout;
  EXPECT_NE(sout.find("FEEDBACK_SUBMITTED"), std::string::npos) << sout;
  // Qingdao's warning: refused, and the message says why.
  auto [lc, lout] = Shell(
      absl::StrCat(VIGILCTL_PATH, " alerts --server 127.0.0.1:", std::string(port[1]), " --ca ",
                   tls, "/ca.pem --token ", kProvinceToken, " --json list --region 370200 2>&1"));
  ASSERT_EQ(lc, 0) << lout;
  ASSERT_TRUE(std::regex_search(lout, m, std::regex("\"warning_id\":\"(AREA-[0-9a-f]+)\"")))
      << lout;
  auto [dc, dout] = Shell(ctl2 + " ack " + std::string(m[1]) + " --operator zhang 2>&1");
  EXPECT_EQ(dc, 1) << dout;
  EXPECT_NE(dout.find("outside the regions"), std::string::npos) << dout;
}

// The stalled client is a real process (grpcurl) that stops reading its
// socket (SIGSTOP), so TCP and HTTP/2 flow control push back on the server.
TEST_F(AlertsOverGrpc, AStalledClientIsCutOffWhileTheEngineAndOthersGoOn) {
  StartVigild(/*max_buffered=*/200);
  const std::string tls = (dir_ / "tls").string();
  const std::string out = (dir_ / "stalled.out").string();
  const pid_t stalled = fork();
  ASSERT_GE(stalled, 0);
  if (stalled == 0) {
    const std::string cmd = absl::StrCat(
        "exec ", ToolPath("grpcurl"), " -cacert ", tls, "/ca.pem -authority localhost -H ",
        "'authorization: Bearer ", kProvinceToken, "' -d '{}' 127.0.0.1:", port_,
        " vigil.v1.AlertService/Subscribe > ", out, " 2>&1");
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Connected and caught up (it prints heartbeats), then it stops reading.
  const auto until = std::chrono::steady_clock::now() + seconds(60);
  while (Read(out).find("heartbeat") == std::string::npos &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a file
  }
  ASSERT_NE(Read(out).find("heartbeat"), std::string::npos) << Read(out);
  ASSERT_EQ(kill(stalled, SIGSTOP), 0);

  auto stub = Stub();
  constexpr int kEvents = 6000;  // megabytes: more than socket buffers and windows hold
  std::thread produce([&] { Produce(0, kEvents, "370100", "A1"); });
  // Another subscriber reads everything (resuming from its cursor if it is
  // ever cut off itself).
  std::vector<v1::WarningEvent> got;
  uint64_t cursor = 0;
  int resumes = 0;
  while (got.size() < static_cast<size_t>(kEvents) && resumes < 100) {
    grpc::ClientContext ctx;
    Auth(&ctx, kProvinceToken);
    v1::SubscribeRequest req;
    req.set_after_seq(cursor);
    auto reader = stub->Subscribe(&ctx, req);
    for (auto& e : ReadEvents(reader.get(), kEvents - got.size())) {
      EXPECT_EQ(e.ledger_seq(), cursor + 1);
      cursor = e.ledger_seq();
      got.push_back(std::move(e));
    }
    ctx.TryCancel();
    if (got.size() < static_cast<size_t>(kEvents)) ++resumes;
  }
  produce.join();
  EXPECT_EQ(got.size(), static_cast<size_t>(kEvents));
  // vigild cut the stalled stream off instead of buffering for it.
  EXPECT_TRUE(AwaitLog(*vigild_, "too slow", seconds(60))) << vigild_->Log();
  ASSERT_EQ(kill(stalled, SIGCONT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(stalled, &status, 0), stalled);
  const std::string stalled_out = Read(out);
  EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << stalled_out.substr(0, 2000);
  size_t received = 0;
  for (size_t at = stalled_out.find("ledgerSeq"); at != std::string::npos;
       at = stalled_out.find("ledgerSeq", at + 1)) {
    ++received;
  }
  EXPECT_LT(received, static_cast<size_t>(kEvents));
  std::cout << "[ stalled  ] grpcurl stopped, cut off after " << received << " of " << kEvents
            << " events; the other subscriber got all (" << resumes << " resumes)\n";
}

TEST_F(AlertsOverGrpc, AHundredSubscribersReceiveEveryEvent) {
  StartVigild();
  constexpr int kSubscribers = 100, kEvents = 300;
  auto channel = Channel();
  std::vector<std::thread> threads;
  std::atomic<int> complete{0}, subscribed{0};
  for (int i = 0; i < kSubscribers; ++i) {
    threads.emplace_back([&, i] {
      auto stub = v1::AlertService::NewStub(channel);
      grpc::ClientContext ctx;
      Auth(&ctx, i % 2 == 0 ? kProvinceToken : kJinanToken);
      auto s = stub->Subscribe(&ctx, v1::SubscribeRequest());
      ++subscribed;
      auto got = ReadEvents(s.get(), kEvents);
      bool ordered = got.size() == static_cast<size_t>(kEvents);
      for (size_t k = 0; ordered && k < got.size(); ++k) ordered = got[k].ledger_seq() == k + 1;
      if (ordered) ++complete;
      ctx.TryCancel();
    });
  }
  Produce(0, kEvents, "370100", "A1");
  for (auto& t : threads) t.join();
  EXPECT_EQ(complete.load(), kSubscribers);
}

TEST_F(AlertsOverGrpc, StandardToolsAndAnIndependentKafkaConsumerReadIt) {
  StartVigild();
  Produce(0, 3, "370100", "A1");
  const std::string tls = (dir_ / "tls").string();
  const std::string addr = absl::StrCat("127.0.0.1:", port_);
  // grpc_health_probe over TLS.
  auto [hc, hout] =
      Shell(absl::StrCat(ToolPath("grpc_health_probe"), " -addr ", addr, " -tls -tls-ca-cert ", tls,
                         "/ca.pem -tls-server-name localhost -service vigil.v1.AlertService 2>&1"));
  EXPECT_EQ(hc, 0) << hout << " (tools/setup installs grpc_health_probe)";
  // grpcurl through reflection: the service is listed and answers.
  auto [lc, lout] = Shell(absl::StrCat(ToolPath("grpcurl"), " -cacert ", tls,
                                       "/ca.pem -authority localhost ", addr, " list 2>&1"));
  EXPECT_EQ(lc, 0) << lout << " (tools/setup installs grpcurl)";
  EXPECT_NE(lout.find("vigil.v1.AlertService"), std::string::npos) << lout;
  // Wait until the three events are committed, then list them with grpcurl.
  {
    auto stub = Stub();
    grpc::ClientContext ctx;
    Auth(&ctx, kJinanToken);
    auto s = stub->Subscribe(&ctx, v1::SubscribeRequest());
    ASSERT_EQ(ReadEvents(s.get(), 3).size(), 3u);
    ctx.TryCancel();
  }
  auto [gc, gout] =
      Shell(absl::StrCat(ToolPath("grpcurl"), " -cacert ", tls,
                         "/ca.pem -authority localhost -H 'authorization: Bearer ", kJinanToken,
                         "' ", addr, " vigil.v1.AlertService/ListWarnings 2>&1"));
  EXPECT_EQ(gc, 0) << gout;
  EXPECT_NE(gout.find("AREA-"), std::string::npos) << gout;
  // The provincial desk's topic, read with kcat and decoded with the published .proto.
  // The records of the three events may sit on any partition: read them all.
  auto [ac, aout] = Shell(absl::StrCat(
      "for p in 0 1 2; do kcat -b ", bootstrap_, " -C -t ", warnings_,
      " -p $p -o beginning -e -q -f '%s' > ", (dir_ / "p").string(), "$p.bin; if [ -s ",
      (dir_ / "p").string(), "$p.bin ]; then kcat -b ", bootstrap_, " -C -t ", warnings_,
      " -p $p -o beginning -c 1 -e -q -f '%s' | ", "protoc --decode vigil.v1.WarningEvent -I ",
      VIGIL_SOURCE_DIR, "/proto vigil/v1/warning.proto; fi; done 2>&1"));
  EXPECT_EQ(ac, 0) << aout;
  EXPECT_NE(aout.find("warning_id: \"AREA-"), std::string::npos) << aout;
  // The JSON mirror needs no Protobuf at all.
  auto [jc, jout] = Shell(
      absl::StrCat("kcat -b ", bootstrap_, " -C -t ", warnings_json_, " -o beginning -e -q 2>&1"));
  EXPECT_EQ(jc, 0) << jout;
  EXPECT_NE(jout.find("\"warning_id\":\"AREA-"), std::string::npos) << jout;
}

}  // namespace
}  // namespace vigil::testing

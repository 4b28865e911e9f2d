// `vigilctl alerts`: how events and warnings are shown, the cursor file, and
// the resuming watch loop against a fake in-process AlertService.
#include "tools/vigilctl/alerts_format.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "processors/common/clock.h"
#include "processors/warnings/warning_format.h"
#include "tests/unit/vigilctl/test_files.h"
#include "tools/vigilctl/alerts_client.h"
#include "tools/vigilctl/alerts_commands.h"
#include "tools/vigilctl/rule_test_file.h"
#include "vigil/v1/alert_service.grpc.pb.h"

namespace vigil::vigilctl {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

const absl::Time kT0 =
    absl::FromCivil(absl::CivilSecond(2026, 7, 1, 2, 5, 0), absl::UTCTimeZone());  // 10:05 +08:00
const absl::TimeZone kChina = absl::FixedTimeZone(8 * 3600);

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

// A raised yellow warning, open, with an acknowledgement due 12.5 min after its update.
v1::WarningEvent KnownEvent() {
  v1::WarningEvent e;
  e.set_event_id("R13-00000000000000ab:2");
  e.set_type(v1::WarningEvent::UPDATED);
  e.set_ledger_seq(7);
  v1::Warning* w = e.mutable_warning();
  w->set_warning_id("R13-00000000000000ab");
  w->set_version(2);
  w->set_rule_id("R13");
  w->set_region_key("370100/370102/37010201/TL1");
  w->set_grade(v1::GRADE_III);
  w->set_state(v1::OPEN);
  w->set_message("3 complaints\nin TL1");
  SetTime(kT0, w->mutable_updated_at());
  SetTime(kT0 + absl::Minutes(12) + absl::Seconds(30),
          w->mutable_lifecycle()->mutable_ack_deadline());
  return e;
}

// Grades are written I..IV and read back by the rule tests' ParseGrade.
TEST(AlertsFormatTest, GradesAreRomanNumerals) {
  for (v1::Grade g : {v1::GRADE_I, v1::GRADE_II, v1::GRADE_III, v1::GRADE_IV}) {
    EXPECT_EQ(ParseGrade(std::string(warnings::GradeRoman(g))), g);
  }
  EXPECT_EQ(warnings::GradeRoman(v1::GRADE_UNSPECIFIED), "-");
}

// Lengths are rounded down to the largest two units.
TEST(AlertsFormatTest, ShortDurations) {
  EXPECT_EQ(ShortDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(ShortDuration(absl::Minutes(12) + absl::Seconds(59)), "12m");
  EXPECT_EQ(ShortDuration(absl::Hours(2)), "2h");
  EXPECT_EQ(ShortDuration(absl::Hours(2) + absl::Minutes(5)), "2h5m");
  EXPECT_EQ(ShortDuration(absl::Hours(72)), "3d");
  EXPECT_EQ(ShortDuration(absl::Hours(76) + absl::Minutes(59)), "3d4h");
  EXPECT_EQ(ShortDuration(-absl::Minutes(5)), "5m");
}

// An open warning counts down to its acknowledgement deadline, then overdue.
TEST(AlertsFormatTest, CountdownToAcknowledgement) {
  const v1::Warning w = KnownEvent().warning();
  EXPECT_EQ(Countdown(w, kT0), "ack due in 12m");
  EXPECT_EQ(Countdown(w, kT0 + absl::Minutes(12) + absl::Seconds(30)), "ack due now");
  EXPECT_EQ(Countdown(w, kT0 + absl::Minutes(18)), "ack overdue 5m");
}

// Acknowledged, it waits for feedback; the rule's own deadline counts when
// earlier; cleared or closed, nothing is pending.
TEST(AlertsFormatTest, CountdownPicksTheEarliestPendingDeadline) {
  v1::Warning w = KnownEvent().warning();
  w.set_state(v1::ACKNOWLEDGED);
  SetTime(kT0 + absl::Hours(2), w.mutable_lifecycle()->mutable_feedback_deadline());
  EXPECT_EQ(Countdown(w, kT0), "feedback due in 2h");
  SetTime(kT0 + absl::Minutes(40), w.mutable_deadline());
  EXPECT_EQ(Countdown(w, kT0), "due in 40m");
  EXPECT_EQ(Countdown(w, kT0 + absl::Minutes(45)), "overdue 5m");
  w.mutable_lifecycle()->set_condition_cleared(true);
  EXPECT_EQ(Countdown(w, kT0 + absl::Minutes(45)), "feedback due in 1h15m");
  w.set_state(v1::FEEDBACK_SUBMITTED);
  EXPECT_EQ(Countdown(w, kT0), "");
  v1::Warning none;
  EXPECT_EQ(Countdown(none, kT0), "");
}

// A table line shows the event's own time in the zone, the countdown at that
// time (not the wall clock), and the message on one line.
TEST(AlertsFormatTest, EventTableLine) {
  EXPECT_EQ(FormatEventLine(KnownEvent(), kChina),
            "2026-07-01 10:05:00  III  OPEN                R13     "
            "370100/370102/37010201/TL1    R13-00000000000000ab         v2    UPDATED        "
            "ack due in 12m          3 complaints in TL1");
  EXPECT_EQ(EventTableHeader().substr(0, 32), "TIME                 GR   STATE ");
}

// JSON lines keep the .proto field names; 64-bit numbers are strings (proto3 JSON).
TEST(AlertsFormatTest, EventJsonLine) {
  absl::StatusOr<std::string> line = JsonLine(KnownEvent());
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line,
            R"({"event_id":"R13-00000000000000ab:2","type":"UPDATED","warning":{)"
            R"("warning_id":"R13-00000000000000ab","version":"2","rule_id":"R13",)"
            R"("region_key":"370100/370102/37010201/TL1","grade":"GRADE_III","state":"OPEN",)"
            R"("message":"3 complaints\nin TL1","updated_at":"2026-07-01T02:05:00Z",)"
            R"("lifecycle":{"ack_deadline":"2026-07-01T02:17:30Z"}},"ledger_seq":"7"})");
}

// `show` lists the deadlines with how far off they are, the lifecycle and the timers.
TEST(AlertsFormatTest, WarningDetail) {
  v1::Warning w = KnownEvent().warning();
  w.set_owner_level("county");
  w.mutable_lifecycle()->set_acknowledged_by("zhang");
  w.mutable_evidence()->set_count(3);
  w.mutable_evidence()->add_event_ids("e1");
  v1::TimerRecord* t = w.add_timer_history();
  t->set_kind(v1::TimerRecord::ACK_COUNTDOWN);
  SetTime(kT0 + absl::Minutes(10), t->mutable_due());
  const std::string text = FormatWarningDetail(w, kT0 + absl::Minutes(2), kChina);
  EXPECT_NE(text.find("  grade:              III\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  owner level:        county\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  ack deadline:       2026-07-01 10:17:30 +08:00 (in 10m)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  next:               ack due in 10m\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  acknowledged:       by zhang at -\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  2026-07-01 10:15:00 +08:00  ACK_COUNTDOWN\n"), std::string::npos) << text;
}

// A command result says accepted, or rejected with the code and reason.
TEST(AlertsFormatTest, CommandResults) {
  v1::CommandResult r;
  r.set_command_id("jinan/c-1");
  r.set_accepted(true);
  r.set_warning_version(4);
  r.set_warning_id("R13-00000000000000ab");
  r.set_action(v1::WarningCommand::ACKNOWLEDGE);
  r.set_code(v1::CommandResult::OK);
  EXPECT_EQ(FormatCommandResult(r),
            "accepted: ACKNOWLEDGE R13-00000000000000ab (warning version 4, command jinan/c-1)");
  r.set_accepted(false);
  r.set_code(v1::CommandResult::WRONG_STATE);
  r.set_reason("already acknowledged");
  EXPECT_EQ(FormatCommandResult(r),
            "rejected (WRONG_STATE): already acknowledged (ACKNOWLEDGE R13-00000000000000ab, "
            "warning version 4, command jinan/c-1)");
}

// The cursor file: absent until saved, then the last saved sequence; no
// temporary left behind; anything else in it is an error.
TEST(AlertsCursorTest, RoundTrip) {
  const std::string dir = ScratchDir();
  const std::string path = dir + "/cursor";
  EXPECT_EQ(LoadCursor(path).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(SaveCursor(path, 42).ok());
  EXPECT_EQ(*LoadCursor(path), 42u);
  ASSERT_TRUE(SaveCursor(path, 18446744073709551615u).ok());
  EXPECT_EQ(*LoadCursor(path), 18446744073709551615u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  WriteFile(dir, "bad", "12 apples\n");
  EXPECT_EQ(LoadCursor(dir + "/bad").status().code(), absl::StatusCode::kInvalidArgument);
  WriteFile(dir, "empty", "");
  EXPECT_EQ(LoadCursor(dir + "/empty").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(SaveCursor(dir + "/no/such/dir/cursor", 1).ok());
}

constexpr char kToken[] = "jinan-token-0123456789";

// An AlertService with `total` events (seq 1..total). Each Subscribe sends
// the events after its after_seq, at most `per_stream` of them, then ends
// with the next of `endings` (round robin). The first `refusals` calls end
// at once with UNAVAILABLE (a server not up yet).
class FakeAlertService final : public v1::AlertService::Service {
 public:
  struct Script {
    uint64_t total = 0;
    uint64_t per_stream = 3;
    std::vector<grpc::StatusCode> endings = {grpc::StatusCode::UNAVAILABLE};
    int refusals = 0;
    bool resend_last = false;  // also send the event at after_seq again (a buggy server)
    bool heartbeat_first = false;
  };
  explicit FakeAlertService(Script script) : script_(std::move(script)) {}

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeRequest* request,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) override {
    if (!Authorized(*context)) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    if (request->region_prefix() == "370200") {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "outside the regions of jinan");
    }
    grpc::StatusCode ending;
    {
      absl::MutexLock lock(&mu_);
      after_seqs_.push_back(request->after_seq());
      if (script_.refusals > 0) {
        --script_.refusals;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not up yet");
      }
      ending = script_.endings[calls_++ % script_.endings.size()];
    }
    v1::SubscribeResponse r;
    if (script_.heartbeat_first) {
      r.mutable_heartbeat()->set_head_seq(script_.total);
      if (!writer->Write(r)) return grpc::Status::CANCELLED;
    }
    const uint64_t first = request->after_seq() + (script_.resend_last ? 0 : 1);
    for (uint64_t seq = std::max<uint64_t>(first, 1);
         seq <= std::min(script_.total, request->after_seq() + script_.per_stream); ++seq) {
      *r.mutable_event() = Event(seq);
      if (!writer->Write(r)) return grpc::Status::CANCELLED;
    }
    return grpc::Status(ending,
                        absl::StrCat("ended; resume with after_seq=", request->after_seq()));
  }

  grpc::Status Acknowledge(grpc::ServerContext* context, const v1::AcknowledgeRequest* request,
                           v1::CommandResult* response) override {
    if (!Authorized(*context)) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    response->set_command_id(absl::StrCat("jinan/", request->command_id()));
    response->set_warning_id(request->warning_id());
    response->set_action(v1::WarningCommand::ACKNOWLEDGE);
    const bool known = request->warning_id() == "R13-0000000000000001";
    response->set_accepted(known);
    response->set_code(known ? v1::CommandResult::OK : v1::CommandResult::UNKNOWN_WARNING);
    if (!known) response->set_reason("no such warning");
    response->set_warning_version(known ? 2 : 0);
    return grpc::Status::OK;
  }

  // Pages of two by warning id: seq 1..total.
  grpc::Status ListWarnings(grpc::ServerContext* context, const v1::ListWarningsRequest* request,
                            v1::ListWarningsResponse* response) override {
    if (!Authorized(*context)) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    uint64_t seq = request->page_token().empty() ? 1 : std::stoull(request->page_token()) + 1;
    for (int i = 0; i < 2 && seq <= script_.total; ++i, ++seq) {
      *response->add_warnings() = Event(seq).warning();
    }
    if (seq <= script_.total) response->set_next_page_token(absl::StrCat(seq - 1));
    return grpc::Status::OK;
  }

  static v1::WarningEvent Event(uint64_t seq) {
    v1::WarningEvent e = KnownEvent();
    e.set_ledger_seq(seq);
    e.mutable_warning()->set_warning_id(absl::StrFormat("R13-%016x", seq));
    return e;
  }

  std::vector<uint64_t> after_seqs() const {
    absl::MutexLock lock(&mu_);
    return after_seqs_;
  }

 private:
  static bool Authorized(const grpc::ServerContext& context) {
    auto it = context.client_metadata().find("authorization");
    return it != context.client_metadata().end() &&
           std::string(it->second.data(), it->second.size()) == absl::StrCat("Bearer ", kToken);
  }

  Script script_;  // `total`, `per_stream`, `endings` read-only once serving
  mutable absl::Mutex mu_;
  std::vector<uint64_t> after_seqs_ ABSL_GUARDED_BY(mu_);
  size_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

// One fake server on 127.0.0.1 (port 0) per test, and a client of it over the
// same MakeChannel vigilctl uses (plaintext).
class AlertsWatchTest : public ::testing::Test {
 protected:
  void Start(FakeAlertService::Script script, const std::string& token = kToken) {
    service_ = std::make_unique<FakeAlertService>(std::move(script));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    ConnectionOptions c;
    c.server = absl::StrCat("127.0.0.1:", port);
    c.plaintext = true;
    server_address_ = c.server;
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(c);
    ASSERT_TRUE(channel.ok()) << channel.status();
    client_ = std::make_unique<AlertsClient>(*channel, token, absl::Seconds(10));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Watches until `n` events arrived (or an error); the sequences delivered.
  absl::Status WatchUntil(uint64_t n, v1::SubscribeRequest request, std::vector<uint64_t>* seqs) {
    WatchHandlers h;
    h.on_event = [seqs](const v1::WarningEvent& e) {
      seqs->push_back(e.ledger_seq());
      return absl::OkStatus();
    };
    h.on_resume = [this](const absl::Status& why, uint64_t after, absl::Duration) {
      resumes_.push_back(why.code());
      resumed_after_.push_back(after);
    };
    h.stop = [seqs, n] { return seqs->size() >= n; };
    return client_->Watch(std::move(request), Options(), h);
  }

  WatchOptions Options() {
    WatchOptions o;
    o.sleep = [this](absl::Duration d) { sleeps_.push_back(d); };  // no waiting in tests
    return o;
  }

  static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> v;
    for (uint64_t i = from; i <= to; ++i) v.push_back(i);
    return v;
  }

  std::unique_ptr<FakeAlertService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<AlertsClient> client_;
  std::string server_address_;
  std::vector<absl::StatusCode> resumes_;
  std::vector<uint64_t> resumed_after_;
  std::vector<absl::Duration> sleeps_;
};

// Streams cut every 3 events (server stopping, slow reader cut off, a write
// cancelled, a broken connection) are resumed after the last event: 1..10
// arrive once each, in order.
TEST_F(AlertsWatchTest, ResumesAcrossDropsDeliveringEachEventOnce) {
  Start({.total = 10,
         .per_stream = 3,
         .endings = {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::RESOURCE_EXHAUSTED,
                     grpc::StatusCode::CANCELLED, grpc::StatusCode::INTERNAL}});
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(WatchUntil(10, v1::SubscribeRequest(), &seqs).ok());
  EXPECT_EQ(seqs, Range(1, 10));
  EXPECT_EQ(service_->after_seqs(), (std::vector<uint64_t>{0, 3, 6, 9}));
  EXPECT_EQ(resumes_, (std::vector<absl::StatusCode>{absl::StatusCode::kUnavailable,
                                                     absl::StatusCode::kResourceExhausted,
                                                     absl::StatusCode::kCancelled}));
  EXPECT_EQ(resumed_after_, (std::vector<uint64_t>{3, 6, 9}));
  // Each stream delivered something, so every wait is the initial one.
  EXPECT_EQ(sleeps_, std::vector<absl::Duration>(3, absl::Milliseconds(200)));
}

// A server that sends the cursor's own event again does not make it show twice.
TEST_F(AlertsWatchTest, DropsEventsAtOrBeforeTheCursor) {
  Start({.total = 7, .per_stream = 2, .resend_last = true});
  v1::SubscribeRequest request;
  request.set_after_seq(2);
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(WatchUntil(5, request, &seqs).ok());
  EXPECT_EQ(seqs, Range(3, 7));
  EXPECT_EQ(service_->after_seqs(), (std::vector<uint64_t>{2, 4, 6}));
}

// While the server refuses, waits double from 0.2 s; once a stream delivered,
// back to 0.2 s.
TEST_F(AlertsWatchTest, BacksOffWhileRefusedAndResetsAfterProgress) {
  Start({.total = 4, .per_stream = 2, .refusals = 3});
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(WatchUntil(4, v1::SubscribeRequest(), &seqs).ok());
  EXPECT_EQ(seqs, Range(1, 4));
  EXPECT_EQ(sleeps_,
            (std::vector<absl::Duration>{absl::Milliseconds(200), absl::Milliseconds(400),
                                         absl::Milliseconds(800), absl::Milliseconds(200)}));
  EXPECT_EQ(service_->after_seqs(), (std::vector<uint64_t>{0, 0, 0, 0, 2}));
}

// The wait is capped at max_backoff.
TEST_F(AlertsWatchTest, BackoffIsCapped) {
  Start({.total = 1, .per_stream = 1, .refusals = 8});
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(WatchUntil(1, v1::SubscribeRequest(), &seqs).ok());
  ASSERT_EQ(sleeps_.size(), 8u);
  EXPECT_EQ(sleeps_[5], absl::Seconds(5));  // 0.2 0.4 0.8 1.6 3.2 then 5
  EXPECT_EQ(sleeps_[7], absl::Seconds(5));
}

// Without an injected wait, Watch waits on the channel itself (driving its
// reconnection) and goes on after the wait.
TEST_F(AlertsWatchTest, DefaultWaitOnTheChannel) {
  Start({.total = 4, .per_stream = 2});
  WatchOptions o;
  o.initial_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(2);
  std::vector<uint64_t> seqs;
  WatchHandlers h;
  h.on_event = [&seqs](const v1::WarningEvent& e) {
    seqs.push_back(e.ledger_seq());
    return absl::OkStatus();
  };
  h.stop = [&seqs] { return seqs.size() >= 4; };
  ASSERT_TRUE(client_->Watch(v1::SubscribeRequest(), o, h).ok());
  EXPECT_EQ(seqs, Range(1, 4));
}

// Being outside one's regions is final: no retry, the server's reason is kept.
TEST_F(AlertsWatchTest, PermissionDeniedEndsTheWatch) {
  Start({.total = 3});
  v1::SubscribeRequest request;
  request.set_region_prefix("370200");
  std::vector<uint64_t> seqs;
  const absl::Status s = WatchUntil(3, request, &seqs);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "outside the regions of jinan");
  EXPECT_TRUE(seqs.empty());
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_NE(ExplainError(s, server_address_).find("--region"), std::string::npos);
}

// A wrong token is final too, and the explanation names the token flags.
TEST_F(AlertsWatchTest, WrongTokenEndsTheWatch) {
  Start({.total = 3}, "not-the-token-000000");
  std::vector<uint64_t> seqs;
  const absl::Status s = WatchUntil(3, v1::SubscribeRequest(), &seqs);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_NE(ExplainError(s, server_address_).find("--token-file"), std::string::npos);
}

// A handler's error ends the watch with it (e.g. the cursor file cannot be written).
TEST_F(AlertsWatchTest, HandlerErrorEndsTheWatch) {
  Start({.total = 5, .per_stream = 5});
  WatchHandlers h;
  int calls = 0;
  h.on_event = [&calls](const v1::WarningEvent&) {
    ++calls;
    return absl::DataLossError("disk full");
  };
  const absl::Status s = client_->Watch(v1::SubscribeRequest(), Options(), h);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 1);
}

// `alerts watch --json --cursor-file F --exit-after 6 --show-heartbeats`
// starts from the saved cursor, prints the events as SubscribeResponse JSON
// lines (heartbeats too), notes each resume on stderr, and saves the last seq.
TEST_F(AlertsWatchTest, RunWatchResumesFromTheCursorFile) {
  Start({.total = 20, .per_stream = 3, .heartbeat_first = true});
  const std::string dir = ScratchDir();
  const std::string cursor = WriteFile(dir, "cursor", "4\n");
  std::stringstream out, err;
  const ManualClock clock(kT0);
  WatchCommand command;
  command.request.set_after_seq(1);  // the cursor file wins
  command.cursor_file = cursor;
  command.exit_after = 6;
  command.show_heartbeats = true;
  command.retry = Options();
  const AlertsOutput output{.out = out,
                            .err = err,
                            .json = true,
                            .zone = kChina,
                            .clock = &clock,
                            .server = server_address_};
  ASSERT_EQ(RunWatch(*client_, command, output), 0) << err.str();
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8u) << out.str();  // heartbeat, 5 6 7, heartbeat, 8 9 10
  EXPECT_EQ(lines[0], R"({"heartbeat":{"head_seq":"20"}})");
  EXPECT_EQ(lines[1].substr(0, 40), R"({"event":{"event_id":"R13-00000000000000)");
  EXPECT_NE(lines[1].find(R"("ledger_seq":"5"})"), std::string::npos) << lines[1];
  EXPECT_NE(lines[7].find(R"("ledger_seq":"10"})"), std::string::npos) << lines[7];
  EXPECT_EQ(*LoadCursor(cursor), 10u);
  EXPECT_EQ(service_->after_seqs(), (std::vector<uint64_t>{4, 7}));
  EXPECT_NE(err.str().find("stream ended (UNAVAILABLE: ended; resume with after_seq=4); resuming "
                           "after seq 7 in 200ms"),
            std::string::npos)
      << err.str();
}

// Table mode: a header, then one line per event; heartbeats are not shown.
TEST_F(AlertsWatchTest, RunWatchTable) {
  Start({.total = 2, .per_stream = 2, .heartbeat_first = true});
  std::stringstream out, err;
  const ManualClock clock(kT0);
  WatchCommand command;
  command.exit_after = 2;
  command.retry = Options();
  const AlertsOutput output{
      .out = out, .err = err, .zone = kChina, .clock = &clock, .server = server_address_};
  ASSERT_EQ(RunWatch(*client_, command, output), 0) << err.str();
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  EXPECT_EQ(lines[0], EventTableHeader());
  EXPECT_EQ(lines[2], FormatEventLine(FakeAlertService::Event(2), kChina));
}

// ack: the result printed, exit 0 when accepted and 1 when rejected.
TEST_F(AlertsWatchTest, RunAcknowledge) {
  Start({.total = 1});
  std::stringstream out, err;
  const ManualClock clock(kT0);
  const AlertsOutput output{.out = out, .err = err, .clock = &clock, .server = server_address_};
  v1::AcknowledgeRequest request;
  request.set_command_id("c-1");
  request.set_warning_id("R13-0000000000000001");
  request.set_operator_("zhang");
  EXPECT_EQ(RunAcknowledge(*client_, request, output), 0) << err.str();
  EXPECT_EQ(out.str(),
            "accepted: ACKNOWLEDGE R13-0000000000000001 (warning version 2, command jinan/c-1)\n");
  EXPECT_EQ(err.str(), "vigilctl: command id c-1 (a retry with --command-id c-1 is safe)\n");
  request.set_warning_id("R13-ffffffffffffffff");
  EXPECT_EQ(RunAcknowledge(*client_, request, output), 1);
  EXPECT_NE(out.str().find("rejected (UNKNOWN_WARNING): no such warning"), std::string::npos);
}

// list --all follows next_page_token to the end; without it, the next page is named.
TEST_F(AlertsWatchTest, RunListFollowsPages) {
  Start({.total = 5});
  const ManualClock clock(kT0);
  {
    std::stringstream out, err;
    const AlertsOutput output{
        .out = out, .err = err, .json = true, .clock = &clock, .server = server_address_};
    ASSERT_EQ(RunList(*client_, v1::ListWarningsRequest(), /*all=*/true, output), 0) << err.str();
    std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[4].substr(0, 36), R"({"warning_id":"R13-0000000000000005")");
  }
  {
    std::stringstream out, err;
    const AlertsOutput output{
        .out = out, .err = err, .zone = kChina, .clock = &clock, .server = server_address_};
    ASSERT_EQ(RunList(*client_, v1::ListWarningsRequest(), /*all=*/false, output), 0);
    std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
    ASSERT_EQ(lines.size(), 3u);  // header and one page
    EXPECT_EQ(lines[1], FormatWarningLine(FakeAlertService::Event(1).warning(), kT0, kChina));
    EXPECT_NE(err.str().find("--page-token 2"), std::string::npos) << err.str();
  }
}

// A server that is not there: the watch keeps trying (until stopped); a unary
// call fails with UNAVAILABLE, explained.
TEST(AlertsClientTest, UnreachableServer) {
  // A port that was free a moment ago: bind, note it, shut down.
  int port = 0;
  {
    FakeAlertService service({});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> s = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    s->Shutdown();
  }
  ConnectionOptions c;
  c.server = absl::StrCat("127.0.0.1:", port);
  c.plaintext = true;
  AlertsClient client(*MakeChannel(c), kToken, absl::Seconds(5));
  absl::StatusOr<v1::Warning> w = client.GetWarning("R13-0000000000000001");
  EXPECT_EQ(w.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(ExplainError(w.status(), c.server).find("cannot reach the AlertService at " + c.server),
            std::string::npos);
  int attempts = 0;
  WatchHandlers h;
  h.on_event = [](const v1::WarningEvent&) { return absl::OkStatus(); };
  h.on_resume = [&attempts](const absl::Status& why, uint64_t, absl::Duration) {
    EXPECT_EQ(why.code(), absl::StatusCode::kUnavailable);
    ++attempts;
  };
  h.stop = [&attempts] { return attempts >= 3; };
  WatchOptions o;
  o.sleep = [](absl::Duration) {};
  EXPECT_TRUE(client.Watch(v1::SubscribeRequest(), o, h).ok());
  EXPECT_EQ(attempts, 3);
}

// TLS files that cannot be read are reported with their flag.
TEST(AlertsClientTest, MakeChannelChecksPemFiles) {
  const std::string dir = ScratchDir();
  ConnectionOptions c;
  c.ca_file = dir + "/missing.pem";
  EXPECT_EQ(MakeChannel(c).status().message(), "--ca " + dir + "/missing.pem: cannot read it");
  c.ca_file = WriteFile(dir, "ca.pem", "not a certificate");
  EXPECT_EQ(MakeChannel(c).status().message(), "--ca " + c.ca_file + ": not a PEM file");
  c.ca_file = "";
  c.cert_file = WriteFile(dir, "unit.pem", "-----BEGIN CERTIFICATE-----\n");
  c.key_file = dir + "/unit.key";
  EXPECT_EQ(MakeChannel(c).status().message(), "--key " + dir + "/unit.key: cannot read it");
  EXPECT_EQ(*ReadTokenFile(WriteFile(dir, "token", "  abc\n")), "abc");
  EXPECT_FALSE(ReadTokenFile(WriteFile(dir, "blank", "\n")).ok());
}

}  // namespace
}  // namespace vigil::vigilctl

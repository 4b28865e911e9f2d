// vigild end to end on Apache Kafka (KRaft, 127.0.0.1) and RocksDB on disk.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/support/kafka_client.h"
#include "tests/support/kafka_env.h"
#include "tests/support/test_events.h"
#include "tests/support/vigild_process.h"
#include "tools/sim/complaint_stream.h"
#include "vigil/v1/command.pb.h"
#include "vigil/v1/events.pb.h"
#include "vigil/v1/reference.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::testing {
namespace {

using std::chrono::seconds;

constexpr int kPartitions = 3;

v1::Envelope Complaint(const std::string& id, int minute, const std::string& area,
                       v1::Ticket::Category category = v1::Ticket::LOW_VOLTAGE) {
  return ComplaintEvent(id, minute * 60, "370100", area, category);
}

// One vigild instance's world: unique topics, a state folder, a config file.
// Waits until this run of `p` has logged `text`.
bool WaitForLog(const VigildProcess& p, const std::string& text, seconds timeout);

class VigildOnKafka : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = KafkaEnvironment::Bootstrap();
    ASSERT_FALSE(bootstrap_.empty());
    tickets_ = UniqueName("it-tickets");
    outages_ = UniqueName("it-outages");
    calls_ = UniqueName("it-calls");
    warnings_ = UniqueName("it-warnings");
    dead_ = UniqueName("it-dead");
    CreateTopics(bootstrap_, {tickets_, outages_, calls_, warnings_, dead_}, kPartitions);
    dir_ = std::filesystem::path(::testing::TempDir()) / UniqueName("vigild-it");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& f : std::filesystem::directory_iterator(dir_)) {
        if (f.path().extension() == ".log") {
          std::ifstream in(f.path());
          std::cerr << "---- " << f.path() << "\n" << in.rdbuf() << "\n";
        }
      }
    }
    std::filesystem::remove_all(dir_);
  }

  // Writes a config for one vigild run and returns its path.
  std::string WriteConfig(const std::string& name, const std::string& group,
                          const std::string& warnings_topic, const std::string& extra_engine = "",
                          const std::string& tickets_format = "protobuf") {
    const std::string path = (dir_ / (name + ".yaml")).string();
    std::ofstream out(path);
    out << "kafka:\n  brokers: " << bootstrap_ << "\n  group_id: " << group << "\n"
        << "  properties: {session.timeout.ms: 6000}\n"
        << "topics:\n"
        << "  tickets: {name: " << tickets_ << ", format: " << tickets_format << "}\n"
        << "  outages: " << outages_ << "\n  repeat_calls: " << calls_ << "\n"
        << "  warnings: " << warnings_topic << "\n  dead_letter: " << dead_ << "\n"
        << "state:\n  path: " << (dir_ / (name + "-state")).string() << "\n"
        << "engine:\n  commit_interval: 20ms\n  idle_timeout: 1h\n"
        << extra_engine << "rules:\n  dir: " << RulesDir(name).string()
        << "\n  reload_check_interval: 50ms\n"
        << "reference: {topic: \"\"}\n";
    if (!std::filesystem::exists(RulesDir(name) / "R13.yaml")) WriteRules(name, kR13Rule);
    return path;
  }

  std::filesystem::path RulesDir(const std::string& name) { return dir_ / (name + "-rules"); }

  // Replaces the run's rule file atomically (write, then rename), as an
  // operator's deploy would.
  void WriteRules(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(RulesDir(name));
    const auto tmp = RulesDir(name) / "R13.yaml.tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, RulesDir(name) / "R13.yaml");
  }

  std::unique_ptr<VigildProcess> StartVigild(const std::string& config, const std::string& name) {
    auto p = std::make_unique<VigildProcess>(config, (dir_ / (name + ".log")).string());
    p->Start();
    return p;
  }

  // Waits until `vigild` runs (a signal sent earlier could meet it before its
  // handlers are set) and `group` has committed every input record of the
  // tickets topic (an earlier, killed instance may have committed them).
  bool WaitCaughtUp(const VigildProcess& vigild, const std::string& group, TestReader* reader,
                    seconds timeout) {
    if (!WaitForLog(vigild, "vigild consuming", timeout)) return false;
    const auto end = EndOffsets(bootstrap_, tickets_, kPartitions);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto committed = CommittedOffsets(bootstrap_, group, tickets_, kPartitions);
      bool all = true;
      for (const auto& [p, e] : end) {
        // An empty partition has nothing to commit.
        if (e > 0 && (!committed.contains(p) || committed.at(p) != e)) all = false;
      }
      if (all) return true;
      reader->PollOnce(200);  // also keeps reading the output while we wait
    }
    return false;
  }

  std::string bootstrap_, tickets_, outages_, calls_, warnings_, dead_;
  std::filesystem::path dir_;
};

std::vector<v1::WarningEvent> Decode(const std::vector<Record>& records) {
  std::vector<v1::WarningEvent> out;
  for (const Record& r : records) {
    v1::WarningEvent we;
    EXPECT_TRUE(we.ParseFromString(r.value)) << "undecodable record on " << r.topic;
    out.push_back(std::move(we));
  }
  return out;
}

// Three complaints of one category in one area within 24 h raise one warning
// on the warnings topic, keyed by city; a fourth updates the same warning.
TEST_F(VigildOnKafka, ClusteredComplaintsRaiseThenUpdateOneWarning) {
  auto vigild = StartVigild(WriteConfig("a", UniqueName("g"), warnings_), "a");
  TestProducer producer(bootstrap_);
  for (int i = 0; i < 3; ++i) {
    producer.Send(tickets_, "370100",
                  Complaint(std::to_string(i), i * 30, "T0001").SerializeAsString());
  }
  producer.Send(tickets_, "370100", Complaint("other", 10, "T0002").SerializeAsString());
  producer.Flush();

  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  auto& got = reader.ReadUntil([&](const auto& r) { return r.size() >= 1 || !vigild->Alive(); },
                               seconds(60));
  ASSERT_EQ(got.size(), 1u) << vigild->Log();
  EXPECT_EQ(got[0].key, "370100");
  std::vector<v1::WarningEvent> events = Decode(got);
  const v1::Warning w = events[0].warning();
  EXPECT_EQ(events[0].type(), v1::WarningEvent::RAISED);
  EXPECT_EQ(w.version(), 1u);
  EXPECT_EQ(w.region_key(), "370100/370102/S01/T0001");
  EXPECT_EQ(w.evidence().count(), 3u);
  EXPECT_EQ(w.grade(), v1::GRADE_IV);
  EXPECT_EQ(got[0].headers.at("vigil-warning-id"), w.warning_id());

  producer.Send(tickets_, "370100", Complaint("3", 120, "T0001").SerializeAsString());
  producer.Flush();
  auto& more = reader.ReadUntil([](const auto& r) { return r.size() >= 2; }, seconds(60));
  ASSERT_EQ(more.size(), 2u);
  events = Decode(more);
  EXPECT_EQ(events[1].type(), v1::WarningEvent::UPDATED);
  EXPECT_EQ(events[1].warning().warning_id(), w.warning_id());
  EXPECT_EQ(events[1].warning().version(), 2u);
  EXPECT_EQ(events[1].warning().evidence().count(), 4u);
  EXPECT_EQ(vigild->Signal(SIGTERM), 0) << "vigild must exit 0 on SIGTERM";
}

// A malformed record lands on the dead-letter topic with its original bytes and
// reason headers, and the records after it are still processed.
TEST_F(VigildOnKafka, MalformedRecordsGoToDeadLetterAndTheStreamGoesOn) {
  auto vigild = StartVigild(WriteConfig("a", UniqueName("g"), warnings_), "a");
  TestProducer producer(bootstrap_);
  const std::string garbage = "\xff\xff\xff not protobuf";
  producer.Send(tickets_, "370100", garbage);
  v1::Envelope bad_city = Complaint("bad", 0, "T0001");
  bad_city.mutable_region()->set_city_code("37AB00");
  producer.Send(tickets_, "370100", bad_city.SerializeAsString());
  for (int i = 0; i < 3; ++i) {
    producer.Send(tickets_, "370100", Complaint(std::to_string(i), i, "T0009").SerializeAsString());
  }
  producer.Flush();

  TestReader dead(bootstrap_, {dead_}, kPartitions);
  auto& letters =
      dead.ReadUntil([&](const auto& r) { return r.size() >= 2 || !vigild->Alive(); }, seconds(60));
  ASSERT_EQ(letters.size(), 2u) << vigild->Log();
  std::map<std::string, Record> by_reason;
  for (const auto& r : letters) by_reason[r.headers.at("vigil-reason")] = r;
  ASSERT_TRUE(by_reason.contains("decode_failed"));
  ASSERT_TRUE(by_reason.contains("invalid_region"));
  EXPECT_EQ(by_reason["decode_failed"].value, garbage);
  EXPECT_EQ(by_reason["decode_failed"].headers.at("vigil-source-topic"), tickets_);
  EXPECT_EQ(by_reason["invalid_region"].value, bad_city.SerializeAsString());
  EXPECT_NE(by_reason["invalid_region"].headers.at("vigil-detail").find("37AB00"),
            std::string::npos);

  TestReader warnings(bootstrap_, {warnings_}, kPartitions);
  auto& got = warnings.ReadUntil([](const auto& r) { return r.size() >= 1; }, seconds(60));
  ASSERT_EQ(got.size(), 1u) << "the stream must go on after bad records";
  EXPECT_EQ(Decode(got)[0].warning().region().area_id(), "T0009");
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);
}

// A topic configured as proto3 JSON is decoded as such.
TEST_F(VigildOnKafka, Proto3JsonInputTopicIsDecoded) {
  auto vigild =
      StartVigild(WriteConfig("a", UniqueName("g"), warnings_, "", /*tickets_format=*/"json"), "a");
  TestProducer producer(bootstrap_);
  for (int i = 0; i < 3; ++i) {
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(
                    Complaint(std::to_string(i), i, "T0003", v1::Ticket::BILLING), &json)
                    .ok());
    producer.Send(tickets_, "370100", json);
  }
  producer.Flush();
  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  auto& got = reader.ReadUntil([&](const auto& r) { return r.size() >= 1 || !vigild->Alive(); },
                               seconds(60));
  ASSERT_EQ(got.size(), 1u) << vigild->Log();
  EXPECT_EQ(Decode(got)[0].warning().category(), v1::Ticket::BILLING);
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);
}

// A stream over three cities, with many clusters.
std::vector<v1::Envelope> ThreeCityStream() {
  std::vector<v1::Envelope> all;
  for (int city = 1; city <= 3; ++city) {
    sim::ComplaintStreamOptions o;
    o.seed = 100 + city;
    o.background_complaints = 1500;
    o.areas_per_county = 6;
    o.clusters = sim::DemoClusters();
    for (v1::Envelope e : sim::ComplaintStream(o)) {
      v1::Region* r = e.mutable_region();
      r->set_province_code("370000");
      r->set_city_code(absl::StrFormat("37%02d00", city));
      r->set_county_code(absl::StrFormat("37%02d%s", city, r->county_code().substr(4)));
      // Grid ids are unique province-wide (area keys are "area:<id>").
      r->set_station_id(absl::StrFormat("%s-%d", r->station_id(), city));
      r->set_area_id(absl::StrFormat("%s-%d", r->area_id(), city));
      e.set_event_id(absl::StrFormat("c%d-%s", city, e.event_id()));
      e.mutable_ticket()->set_ticket_id(absl::StrFormat("c%d-%s", city, e.ticket().ticket_id()));
      all.push_back(std::move(e));
    }
  }
  // A live stream: produced in event-time order across the cities.
  std::stable_sort(all.begin(), all.end(), [](const v1::Envelope& a, const v1::Envelope& b) {
    return a.event_time().seconds() < b.event_time().seconds();
  });
  return all;
}

// (warning_id, version) → the published event without its ledger position.
std::map<std::pair<std::string, uint64_t>, std::string> Distinct(
    const std::vector<Record>& records) {
  std::map<std::pair<std::string, uint64_t>, std::string> out;
  for (v1::WarningEvent we : Decode(records)) {
    // Not content: the ledger position, and how late on the wall clock a timer
    // fired (the same input and the same rules give the same warning either way).
    we.clear_ledger_seq();
    we.clear_fired_late_by_ms();
    std::string bytes;
    we.SerializeToString(&bytes);
    auto [it, inserted] =
        out.emplace(std::make_pair(we.warning().warning_id(), we.warning().version()), bytes);
    EXPECT_TRUE(inserted || it->second == bytes)
        << "two different contents for " << we.warning().warning_id() << " v"
        << we.warning().version();
  }
  return out;
}

// SIGKILL in the middle of a stream and a restart give exactly the warnings of
// an uninterrupted run: none lost, no second warning for the same cluster.
TEST_F(VigildOnKafka, SigkillMidStreamThenRestartEqualsUninterruptedRun) {
  TestProducer producer(bootstrap_);
  const std::vector<v1::Envelope> stream = ThreeCityStream();
  const size_t half = stream.size() / 2;
  auto produce = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      producer.Send(tickets_, stream[i].region().city_code(), stream[i].SerializeAsString());
    }
    producer.Flush();
  };

  // Interrupted run, small batches: the first half is processed, then the kill
  // lands while vigild is working through the second half.
  produce(0, half);
  const std::string warnings_b = UniqueName("it-warnings-b");
  CreateTopics(bootstrap_, {warnings_b}, kPartitions);
  const std::string group_b = UniqueName("g-b");
  const std::string config_b = WriteConfig("b", group_b, warnings_b, "  max_batch_events: 2\n");
  auto b = StartVigild(config_b, "b");
  TestReader read_b(bootstrap_, {warnings_b}, kPartitions);
  read_b.ReadUntil([&](const auto& r) { return r.size() >= 200 || !b->Alive(); }, seconds(120));
  ASSERT_GE(read_b.records().size(), 200u) << b->Log();
  produce(half, stream.size());
  const size_t before_second_half = read_b.records().size();
  read_b.ReadUntil([&](const auto& r) { return r.size() >= before_second_half + 100; },
                   seconds(120));
  const size_t seen_before_kill = read_b.records().size();
  const int status = b->Signal(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(seen_before_kill, before_second_half + 100) << b->Log();
  std::cout << "[ kill     ] SIGKILL after " << seen_before_kill << " warning events\n";

  auto b2 = StartVigild(config_b, "b");
  ASSERT_TRUE(WaitCaughtUp(*b2, group_b, &read_b, seconds(120))) << b2->Log();
  EXPECT_EQ(b2->Signal(SIGTERM), 0);
  ASSERT_TRUE(read_b.ReadToEnd(seconds(120))) << "output not read to its end";
  const auto actual = Distinct(read_b.records());

  // Uninterrupted run over the same input.
  const std::string group_a = UniqueName("g-a");
  auto a = StartVigild(WriteConfig("a", group_a, warnings_), "a");
  TestReader read_a(bootstrap_, {warnings_}, kPartitions);
  ASSERT_TRUE(WaitCaughtUp(*a, group_a, &read_a, seconds(120))) << a->Log();
  EXPECT_EQ(a->Signal(SIGTERM), 0);
  ASSERT_TRUE(read_a.ReadToEnd(seconds(120))) << "output not read to its end";
  const auto expected = Distinct(read_a.records());
  ASSERT_GT(expected.size(), seen_before_kill) << "the kill must land mid-stream";
  std::cout << "[ kill     ] " << expected.size() << " distinct warning events uninterrupted, "
            << read_b.records().size() << " records (" << actual.size()
            << " distinct) with the kill\n";

  EXPECT_EQ(actual.size(), expected.size());
  EXPECT_TRUE(actual == expected) << "warnings after a crash differ from an uninterrupted run";
  for (const auto& [k, v] : actual) {
    if (!expected.contains(k) || expected.at(k) != v) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "only after the kill: " << we.ShortDebugString();
    }
  }
  for (const auto& [k, v] : expected) {
    if (!actual.contains(k)) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "only uninterrupted: " << we.ShortDebugString();
    }
  }
  std::set<std::string> ids_a, ids_b;
  for (const auto& [k, v] : expected) ids_a.insert(k.first);
  for (const auto& [k, v] : actual) ids_b.insert(k.first);
  EXPECT_EQ(ids_a, ids_b);
}

// Waits until the file at `path` contains `text`.
bool WaitForLog(const VigildProcess& p, const std::string& text, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p.LogSinceStart().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20));  // polling a file, not a wait for work
  }
  return false;
}

// Fault repairs and complaints of three cities over two days, in event-time
// order, each ticket with its own customer: crews arrive in time, late or
// never; complaints are contacted and replied early, late or not at all; one
// ticket in ten is from a 12398-tendency customer (R21 shadow clocks).
std::vector<v1::Envelope> DeadlineStream(int tickets_per_city) {
  std::mt19937 rng(7);
  auto uniform = [&rng](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int64_t t0 = 1784102400;  // 2026-07-15T08:00Z, a Wednesday
  std::vector<v1::Envelope> all;
  for (int city = 1; city <= 3; ++city) {
    for (int i = 0; i < tickets_per_city; ++i) {
      const std::string id = absl::StrFormat("c%d-t%03d", city, i);
      const bool complaint = i % 3 == 0;
      const bool tendency = i % 10 == 7;
      const int64_t start = t0 + uniform(0, 36 * 3600);
      auto event = [&](v1::Ticket::Status status, int64_t at) {
        v1::Envelope e;
        e.set_event_id(absl::StrCat(id, "-", v1::Ticket::Status_Name(status)));
        e.mutable_event_time()->set_seconds(at);
        v1::Region* r = e.mutable_region();
        r->set_province_code("370000");
        r->set_city_code(absl::StrFormat("37%02d00", city));
        r->set_county_code(absl::StrFormat("37%02d02", city));
        r->set_station_id(absl::StrFormat("S1-%d", city));
        r->set_area_id(absl::StrFormat("A%02d-%d", i % 20, city));
        v1::Ticket* t = e.mutable_ticket();
        t->set_ticket_id(id);
        t->set_kind(complaint ? v1::Ticket::COMPLAINT : v1::Ticket::FAULT_REPAIR);
        if (complaint) t->set_category(v1::Ticket::DELAYED_RESTORATION);
        t->set_status(status);
        t->set_customer_id("C-" + id);
        if (tendency) t->add_tags(v1::Ticket::TENDENCY_12398);
        all.push_back(std::move(e));
      };
      event(v1::Ticket::ACCEPTED, start);
      if (complaint) {
        if (uniform(1, 100) > 15) event(v1::Ticket::CONTACTED, start + uniform(1, 30) * 3600);
        if (uniform(1, 100) > 20) event(v1::Ticket::REPLIED, start + uniform(12, 96) * 3600);
        continue;
      }
      const int64_t dispatched = start + uniform(1, 8) * 60;
      event(v1::Ticket::DISPATCHED, dispatched);
      event(v1::Ticket::UNIT_ACCEPTED, dispatched + uniform(1, 8) * 60);
      if (uniform(1, 100) <= 20) continue;  // the crew never reports arriving
      const int64_t arrived = start + uniform(10, 120) * 60;
      event(v1::Ticket::ARRIVED, arrived);
      if (uniform(1, 100) > 10) event(v1::Ticket::RESTORED, arrived + uniform(30, 300) * 60);
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const v1::Envelope& a, const v1::Envelope& b) {
    return a.event_time().seconds() < b.event_time().seconds();
  });
  return all;
}

// The shipped deadline rules, limits, calendars and lifecycle policy, next to
// the run's R13.
void CopyDeadlineCatalogue(const std::filesystem::path& rules_dir) {
  for (const char* sub : {"deadlines", "limits", "calendars", "lifecycle"}) {
    std::filesystem::copy(std::filesystem::path(VIGIL_SOURCE_DIR) / "rules" / sub, rules_dir / sub,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
}

// Twelve SIGKILLs while vigild works through a stream of tickets with
// deadlines (countdowns, overdue alarms, escalations, lifecycle notices, all
// fired by durable timers): the warning events equal those of an
// uninterrupted run, compared by (warning id, version, content).
TEST_F(VigildOnKafka, KillLoopWithDeadlinesEqualsUninterruptedRun) {
  const std::vector<v1::Envelope> stream = DeadlineStream(120);
  TestProducer producer(bootstrap_);
  for (const v1::Envelope& e : stream) {
    producer.Send(tickets_, e.region().city_code(), e.SerializeAsString());
  }
  producer.Flush();

  // Uninterrupted run.
  const std::string group_a = UniqueName("g-a");
  const std::string config_a = WriteConfig("a", group_a, warnings_, "  max_batch_events: 20\n");
  CopyDeadlineCatalogue(RulesDir("a"));
  auto a = StartVigild(config_a, "a");
  TestReader read_a(bootstrap_, {warnings_}, kPartitions);
  ASSERT_TRUE(WaitCaughtUp(*a, group_a, &read_a, seconds(180))) << a->Log();
  EXPECT_EQ(a->Signal(SIGTERM), 0);
  ASSERT_TRUE(read_a.ReadToEnd(seconds(120))) << "output not read to its end";
  const auto expected = Distinct(read_a.records());
  std::map<std::string, int> by_type;
  for (const v1::WarningEvent& we : Decode(read_a.records())) {
    ++by_type[absl::StrCat(v1::WarningEvent::Type_Name(we.type()), " ", we.warning().rule_id())];
  }
  ASSERT_GT(expected.size(), 500u) << "the stream must keep the timers busy";
  for (const char* kind : {"COUNTDOWN R01", "OVERDUE R01", "RESOLVED R01", "ESCALATED R01"}) {
    EXPECT_GT(by_type[kind], 0) << kind << " never happened: the test would prove little";
  }

  // The same input with a SIGKILL every ~1/13 of the output, small batches.
  const std::string warnings_b = UniqueName("it-warnings-b");
  CreateTopics(bootstrap_, {warnings_b}, kPartitions);
  const std::string group_b = UniqueName("g-b");
  const std::string config_b = WriteConfig("b", group_b, warnings_b, "  max_batch_events: 5\n");
  CopyDeadlineCatalogue(RulesDir("b"));
  TestReader read_b(bootstrap_, {warnings_b}, kPartitions);
  int kills = 0;
  // Kill targets count distinct warning events: a restart republishes its
  // outbox, and duplicates must not count as progress.
  std::set<std::pair<std::string, uint64_t>> distinct_b;
  size_t parsed = 0;
  auto distinct_so_far = [&](const std::vector<Record>& r) {
    for (; parsed < r.size(); ++parsed) {
      v1::WarningEvent we;
      if (we.ParseFromString(r[parsed].value)) {
        distinct_b.emplace(we.warning().warning_id(), we.warning().version());
      }
    }
    return distinct_b.size();
  };
  for (int k = 1; k <= 12; ++k) {
    auto b = StartVigild(config_b, "b");
    const size_t target = expected.size() * k / 13;
    read_b.ReadUntil([&](const auto& r) { return distinct_so_far(r) >= target || !b->Alive(); },
                     seconds(120));
    ASSERT_GE(distinct_so_far(read_b.records()), target) << b->Log();
    ASSERT_TRUE(WIFSIGNALED(b->Signal(SIGKILL))) << b->Log();
    ++kills;
  }
  auto b = StartVigild(config_b, "b");
  ASSERT_TRUE(WaitCaughtUp(*b, group_b, &read_b, seconds(180))) << b->Log();
  EXPECT_EQ(b->Signal(SIGTERM), 0);
  ASSERT_TRUE(read_b.ReadToEnd(seconds(120))) << "output not read to its end";
  const auto actual = Distinct(read_b.records());
  std::cout << "[ killloop ] " << stream.size() << " ticket events, " << kills
            << " kills: " << expected.size() << " distinct warning events uninterrupted, "
            << read_b.records().size() << " records (" << actual.size()
            << " distinct) with the kills\n";
  for (const auto& [kind, n] : by_type) std::cout << "[ killloop ]   " << kind << ": " << n << "\n";
  EXPECT_EQ(actual.size(), expected.size()) << "the last run:\n" << b->Log();
  int shown = 0;
  for (const auto& [k, v] : actual) {
    if ((!expected.contains(k) || expected.at(k) != v) && ++shown <= 5) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "differs or only after kills: " << we.ShortDebugString();
      if (expected.contains(k)) {
        v1::WarningEvent was;
        was.ParseFromString(expected.at(k));
        ADD_FAILURE() << "uninterrupted: " << was.ShortDebugString();
      }
    }
  }
  // The whole trail of the first warning that differs, both runs side by side.
  auto trail = [](const auto& events, const std::string& id) {
    std::string out;
    for (const auto& [k, v] : events) {
      if (k.first != id) continue;
      v1::WarningEvent we;
      we.ParseFromString(v);
      absl::StrAppend(&out, "\n  v", k.second, " ", v1::WarningEvent::Type_Name(we.type()), " ",
                      v1::Grade_Name(we.warning().grade()), " ",
                      v1::WarningState_Name(we.warning().state()), " timer ",
                      v1::TimerRecord::Kind_Name(we.timer().kind()), "@",
                      we.timer().due().seconds(), " | ", we.warning().message());
    }
    return out;
  };
  for (const auto& [k, v] : actual) {
    if (!expected.contains(k) || expected.at(k) != v) {
      ADD_FAILURE() << "first differing warning " << k.first
                    << "\nuninterrupted:" << trail(expected, k.first)
                    << "\nwith kills:" << trail(actual, k.first);
      break;
    }
  }
  for (const auto& [k, v] : expected) {
    if (!actual.contains(k) && ++shown <= 10) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "only uninterrupted: " << we.ShortDebugString();
    }
  }
}

// vigild dies (SIGKILL, by a failpoint) right after committing a batch in
// which a countdown timer fired, before publishing it. After a restart the
// countdown is published exactly once, and the timer does not fire again.
TEST_F(VigildOnKafka, KilledBetweenTimerCommitAndPublishPublishesTheNoticeOnce) {
  const std::string name = "fp";
  const std::string group = UniqueName("g-fp");
  const std::string config = WriteConfig(name, group, warnings_);
  CopyDeadlineCatalogue(RulesDir(name));
  // One fault repair; a later ticket of the same city moves event time past
  // its 70 % countdown point (31.5 min of 45).
  const std::vector<v1::Envelope> stream = DeadlineStream(1);
  v1::Envelope accepted = stream.front();
  ASSERT_EQ(accepted.ticket().kind(), v1::Ticket::COMPLAINT);  // i == 0 is a complaint
  accepted.mutable_ticket()->set_kind(v1::Ticket::FAULT_REPAIR);
  accepted.mutable_ticket()->clear_category();
  accepted.set_event_id("fp-accepted");
  v1::Envelope later = accepted;
  later.set_event_id("fp-other");
  later.mutable_ticket()->set_ticket_id("other");
  later.mutable_ticket()->set_status(v1::Ticket::DISPATCHED);  // starts no clock of its own
  later.mutable_event_time()->set_seconds(accepted.event_time().seconds() + 40 * 60);
  TestProducer producer(bootstrap_);
  producer.Send(tickets_, accepted.region().city_code(), accepted.SerializeAsString());
  producer.Send(tickets_, later.region().city_code(), later.SerializeAsString());
  producer.Flush();

  ::setenv("VIGIL_FAILPOINT", "crash_after_timer_commit", 1);
  auto first = StartVigild(config, name);
  ::unsetenv("VIGIL_FAILPOINT");
  ASSERT_TRUE(WaitForLog(*first, "failpoint crash_after_timer_commit", seconds(60)))
      << first->Log();
  const int status = first->Signal(SIGKILL);  // reaps it (it killed itself already)
  ASSERT_TRUE(WIFSIGNALED(status)) << first->Log();
  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  for (const auto& [p, end] : EndOffsets(bootstrap_, warnings_, kPartitions)) {
    EXPECT_EQ(end, 0) << "nothing may be published before the restart (partition " << p << ")";
  }

  auto second = StartVigild(config, name);
  reader.ReadUntil([](const auto& r) { return !r.empty(); }, seconds(60));
  ASSERT_TRUE(WaitCaughtUp(*second, group, &reader, seconds(60))) << second->Log();
  EXPECT_EQ(second->Signal(SIGTERM), 0);
  ASSERT_TRUE(reader.ReadToEnd(seconds(120))) << "output not read to its end";
  int countdowns = 0;
  for (const v1::WarningEvent& we : Decode(reader.records())) {
    if (we.warning().rule_id() == "R01" && we.timer().kind() == v1::TimerRecord::COUNTDOWN) {
      ++countdowns;
      EXPECT_EQ(we.type(), v1::WarningEvent::RAISED);
      EXPECT_EQ(we.warning().version(), 1u);
      EXPECT_EQ(we.warning().key(), "ticket:" + accepted.ticket().ticket_id());
    }
  }
  EXPECT_EQ(countdowns, 1) << second->Log();
}

// The provincial desk follows one warning from raise to close on Kafka: the
// countdown arrives on the warnings topic; commands on the commands topic are
// validated (wrong region, wrong state rejected with a reason on the results
// topic), idempotent by command id, and each accepted one is a warning event.
TEST_F(VigildOnKafka, AWarningIsFollowedFromRaiseToCloseOverKafka) {
  const std::string commands = UniqueName("it-commands");
  const std::string results = UniqueName("it-results");
  CreateTopics(bootstrap_, {commands, results}, 1);
  const std::string name = "life";
  const std::string group = UniqueName("g-life");
  std::string config = WriteConfig(name, group, warnings_);
  {
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string anchor = "  dead_letter: " + dead_ + "\n";
    text.replace(text.find(anchor), anchor.size(),
                 anchor + "  commands: " + commands + "\n  command_results: " + results + "\n");
    std::ofstream(config) << text;
  }
  CopyDeadlineCatalogue(RulesDir(name));

  v1::Envelope accepted = DeadlineStream(1).front();
  accepted.set_event_id("life-accepted");
  accepted.mutable_ticket()->set_ticket_id("LIFE-1");
  accepted.mutable_ticket()->set_kind(v1::Ticket::FAULT_REPAIR);
  accepted.mutable_ticket()->clear_category();
  accepted.mutable_ticket()->clear_tags();
  v1::Envelope later = accepted;  // another ticket moves event time 40 min on
  later.set_event_id("life-other");
  later.mutable_ticket()->set_ticket_id("LIFE-2");
  later.mutable_ticket()->set_status(v1::Ticket::DISPATCHED);
  later.mutable_event_time()->set_seconds(accepted.event_time().seconds() + 40 * 60);
  const std::string city = accepted.region().city_code();
  TestProducer producer(bootstrap_);
  producer.Send(tickets_, city, accepted.SerializeAsString());
  producer.Send(tickets_, city, later.SerializeAsString());
  producer.Flush();

  auto vigild = StartVigild(config, name);
  TestReader warnings(bootstrap_, {warnings_}, kPartitions);
  std::string id;
  auto events_of = [&](const std::string& warning_id) {
    std::map<uint64_t, v1::WarningEvent> by_version;  // at-least-once: dedupe by version
    for (v1::WarningEvent we : Decode(warnings.records())) {
      if (we.warning().warning_id() == warning_id) by_version[we.warning().version()] = we;
    }
    return by_version;
  };
  warnings.ReadUntil(
      [&](const std::vector<Record>& r) {
        for (const v1::WarningEvent& we : Decode(r)) {
          if (we.warning().rule_id() == "R01" && we.type() == v1::WarningEvent::RAISED) {
            id = we.warning().warning_id();
            return true;
          }
        }
        return false;
      },
      seconds(60));
  ASSERT_FALSE(id.empty()) << vigild->Log();

  auto command = [&](const std::string& command_id, v1::WarningCommand::Action action,
                     const std::string& region) {
    v1::WarningCommand c;
    c.set_command_id(command_id);
    c.set_action(action);
    c.set_warning_id(id);
    c.set_actor("desk-7");
    c.set_actor_region(region);
    c.set_text("crew dispatched again, customer informed");
    producer.Send(commands, id, c.SerializeAsString());
    producer.Flush();
  };
  TestReader result_reader(bootstrap_, {results}, 1);
  auto results_so_far = [&]() {
    std::vector<v1::CommandResult> out;
    for (const Record& r : result_reader.records()) {
      v1::CommandResult res;
      EXPECT_TRUE(res.ParseFromString(r.value));
      out.push_back(res);
    }
    return out;
  };
  command("c-region", v1::WarningCommand::ACKNOWLEDGE, "370200");  // another city
  command("c-ack", v1::WarningCommand::ACKNOWLEDGE, city);
  command("c-ack", v1::WarningCommand::ACKNOWLEDGE, city);  // repeated: same result
  command("c-close-early", v1::WarningCommand::CLOSE, "");
  result_reader.ReadUntil([](const auto& r) { return r.size() >= 4; }, seconds(60));
  std::vector<v1::CommandResult> res = results_so_far();
  ASSERT_EQ(res.size(), 4u) << vigild->Log();
  EXPECT_EQ(res[0].code(), v1::CommandResult::WRONG_REGION) << res[0].reason();
  EXPECT_FALSE(res[0].accepted());
  EXPECT_TRUE(res[1].accepted()) << res[1].reason();
  EXPECT_EQ(res[2].code(), res[1].code());
  EXPECT_EQ(res[2].warning_version(), res[1].warning_version());
  EXPECT_EQ(res[3].code(), v1::CommandResult::WRONG_STATE) << res[3].reason();
  EXPECT_NE(res[3].reason().find("SUBMIT_FEEDBACK"), std::string::npos) << res[3].reason();

  // The crew arrives: the condition clears; feedback, then the province closes.
  v1::Envelope arrived = accepted;
  arrived.set_event_id("life-arrived");
  arrived.mutable_ticket()->set_status(v1::Ticket::ARRIVED);
  arrived.mutable_event_time()->set_seconds(accepted.event_time().seconds() + 50 * 60);
  producer.Send(tickets_, city, arrived.SerializeAsString());
  producer.Flush();
  warnings.ReadUntil(
      [&](const auto&) {
        for (const auto& [v, we] : events_of(id)) {
          if (we.type() == v1::WarningEvent::RESOLVED) return true;
        }
        return false;
      },
      seconds(60));
  command("c-feedback", v1::WarningCommand::SUBMIT_FEEDBACK, city);
  command("c-close", v1::WarningCommand::CLOSE, "");
  warnings.ReadUntil(
      [&](const auto&) {
        for (const auto& [v, we] : events_of(id)) {
          if (we.warning().state() == v1::CLOSED) return true;
        }
        return false;
      },
      seconds(60));
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);

  const auto history = events_of(id);
  ASSERT_FALSE(history.empty());
  uint64_t expected_version = 1;
  std::vector<std::string> seen;
  for (const auto& [version, we] : history) {
    EXPECT_EQ(version, expected_version++) << "versions are gapless";
    seen.push_back(absl::StrCat(v1::WarningEvent::Type_Name(we.type()), "/",
                                v1::WarningState_Name(we.warning().state())));
  }
  const std::string trail = absl::StrJoin(seen, " ");
  std::cout << "[ life     ] " << id << ": " << trail << "\n";
  EXPECT_EQ(history.begin()->second.timer().kind(), v1::TimerRecord::COUNTDOWN);
  for (const char* step :
       {"RAISED/OPEN", "STATE_CHANGED/ACKNOWLEDGED", "OVERDUE/ACKNOWLEDGED",
        "RESOLVED/ACKNOWLEDGED", "STATE_CHANGED/FEEDBACK_SUBMITTED", "STATE_CHANGED/CLOSED"}) {
    EXPECT_NE(trail.find(step), std::string::npos) << step << " missing in " << trail;
  }
  EXPECT_EQ(history.rbegin()->second.warning().lifecycle().closed_by(), "desk-7");
}

// Rule files are replaced twice while events flow: a broken set is rejected
// (the running rules stay), a valid one is swapped in between batches. Every
// event is applied exactly once across both reloads, and the windows of the
// rule that did not change survive.
TEST_F(VigildOnKafka, RulesReloadWhileEventsFlowLosesNone) {
  const std::string name = "reload";
  std::filesystem::create_directories(RulesDir(name));
  // ALL: every complaint updates its area's warning; its evidence count is the
  // number of complaints applied in the area.
  std::ofstream(RulesDir(name) / "all.yaml") << R"(rules:
  - id: ALL
    version: "1"
    title: every complaint
    input:
      stream: ticket
      filter: {kind: [COMPLAINT]}
    key: area
    window: {type: sliding, size: 48h}
    condition: {measure: count}
    grades: {IV: 1}
    resolve: {quiet_for: 72h}
    message: "{count}"
)";
  const std::string group = UniqueName("g-reload");
  auto vigild = StartVigild(WriteConfig(name, group, warnings_, "  max_batch_events: 50\n"), name);
  // The rules must be loaded before the broken set is written.
  ASSERT_TRUE(WaitForLog(*vigild, "vigild consuming", seconds(60))) << vigild->Log();
  TestProducer producer(bootstrap_);
  constexpr int kAreas = 30, kEvents = 3000;
  std::map<std::string, int> per_area;
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      const std::string area = absl::StrFormat("T%04d", i % kAreas);
      ++per_area[area];
      // 20 s apart: all within the 48 h window.
      v1::Envelope e = Complaint(std::to_string(i), 0, area);
      e.mutable_event_time()->set_seconds(e.event_time().seconds() + i * 20);
      producer.Send(tickets_, "370100", e.SerializeAsString());
    }
    producer.Flush();
  };
  produce(0, 1000);
  WriteRules(name, "rules:\n  - id: R13\n    version: broken\n    window: {type: sliding}\n");
  ASSERT_TRUE(WaitForLog(*vigild, "rule reload rejected", seconds(60))) << vigild->Log();
  produce(1000, 2000);
  std::string v2 = kR13Rule;
  v2.replace(v2.find("\"it\""), 4, "\"it-2\"");
  v2.replace(v2.find("IV: 3, III: 5"), 13, "IV: 2, III: 5");
  WriteRules(name, v2);
  ASSERT_TRUE(WaitForLog(*vigild, "rules reloaded", seconds(60))) << vigild->Log();
  produce(2000, 2500);
  // SIGHUP reloads at once (here: the same files, nothing changes).
  vigild->Signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(*vigild, "rules reloaded (SIGHUP)", seconds(60))) << vigild->Log();
  produce(2500, kEvents);

  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  ASSERT_TRUE(WaitCaughtUp(*vigild, group, &reader, seconds(120))) << vigild->Log();
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);
  ASSERT_TRUE(reader.ReadToEnd(seconds(120))) << "output not read to its end";
  EXPECT_NE(vigild->Log().find("thresholds changed 1 [R13]"), std::string::npos) << vigild->Log();
  // ALL: one RAISED / UPDATED warning event per complaint (deduplicated by id
  // and version; lifecycle notices in between are not the rule's), the last
  // one counting every complaint of its area.
  std::map<std::string, std::map<uint64_t, uint32_t>> all;  // area → version → count
  bool saw_r13_v2 = false;
  std::map<std::string, int> r13_versions;
  for (const v1::WarningEvent& we : Decode(reader.records())) {
    if (we.warning().rule_id() == "ALL" &&
        (we.type() == v1::WarningEvent::RAISED || we.type() == v1::WarningEvent::UPDATED)) {
      all[we.warning().region().area_id()][we.warning().version()] =
          we.warning().evidence().count();
    }
    saw_r13_v2 |= we.warning().rule_id() == "R13" && we.warning().rule_version() == "it-2";
    if (we.warning().rule_id() == "R13") ++r13_versions[we.warning().rule_version()];
  }
  ASSERT_EQ(all.size(), static_cast<size_t>(kAreas));
  for (const auto& [area, versions] : all) {
    EXPECT_EQ(versions.size(), static_cast<size_t>(per_area[area])) << area;
    EXPECT_EQ(versions.rbegin()->second, static_cast<uint32_t>(per_area[area])) << area;
  }
  for (const auto& [v, n] : r13_versions) {
    std::cout << "[ reload   ] R13 warning events of rule version " << v << ": " << n << "\n";
  }
  EXPECT_TRUE(saw_r13_v2) << "warnings after the reload carry the new rule version";
  TestReader dead(bootstrap_, {dead_}, kPartitions);
  ASSERT_TRUE(dead.ReadToEnd(seconds(120))) << "output not read to its end";
  EXPECT_TRUE(dead.records().empty()) << "no event may be refused across a reload";
}

// vigilctl replay over a file and vigild over the same events on Kafka give
// the same warning events, byte for byte (the default catalogue, tickets of a
// generated day on one partition).
TEST_F(VigildOnKafka, ReplayAndVigildGiveTheSameWarnings) {
  const std::filesystem::path events = dir_ / "day.jsonl";
  const std::filesystem::path tickets = dir_ / "tickets.jsonl";
  const std::string gen = std::string(VIGIL_SIM_PATH) +
                          " generate --preset thunderstorm_city --seed 3 --scale 0.5 --cities 2" +
                          " --duration 12h -q --out " + events.string();
  ASSERT_EQ(std::system(gen.c_str()), 0) << gen;
  const std::string tickets_1 = UniqueName("it-tickets-1p");
  CreateTopics(bootstrap_, {tickets_1}, 1);
  TestProducer producer(bootstrap_);
  size_t n = 0;
  {
    std::ifstream in(events);
    std::ofstream out(tickets);
    std::string line;
    while (std::getline(in, line)) {
      v1::Envelope e;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &e).ok()) << line;
      if (!e.has_ticket()) continue;
      out << line << "\n";
      producer.Send(tickets_1, e.region().city_code(), e.SerializeAsString());
      ++n;
    }
  }
  producer.Flush();
  ASSERT_GT(n, 1000u);

  const std::string name = "replay";
  const std::string group = UniqueName("g-replay");
  std::string config = WriteConfig(name, group, warnings_);
  {
    // The shipped catalogue, and the single-partition tickets topic.
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.replace(text.find(RulesDir(name).string()), RulesDir(name).string().size(),
                 std::string(VIGIL_SOURCE_DIR) + "/rules");
    text.replace(text.find("name: " + tickets_), 6 + tickets_.size(), "name: " + tickets_1);
    std::ofstream(config) << text;
  }
  auto vigild = StartVigild(config, name);
  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  const auto deadline = std::chrono::steady_clock::now() + seconds(180);
  bool caught_up = false;
  while (!caught_up && std::chrono::steady_clock::now() < deadline) {
    const auto committed = CommittedOffsets(bootstrap_, group, tickets_1, 1);
    caught_up = committed.contains(0) && committed.at(0) == static_cast<int64_t>(n);
    reader.PollOnce(200);
  }
  ASSERT_TRUE(caught_up) << vigild->Log();
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);
  ASSERT_TRUE(reader.ReadToEnd(seconds(120))) << "output not read to its end";

  const std::filesystem::path replayed = dir_ / "replay.jsonl";
  const std::string cmd = std::string(VIGILCTL_PATH) + " replay --rules " + VIGIL_SOURCE_DIR +
                          "/rules --input " + tickets.string() + " > " + replayed.string() +
                          " 2> " + (dir_ / "replay.log").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::map<std::pair<std::string, uint64_t>, std::string> from_replay, from_vigild;
  {
    std::ifstream in(replayed);
    std::string line;
    while (std::getline(in, line)) {
      v1::WarningEvent we;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &we).ok()) << line;
      we.clear_ledger_seq();
      we.clear_fired_late_by_ms();
      from_replay[{we.warning().warning_id(), we.warning().version()}] = we.SerializeAsString();
    }
  }
  for (v1::WarningEvent we : Decode(reader.records())) {
    we.clear_ledger_seq();
    we.clear_fired_late_by_ms();
    from_vigild[{we.warning().warning_id(), we.warning().version()}] = we.SerializeAsString();
  }
  std::cout << "[ replay   ] " << n << " tickets: " << from_vigild.size()
            << " warning events from vigild, " << from_replay.size() << " from replay\n";
  EXPECT_GT(from_replay.size(), 0u);
  EXPECT_EQ(from_vigild.size(), from_replay.size());
  EXPECT_TRUE(from_vigild == from_replay) << "vigild and vigilctl replay disagree";
  int shown = 0;
  for (const auto& [k, v] : from_vigild) {
    if ((!from_replay.contains(k) || from_replay.at(k) != v) && ++shown <= 5) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "vigild only / differs: " << we.ShortDebugString();
    }
  }
  for (const auto& [k, v] : from_replay) {
    if (!from_vigild.contains(k) && ++shown <= 10) {
      v1::WarningEvent we;
      we.ParseFromString(v);
      ADD_FAILURE() << "replay only: " << we.ShortDebugString();
    }
  }
}

// Reference data from a Kafka topic (read to its end before the first event,
// then followed) and from a file are joined in a rule: the share of a
// county's customers under open outages.
TEST_F(VigildOnKafka, ReferenceDataFromTopicAndFileIsJoined) {
  const std::string name = "ref";
  std::filesystem::create_directories(RulesDir(name));
  std::ofstream(RulesDir(name) / "R13.yaml") << R"(rules:
  - id: SHARE
    version: "1"
    title: customers out in a county
    input: {stream: outage}
    key: county
    condition: {measure: customers_out_share}
    grades: {III: "20%", II: "50%"}
    resolve: {below_for: 30m}
    message: "{value} of the county's customers are out"
)";
  auto area = [](int i) {
    v1::ReferenceRecord r;
    v1::Region* g = r.mutable_area()->mutable_region();
    g->set_province_code("370000");
    g->set_city_code("370100");
    g->set_county_code("370102");
    g->set_station_id("37010201");
    g->set_feeder_id("L370102001");
    g->set_area_id(absl::StrFormat("TL370102001%03d", i));
    r.mutable_area()->set_area_class(v1::URBAN);
    r.mutable_area()->set_customers(100);
    return r;
  };
  // Areas 0-4 from a file, 5-9 from the topic: 1,000 customers in the county.
  {
    std::ofstream file(dir_ / "grid.jsonl");
    for (int i = 0; i < 5; ++i) {
      std::string json;
      ASSERT_TRUE(google::protobuf::util::MessageToJsonString(area(i), &json).ok());
      file << json << "\n";
    }
  }
  const std::string ref_topic = UniqueName("it-reference");
  CreateTopics(bootstrap_, {ref_topic}, 1);
  TestProducer producer(bootstrap_);
  for (int i = 5; i < 10; ++i) {
    producer.Send(ref_topic, "area:" + area(i).area().region().area_id(),
                  area(i).SerializeAsString());
  }
  producer.Flush();
  std::string config = WriteConfig(name, UniqueName("g-ref"), warnings_);
  {
    std::ifstream in(config);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.replace(
        text.find("reference: {topic: \"\"}"), 22,
        "reference: {file: " + (dir_ / "grid.jsonl").string() + ", topic: " + ref_topic + "}");
    std::ofstream(config) << text;
  }
  auto vigild = StartVigild(config, name);
  ASSERT_TRUE(WaitForLog(*vigild, "10 areas", seconds(60))) << vigild->Log();

  auto outage = [](const std::string& id, std::vector<int> areas, int minute) {
    v1::Envelope e;
    e.set_event_id("evt-" + id);
    e.mutable_event_time()->set_seconds(1784102400 + minute * 60);
    v1::Region* r = e.mutable_region();
    r->set_province_code("370000");
    r->set_city_code("370100");
    r->set_county_code("370102");
    r->set_station_id("37010201");
    r->set_feeder_id("L370102001");
    r->set_area_id(absl::StrFormat("TL370102001%03d", areas[0]));
    v1::OutageEvent* o = e.mutable_outage();
    o->set_outage_id(id);
    o->set_kind(v1::OutageEvent::FAULT);
    o->set_phase(v1::OutageEvent::STARTED);
    for (int a : areas) o->add_area_ids(absl::StrFormat("TL370102001%03d", a));
    o->set_affected_customers(100 * static_cast<uint32_t>(areas.size()));
    *o->mutable_start_time() = e.event_time();
    return e;
  };
  // 3 areas out: 300 / 1,000 = 30 % → III (it would be 60 % → II if only
  // the file's 500 customers were known).
  producer.Send(outages_, "370100", outage("o1", {1, 6, 7}, 0).SerializeAsString());
  producer.Flush();
  TestReader reader(bootstrap_, {warnings_}, kPartitions);
  auto& got =
      reader.ReadUntil([&](const auto& r) { return !r.empty() || !vigild->Alive(); }, seconds(60));
  ASSERT_EQ(got.size(), 1u) << vigild->Log();
  v1::WarningEvent we = Decode(got)[0];
  EXPECT_EQ(we.warning().rule_id(), "SHARE");
  EXPECT_EQ(we.warning().key(), "county:370102");
  EXPECT_EQ(we.warning().grade(), v1::GRADE_III);
  EXPECT_NE(we.warning().message().find("30.0%"), std::string::npos) << we.warning().message();

  // The topic is followed: 10 more areas make the county 2,000 customers, so
  // a fourth area out (400 / 2,000 = 20 %) keeps III and does not reach II.
  for (int i = 10; i < 20; ++i) {
    producer.Send(ref_topic, "area:" + area(i).area().region().area_id(),
                  area(i).SerializeAsString());
  }
  producer.Flush();
  ASSERT_TRUE(WaitForLog(*vigild, "20 areas", seconds(60))) << vigild->Log();
  producer.Send(outages_, "370100", outage("o2", {12}, 1).SerializeAsString());
  producer.Flush();
  auto& more = reader.ReadUntil([&](const auto& r) { return r.size() >= 2 || !vigild->Alive(); },
                                seconds(60));
  ASSERT_EQ(more.size(), 2u) << vigild->Log();
  we = Decode(more)[1];
  EXPECT_EQ(we.type(), v1::WarningEvent::UPDATED);
  EXPECT_EQ(we.warning().grade(), v1::GRADE_III);
  EXPECT_NE(we.warning().message().find("20.0%"), std::string::npos) << we.warning().message();
  EXPECT_EQ(vigild->Signal(SIGTERM), 0);
}

// An invalid rule file stops vigild at start with the file, line and column.
TEST_F(VigildOnKafka, InvalidRuleFileRefusesToStart) {
  const std::string name = "bad";
  std::filesystem::create_directories(RulesDir(name));
  WriteRules(name, "rules:\n  - id: R13\n    version: \"1\"\n    windw: {size: 1h}\n");
  auto vigild = StartVigild(WriteConfig(name, UniqueName("g-bad"), warnings_), name);
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (vigild->Alive() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the child's exit
  }
  ASSERT_FALSE(vigild->Alive()) << vigild->Log();
  const std::string log = vigild->Log();
  EXPECT_NE(log.find("R13.yaml:4:5:"), std::string::npos) << log;
  EXPECT_NE(log.find("windw"), std::string::npos) << log;
}

}  // namespace
}  // namespace vigil::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new vigil::testing::KafkaEnvironment());
  return RUN_ALL_TESTS();
}

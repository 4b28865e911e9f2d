// Same seed and options ⇒ the same bytes; another seed ⇒ other bytes.
#include <gtest/gtest.h>

#include <set>

#include "tests/sim/sim_test_util.h"
#include "tools/sim/jsonl_sink.h"
#include "tools/sim/labels.h"

namespace vigil::sim {
namespace {

SimOptions Small(uint64_t seed) {
  SimOptions o = testing::Options("thunderstorm_city", seed, 0.3, 2, absl::Hours(20));
  o.warmup = absl::Hours(48);
  return o;
}

std::string Bytes(const testing::Run& run) {
  std::string out;
  for (const v1::Envelope& e : run.events) {
    absl::StatusOr<std::string> json = EnvelopeToJson(e);
    EXPECT_TRUE(json.ok());
    out += *json + "\n";
  }
  out += "--\n";
  for (const Label& l : run.result.labels) out += LabelToJson(l) + "\n";
  return out;
}

TEST(Determinism, SameSeedAndOptionsGiveIdenticalBytes) {
  const testing::Run a = testing::Generate(Small(7));
  const testing::Run b = testing::Generate(Small(7));
  ASSERT_GT(a.events.size(), 1000u);
  ASSERT_FALSE(a.result.labels.empty());
  EXPECT_EQ(Bytes(a), Bytes(b));
  EXPECT_EQ(a.result.summary.Format(0), b.result.summary.Format(0));
}

TEST(Determinism, DifferentSeedGivesDifferentEvents) {
  const testing::Run a = testing::Generate(Small(7));
  const testing::Run b = testing::Generate(Small(8));
  EXPECT_NE(Bytes(a), Bytes(b));
}

TEST(Determinism, EventsAreSortedByTimeWithUniqueIds) {
  const testing::Run run = testing::Generate(Small(3));
  std::set<std::string> ids;
  for (size_t i = 0; i < run.events.size(); ++i) {
    if (i > 0) {
      EXPECT_LE(testing::Seconds(run.events[i - 1]), testing::Seconds(run.events[i]));
    }
    EXPECT_TRUE(ids.insert(run.events[i].event_id()).second) << run.events[i].event_id();
  }
}

}  // namespace
}  // namespace vigil::sim

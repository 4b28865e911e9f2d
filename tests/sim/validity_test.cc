// Every generated event passes vigild's decoder (proto3 JSON) and validator.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <map>

#include "processors/ingest/decoder.h"
#include "processors/ingest/validator.h"
#include "tests/sim/sim_test_util.h"
#include "tools/sim/jsonl_sink.h"

namespace vigil::sim {
namespace {

struct Case {
  std::string preset;
  double scale;
  int cities;
  absl::Duration duration;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.preset << " scale " << c.scale << " cities " << c.cities << " for "
      << absl::FormatDuration(c.duration);
}

class Validity : public ::testing::TestWithParam<Case> {};

TEST_P(Validity, EveryEventDecodesAndValidates) {
  const Case& c = GetParam();
  SimOptions o = testing::Options(c.preset, 11, c.scale, c.cities, c.duration);
  o.warmup = absl::Hours(48);
  const testing::Run run = testing::Generate(o);
  ASSERT_GT(run.events.size(), 100u);
  const absl::Time now = run.spec.end + absl::Hours(1);
  int rejected = 0;
  std::map<std::string, int> last_rank;
  for (const v1::Envelope& e : run.events) {
    absl::StatusOr<std::string> json = EnvelopeToJson(e);
    ASSERT_TRUE(json.ok()) << json.status();
    v1::Envelope decoded;
    if (auto r = ingest::Decode(*json, ingest::Format::kJson, &decoded)) {
      ADD_FAILURE() << r->detail << " in " << *json;
      ++rejected;
      continue;
    }
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(e, decoded)) << *json;
    const ingest::InputKind kind = e.has_ticket()   ? ingest::InputKind::kTickets
                                   : e.has_outage() ? ingest::InputKind::kOutages
                                                    : ingest::InputKind::kRepeatCalls;
    if (auto r = ingest::Validate(decoded, kind, now, ingest::ValidationOptions{})) {
      if (++rejected <= 5) ADD_FAILURE() << r->detail << " in " << *json;
    }
    EXPECT_GE(e.event_time().seconds(), absl::ToUnixSeconds(run.spec.start));
    EXPECT_LT(e.event_time().seconds(), absl::ToUnixSeconds(run.spec.end));
    // A ticket's statuses move forward through its kind's lifecycle.
    if (e.has_ticket()) {
      const v1::Ticket& t = e.ticket();
      const int rank = testing::StatusRank(t.kind(), t.status());
      EXPECT_GE(rank, 0) << t.ShortDebugString();
      auto [it, inserted] = last_rank.emplace(t.ticket_id(), rank);
      if (!inserted) {
        EXPECT_GT(rank, it->second) << t.ticket_id() << " " << v1::Ticket::Status_Name(t.status());
        it->second = rank;
      }
    }
  }
  EXPECT_EQ(rejected, 0);
}

INSTANTIATE_TEST_SUITE_P(Presets, Validity,
                         ::testing::Values(Case{"normal_weekday", 0.05, 0, absl::Hours(24)},
                                           Case{"summer_heat", 0.05, 0, absl::Hours(24)},
                                           Case{"thunderstorm_city", 0.5, 1, absl::Hours(24)},
                                           Case{"typhoon_coastal", 0.05, 0, absl::Hours(5 * 24)},
                                           Case{"planned_no_notice", 0.2, 1, absl::Hours(48)},
                                           Case{"frequent_outage_taiqu", 0.02, 1,
                                                absl::Hours(60 * 24)},
                                           Case{"dispatch_backlog", 0.5, 1, absl::Hours(36)}),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.preset; });

}  // namespace
}  // namespace vigil::sim

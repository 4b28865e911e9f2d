#include "tools/vigilctl/replay.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/unit/vigilctl/test_files.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::vigilctl {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

// A complaint in area `area` at 2026-07-01T00:<minute>Z.
std::string Complaint(const std::string& id, int minute, const std::string& area = "A1") {
  return absl::StrCat(R"({"eventId":")", id, R"(","eventTime":"2026-07-01T00:)",
                      minute < 10 ? "0" : "", minute,
                      R"(:00Z","region":{"provinceCode":"370000","cityCode":"370100",)"
                      R"("countyCode":"370102","stationId":"37010201","feederId":"F1","areaId":")",
                      area, R"("},"ticket":{"ticketId":")", id,
                      R"(","kind":"COMPLAINT","category":"BILLING","status":"ACCEPTED"}})");
}

constexpr char kAreaRecord[] =
    R"({"area":{"region":{"provinceCode":"370000","cityCode":"370100","countyCode":"370102",)"
    R"("stationId":"37010201","feederId":"F1","areaId":"A1"},)"
    R"("areaClass":"URBAN","customers":120}})";

// Three complaints in A1 (blue, then yellow), a reference record, a comment, a
// line that is not JSON, an event without a region, an event 40 min behind
// the watermark (late), and one more complaint in A2.
std::string Input() {
  return absl::StrCat(
      "# recorded 2026-07-01\n", kAreaRecord, "\n", Complaint("c1", 0), "\n", Complaint("c2", 5),
      "\n", "{not json\n",
      R"({"eventId":"x","eventTime":"2026-07-01T00:06:00Z","ticket":{"ticketId":"x",)"
      R"("kind":"REPORT","status":"ACCEPTED"}})",
      "\n", Complaint("c3", 50), "\n", Complaint("c0", 9), "\n", "\n", Complaint("c4", 51, "A2"),
      "\n");
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.rules = {WriteFile(ScratchDir(), "t1.yaml", testing::kClusterRule)};
  }

  // Replays `input`; returns stdout.
  std::string Run(const std::string& input, ReplaySummary* summary = nullptr,
                  std::string* diagnostics = nullptr) {
    std::istringstream in(input);
    std::ostringstream out, diag;
    const ManualClock clock(absl::FromUnixSeconds(1000));
    auto result = Replay(options_, in, out, &diag, clock);
    EXPECT_TRUE(result.ok()) << result.status();
    if (summary != nullptr && result.ok()) *summary = *result;
    if (diagnostics != nullptr) *diagnostics = diag.str();
    return out.str();
  }

  ReplayOptions options_;
};

// The same input twice gives byte-identical output.
TEST_F(ReplayTest, SameInputSameBytes) {
  const std::string first = Run(Input());
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(Run(Input()), first);
}

// Output lines are WarningEvents in proto3 JSON, numbered 1, 2, 3, ... by ledger_seq.
TEST_F(ReplayTest, WritesNumberedWarningEvents) {
  const std::string out = Run(Input());
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i < lines.size(); ++i) {
    v1::WarningEvent event;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[i], &event).ok()) << lines[i];
    EXPECT_EQ(event.ledger_seq(), i + 1);
    EXPECT_EQ(event.warning().rule_id(), "T1");
  }
  v1::WarningEvent first;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &first).ok());
  EXPECT_EQ(first.type(), v1::WarningEvent::RAISED);
  EXPECT_EQ(first.warning().grade(), v1::GRADE_IV);
  EXPECT_EQ(first.warning().key(), "area:A1");
}

// The summary counts events, reference records, rejections by reason, late
// events and warning events by type.
TEST_F(ReplayTest, SummaryCounts) {
  ReplaySummary summary;
  std::string diagnostics;
  Run(Input(), &summary, &diagnostics);
  EXPECT_EQ(summary.events, 7u);
  EXPECT_EQ(summary.reference_records, 1u);
  EXPECT_EQ(summary.reference_refused, 0u);
  EXPECT_EQ(summary.rejected,
            (std::map<std::string, uint64_t>{{"decode_failed", 1}, {"missing_field", 1}}));
  EXPECT_EQ(summary.late, 1u);
  // A1: c1 + c2 raise blue, c3 makes three within the hour: yellow. A2: one complaint.
  EXPECT_EQ(summary.warning_events,
            (std::map<std::string, uint64_t>{{"RAISED", 1}, {"UPDATED", 1}}));
  EXPECT_EQ(summary.distinct_warnings, 1u);
  EXPECT_EQ(summary.wall, absl::ZeroDuration());  // the manual clock did not move
  EXPECT_NE(diagnostics.find("line 5: decode_failed: "), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("line 6: missing_field: region"), std::string::npos) << diagnostics;

  const std::string text = FormatSummary(summary);
  EXPECT_NE(text.find("events read:       7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rejected:          2 (decode_failed=1 missing_field=1)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warning events:    2 (RAISED=1 UPDATED=1)\n"), std::string::npos) << text;
}

// --until moves the watermark at the end, firing the quiet-period resolution.
TEST_F(ReplayTest, UntilFiresTimers) {
  options_.until = absl::FromUnixSeconds(1782864000) + absl::Hours(5);  // 2026-07-01T05:00Z
  ReplaySummary summary;
  Run(Input(), &summary);
  EXPECT_EQ(summary.warning_events["RESOLVED"], 1u);
}

// Reference lines are recognised by their first key, without a parse.
TEST(ReplayLineTest, RecognisesReferenceLines) {
  EXPECT_TRUE(IsReferenceLine(R"({"area":{}})"));
  EXPECT_TRUE(IsReferenceLine(R"(  { "customer" : {"customerId":"1"}})"));
  EXPECT_FALSE(IsReferenceLine(R"({"eventId":"e","area":{}})"));
  EXPECT_FALSE(IsReferenceLine(R"({"areaId":"x"})"));
  EXPECT_FALSE(IsReferenceLine(R"(["area"])"));
  EXPECT_FALSE(IsReferenceLine(""));
}

}  // namespace
}  // namespace vigil::vigilctl

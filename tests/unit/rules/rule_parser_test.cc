#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "processors/rules/rule_set.h"
#include "processors/rules/rule_spec.h"

namespace vigil::rules {
namespace {

// A minimal valid rule; each key on its own line so tests can replace one
// line and still know every position. Values start at column 5 + len("key: ").
constexpr char kMinimal[] = R"(rules:
  - id: R1
    version: "1"
    title: t
    input: {stream: ticket}
    key: area
    window: {type: sliding, size: 24h}
    condition: {measure: count}
    grades: {III: 3}
    resolve: {quiet_for: 72h}
    message: "{count} in {key}"
)";

// kMinimal with the lines of some keys replaced by "    key: value" (or by a
// comment when value is empty, so line numbers stay), and `extra` lines
// appended (from line 12 on).
std::string Edit(const std::vector<std::pair<std::string, std::string>>& replace,
                 const std::string& extra = "") {
  std::string out;
  for (absl::string_view line : absl::StrSplit(kMinimal, '\n', absl::SkipEmpty())) {
    std::string l(line);
    for (const auto& [key, value] : replace) {
      if (l.rfind("    " + key + ":", 0) == 0 || l.rfind("  - " + key + ":", 0) == 0) {
        l = l.substr(0, 4) + (value.empty() ? "# (removed)" : key + ": " + value);
      }
    }
    out += l + "\n";
  }
  return out + extra;
}

std::string With(const std::string& key, const std::string& value, const std::string& extra = "") {
  return Edit({{key, value}}, extra);
}

std::vector<std::string> Errors(const std::string& text) {
  const absl::StatusOr<std::vector<RuleSpec>> r = ParseRuleFile(text, "r.yaml");
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(r.status().message(), '\n')) {
    lines.emplace_back(l);
  }
  return lines;
}

// Expects, among the errors of `text`, one starting with
// "r.yaml:<line>:<col>: <path>: " and containing `what`.
void ExpectError(const std::string& text, int line, int column, const std::string& path,
                 const std::string& what = "") {
  const std::vector<std::string> errors = Errors(text);
  ASSERT_FALSE(errors.empty()) << "accepted:\n" << text;
  const std::string prefix =
      "r.yaml:" + std::to_string(line) + ":" + std::to_string(column) + ": " + path + ": ";
  for (const std::string& e : errors) {
    if (e.rfind(prefix, 0) == 0 && e.find(what) != std::string::npos) return;
  }
  ADD_FAILURE() << "no error \"" << prefix << "..." << what << "\" among:\n"
                << absl::StrJoin(errors, "\n") << "\nfor:\n"
                << text;
}

RuleSpec ParseOne(const std::string& text) {
  const absl::StatusOr<std::vector<RuleSpec>> r = ParseRuleFile(text, "r.yaml");
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << text;
  if (!r.ok() || r->size() != 1) return {};
  return (*r)[0];
}

// Every key of the language parses into the RuleSpec fields.
TEST(RuleParserTest, FullRuleRoundTrips) {
  const std::vector<RuleSpec> rules = *ParseRuleFile(R"(rules:
  - id: R13_x-1
    version: 3
    title: 群体性投诉 complaint cluster
    description: >
      Complaints in one area.
    input:
      stream: ticket
      filter:
        kind: [COMPLAINT, OPINION]
        category: [LOW_VOLTAGE]
        status: [ACCEPTED]
        tags_any: [TENDENCY_12398, MEDIA]
    key: area
    window:
      type: hopping
      size: 24h
      advance: 1h30m
      allowed_lateness: 2h
    condition:
      measure: ratio
      numerator: {kind: [COMPLAINT]}
      outage: open
    grades:
      IV: "10%"
      III: 0.25
      I: 50%
    clear: {III: "20%"}
    min_dwell: 30m
    floors:
      - {when: tagged, tags: [MEDIA], grade: I}
      - {when: important_level, level: FIRST, grade: II}
      - {when: customers_at_least, value: 1000, grade: I}
      - {when: active_for, duration: 7d, grade: II}
      - {when: area_tagged, tags: [TENDENCY_12398], grade: III}
    fold_into: R11-feeder
    resolve:
      below_for: 30m
      quiet_for: 72h
      outage_registered: true
    update_on_evidence: false
    state_ttl: 60d
    message: "{count} complaints in {key} within {window}: {value}"
    overrides:
      - region: "3701"
        grades: {IV: 20%}
      - area_class: RURAL
        region: "37"
        grades: {III: 40%}
        clear: {III: 30%}
)",
                                                     "r.yaml");
  ASSERT_EQ(rules.size(), 1u);
  const RuleSpec& r = rules[0];
  EXPECT_EQ(r.id, "R13_x-1");
  EXPECT_EQ(r.version, "3");
  EXPECT_EQ(r.title, "群体性投诉 complaint cluster");
  EXPECT_EQ(r.description, "Complaints in one area.");
  EXPECT_EQ(r.stream, Stream::kTicket);
  EXPECT_EQ(r.filter.ticket_kinds,
            (std::vector<v1::Ticket::Kind>{v1::Ticket::COMPLAINT, v1::Ticket::OPINION}));
  EXPECT_EQ(r.filter.categories, std::vector<v1::Ticket::Category>{v1::Ticket::LOW_VOLTAGE});
  EXPECT_EQ(r.filter.statuses, std::vector<v1::Ticket::Status>{v1::Ticket::ACCEPTED});
  EXPECT_EQ(r.filter.tags_any,
            (std::vector<v1::Ticket::Tag>{v1::Ticket::TENDENCY_12398, v1::Ticket::MEDIA}));
  EXPECT_TRUE(r.filter.outage_kinds.empty());
  EXPECT_EQ(r.key, KeyLevel::kArea);
  EXPECT_EQ(r.window.kind, WindowKind::kHopping);
  EXPECT_EQ(r.window.size, absl::Hours(24));
  EXPECT_EQ(r.window.advance, absl::Minutes(90));
  EXPECT_EQ(r.window.allowed_lateness, absl::Hours(2));
  EXPECT_EQ(r.measure, MeasureKind::kRatio);
  EXPECT_EQ(r.numerator.ticket_kinds, std::vector<v1::Ticket::Kind>{v1::Ticket::COMPLAINT});
  EXPECT_EQ(r.outage_gate, OutageGate::kRequireOpen);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[0].value(), 0.10);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[1].value(), 0.25);
  EXPECT_FALSE(r.thresholds.raise[2].has_value());
  EXPECT_DOUBLE_EQ(r.thresholds.raise[3].value(), 0.50);
  EXPECT_FALSE(r.thresholds.clear[0].has_value());  // unset = equal to raise
  EXPECT_DOUBLE_EQ(r.thresholds.clear[1].value(), 0.20);
  EXPECT_EQ(r.min_dwell, absl::Minutes(30));
  ASSERT_EQ(r.floors.size(), 5u);
  EXPECT_EQ(r.floors[0].when, GradeFloor::When::kTagged);
  EXPECT_EQ(r.floors[0].tags, std::vector<v1::Ticket::Tag>{v1::Ticket::MEDIA});
  EXPECT_EQ(r.floors[0].grade, 3);
  EXPECT_EQ(r.floors[1].when, GradeFloor::When::kImportantLevel);
  EXPECT_EQ(r.floors[1].important_level, v1::FIRST);
  EXPECT_EQ(r.floors[1].grade, 2);
  EXPECT_EQ(r.floors[2].when, GradeFloor::When::kCustomersAtLeast);
  EXPECT_EQ(r.floors[2].value, 1000);
  EXPECT_EQ(r.floors[3].when, GradeFloor::When::kActiveFor);
  EXPECT_EQ(r.floors[3].duration, absl::Hours(24 * 7));
  EXPECT_EQ(r.floors[4].when, GradeFloor::When::kAreaTagged);
  EXPECT_EQ(r.floors[4].tags, std::vector<v1::Ticket::Tag>{v1::Ticket::TENDENCY_12398});
  EXPECT_EQ(r.floors[4].grade, 1);
  EXPECT_EQ(r.fold_into, "R11-feeder");
  EXPECT_EQ(r.resolve.below_for, absl::Minutes(30));
  EXPECT_EQ(r.resolve.quiet_for, absl::Hours(72));
  EXPECT_TRUE(r.resolve.outage_phases.empty());
  EXPECT_TRUE(r.resolve.outage_registered);
  EXPECT_FALSE(r.update_on_evidence);
  EXPECT_EQ(r.state_ttl, absl::Hours(24 * 60));
  EXPECT_EQ(r.message, "{count} complaints in {key} within {window}: {value}");
  ASSERT_EQ(r.overrides.size(), 2u);
  // Overrides hold only the grades they name; the engine layers them over the rule's.
  EXPECT_EQ(r.overrides[0].region_prefix, "3701");
  EXPECT_EQ(r.overrides[0].area_class, v1::AREA_CLASS_UNSPECIFIED);
  EXPECT_EQ(r.overrides[0].line, 45);
  EXPECT_DOUBLE_EQ(r.overrides[0].thresholds.raise[0].value(), 0.20);
  EXPECT_FALSE(r.overrides[0].thresholds.raise[1].has_value());
  EXPECT_FALSE(r.overrides[0].thresholds.clear[0].has_value());
  EXPECT_EQ(r.overrides[1].region_prefix, "37");
  EXPECT_EQ(r.overrides[1].area_class, v1::RURAL);
  EXPECT_EQ(r.overrides[1].line, 47);
  EXPECT_FALSE(r.overrides[1].thresholds.raise[0].has_value());
  EXPECT_DOUBLE_EQ(r.overrides[1].thresholds.raise[1].value(), 0.40);
  EXPECT_DOUBLE_EQ(r.overrides[1].thresholds.clear[1].value(), 0.30);
  EXPECT_EQ(r.file, "r.yaml");
  EXPECT_EQ(r.line, 2);
}

// Optional keys take their documented defaults.
TEST(RuleParserTest, MinimalRuleTakesDefaults) {
  const RuleSpec r = ParseOne(kMinimal);
  EXPECT_EQ(r.id, "R1");
  EXPECT_EQ(r.description, "");
  EXPECT_TRUE(r.filter.empty());
  EXPECT_EQ(r.window.kind, WindowKind::kSliding);
  EXPECT_EQ(r.window.allowed_lateness, absl::Hours(1));
  EXPECT_EQ(r.outage_gate, OutageGate::kAny);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[1].value(), 3);
  EXPECT_FALSE(r.thresholds.clear[1].has_value());
  EXPECT_EQ(r.min_dwell, absl::ZeroDuration());
  EXPECT_TRUE(r.floors.empty());
  EXPECT_TRUE(r.fold_into.empty());
  EXPECT_TRUE(r.update_on_evidence);
  // Unset: the engine derives it from the window.
  EXPECT_EQ(r.state_ttl, absl::ZeroDuration());
  EXPECT_TRUE(r.overrides.empty());
  EXPECT_EQ(r.line, 2);
}

// Each measure on the stream and key it needs, with its threshold unit.
TEST(RuleParserTest, MeasuresParseWithTheirUnits) {
  RuleSpec r;
  // sum over outages.
  r = ParseOne(R"(rules:
  - id: S
    version: "1"
    title: t
    input: {stream: outage, filter: {outage_kind: [FAULT], phase: [STARTED], important_customer_in_scope: true}}
    key: feeder
    window: {type: tumbling, size: 1h}
    condition: {measure: sum, field: affected_customers}
    grades: {IV: 500, I: 5000}
    resolve: {below_for: 1h, outage_registered: true}
    message: "{value} customers"
)");
  EXPECT_EQ(r.measure, MeasureKind::kSum);
  EXPECT_EQ(r.sum_field, "affected_customers");
  EXPECT_EQ(r.filter.outage_kinds, std::vector<v1::OutageEvent::Kind>{v1::OutageEvent::FAULT});
  EXPECT_EQ(r.filter.outage_phases, std::vector<v1::OutageEvent::Phase>{v1::OutageEvent::STARTED});
  EXPECT_TRUE(r.filter.important_customer_in_scope);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[3].value(), 5000);

  // open_duration: durations in seconds, no window needed.
  r = ParseOne(R"(rules:
  - id: D
    version: "1"
    title: t
    input: {stream: outage}
    key: outage
    condition: {measure: open_duration}
    grades: {IV: 3h, II: 1d, I: 1d12h}
    clear: {IV: 0}
    resolve: {outage_phase: [RESTORED, CANCELLED]}
    message: "{key} off since {window_start}"
)");
  EXPECT_EQ(r.measure, MeasureKind::kOpenDuration);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[0].value(), 3 * 3600);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[2].value(), 24 * 3600);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[3].value(), 36 * 3600);
  EXPECT_DOUBLE_EQ(r.thresholds.clear[0].value(), 0);
  EXPECT_EQ(r.resolve.outage_phases, (std::vector<v1::OutageEvent::Phase>{
                                         v1::OutageEvent::RESTORED, v1::OutageEvent::CANCELLED}));

  // customers_out_share: percentages.
  r = ParseOne(R"(rules:
  - id: C
    version: "1"
    title: t
    input: {stream: outage}
    key: county
    condition: {measure: customers_out_share}
    grades: {III: 10%, II: 0.3}
    resolve: {below_for: 15m}
    message: "{value} of {key} out"
)");
  EXPECT_DOUBLE_EQ(r.thresholds.raise[1].value(), 0.1);
  EXPECT_DOUBLE_EQ(r.thresholds.raise[2].value(), 0.3);

  // rate_vs_baseline: multiples, tumbling bins, baseline parameters.
  r = ParseOne(R"(rules:
  - id: B
    version: 1.10
    title: t
    input: {stream: repeat_call, filter: {min_call_count: 2, tags_any: [SENSITIVE]}}
    key: city
    window: {type: tumbling, size: 15m}
    condition:
      measure: rate_vs_baseline
      baseline: {history_days: 14, min_history_days: 3, min_baseline: 2.5}
    grades: {IV: 3, III: 5}
    resolve: {below_for: 30m}
    message: "{value}x usual in {key}"
)");
  EXPECT_EQ(r.version, "1.10");
  EXPECT_EQ(r.stream, Stream::kRepeatCall);
  EXPECT_EQ(r.filter.min_call_count, 2u);
  EXPECT_EQ(r.baseline.history_days, 14);
  EXPECT_EQ(r.baseline.min_history_days, 3);
  EXPECT_DOUBLE_EQ(r.baseline.min_baseline, 2.5);

  // Session windows: gap required, size optional (0 = no cap).
  r = ParseOne(With("window", "{type: session, gap: 30m}"));
  EXPECT_EQ(r.window.kind, WindowKind::kSession);
  EXPECT_EQ(r.window.gap, absl::Minutes(30));
  EXPECT_EQ(r.window.size, absl::ZeroDuration());

  // distinct customers keyed by ticket, with a gate.
  r = ParseOne(With("condition", "{measure: distinct_customers, outage: none}"));
  EXPECT_EQ(r.measure, MeasureKind::kDistinctCustomers);
  EXPECT_EQ(r.outage_gate, OutageGate::kRequireNone);
}

// A file that is not valid YAML names the position of the syntax error.
TEST(RuleParserTest, YamlSyntaxError) {
  const std::vector<std::string> e = Errors("rules:\n  - id: [R1\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].rfind("r.yaml:3:1: YAML syntax error: ", 0), 0u) << e[0];
}

// A file must hold `rules:`, a non-empty list of mappings.
TEST(RuleParserTest, FileWithoutRulesList) {
  ExpectError("", 1, 1, "rules", "missing");
  ExpectError("# only a comment\n", 1, 1, "rules", "missing");
  ExpectError("other: 1\n", 1, 1, "other", "unknown key");
  ExpectError("other: 1\n", 1, 1, "rules", "missing");
  ExpectError("rules: {id: R1}\n", 1, 8, "rules", "must be a list");
  ExpectError("rules: []\n", 1, 8, "rules", "is empty");
  ExpectError("- id: R1\n", 1, 1, "rules", "missing");
  ExpectError("rules:\n  - R1\n", 2, 5, "rules[0]", "must be a mapping");
}

// Unknown keys are rejected wherever they are, with a suggestion when close.
TEST(RuleParserTest, UnknownKeys) {
  ExpectError(With("", "", "    windwo: 1\n"), 12, 5, "rules[0].windwo",
              "unknown key (did you mean \"window\"?); allowed here: id, version");
  ExpectError(With("window", "{type: sliding, sise: 24h}"), 7, 29, "rules[0].window.sise",
              "did you mean \"size\"?");
  ExpectError(With("input", "{stream: ticket, filter: {kinds: [COMPLAINT]}}"), 5, 38,
              "rules[0].input.filter.kinds", "did you mean \"kind\"?");
  ExpectError(With("grades", "{III: 3, V: 9}"), 9, 22, "rules[0].grades.V",
              "allowed here: IV, III, II, I");
  ExpectError(With("resolve", "{quiet_for: 72h, after: 1h}"), 10, 31, "rules[0].resolve.after",
              "unknown key");
}

// yaml-cpp keeps duplicate keys; the parser rejects them, block or flow style.
TEST(RuleParserTest, DuplicateKeys) {
  ExpectError(With("", "", "    key: feeder\n"), 12, 5, "rules[0].key",
              "duplicate key (first at line 6)");
  ExpectError(With("grades", "{III: 3, II: 5, III: 4}"), 9, 29, "rules[0].grades.III",
              "duplicate key (first at line 9)");
  ExpectError(With("window", "{type: sliding, size: 1h, size: 2h}"), 7, 39, "rules[0].window.size",
              "duplicate key");
}

// Every missing required key is reported, all at the rule's position.
TEST(RuleParserTest, MissingRequiredKeysAllReported) {
  const std::string text = "rules:\n  - description: d\n";
  for (const char* key :
       {"id", "version", "title", "input", "key", "condition", "grades", "resolve", "message"}) {
    ExpectError(text, 2, 5, std::string("rules[0].") + key, "missing");
  }
  EXPECT_EQ(Errors(text).size(), 9u);
  ExpectError(With("input", "{filter: {}}"), 5, 12, "rules[0].input.stream",
              "missing; one of ticket | outage | repeat_call");
  ExpectError(With("condition", "{outage: any}"), 8, 16, "rules[0].condition.measure",
              "missing; one of count | distinct_customers | sum");
  ExpectError(With("window", ""), 2, 5, "rules[0].window", "missing; measure count needs a window");
  ExpectError(With("title", ""), 2, 5, "rules[0].title", "missing");
  ExpectError(With("version", ""), 2, 5, "rules[0].version", "missing");
}

// All errors of a file are reported, across rules, sorted by position.
TEST(RuleParserTest, AllErrorsOfAFileAreReported) {
  const std::string text = With("key", "district", R"(  - id: R2
    version: "1"
    title: t
    input: {stream: ticket}
    key: area
    window: {type: sliding, size: 0s}
    condition: {measure: count}
    grades: {III: 3}
    resolve: {quiet_for: 72h}
    message: "{count} in {place}"
)");
  const std::vector<std::string> e = Errors(text);
  ASSERT_EQ(e.size(), 3u) << absl::StrJoin(e, "\n");
  EXPECT_EQ(e[0].rfind("r.yaml:6:10: rules[0].key: ", 0), 0u) << e[0];
  EXPECT_EQ(e[1].rfind("r.yaml:17:35: rules[1].window.size: ", 0), 0u) << e[1];
  EXPECT_EQ(e[2].rfind("r.yaml:21:14: rules[1].message: ", 0), 0u) << e[2];
}

// Values of the wrong YAML type are rejected with what is expected.
TEST(RuleParserTest, WrongTypes) {
  ExpectError(With("id", "[R1]"), 2, 9, "rules[0].id", "must be a non-empty string");
  ExpectError(With("id", "R 1"), 2, 9, "rules[0].id", "not a valid id");
  ExpectError(With("title", "{a: b}"), 4, 12, "rules[0].title", "must be a non-empty string");
  ExpectError(With("window", "24h"), 7, 13, "rules[0].window", "must be a mapping");
  ExpectError(With("", "", "    update_on_evidence: maybe\n"), 12, 25,
              "rules[0].update_on_evidence", "must be true or false");
  ExpectError(With("", "", "    min_dwell: soon\n"), 12, 16, "rules[0].min_dwell",
              "must be a duration like");
  ExpectError(With("", "", "    floors: {when: tagged}\n"), 12, 13, "rules[0].floors",
              "must be a list");
  ExpectError(With("input", "{stream: ticket, filter: {kind: COMPLAINT}}"), 5, 44,
              "rules[0].input.filter.kind", "must be a list");
  ExpectError(With("input", "{stream: ticket, filter: {kind: []}}"), 5, 44,
              "rules[0].input.filter.kind", "must not be empty");
  ExpectError(With("input", "{stream: repeat_call, filter: {min_call_count: two}}"), 5, 59,
              "rules[0].input.filter.min_call_count", "must be an integer");
  // An empty value points at its key.
  ExpectError(With("", "", "    min_dwell:\n"), 12, 5, "rules[0].min_dwell", "duration");
}

// Enum names are checked against the proto enums, listing the allowed ones.
TEST(RuleParserTest, UnknownEnumNames) {
  ExpectError(With("input", "{stream: tickets}"), 5, 21, "rules[0].input.stream",
              "\"tickets\" is not valid; allowed: ticket | outage | repeat_call");
  ExpectError(With("input", "{stream: ticket, filter: {kind: [COMPLAINT, GRUMBLE]}}"), 5, 56,
              "rules[0].input.filter.kind[1]",
              "\"GRUMBLE\" is not a vigil.v1.Ticket.Kind name; allowed: COMPLAINT, REPORT");
  ExpectError(With("input", "{stream: ticket, filter: {kind: [KIND_UNSPECIFIED]}}"), 5, 45,
              "rules[0].input.filter.kind[0]", "not a vigil.v1.Ticket.Kind name");
  ExpectError(With("input", "{stream: ticket, filter: {category: [VOLTAGE]}}"), 5, 49,
              "rules[0].input.filter.category[0]", "LOW_VOLTAGE");
  ExpectError(With("input", "{stream: ticket, filter: {tags_any: [VIP]}}"), 5, 49,
              "rules[0].input.filter.tags_any[0]", "TENDENCY_12398, SENSITIVE");
  ExpectError(With("key", "district"), 6, 10, "rules[0].key",
              "allowed: area | feeder | station | county | city | province | customer | ticket "
              "| outage");
  ExpectError(With("window", "{type: rolling, size: 1h}"), 7, 20, "rules[0].window.type",
              "tumbling | hopping | sliding | session");
  ExpectError(With("condition", "{measure: average}"), 8, 26, "rules[0].condition.measure",
              "allowed: count | distinct_customers | sum | ratio | rate_vs_baseline | "
              "customers_out_share | open_duration");
  ExpectError(With("condition", "{measure: count, outage: closed}"), 8, 41,
              "rules[0].condition.outage", "allowed: any | open | none");
  ExpectError(With("", "", "    floors: [{when: tagged, tags: [MEDIA], grade: V}]\n"), 12, 51,
              "rules[0].floors[0].grade", "allowed: IV | III | II | I");
  ExpectError(With("", "", "    floors: [{when: important_level, level: FIRSTS, grade: I}]\n"), 12,
              45, "rules[0].floors[0].level", "SPECIAL | FIRST | SECOND | TEMPORARY");
  ExpectError(With("", "", "    overrides: [{area_class: SUBURBAN, grades: {III: 4}}]\n"), 12, 30,
              "rules[0].overrides[0].area_class", "URBAN | RURAL | REMOTE");
}

// Filter keys and key levels must exist on the rule's stream.
TEST(RuleParserTest, FilterAndKeyMustFitTheStream) {
  ExpectError(With("input", "{stream: ticket, filter: {outage_kind: [FAULT]}}"), 5, 38,
              "rules[0].input.filter.outage_kind",
              "not a filter of stream ticket; its filters: kind, category, status, tags_any");
  ExpectError(With("input", "{stream: outage, filter: {tags_any: [MEDIA]}}"), 5, 38,
              "rules[0].input.filter.tags_any",
              "its filters: outage_kind, phase, important_customer_in_scope");
  ExpectError(With("input", "{stream: repeat_call, filter: {kind: [COMPLAINT]}}"), 5, 43,
              "rules[0].input.filter.kind", "its filters: tags_any, min_call_count");
  ExpectError(With("key", "outage"), 6, 10, "rules[0].key",
              "key outage is not available on stream ticket; key outage needs stream outage");
  ExpectError(Edit({{"input", "{stream: outage}"}, {"key", "customer"}}), 6, 10, "rules[0].key",
              "keys customer and ticket need stream ticket or repeat_call");
  ExpectError(Edit({{"input", "{stream: outage}"}, {"key", "ticket"}}), 6, 10, "rules[0].key",
              "need stream ticket or repeat_call");
  // Region keys fit every stream; customer and ticket keys fit tickets and repeat calls.
  ParseOne(Edit({{"input", "{stream: outage}"}, {"key", "station"}}));
  ParseOne(Edit({{"input", "{stream: repeat_call}"}, {"key", "customer"}}));
  ParseOne(With("key", "ticket"));
}

// Measures must fit the stream and key; their parameters only go with them.
TEST(RuleParserTest, MeasureMustFitStreamAndKey) {
  ExpectError(With("condition", "{measure: sum, field: call_count}"), 8, 26,
              "rules[0].condition.measure",
              "sum needs stream outage (field affected_customers) or repeat_call (field "
              "call_count) (this rule: stream ticket, key area)");
  ExpectError(Edit({{"input", "{stream: repeat_call}"},
                    {"condition", "{measure: sum, field: affected_customers}"}}),
              8, 38, "rules[0].condition.field",
              "affected_customers is not a field of stream repeat_call");
  ExpectError(
      Edit({{"input", "{stream: outage}"}, {"condition", "{measure: sum, field: duration}"}}), 8,
      38, "rules[0].condition.field", "\"duration\" cannot be summed");
  ExpectError(Edit({{"input", "{stream: outage}"}, {"condition", "{measure: sum}"}}), 8, 16,
              "rules[0].condition.field",
              "missing; measure sum needs the field to add up: "
              "affected_customers");
  ExpectError(With("condition", "{measure: count, field: call_count}"), 8, 33,
              "rules[0].condition.field", "only for measure sum (this rule: count)");
  ExpectError(Edit({{"input", "{stream: outage}"}, {"condition", "{measure: distinct_customers}"}}),
              8, 26, "rules[0].condition.measure",
              "distinct_customers needs customer ids: stream ticket or repeat_call");
  ExpectError(With("condition", "{measure: ratio}"), 8, 16, "rules[0].condition.numerator",
              "missing; measure ratio needs a numerator filter");
  ExpectError(With("condition", "{measure: ratio, numerator: {phase: [STARTED]}}"), 8, 45,
              "rules[0].condition.numerator.phase", "not a filter of stream ticket");
  ExpectError(With("condition", "{measure: ratio, numerator: {}}"), 8, 44,
              "rules[0].condition.numerator", "must hold at least one condition");
  ExpectError(Edit({{"input", "{stream: outage}"},
                    {"condition", "{measure: customers_out_share}"},
                    {"grades", "{III: 10%}"}}),
              8, 26, "rules[0].condition.measure",
              "customers_out_share needs stream outage and key feeder, station, county, city or "
              "province (this rule: stream outage, key area)");
  ExpectError(With("condition", "{measure: customers_out_share}"), 8, 26,
              "rules[0].condition.measure", "this rule: stream ticket, key area");
  ExpectError(Edit({{"input", "{stream: outage}"},
                    {"key", "feeder"},
                    {"condition", "{measure: open_duration}"},
                    {"grades", "{III: 3h}"}}),
              8, 26, "rules[0].condition.measure",
              "open_duration needs stream outage and key outage (this rule: stream outage, key "
              "feeder)");
  ExpectError(With("condition", "{measure: count, baseline: {history_days: 7}}"), 8, 33,
              "rules[0].condition.baseline", "only for measure rate_vs_baseline");
  ExpectError(With("condition", "{measure: count, numerator: {kind: [COMPLAINT]}}"), 8, 33,
              "rules[0].condition.numerator", "only for measure ratio");
}

// rate_vs_baseline needs tumbling bins that divide the day.
TEST(RuleParserTest, RateVsBaselineWindow) {
  ExpectError(With("condition", "{measure: rate_vs_baseline}"), 7, 20, "rules[0].window.type",
              "rate_vs_baseline needs a tumbling window");
  ExpectError(Edit({{"window", "{type: tumbling, size: 7h}"},
                    {"condition", "{measure: rate_vs_baseline}"}}),
              7, 36, "rules[0].window.size", "must divide 24h (e.g. 15m, 1h, 6h, 24h), not 7h");
  ExpectError(Edit({{"window", "{type: tumbling, size: 1h}"},
                    {"condition",
                     "{measure: rate_vs_baseline, baseline: {history_days: 7, "
                     "min_history_days: 8}}"}}),
              8, 90, "rules[0].condition.baseline.min_history_days",
              "must not exceed history_days (7)");
  ExpectError(Edit({{"window", "{type: tumbling, size: 1h}"},
                    {"condition", "{measure: rate_vs_baseline, baseline: {history_days: 0}}"}}),
              8, 69, "rules[0].condition.baseline.history_days", "integer in [1, 366]");
}

// Window kinds take their own parameters, with bounds.
TEST(RuleParserTest, WindowParameters) {
  ExpectError(With("window", "{type: hopping, size: 1h}"), 7, 13, "rules[0].window.advance",
              "missing; a hopping window needs advance, 0 < advance <= size");
  ExpectError(With("window", "{type: hopping, size: 1h, advance: 2h}"), 7, 48,
              "rules[0].window.advance", "must not exceed the window size (1h)");
  ExpectError(With("window", "{type: sliding, size: 1h, advance: 5m}"), 7, 39,
              "rules[0].window.advance", "only for hopping windows (this one is sliding)");
  ExpectError(With("window", "{type: tumbling, size: 1h, gap: 5m}"), 7, 40, "rules[0].window.gap",
              "only for session windows (this one is tumbling)");
  ExpectError(With("window", "{type: session, size: 1h}"), 7, 13, "rules[0].window.gap",
              "missing; a session window needs gap");
  ExpectError(With("window", "{type: sliding}"), 7, 13, "rules[0].window.size",
              "missing; a sliding window needs a size");
  ExpectError(With("window", "{type: sliding, size: 0s}"), 7, 35, "rules[0].window.size", "> 0");
  ExpectError(With("window", "{type: sliding, size: 24x}"), 7, 35, "rules[0].window.size",
              "must be a duration like \"90s\", \"15m\", \"24h\", \"7d\" or \"1h30m\"");
  ExpectError(With("window", "{type: sliding, size: 1h, allowed_lateness: -1h}"), 7, 57,
              "rules[0].window.allowed_lateness", ">= 0");
  ExpectError(With("window", "{type: sliding, size: 4000d}"), 7, 35, "rules[0].window.size",
              "at most 3650d");
  // 0 lateness is allowed.
  EXPECT_EQ(ParseOne(With("window", "{type: sliding, size: 1h, allowed_lateness: 0s}"))
                .window.allowed_lateness,
            absl::ZeroDuration());
}

// Thresholds: unit per measure, raise > 0, non-decreasing from IV to I, clear <= raise.
TEST(RuleParserTest, Thresholds) {
  ExpectError(With("grades", "{III: 5, II: 3}"), 9, 26, "rules[0].grades.II",
              "grade II threshold 3 is below grade III threshold 5; raise thresholds must not "
              "decrease from IV to I");
  ExpectError(With("grades", "{IV: 5, I: 4}"), 9, 24, "rules[0].grades.I",
              "grade I threshold 4 is below grade IV threshold 5");
  ExpectError(With("", "", "    clear: {III: 4}\n"), 12, 18, "rules[0].clear.III",
              "clear threshold 4 of grade III is above its raise threshold 3; clear must be <= "
              "raise");
  ExpectError(With("", "", "    clear: {II: 2}\n"), 12, 13, "rules[0].clear.II",
              "grade II has no raise threshold in rules[0].grades");
  ExpectError(With("grades", "{III: \"10%\"}"), 9, 19, "rules[0].grades.III",
              "percentages are only for measures ratio and customers_out_share; measure count "
              "takes a number like 5");
  ExpectError(With("grades", "{III: 3h}"), 9, 19, "rules[0].grades.III",
              "durations are only for measure open_duration");
  ExpectError(With("grades", "{III: 0}"), 9, 19, "rules[0].grades.III",
              "a raise threshold must be > 0");
  ExpectError(With("grades", "{III: -3}"), 9, 19, "rules[0].grades.III", "not a threshold");
  ExpectError(With("grades", "{III: [3]}"), 9, 19, "rules[0].grades.III", "must be a threshold");
  ExpectError(With("grades", "{}"), 9, 13, "rules[0].grades", "needs at least one grade");
  ExpectError(Edit({{"condition", "{measure: ratio, numerator: {kind: [COMPLAINT]}}"},
                    {"grades", "{III: 2}"}}),
              9, 19, "rules[0].grades.III",
              "2 is not a share; measure ratio takes a share like \"10%\" or a number in [0, 1]");
  ExpectError(Edit({{"condition", "{measure: ratio, numerator: {kind: [COMPLAINT]}}"},
                    {"grades", "{III: 120%}"}}),
              9, 19, "rules[0].grades.III", "more than 100%");
  ExpectError(Edit({{"window", "{type: tumbling, size: 1h}"},
                    {"condition", "{measure: rate_vs_baseline}"},
                    {"grades", "{III: 300%}"}}),
              9, 19, "rules[0].grades.III", "percentages are only for");
  const std::string duration_rule = R"(rules:
  - id: D
    version: "1"
    title: t
    input: {stream: outage}
    key: outage
    condition: {measure: open_duration}
    grades: {IV: 3, III: 1h}
    clear: {III: 2h}
    resolve: {outage_phase: [RESTORED]}
    message: "{key}"
)";
  ExpectError(duration_rule, 8, 18, "rules[0].grades.IV",
              "\"3\" has no unit; measure open_duration takes a duration like");
  ExpectError(duration_rule, 9, 18, "rules[0].clear.III",
              "clear threshold 2h of grade III is above its raise threshold 1h");
}

// Floors take exactly the parameter of their kind.
TEST(RuleParserTest, Floors) {
  ExpectError(With("", "", "    floors: [{when: angry, grade: I}]\n"), 12, 21,
              "rules[0].floors[0].when",
              "allowed: tagged | important_level | customers_at_least | active_for | "
              "area_tagged");
  ExpectError(With("", "", "    floors: [{when: tagged, grade: I}]\n"), 12, 14,
              "rules[0].floors[0].tags", "missing; floor tagged needs tags");
  ExpectError(With("", "", "    floors: [{when: tagged, tags: [MEDIA]}]\n"), 12, 14,
              "rules[0].floors[0].grade", "missing");
  ExpectError(With("", "", "    floors: [{when: active_for, duration: 1h, value: 3, grade: I}]\n"),
              12, 47, "rules[0].floors[0].value",
              "not a parameter of floor active_for; it takes duration");
  ExpectError(With("", "", "    floors: [{when: customers_at_least, value: 0, grade: I}]\n"), 12,
              48, "rules[0].floors[0].value", "must be a number >= 1");
  ExpectError(
      With("", "", "    floors: [{when: area_tagged, tags: [SENSITIVE, MEDIA], grade: I}]\n"), 12,
      52, "rules[0].floors[0].tags[1]", "MEDIA is not a customer tag of the reference data");
}

// resolve needs at least one way out, each fitting the key.
TEST(RuleParserTest, Resolve) {
  ExpectError(With("resolve", ""), 2, 5, "rules[0].resolve", "missing; at least one of");
  ExpectError(With("resolve", "{}"), 10, 14, "rules[0].resolve",
              "needs at least one of below_for, quiet_for, outage_phase, outage_registered: true");
  ExpectError(With("resolve", "{outage_registered: false}"), 10, 14, "rules[0].resolve",
              "needs at least one of");
  ExpectError(With("resolve", "{outage_phase: [RESTORED]}"), 10, 15,
              "rules[0].resolve.outage_phase",
              "only for rules with key outage (this rule: key "
              "area)");
  ExpectError(Edit({{"key", "city"}, {"resolve", "{outage_registered: true}"}}), 10, 15,
              "rules[0].resolve.outage_registered",
              "only for rules with key area or feeder (this rule: key city)");
  ExpectError(With("resolve", "{below_for: 0s}"), 10, 26, "rules[0].resolve.below_for", "> 0");
  const RuleSpec r =
      ParseOne(Edit({{"key", "feeder"}, {"resolve", "{below_for: 30m, outage_registered: true}"}}));
  EXPECT_EQ(r.resolve.below_for, absl::Minutes(30));
  EXPECT_FALSE(r.resolve.quiet_for.has_value());
  EXPECT_TRUE(r.resolve.outage_registered);
}

// Message templates may use only the documented placeholders, with fmt syntax.
TEST(RuleParserTest, MessageTemplate) {
  ExpectError(With("message", "\"{count} in {place}\""), 11, 14, "rules[0].message",
              "unknown placeholder {place}; allowed: {rule} {key} {value} {count} {customers} "
              "{grade} {window} {window_start} {window_end} {events} {title}");
  ExpectError(With("message", "\"{} in {key}\""), 11, 14, "rules[0].message",
              "positional placeholders ({} or {0}) are not allowed");
  ExpectError(With("message", "\"{count in {key}\""), 11, 14, "rules[0].message",
              "invalid template");
  ExpectError(With("message", "\"{count:q}\""), 11, 14, "rules[0].message", "invalid template");
  ExpectError(With("message", "[a]"), 11, 14, "rules[0].message", "must be a non-empty string");
  // value arrives preformatted as text ("3", "12.5%", "2h"): no number specs.
  ExpectError(With("message", "\"{value:.1f}\""), 11, 14, "rules[0].message", "invalid template");
  // Escaped braces, format specs and every placeholder are fine.
  ParseOne(With("message",
                "\"{{{rule}}} {key} {value:>6} {count:>4} {customers:d} {grade} {window} "
                "{window_start} {window_end} {events} {title}\""));
}

// Overrides need a selector, valid region prefixes, and ordered merged thresholds.
TEST(RuleParserTest, Overrides) {
  const std::string base = R"(rules:
  - id: R1
    version: "1"
    title: t
    input: {stream: ticket}
    key: area
    window: {type: sliding, size: 24h}
    condition: {measure: count}
    grades: {III: 3, II: 5}
    resolve: {quiet_for: 72h}
    message: "{count} in {key}"
    overrides:
)";
  ExpectError(base + "      - {region: \"37a\", grades: {III: 4}}\n", 13, 18,
              "rules[0].overrides[0].region", "must be 2 to 6 digits");
  ExpectError(base + "      - {region: \"3\", grades: {III: 4}}\n", 13, 18,
              "rules[0].overrides[0].region", "must be 2 to 6 digits");
  ExpectError(base + "      - {grades: {III: 4}}\n", 13, 9, "rules[0].overrides[0]",
              "needs region, area_class or both");
  ExpectError(base + "      - {region: \"37\"}\n", 13, 9, "rules[0].overrides[0].grades",
              "missing");
  // III raised to 6 is above the inherited II at 5.
  ExpectError(base + "      - {region: \"3701\", grades: {III: 6}}\n", 13, 40,
              "rules[0].overrides[0].grades.III",
              "grade II threshold 5 is below grade III threshold 6 (after this override)");
  ExpectError(base + "      - {area_class: RURAL, grades: {III: 4}, clear: {III: 5}}\n", 13, 60,
              "rules[0].overrides[0].clear.III", "is above its raise threshold 4");
  ExpectError(base + "      - {area_class: RURAL, grades: {III: 4}, clear: {II: 4}}\n", 13, 55,
              "rules[0].overrides[0].clear.II", "no raise threshold");
  // Overrides that apply to the same keys are layered, the most specific
  // winning per grade: province IV 3 and city III 2 give IV 3 > III 2 in the city.
  const std::string layered = base +
                              "      - {region: \"37\", grades: {IV: 3}}\n"
                              "      - {region: \"3701\", grades: {III: 2}}\n"
                              "      - {region: \"3702\", grades: {III: 4}}\n"
                              "      - {area_class: REMOTE, grades: {II: 2.5}}\n";
  ExpectError(layered, 14, 40, "rules[0].overrides[1].grades.III",
              "grade III threshold 2 is below grade IV threshold 3 (where this override and "
              "those at line 13 apply)");
  // II 2.5 for remote areas is below the rule's III 3, and below III 4 in 3702.
  ExpectError(layered, 16, 43, "rules[0].overrides[3].grades.II",
              "grade II threshold 2.5 is below grade III threshold 3 (after this override)");
  ExpectError(layered, 15, 40, "rules[0].overrides[2].grades.III",
              "grade II threshold 2.5 is below grade III threshold 4 (where this override and "
              "those at lines 13, 16 apply)");
  EXPECT_EQ(Errors(layered).size(), 3u) << absl::StrJoin(Errors(layered), "\n");
  ExpectError(base +
                  "      - {region: \"37\", grades: {III: 4}}\n"
                  "      - {region: \"37\", grades: {II: 9}}\n",
              14, 9, "rules[0].overrides[1]",
              "same region and area_class as the override at "
              "line 13");
}

// state_ttl must cover the window; fold_into cannot name the rule itself;
// ids are unique within a file.
TEST(RuleParserTest, OtherRuleChecks) {
  ExpectError(With("", "", "    state_ttl: 1h\n"), 12, 16, "rules[0].state_ttl",
              "shorter than the window (24h)");
  ExpectError(With("", "", "    fold_into: R1\n"), 12, 16, "rules[0].fold_into",
              "cannot fold into itself");
  ExpectError(std::string(kMinimal) + std::string(kMinimal).substr(7), 12, 9, "rules[1].id",
              "duplicate rule id \"R1\"; first defined at r.yaml:2:9");
}

RuleSpec Parse(const std::string& text) {
  const absl::StatusOr<std::vector<RuleSpec>> r = ParseRuleFile(text, "other.yaml");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? (*r)[0] : RuleSpec{};
}

// Identical text gives identical fingerprints, whatever the file or line.
TEST(RuleFingerprintTest, StableForIdenticalText) {
  const RuleSpec a = Parse(kMinimal);
  const RuleSpec b = Parse("# comment\n\n" + std::string(kMinimal));
  EXPECT_NE(a.line, b.line);
  EXPECT_EQ(a.StateFingerprint(), b.StateFingerprint());
  EXPECT_EQ(a.DefinitionFingerprint(), b.DefinitionFingerprint());
  EXPECT_NE(a.StateFingerprint(), a.DefinitionFingerprint());
  // Pinned: the hash is persisted with rule state, so it must not change
  // between builds or processes. Changing the canonical text on purpose
  // resets all rule state once; update these values then.
  EXPECT_EQ(a.StateFingerprint(), 0x5f844cda288bcb04u) << std::hex << a.StateFingerprint();
  EXPECT_EQ(a.DefinitionFingerprint(), 0xf71adddaaf181d4fu)
      << std::hex << a.DefinitionFingerprint();
}

// Filter lists are sets: their order does not change the fingerprints.
TEST(RuleFingerprintTest, FilterOrderDoesNotMatter) {
  const RuleSpec a = Parse(With("input", "{stream: ticket, filter: {kind: [COMPLAINT, OPINION]}}"));
  const RuleSpec b = Parse(With("input", "{stream: ticket, filter: {kind: [OPINION, COMPLAINT]}}"));
  EXPECT_EQ(a.StateFingerprint(), b.StateFingerprint());
  EXPECT_EQ(a.DefinitionFingerprint(), b.DefinitionFingerprint());
}

// Grades, clear, message, floors, overrides (and resolve, dwell, version, the
// outage gate...) change the definition but keep the state.
TEST(RuleFingerprintTest, ThresholdAndPresentationChangesKeepState) {
  const RuleSpec base = Parse(kMinimal);
  const std::vector<std::string> variants = {
      With("grades", "{III: 4}"),
      With("grades", "{III: 3, I: 9}"),
      With("", "", "    clear: {III: 2}\n"),
      With("message", "\"{count} complaints in {key}\""),
      With("", "", "    floors: [{when: tagged, tags: [MEDIA], grade: I}]\n"),
      With("", "", "    overrides: [{region: \"3701\", grades: {III: 5}}]\n"),
      With("", "", "    min_dwell: 30m\n"),
      With("resolve", "{quiet_for: 48h}"),
      With("version", "\"2\""),
      With("title", "other"),
      With("", "", "    update_on_evidence: false\n"),
      With("", "", "    state_ttl: 3d\n"),
      With("", "", "    fold_into: R11\n"),
      With("condition", "{measure: count, outage: open}"),
  };
  for (const std::string& text : variants) {
    const RuleSpec v = Parse(text);
    EXPECT_EQ(v.StateFingerprint(), base.StateFingerprint()) << text;
    EXPECT_NE(v.DefinitionFingerprint(), base.DefinitionFingerprint()) << text;
  }
}

// What the state is made of changes both fingerprints.
TEST(RuleFingerprintTest, StateShapeChangesBoth) {
  const RuleSpec base = Parse(kMinimal);
  const std::vector<std::string> variants = {
      With("window", "{type: sliding, size: 12h}"),
      With("window", "{type: tumbling, size: 24h}"),
      With("window", "{type: sliding, size: 24h, allowed_lateness: 2h}"),
      With("input", "{stream: ticket, filter: {kind: [COMPLAINT]}}"),
      With("input", "{stream: repeat_call}"),
      With("key", "feeder"),
      With("condition", "{measure: distinct_customers}"),
  };
  for (const std::string& text : variants) {
    const RuleSpec v = Parse(text);
    EXPECT_NE(v.StateFingerprint(), base.StateFingerprint()) << text;
    EXPECT_NE(v.DefinitionFingerprint(), base.DefinitionFingerprint()) << text;
  }
}

}  // namespace
}  // namespace vigil::rules

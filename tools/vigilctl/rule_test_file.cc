#include "tools/vigilctl/rule_test_file.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/ingest/decoder.h"
#include "processors/reference/record_json.h"
#include "processors/warnings/warning_format.h"

namespace vigil::vigilctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

constexpr char kDefaultSource[] = "vigilctl-test";

// Errors point at a YAML node: "path:line:column: message" (1-based).
class ErrorAt {
 public:
  explicit ErrorAt(std::string path) : path_(std::move(path)) {}
  absl::Status operator()(const YAML::Mark& mark, const std::string& message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ":", mark.line + 1, ":", mark.column + 1, ": ", message));
  }
  absl::Status operator()(const YAML::Node& node, const std::string& message) const {
    return (*this)(node.Mark(), message);
  }

 private:
  std::string path_;
};

// Refuses members other than `allowed` (catches typos such as `grde:`).
absl::Status CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                       const std::string& what, const ErrorAt& error) {
  for (const auto& member : map) {
    const std::string key = member.first.Scalar();
    if (allowed.count(key) == 0) {
      return error(member.first, absl::StrCat("unknown key \"", key, "\" in ", what, " (expected ",
                                              absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScalarOf(const YAML::Node& node, const std::string& what,
                                     const ErrorAt& error) {
  if (!node.IsScalar()) return error(node, absl::StrCat(what, " must be a scalar"));
  return node.Scalar();
}

// A list of strings, or one string.
absl::StatusOr<std::vector<std::string>> StringList(const YAML::Node& node, const std::string& what,
                                                    const ErrorAt& error) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) return error(node, absl::StrCat(what, " must be a list of paths"));
  for (const auto& element : node) {
    if (!element.IsScalar()) return error(element, absl::StrCat(what, " entries must be paths"));
    out.push_back(element.Scalar());
  }
  return out;
}

// ---------------------------------------------------------------------------
// YAML → JSON for proto3-JSON parsing. Scalars are typed by the field they
// fill, so `cityCode: 370100` is a string and `customers: "200"` a number;
// members the schema does not know are typed by their look (quoted: string).

json PlainScalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t i;
  if (absl::SimpleAtoi(s, &i)) return i;
  double d;
  if (absl::SimpleAtod(s, &d) && s.find_first_of("0123456789") != std::string::npos) return d;
  return s;
}

json YamlToJson(const YAML::Node& node, const Descriptor* type);

json ScalarForField(const YAML::Node& node, const FieldDescriptor* field) {
  const std::string& s = node.Scalar();
  if (node.Tag() != "!" && (s == "~" || s == "null")) return nullptr;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
    case FieldDescriptor::CPPTYPE_MESSAGE:  // Timestamp and other string forms
      return s;
    case FieldDescriptor::CPPTYPE_ENUM: {
      int64_t number;
      if (node.Tag() != "!" && absl::SimpleAtoi(s, &number)) return number;
      return s;
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (s == "true") return true;
      if (s == "false") return false;
      return s;
    default: {  // numbers
      int64_t i;
      if (absl::SimpleAtoi(s, &i)) return i;
      double d;
      if (absl::SimpleAtod(s, &d)) return d;
      return s;  // the decoder words the error
    }
  }
}

const FieldDescriptor* FieldNamed(const Descriptor* type, const std::string& key) {
  if (type == nullptr) return nullptr;
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->json_name() == key || field->name() == key) return field;
  }
  return nullptr;
}

// One value of `field` (an element when repeated); `field` may be null.
json ValueForField(const YAML::Node& node, const FieldDescriptor* field) {
  if (field == nullptr) return YamlToJson(node, nullptr);
  if (node.IsScalar()) return ScalarForField(node, field);
  const bool nested = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map();
  return YamlToJson(node, nested ? field->message_type() : nullptr);
}

// `type` is the message the node is an object of (null: unknown, typed by look).
json YamlToJson(const YAML::Node& node, const Descriptor* type) {
  if (node.IsNull()) return nullptr;
  if (node.IsScalar()) return PlainScalar(node);
  if (node.IsSequence()) {
    json array = json::array();
    for (const auto& element : node) array.push_back(YamlToJson(element, type));
    return array;
  }
  json object = json::object();
  for (const auto& member : node) {
    const std::string key = member.first.Scalar();
    const FieldDescriptor* field = FieldNamed(type, key);
    if (field != nullptr && field->is_repeated() && !field->is_map() &&
        member.second.IsSequence()) {
      json array = json::array();
      for (const auto& element : member.second) array.push_back(ValueForField(element, field));
      object[key] = std::move(array);
    } else {
      object[key] = ValueForField(member.second, field);
    }
  }
  return object;
}

// `defaults` under `event`: objects merge member by member, the event's own
// values win everywhere else.
json MergeUnder(json defaults, const json& event) {
  if (!defaults.is_object() || !event.is_object()) return event;
  for (const auto& [key, value] : event.items()) {
    if (defaults.contains(key)) {
      defaults[key] = MergeUnder(std::move(defaults[key]), value);
    } else {
      defaults[key] = value;
    }
  }
  return defaults;
}

bool HasMember(const json& object, const char* json_name, const char* proto_name) {
  return object.is_object() && (object.contains(json_name) || object.contains(proto_name));
}

// ---------------------------------------------------------------------------

struct Parser {
  ErrorAt error;
  std::string path;
  RuleTestFile* file;
  json defaults = json::object();

  absl::Status ParseTop(const YAML::Node& root);
  absl::Status ParseReference(const YAML::Node& node);
  absl::StatusOr<RuleTestCase> ParseTest(const YAML::Node& node, int test_index);
  absl::Status ParseInput(const YAML::Node& node, int test_index, int input_index,
                          RuleTestCase* test);
  absl::StatusOr<Expectation> ParseExpectation(const YAML::Node& node);
  absl::StatusOr<std::vector<WarningMatcher>> ParseMatchers(const YAML::Node& node,
                                                            bool events = false);
  absl::StatusOr<absl::Duration> ParseAt(const YAML::Node& node);
};

absl::StatusOr<absl::Duration> Parser::ParseAt(const YAML::Node& node) {
  auto text = ScalarOf(node, "at", error);
  if (!text.ok()) return text.status();
  auto at = ParseOffset(*text);
  if (!at.ok()) return error(node, std::string(at.status().message()));
  return *at;
}

// Parses "2026-07-01T08:00:00+08:00" and remembers its UTC offset.
absl::Status ParseStart(const YAML::Node& node, const ErrorAt& error, RuleTestFile* file) {
  auto text = ScalarOf(node, "start", error);
  if (!text.ok()) return text.status();
  std::string parse_error;
  if (!absl::ParseTime(absl::RFC3339_full, *text, &file->start, &parse_error)) {
    return error(node, absl::StrCat("start: not an RFC 3339 time (\"2026-07-01T08:00:00+08:00\"): ",
                                    parse_error));
  }
  file->zone = absl::UTCTimeZone();
  const std::string& s = *text;
  if (s.size() > 6 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
      s[s.size() - 3] == ':') {
    int hours = 0, minutes = 0;
    if (absl::SimpleAtoi(s.substr(s.size() - 5, 2), &hours) &&
        absl::SimpleAtoi(s.substr(s.size() - 2, 2), &minutes)) {
      const int seconds = (hours * 60 + minutes) * 60;
      file->zone = absl::FixedTimeZone(s[s.size() - 6] == '-' ? -seconds : seconds);
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseTop(const YAML::Node& root) {
  if (!root.IsMap())
    return error(root, "a rule test file is a map (rule_files, start, tests, ...)");
  if (auto s = CheckKeys(
          root, {"rule_files", "reference_files", "reference", "start", "defaults", "tests"},
          "the test file", error);
      !s.ok()) {
    return s;
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto resolve = [&dir](const std::string& p) {
    const std::filesystem::path fp(p);
    return (fp.is_absolute() ? fp : (dir / fp).lexically_normal()).string();
  };

  const YAML::Node rule_files = root["rule_files"];
  if (!rule_files) return error(root, "rule_files is required (the rule files or dirs to test)");
  auto rules = StringList(rule_files, "rule_files", error);
  if (!rules.ok()) return rules.status();
  if (rules->empty()) return error(rule_files, "rule_files is empty");
  for (const auto& p : *rules) file->rule_files.push_back(resolve(p));

  if (const YAML::Node refs = root["reference_files"]) {
    auto files = StringList(refs, "reference_files", error);
    if (!files.ok()) return files.status();
    for (const auto& p : *files) file->reference_files.push_back(resolve(p));
  }
  if (const YAML::Node inline_refs = root["reference"]) {
    if (auto s = ParseReference(inline_refs); !s.ok()) return s;
  }

  const YAML::Node start = root["start"];
  if (!start) return error(root, "start is required (time zero of `at`, RFC 3339)");
  if (auto s = ParseStart(start, error, file); !s.ok()) return s;

  if (const YAML::Node d = root["defaults"]) {
    if (!d.IsMap()) return error(d, "defaults must be a map of Envelope fields");
    defaults = YamlToJson(d, v1::Envelope::descriptor());
  }

  const YAML::Node tests = root["tests"];
  if (!tests) return error(root, "tests is required");
  if (!tests.IsSequence()) return error(tests, "tests must be a list");
  int index = 0;
  for (const auto& t : tests) {
    auto test = ParseTest(t, ++index);
    if (!test.ok()) return test.status();
    file->tests.push_back(*std::move(test));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseReference(const YAML::Node& node) {
  if (!node.IsSequence()) return error(node, "reference must be a list of ReferenceRecords");
  for (const auto& record_node : node) {
    if (!record_node.IsMap()) {
      return error(record_node, "a reference record is a map ({area: ...} or {customer: ...})");
    }
    const std::string text = YamlToJson(record_node, v1::ReferenceRecord::descriptor()).dump();
    v1::ReferenceRecord record;
    if (auto s = reference::ParseReferenceRecordJson(text, &record); !s.ok()) {
      return error(record_node, absl::StrCat("reference: ", s.message()));
    }
    if (record.record_case() == v1::ReferenceRecord::RECORD_NOT_SET) {
      return error(record_node, "a reference record needs `area` or `customer`");
    }
    file->reference.push_back(InlineReference{std::move(record), record_node.Mark().line + 1,
                                              record_node.Mark().column + 1});
  }
  return absl::OkStatus();
}

absl::StatusOr<RuleTestCase> Parser::ParseTest(const YAML::Node& node, int test_index) {
  if (!node.IsMap()) return error(node, "a test is a map (name, input, expect)");
  if (auto s = CheckKeys(node, {"name", "input", "expect"}, "a test", error); !s.ok()) return s;
  RuleTestCase test;
  test.line = node.Mark().line + 1;
  if (const YAML::Node name = node["name"]) {
    auto text = ScalarOf(name, "name", error);
    if (!text.ok()) return text.status();
    test.name = *text;
  } else {
    test.name = absl::StrCat("test ", test_index);
  }
  const YAML::Node input = node["input"];
  if (input && !input.IsNull()) {
    if (!input.IsSequence()) return error(input, "input must be a list");
    int input_index = 0;
    for (const auto& i : input) {
      if (auto s = ParseInput(i, test_index, ++input_index, &test); !s.ok()) return s;
    }
  }
  const YAML::Node expect = node["expect"];
  if (!expect || !expect.IsSequence() || expect.size() == 0) {
    return error(expect ? expect : node,
                 "expect must be a non-empty list of {at, warnings|absent}");
  }
  for (const auto& e : expect) {
    auto expectation = ParseExpectation(e);
    if (!expectation.ok()) return expectation.status();
    test.expect.push_back(*std::move(expectation));
  }
  std::stable_sort(test.expect.begin(), test.expect.end(),
                   [](const Expectation& a, const Expectation& b) { return a.at < b.at; });
  return test;
}

absl::Status Parser::ParseInput(const YAML::Node& node, int test_index, int input_index,
                                RuleTestCase* test) {
  if (!node.IsMap()) return error(node, "an input is a map (at, event, repeat, every, late)");
  if (auto s = CheckKeys(node, {"at", "event", "repeat", "every", "late"}, "an input", error);
      !s.ok()) {
    return s;
  }
  const YAML::Node at_node = node["at"];
  if (!at_node) return error(node, "input: `at` is required (an offset from start, e.g. 10m)");
  auto at = ParseAt(at_node);
  if (!at.ok()) return at.status();

  int repeat = 1;
  if (const YAML::Node r = node["repeat"]) {
    if (!r.IsScalar() || !absl::SimpleAtoi(r.Scalar(), &repeat) || repeat < 1 || repeat > 100000) {
      return error(r, "repeat must be a whole number from 1 to 100000");
    }
  }
  absl::Duration every = absl::ZeroDuration();
  if (const YAML::Node e = node["every"]) {
    auto d = ParseAt(e);
    if (!d.ok()) return d.status();
    every = *d;
  }
  bool late = false;
  if (const YAML::Node l = node["late"]) {
    if (!l.IsScalar() || (l.Scalar() != "true" && l.Scalar() != "false")) {
      return error(l, "late must be true or false");
    }
    late = l.Scalar() == "true";
  }

  const YAML::Node event_node = node["event"];
  if (!event_node) return error(node, "input: `event` is required (an Envelope in YAML)");
  if (!event_node.IsMap()) return error(event_node, "event must be a map of Envelope fields");
  const json event_json = MergeUnder(defaults, YamlToJson(event_node, v1::Envelope::descriptor()));
  v1::Envelope base;
  if (auto rejection = ingest::Decode(event_json.dump(), ingest::Format::kJson, &base)) {
    return error(event_node, absl::StrCat("event: ", rejection->detail));
  }
  const bool has_time = HasMember(event_json, "eventTime", "event_time");
  if (base.event_id().empty()) base.set_event_id(absl::StrCat(test_index, "-", input_index));
  if (base.source().empty()) base.set_source(kDefaultSource);

  for (int copy = 1; copy <= repeat; ++copy) {
    TestEvent t;
    t.at = *at + (copy - 1) * every;
    t.late = late;
    t.line = node.Mark().line + 1;
    t.event = base;
    t.label = absl::StrCat("input ", input_index);
    if (repeat > 1) {
      // Copies are distinct events of distinct business objects.
      const std::string suffix = absl::StrCat("-", copy);
      absl::StrAppend(&t.label, " copy ", copy);
      t.event.set_event_id(base.event_id() + suffix);
      if (t.event.has_ticket() && !t.event.ticket().ticket_id().empty()) {
        t.event.mutable_ticket()->set_ticket_id(base.ticket().ticket_id() + suffix);
      }
      if (t.event.has_outage() && !t.event.outage().outage_id().empty()) {
        t.event.mutable_outage()->set_outage_id(base.outage().outage_id() + suffix);
      }
      if (t.event.has_repeat_call() && !t.event.repeat_call().call_id().empty()) {
        t.event.mutable_repeat_call()->set_call_id(base.repeat_call().call_id() + suffix);
      }
    }
    if (!has_time) {
      const absl::Duration since_epoch = (file->start + t.at) - absl::UnixEpoch();
      const int64_t seconds = absl::ToInt64Seconds(absl::Floor(since_epoch, absl::Seconds(1)));
      t.event.mutable_event_time()->set_seconds(seconds);
      t.event.mutable_event_time()->set_nanos(
          static_cast<int32_t>(absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(seconds))));
    }
    test->inputs.push_back(std::move(t));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<WarningMatcher>> Parser::ParseMatchers(const YAML::Node& node,
                                                                  bool events) {
  if (!node.IsSequence()) return error(node, "expected a list of {rule, key, grade}");
  std::vector<WarningMatcher> out;
  for (const auto& m : node) {
    if (!m.IsMap()) return error(m, "a warning is a map {rule, key, grade}");
    if (events) {
      if (auto s = CheckKeys(m, {"type", "rule", "key", "grade"}, "a warning event", error);
          !s.ok()) {
        return s;
      }
    } else if (auto s = CheckKeys(m, {"rule", "key", "grade"}, "a warning", error); !s.ok()) {
      return s;
    }
    WarningMatcher matcher;
    if (const YAML::Node type = m["type"]) {
      auto t = ScalarOf(type, "type", error);
      if (!t.ok()) return t.status();
      v1::WarningEvent::Type parsed;
      if (!v1::WarningEvent::Type_Parse(*t, &parsed) ||
          parsed == v1::WarningEvent::TYPE_UNSPECIFIED) {
        return error(type, absl::StrCat("type must be RAISED, UPDATED, ESCALATED, RESOLVED, "
                                        "COUNTDOWN, OVERDUE or REOPENED, not \"",
                                        *t, "\""));
      }
      matcher.type = parsed;
    }
    const YAML::Node rule = m["rule"];
    if (!rule) return error(m, "a warning needs `rule`");
    auto rule_id = ScalarOf(rule, "rule", error);
    if (!rule_id.ok()) return rule_id.status();
    matcher.rule = *rule_id;
    if (const YAML::Node key = m["key"]) {
      auto k = ScalarOf(key, "key", error);
      if (!k.ok()) return k.status();
      matcher.key = *k;
    }
    if (const YAML::Node grade = m["grade"]) {
      auto g = ScalarOf(grade, "grade", error);
      if (!g.ok()) return g.status();
      matcher.grade = ParseGrade(*g);
      if (!matcher.grade)
        return error(grade, absl::StrCat("grade must be IV, III, II or I, not \"", *g, "\""));
    }
    out.push_back(std::move(matcher));
  }
  return out;
}

absl::StatusOr<Expectation> Parser::ParseExpectation(const YAML::Node& node) {
  if (!node.IsMap()) return error(node, "an expectation is a map {at, warnings, absent}");
  if (auto s = CheckKeys(node, {"at", "warnings", "absent", "events"}, "an expectation", error);
      !s.ok()) {
    return s;
  }
  Expectation e;
  e.line = node.Mark().line + 1;
  const YAML::Node at = node["at"];
  if (!at) return error(node, "expectation: `at` is required");
  auto offset = ParseAt(at);
  if (!offset.ok()) return offset.status();
  e.at = *offset;
  const YAML::Node warnings = node["warnings"];
  const YAML::Node absent = node["absent"];
  const YAML::Node events = node["events"];
  if (!warnings && !absent && !events) {
    return error(node, "expectation: give `warnings` (exact), `absent` or `events`");
  }
  if (events) {
    auto matchers = ParseMatchers(events, /*events=*/true);
    if (!matchers.ok()) return matchers.status();
    e.events = *std::move(matchers);
  }
  if (warnings) {
    auto matchers = ParseMatchers(warnings);
    if (!matchers.ok()) return matchers.status();
    e.warnings = *std::move(matchers);
  }
  if (absent) {
    auto matchers = ParseMatchers(absent);
    if (!matchers.ok()) return matchers.status();
    e.absent = *std::move(matchers);
  }
  return e;
}

}  // namespace

absl::StatusOr<RuleTestFile> ParseRuleTestFile(const std::string& text, const std::string& path) {
  const ErrorAt error(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return error(e.mark, e.msg);
  }
  RuleTestFile file;
  file.path = path;
  Parser parser{error, path, &file};
  try {
    if (auto s = parser.ParseTop(root); !s.ok()) return s;
  } catch (const YAML::Exception& e) {  // e.g. a map key that is itself a map
    return error(e.mark, e.msg);
  }
  return file;
}

absl::StatusOr<RuleTestFile> ReadRuleTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseRuleTestFile(text.str(), path);
}

absl::StatusOr<absl::Duration> ParseOffset(const std::string& text) {
  auto bad = [&text] {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not an offset like 0s, 10m, 2h, 1d or 1h30m (units d, h, m, s, ms)"));
  };
  if (text == "0") return absl::ZeroDuration();
  if (text.empty()) return bad();
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < text.size()) {
    size_t digits_end = i;
    while (digits_end < text.size() && std::isdigit(static_cast<unsigned char>(text[digits_end]))) {
      ++digits_end;
    }
    int64_t n = 0;
    if (digits_end == i || digits_end - i > 9 ||
        !absl::SimpleAtoi(text.substr(i, digits_end - i), &n)) {
      return bad();
    }
    size_t unit_end = digits_end;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    const std::string unit = text.substr(digits_end, unit_end - digits_end);
    if (unit == "d") {
      total += n * absl::Hours(24);
    } else if (unit == "h") {
      total += n * absl::Hours(1);
    } else if (unit == "m") {
      total += n * absl::Minutes(1);
    } else if (unit == "s") {
      total += n * absl::Seconds(1);
    } else if (unit == "ms") {
      total += n * absl::Milliseconds(1);
    } else {
      return bad();
    }
    i = unit_end;
  }
  return total;
}

std::optional<v1::Grade> ParseGrade(const std::string& text) {
  if (text == "IV") return v1::GRADE_IV;
  if (text == "III") return v1::GRADE_III;
  if (text == "II") return v1::GRADE_II;
  if (text == "I") return v1::GRADE_I;
  return std::nullopt;
}

std::string GradeName(v1::Grade grade) { return std::string(warnings::GradeRoman(grade)); }

std::string FormatOffset(absl::Duration d) {
  if (d == absl::ZeroDuration()) return "0s";
  std::string out;
  if (d < absl::ZeroDuration()) {
    out = "-";
    d = -d;
  }
  const int64_t days = absl::IDivDuration(d, absl::Hours(24), &d);
  const int64_t hours = absl::IDivDuration(d, absl::Hours(1), &d);
  const int64_t minutes = absl::IDivDuration(d, absl::Minutes(1), &d);
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  const int64_t millis = absl::IDivDuration(d, absl::Milliseconds(1), &d);
  if (days) absl::StrAppend(&out, days, "d");
  if (hours) absl::StrAppend(&out, hours, "h");
  if (minutes) absl::StrAppend(&out, minutes, "m");
  if (seconds) absl::StrAppend(&out, seconds, "s");
  if (millis) absl::StrAppend(&out, millis, "ms");
  return out;
}

}  // namespace vigil::vigilctl

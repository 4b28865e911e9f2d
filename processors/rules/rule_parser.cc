// The rule language parser: YAML text → validated RuleSpecs (rules/README.md).
//
// Errors are collected, not returned at the first one: a rule author fixing a
// file wants every problem of it in one run. Each names the position of the
// offending node (yaml-cpp Mark), the path of the value and what is allowed.

#include "processors/rules/rule_parser.h"

#include <fmt/args.h>
#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "processors/rules/rule_set.h"

namespace vigil::rules {
namespace {

constexpr std::array<const char*, kGrades> kGradeNames = {"IV", "III", "II", "I"};

// Longest duration the language accepts; larger values would overflow the
// engine's millisecond arithmetic and are certainly typos.
constexpr absl::Duration kMaxDuration = absl::Hours(24 * 3650);

// A closed set of names of the language and what each stands for.
template <typename E>
struct Named {
  std::string_view name;
  E value;
};
template <typename E, size_t N>
using Choices = Named<E>[N];

constexpr Named<Stream> kStreams[] = {
    {"ticket", Stream::kTicket}, {"outage", Stream::kOutage}, {"repeat_call", Stream::kRepeatCall}};

constexpr Named<KeyLevel> kKeyLevels[] = {
    {"area", KeyLevel::kArea},         {"feeder", KeyLevel::kFeeder},
    {"station", KeyLevel::kStation},   {"county", KeyLevel::kCounty},
    {"city", KeyLevel::kCity},         {"province", KeyLevel::kProvince},
    {"customer", KeyLevel::kCustomer}, {"ticket", KeyLevel::kTicket},
    {"outage", KeyLevel::kOutage}};

constexpr Named<WindowKind> kWindowKinds[] = {{"tumbling", WindowKind::kTumbling},
                                              {"hopping", WindowKind::kHopping},
                                              {"sliding", WindowKind::kSliding},
                                              {"session", WindowKind::kSession}};

constexpr Named<MeasureKind> kMeasures[] = {
    {"count", MeasureKind::kCount},
    {"distinct_customers", MeasureKind::kDistinctCustomers},
    {"sum", MeasureKind::kSum},
    {"ratio", MeasureKind::kRatio},
    {"rate_vs_baseline", MeasureKind::kRateVsBaseline},
    {"customers_out_share", MeasureKind::kCustomersOutShare},
    {"open_duration", MeasureKind::kOpenDuration}};

constexpr Named<OutageGate> kOutageGates[] = {{"any", OutageGate::kAny},
                                              {"open", OutageGate::kRequireOpen},
                                              {"none", OutageGate::kRequireNone}};

constexpr Named<GradeFloor::When> kFloorKinds[] = {
    {"tagged", GradeFloor::When::kTagged},
    {"important_level", GradeFloor::When::kImportantLevel},
    {"customers_at_least", GradeFloor::When::kCustomersAtLeast},
    {"active_for", GradeFloor::When::kActiveFor},
    {"area_tagged", GradeFloor::When::kAreaTagged}};

constexpr Named<int> kGradeChoices[] = {{"IV", 0}, {"III", 1}, {"II", 2}, {"I", 3}};

constexpr std::array<std::string_view, 11> kPlaceholders = {
    "rule",   "key",    "value", "count",        "customers", "grade",
    "window", "events", "title", "window_start", "window_end"};

bool IsPlaceholder(std::string_view name) {
  return std::find(kPlaceholders.begin(), kPlaceholders.end(), name) != kPlaceholders.end();
}

template <typename E, size_t N>
std::string NameOf(const Choices<E, N>& choices, E value) {
  for (const Named<E>& c : choices) {
    if (c.value == value) return std::string(c.name);
  }
  return "?";
}

template <typename E, size_t N>
std::string ChoiceList(const Choices<E, N>& choices) {
  std::vector<std::string> names;
  for (const Named<E>& c : choices) names.emplace_back(c.name);
  return absl::StrJoin(names, " | ");
}

// absl::StrJoin does not take std::string_view (Debian's absl has its own string_view).
std::string JoinNames(const std::vector<std::string_view>& names, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(names[i]);
  }
  return out;
}

bool IsRegionLevel(KeyLevel k) { return k <= KeyLevel::kProvince; }

std::string Quote(std::string_view s) { return absl::StrCat("\"", std::string(s), "\""); }

// Levenshtein distance, for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string DidYouMean(std::string_view key, const std::vector<std::string_view>& allowed) {
  std::string_view best;
  size_t best_distance = 3;  // suggest only close matches
  for (std::string_view a : allowed) {
    const size_t d = EditDistance(key, a);
    if (d < best_distance) {
      best_distance = d;
      best = a;
    }
  }
  return best.empty() ? "" : absl::StrCat(" (did you mean ", Quote(best), "?)");
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

bool IsDecimal(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
  if (i == 0) return false;
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const size_t fraction = ++i;
  while (i < s.size() && absl::ascii_isdigit(s[i])) ++i;
  return i > fraction && i == s.size();
}

// "90s", "15m", "24h", "7d", "1h30m", "250ms", "1.5h"; "0" alone is zero.
bool ParseDurationText(std::string_view s, absl::Duration* out) {
  if (s == "0") {
    *out = absl::ZeroDuration();
    return true;
  }
  if (s.empty()) return false;
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) ++i;
    const std::string_view number = s.substr(start, i - start);
    double v = 0;
    if (!IsDecimal(number) || !absl::SimpleAtod(std::string(number), &v)) return false;
    absl::Duration unit;
    if (s.substr(i, 2) == "ms") {
      unit = absl::Milliseconds(1);
      i += 2;
    } else if (i < s.size() && s[i] == 's') {
      unit = absl::Seconds(1);
      ++i;
    } else if (i < s.size() && s[i] == 'm') {
      unit = absl::Minutes(1);
      ++i;
    } else if (i < s.size() && s[i] == 'h') {
      unit = absl::Hours(1);
      ++i;
    } else if (i < s.size() && s[i] == 'd') {
      unit = absl::Hours(24);
      ++i;
    } else {
      return false;
    }
    if (v > 1e7) return false;
    total += v * unit;
  }
  *out = total;
  return true;
}

// Errors are one line each: control characters (from user text or yaml-cpp
// messages) are escaped.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ShowDuration(absl::Duration d) {
  return d == absl::ZeroDuration() ? "0s" : absl::FormatDuration(d);
}

// What the thresholds of a measure are written as.
enum class Unit { kNumber, kFraction, kMultiple, kDuration };

Unit UnitOf(MeasureKind m) {
  switch (m) {
    case MeasureKind::kRatio:
    case MeasureKind::kCustomersOutShare:
      return Unit::kFraction;
    case MeasureKind::kRateVsBaseline:
      return Unit::kMultiple;
    case MeasureKind::kOpenDuration:
      return Unit::kDuration;
    default:
      return Unit::kNumber;
  }
}

std::string UnitHelp(MeasureKind m) {
  switch (UnitOf(m)) {
    case Unit::kNumber:
      return "a number like 5";
    case Unit::kFraction:
      return "a share like \"10%\" or a number in [0, 1]";
    case Unit::kMultiple:
      return "a multiple of the baseline like 3 (3x) or 1.5";
    case Unit::kDuration:
      return "a duration like \"30m\", \"3h\" or \"2d\"";
  }
  return "";
}

std::string ShowThreshold(double v, MeasureKind m) {
  if (UnitOf(m) == Unit::kDuration) return ShowDuration(absl::Seconds(v));
  return absl::StrCat(v);
}

// "path.key", or "key" at the top of the file.
std::string Sub(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", std::string(key));
}

SourcePos PosOf(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

// A value looked up in a mapping, with where to point at when it is wrong:
// the value itself, its key when the value is empty (yaml-cpp marks an empty
// value at the next token), or the mapping when the key is absent.
//
// Never assign a Val once it holds a node: yaml-cpp's Node::operator= rebinds
// the node *inside the document*. Construct (or emplace) instead.
struct Val {
  Val(YAML::Node n, YAML::Mark m, std::string p, bool is_present)
      : node(std::move(n)), mark(m), path(std::move(p)), present(is_present) {}
  Val(const Val&) = default;
  Val& operator=(const Val&) = delete;

  YAML::Node node;
  YAML::Mark mark;
  std::string path;
  bool present = false;
};

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class MapView {
 public:
  MapView(YAML::Mark mark, std::string path) : mark_(mark), path_(std::move(path)) {}

  void Add(Entry e) { entries_.push_back(std::move(e)); }
  const std::vector<Entry>& entries() const { return entries_; }
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }

  Val Get(std::string_view key) const {
    for (const Entry& e : entries_) {
      if (e.key == key) {
        return {e.value, e.value.IsNull() ? e.key_node.Mark() : e.value.Mark(), Sub(path_, key),
                true};
      }
    }
    return {YAML::Node(), mark_, Sub(path_, key), false};
  }
  bool Has(std::string_view key) const { return Get(key).present; }
  // The key node's mark (for "only allowed with ..." errors).
  YAML::Mark KeyMark(std::string_view key) const {
    for (const Entry& e : entries_) {
      if (e.key == key) return e.key_node.Mark();
    }
    return mark_;
  }

 private:
  YAML::Mark mark_;
  std::string path_;
  std::vector<Entry> entries_;  // first occurrence of each key only
};

Val Elem(const YAML::Node& node, const std::string& path, size_t i) {
  return {node, node.Mark(), absl::StrCat(path, "[", i, "]"), true};
}

// Where thresholds were written, for ordering errors.
struct ThresholdLocs {
  std::array<std::optional<Val>, kGrades> raise;
  std::array<std::optional<Val>, kGrades> clear;
};

// Placeholders of a message template, in order; "" for positional ones
// ("{}", "{0}"). Assumes a syntactically valid template.
std::vector<std::string> PlaceholderNames(std::string_view t) {
  std::vector<std::string> names;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') {
      if (i + 1 < t.size() && t[i + 1] == '{') {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < t.size() && t[j] != '}' && t[j] != ':' && t[j] != '!') ++j;
      std::string name(t.substr(i + 1, j - i - 1));
      const bool positional =
          name.empty() || std::all_of(name.begin(), name.end(), absl::ascii_isdigit);
      names.push_back(positional ? "" : name);
      // Skip the spec, which may hold nested replacement fields.
      int depth = 1;
      while (j < t.size() && depth > 0) {
        if (t[j] == '{') ++depth;
        if (t[j] == '}') --depth;
        if (depth > 0) ++j;
      }
      i = j;
    } else if (t[i] == '}' && i + 1 < t.size() && t[i + 1] == '}') {
      ++i;
    }
  }
  return names;
}

class Parser {
 public:
  explicit Parser(std::string name) : name_(std::move(name)) {}

  ParsedRuleFile Parse(const std::string& text);

 private:
  void Error(const YAML::Mark& mark, const std::string& path, const std::string& what) {
    errors_.push_back({PosOf(mark), FormatRuleError(name_, PosOf(mark), path, what)});
  }
  void Error(const Val& v, const std::string& what) { Error(v.mark, v.path, what); }

  // The mapping at `v`, with unknown and duplicate keys reported (and left out).
  std::optional<MapView> Map(const Val& v, const std::vector<std::string_view>& allowed);
  // A required value: reports it missing when absent.
  bool Required(const Val& v, const std::string& what) {
    if (v.present) return true;
    Error(v, absl::StrCat("missing; ", what));
    return false;
  }

  bool Str(const Val& v, std::string* out);
  bool Bool(const Val& v, bool* out);
  bool Int(const Val& v, int min, int max, int* out);
  bool Number(const Val& v, double min, double* out);
  bool Duration(const Val& v, absl::Duration min, absl::Duration* out);
  template <typename E, size_t N>
  bool Choice(const Val& v, const Choices<E, N>& choices, E* out);
  template <typename E>
  bool EnumList(const Val& v, const google::protobuf::EnumDescriptor* d, std::vector<E>* out);
  bool List(const Val& v);

  // The rule at `node`; nullopt when it is not a mapping. `ok` is false when
  // it has errors (the result then only serves the duplicate-id check).
  std::optional<ParsedRule> Rule(const YAML::Node& node, int index, bool* ok);
  Filter ParseFilter(const Val& v, std::optional<Stream> stream, bool must_not_be_empty);
  bool ParseWindow(const Val& v, WindowSpec* w, std::optional<Val>* type, std::optional<Val>* size);
  bool Threshold(const Val& v, MeasureKind m, bool raise, double* out);
  bool ParseThresholds(const Val& grades, const Val& clear, std::optional<MeasureKind> m,
                       bool grades_required, Thresholds* out, ThresholdLocs* locs);
  // Reports raise thresholds decreasing with the grade and clear above raise.
  // With `own_only`, only problems involving a grade written in `locs`.
  void CheckThresholds(const Thresholds& t, const ThresholdLocs& locs, const Val& fallback,
                       MeasureKind m, const std::string& context, bool own_only = false);
  void ParseFloors(const Val& v, RuleSpec* spec);
  void ParseResolve(const Val& v, std::optional<KeyLevel> key, ResolveSpec* out);
  void ParseOverrides(const Val& v, std::optional<MeasureKind> m, RuleSpec* spec);
  void CheckMessage(const Val& v);

  std::string name_;
  std::vector<std::pair<SourcePos, std::string>> errors_;
};

std::optional<MapView> Parser::Map(const Val& v, const std::vector<std::string_view>& allowed) {
  if (!v.node.IsMap()) {
    Error(v, "must be a mapping");
    return std::nullopt;
  }
  MapView map(v.node.Mark(), v.path);
  std::vector<std::pair<std::string, int>> seen;  // key, line
  for (const auto& kv : v.node) {
    if (!kv.first.IsScalar()) {
      Error(kv.first.Mark(), v.path, "keys must be plain names");
      continue;
    }
    const std::string key = kv.first.Scalar();
    const std::string path = Sub(v.path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Error(kv.first.Mark(), path,
            absl::StrCat("unknown key", DidYouMean(key, allowed),
                         "; allowed here: ", JoinNames(allowed, ", ")));
      continue;
    }
    const auto first =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (first != seen.end()) {
      Error(kv.first.Mark(), path,
            absl::StrCat("duplicate key (first at line ", first->second,
                         "); each key may appear once"));
      continue;
    }
    seen.emplace_back(key, kv.first.Mark().line + 1);
    map.Add({key, kv.first, kv.second});
  }
  return map;
}

bool Parser::Str(const Val& v, std::string* out) {
  if (!v.present) return false;
  if (!v.node.IsScalar() || v.node.Scalar().empty()) {
    Error(v, "must be a non-empty string");
    return false;
  }
  *out = v.node.Scalar();
  return true;
}

bool Parser::Bool(const Val& v, bool* out) {
  if (!v.present) return false;
  bool b = false;
  if (!v.node.IsScalar() || !YAML::convert<bool>::decode(v.node, b)) {
    Error(v, "must be true or false");
    return false;
  }
  *out = b;
  return true;
}

bool Parser::Int(const Val& v, int min, int max, int* out) {
  if (!v.present) return false;
  int i = 0;
  if (!v.node.IsScalar() || !absl::SimpleAtoi(v.node.Scalar(), &i) || i < min || i > max) {
    Error(v, absl::StrCat("must be an integer in [", min, ", ", max, "]"));
    return false;
  }
  *out = i;
  return true;
}

bool Parser::Number(const Val& v, double min, double* out) {
  if (!v.present) return false;
  double d = 0;
  if (!v.node.IsScalar() || !IsDecimal(v.node.Scalar()) || !absl::SimpleAtod(v.node.Scalar(), &d) ||
      d < min) {
    Error(v, absl::StrCat("must be a number >= ", min));
    return false;
  }
  *out = d;
  return true;
}

bool Parser::Duration(const Val& v, absl::Duration min, absl::Duration* out) {
  if (!v.present) return false;
  absl::Duration d;
  if (!v.node.IsScalar() || !ParseDurationText(v.node.Scalar(), &d) || d < min ||
      d > kMaxDuration) {
    const std::string bound =
        min == absl::ZeroDuration()
            ? std::string(">= 0")
            : (min == absl::Nanoseconds(1) ? std::string("> 0") : ">= " + ShowDuration(min));
    Error(v, absl::StrCat("must be a duration like \"90s\", \"15m\", \"24h\", \"7d\" or "
                          "\"1h30m\", ",
                          bound, " and at most 3650d"));
    return false;
  }
  *out = d;
  return true;
}

template <typename E, size_t N>
bool Parser::Choice(const Val& v, const Choices<E, N>& choices, E* out) {
  if (!v.present) return false;
  if (v.node.IsScalar()) {
    for (const Named<E>& c : choices) {
      if (v.node.Scalar() == c.name) {
        *out = c.value;
        return true;
      }
    }
  }
  Error(v, absl::StrCat(v.node.IsScalar() ? absl::StrCat(Quote(v.node.Scalar()), " is not valid")
                                          : std::string("must be a name"),
                        "; allowed: ", ChoiceList(choices)));
  return false;
}

bool Parser::List(const Val& v) {
  if (!v.node.IsSequence()) {
    Error(v, "must be a list like [A, B]");
    return false;
  }
  if (v.node.size() == 0) {
    Error(v, "must not be empty (leave the key out to match anything)");
    return false;
  }
  return true;
}

template <typename E>
bool Parser::EnumList(const Val& v, const google::protobuf::EnumDescriptor* d,
                      std::vector<E>* out) {
  if (!v.present) return false;
  if (!List(v)) return false;
  std::vector<std::string> names;
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() != 0) names.push_back(d->value(i)->name());
  }
  bool ok = true;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const Val item = Elem(v.node[i], v.path, i);
    const google::protobuf::EnumValueDescriptor* value =
        item.node.IsScalar() ? d->FindValueByName(item.node.Scalar()) : nullptr;
    if (value == nullptr || value->number() == 0) {
      Error(item, absl::StrCat(item.node.IsScalar() ? Quote(item.node.Scalar()) : "a non-name",
                               " is not a ", d->full_name(),
                               " name; allowed: ", absl::StrJoin(names, ", ")));
      ok = false;
      continue;
    }
    out->push_back(static_cast<E>(value->number()));
  }
  return ok;
}

// Which streams a filter key applies to.
bool FilterKeyFits(std::string_view key, Stream s) {
  if (key == "kind" || key == "category" || key == "status") return s == Stream::kTicket;
  if (key == "tags_any") return s == Stream::kTicket || s == Stream::kRepeatCall;
  if (key == "outage_kind" || key == "phase" || key == "important_customer_in_scope") {
    return s == Stream::kOutage;
  }
  if (key == "min_call_count") return s == Stream::kRepeatCall;
  return false;
}

std::string FilterKeysOf(Stream s) {
  std::vector<std::string_view> keys;
  for (std::string_view k : {"kind", "category", "status", "tags_any", "outage_kind", "phase",
                             "important_customer_in_scope", "min_call_count"}) {
    if (FilterKeyFits(k, s)) keys.push_back(k);
  }
  return JoinNames(keys, ", ");
}

Filter Parser::ParseFilter(const Val& v, std::optional<Stream> stream, bool must_not_be_empty) {
  Filter f;
  const std::optional<MapView> m =
      Map(v, {"kind", "category", "status", "tags_any", "outage_kind", "phase",
              "important_customer_in_scope", "min_call_count"});
  if (!m) return f;
  if (stream) {
    for (const Entry& e : m->entries()) {
      if (!FilterKeyFits(e.key, *stream)) {
        Error(e.key_node.Mark(), Sub(m->path(), e.key),
              absl::StrCat("not a filter of stream ", NameOf(kStreams, *stream),
                           "; its filters: ", FilterKeysOf(*stream)));
      }
    }
  }
  EnumList(m->Get("kind"), v1::Ticket::Kind_descriptor(), &f.ticket_kinds);
  EnumList(m->Get("category"), v1::Ticket::Category_descriptor(), &f.categories);
  EnumList(m->Get("status"), v1::Ticket::Status_descriptor(), &f.statuses);
  EnumList(m->Get("tags_any"), v1::Ticket::Tag_descriptor(), &f.tags_any);
  EnumList(m->Get("outage_kind"), v1::OutageEvent::Kind_descriptor(), &f.outage_kinds);
  EnumList(m->Get("phase"), v1::OutageEvent::Phase_descriptor(), &f.outage_phases);
  Bool(m->Get("important_customer_in_scope"), &f.important_customer_in_scope);
  int calls = 0;
  if (Int(m->Get("min_call_count"), 0, 1000000, &calls)) f.min_call_count = calls;
  if (must_not_be_empty && m->entries().empty()) {
    Error(v, "must hold at least one condition (same keys as input.filter)");
  }
  return f;
}

bool Parser::ParseWindow(const Val& v, WindowSpec* w, std::optional<Val>* type_out,
                         std::optional<Val>* size_out) {
  const std::optional<MapView> m = Map(v, {"type", "size", "advance", "gap", "allowed_lateness"});
  if (!m) return false;
  const size_t errors = errors_.size();
  const Val type = m->Get("type");
  type_out->emplace(type);
  size_out->emplace(m->Get("size"));
  if (!Required(type, absl::StrCat("one of ", ChoiceList(kWindowKinds)))) return false;
  if (!Choice(type, kWindowKinds, &w->kind)) return false;
  const std::string kind(NameOf(kWindowKinds, w->kind));

  const Val size = m->Get("size");
  if (w->kind == WindowKind::kSession) {
    // For a session window, size caps the session's length; 0 = no cap.
    w->size = absl::ZeroDuration();
    Duration(size, absl::Nanoseconds(1), &w->size);
  } else if (Required(size, absl::StrCat("a ", kind, " window needs a size like \"24h\""))) {
    Duration(size, absl::Nanoseconds(1), &w->size);
  }

  const Val advance = m->Get("advance");
  if (w->kind == WindowKind::kHopping) {
    if (Required(advance, "a hopping window needs advance, 0 < advance <= size") &&
        Duration(advance, absl::Nanoseconds(1), &w->advance) && w->advance > w->size &&
        w->size > absl::ZeroDuration()) {
      Error(advance, absl::StrCat("must not exceed the window size (", ShowDuration(w->size),
                                  "): 0 < advance <= size"));
    }
  } else if (advance.present) {
    Error(m->KeyMark("advance"), advance.path,
          absl::StrCat("only for hopping windows (this one is ", kind, ")"));
  }

  const Val gap = m->Get("gap");
  if (w->kind == WindowKind::kSession) {
    if (Required(gap, "a session window needs gap, the idle time that ends a session")) {
      Duration(gap, absl::Nanoseconds(1), &w->gap);
    }
  } else if (gap.present) {
    Error(m->KeyMark("gap"), gap.path,
          absl::StrCat("only for session windows (this one is ", kind, ")"));
  }

  Duration(m->Get("allowed_lateness"), absl::ZeroDuration(), &w->allowed_lateness);
  return errors_.size() == errors;
}

bool Parser::Threshold(const Val& v, MeasureKind m, bool raise, double* out) {
  const std::string measure(NameOf(kMeasures, m));
  const std::string help = absl::StrCat("measure ", measure, " takes ", UnitHelp(m));
  if (!v.node.IsScalar() || v.node.Scalar().empty()) {
    Error(v, absl::StrCat("must be a threshold; ", help));
    return false;
  }
  const std::string text = v.node.Scalar();
  const Unit unit = UnitOf(m);
  double value = 0;
  absl::Duration d;
  if (IsDecimal(text) && absl::SimpleAtod(text, &value)) {
    if (unit == Unit::kDuration && value != 0) {
      Error(v, absl::StrCat(Quote(text), " has no unit; ", help));
      return false;
    }
    if (unit == Unit::kFraction && value > 1) {
      Error(v, absl::StrCat(text, " is not a share; ", help));
      return false;
    }
  } else if (!text.empty() && text.back() == '%' &&
             IsDecimal(std::string_view(text).substr(0, text.size() - 1))) {
    if (unit != Unit::kFraction) {
      Error(v, absl::StrCat("percentages are only for measures ratio and customers_out_share; ",
                            help));
      return false;
    }
    absl::SimpleAtod(text.substr(0, text.size() - 1), &value);
    value /= 100;
    if (value > 1) {
      Error(v, absl::StrCat(text, " is more than 100%; ", help));
      return false;
    }
  } else if (ParseDurationText(text, &d)) {
    if (unit != Unit::kDuration) {
      Error(v, absl::StrCat("durations are only for measure open_duration; ", help));
      return false;
    }
    if (d > kMaxDuration) {
      Error(v, "must be at most 3650d");
      return false;
    }
    value = absl::ToDoubleSeconds(d);
  } else {
    Error(v, absl::StrCat(Quote(text), " is not a threshold; ", help));
    return false;
  }
  if (raise && value <= 0) {
    Error(v, absl::StrCat("a raise threshold must be > 0; ", help));
    return false;
  }
  *out = value;
  return true;
}

bool Parser::ParseThresholds(const Val& grades, const Val& clear, std::optional<MeasureKind> m,
                             bool grades_required, Thresholds* out, ThresholdLocs* locs) {
  const size_t errors = errors_.size();
  const std::vector<std::string_view> grade_keys(kGradeNames.begin(), kGradeNames.end());
  if (grades_required &&
      !Required(grades, "at least one grade of IV, III, II, I with its raise threshold")) {
    return false;
  }
  std::array<bool, kGrades> named = {};
  if (grades.present) {
    if (const std::optional<MapView> g = Map(grades, grade_keys)) {
      if (g->entries().empty()) Error(grades, "needs at least one grade of IV, III, II, I");
      for (int i = 0; i < kGrades; ++i) {
        const Val v = g->Get(kGradeNames[i]);
        if (!v.present) continue;
        named[i] = true;
        locs->raise[i].emplace(v);
        double t = 0;
        if (m && Threshold(v, *m, /*raise=*/true, &t)) out->raise[i] = t;
      }
    }
  }
  if (clear.present) {
    if (const std::optional<MapView> c = Map(clear, grade_keys)) {
      for (int i = 0; i < kGrades; ++i) {
        const Val v = c->Get(kGradeNames[i]);
        if (!v.present) continue;
        if (!named[i]) {
          Error(c->KeyMark(kGradeNames[i]), v.path,
                absl::StrCat("grade ", kGradeNames[i], " has no raise threshold in ", grades.path,
                             "; clear only grades that are raised"));
          continue;
        }
        locs->clear[i].emplace(v);
        double t = 0;
        if (m && Threshold(v, *m, /*raise=*/false, &t)) out->clear[i] = t;
      }
    }
  }
  return errors_.size() == errors;
}

void Parser::CheckThresholds(const Thresholds& t, const ThresholdLocs& locs, const Val& fallback,
                             MeasureKind m, const std::string& context, bool own_only) {
  int previous = -1;
  for (int g = 0; g < kGrades; ++g) {
    if (!t.raise[g]) continue;
    if (previous >= 0 && *t.raise[g] < *t.raise[previous] &&
        !(own_only && !locs.raise[g] && !locs.raise[previous])) {
      const Val& at = locs.raise[g] ? *locs.raise[g]
                                    : (locs.raise[previous] ? *locs.raise[previous] : fallback);
      Error(at, absl::StrCat("grade ", kGradeNames[g], " threshold ", ShowThreshold(*t.raise[g], m),
                             " is below grade ", kGradeNames[previous], " threshold ",
                             ShowThreshold(*t.raise[previous], m), context,
                             "; raise thresholds must not decrease from IV to I"));
    }
    previous = g;
  }
  for (int g = 0; g < kGrades; ++g) {
    if (!t.clear[g] || !t.raise[g] || *t.clear[g] <= *t.raise[g]) continue;
    if (own_only && !locs.raise[g]) continue;
    const Val& at = locs.clear[g] ? *locs.clear[g] : fallback;
    Error(at, absl::StrCat("clear threshold ", ShowThreshold(*t.clear[g], m), " of grade ",
                           kGradeNames[g], " is above its raise threshold ",
                           ShowThreshold(*t.raise[g], m), context, "; clear must be <= raise"));
  }
}

void Parser::ParseFloors(const Val& v, RuleSpec* spec) {
  if (!v.present) return;
  if (!v.node.IsSequence()) {
    Error(v, "must be a list of {when: ..., grade: ...}");
    return;
  }
  for (size_t i = 0; i < v.node.size(); ++i) {
    const std::optional<MapView> m =
        Map(Elem(v.node[i], v.path, i), {"when", "grade", "tags", "level", "value", "duration"});
    if (!m) continue;
    GradeFloor f;
    const Val when = m->Get("when");
    const Val grade = m->Get("grade");
    if (Required(grade, "the grade the warning has at least: IV | III | II | I")) {
      Choice(grade, kGradeChoices, &f.grade);
    }
    if (!Required(when, absl::StrCat("one of ", ChoiceList(kFloorKinds))) ||
        !Choice(when, kFloorKinds, &f.when)) {
      continue;
    }
    // The one parameter each kind takes.
    std::string param;
    switch (f.when) {
      case GradeFloor::When::kTagged:
      case GradeFloor::When::kAreaTagged:
        param = "tags";
        break;
      case GradeFloor::When::kImportantLevel:
        param = "level";
        break;
      case GradeFloor::When::kCustomersAtLeast:
        param = "value";
        break;
      case GradeFloor::When::kActiveFor:
        param = "duration";
        break;
    }
    const std::string kind(NameOf(kFloorKinds, f.when));
    for (std::string_view p : {"tags", "level", "value", "duration"}) {
      if (p != param && m->Has(p)) {
        Error(m->KeyMark(p), m->Get(p).path,
              absl::StrCat("not a parameter of floor ", kind, "; it takes ", param));
      }
    }
    const Val value = m->Get(param);
    if (!Required(value, absl::StrCat("floor ", kind, " needs ", param))) continue;
    switch (f.when) {
      case GradeFloor::When::kTagged:
        EnumList(value, v1::Ticket::Tag_descriptor(), &f.tags);
        break;
      case GradeFloor::When::kAreaTagged:
        if (EnumList(value, v1::Ticket::Tag_descriptor(), &f.tags)) {
          for (size_t t = 0; t < f.tags.size(); ++t) {
            if (f.tags[t] == v1::Ticket::MEDIA) {
              Error(Elem(value.node[t], value.path, t),
                    "MEDIA is not a customer tag of the reference data; area_tagged takes "
                    "TENDENCY_12398, SENSITIVE, IMPORTANT_CUSTOMER");
            }
          }
        }
        break;
      case GradeFloor::When::kImportantLevel: {
        static constexpr Named<v1::ImportantLevel> kLevels[] = {{"SPECIAL", v1::SPECIAL},
                                                                {"FIRST", v1::FIRST},
                                                                {"SECOND", v1::SECOND},
                                                                {"TEMPORARY", v1::TEMPORARY}};
        Choice(value, kLevels, &f.important_level);
        break;
      }
      case GradeFloor::When::kCustomersAtLeast:
        Number(value, 1, &f.value);
        break;
      case GradeFloor::When::kActiveFor:
        Duration(value, absl::Nanoseconds(1), &f.duration);
        break;
    }
    spec->floors.push_back(std::move(f));
  }
}

void Parser::ParseResolve(const Val& v, std::optional<KeyLevel> key, ResolveSpec* out) {
  if (!Required(v, "at least one of below_for, quiet_for, outage_phase, outage_registered")) {
    return;
  }
  const std::optional<MapView> m =
      Map(v, {"below_for", "quiet_for", "outage_phase", "outage_registered"});
  if (!m) return;
  absl::Duration d;
  if (Duration(m->Get("below_for"), absl::Nanoseconds(1), &d)) out->below_for = d;
  if (Duration(m->Get("quiet_for"), absl::Nanoseconds(1), &d)) out->quiet_for = d;
  const Val phase = m->Get("outage_phase");
  if (phase.present) {
    if (key && *key != KeyLevel::kOutage) {
      Error(m->KeyMark("outage_phase"), phase.path,
            absl::StrCat("only for rules with key outage (this rule: key ",
                         NameOf(kKeyLevels, *key), ")"));
    } else {
      EnumList(phase, v1::OutageEvent::Phase_descriptor(), &out->outage_phases);
    }
  }
  const Val registered = m->Get("outage_registered");
  if (Bool(registered, &out->outage_registered) && out->outage_registered && key &&
      *key != KeyLevel::kArea && *key != KeyLevel::kFeeder) {
    Error(m->KeyMark("outage_registered"), registered.path,
          absl::StrCat("only for rules with key area or feeder (this rule: key ",
                       NameOf(kKeyLevels, *key), ")"));
  }
  if (m->entries().empty() ||
      (!m->Has("below_for") && !m->Has("quiet_for") && !m->Has("outage_phase") &&
       registered.present && !out->outage_registered)) {
    Error(v, "needs at least one of below_for, quiet_for, outage_phase, outage_registered: true");
  }
}

// The thresholds in force for a key that the overrides `matching` apply to,
// layered as the engine does: least specific first (shorter region prefix,
// then without area class), so that the most specific one wins per grade. A
// grade an override names replaces raise and clear; the others are inherited.
Thresholds Layered(const Thresholds& base, std::vector<const Override*> matching) {
  std::stable_sort(matching.begin(), matching.end(), [](const Override* a, const Override* b) {
    if (a->region_prefix.size() != b->region_prefix.size()) {
      return a->region_prefix.size() < b->region_prefix.size();
    }
    return (a->area_class != v1::AREA_CLASS_UNSPECIFIED) <
           (b->area_class != v1::AREA_CLASS_UNSPECIFIED);
  });
  Thresholds t = base;
  for (const Override* o : matching) {
    for (int g = 0; g < kGrades; ++g) {
      if (o->thresholds.raise[g]) {
        t.raise[g] = o->thresholds.raise[g];
        t.clear[g] = o->thresholds.clear[g];
      }
    }
  }
  return t;
}

void Parser::ParseOverrides(const Val& v, std::optional<MeasureKind> m, RuleSpec* spec) {
  if (!v.present) return;
  if (!v.node.IsSequence()) {
    Error(v, "must be a list of {region: ..., area_class: ..., grades: {...}}");
    return;
  }
  // Where each valid override's thresholds were written (parallel to spec->overrides).
  std::vector<std::pair<Val, ThresholdLocs>> written;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const Val item = Elem(v.node[i], v.path, i);
    const std::optional<MapView> map = Map(item, {"region", "area_class", "grades", "clear"});
    if (!map) continue;
    const size_t errors = errors_.size();
    Override o;
    o.line = PosOf(map->mark()).line;
    const Val region = map->Get("region");
    if (Str(region, &o.region_prefix) &&
        (o.region_prefix.size() < 2 || o.region_prefix.size() > 6 ||
         !std::all_of(o.region_prefix.begin(), o.region_prefix.end(), absl::ascii_isdigit))) {
      Error(region,
            "must be 2 to 6 digits, a prefix of GB/T 2260 region codes (\"37\" province, "
            "\"3701\" city, \"370102\" county)");
    }
    const Val area_class = map->Get("area_class");
    if (area_class.present) {
      static constexpr Named<v1::AreaClass> kClasses[] = {
          {"URBAN", v1::URBAN}, {"RURAL", v1::RURAL}, {"REMOTE", v1::REMOTE}};
      Choice(area_class, kClasses, &o.area_class);
    }
    if (!region.present && !area_class.present) {
      Error(item, "needs region, area_class or both (which keys the override applies to)");
    }
    // Only the grades it names: the engine layers overrides per grade.
    ThresholdLocs locs;
    const Val grades = map->Get("grades");
    if (!ParseThresholds(grades, map->Get("clear"), m, /*grades_required=*/true, &o.thresholds,
                         &locs) ||
        errors_.size() != errors) {
      continue;
    }
    for (const Override& other : spec->overrides) {
      if (other.region_prefix == o.region_prefix && other.area_class == o.area_class) {
        Error(item, absl::StrCat("same region and area_class as the override at line ", other.line,
                                 "; merge them"));
      }
    }
    spec->overrides.push_back(std::move(o));
    written.emplace_back(grades, std::move(locs));
  }
  if (!m) return;

  // The thresholds must stay ordered for every key. The overrides applying
  // to a key are those whose prefix starts its county code (GB/T 2260 codes
  // nest) with a fitting class, so it suffices to take each override as the
  // most specific one, with each area class it applies to.
  const std::vector<Override>& all = spec->overrides;
  for (size_t i = 0; i < all.size(); ++i) {
    const Override& most = all[i];
    std::vector<v1::AreaClass> classes = {most.area_class};
    if (most.area_class == v1::AREA_CLASS_UNSPECIFIED) {
      classes = {v1::AREA_CLASS_UNSPECIFIED, v1::URBAN, v1::RURAL, v1::REMOTE};
    }
    for (v1::AreaClass cls : classes) {
      std::vector<const Override*> matching;
      std::vector<int> lines;
      for (const Override& o : all) {
        if (most.region_prefix.rfind(o.region_prefix, 0) == 0 &&
            (o.area_class == v1::AREA_CLASS_UNSPECIFIED || o.area_class == cls)) {
          matching.push_back(&o);
          if (&o != &most) lines.push_back(o.line);
        }
      }
      const std::string context =
          lines.empty()
              ? std::string(" (after this override)")
              : absl::StrCat(" (where this override and those at line",
                             lines.size() > 1 ? "s " : " ", absl::StrJoin(lines, ", "), " apply)");
      const size_t errors = errors_.size();
      // Only problems this override takes part in: the others are reported
      // at the overrides that cause them.
      CheckThresholds(Layered(spec->thresholds, matching), written[i].second, written[i].first, *m,
                      context, /*own_only=*/true);
      if (errors_.size() != errors) break;  // one report per override
    }
  }
}

void Parser::CheckMessage(const Val& v) {
  const std::string& t = v.node.Scalar();
  const std::string allowed =
      "{rule} {key} {value} {count} {customers} {grade} {window} {window_start} {window_end} "
      "{events} {title}";
  // Argument types as the engine passes them (rule_engine.cc): text, except
  // the integers count and customers; value comes preformatted ("3", "12.5%", "2h").
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (const char* name : {"rule", "key", "value", "grade", "window", "window_start", "window_end",
                           "events", "title"}) {
    args.push_back(fmt::arg(name, std::string("x")));
  }
  args.push_back(fmt::arg("count", 3));
  args.push_back(fmt::arg("customers", 120));
  try {
    (void)fmt::vformat(t, args);
  } catch (const fmt::format_error& e) {
    // Name the unknown placeholder when that is the problem.
    for (const std::string& name : PlaceholderNames(t)) {
      if (IsIdentifier(name) && !IsPlaceholder(name)) {
        Error(v, absl::StrCat("unknown placeholder {", name, "}; allowed: ", allowed));
        return;
      }
    }
    Error(v, absl::StrCat("invalid template (", e.what(), "); placeholders: ", allowed,
                          ", with fmt format specs; write {{ and }} for literal braces"));
    return;
  }
  for (const std::string& name : PlaceholderNames(t)) {
    if (name.empty()) {
      Error(v, absl::StrCat("positional placeholders ({} or {0}) are not allowed; use names: ",
                            allowed));
      return;
    }
  }
}

std::optional<ParsedRule> Parser::Rule(const YAML::Node& node, int index, bool* ok) {
  const Val self = Elem(node, "rules", index);
  const std::optional<MapView> m =
      Map(self, {"id", "version", "title", "description", "input", "key", "window", "condition",
                 "grades", "clear", "min_dwell", "floors", "fold_into", "resolve",
                 "update_on_evidence", "state_ttl", "message", "overrides"});
  if (!m) return std::nullopt;
  const size_t errors = errors_.size();
  ParsedRule r;
  r.index = index;
  RuleSpec& s = r.spec;
  s.file = name_;
  s.line = PosOf(m->mark()).line;

  const Val id = m->Get("id");
  if (Required(id, "a rule id of [A-Za-z0-9_-]+") && Str(id, &s.id)) {
    r.id = PosOf(id.mark);
    if (!std::all_of(s.id.begin(), s.id.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; })) {
      Error(id, absl::StrCat(Quote(s.id), " is not a valid id; use letters, digits, _ and -"));
    }
  }
  const Val version = m->Get("version");
  if (Required(version, "a version such as \"1\" (it goes into every warning)")) {
    Str(version, &s.version);
  }
  const Val title = m->Get("title");
  if (Required(title, "a short title for the warnings")) Str(title, &s.title);
  if (Str(m->Get("description"), &s.description)) {
    absl::StripTrailingAsciiWhitespace(&s.description);
  }

  // input: stream and filter.
  std::optional<Stream> stream;
  const Val input = m->Get("input");
  if (Required(input, "input.stream (ticket | outage | repeat_call) and an optional filter")) {
    if (const std::optional<MapView> in = Map(input, {"stream", "filter"})) {
      const Val st = in->Get("stream");
      Stream parsed;
      if (Required(st, absl::StrCat("one of ", ChoiceList(kStreams))) &&
          Choice(st, kStreams, &parsed)) {
        stream = parsed;
        s.stream = parsed;
      }
      const Val filter = in->Get("filter");
      if (filter.present) s.filter = ParseFilter(filter, stream, /*must_not_be_empty=*/false);
    }
  }

  // key.
  std::optional<KeyLevel> key;
  const Val key_val = m->Get("key");
  KeyLevel parsed_key;
  if (Required(key_val, absl::StrCat("one of ", ChoiceList(kKeyLevels))) &&
      Choice(key_val, kKeyLevels, &parsed_key)) {
    key = parsed_key;
    s.key = parsed_key;
    if (stream) {
      const std::string what =
          absl::StrCat("key ", NameOf(kKeyLevels, *key), " is not available on stream ",
                       NameOf(kStreams, *stream), "; ");
      if (*key == KeyLevel::kOutage && *stream != Stream::kOutage) {
        Error(key_val, what + "key outage needs stream outage");
      } else if ((*key == KeyLevel::kCustomer || *key == KeyLevel::kTicket) &&
                 *stream == Stream::kOutage) {
        Error(key_val, what + "keys customer and ticket need stream ticket or repeat_call");
      }
    }
  }

  // condition.
  std::optional<MeasureKind> measure;
  const Val cond = m->Get("condition");
  if (Required(cond, "condition.measure")) {
    if (const std::optional<MapView> c =
            Map(cond, {"measure", "field", "numerator", "baseline", "outage"})) {
      const Val mv = c->Get("measure");
      MeasureKind parsed;
      if (Required(mv, absl::StrCat("one of ", ChoiceList(kMeasures))) &&
          Choice(mv, kMeasures, &parsed)) {
        measure = parsed;
        s.measure = parsed;
      }
      const auto only_for = [&](std::string_view k, MeasureKind mk) {
        const Val v = c->Get(k);
        if (v.present && measure && *measure != mk) {
          Error(c->KeyMark(k), v.path,
                absl::StrCat("only for measure ", NameOf(kMeasures, mk),
                             " (this rule: ", NameOf(kMeasures, *measure), ")"));
          return false;
        }
        return v.present && measure.has_value();
      };
      const Val field = c->Get("field");
      if (only_for("field", MeasureKind::kSum) && Str(field, &s.sum_field)) {
        if (s.sum_field != "affected_customers" && s.sum_field != "call_count") {
          Error(field, absl::StrCat(Quote(s.sum_field),
                                    " cannot be summed; allowed: affected_customers (stream "
                                    "outage), call_count (stream repeat_call)"));
        } else if (stream && *stream != Stream::kTicket &&
                   s.sum_field !=
                       (*stream == Stream::kOutage ? "affected_customers" : "call_count")) {
          Error(field,
                absl::StrCat(s.sum_field, " is not a field of stream ", NameOf(kStreams, *stream),
                             "; affected_customers is on outage, call_count on repeat_call"));
        }
      }
      const Val numerator = c->Get("numerator");
      if (only_for("numerator", MeasureKind::kRatio)) {
        s.numerator = ParseFilter(numerator, stream, /*must_not_be_empty=*/true);
      }
      const Val baseline = c->Get("baseline");
      if (only_for("baseline", MeasureKind::kRateVsBaseline)) {
        if (const std::optional<MapView> b =
                Map(baseline, {"history_days", "min_history_days", "min_baseline"})) {
          Int(b->Get("history_days"), 1, 366, &s.baseline.history_days);
          const Val min_days = b->Get("min_history_days");
          if (Int(min_days, 0, 366, &s.baseline.min_history_days) &&
              s.baseline.min_history_days > s.baseline.history_days) {
            Error(min_days,
                  absl::StrCat("must not exceed history_days (", s.baseline.history_days, ")"));
          }
          Number(b->Get("min_baseline"), 0, &s.baseline.min_baseline);
        }
      }
      Choice(c->Get("outage"), kOutageGates, &s.outage_gate);

      // Measure vs stream and key.
      if (measure && stream && key) {
        const std::string here = absl::StrCat(" (this rule: stream ", NameOf(kStreams, *stream),
                                              ", key ", NameOf(kKeyLevels, *key), ")");
        switch (*measure) {
          case MeasureKind::kSum:
            if (*stream == Stream::kTicket) {
              Error(mv,
                    "sum needs stream outage (field affected_customers) or repeat_call "
                    "(field call_count)" +
                        here);
            } else if (!field.present) {
              Error(field,
                    absl::StrCat("missing; measure sum needs the field to add up: ",
                                 *stream == Stream::kOutage ? "affected_customers" : "call_count"));
            }
            break;
          case MeasureKind::kDistinctCustomers:
            if (*stream == Stream::kOutage) {
              Error(mv,
                    "distinct_customers needs customer ids: stream ticket or repeat_call" + here);
            }
            break;
          case MeasureKind::kRatio:
            if (!numerator.present) {
              Error(numerator,
                    "missing; measure ratio needs a numerator filter, e.g. "
                    "{kind: [COMPLAINT]}");
            }
            break;
          case MeasureKind::kCustomersOutShare:
            if (*stream != Stream::kOutage || !IsRegionLevel(*key) || *key == KeyLevel::kArea) {
              Error(mv,
                    "customers_out_share needs stream outage and key feeder, station, "
                    "county, city or province" +
                        here);
            }
            break;
          case MeasureKind::kOpenDuration:
            if (*stream != Stream::kOutage || *key != KeyLevel::kOutage) {
              Error(mv, "open_duration needs stream outage and key outage" + here);
            }
            break;
          case MeasureKind::kCount:
          case MeasureKind::kRateVsBaseline:
            break;
        }
      }
    }
  }

  // window.
  const Val window = m->Get("window");
  const bool needs_window = !measure || (*measure != MeasureKind::kCustomersOutShare &&
                                         *measure != MeasureKind::kOpenDuration);
  bool window_ok = false;
  std::optional<Val> window_type;
  std::optional<Val> window_size;
  if (window.present) {
    window_ok = ParseWindow(window, &s.window, &window_type, &window_size);
  } else if (measure && needs_window) {
    Error(window, absl::StrCat("missing; measure ", NameOf(kMeasures, *measure),
                               " needs a window (only customers_out_share and open_duration "
                               "take none)"));
  }
  if (window_ok && measure && *measure == MeasureKind::kRateVsBaseline) {
    if (s.window.kind != WindowKind::kTumbling) {
      Error(*window_type, absl::StrCat("rate_vs_baseline needs a tumbling window (its size is "
                                       "the bin compared with the same bin of earlier days), "
                                       "not ",
                                       NameOf(kWindowKinds, s.window.kind)));
    } else if (absl::Hours(24) % s.window.size != absl::ZeroDuration()) {
      Error(*window_size, absl::StrCat("the bin of rate_vs_baseline must divide 24h (e.g. 15m, "
                                       "1h, 6h, 24h), not ",
                                       ShowDuration(s.window.size)));
    }
  }

  // grades and clear.
  ThresholdLocs locs;
  const Val grades = m->Get("grades");
  ParseThresholds(grades, m->Get("clear"), measure, /*grades_required=*/true, &s.thresholds, &locs);
  // Ordering over the values that did parse: the others are reported already.
  if (measure) CheckThresholds(s.thresholds, locs, grades, *measure, "");

  Duration(m->Get("min_dwell"), absl::ZeroDuration(), &s.min_dwell);
  ParseFloors(m->Get("floors"), &s);

  const Val fold = m->Get("fold_into");
  if (Str(fold, &s.fold_into)) {
    r.fold_into = PosOf(fold.mark);
    if (s.fold_into == s.id) Error(fold, "a rule cannot fold into itself");
  }

  ParseResolve(m->Get("resolve"), key, &s.resolve);
  Bool(m->Get("update_on_evidence"), &s.update_on_evidence);

  const Val ttl = m->Get("state_ttl");
  if (Duration(ttl, absl::Nanoseconds(1), &s.state_ttl) && window_ok &&
      s.state_ttl < s.window.size) {
    Error(ttl, absl::StrCat("shorter than the window (", ShowDuration(s.window.size),
                            "): state would be dropped while the window still counts"));
  }

  const Val message = m->Get("message");
  if (Required(message, "a template such as \"{count} complaints in {key} within {window}\"") &&
      Str(message, &s.message)) {
    CheckMessage(message);
  }

  ParseOverrides(m->Get("overrides"), measure, &s);

  // state_ttl stays zero when not written: the engine derives its default
  // (window extent + lateness, baseline history, longer while a warning is active).
  *ok = errors_.size() == errors;
  return r;
}

ParsedRuleFile Parser::Parse(const std::string& text) {
  ParsedRuleFile out;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const SourcePos pos = PosOf(e.mark);
    out.errors.push_back(absl::StrCat(name_, ":", std::max(pos.line, 1), ":",
                                      std::max(pos.column, 1),
                                      ": YAML syntax error: ", OneLine(e.msg)));
    return out;
  }
  try {
    if (!root.IsDefined() || root.IsNull()) {
      errors_.push_back({{1, 1},
                         FormatRuleError(name_, {1, 1}, "rules",
                                         "missing; the file is empty, and a rule file "
                                         "holds `rules:`, a list of rules")});
    } else {
      const Val top{root, root.Mark(), "", true};
      if (!root.IsMap()) {
        Error(top.mark, "rules",
              "missing; a rule file is a mapping holding `rules:`, a list of rules");
      } else if (const std::optional<MapView> m = Map(top, {"rules"})) {
        const Val rules = m->Get("rules");
        if (!rules.present) {
          Error(top.mark, "rules", "missing; a rule file holds `rules:`, a list of rules");
        } else if (!rules.node.IsSequence()) {
          Error(rules.mark, "rules", "must be a list of rules (\"- id: ...\" entries)");
        } else if (rules.node.size() == 0) {
          Error(rules.mark, "rules", "is empty; a rule file holds at least one rule");
        } else {
          std::vector<std::pair<std::string, SourcePos>> ids;
          for (size_t i = 0; i < rules.node.size(); ++i) {
            bool ok = false;
            std::optional<ParsedRule> r = Rule(rules.node[i], static_cast<int>(i), &ok);
            if (!r || r->spec.id.empty()) continue;
            const auto first = std::find_if(ids.begin(), ids.end(),
                                            [&](const auto& e) { return e.first == r->spec.id; });
            if (first != ids.end()) {
              errors_.push_back(
                  {r->id,
                   FormatRuleError(
                       name_, r->id, absl::StrCat("rules[", i, "].id"),
                       absl::StrCat("duplicate rule id ", Quote(r->spec.id), "; first defined at ",
                                    name_, ":", first->second.line, ":", first->second.column))});
              continue;
            }
            ids.emplace_back(r->spec.id, r->id);
            if (ok) out.rules.push_back(std::move(*r));
          }
        }
      }
    }
  } catch (const YAML::Exception& e) {
    // Node access can throw on malformed documents; report it like a syntax error.
    errors_.push_back({PosOf(e.mark), absl::StrCat(name_, ":", std::max(PosOf(e.mark).line, 1), ":",
                                                   std::max(PosOf(e.mark).column, 1),
                                                   ": YAML error: ", OneLine(e.msg))});
  }
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
  });
  for (auto& e : errors_) out.errors.push_back(std::move(e.second));
  if (!out.errors.empty()) out.rules.clear();
  return out;
}

}  // namespace

std::string FormatRuleError(const std::string& name, SourcePos pos, const std::string& path,
                            const std::string& what) {
  if (pos.line <= 0) return absl::StrCat(name, ": ", OneLine(path), ": ", OneLine(what));
  return absl::StrCat(name, ":", pos.line, ":", pos.column, ": ", OneLine(path), ": ",
                      OneLine(what));
}

ParsedRuleFile ParseRuleText(const std::string& text, const std::string& name) {
  return Parser(name).Parse(text);
}

absl::StatusOr<std::vector<RuleSpec>> ParseRuleFile(const std::string& text,
                                                    const std::string& name) {
  ParsedRuleFile parsed = ParseRuleText(text, name);
  if (!parsed.errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(parsed.errors, "\n"));
  }
  std::vector<RuleSpec> rules;
  rules.reserve(parsed.rules.size());
  for (ParsedRule& r : parsed.rules) rules.push_back(std::move(r.spec));
  return rules;
}

}  // namespace vigil::rules

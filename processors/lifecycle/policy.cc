// Loading rules/lifecycle/policy.yaml. Like the rule parser
// (processors/rules/rule_parser.cc), every problem of the file is collected and
// reported as "file:line:col: path: what is wrong and what is allowed".

#include "processors/lifecycle/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::lifecycle {
namespace {

// Grade names as written in the file, in GradeIndex order (IV first).
constexpr std::array<std::string_view, 4> kGradeNames = {"IV", "III", "II", "I"};

// Longest duration accepted; longer ones are certainly typos.
constexpr absl::Duration kMaxDuration = absl::Hours(24 * 3650);

std::string Sub(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", std::string(key));
}

// OwnerName for absl::StrCat (Debian's absl::string_view is not std::string_view).
std::string Name(OwnerLevel level) { return std::string(OwnerName(level)); }

std::string Quote(std::string_view s) { return absl::StrCat("\"", std::string(s), "\""); }

// Errors are one line each: control characters are escaped.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out;
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

// "90s", "15m", "2h", "7d", "1h30m", "1.5h" (the rule language's durations).
bool ParseDurationText(std::string_view s, absl::Duration* out) {
  if (s.empty()) return false;
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) ++i;
    double v = 0;
    const std::string number(s.substr(start, i - start));
    if (!IsDecimal(number) || !absl::SimpleAtod(number, &v) || v > 1e7) return false;
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
    total += v * unit;
  }
  *out = total;
  return true;
}

bool IsRuleId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-';
  });
}

struct Pos {
  int line = 0;
  int column = 0;
  auto operator<=>(const Pos&) const = default;
};

Pos PosOf(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

// A value looked up in a mapping and where to point at when it is wrong: the
// value, its key when the value is empty, or the mapping when it is absent.
// Never assigned once built (yaml-cpp's Node::operator= rebinds the document).
struct Val {
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

 private:
  YAML::Mark mark_;
  std::string path_;
  std::vector<Entry> entries_;  // first occurrence of each key only
};

class PolicyParser {
 public:
  explicit PolicyParser(std::string name) : name_(std::move(name)) {}

  absl::StatusOr<LifecyclePolicy> Parse(const std::string& text);

 private:
  void Error(const YAML::Mark& mark, const std::string& path, const std::string& what) {
    const Pos pos = PosOf(mark);
    errors_.emplace_back(pos, pos.line <= 0
                                  ? absl::StrCat(name_, ": ", OneLine(path), ": ", OneLine(what))
                                  : absl::StrCat(name_, ":", pos.line, ":", pos.column, ": ",
                                                 OneLine(path), ": ", OneLine(what)));
  }
  void Error(const Val& v, const std::string& what) { Error(v.mark, v.path, what); }

  // The mapping at `v`; `allowed` empty = any key (each checked by the caller).
  std::optional<MapView> Map(const Val& v, const std::vector<std::string_view>& allowed);
  bool Required(const Val& v, const std::string& what) {
    if (v.present) return true;
    Error(v, absl::StrCat("missing; ", what));
    return false;
  }
  bool Duration(const Val& v, absl::Duration* out);
  bool Int(const Val& v, int min, int max, int* out);
  bool Owner(const Val& v, OwnerLevel* out);
  bool Share(const Val& v, double* out);

  void Grades(const Val& v, LifecyclePolicy* p);
  void Countdown(const Val& v, LifecyclePolicy* p);
  void OwnerChain(const Val& v, LifecyclePolicy* p);
  void Lookback(const Val& v, LifecyclePolicy* p);

  std::string name_;
  std::vector<std::pair<Pos, std::string>> errors_;
  // Where each grade's owner was written, for the checks against owner_chain.
  std::array<std::optional<Val>, 4> owner_vals_;
  bool chain_ok_ = false;
};

std::optional<MapView> PolicyParser::Map(const Val& v,
                                         const std::vector<std::string_view>& allowed) {
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
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      Error(kv.first.Mark(), Sub(v.path, key),
            absl::StrCat("unknown key; allowed here: ", absl::StrJoin(names, ", ")));
      continue;
    }
    const auto first =
        std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
    if (first != seen.end()) {
      Error(kv.first.Mark(), Sub(v.path, key),
            absl::StrCat("duplicate key (first at line ", first->second,
                         "); each key may appear once"));
      continue;
    }
    seen.emplace_back(key, kv.first.Mark().line + 1);
    map.Add({key, kv.first, kv.second});
  }
  return map;
}

bool PolicyParser::Duration(const Val& v, absl::Duration* out) {
  absl::Duration d;
  if (!v.node.IsScalar() || !ParseDurationText(v.node.Scalar(), &d) || d <= absl::ZeroDuration() ||
      d > kMaxDuration) {
    Error(v, "must be a duration like \"15m\", \"2h\", \"7d\" or \"1h30m\", > 0 and at most 3650d");
    return false;
  }
  *out = d;
  return true;
}

bool PolicyParser::Int(const Val& v, int min, int max, int* out) {
  int i = 0;
  if (!v.node.IsScalar() || !absl::SimpleAtoi(v.node.Scalar(), &i) || i < min || i > max) {
    Error(v, absl::StrCat("must be an integer in [", min, ", ", max, "]"));
    return false;
  }
  *out = i;
  return true;
}

bool PolicyParser::Owner(const Val& v, OwnerLevel* out) {
  const std::optional<OwnerLevel> level =
      v.node.IsScalar() ? ParseOwnerLevel(v.node.Scalar()) : std::nullopt;
  if (!level) {
    Error(v, absl::StrCat("unknown owner",
                          v.node.IsScalar() ? absl::StrCat(" ", Quote(v.node.Scalar())) : "",
                          "; one of station, county, city, province"));
    return false;
  }
  *out = *level;
  return true;
}

bool PolicyParser::Share(const Val& v, double* out) {
  const std::string s = v.node.IsScalar() ? v.node.Scalar() : "";
  double percent = 0;
  if (s.size() < 2 || s.back() != '%' || !IsDecimal(s.substr(0, s.size() - 1)) ||
      !absl::SimpleAtod(s.substr(0, s.size() - 1), &percent) || percent <= 0 || percent >= 100) {
    Error(v, "must be a share of the window like \"50%\", strictly between 0% and 100%");
    return false;
  }
  *out = percent / 100;
  return true;
}

void PolicyParser::Grades(const Val& v, LifecyclePolicy* p) {
  const std::optional<MapView> grades =
      Map(v, std::vector<std::string_view>(kGradeNames.rbegin(), kGradeNames.rend()));
  if (!grades) return;
  // Checked from IV up: a grade's owner must not be below a lower grade's.
  std::optional<std::pair<OwnerLevel, std::string>> lower_owner;
  for (size_t g = 0; g < kGradeNames.size(); ++g) {
    const Val gv = grades->Get(kGradeNames[g]);
    if (!Required(gv, "every grade (I, II, III, IV) needs {ack, feedback, owner}")) continue;
    const std::optional<MapView> m = Map(gv, {"ack", "feedback", "owner"});
    if (!m) continue;
    GradePolicy& out = p->grades[g];
    const Val ack = m->Get("ack");
    const Val feedback = m->Get("feedback");
    const Val owner = m->Get("owner");
    const bool ack_ok =
        Required(ack, "the acknowledgement window, e.g. ack: 30m") && Duration(ack, &out.ack);
    const bool feedback_ok = Required(feedback, "the feedback window, e.g. feedback: 4h") &&
                             Duration(feedback, &out.feedback);
    if (ack_ok && feedback_ok && out.feedback < out.ack) {
      Error(feedback, absl::StrCat("must be at least ack (", absl::FormatDuration(out.ack),
                                   "): both run from the raise, and feedback follows the "
                                   "acknowledgement"));
    }
    if (Required(owner, "who owns the grade: station, county, city or province") &&
        Owner(owner, &out.owner)) {
      owner_vals_[g].emplace(owner);
      if (lower_owner && out.owner < lower_owner->first) {
        Error(owner, absl::StrCat("must not be below the owner of grade ", lower_owner->second,
                                  " (", Name(lower_owner->first),
                                  "): a more severe grade is owned at least as high"));
      }
      lower_owner.emplace(out.owner, std::string(kGradeNames[g]));
    }
  }
}

void PolicyParser::Countdown(const Val& v, LifecyclePolicy* p) {
  if (!v.node.IsSequence()) {
    Error(v, "must be a list of shares like [50%, 80%] (may be empty)");
    return;
  }
  for (size_t i = 0; i < v.node.size(); ++i) {
    const YAML::Node e = v.node[i];
    const Val ev{e, e.Mark(), absl::StrCat(v.path, "[", i, "]"), true};
    double share = 0;
    if (!Share(ev, &share)) continue;
    if (!p->countdown.empty() && share <= p->countdown.back()) {
      Error(ev, absl::StrCat("must be above the previous share (", p->countdown.back() * 100,
                             "%); list the shares in increasing order"));
      continue;
    }
    p->countdown.push_back(share);
  }
}

void PolicyParser::OwnerChain(const Val& v, LifecyclePolicy* p) {
  if (!v.node.IsSequence() || v.node.size() == 0) {
    Error(v,
          "must be a non-empty list of owners, lowest first, e.g. [station, county, city, "
          "province]");
    return;
  }
  bool ok = true;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const YAML::Node e = v.node[i];
    const Val ev{e, e.Mark(), absl::StrCat(v.path, "[", i, "]"), true};
    OwnerLevel level;
    if (!Owner(ev, &level)) {
      ok = false;
      continue;
    }
    if (!p->owner_chain.empty() && level <= p->owner_chain.back()) {
      Error(ev, absl::StrCat("must be above the previous entry (", Name(p->owner_chain.back()),
                             "); the chain goes up, lowest first"));
      ok = false;
      continue;
    }
    p->owner_chain.push_back(level);
  }
  if (ok && p->owner_chain.back() != OwnerLevel::kProvince) {
    const YAML::Node last = v.node[v.node.size() - 1];
    Error(last.Mark(), absl::StrCat(v.path, "[", v.node.size() - 1, "]"),
          "the chain must end at province: escalation stops there, and CLOSE and REOPEN are "
          "the province's");
    ok = false;
  }
  chain_ok_ = ok;
}

void PolicyParser::Lookback(const Val& v, LifecyclePolicy* p) {
  const std::optional<MapView> m = Map(v, {"default", "rules"});
  if (!m) return;
  const Val def = m->Get("default");
  if (Required(def, "the look-back after closing for rules not listed, e.g. default: 7d")) {
    Duration(def, &p->default_lookback);
  }
  const Val rules = m->Get("rules");
  if (!rules.present) return;
  const std::optional<MapView> rm = Map(rules, {});
  if (!rm) return;
  for (const Entry& e : rm->entries()) {
    const Val rv = rm->Get(e.key);
    if (!IsRuleId(e.key)) {
      Error(e.key_node.Mark(), rv.path,
            "must be a rule id (\"R13-feeder\") or family (\"R05\"): 1–64 of [A-Za-z0-9_-]");
      continue;
    }
    absl::Duration d;
    if (Duration(rv, &d)) p->lookback_rules.emplace(e.key, d);
  }
}

absl::StatusOr<LifecyclePolicy> PolicyParser::Parse(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const Pos pos = PosOf(e.mark);
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", std::max(pos.line, 1), ":",
                                                   std::max(pos.column, 1),
                                                   ": YAML syntax error: ", OneLine(e.msg)));
  }
  LifecyclePolicy p;
  try {
    const Val top{root, root.Mark(), "", true};
    if (!root.IsDefined() || root.IsNull() || !root.IsMap()) {
      errors_.emplace_back(Pos{1, 1}, absl::StrCat(name_,
                                                   ":1:1: grades: missing; a lifecycle policy is a "
                                                   "mapping of grades, countdown, "
                                                   "escalate_on_ack_overdue, owner_chain, lookback "
                                                   "and reopen_grade_step"));
    } else if (const std::optional<MapView> m =
                   Map(top, {"grades", "countdown", "escalate_on_ack_overdue", "owner_chain",
                             "lookback", "reopen_grade_step"})) {
      // The chain first, so the grades' owners can be checked against it.
      const Val chain = m->Get("owner_chain");
      if (Required(chain, "the escalation path, e.g. [station, county, city, province]")) {
        OwnerChain(chain, &p);
      }
      const Val grades = m->Get("grades");
      if (Required(grades, "ack/feedback windows and owner per grade I, II, III, IV")) {
        Grades(grades, &p);
      }
      if (chain_ok_) {
        for (size_t g = 0; g < owner_vals_.size(); ++g) {
          if (owner_vals_[g] && std::find(p.owner_chain.begin(), p.owner_chain.end(),
                                          p.grades[g].owner) == p.owner_chain.end()) {
            Error(*owner_vals_[g], absl::StrCat("is not on owner_chain; add ",
                                                Name(p.grades[g].owner), " to the chain"));
          }
        }
      }
      const Val countdown = m->Get("countdown");
      if (Required(countdown, "shares of each window for countdown notices, e.g. [50%, 80%]")) {
        Countdown(countdown, &p);
      }
      const Val escalate = m->Get("escalate_on_ack_overdue");
      if (Required(escalate, "grades added when the ack deadline passes (0 = never)")) {
        Int(escalate, 0, 3, &p.escalate_on_ack_overdue);
      }
      const Val lookback = m->Get("lookback");
      if (Required(lookback, "look-back after closing, e.g. {default: 7d, rules: {R05: 30d}}")) {
        Lookback(lookback, &p);
      }
      const Val reopen = m->Get("reopen_grade_step");
      if (Required(reopen, "grades added when a recurrence reopens a closed warning")) {
        Int(reopen, 0, 3, &p.reopen_grade_step);
      }
    }
  } catch (const YAML::Exception& e) {
    // Conversions are checked before use; this is a yaml-cpp surprise.
    const Pos pos = PosOf(e.mark);
    errors_.emplace_back(pos, absl::StrCat(name_, ":", std::max(pos.line, 1), ":",
                                           std::max(pos.column, 1), ": ", OneLine(e.msg)));
  }
  if (!errors_.empty()) {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> lines;
    for (auto& [pos, line] : errors_) lines.push_back(std::move(line));
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return p;
}

}  // namespace

absl::StatusOr<LifecyclePolicy> LifecyclePolicy::Parse(const std::string& text,
                                                       const std::string& name) {
  return PolicyParser(name).Parse(text);
}

absl::StatusOr<LifecyclePolicy> LifecyclePolicy::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the lifecycle policy"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

LifecyclePolicy LifecyclePolicy::Default() {
  LifecyclePolicy p;
  p.grades[GradeIndex(v1::GRADE_I)] = {absl::Minutes(15), absl::Hours(2), OwnerLevel::kProvince};
  p.grades[GradeIndex(v1::GRADE_II)] = {absl::Minutes(30), absl::Hours(4), OwnerLevel::kCity};
  p.grades[GradeIndex(v1::GRADE_III)] = {absl::Hours(2), absl::Hours(24), OwnerLevel::kCounty};
  p.grades[GradeIndex(v1::GRADE_IV)] = {absl::Hours(4), absl::Hours(72), OwnerLevel::kStation};
  p.countdown = {0.5, 0.8};
  p.escalate_on_ack_overdue = 1;
  p.owner_chain = {OwnerLevel::kStation, OwnerLevel::kCounty, OwnerLevel::kCity,
                   OwnerLevel::kProvince};
  p.default_lookback = absl::Hours(24 * 7);
  for (const char* rule : {"R04", "R05", "R09", "R10", "R13-feeder"}) {
    p.lookback_rules.emplace(rule, absl::Hours(24 * 30));
  }
  p.reopen_grade_step = 1;
  return p;
}

int LifecyclePolicy::GradeIndex(v1::Grade grade) {
  return std::clamp(static_cast<int>(grade), static_cast<int>(v1::GRADE_IV),
                    static_cast<int>(v1::GRADE_I)) -
         static_cast<int>(v1::GRADE_IV);
}

absl::Duration LifecyclePolicy::LookbackFor(std::string_view rule_id) const {
  if (auto it = lookback_rules.find(rule_id); it != lookback_rules.end()) return it->second;
  if (const size_t dash = rule_id.find('-'); dash != std::string_view::npos) {
    if (auto it = lookback_rules.find(rule_id.substr(0, dash)); it != lookback_rules.end()) {
      return it->second;
    }
  }
  return default_lookback;
}

OwnerLevel LifecyclePolicy::OwnerAbove(OwnerLevel current) const {
  for (OwnerLevel level : owner_chain) {
    if (level > current) return level;
  }
  return OwnerLevel::kProvince;
}

}  // namespace vigil::lifecycle

#include "processors/deadlines/yaml_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::deadlines::internal {
namespace {

namespace fs = std::filesystem;

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

// Errors are one line each: control characters are escaped.
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

std::string Quote(std::string_view s) { return absl::StrCat("\"", OneLine(s), "\""); }

std::string Sub(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", std::string(key));
}

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

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(names[i]);
  }
  return out;
}

// Longest limit or duration accepted: larger values are certainly typos.
constexpr absl::Duration kMaxDuration = absl::Hours(24 * 3650);
constexpr int kMaxWorkingDays = 3650;

}  // namespace

SourcePos PosOf(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

std::string FormatError(std::string_view file, SourcePos pos, std::string_view path,
                        std::string_view what) {
  std::string out(file);
  if (pos.line > 0) absl::StrAppend(&out, ":", pos.line, ":", pos.column);
  absl::StrAppend(&out, ": ");
  if (!path.empty()) absl::StrAppend(&out, OneLine(path), ": ");
  absl::StrAppend(&out, OneLine(what));
  return out;
}

bool ParseDurationText(std::string_view s, absl::Duration* out) {
  if (s.empty()) return false;
  absl::Duration total = absl::ZeroDuration();
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) ++i;
    const std::string_view number = s.substr(start, i - start);
    double v = 0;
    if (!IsDecimal(number) || !absl::SimpleAtod(std::string(number), &v) || v > 1e7) return false;
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

bool ParseLimitText(std::string_view s, Limit* out) {
  if (s.size() > 2 && s.substr(s.size() - 2) == "wd") {
    const std::string_view number = s.substr(0, s.size() - 2);
    int n = 0;
    if (!std::all_of(number.begin(), number.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(std::string(number), &n)) {
      return false;
    }
    *out = Limit{.working_days = n};
    return true;
  }
  absl::Duration d;
  if (!ParseDurationText(s, &d)) return false;
  *out = Limit{.duration = d};
  return true;
}

std::string FormatLimit(const Limit& limit) {
  if (limit.working_days > 0) return absl::StrCat(limit.working_days, "wd");
  return absl::FormatDuration(limit.duration);
}

bool ParsePercentText(std::string_view s, double* out) {
  if (s.size() < 2 || s.back() != '%') return false;
  const std::string_view number = s.substr(0, s.size() - 1);
  double v = 0;
  if (!IsDecimal(number) || !absl::SimpleAtod(std::string(number), &v)) return false;
  *out = v / 100;
  return true;
}

absl::StatusOr<std::vector<std::string>> YamlFilesIn(const std::string& dir,
                                                     std::string_view what) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot list: ", ec.message()));
  std::vector<std::string> files;
  for (const fs::directory_entry& e : it) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || e.path().extension() != ".yaml") continue;
    std::error_code type_ec;
    if (!e.is_regular_file(type_ec)) continue;
    files.push_back(e.path().string());
  }
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no *.yaml ", std::string(what), " files"));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::Status ErrorsToStatus(const std::vector<std::string>& errors) {
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

Val Elem(const YAML::Node& node, const std::string& path, size_t i) {
  return {node, node.Mark(), absl::StrCat(path, "[", i, "]"), true};
}

Val MapView::Get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) {
      return {e.value, e.value.IsNull() ? e.key_node.Mark() : e.value.Mark(), Sub(path_, key),
              true};
    }
  }
  return {YAML::Node(), mark_, Sub(path_, key), false};
}

YAML::Mark MapView::KeyMark(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return e.key_node.Mark();
  }
  return mark_;
}

std::optional<YAML::Node> YamlReader::Load() {
  std::ifstream in(file_, std::ios::binary);
  if (!in) {
    errors_.push_back({{}, absl::StrCat(file_, ": cannot read the file")});
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    YAML::Node root = YAML::Load(text.str());
    if (!root.IsDefined() || root.IsNull()) {
      errors_.push_back({{1, 1}, FormatError(file_, {1, 1}, "", "the file is empty")});
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    Exception(e);
    return std::nullopt;
  }
}

void YamlReader::Exception(const YAML::Exception& e) {
  SourcePos pos = PosOf(e.mark);
  pos.line = std::max(pos.line, 1);
  pos.column = std::max(pos.column, 1);
  errors_.push_back({pos, FormatError(file_, pos, "", absl::StrCat("YAML error: ", e.msg))});
}

void YamlReader::Error(const YAML::Mark& mark, std::string_view path, std::string_view what) {
  const SourcePos pos = PosOf(mark);
  errors_.push_back({pos, FormatError(file_, pos, path, what)});
}

void YamlReader::ErrorAt(SourcePos pos, std::string_view path, std::string_view what) {
  errors_.push_back({pos, FormatError(file_, pos, path, what)});
}

void YamlReader::KeyError(const MapView& m, std::string_view key, std::string_view what) {
  Error(m.KeyMark(key), Sub(m.path(), key), what);
}

std::optional<MapView> YamlReader::Map(const Val& v, const std::vector<std::string_view>& allowed) {
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
      std::string_view best;
      size_t best_distance = 3;  // suggest only close matches
      for (std::string_view a : allowed) {
        const size_t d = EditDistance(key, a);
        if (d < best_distance) {
          best_distance = d;
          best = a;
        }
      }
      Error(kv.first.Mark(), path,
            absl::StrCat("unknown key",
                         best.empty() ? "" : absl::StrCat(" (did you mean ", Quote(best), "?)"),
                         "; allowed here: ", JoinNames(allowed)));
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

bool YamlReader::Required(const Val& v, std::string_view what) {
  if (v.present) return true;
  Error(v, absl::StrCat("missing; ", std::string(what)));
  return false;
}

bool YamlReader::Str(const Val& v, std::string* out) {
  if (!v.present) return false;
  if (!v.node.IsScalar() || v.node.Scalar().empty()) {
    Error(v, "must be a non-empty string");
    return false;
  }
  *out = v.node.Scalar();
  return true;
}

bool YamlReader::List(const Val& v, std::string_view what) {
  if (!v.node.IsSequence()) {
    Error(v, absl::StrCat("must be ", std::string(what)));
    return false;
  }
  if (v.node.size() == 0) {
    Error(v, "must not be empty (leave the key out instead)");
    return false;
  }
  return true;
}

bool YamlReader::PositiveDuration(const Val& v, absl::Duration* out) {
  if (!v.present) return false;
  absl::Duration d;
  if (!v.node.IsScalar() || !ParseDurationText(v.node.Scalar(), &d) || d <= absl::ZeroDuration() ||
      d > kMaxDuration) {
    Error(v,
          "must be a duration like \"90s\", \"15m\", \"24h\", \"7d\" or \"1h30m\", > 0 and "
          "at most 3650d");
    return false;
  }
  *out = d;
  return true;
}

bool YamlReader::LimitValue(const Val& v, Limit* out) {
  if (!v.present) return false;
  Limit l;
  if (!v.node.IsScalar() || !ParseLimitText(v.node.Scalar(), &l) ||
      (l.working_days == 0 && l.duration <= absl::ZeroDuration()) ||
      l.working_days > kMaxWorkingDays || l.duration > kMaxDuration) {
    Error(v,
          "must be a duration like \"45m\", \"3h\", \"24h\" or working days like \"4wd\", > 0 "
          "and at most 3650d / 3650wd");
    return false;
  }
  *out = l;
  return true;
}

bool YamlReader::Percent(const Val& v, double min_exclusive, double max_inclusive, double* out) {
  if (!v.present) return false;
  double p = 0;
  if (!v.node.IsScalar() || !ParsePercentText(v.node.Scalar(), &p) || p <= min_exclusive ||
      p > max_inclusive) {
    Error(v, absl::StrCat("must be a percentage like \"70%\", above ", min_exclusive * 100,
                          "% and at most ", max_inclusive * 100, "%"));
    return false;
  }
  *out = p;
  return true;
}

bool YamlReader::Grade(const Val& v, v1::Grade* out) {
  if (!v.present) return false;
  static constexpr std::pair<std::string_view, v1::Grade> kGrades[] = {
      {"IV", v1::GRADE_IV}, {"III", v1::GRADE_III}, {"II", v1::GRADE_II}, {"I", v1::GRADE_I}};
  if (v.node.IsScalar()) {
    for (const auto& [name, grade] : kGrades) {
      if (v.node.Scalar() == name) {
        *out = grade;
        return true;
      }
    }
  }
  Error(v, absl::StrCat(v.node.IsScalar() ? absl::StrCat(Quote(v.node.Scalar()), " is not a grade")
                                          : std::string("must be a grade"),
                        "; allowed: IV | III | II | I"));
  return false;
}

bool YamlReader::EnumName(const Val& v, const google::protobuf::EnumDescriptor* d, int* out) {
  const google::protobuf::EnumValueDescriptor* value =
      v.node.IsScalar() ? d->FindValueByName(v.node.Scalar()) : nullptr;
  if (value == nullptr || value->number() == 0) {
    std::vector<std::string> names;
    for (int i = 0; i < d->value_count(); ++i) {
      if (d->value(i)->number() != 0) names.push_back(d->value(i)->name());
    }
    Error(v, absl::StrCat(v.node.IsScalar() ? Quote(v.node.Scalar()) : "a non-name", " is not a ",
                          d->full_name(), " name; allowed: ", absl::StrJoin(names, ", ")));
    return false;
  }
  *out = value->number();
  return true;
}

std::vector<std::string> YamlReader::TakeErrors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
  });
  std::vector<std::string> out;
  out.reserve(errors_.size());
  for (auto& e : errors_) out.push_back(std::move(e.second));
  errors_.clear();
  return out;
}

}  // namespace vigil::deadlines::internal

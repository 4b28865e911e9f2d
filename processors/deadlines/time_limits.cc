// The time-limit table file (rules/limits/time_limits.yaml).

#include "processors/deadlines/time_limits.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "processors/deadlines/yaml_reader.h"

namespace vigil::deadlines {
namespace {

using internal::Elem;
using internal::MapView;
using internal::Val;
using internal::YamlReader;

// Clock names and subtypes: 1–32 characters of [a-z0-9_] (Ticket.subtype).
bool IsLowerName(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

std::string ClassName(v1::AreaClass cls) {
  return cls == v1::AREA_CLASS_UNSPECIFIED ? std::string("any") : v1::AreaClass_Name(cls);
}

}  // namespace

absl::StatusOr<TimeLimitTable> TimeLimitTable::Load(const std::string& path) {
  YamlReader r(path);
  TimeLimitTable table;
  std::optional<YAML::Node> root = r.Load();
  if (!root) return internal::ErrorsToStatus(r.TakeErrors());
  try {
    const Val top(*root, root->Mark(), "", true);
    const std::optional<MapView> m = r.Map(top, {"time_limits"});
    const Val list = m ? m->Get("time_limits") : top;
    if (m && r.Required(list, "a list of rows {clock, kind, limit, source, tag, ...}") &&
        r.List(list, "a list of rows {clock, kind, limit, source, tag, ...}")) {
      // The kind each clock was first given with: one kind per clock.
      std::vector<std::pair<std::string, std::pair<int, int>>> clock_kinds;  // clock, kind, line
      for (size_t i = 0; i < list.node.size(); ++i) {
        const Val item = Elem(list.node[i], list.path, i);
        const std::optional<MapView> row =
            r.Map(item, {"clock", "kind", "subtype", "area_class", "limit", "source", "tag"});
        if (!row) continue;
        const size_t errors = r.error_count();
        TimeLimitRow out;
        out.file = path;
        out.line = internal::PosOf(item.mark).line;
        const Val clock = row->Get("clock");
        if (r.Required(clock, "the clock's name, e.g. repair_arrival") &&
            r.Str(clock, &out.clock) && !IsLowerName(out.clock)) {
          r.Error(clock, "must be 1-32 characters of [a-z0-9_]");
        }
        const Val kind = row->Get("kind");
        int kind_value = 0;
        if (kind.present && r.EnumName(kind, v1::Ticket::Kind_descriptor(), &kind_value) &&
            !out.clock.empty()) {
          const auto first = std::find_if(clock_kinds.begin(), clock_kinds.end(),
                                          [&](const auto& c) { return c.first == out.clock; });
          if (first == clock_kinds.end()) {
            clock_kinds.push_back({out.clock, {kind_value, out.line}});
          } else if (first->second.first != kind_value) {
            r.Error(kind, absl::StrCat("clock ", out.clock, " is for kind ",
                                       v1::Ticket::Kind_Name(first->second.first), " (line ",
                                       first->second.second, "); one kind per clock"));
          }
        }
        const Val subtype = row->Get("subtype");
        if (r.Str(subtype, &out.subtype) && !IsLowerName(out.subtype)) {
          r.Error(subtype, "must be 1-32 characters of [a-z0-9_] (Ticket.subtype)");
        }
        const Val cls = row->Get("area_class");
        int cls_value = 0;
        if (cls.present && r.EnumName(cls, v1::AreaClass_descriptor(), &cls_value)) {
          out.area_class = static_cast<v1::AreaClass>(cls_value);
        }
        const Val limit = row->Get("limit");
        if (r.Required(limit, "the limit, e.g. \"45m\", \"24h\" or \"4wd\" (working days)")) {
          r.LimitValue(limit, &out.limit);
        }
        const Val source = row->Get("source");
        if (r.Required(source, "where the number comes from (URL or document)")) {
          r.Str(source, &out.source);
        }
        const Val tag = row->Get("tag");
        if (r.Required(tag, "the provenance tag: S | S* | M | I") && r.Str(tag, &out.tag) &&
            out.tag != "S" && out.tag != "S*" && out.tag != "M" && out.tag != "I") {
          r.Error(tag, absl::StrCat("\"", out.tag, "\" is not a tag; allowed: S | S* | M | I"));
        }
        if (r.error_count() != errors) continue;
        for (const TimeLimitRow& other : table.rows_) {
          if (other.clock == out.clock && other.subtype == out.subtype &&
              other.area_class == out.area_class) {
            r.Error(item,
                    absl::StrCat("duplicate row for clock ", out.clock, ", subtype ",
                                 out.subtype.empty() ? "any" : out.subtype, ", class ",
                                 ClassName(out.area_class), " (first at line ", other.line, ")"));
            break;
          }
        }
        table.rows_.push_back(std::move(out));
      }
    }
  } catch (const YAML::Exception& e) {
    r.Exception(e);
  }
  std::vector<std::string> errors = r.TakeErrors();
  if (!errors.empty()) return internal::ErrorsToStatus(errors);
  return table;
}

const TimeLimitRow* TimeLimitTable::Find(std::string_view clock, v1::AreaClass cls,
                                         std::string_view subtype) const {
  const TimeLimitRow* best = nullptr;
  int best_score = -1;
  for (const TimeLimitRow& row : rows_) {
    if (row.clock != clock) continue;
    if (!row.subtype.empty() && row.subtype != subtype) continue;
    if (row.area_class != v1::AREA_CLASS_UNSPECIFIED && row.area_class != cls) continue;
    const int score =
        (row.subtype.empty() ? 0 : 2) + (row.area_class == v1::AREA_CLASS_UNSPECIFIED ? 0 : 1);
    if (score > best_score) {
      best = &row;
      best_score = score;
    }
  }
  return best;
}

bool TimeLimitTable::HasClock(std::string_view clock) const {
  return std::any_of(rows_.begin(), rows_.end(),
                     [&](const TimeLimitRow& row) { return row.clock == clock; });
}

std::vector<std::string> TimeLimitTable::Clocks() const {
  std::vector<std::string> out;
  for (const TimeLimitRow& row : rows_) out.push_back(row.clock);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace vigil::deadlines

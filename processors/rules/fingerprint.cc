// RuleSpec fingerprints: FNV-1a (64 bit) over a canonical text of the fields.
//
// Persisted next to rule state and compared across restarts and versions, so
// they must not depend on the process: no std::hash / absl::Hash, no pointer
// values, no unordered iteration. Lists whose order carries no meaning
// (filter values, tags) are sorted first. Bump the "v1" tags when the
// canonical text of existing fields changes; adding a field to the text
// changes every fingerprint, which resets rule state once on upgrade.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "processors/rules/rule_spec.h"

namespace vigil::rules {
namespace {

uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// "name=value;" fields; strings are length-prefixed so no value can imitate a separator.
class Canonical {
 public:
  explicit Canonical(std::string_view tag) { text_ = std::string(tag) + ";"; }

  void Str(std::string_view name, std::string_view v) {
    absl::StrAppend(&text_, std::string(name), "=", v.size(), ":", std::string(v), ";");
  }
  void Int(std::string_view name, int64_t v) {
    absl::StrAppend(&text_, std::string(name), "=", v, ";");
  }
  void Num(std::string_view name, double v) {
    // The bit pattern: exact, and unlike printf independent of the locale.
    if (v == 0) v = 0;  // -0.0 == 0.0
    absl::StrAppend(&text_, std::string(name), "=", absl::Hex(std::bit_cast<uint64_t>(v)), ";");
  }
  void Dur(std::string_view name, absl::Duration d) { Int(name, absl::ToInt64Nanoseconds(d)); }
  void OptNum(std::string_view name, const std::optional<double>& v) {
    if (v) {
      Num(name, *v);
    } else {
      absl::StrAppend(&text_, std::string(name), "=-;");
    }
  }
  void OptDur(std::string_view name, const std::optional<absl::Duration>& d) {
    if (d) {
      Dur(name, *d);
    } else {
      absl::StrAppend(&text_, std::string(name), "=-;");
    }
  }
  template <typename E>
  void Enums(std::string_view name, std::vector<E> values) {
    std::sort(values.begin(), values.end());
    absl::StrAppend(&text_, std::string(name), "=[");
    for (E v : values) absl::StrAppend(&text_, static_cast<int64_t>(v), ",");
    absl::StrAppend(&text_, "];");
  }

  void Filter(std::string_view name, const rules::Filter& f) {
    absl::StrAppend(&text_, std::string(name), "{");
    Enums("kind", f.ticket_kinds);
    Enums("category", f.categories);
    Enums("status", f.statuses);
    Enums("tags_any", f.tags_any);
    Enums("outage_kind", f.outage_kinds);
    Enums("phase", f.outage_phases);
    Int("important", f.important_customer_in_scope);
    Int("min_calls", f.min_call_count);
    absl::StrAppend(&text_, "}");
  }
  void Thresholds(std::string_view name, const rules::Thresholds& t) {
    absl::StrAppend(&text_, std::string(name), "{");
    for (int g = 0; g < kGrades; ++g) {
      OptNum("raise", t.raise[g]);
      OptNum("clear", t.clear[g]);
    }
    absl::StrAppend(&text_, "}");
  }

  uint64_t Hash() const { return Fnv1a(text_); }

 private:
  std::string text_;
};

// What the rule's state depends on.
void AddStateFields(const RuleSpec& r, Canonical* c) {
  c->Int("stream", static_cast<int>(r.stream));
  c->Filter("filter", r.filter);
  c->Int("key", static_cast<int>(r.key));
  c->Int("window.kind", static_cast<int>(r.window.kind));
  c->Dur("window.size", r.window.size);
  c->Dur("window.advance", r.window.advance);
  c->Dur("window.gap", r.window.gap);
  c->Dur("window.lateness", r.window.allowed_lateness);
  c->Int("measure", static_cast<int>(r.measure));
  c->Str("sum_field", r.sum_field);
  c->Filter("numerator", r.numerator);
  c->Int("baseline.history_days", r.baseline.history_days);
  c->Int("baseline.min_history_days", r.baseline.min_history_days);
  c->Num("baseline.min_baseline", r.baseline.min_baseline);
}

}  // namespace

uint64_t RuleSpec::StateFingerprint() const {
  Canonical c("vigil.rule.state.v1");
  AddStateFields(*this, &c);
  return c.Hash();
}

uint64_t RuleSpec::DefinitionFingerprint() const {
  // Everything but where the rule was written (file, line).
  Canonical c("vigil.rule.definition.v1");
  c.Str("id", id);
  c.Str("version", version);
  c.Str("title", title);
  c.Str("description", description);
  AddStateFields(*this, &c);
  // The gate is checked when a warning would be raised; it does not shape the state.
  c.Int("outage_gate", static_cast<int>(outage_gate));
  c.Thresholds("thresholds", thresholds);
  c.Dur("min_dwell", min_dwell);
  for (const GradeFloor& f : floors) {  // order kept: the list as written
    c.Int("floor.when", static_cast<int>(f.when));
    c.Enums("floor.tags", f.tags);
    c.Int("floor.level", f.important_level);
    c.Num("floor.value", f.value);
    c.Dur("floor.duration", f.duration);
    c.Int("floor.grade", f.grade);
  }
  c.Str("fold_into", fold_into);
  c.OptDur("resolve.below_for", resolve.below_for);
  c.OptDur("resolve.quiet_for", resolve.quiet_for);
  c.Enums("resolve.outage_phases", resolve.outage_phases);
  c.Int("resolve.outage_registered", resolve.outage_registered);
  c.Int("update_on_evidence", update_on_evidence);
  c.Dur("state_ttl", state_ttl);
  c.Str("message", message);
  for (const Override& o : overrides) {
    c.Str("override.region", o.region_prefix);
    c.Int("override.area_class", o.area_class);
    c.Thresholds("override.thresholds", o.thresholds);
  }
  return c.Hash();
}

}  // namespace vigil::rules

#include "processors/engine/rule_engine.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/engine/event_keys.h"
#include "processors/engine/open_outages.h"
#include "processors/engine/rule_filter.h"
#include "processors/engine/window_measure.h"
#include "processors/ingest/region.h"
#include "processors/warnings/warning_format.h"
#include "processors/warnings/warning_id.h"

namespace vigil::engine {
namespace {

using rules::KeyLevel;
using rules::MeasureKind;
using rules::RuleSpec;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int kMaxEvidenceIds = 20;

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }
int64_t ToMs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}
google::protobuf::Timestamp FromMs(int64_t ms) {
  google::protobuf::Timestamp t;
  int64_t s = ms / 1000, r = ms % 1000;
  if (r < 0) --s, r += 1000;
  t.set_seconds(s);
  t.set_nanos(static_cast<int32_t>(r * 1000000));
  return t;
}
int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }

const char* GradeRoman(int g) {
  static constexpr const char* kNames[] = {"IV", "III", "II", "I"};
  return g >= 0 && g < 4 ? kNames[g] : "-";
}

// "30d", "36h", "15m": whole days when the span is whole days.
std::string FormatSpan(absl::Duration d) {
  absl::Duration rem;
  const int64_t days = absl::IDivDuration(d, absl::Hours(24), &rem);
  if (days >= 1 && rem == absl::ZeroDuration()) return absl::StrCat(days, "d");
  return absl::FormatDuration(d);
}

std::string FormatTimeMs(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

struct KeyState {
  v1::Region region;
  std::vector<Entry> entries;
  int64_t max_time = std::numeric_limits<int64_t>::min();
  int64_t last_activity = std::numeric_limits<int64_t>::min();
  std::map<int64_t, uint32_t> bins;
  int64_t first_bin = std::numeric_limits<int64_t>::min();
  int64_t open_start = 0;
  bool open_ended = false;
  uint32_t affected = 0;
  int important_level = 0;
  std::optional<v1::Warning> active;
  int64_t grade_since = 0;
  int64_t below_since = -1;
  int64_t last_evidence = 0;
  std::string folded_into;
  int64_t last_eval = std::numeric_limits<int64_t>::min();
  int child_floor = -1;  // highest grade of the warnings folded into this one
  int64_t due = kNever;
};

struct RuleRt {
  RuleRt(const RuleSpec* s) : spec(s), measure(s->window, s->measure) {
    state_fp = s->StateFingerprint();
    def_fp = s->DefinitionFingerprint();
    lowest = -1;
    for (int g = 0; g < rules::kGrades; ++g) {
      if (s->thresholds.raise[g]) {
        lowest = g;
        break;
      }
    }
  }
  const RuleSpec* spec;
  WindowMeasure measure;
  uint64_t state_fp = 0;
  uint64_t def_fp = 0;
  int lowest = 0;
  absl::node_hash_map<std::string, KeyState> keys;
  std::set<std::string> active_keys;
};

bool IsWindowMeasure(MeasureKind m) {
  return m == MeasureKind::kCount || m == MeasureKind::kDistinctCustomers ||
         m == MeasureKind::kSum || m == MeasureKind::kRatio;
}

reference::Scope ScopeOf(KeyLevel level) {
  switch (level) {
    case KeyLevel::kFeeder:
      return reference::Scope::kFeeder;
    case KeyLevel::kStation:
      return reference::Scope::kStation;
    case KeyLevel::kCounty:
      return reference::Scope::kCounty;
    case KeyLevel::kCity:
      return reference::Scope::kCity;
    default:
      return reference::Scope::kProvince;
  }
}

std::string ScopeId(const v1::Region& r, KeyLevel level) {
  switch (level) {
    case KeyLevel::kFeeder:
      return r.feeder_id();
    case KeyLevel::kStation:
      return r.station_id();
    case KeyLevel::kCounty:
      return r.county_code();
    case KeyLevel::kCity:
      return r.city_code();
    default:
      return r.province_code();
  }
}

}  // namespace

class RuleEngine::Impl {
 public:
  Impl(const reference::ReferenceStore* ref) : ref_(ref) {}

  void SetRules(const rules::RuleSet& set, std::vector<std::unique_ptr<RuleRt>> keep_from,
                ReloadReport* report, int64_t now, std::vector<v1::WarningEvent>* out);

  void Apply(const v1::Envelope& event, int64_t watermark, EngineOutput* out, bool* late);
  void Advance(int64_t wm, std::vector<v1::WarningEvent>* out);
  std::vector<StateChange> TakeDirty();
  bool Restore(const StateChange& rec);
  std::vector<v1::Warning> Active() const;
  size_t KeyCount() const {
    size_t n = 0;
    for (const auto& r : rules_) n += r->keys.size();
    return n;
  }
  std::vector<std::unique_ptr<RuleRt>> ReleaseRules() { return std::move(rules_); }

 private:
  friend class RuleEngine;
  KeyState& StateFor(RuleRt& rt, const std::string& key, const v1::Region& region);
  void ApplyToKey(RuleRt& rt, const EventKey& k, const v1::Envelope& event, int64_t t,
                  bool resolve_only, std::vector<v1::WarningEvent>* out);
  void FireDue(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t,
               std::vector<v1::WarningEvent>* out);
  // Evaluates the key at t. Returns false when the key's state was dropped.
  bool Evaluate(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t,
                const v1::Envelope* evidence, std::vector<v1::WarningEvent>* out);
  double Value(RuleRt& rt, KeyState& ks, int64_t t, bool at_event, WindowValue* window);
  rules::Thresholds Effective(const RuleRt& rt, const KeyState& ks) const;
  // `window_tags`: Ticket.Tag bits of the evidence in the current window.
  int FloorGrade(const RuleRt& rt, const KeyState& ks, int64_t t, uint32_t window_tags) const;
  bool GateOpen(const RuleRt& rt, const KeyState& ks) const;
  void Raise(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t, int grade, double value,
             const WindowValue& wv, const v1::Envelope* evidence,
             std::vector<v1::WarningEvent>* out);
  void Emit(RuleRt& rt, KeyState& ks, v1::WarningEvent::Type type, int64_t t,
            std::vector<v1::WarningEvent>* out);
  void Resolve(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t, const std::string& why,
               std::vector<v1::WarningEvent>* out);
  void Describe(const RuleRt& rt, const std::string& key, KeyState& ks, double value,
                const WindowValue& wv);
  void FillEvidence(const RuleRt& rt, KeyState& ks, const WindowValue& wv, double value);
  void Schedule(RuleRt& rt, const std::string& key, KeyState& ks, int64_t due);
  int64_t NextDue(RuleRt& rt, KeyState& ks, int64_t t, const rules::Thresholds& th, double value);
  int64_t Ttl(const RuleRt& rt, bool active) const;
  // A key with no active warning can be dropped: nothing in its window, or
  // no input for its TTL.
  bool Idle(const RuleRt& rt, const KeyState& ks, int64_t t) const;
  void Drop(RuleRt& rt, const std::string& key);
  void MarkDirty(const RuleRt& rt, const std::string& key) { dirty_.emplace(rt.spec->id, key); }
  void OutageOpened(const internal::OpenOutage& o, int64_t t, std::vector<v1::WarningEvent>* out);
  // Records a child warning (`folded` = "<rule>:<key>", at `grade`) in the
  // parent's active warning: listed in folded_keys, and the parent's grade
  // is at least the child's. Emits an update when something changed.
  void FoldChild(RuleRt& parent, const std::string& pkey, const std::string& folded, int grade,
                 int64_t t, std::vector<v1::WarningEvent>* out);
  // `t`/`out`: the parent's timers due before t fire first (kNever: none).
  std::optional<std::string> ParentActive(const RuleRt& rt, const KeyState& ks, RuleRt** parent,
                                          std::string* pkey, int64_t t,
                                          std::vector<v1::WarningEvent>* out);

  const reference::ReferenceStore* ref_;
  std::vector<std::unique_ptr<RuleRt>> rules_;  // coarse region levels first, then file order
  absl::flat_hash_map<std::string, RuleRt*> by_id_;
  std::set<std::tuple<int64_t, std::string, std::string>> timers_;  // (due, rule id, key)
  std::set<std::pair<std::string, std::string>> dirty_;
  OpenOutages outages_;
};

// ---------------------------------------------------------------------------
// Rules and reload

void RuleEngine::Impl::SetRules(const rules::RuleSet& set, std::vector<std::unique_ptr<RuleRt>> old,
                                ReloadReport* report, int64_t now,
                                std::vector<v1::WarningEvent>* out) {
  absl::flat_hash_map<std::string, RuleRt*> old_by_id;
  for (auto& r : old) old_by_id[r->spec->id] = r.get();
  std::vector<std::unique_ptr<RuleRt>> next;
  for (const RuleSpec& spec : set.rules) next.push_back(std::make_unique<RuleRt>(&spec));
  std::stable_sort(next.begin(), next.end(), [](const auto& a, const auto& b) {
    return RegionRank(a->spec->key) > RegionRank(b->spec->key);
  });
  timers_.clear();
  std::vector<RuleRt*> reevaluate;
  for (auto& rt : next) {
    auto it = old_by_id.find(rt->spec->id);
    if (it == old_by_id.end()) {
      if (report) report->added.push_back(rt->spec->id);
      continue;
    }
    RuleRt* o = it->second;
    if (o->state_fp == rt->state_fp) {
      rt->keys = std::move(o->keys);
      rt->active_keys = std::move(o->active_keys);
      if (o->def_fp == rt->def_fp) {
        if (report) report->kept.push_back(rt->spec->id);
      } else {
        if (report) report->changed.push_back(rt->spec->id);
        reevaluate.push_back(rt.get());
      }
    } else {
      if (report) report->reset.push_back(rt->spec->id);
      for (const std::string& key : std::set<std::string>(o->active_keys)) {
        KeyState& ks = o->keys[key];
        Resolve(*o, key, ks, std::max(now, ks.last_eval), "rule definition changed; state reset",
                out);
      }
      for (const auto& [key, ks] : o->keys) dirty_.emplace(o->spec->id, key);
    }
    old_by_id.erase(it);
  }
  for (auto& [id, o] : old_by_id) {
    if (report) report->removed.push_back(id);
    for (const std::string& key : std::set<std::string>(o->active_keys)) {
      KeyState& ks = o->keys[key];
      Resolve(*o, key, ks, std::max(now, ks.last_eval), "rule removed", out);
    }
    for (const auto& [key, ks] : o->keys) dirty_.emplace(id, key);
  }
  rules_ = std::move(next);
  by_id_.clear();
  for (auto& rt : rules_) by_id_[rt->spec->id] = rt.get();
  // Rebuild the timer index (rule objects changed).
  for (auto& rt : rules_) {
    for (auto& [key, ks] : rt->keys) {
      if (ks.due != kNever) timers_.emplace(ks.due, rt->spec->id, key);
    }
  }
  if (now == std::numeric_limits<int64_t>::min()) return;
  for (RuleRt* rt : reevaluate) {
    std::vector<std::string> keys;
    for (const auto& [key, ks] : rt->keys) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      auto it = rt->keys.find(key);
      if (it == rt->keys.end()) continue;
      const int64_t t = std::max(now, it->second.last_eval);
      FireDue(*rt, key, it->second, t, out);
      it = rt->keys.find(key);
      if (it == rt->keys.end()) continue;
      Evaluate(*rt, key, it->second, t, nullptr, out);
    }
  }
}

// ---------------------------------------------------------------------------
// Events

KeyState& RuleEngine::Impl::StateFor(RuleRt& rt, const std::string& key, const v1::Region& region) {
  auto [it, inserted] = rt.keys.try_emplace(key);
  if (inserted) it->second.region = region;
  return it->second;
}

void RuleEngine::Impl::Apply(const v1::Envelope& event, int64_t watermark, EngineOutput* out,
                             bool* late) {
  *late = false;
  const int64_t t = ToMs(event.event_time());
  // Which rules see the event; lateness is judged before anything changes.
  std::vector<std::pair<RuleRt*, bool>> matched;  // (rule, resolve-only)
  for (auto& rt : rules_) {
    const RuleSpec& s = *rt->spec;
    if (!StreamMatches(s.stream, event)) continue;
    bool resolve_only = false;
    if (!FilterMatches(s.filter, event, *ref_)) {
      // Events that end a keyed outage reach its key whatever the filter.
      if (!(s.key == KeyLevel::kOutage && event.has_outage() &&
            std::find(s.resolve.outage_phases.begin(), s.resolve.outage_phases.end(),
                      event.outage().phase()) != s.resolve.outage_phases.end())) {
        continue;
      }
      resolve_only = true;
    }
    if (watermark != std::numeric_limits<int64_t>::min() &&
        t < watermark - Ms(s.window.allowed_lateness)) {
      *late = true;
      out->rejection = ingest::Rejection{
          ingest::RejectReason::kLate,
          absl::StrCat("event time ", FormatTimeMs(t), " is ",
                       absl::FormatDuration(absl::Milliseconds(watermark - t)),
                       " behind the watermark ", FormatTimeMs(watermark), "; rule ", s.id,
                       " allows ", absl::FormatDuration(s.window.allowed_lateness))};
      return;
    }
    matched.emplace_back(rt.get(), resolve_only);
  }
  if (event.has_outage()) {
    bool opened = false;
    if (outages_.Apply(event, *ref_, &opened) && opened) {
      if (const internal::OpenOutage* o = outages_.Find(event.outage().outage_id())) {
        OutageOpened(*o, t, &out->events);
      }
    }
  }
  for (auto& [rt, resolve_only] : matched) {
    for (const EventKey& k : KeysOf(event, rt->spec->key, *ref_)) {
      ApplyToKey(*rt, k, event, t, resolve_only, &out->events);
    }
  }
}

void RuleEngine::Impl::ApplyToKey(RuleRt& rt, const EventKey& k, const v1::Envelope& event,
                                  int64_t t, bool resolve_only,
                                  std::vector<v1::WarningEvent>* out) {
  const RuleSpec& s = *rt.spec;
  if (resolve_only && !rt.keys.contains(k.key)) return;
  FireDue(rt, k.key, StateFor(rt, k.key, k.region), t, out);
  // (An expiry that fired just now dropped the old state: the event starts a
  // fresh one, exactly as if the watermark had expired it earlier.)
  if (resolve_only && !rt.keys.contains(k.key)) return;
  KeyState& st = StateFor(rt, k.key, k.region);
  MarkDirty(rt, k.key);
  if (resolve_only) {
    st.open_ended = true;
    st.last_activity = std::max(st.last_activity, t);
    if (st.active) {
      Resolve(rt, k.key, st, t,
              absl::StrCat("outage ", event.outage().outage_id(), " ",
                           v1::OutageEvent::Phase_Name(event.outage().phase())),
              out);
    }
    Evaluate(rt, k.key, st, t, nullptr, out);
    return;
  }
  bool added = true;
  if (s.measure == MeasureKind::kRateVsBaseline) {
    const int64_t bin = FloorTo(t, Ms(s.window.size));
    ++st.bins[bin];
    if (st.first_bin == std::numeric_limits<int64_t>::min() || bin < st.first_bin) {
      st.first_bin = bin;
    }
    const int64_t keep_from = bin - (s.baseline.history_days + 1) * kDayMs;
    while (!st.bins.empty() && st.bins.begin()->first < keep_from) st.bins.erase(st.bins.begin());
  } else {
    Entry e;
    e.time_ms = t;
    e.event_id = event.event_id();
    if (event.has_ticket()) {
      e.entity_id = event.ticket().ticket_id();
      e.customer_id = event.ticket().customer_id();
    } else if (event.has_repeat_call()) {
      e.entity_id = event.repeat_call().call_id();
      e.customer_id = event.repeat_call().customer_id();
      if (s.sum_field == "call_count") e.value = event.repeat_call().call_count();
    } else if (event.has_outage()) {
      e.entity_id = s.key == KeyLevel::kOutage ? event.event_id() : event.outage().outage_id();
      if (s.sum_field == "affected_customers") e.value = event.outage().affected_customers();
    }
    if (s.measure == MeasureKind::kRatio && FilterMatches(s.numerator, event, *ref_)) {
      e.flags |= kNumeratorFlag;
    }
    e.flags |= TagBits(event, *ref_);
    const int64_t span =
        s.window.kind == rules::WindowKind::kSession ? Ms(s.window.gap) : Ms(s.window.size);
    added = InsertEntry(&st.entries, std::move(e), span);
    const int64_t retain = rt.measure.RetainFrom(st.entries, std::max(st.max_time, t));
    if (retain != std::numeric_limits<int64_t>::min()) {
      auto cut = std::lower_bound(st.entries.begin(), st.entries.end(), retain,
                                  [](const Entry& x, int64_t v) { return x.time_ms < v; });
      st.entries.erase(st.entries.begin(), cut);
    }
  }
  if (!added) {
    // The same ticket / outage / call again: no new evidence. Measures over
    // state outside the window (open outages) may still have changed.
    if (!IsWindowMeasure(s.measure) && s.measure != MeasureKind::kRateVsBaseline) {
      st.last_activity = std::max(st.last_activity, t);
      Evaluate(rt, k.key, st, t, nullptr, out);
    }
    return;
  }
  if (event.has_outage()) {
    const v1::OutageEvent& o = event.outage();
    if (st.open_start == 0 && s.key == KeyLevel::kOutage) {
      st.open_start = o.has_start_time() ? ToMs(o.start_time()) : t;
    }
    st.affected = std::max(st.affected, o.affected_customers());
    const int level = ImportantLevelInScope(event, *ref_);
    if (level != 0 && (st.important_level == 0 || level < st.important_level)) {
      st.important_level = level;
    }
  }
  st.max_time = std::max(st.max_time, t);
  st.last_activity = std::max(st.last_activity, t);
  Evaluate(rt, k.key, st, t, &event, out);
}

void RuleEngine::Impl::FireDue(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t,
                               std::vector<v1::WarningEvent>* out) {
  for (int guard = 0; guard < 10000 && ks.due <= t; ++guard) {
    const int64_t due = ks.due;
    Schedule(rt, key, ks, kNever);
    if (!Evaluate(rt, key, ks, due, nullptr, out)) return;
  }
}

void RuleEngine::Impl::OutageOpened(const internal::OpenOutage& o, int64_t t,
                                    std::vector<v1::WarningEvent>* out) {
  // Warnings waiting for an outage record (R12) resolve once an open outage
  // covers their region — the same test as the `outage: none` gate.
  for (auto& rt : rules_) {
    if (!rt->spec->resolve.outage_registered) continue;
    for (const std::string& key :
         std::vector<std::string>(rt->active_keys.begin(), rt->active_keys.end())) {
      auto it = rt->keys.find(key);
      if (it == rt->keys.end() || !outages_.Covers(it->second.region)) continue;
      FireDue(*rt, key, it->second, t, out);
      it = rt->keys.find(key);
      if (it == rt->keys.end() || !it->second.active) continue;
      MarkDirty(*rt, key);
      Resolve(*rt, key, it->second, t, absl::StrCat("outage ", o.outage_id(), " registered"), out);
      Schedule(*rt, key, it->second, NextDue(*rt, it->second, t, Effective(*rt, it->second), 0));
    }
  }
}

// ---------------------------------------------------------------------------
// Evaluation

double RuleEngine::Impl::Value(RuleRt& rt, KeyState& ks, int64_t t, bool at_event,
                               WindowValue* wv) {
  const RuleSpec& s = *rt.spec;
  switch (s.measure) {
    case MeasureKind::kRateVsBaseline: {
      const int64_t size = Ms(s.window.size);
      const int64_t bin = FloorTo(t, size);
      auto it = ks.bins.find(bin);
      const double count = it == ks.bins.end() ? 0 : it->second;
      // Days of history before this bin's day that have data.
      std::vector<double> same_slot;
      for (int d = 1; d <= s.baseline.history_days; ++d) {
        const int64_t b = bin - d * kDayMs;
        if (b < FloorTo(ks.first_bin, kDayMs)) break;
        auto h = ks.bins.find(b);
        same_slot.push_back(h == ks.bins.end() ? 0 : h->second);
      }
      double baseline = s.baseline.min_baseline;
      if (static_cast<int>(same_slot.size()) >= s.baseline.min_history_days && !same_slot.empty()) {
        std::sort(same_slot.begin(), same_slot.end());
        const size_t n = same_slot.size();
        const double median =
            n % 2 ? same_slot[n / 2] : (same_slot[n / 2 - 1] + same_slot[n / 2]) / 2;
        baseline = std::max(median, s.baseline.min_baseline);
      }
      wv->start_ms = bin;
      wv->end_ms = bin + size;
      return baseline > 0 ? count / baseline : 0;
    }
    case MeasureKind::kCustomersOutShare: {
      const uint64_t total = ref_->CustomersIn(ScopeOf(s.key), ScopeId(ks.region, s.key));
      const uint64_t out = outages_.CustomersOut(ScopeOf(s.key), ScopeId(ks.region, s.key));
      wv->start_ms = wv->end_ms = t;
      return total == 0 ? 0 : static_cast<double>(out) / static_cast<double>(total);
    }
    case MeasureKind::kOpenDuration: {
      wv->start_ms = ks.open_start;
      wv->end_ms = t;
      wv->first = 0;
      wv->last = ks.entries.size();
      if (ks.open_start == 0 || ks.open_ended || t < ks.open_start) return 0;
      return static_cast<double>(t - ks.open_start) / 1000.0;
    }
    default:
      *wv = at_event ? rt.measure.AtEvent(ks.entries, t) : rt.measure.AtTime(ks.entries, t);
      return wv->value;
  }
}

rules::Thresholds RuleEngine::Impl::Effective(const RuleRt& rt, const KeyState& ks) const {
  const RuleSpec& s = *rt.spec;
  rules::Thresholds th = s.thresholds;
  if (s.overrides.empty()) return th;
  v1::AreaClass cls = v1::AREA_CLASS_UNSPECIFIED;
  if (const v1::AreaInfo* a = ref_->Area(ks.region.area_id())) cls = a->area_class();
  // Least specific first so that the most specific override wins per grade.
  std::vector<const rules::Override*> matching;
  for (const rules::Override& o : s.overrides) {
    if (o.area_class != v1::AREA_CLASS_UNSPECIFIED && o.area_class != cls) continue;
    if (!o.region_prefix.empty()) {
      const auto starts = [&](const std::string& code) {
        return !code.empty() && code.rfind(o.region_prefix, 0) == 0;
      };
      if (!starts(ks.region.county_code()) && !starts(ks.region.city_code()) &&
          !starts(ks.region.province_code())) {
        continue;
      }
    }
    matching.push_back(&o);
  }
  std::stable_sort(matching.begin(), matching.end(), [](const auto* a, const auto* b) {
    if (a->region_prefix.size() != b->region_prefix.size()) {
      return a->region_prefix.size() < b->region_prefix.size();
    }
    return (a->area_class != v1::AREA_CLASS_UNSPECIFIED) <
           (b->area_class != v1::AREA_CLASS_UNSPECIFIED);
  });
  for (const rules::Override* o : matching) {
    for (int g = 0; g < rules::kGrades; ++g) {
      if (o->thresholds.raise[g]) {
        th.raise[g] = o->thresholds.raise[g];
        th.clear[g] = o->thresholds.clear[g];
      } else if (o->thresholds.clear[g]) {
        th.clear[g] = o->thresholds.clear[g];
      }
    }
  }
  return th;
}

int RuleEngine::Impl::FloorGrade(const RuleRt& rt, const KeyState& ks, int64_t t,
                                 uint32_t window_tags) const {
  int floor = -1;
  for (const rules::GradeFloor& f : rt.spec->floors) {
    bool holds = false;
    switch (f.when) {
      case rules::GradeFloor::When::kTagged:
        for (v1::Ticket::Tag tag : f.tags) holds |= (window_tags & TagBit(tag)) != 0;
        break;
      case rules::GradeFloor::When::kImportantLevel: {
        int level = ks.important_level;
        if (level == 0 && !ks.region.area_id().empty()) {
          level = ref_->MostImportantIn(ks.region.area_id());
        }
        holds = level != 0 && level <= static_cast<int>(f.important_level);
        break;
      }
      case rules::GradeFloor::When::kCustomersAtLeast:
        holds = ks.affected >= f.value;
        break;
      case rules::GradeFloor::When::kActiveFor:
        holds = ks.active && t - ToMs(ks.active->raised_at()) >= Ms(f.duration);
        break;
      case rules::GradeFloor::When::kAreaTagged: {
        std::vector<std::string> areas;
        if (!ks.region.area_id().empty()) areas.push_back(ks.region.area_id());
        if (rt.spec->key == KeyLevel::kOutage && ks.active) {
          if (const auto* o = outages_.Find(ks.active->key().substr(7))) {
            areas.assign(o->area_ids().begin(), o->area_ids().end());
          }
        }
        for (const std::string& a : areas) {
          for (v1::Ticket::Tag tag : f.tags) holds |= ref_->AnyTaggedIn(a, tag);
        }
        break;
      }
    }
    if (holds) floor = std::max(floor, f.grade);
  }
  return floor;
}

bool RuleEngine::Impl::GateOpen(const RuleRt& rt, const KeyState& ks) const {
  switch (rt.spec->outage_gate) {
    case rules::OutageGate::kRequireOpen:
      return outages_.Covers(ks.region);
    case rules::OutageGate::kRequireNone:
      return !outages_.Covers(ks.region);
    default:
      return true;
  }
}

std::optional<std::string> RuleEngine::Impl::ParentActive(const RuleRt& rt, const KeyState& ks,
                                                          RuleRt** parent, std::string* pkey,
                                                          int64_t t,
                                                          std::vector<v1::WarningEvent>* out) {
  // The nearest ancestor along the fold_into chain with an active warning
  // over this key's region (an area folds into its station when the feeder
  // warning itself was folded there).
  const RuleRt* cur = &rt;
  for (int depth = 0; depth < 8 && !cur->spec->fold_into.empty(); ++depth) {
    auto it = by_id_.find(cur->spec->fold_into);
    if (it == by_id_.end()) return std::nullopt;
    const std::string key = RegionLevelKey(ks.region, it->second->spec->key);
    auto p = it->second->keys.find(key);
    if (!key.empty() && p != it->second->keys.end() && t != kNever) {
      // The parent acts at its own times too: fire what was due before t, so
      // folding does not depend on when the watermark happened to move.
      FireDue(*it->second, key, p->second, t, out);
      p = it->second->keys.find(key);
    }
    if (!key.empty() && p != it->second->keys.end() && p->second.active) {
      *parent = it->second;
      *pkey = key;
      return p->second.active->warning_id();
    }
    cur = it->second;
  }
  return std::nullopt;
}

// Whether `ancestor` is on rt's fold_into chain.
static bool FoldsInto(const RuleRt& rt, const std::string& ancestor,
                      const absl::flat_hash_map<std::string, RuleRt*>& by_id) {
  const RuleRt* cur = &rt;
  for (int depth = 0; depth < 8 && !cur->spec->fold_into.empty(); ++depth) {
    if (cur->spec->fold_into == ancestor) return true;
    auto it = by_id.find(cur->spec->fold_into);
    if (it == by_id.end()) return false;
    cur = it->second;
  }
  return false;
}

bool RuleEngine::Impl::Evaluate(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t,
                                const v1::Envelope* evidence, std::vector<v1::WarningEvent>* out) {
  const RuleSpec& s = *rt.spec;
  ks.last_eval = std::max(ks.last_eval, t);
  MarkDirty(rt, key);
  if (IsWindowMeasure(s.measure) && !evidence) {
    const int64_t retain = rt.measure.RetainFrom(ks.entries, t);
    if (retain != std::numeric_limits<int64_t>::min()) {
      auto cut = std::lower_bound(ks.entries.begin(), ks.entries.end(), retain,
                                  [](const Entry& x, int64_t v) { return x.time_ms < v; });
      ks.entries.erase(ks.entries.begin(), cut);
    }
  }
  WindowValue wv;
  const double value = Value(rt, ks, t, evidence != nullptr, &wv);
  const rules::Thresholds th = Effective(rt, ks);
  int raise = -1, hold = -1;
  for (int g = 0; g < rules::kGrades; ++g) {
    if (!th.raise[g]) continue;
    if (value >= *th.raise[g]) raise = g;
    if (value >= th.clear[g].value_or(*th.raise[g])) hold = g;
  }
  uint32_t window_tags = 0;
  {
    const size_t last =
        IsWindowMeasure(s.measure) ? std::min(wv.last, ks.entries.size()) : ks.entries.size();
    const size_t first = IsWindowMeasure(s.measure) ? std::min(wv.first, last) : 0;
    for (size_t i = first; i < last; ++i) window_tags |= ks.entries[i].flags;
  }
  const int floor = FloorGrade(rt, ks, t, window_tags);

  if (!ks.active) {
    if (!ks.folded_into.empty()) {
      RuleRt* parent = nullptr;
      std::string pkey;
      if (ParentActive(rt, ks, &parent, &pkey, t, out) == ks.folded_into) {
        // Still folded; a worse child lifts the parent's grade.
        if (raise >= 0) {
          FoldChild(*parent, pkey, absl::StrCat(s.id, ":", key), std::max(raise, floor), t, out);
        }
        // A folded key expires like any idle key (the parent keeps its grade).
        if (Idle(rt, ks, t)) {
          Drop(rt, key);
          return false;
        }
        Schedule(rt, key, ks, NextDue(rt, ks, t, th, value));
        return true;
      }
      ks.folded_into.clear();
    }
    // A floor alone never raises: it lifts a grade the measure reached.
    if (raise >= 0 && GateOpen(rt, ks)) {
      RuleRt* parent = nullptr;
      std::string pkey;
      if (auto pid = ParentActive(rt, ks, &parent, &pkey, t, out)) {
        ks.folded_into = *pid;
        FoldChild(*parent, pkey, absl::StrCat(s.id, ":", key), std::max(raise, floor), t, out);
      } else {
        Raise(rt, key, ks, t, std::max(raise, floor), value, wv, evidence, out);
      }
    }
  } else {
    const int grade = rules::GradeIndex(ks.active->grade());
    const int target = std::max(raise, floor);
    const int keep = std::max(hold, floor);
    bool changed = false;
    if (keep < 0) {
      if (ks.below_since < 0) ks.below_since = t;
    } else {
      ks.below_since = -1;
    }
    int next = grade;
    const int lower_bound = std::max(keep, ks.child_floor);  // folded children hold it up
    if (std::max(target, ks.child_floor) > grade) {
      next = std::max(target, ks.child_floor);
    } else if (lower_bound < grade && t - ks.grade_since >= Ms(s.min_dwell)) {
      next = std::max(lower_bound, rt.lowest);
    }
    if (next != grade) {
      ks.active->set_grade(rules::GradeOf(next));
      ks.grade_since = t;
      changed = true;
    }
    if (evidence) ks.last_evidence = t;
    FillEvidence(rt, ks, wv, value);
    Describe(rt, key, ks, value, wv);
    if (changed || (evidence && s.update_on_evidence)) {
      Emit(rt, ks, v1::WarningEvent::UPDATED, t, out);
    }
    // Resolution.
    std::string why;
    if (s.resolve.below_for && ks.below_since >= 0 &&
        t - ks.below_since >= Ms(*s.resolve.below_for)) {
      why = absl::StrCat("below the clear threshold for ",
                         absl::FormatDuration(*s.resolve.below_for));
    } else if (s.resolve.quiet_for && t - ks.last_evidence >= Ms(*s.resolve.quiet_for)) {
      why = absl::StrCat("no new evidence for ", absl::FormatDuration(*s.resolve.quiet_for));
    } else if (t - ks.last_activity >= Ttl(rt, true)) {
      why = absl::StrCat("state expired: no input for ",
                         absl::FormatDuration(absl::Milliseconds(Ttl(rt, true))));
    }
    if (!why.empty()) Resolve(rt, key, ks, t, why, out);
  }
  // Expiry of idle keys.
  if (!ks.active && ks.folded_into.empty() && Idle(rt, ks, t)) {
    Drop(rt, key);
    return false;
  }
  Schedule(rt, key, ks, NextDue(rt, ks, t, th, value));
  return true;
}

bool RuleEngine::Impl::Idle(const RuleRt& rt, const KeyState& ks, int64_t t) const {
  const bool empty = ks.entries.empty() && ks.bins.empty() && (ks.open_start == 0 || ks.open_ended);
  return (empty && rt.spec->measure != MeasureKind::kRateVsBaseline) ||
         t - ks.last_activity >= Ttl(rt, false);
}

int64_t RuleEngine::Impl::Ttl(const RuleRt& rt, bool active) const {
  const RuleSpec& s = *rt.spec;
  int64_t ttl;
  if (s.state_ttl > absl::ZeroDuration()) {
    ttl = Ms(s.state_ttl);
  } else if (s.measure == MeasureKind::kRateVsBaseline) {
    ttl = (s.baseline.history_days + 1) * kDayMs;
  } else if (IsWindowMeasure(s.measure)) {
    const absl::Duration span =
        s.window.kind == rules::WindowKind::kSession ? s.window.gap : s.window.size;
    ttl = Ms(span + s.window.allowed_lateness);
  } else {
    ttl = 7 * kDayMs;
  }
  if (active) {
    int64_t floor = 7 * kDayMs;
    if (s.resolve.quiet_for) floor = std::max(floor, 2 * Ms(*s.resolve.quiet_for));
    if (s.resolve.below_for) floor = std::max(floor, 2 * Ms(*s.resolve.below_for));
    if (s.state_ttl <= absl::ZeroDuration()) ttl = std::max(ttl, floor);
  }
  return ttl;
}

int64_t RuleEngine::Impl::NextDue(RuleRt& rt, KeyState& ks, int64_t t, const rules::Thresholds& th,
                                  double value) {
  const RuleSpec& s = *rt.spec;
  int64_t due = kNever;
  const auto consider = [&](int64_t d) {
    if (d > t && d < due) due = d;
  };
  const bool active = ks.active.has_value();
  if (active || !ks.folded_into.empty()) {
    if (IsWindowMeasure(s.measure)) consider(rt.measure.NextChange(ks.entries, t));
    if (s.measure == MeasureKind::kRateVsBaseline) {
      consider(FloorTo(t, Ms(s.window.size)) + Ms(s.window.size));
    }
  }
  if (s.measure == MeasureKind::kOpenDuration && ks.open_start != 0 && !ks.open_ended) {
    for (int g = 0; g < rules::kGrades; ++g) {
      if (th.raise[g] && *th.raise[g] > value) {
        consider(ks.open_start + static_cast<int64_t>(*th.raise[g] * 1000.0));
      }
    }
  }
  if (active) {
    const int grade = rules::GradeIndex(ks.active->grade());
    if (grade > rt.lowest) consider(ks.grade_since + Ms(s.min_dwell));
    if (s.resolve.below_for && ks.below_since >= 0) {
      consider(ks.below_since + Ms(*s.resolve.below_for));
    }
    if (s.resolve.quiet_for) consider(ks.last_evidence + Ms(*s.resolve.quiet_for));
    for (const rules::GradeFloor& f : s.floors) {
      if (f.when == rules::GradeFloor::When::kActiveFor) {
        consider(ToMs(ks.active->raised_at()) + Ms(f.duration));
      }
    }
    consider(ks.last_activity + Ttl(rt, true));
  } else {
    if (IsWindowMeasure(s.measure) && !ks.entries.empty()) {
      // When the newest entry can no longer be part of a window.
      const int64_t span =
          Ms(s.window.kind == rules::WindowKind::kSession ? s.window.gap : s.window.size);
      consider(ks.entries.back().time_ms + span + Ms(s.window.allowed_lateness));
    }
    consider(ks.last_activity + Ttl(rt, false));
  }
  return due;
}

void RuleEngine::Impl::Schedule(RuleRt& rt, const std::string& key, KeyState& ks, int64_t due) {
  if (ks.due == due) return;
  if (ks.due != kNever) timers_.erase({ks.due, rt.spec->id, key});
  ks.due = due;
  if (due != kNever) timers_.emplace(due, rt.spec->id, key);
}

void RuleEngine::Impl::Drop(RuleRt& rt, const std::string& key) {
  auto it = rt.keys.find(key);
  if (it == rt.keys.end()) return;
  if (it->second.due != kNever) timers_.erase({it->second.due, rt.spec->id, key});
  rt.active_keys.erase(key);
  rt.keys.erase(it);
  MarkDirty(rt, key);
}

// ---------------------------------------------------------------------------
// Warnings

void RuleEngine::Impl::FillEvidence(const RuleRt& rt, KeyState& ks, const WindowValue& wv,
                                    double value) {
  (void)rt;
  v1::Evidence* ev = ks.active->mutable_evidence();
  ev->clear_event_ids();
  ev->clear_subject_ids();
  const size_t last = std::min(wv.last, ks.entries.size());
  const size_t first = std::min(wv.first, last);
  const size_t from = last - first > kMaxEvidenceIds ? last - kMaxEvidenceIds : first;
  std::set<std::string> subjects;
  for (size_t i = from; i < last; ++i) {
    ev->add_event_ids(ks.entries[i].event_id);
    const std::string& sub =
        ks.entries[i].customer_id.empty() ? ks.entries[i].entity_id : ks.entries[i].customer_id;
    if (!sub.empty() && subjects.size() < kMaxEvidenceIds && subjects.insert(sub).second) {
      ev->add_subject_ids(sub);
    }
  }
  uint32_t count = static_cast<uint32_t>(last - first);
  if (rt.spec->measure == MeasureKind::kRateVsBaseline) {
    auto it = ks.bins.find(wv.start_ms);
    count = it == ks.bins.end() ? 0 : it->second;
  } else if (rt.spec->measure == MeasureKind::kCustomersOutShare ||
             rt.spec->measure == MeasureKind::kOpenDuration) {
    count = static_cast<uint32_t>(ks.entries.size());
  }
  (void)value;
  ev->set_count(count);
  *ev->mutable_window_start() = FromMs(wv.start_ms);
  *ev->mutable_window_end() = FromMs(wv.end_ms);
}

void RuleEngine::Impl::Describe(const RuleRt& rt, const std::string& key, KeyState& ks,
                                double value, const WindowValue& wv) {
  const RuleSpec& s = *rt.spec;
  v1::Warning& w = *ks.active;
  const v1::Evidence& ev = w.evidence();
  std::string value_text;
  switch (s.measure) {
    case MeasureKind::kOpenDuration:
      value_text = absl::FormatDuration(absl::Seconds(static_cast<int64_t>(value)));
      break;
    case MeasureKind::kCustomersOutShare:
    case MeasureKind::kRatio:
      value_text = fmt::format("{:.1f}%", value * 100);
      break;
    default:
      value_text = fmt::format("{:g}", std::round(value * 100) / 100);
  }
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("rule", s.id));
  args.push_back(fmt::arg("key", key));
  args.push_back(fmt::arg("value", value_text));
  args.push_back(fmt::arg("count", ev.count()));
  args.push_back(fmt::arg("customers", ev.subject_ids_size()));
  args.push_back(fmt::arg("grade", std::string(GradeRoman(rules::GradeIndex(w.grade())))));
  args.push_back(fmt::arg(
      "window",
      FormatSpan(s.window.kind == rules::WindowKind::kSession ? s.window.gap : s.window.size)));
  args.push_back(fmt::arg("window_start", FormatTimeMs(wv.start_ms)));
  args.push_back(fmt::arg("window_end", FormatTimeMs(wv.end_ms)));
  args.push_back(fmt::arg("events", absl::StrJoin(ev.event_ids(), ", ")));
  args.push_back(fmt::arg("title", s.title));
  try {
    w.set_message(fmt::vformat(s.message, args));
  } catch (const fmt::format_error& e) {
    w.set_message(s.message);
  }
  w.set_title(s.title);
  // After a reload that kept the state (thresholds changed), the warning says
  // which version of the rule evaluated it last.
  w.set_rule_version(s.version);
}

void RuleEngine::Impl::Raise(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t, int grade,
                             double value, const WindowValue& wv, const v1::Envelope* evidence,
                             std::vector<v1::WarningEvent>* out) {
  const RuleSpec& s = *rt.spec;
  v1::Warning w;
  w.set_warning_id(warnings::WarningId(s.id, key, t, evidence ? evidence->event_id() : ""));
  w.set_version(0);
  w.set_rule_id(s.id);
  w.set_rule_version(s.version);
  w.set_key(key);
  *w.mutable_region() = ks.region;
  w.set_region_key(ingest::RegionKey(ks.region));
  w.set_grade(rules::GradeOf(grade));
  w.set_state(v1::OPEN);
  if (evidence && evidence->has_ticket()) w.set_category(evidence->ticket().category());
  *w.mutable_raised_at() = FromMs(t);
  ks.active = std::move(w);
  ks.grade_since = t;
  ks.below_since = -1;
  ks.last_evidence = t;
  rt.active_keys.insert(key);
  FillEvidence(rt, ks, wv, value);
  Describe(rt, key, ks, value, wv);
  // Child warnings already active under this key fold into it.
  std::vector<std::pair<RuleRt*, std::string>> folded;
  for (auto& child : rules_) {
    if (!FoldsInto(*child, s.id, by_id_)) continue;
    // Children act at their own times: what was due before t fires first.
    for (const std::string& ck :
         std::vector<std::string>(child->active_keys.begin(), child->active_keys.end())) {
      auto c = child->keys.find(ck);
      if (c != child->keys.end() && RegionLevelKey(c->second.region, s.key) == key) {
        FireDue(*child, ck, c->second, t, out);
      }
    }
    for (const std::string& ck : child->active_keys) {
      if (RegionLevelKey(child->keys[ck].region, s.key) == key) {
        folded.emplace_back(child.get(), ck);
        ks.active->add_folded_keys(absl::StrCat(child->spec->id, ":", ck));
        const int cg = rules::GradeIndex(child->keys[ck].active->grade());
        ks.child_floor = std::max(ks.child_floor, cg);
        if (cg > rules::GradeIndex(ks.active->grade())) ks.active->set_grade(rules::GradeOf(cg));
      }
    }
  }
  Emit(rt, ks, v1::WarningEvent::RAISED, t, out);
  for (auto& [child, ck] : folded) {
    KeyState& cs = child->keys[ck];
    const int64_t ct = std::max(t, cs.last_eval);
    std::vector<Entry> keep = cs.entries;  // folded, not over: its evidence keeps counting
    Resolve(*child, ck, cs, ct, absl::StrCat("folded into ", ks.active->warning_id()), out);
    cs.entries = std::move(keep);
    cs.folded_into = ks.active->warning_id();
    MarkDirty(*child, ck);
    Schedule(*child, ck, cs, NextDue(*child, cs, ct, Effective(*child, cs), 0));
  }
}

void RuleEngine::Impl::FoldChild(RuleRt& parent, const std::string& pkey, const std::string& folded,
                                 int grade, int64_t t, std::vector<v1::WarningEvent>* out) {
  KeyState& ps = parent.keys[pkey];
  if (!ps.active) return;
  bool changed = false;
  auto& fk = *ps.active->mutable_folded_keys();
  if (std::find(fk.begin(), fk.end(), folded) == fk.end()) {
    ps.active->add_folded_keys(folded);
    changed = true;
  }
  if (grade > ps.child_floor) ps.child_floor = grade;
  if (grade > rules::GradeIndex(ps.active->grade())) {
    ps.active->set_grade(rules::GradeOf(grade));
    ps.grade_since = std::max(t, ps.last_eval);
    ps.active->set_message(absl::StrCat(ps.active->message(), " — grade ", GradeRoman(grade),
                                        " from folded ", folded));
    changed = true;
  }
  if (!changed) return;
  MarkDirty(parent, pkey);
  Emit(parent, ps, v1::WarningEvent::UPDATED, std::max(t, ps.last_eval), out);
}

void RuleEngine::Impl::Emit(RuleRt& rt, KeyState& ks, v1::WarningEvent::Type type, int64_t t,
                            std::vector<v1::WarningEvent>* out) {
  (void)rt;
  v1::Warning& w = *ks.active;
  w.set_version(w.version() + 1);
  *w.mutable_updated_at() = FromMs(t);
  v1::WarningEvent& we = out->emplace_back();
  we.set_event_id(absl::StrCat(w.warning_id(), ":", w.version()));
  we.set_type(type);
  *we.mutable_warning() = w;
}

void RuleEngine::Impl::Resolve(RuleRt& rt, const std::string& key, KeyState& ks, int64_t t,
                               const std::string& why, std::vector<v1::WarningEvent>* out) {
  if (!ks.active) return;
  ks.active->set_message(absl::StrCat(ks.active->message(), " — resolved: ", why));
  Emit(rt, ks, v1::WarningEvent::RESOLVED, t, out);
  ks.active.reset();
  rt.active_keys.erase(key);
  ks.below_since = -1;
  ks.child_floor = -1;
  ks.entries.clear();  // a new episode needs new evidence
  MarkDirty(rt, key);
}

// ---------------------------------------------------------------------------
// Time

void RuleEngine::Impl::Advance(int64_t wm, std::vector<v1::WarningEvent>* out) {
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= wm) {
    auto [due, rule_id, key] = *timers_.begin();
    timers_.erase(timers_.begin());
    RuleRt* rt = by_id_[rule_id];
    auto it = rt->keys.find(key);
    if (it == rt->keys.end()) continue;
    it->second.due = kNever;
    Evaluate(*rt, key, it->second, due, nullptr, out);
  }
}

// ---------------------------------------------------------------------------
// Persistence

std::vector<StateChange> RuleEngine::Impl::TakeDirty() {
  std::vector<StateChange> changes;
  for (const std::string& id : outages_.TakeDirty()) {
    StateChange c{"", absl::StrCat("outage:", id), std::nullopt};
    if (const internal::OpenOutage* o = outages_.Find(id)) c.value = o->SerializeAsString();
    changes.push_back(std::move(c));
  }
  for (const auto& [rule_id, key] : dirty_) {
    StateChange c{rule_id, key, std::nullopt};
    auto r = by_id_.find(rule_id);
    if (r != by_id_.end()) {
      auto it = r->second->keys.find(key);
      if (it != r->second->keys.end()) {
        const KeyState& ks = it->second;
        internal::RuleKeyState p;
        p.set_state_fingerprint(r->second->state_fp);
        *p.mutable_region() = ks.region;
        for (const Entry& e : ks.entries) {
          internal::RuleEntry* pe = p.add_entries();
          pe->set_time_ms(e.time_ms);
          pe->set_entity_id(e.entity_id);
          pe->set_event_id(e.event_id);
          pe->set_customer_id(e.customer_id);
          pe->set_value(e.value);
          pe->set_flags(e.flags);
        }
        p.set_max_event_time_ms(ks.max_time);
        p.set_last_activity_ms(ks.last_activity);
        for (const auto& [b, n] : ks.bins) (*p.mutable_bins())[b] = n;
        p.set_first_bin_ms(ks.first_bin);
        p.set_open_start_ms(ks.open_start);
        p.set_open_ended(ks.open_ended);
        p.set_affected_customers(ks.affected);
        p.set_important_level(ks.important_level);
        if (ks.active) *p.mutable_active() = *ks.active;
        p.set_grade_since_ms(ks.grade_since);
        p.set_below_since_ms(ks.below_since);
        p.set_last_evidence_ms(ks.last_evidence);
        p.set_folded_into(ks.folded_into);
        p.set_last_eval_ms(ks.last_eval);
        p.set_child_floor(ks.child_floor);
        c.value = p.SerializeAsString();
      }
    }
    changes.push_back(std::move(c));
  }
  dirty_.clear();
  return changes;
}

bool RuleEngine::Impl::Restore(const StateChange& rec) {
  if (!rec.value) return false;
  if (rec.rule_id.empty()) {
    internal::OpenOutage o;
    if (!o.ParseFromString(*rec.value)) return false;
    outages_.Restore(o);
    outages_.TakeDirty();
    return true;
  }
  auto r = by_id_.find(rec.rule_id);
  if (r == by_id_.end()) return false;
  RuleRt& rt = *r->second;
  internal::RuleKeyState p;
  if (!p.ParseFromString(*rec.value) || p.state_fingerprint() != rt.state_fp) return false;
  KeyState& ks = rt.keys[rec.key];
  ks.region = p.region();
  ks.entries.clear();
  for (const auto& pe : p.entries()) {
    ks.entries.push_back(
        {pe.time_ms(), pe.entity_id(), pe.event_id(), pe.customer_id(), pe.value(), pe.flags()});
  }
  ks.max_time = p.max_event_time_ms();
  ks.last_activity = p.last_activity_ms();
  ks.bins.clear();
  for (const auto& [b, n] : p.bins()) ks.bins[b] = n;
  ks.first_bin = p.first_bin_ms();
  ks.open_start = p.open_start_ms();
  ks.open_ended = p.open_ended();
  ks.affected = p.affected_customers();
  ks.important_level = p.important_level();
  if (p.has_active()) {
    ks.active = p.active();
    rt.active_keys.insert(rec.key);
  }
  ks.grade_since = p.grade_since_ms();
  ks.below_since = p.below_since_ms();
  ks.last_evidence = p.last_evidence_ms();
  ks.folded_into = p.folded_into();
  ks.last_eval = p.last_eval_ms();
  ks.child_floor = p.child_floor();
  WindowValue wv;
  const double value = Value(rt, ks, ks.last_eval, false, &wv);
  Schedule(rt, rec.key, ks, NextDue(rt, ks, ks.last_eval, Effective(rt, ks), value));
  return true;
}

std::vector<v1::Warning> RuleEngine::Impl::Active() const {
  std::vector<v1::Warning> all;
  for (const auto& rt : rules_) {
    for (const std::string& key : rt->active_keys) all.push_back(*rt->keys.at(key).active);
  }
  std::sort(all.begin(), all.end(), [](const v1::Warning& a, const v1::Warning& b) {
    return a.warning_id() < b.warning_id();
  });
  return all;
}

// ---------------------------------------------------------------------------
// RuleEngine

RuleEngine::RuleEngine(std::shared_ptr<const rules::RuleSet> rules,
                       const reference::ReferenceStore* ref)
    : impl_(std::make_unique<Impl>(ref)), rules_(std::move(rules)) {
  impl_->SetRules(*rules_, {}, nullptr, std::numeric_limits<int64_t>::min(), nullptr);
}

RuleEngine::~RuleEngine() = default;

void RuleEngine::Apply(const v1::Envelope& event, EngineOutput* out) {
  const int64_t wm =
      watermark_ == absl::InfinitePast() ? std::numeric_limits<int64_t>::min() : ToMs(watermark_);
  bool late = false;
  impl_->Apply(event, wm, out, &late);
  if (late) ++late_events_;
}

void RuleEngine::AdvanceWatermark(absl::Time watermark, EngineOutput* out) {
  // Timers of keys that got a late-but-allowed event may be due behind the
  // watermark already: fire them even when it does not move.
  watermark_ = std::max(watermark_, watermark);
  if (watermark_ == absl::InfinitePast()) return;
  watermark = watermark_;
  if (watermark == absl::InfiniteFuture()) {
    impl_->Advance(std::numeric_limits<int64_t>::max() - 1, &out->events);
    return;
  }
  impl_->Advance(ToMs(watermark), &out->events);
}

ReloadReport RuleEngine::Reload(std::shared_ptr<const rules::RuleSet> rules, EngineOutput* out) {
  ReloadReport report;
  const int64_t now =
      watermark_ == absl::InfinitePast() ? std::numeric_limits<int64_t>::min() : ToMs(watermark_);
  std::shared_ptr<const rules::RuleSet> old = rules_;
  rules_ = std::move(rules);
  impl_->SetRules(*rules_, impl_->ReleaseRules(), &report, now, &out->events);
  return report;
}

std::vector<StateChange> RuleEngine::TakeDirty() { return impl_->TakeDirty(); }
bool RuleEngine::Restore(const StateChange& record) { return impl_->Restore(record); }
std::vector<v1::Warning> RuleEngine::ActiveWarnings() const { return impl_->Active(); }
size_t RuleEngine::key_count() const { return impl_->KeyCount(); }

}  // namespace vigil::engine

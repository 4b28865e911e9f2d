#include "processors/engine/window_measure.h"

#include <algorithm>
#include <set>

#include "absl/container/flat_hash_map.h"

namespace vigil::engine {
namespace {

using rules::MeasureKind;
using rules::WindowKind;

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

size_t LowerBound(const std::vector<Entry>& e, int64_t t) {
  return std::lower_bound(e.begin(), e.end(), t,
                          [](const Entry& x, int64_t v) { return x.time_ms < v; }) -
         e.begin();
}

}  // namespace

int64_t WindowMeasure::size_ms() const {
  if (w_.kind == WindowKind::kSession) return Ms(w_.gap);
  return std::max<int64_t>(1, Ms(w_.size));
}

double WindowMeasure::Measure(const std::vector<Entry>& entries, size_t first,
                              size_t last) const {
  if (first >= last) return 0;
  switch (measure_) {
    case MeasureKind::kDistinctCustomers: {
      std::set<std::string_view> seen;
      for (size_t i = first; i < last; ++i) {
        if (!entries[i].customer_id.empty()) seen.insert(entries[i].customer_id);
      }
      return static_cast<double>(seen.size());
    }
    case MeasureKind::kSum: {
      double s = 0;
      for (size_t i = first; i < last; ++i) s += entries[i].value;
      return s;
    }
    case MeasureKind::kRatio: {
      size_t num = 0;
      for (size_t i = first; i < last; ++i) num += (entries[i].flags & kNumeratorFlag) ? 1 : 0;
      return static_cast<double>(num) / static_cast<double>(last - first);
    }
    default:
      return static_cast<double>(last - first);
  }
}

WindowValue WindowMeasure::Range(const std::vector<Entry>& entries, int64_t start,
                                 int64_t end) const {
  WindowValue v;
  v.start_ms = start;
  v.end_ms = end;
  v.first = LowerBound(entries, start);
  v.last = LowerBound(entries, end);
  v.value = Measure(entries, v.first, v.last);
  return v;
}

WindowValue WindowMeasure::AtEvent(const std::vector<Entry>& entries, int64_t t) const {
  const int64_t size = size_ms();
  switch (w_.kind) {
    case WindowKind::kTumbling: {
      const int64_t start = FloorTo(t, size);
      return Range(entries, start, start + size);
    }
    case WindowKind::kHopping: {
      const int64_t adv = std::max<int64_t>(1, Ms(w_.advance));
      WindowValue best;
      bool have = false;
      for (int64_t s = FloorTo(t, adv); s > t - size; s -= adv) {
        WindowValue v = Range(entries, s, s + size);
        if (!have || v.value > best.value) best = v, have = true;
      }
      return best;
    }
    case WindowKind::kSession: {
      // The run of entries around t whose neighbours are closer than the gap.
      size_t i = LowerBound(entries, t);
      size_t lo = i, hi = i;
      while (hi < entries.size() && entries[hi].time_ms <= t) ++hi;
      if (lo == hi) return Range(entries, t, t);
      while (lo > 0 && entries[lo].time_ms - entries[lo - 1].time_ms < size) --lo;
      while (hi < entries.size() && entries[hi].time_ms - entries[hi - 1].time_ms < size) ++hi;
      WindowValue v;
      v.first = lo;
      v.last = hi;
      v.start_ms = entries[lo].time_ms;
      v.end_ms = entries[hi - 1].time_ms + size;
      v.value = Measure(entries, lo, hi);
      return v;
    }
    case WindowKind::kSliding:
    default: {
      // Densest [s, s + size) containing t, s at an entry time in (t - size, t].
      WindowValue best = Range(entries, t, t + size);
      const size_t first = LowerBound(entries, t - size + 1);
      for (size_t i = first; i < entries.size() && entries[i].time_ms <= t; ++i) {
        if (i > first && entries[i - 1].time_ms == entries[i].time_ms) continue;  // same start
        WindowValue v = Range(entries, entries[i].time_ms, entries[i].time_ms + size);
        if (v.value > best.value) best = v;
      }
      return best;
    }
  }
}

WindowValue WindowMeasure::AtTime(const std::vector<Entry>& entries, int64_t t) const {
  const int64_t size = size_ms();
  switch (w_.kind) {
    case WindowKind::kTumbling:
    case WindowKind::kHopping:
      return AtEvent(entries, t);
    case WindowKind::kSession: {
      if (entries.empty()) return Range(entries, t, t);
      size_t i = LowerBound(entries, t + 1);  // entries at or before t: [0, i)
      if (i == 0 || t - entries[i - 1].time_ms >= size) return Range(entries, t, t);
      return AtEvent(entries, entries[i - 1].time_ms);
    }
    case WindowKind::kSliding:
    default:
      return Range(entries, t - size + 1, t + 1);
  }
}

int64_t WindowMeasure::NextChange(const std::vector<Entry>& entries, int64_t t) const {
  const int64_t size = size_ms();
  switch (w_.kind) {
    case WindowKind::kTumbling:
      return FloorTo(t, size) + size;
    case WindowKind::kHopping: {
      const int64_t adv = std::max<int64_t>(1, Ms(w_.advance));
      return FloorTo(t, adv) + adv;
    }
    case WindowKind::kSession: {
      size_t i = LowerBound(entries, t + 1);
      if (i == 0) return kNever;
      const int64_t end = entries[i - 1].time_ms + size;
      return end > t ? end : kNever;
    }
    case WindowKind::kSliding:
    default: {
      // The oldest entry inside (t - size, t] leaves at its time + size.
      size_t i = LowerBound(entries, t - size + 1);
      if (i >= entries.size() || entries[i].time_ms > t) return kNever;
      return entries[i].time_ms + size;
    }
  }
}

int64_t WindowMeasure::RetainFrom(const std::vector<Entry>& entries, int64_t t) const {
  const int64_t lateness = Ms(w_.allowed_lateness);
  switch (w_.kind) {
    case WindowKind::kTumbling:
      return FloorTo(t - lateness, size_ms());
    case WindowKind::kHopping:
      return FloorTo(t - lateness, std::max<int64_t>(1, Ms(w_.advance))) - size_ms();
    case WindowKind::kSession: {
      // Keep the newest sessions that are still open or within lateness.
      const int64_t gap = size_ms();
      for (size_t i = entries.size(); i-- > 1;) {
        if (entries[i].time_ms - entries[i - 1].time_ms >= gap &&
            entries[i - 1].time_ms + gap <= t - lateness) {
          return entries[i].time_ms;
        }
      }
      if (!entries.empty() && entries.back().time_ms + gap <= t - lateness) return kNever;
      return std::numeric_limits<int64_t>::min();
    }
    case WindowKind::kSliding:
    default:
      return t - lateness - size_ms();
  }
}

bool InsertEntry(std::vector<Entry>* entries, Entry e, int64_t dedup_span_ms) {
  if (!e.entity_id.empty()) {
    size_t i = LowerBound(*entries, e.time_ms - dedup_span_ms);
    for (; i < entries->size() && (*entries)[i].time_ms <= e.time_ms + dedup_span_ms; ++i) {
      if ((*entries)[i].entity_id == e.entity_id) return false;
    }
  }
  auto pos = std::upper_bound(entries->begin(), entries->end(), e, [](const Entry& a, const Entry& b) {
    return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.entity_id < b.entity_id;
  });
  entries->insert(pos, std::move(e));
  return true;
}

}  // namespace vigil::engine

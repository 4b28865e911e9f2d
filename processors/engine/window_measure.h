#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "processors/rules/rule_spec.h"

namespace vigil::engine {

// One event counted in a window.
struct Entry {
  int64_t time_ms = 0;
  std::string entity_id;  // counted once per window
  std::string event_id;
  std::string customer_id;
  double value = 0;    // for sum measures
  uint32_t flags = 0;  // kNumeratorFlag | tag bits
};
inline constexpr uint32_t kNumeratorFlag = 1;
inline uint32_t TagBit(int tag) { return 1u << (tag + 1); }

// The part of a window a measure was taken over.
struct WindowValue {
  double value = 0;
  int64_t start_ms = 0;  // [start, end)
  int64_t end_ms = 0;
  size_t first = 0;      // entries [first, last)
  size_t last = 0;
};

// Window arithmetic for count-like measures over entries sorted by
// (time, entity). Stateless: everything comes from the rule and the entries.
class WindowMeasure {
 public:
  WindowMeasure(const rules::WindowSpec& window, rules::MeasureKind measure)
      : w_(window), measure_(measure) {}

  // The measure that an event at `t` sees: sliding = densest window of size
  // containing t; tumbling = t's bin; hopping = max over windows containing t;
  // session = t's session.
  WindowValue AtEvent(const std::vector<Entry>& entries, int64_t t) const;
  // The measure of the window current at time `t` (no event): sliding =
  // (t - size, t]; tumbling = t's bin; hopping = max over windows containing
  // t; session = the session still open at t (else empty).
  WindowValue AtTime(const std::vector<Entry>& entries, int64_t t) const;
  // The first time after `t` at which AtTime can change without a new event
  // (an entry leaves, a bin / hop / session ends); INT64_MAX when never.
  int64_t NextChange(const std::vector<Entry>& entries, int64_t t) const;
  // Entries older than this can no longer reach a non-late event's window,
  // given the newest time `t` seen (watermark or event).
  int64_t RetainFrom(const std::vector<Entry>& entries, int64_t t) const;

  // The measure over entries [first, last).
  double Measure(const std::vector<Entry>& entries, size_t first, size_t last) const;

 private:
  WindowValue Range(const std::vector<Entry>& entries, int64_t start, int64_t end) const;
  int64_t size_ms() const;

  rules::WindowSpec w_;
  rules::MeasureKind measure_;
};

// Inserts keeping (time, entity) order. Returns false when the entity is
// already within `dedup_span_ms` of t (a duplicate: not inserted).
bool InsertEntry(std::vector<Entry>* entries, Entry e, int64_t dedup_span_ms);

// Floor division for bins (times may be negative).
inline int64_t FloorTo(int64_t t, int64_t step) {
  int64_t q = t / step;
  if ((t % step != 0) && ((t < 0) != (step < 0))) --q;
  return q * step;
}

}  // namespace vigil::engine

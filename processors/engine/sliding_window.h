#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::engine {

// Events of one key in event time, for "at least N within W" conditions.
//
// Entries are kept sorted by (time, subject). An event is *late* when it is
// more than `allowed_lateness` behind the newest event seen for the key;
// entries are retained for size + allowed_lateness behind the newest, which is
// exactly what a non-late event's windows can still reach.
class SlidingWindow {
 public:
  struct Entry {
    int64_t time_ms;
    std::string event_id;
    std::string subject_id;
    bool operator==(const Entry&) const = default;
  };
  enum class AddResult { kAdded, kDuplicate, kLate };

  SlidingWindow(int64_t size_ms, int64_t allowed_lateness_ms)
      : size_ms_(size_ms), lateness_ms_(allowed_lateness_ms) {}

  // Inserts an event. A subject already in the window is a duplicate.
  AddResult Add(int64_t time_ms, std::string event_id, std::string subject_id);

  // Largest number of entries in any half-open window [s, s + size) that
  // contains `time_ms`.
  int MaxCountContaining(int64_t time_ms) const;

  // The entries of the densest window containing `time_ms` (ties: earliest).
  std::vector<Entry> DensestWindowContaining(int64_t time_ms) const;

  const std::vector<Entry>& entries() const { return entries_; }
  int64_t max_time_ms() const { return max_time_ms_; }
  bool empty() const { return entries_.empty(); }

  // Restores persisted state (entries need not be sorted).
  void Restore(std::vector<Entry> entries, int64_t max_time_ms);

 private:
  void Evict();
  // [first, last) indices of the densest window containing time_ms.
  std::pair<size_t, size_t> Densest(int64_t time_ms) const;

  int64_t size_ms_;
  int64_t lateness_ms_;
  int64_t max_time_ms_ = INT64_MIN;
  std::vector<Entry> entries_;
};

}  // namespace vigil::engine

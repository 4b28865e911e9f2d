#include "processors/engine/sliding_window.h"

#include <algorithm>

namespace vigil::engine {
namespace {

bool Before(const SlidingWindow::Entry& a, const SlidingWindow::Entry& b) {
  return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.subject_id < b.subject_id;
}

}  // namespace

SlidingWindow::AddResult SlidingWindow::Add(int64_t time_ms, std::string event_id,
                                            std::string subject_id) {
  if (max_time_ms_ != INT64_MIN && time_ms < max_time_ms_ - lateness_ms_) return AddResult::kLate;
  for (const Entry& e : entries_) {
    if (e.subject_id == subject_id) return AddResult::kDuplicate;
  }
  Entry entry{time_ms, std::move(event_id), std::move(subject_id)};
  entries_.insert(std::upper_bound(entries_.begin(), entries_.end(), entry, Before),
                  std::move(entry));
  max_time_ms_ = std::max(max_time_ms_, time_ms);
  Evict();
  return AddResult::kAdded;
}

void SlidingWindow::Evict() {
  const int64_t horizon = max_time_ms_ - lateness_ms_ - size_ms_;
  auto keep = std::find_if(entries_.begin(), entries_.end(),
                           [horizon](const Entry& e) { return e.time_ms > horizon; });
  entries_.erase(entries_.begin(), keep);
}

std::pair<size_t, size_t> SlidingWindow::Densest(int64_t time_ms) const {
  // Windows [s, s + size) containing t have s in (t - size, t]. The densest
  // one can start at an entry's time or at t; slide a two-pointer over the
  // entry candidates.
  std::pair<size_t, size_t> best{0, 0};
  size_t end = 0;
  for (size_t begin = 0; begin < entries_.size(); ++begin) {
    const int64_t s = entries_[begin].time_ms;
    if (s <= time_ms - size_ms_) continue;
    if (s > time_ms) break;
    if (end < begin) end = begin;
    while (end < entries_.size() && entries_[end].time_ms < s + size_ms_) ++end;
    if (end - begin > best.second - best.first) best = {begin, end};
  }
  // The window starting at time_ms itself is the one candidate not starting at
  // an entry; it matters when no entry sits at time_ms (latest, so ties lose).
  const auto at_or_after = [this](int64_t t) {
    return static_cast<size_t>(
        std::lower_bound(entries_.begin(), entries_.end(), t,
                         [](const Entry& e, int64_t v) { return e.time_ms < v; }) -
        entries_.begin());
  };
  const size_t first = at_or_after(time_ms);
  const size_t last = at_or_after(time_ms + size_ms_);
  if (last - first > best.second - best.first) best = {first, last};
  return best;
}

int SlidingWindow::MaxCountContaining(int64_t time_ms) const {
  auto [first, last] = Densest(time_ms);
  return static_cast<int>(last - first);
}

std::vector<SlidingWindow::Entry> SlidingWindow::DensestWindowContaining(int64_t time_ms) const {
  auto [first, last] = Densest(time_ms);
  return {entries_.begin() + first, entries_.begin() + last};
}

void SlidingWindow::Restore(std::vector<Entry> entries, int64_t max_time_ms) {
  entries_ = std::move(entries);
  std::sort(entries_.begin(), entries_.end(), Before);
  max_time_ms_ = max_time_ms;
}

}  // namespace vigil::engine

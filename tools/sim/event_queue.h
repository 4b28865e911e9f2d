#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// The simulation's agenda: actions (process steps) and finished envelopes,
// popped in (time, insertion order). Ties keep insertion order, so the run is
// deterministic; times are Unix seconds.
class EventQueue {
 public:
  using Action = std::function<void(int64_t now)>;

  struct Item {
    int64_t time = 0;
    uint64_t seq = 0;
    std::unique_ptr<v1::Envelope> envelope;  // set: emit it
    Action action;                           // otherwise: run it
  };

  void Schedule(int64_t time, Action action) {
    Push(Item{time, next_seq_++, nullptr, std::move(action)});
  }
  void Schedule(int64_t time, std::unique_ptr<v1::Envelope> envelope) {
    Push(Item{time, next_seq_++, std::move(envelope), nullptr});
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  int64_t next_time() const { return heap_.front().time; }

  Item Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Item item = std::move(heap_.back());
    heap_.pop_back();
    return item;
  }

 private:
  static bool Later(const Item& a, const Item& b) {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
  void Push(Item item) {
    heap_.push_back(std::move(item));
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  std::vector<Item> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace vigil::sim

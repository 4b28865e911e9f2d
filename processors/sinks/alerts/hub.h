#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::alerts {

// One subscriber's bounded queue of live warning events. The engine thread
// pushes (never blocks); the subscriber's stream thread pops.
class Subscription {
 public:
  enum class Next { kEvent, kTimeout, kOverflowed, kClosed };

  explicit Subscription(size_t max_buffered) : max_buffered_(max_buffered) {}

  // Waits up to `wait` for the next event.
  Next Pop(absl::Duration wait, v1::WarningEvent* out);
  // Ends the subscription (the stream is going away, or the server stops).
  void Close();
  // Called (once, from the engine thread, outside the lock) when the buffer
  // overflows, e.g. to cancel a write blocked on a stalled client.
  void OnOverflow(std::function<void()> fn);

 private:
  friend class Hub;
  // False when this push overflowed the buffer (the subscription ends).
  bool Push(const std::vector<v1::WarningEvent>& events);

  const size_t max_buffered_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::WarningEvent> queue_;
  bool overflowed_ = false;
  bool closed_ = false;
  std::function<void()> on_overflow_;
};

// Fans committed warning events out to live subscribers. The engine thread
// calls Publish after each durable commit (so no subscriber sees an event a
// crash could take back); a slow subscriber never slows it: its buffer is
// bounded, and when it overflows that subscription ends (the client resumes
// from its cursor, reading the ledger log). Thread-safe.
class Hub {
 public:
  explicit Hub(uint64_t head_seq) : head_seq_(head_seq) {}

  std::shared_ptr<Subscription> Subscribe(size_t max_buffered);
  void Unsubscribe(const std::shared_ptr<Subscription>& s);
  // Events of one commit, in ledger_seq order.
  void Publish(const std::vector<v1::WarningEvent>& events);
  // Closes every subscription (server stop).
  void CloseAll();

  // The newest ledger sequence published (the head a caught-up client has).
  uint64_t head_seq() const;
  size_t subscribers() const;
  uint64_t overflows() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subs_;
  uint64_t head_seq_ = 0;
  uint64_t overflows_ = 0;
};

}  // namespace vigil::alerts

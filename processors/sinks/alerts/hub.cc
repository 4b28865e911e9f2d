#include "processors/sinks/alerts/hub.h"

#include <algorithm>
#include <utility>

namespace vigil::alerts {

Subscription::Next Subscription::Pop(absl::Duration wait, v1::WarningEvent* out) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool ready = cv_.wait_for(lock, absl::ToChronoNanoseconds(wait),
                                  [&] { return closed_ || overflowed_ || !queue_.empty(); });
  if (closed_) return Next::kClosed;
  if (overflowed_) return Next::kOverflowed;
  if (!ready) return Next::kTimeout;
  *out = std::move(queue_.front());
  queue_.pop_front();
  return Next::kEvent;
}

void Subscription::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void Subscription::OnOverflow(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  on_overflow_ = std::move(fn);
}

bool Subscription::Push(const std::vector<v1::WarningEvent>& events) {
  std::function<void()> notify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || overflowed_) return true;  // already ended: nothing new to report
    if (queue_.size() + events.size() <= max_buffered_) {
      queue_.insert(queue_.end(), events.begin(), events.end());
      cv_.notify_all();
      return true;
    }
    overflowed_ = true;
    queue_.clear();  // the client reads them again from the ledger log when it resumes
    notify = std::move(on_overflow_);
    cv_.notify_all();
  }
  if (notify) notify();
  return false;
}

std::shared_ptr<Subscription> Hub::Subscribe(size_t max_buffered) {
  auto s = std::make_shared<Subscription>(std::max<size_t>(1, max_buffered));
  std::lock_guard<std::mutex> lock(mu_);
  subs_.push_back(s);
  return s;
}

void Hub::Unsubscribe(const std::shared_ptr<Subscription>& s) {
  s->Close();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase(subs_, s);
}

void Hub::Publish(const std::vector<v1::WarningEvent>& events) {
  if (events.empty()) return;
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    head_seq_ = std::max(head_seq_, events.back().ledger_seq());
    subs = subs_;
  }
  uint64_t overflowed = 0;
  for (const auto& s : subs) {
    if (!s->Push(events)) ++overflowed;
  }
  if (overflowed > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    overflows_ += overflowed;
  }
}

void Hub::CloseAll() {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subs.swap(subs_);
  }
  for (const auto& s : subs) s->Close();
}

uint64_t Hub::head_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_seq_;
}

size_t Hub::subscribers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

uint64_t Hub::overflows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflows_;
}

}  // namespace vigil::alerts

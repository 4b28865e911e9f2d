#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "librdkafka/rdkafkacpp.h"
#include "processors/common/clock.h"
#include "processors/state/state_store.h"
#include "vigil/internal/state.pb.h"

namespace vigil::sinks {

// Publishes committed outbox records to Kafka and removes them once acked.
// Single-threaded: every method runs on the engine thread.
class OutboxPublisher {
 public:
  // `event_cb` (optional, must outlive the publisher) receives librdkafka's
  // events, statistics included when statistics.interval.ms is set.
  static absl::StatusOr<std::unique_ptr<OutboxPublisher>> Create(
      const std::map<std::string, std::string>& kafka_properties, state::StateStore* store,
      const Clock* clock, RdKafka::EventCb* event_cb = nullptr);
  ~OutboxPublisher();

  // Re-sends every record still in the outbox (after a restart).
  absl::Status Recover();
  // Sends records that were just committed. Call only after the commit.
  void Publish(uint64_t seq, const internal::OutboxRecord& record);
  // Serves delivery reports; deletes acknowledged records; resends failed ones.
  absl::Status Poll(int timeout_ms);
  // Polls until nothing is in flight or the timeout passes. True when drained.
  bool Drain(int timeout_ms);

  size_t in_flight() const { return in_flight_.size(); }
  // The lowest outbox sequence not yet acknowledged by Kafka (UINT64_MAX when
  // none): every record below it has been published.
  uint64_t lowest_in_flight() const {
    return in_flight_.empty() ? UINT64_MAX : in_flight_.begin()->first;
  }
  // How long the oldest record not yet acknowledged has waited (zero when none).
  absl::Duration oldest_in_flight_age() const {
    return sent_at_.empty() ? absl::ZeroDuration() : clock_->Now() - sent_at_.begin()->second;
  }
  // Called with each acknowledged record's time from Publish to its acknowledgement.
  void set_publish_observer(std::function<void(absl::Duration)> fn) {
    publish_observer_ = std::move(fn);
  }
  uint64_t published_total() const { return published_total_; }
  uint64_t failed_total() const { return failed_total_; }

 private:
  class DeliveryCb : public RdKafka::DeliveryReportCb {
   public:
    explicit DeliveryCb(OutboxPublisher* owner) : owner_(owner) {}
    void dr_cb(RdKafka::Message& message) override;

   private:
    OutboxPublisher* owner_;
  };

  OutboxPublisher(state::StateStore* store, const Clock* clock)
      : store_(store), clock_(clock), delivery_cb_(this) {}
  void Send(uint64_t seq);

  state::StateStore* store_;
  const Clock* clock_;
  DeliveryCb delivery_cb_;
  std::unique_ptr<RdKafka::Producer> producer_;
  // Records sent and not yet acknowledged, by outbox sequence.
  std::map<uint64_t, internal::OutboxRecord> in_flight_;
  // When each record in flight was first handed to Publish (by outbox sequence).
  std::map<uint64_t, absl::Time> sent_at_;
  std::function<void(absl::Duration)> publish_observer_;
  std::vector<uint64_t> acked_;
  // Failed records wait here and are resent no sooner than next_retry_, so an
  // unreachable or missing topic is neither hammered nor logged per record.
  std::deque<uint64_t> retry_;
  absl::Time next_retry_ = absl::InfinitePast();
  uint64_t failures_since_log_ = 0;
  std::string last_failure_;
  uint64_t published_total_ = 0;
  uint64_t failed_total_ = 0;
};

}  // namespace vigil::sinks

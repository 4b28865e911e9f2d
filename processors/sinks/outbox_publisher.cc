#include "processors/sinks/outbox_publisher.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/sinks/kafka_config.h"

namespace vigil::sinks {

void OutboxPublisher::DeliveryCb::dr_cb(RdKafka::Message& message) {
  const uint64_t seq = reinterpret_cast<uintptr_t>(message.msg_opaque());
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    owner_->acked_.push_back(seq);
    return;
  }
  ++owner_->failed_total_;
  ++owner_->failures_since_log_;
  owner_->last_failure_ = message.topic_name() + ": " + message.errstr();
  owner_->retry_.push_back(seq);
}

absl::StatusOr<std::unique_ptr<OutboxPublisher>> OutboxPublisher::Create(
    const std::map<std::string, std::string>& kafka_properties, state::StateStore* store,
    const Clock* clock, RdKafka::EventCb* event_cb) {
  std::unique_ptr<OutboxPublisher> p(new OutboxPublisher(store, clock));
  std::map<std::string, std::string> props = kafka_properties;
  props.emplace("enable.idempotence", "true");
  props.emplace("acks", "all");
  props.emplace("linger.ms", "5");
  props.emplace("message.timeout.ms", "30000");
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, MakeKafkaConf(props));
  std::string err;
  if (conf->set("dr_cb", &p->delivery_cb_, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  if (event_cb != nullptr && conf->set("event_cb", event_cb, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  p->producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!p->producer_) return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
  return p;
}

OutboxPublisher::~OutboxPublisher() {
  if (producer_) Drain(5000);
}

absl::Status OutboxPublisher::Recover() {
  VIGIL_ASSIGN_OR_RETURN(auto pending, store_->LoadOutbox());
  if (!pending.empty()) {
    spdlog::info("republishing {} outbox records left from before the restart", pending.size());
  }
  for (auto& [seq, record] : pending) Publish(seq, record);
  return absl::OkStatus();
}

void OutboxPublisher::Publish(uint64_t seq, const internal::OutboxRecord& record) {
  in_flight_[seq] = record;
  sent_at_.emplace(seq, clock_->Now());
  Send(seq);
}

void OutboxPublisher::Send(uint64_t seq) {
  const internal::OutboxRecord& r = in_flight_.at(seq);
  RdKafka::Headers* headers = RdKafka::Headers::create();
  for (const auto& h : r.headers()) headers->add(h.name(), h.value().data(), h.value().size());
  for (;;) {
    RdKafka::ErrorCode err = producer_->produce(
        r.topic(), RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(r.value().data()), r.value().size(), r.key().data(), r.key().size(), 0,
        headers, reinterpret_cast<void*>(static_cast<uintptr_t>(seq)));
    if (err == RdKafka::ERR_NO_ERROR) return;  // headers now owned by librdkafka
    if (err == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);  // wait for room; serves delivery reports
      continue;
    }
    delete headers;
    ++failed_total_;
    ++failures_since_log_;
    last_failure_ = r.topic() + ": " + RdKafka::err2str(err);
    retry_.push_back(seq);
    return;
  }
}

absl::Status OutboxPublisher::Poll(int timeout_ms) {
  producer_->poll(timeout_ms);
  if (!acked_.empty()) {
    std::vector<uint64_t> done;
    done.swap(acked_);
    const absl::Time now = clock_->Now();
    for (uint64_t seq : done) {
      in_flight_.erase(seq);
      if (auto it = sent_at_.find(seq); it != sent_at_.end()) {
        if (publish_observer_) publish_observer_(now - it->second);
        sent_at_.erase(it);
      }
    }
    published_total_ += done.size();
    VIGIL_RETURN_IF_ERROR(store_->DeleteOutbox(done));
  }
  if (retry_.empty()) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  if (now < next_retry_) return absl::OkStatus();
  next_retry_ = now + absl::Seconds(1);
  if (failures_since_log_ > 0) {
    spdlog::warn("{} outbox publish failures (last: {}); retrying {} records", failures_since_log_,
                 last_failure_, retry_.size());
    failures_since_log_ = 0;
  }
  std::deque<uint64_t> again;
  again.swap(retry_);
  for (uint64_t seq : again) Send(seq);
  return absl::OkStatus();
}

bool OutboxPublisher::Drain(int timeout_ms) {
  for (int waited = 0; !in_flight_.empty() && waited < timeout_ms; waited += 50) {
    if (!Poll(50).ok()) return false;
  }
  return in_flight_.empty();
}

}  // namespace vigil::sinks

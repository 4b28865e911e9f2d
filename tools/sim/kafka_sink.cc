#include "tools/sim/kafka_sink.h"

#include "absl/strings/str_cat.h"

namespace vigil::sim {

void KafkaSink::DeliveryReport::dr_cb(RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR_NO_ERROR) return;
  if (failed.fetch_add(1) == 0) first_error = message.errstr();
}

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Create(const KafkaSinkOptions& options,
                                                             Pacer* pacer) {
  std::unique_ptr<KafkaSink> sink(new KafkaSink(options, pacer));
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, std::string>>{
           {"bootstrap.servers", options.bootstrap},
           {"linger.ms", "5"},
           {"queue.buffering.max.messages", "1000000"},
           {"enable.idempotence", "true"}}) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka config ", k, ": ", err));
    }
  }
  if (conf->set("dr_cb", &sink->report_, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka dr_cb: ", err));
  }
  sink->producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!sink->producer_) return absl::UnavailableError(absl::StrCat("kafka producer: ", err));
  return sink;
}

absl::Status KafkaSink::Write(const v1::Envelope& event) {
  if (pacer_) pacer_->WaitFor(absl::FromUnixSeconds(event.event_time().seconds()));
  const std::string* topic = &options_.repeat_calls_topic;
  if (event.has_ticket()) topic = &options_.tickets_topic;
  if (event.has_outage()) topic = &options_.outages_topic;
  const std::string value = event.SerializeAsString();
  const std::string& key = event.region().city_code();
  for (;;) {
    const RdKafka::ErrorCode rc = producer_->produce(
        *topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
    if (rc == RdKafka::ERR_NO_ERROR) break;
    if (rc != RdKafka::ERR__QUEUE_FULL) {
      return absl::UnavailableError(
          absl::StrCat("produce to ", *topic, ": ", RdKafka::err2str(rc)));
    }
    producer_->poll(50);
  }
  ++produced_;
  producer_->poll(0);
  return absl::OkStatus();
}

absl::Status KafkaSink::Close() {
  if (producer_->flush(60000) != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError(
        absl::StrCat("kafka: ", producer_->outq_len(), " records still undelivered after 60 s"));
  }
  if (report_.failed.load() > 0) {
    return absl::UnavailableError(absl::StrCat("kafka: ", report_.failed.load(),
                                               " records failed, first: ", report_.first_error));
  }
  return absl::OkStatus();
}

}  // namespace vigil::sim

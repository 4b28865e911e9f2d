#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "librdkafka/rdkafkacpp.h"
#include "tools/sim/event_sink.h"
#include "tools/sim/pacer.h"

namespace vigil::sim {

struct KafkaSinkOptions {
  std::string bootstrap;
  std::string tickets_topic = "vigil.tickets.v1";
  std::string outages_topic = "vigil.outages.v1";
  std::string repeat_calls_topic = "vigil.repeat-calls.v1";
};

// Produces each envelope as binary Protobuf to its topic (by payload), keyed
// by the city code (vigil's co-partitioning), paced by `pacer`.
class KafkaSink final : public EventSink {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaSink>> Create(const KafkaSinkOptions& options,
                                                           Pacer* pacer);

  absl::Status Write(const v1::Envelope& event) override;
  // Flushes; fails when any record could not be delivered.
  absl::Status Close() override;

  int64_t produced() const { return produced_; }

 private:
  class DeliveryReport final : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
    std::atomic<int64_t> failed{0};
    std::string first_error;
  };

  KafkaSink(KafkaSinkOptions options, Pacer* pacer) : options_(std::move(options)), pacer_(pacer) {}

  KafkaSinkOptions options_;
  Pacer* pacer_;
  DeliveryReport report_;
  std::unique_ptr<RdKafka::Producer> producer_;
  int64_t produced_ = 0;
};

}  // namespace vigil::sim

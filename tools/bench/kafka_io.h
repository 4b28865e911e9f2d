#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "librdkafka/rdkafkacpp.h"

namespace vigil::bench {

// Wall-clock nanoseconds (Kafka timestamps are wall-clock milliseconds).
int64_t NowNs();

// One input record, ready to send.
struct Record {
  std::string key;
  std::string value;
};

absl::Status CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                          int partitions);
absl::Status DeleteTopics(const std::string& bootstrap, const std::vector<std::string>& topics);

// Sum over partitions 0..partitions-1 of the high watermarks of `topic`.
absl::StatusOr<int64_t> EndOffsetSum(const std::string& bootstrap, const std::string& topic,
                                     int partitions);

// A producer that remembers where each record landed (partition, offset),
// indexed by the record's position in the run: positions are the `id`s given
// to Send() minus `first_id`, up to `capacity`.
class BenchProducer {
 public:
  // `props` override the defaults (acks=all, the librdkafka defaults otherwise).
  static absl::StatusOr<std::unique_ptr<BenchProducer>> Create(
      const std::string& bootstrap, const std::map<std::string, std::string>& props,
      uint64_t first_id, size_t capacity);

  // Queues one record (copies it); waits for room when the queue is full.
  void Send(const std::string& topic, const Record& r, uint64_t id);
  void Poll() { producer_->poll(0); }
  absl::Status Flush(int timeout_ms);

  uint64_t acked() const { return acked_; }
  uint64_t failed() const { return failed_; }
  // Where record `id` landed; partition -1 when not (yet) acknowledged.
  int32_t partition_of(uint64_t id) const { return partition_[id - first_id_]; }
  int64_t offset_of(uint64_t id) const { return offset_[id - first_id_]; }

 private:
  class Delivery : public RdKafka::DeliveryReportCb {
   public:
    explicit Delivery(BenchProducer* owner) : owner_(owner) {}
    void dr_cb(RdKafka::Message& m) override;

   private:
    BenchProducer* owner_;
  };
  BenchProducer(uint64_t first_id, size_t capacity);

  uint64_t first_id_;
  Delivery delivery_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::vector<int32_t> partition_;
  std::vector<int64_t> offset_;
  uint64_t acked_ = 0;
  uint64_t failed_ = 0;
};

// One pass of a plain consumer over a topic from the beginning.
struct ConsumePass {
  std::string api;  // what was measured
  uint64_t messages = 0;
  uint64_t bytes = 0;    // key + value bytes
  double startup_s = 0;  // assign → first message
  double seconds = 0;    // first → last message
  double cpu_s = 0;      // process CPU (user + system) over the pass
  double rate() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
};

// librdkafka's C API: rd_kafka_consume_batch_queue over the consumer queue.
absl::StatusOr<ConsumePass> RawConsumeCBatch(const std::string& bootstrap, const std::string& topic,
                                             int partitions, uint64_t expected);
// librdkafka's C++ API: KafkaConsumer::consume, one Message object per record
// (what vigild's engine loop does).
absl::StatusOr<ConsumePass> RawConsumeCpp(const std::string& bootstrap, const std::string& topic,
                                          int partitions, uint64_t expected);

// Reads a consumer group's committed offsets (what lag monitoring sees).
class GroupOffsets {
 public:
  static absl::StatusOr<std::unique_ptr<GroupOffsets>> Create(const std::string& bootstrap,
                                                              const std::string& group,
                                                              const std::string& topic,
                                                              int partitions);
  ~GroupOffsets();
  // Sum of committed next-offsets (partitions without a commit count 0), or
  // -1 when the broker did not answer in time.
  int64_t CommittedSum(int timeout_ms);

 private:
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::string topic_;
  int partitions_ = 0;
};

// A warning event as read back by the benchmark.
struct WarningSample {
  int64_t trigger_seq = -1;  // newest benchmark event id in the evidence
  int64_t read_ns = 0;       // when this reader got it
  int64_t kafka_ts_ms = 0;   // record timestamp: vigild's publish, right after its commit
};

// Reads a warnings topic from the beginning on its own thread.
class WarningReader {
 public:
  static absl::StatusOr<std::unique_ptr<WarningReader>> Start(const std::string& bootstrap,
                                                              const std::string& topic,
                                                              int partitions);
  ~WarningReader();
  void Stop();

  uint64_t count() const { return count_.load(); }
  uint64_t undecodable() const { return undecodable_.load(); }
  std::vector<WarningSample> Samples() const;

 private:
  WarningReader() = default;
  void Loop();

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> undecodable_{0};
  mutable std::mutex mu_;
  std::vector<WarningSample> samples_;  // guarded by mu_
};

}  // namespace vigil::bench

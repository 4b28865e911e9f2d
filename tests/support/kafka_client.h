#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "librdkafka/rdkafkacpp.h"

namespace vigil::testing {

// A record as read back from a topic.
struct Record {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// A unique topic name for this test process: "<prefix>-<pid>-<n>".
std::string UniqueName(const std::string& prefix);

// Creates topics with the Admin API (auto-create is off on the test broker)
// and waits until the broker serves every partition, so a consumer that
// subscribes next sees them.
void CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                  int partitions);

// A synchronous producer for test input.
class TestProducer {
 public:
  explicit TestProducer(const std::string& bootstrap);
  void Send(const std::string& topic, const std::string& key, const std::string& value);
  // Waits until every record is acknowledged; fails the test otherwise.
  void Flush();

 private:
  std::unique_ptr<RdKafka::Producer> producer_;
};

// Reads topics from the beginning without a consumer group.
class TestReader {
 public:
  TestReader(const std::string& bootstrap, const std::vector<std::string>& topics, int partitions);
  ~TestReader();
  // Reads records until `done(all records so far)` is true or `timeout` passes.
  // Returns everything read so far.
  const std::vector<Record>& ReadUntil(const std::function<bool(const std::vector<Record>&)>& done,
                                       std::chrono::milliseconds timeout);
  // Reads whatever arrives within the wait (each poll waits on the broker).
  const std::vector<Record>& records() const { return records_; }
  // Waits up to `ms` for one record; true when one was read.
  bool PollOnce(int ms);
  // Reads until every partition's position reaches the high watermark it had
  // when called (what the producers have written so far is all read); false
  // when `timeout` passes first.
  bool ReadToEnd(std::chrono::milliseconds timeout);

 private:
  std::string bootstrap_;
  std::vector<std::string> topics_;
  int partitions_ = 0;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<Record> records_;
};

// Next offsets committed by `group` on `topic` partitions 0..partitions-1.
std::map<int32_t, int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, int partitions);
// High watermarks of `topic` partitions.
std::map<int32_t, int64_t> EndOffsets(const std::string& bootstrap, const std::string& topic,
                                      int partitions);

}  // namespace vigil::testing

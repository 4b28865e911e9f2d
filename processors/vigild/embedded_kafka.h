#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace vigil::vigild {

// librdkafka's in-process mock cluster: the demo's embedded default and a
// unit-test convenience. Never a benchmark or integration-test broker (it keeps
// ~100k messages per partition and adds latency). Listens on 127.0.0.1.
class EmbeddedKafka {
 public:
  static absl::StatusOr<std::unique_ptr<EmbeddedKafka>> Start();
  ~EmbeddedKafka();

  // "127.0.0.1:port" of the mock broker.
  const std::string& bootstrap() const { return bootstrap_; }
  absl::Status CreateTopic(const std::string& name, int partitions);

 private:
  EmbeddedKafka() = default;
  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace vigil::vigild

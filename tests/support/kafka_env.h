#pragma once

#include <gtest/gtest.h>

#include <string>

namespace vigil::testing {

// Starts Apache Kafka once for the integration tests (tools/kafka-dev start,
// single node, KRaft, 127.0.0.1), or uses the broker named by KAFKA_BOOTSTRAP.
class KafkaEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // "127.0.0.1:port" of the broker; valid after SetUp.
  static const std::string& Bootstrap();

 private:
  bool started_here_ = false;
};

}  // namespace vigil::testing

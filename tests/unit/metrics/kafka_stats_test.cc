#include "processors/metrics/kafka_stats.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace vigil::metrics {
namespace {

// The exposition text of the registry (what /metrics serves).
std::string Text(const Metrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

// A librdkafka 2.0 statistics document, cut to the fields read, with the
// entries KafkaStats must skip: a bootstrap broker, the logical coordinator,
// the UA partition and a partition not assigned (desired false).
constexpr char kConsumerStats[] = R"({
  "name": "rdkafka#consumer-1", "type": "consumer", "msg_cnt": 12, "replyq": 3,
  "brokers": {
    "127.0.0.1:9092/bootstrap": {"nodeid": -1, "source": "configured", "state": "UP",
                                 "outbuf_cnt": 0, "waitresp_cnt": 0, "rtt": {"avg": 0}},
    "127.0.0.1:9092/1": {"nodeid": 1, "source": "learned", "state": "UP",
                         "outbuf_cnt": 2, "waitresp_cnt": 1, "rtt": {"avg": 1500}},
    "127.0.0.1:9093/2": {"nodeid": 2, "source": "learned", "state": "DOWN",
                         "outbuf_cnt": 0, "waitresp_cnt": 0, "rtt": {"avg": 0}},
    "GroupCoordinator": {"nodeid": 1, "source": "logical", "state": "UP",
                         "outbuf_cnt": 0, "waitresp_cnt": 0, "rtt": {"avg": 900}}
  },
  "topics": {
    "tickets": {"partitions": {
      "0": {"partition": 0, "desired": true, "hi_offset": 100, "app_offset": 40,
            "committed_offset": 10, "lo_offset": 0},
      "1": {"partition": 1, "desired": true, "hi_offset": 50, "app_offset": -1001,
            "committed_offset": 45, "lo_offset": 0},
      "2": {"partition": 2, "desired": false, "hi_offset": 70, "app_offset": 0,
            "committed_offset": 0, "lo_offset": 0},
      "-1": {"partition": -1, "desired": false, "hi_offset": -1, "app_offset": -1001,
             "committed_offset": -1001, "lo_offset": -1}
    }}
  }
})";

TEST(KafkaStatsTest, StatisticsBecomeBrokerQueueAndLagGauges) {
  Metrics m("test");
  KafkaStats stats(&m, "consumer", /*consumer_lag=*/true);
  EXPECT_EQ(stats.total_lag(), -1);  // nothing known yet
  stats.OnStatistics(kConsumerStats);
  const std::string text = Text(m);
  {
    EXPECT_NE(text.find(R"(vigil_kafka_broker_up{broker="127.0.0.1:9092/1",client="consumer"} 1)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(R"(vigil_kafka_broker_up{broker="127.0.0.1:9093/2",client="consumer"} 0)"),
              std::string::npos);
    EXPECT_NE(
        text.find(
            R"(vigil_kafka_broker_rtt_seconds{broker="127.0.0.1:9092/1",client="consumer"} 0.0015)"),
        std::string::npos);
    EXPECT_NE(
        text.find(
            R"(vigil_kafka_broker_outbuf_requests{broker="127.0.0.1:9092/1",client="consumer"} 2)"),
        std::string::npos);
    EXPECT_EQ(text.find("bootstrap"), std::string::npos);
    EXPECT_EQ(text.find("GroupCoordinator"), std::string::npos);
    EXPECT_NE(text.find(R"(vigil_kafka_client_queue_messages{client="consumer"} 12)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(vigil_kafka_client_replyq_events{client="consumer"} 3)"),
              std::string::npos);
    // Lag: from the application's position, else the committed offset.
    EXPECT_NE(text.find(R"(vigil_consumer_lag_records{partition="0",topic="tickets"} 60)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(vigil_consumer_lag_records{partition="1",topic="tickets"} 5)"),
              std::string::npos);
    EXPECT_EQ(text.find(R"(partition="2")"), std::string::npos);  // not assigned
    EXPECT_EQ(text.find(R"(partition="-1")"), std::string::npos);
  }
  EXPECT_EQ(stats.total_lag(), 65);
  EXPECT_EQ(stats.statistics_seen(), 1u);
}

TEST(KafkaStatsTest, SeriesOfRevokedPartitionsAndGoneBrokersAreRemoved) {
  Metrics m("test");
  KafkaStats stats(&m, "consumer", /*consumer_lag=*/true);
  stats.OnStatistics(kConsumerStats);
  stats.OnStatistics(R"({"msg_cnt": 0, "replyq": 0,
    "brokers": {"127.0.0.1:9092/1": {"nodeid": 1, "source": "learned", "state": "UP",
                                     "rtt": {"avg": 100}}},
    "topics": {"tickets": {"partitions": {
      "1": {"partition": 1, "desired": true, "hi_offset": 50, "app_offset": 50}}}}})");
  const std::string text = Text(m);
  EXPECT_EQ(text.find(R"(partition="0")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(vigil_consumer_lag_records{partition="1",topic="tickets"} 0)"),
            std::string::npos);
  EXPECT_EQ(text.find("127.0.0.1:9093/2"), std::string::npos);
  EXPECT_EQ(stats.total_lag(), 0);
}

TEST(KafkaStatsTest, AProducerReportsNoLagAndBadJsonIsIgnored) {
  Metrics m("test");
  KafkaStats stats(&m, "producer", /*consumer_lag=*/false);
  stats.OnStatistics("{not json");
  stats.OnStatistics("[1,2]");
  EXPECT_EQ(stats.statistics_seen(), 0u);
  stats.OnStatistics(kConsumerStats);
  EXPECT_EQ(stats.statistics_seen(), 1u);
  EXPECT_EQ(stats.total_lag(), -1);
  const std::string text = Text(m);
  EXPECT_EQ(text.find("vigil_consumer_lag_records{"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(vigil_kafka_client_queue_messages{client="producer"} 12)"),
            std::string::npos);
}

TEST(MetricsTest, EveryFamilyIsRegisteredAtStartWithTheVigilPrefix) {
  Metrics m("1.2.3");
  const std::vector<std::string> names = m.FamilyNames();
  EXPECT_EQ(names.size(), 35u);
  for (const std::string& n : names) EXPECT_EQ(n.rfind("vigil_", 0), 0u) << n;
  EXPECT_NE(Text(m).find(R"(vigil_build_info{version="1.2.3"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace vigil::metrics

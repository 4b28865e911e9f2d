#include "tests/support/kafka_client.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>

namespace vigil::testing {
namespace {

std::unique_ptr<RdKafka::Conf> Conf(const std::string& bootstrap) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  conf->set("bootstrap.servers", bootstrap, err);
  return conf;
}

}  // namespace

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

void CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                  int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  ASSERT_NE(rk, nullptr) << err;
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  for (const auto& t : topics) {
    new_topics.push_back(rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof(err)));
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  ASSERT_NE(ev, nullptr) << "CreateTopics timed out";
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
  ASSERT_NE(res, nullptr) << rd_kafka_event_error_string(ev);
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(rd_kafka_topic_result_error(results[i]), RD_KAFKA_RESP_ERR_NO_ERROR)
        << rd_kafka_topic_result_name(results[i]) << ": "
        << (rd_kafka_topic_result_error_string(results[i])
                ? rd_kafka_topic_result_error_string(results[i])
                : "");
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  for (auto* t : new_topics) rd_kafka_NewTopic_destroy(t);
  rd_kafka_destroy(rk);
  // The controller has the topics; wait until the broker leads them too.
  for (const auto& t : topics) EndOffsets(bootstrap, t, partitions);
}

TestProducer::TestProducer(const std::string& bootstrap) {
  auto conf = Conf(bootstrap);
  std::string err;
  conf->set("linger.ms", "5", err);
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  EXPECT_TRUE(producer_) << err;
}

void TestProducer::Send(const std::string& topic, const std::string& key,
                        const std::string& value) {
  for (;;) {
    RdKafka::ErrorCode e = producer_->produce(
        topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
    if (e == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);
      continue;
    }
    ASSERT_EQ(e, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(e);
    return;
  }
}

void TestProducer::Flush() {
  ASSERT_EQ(producer_->flush(30000), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer_->outq_len(), 0);
}

TestReader::TestReader(const std::string& bootstrap, const std::vector<std::string>& topics,
                       int partitions)
    : bootstrap_(bootstrap), topics_(topics), partitions_(partitions) {
  auto conf = Conf(bootstrap);
  std::string err;
  conf->set("group.id", UniqueName("reader"), err);
  conf->set("enable.auto.commit", "false", err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  EXPECT_TRUE(consumer_) << err;
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto& t : topics) {
    for (int p = 0; p < partitions; ++p) {
      parts.push_back(RdKafka::TopicPartition::create(t, p, RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  consumer_->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
}

TestReader::~TestReader() { consumer_->close(); }

bool TestReader::PollOnce(int ms) {
  std::unique_ptr<RdKafka::Message> m(consumer_->consume(ms));
  if (m->err() != RdKafka::ERR_NO_ERROR) return false;
  Record r;
  r.topic = m->topic_name();
  r.partition = m->partition();
  r.offset = m->offset();
  r.timestamp_ms = m->timestamp().timestamp;
  if (m->key()) r.key = *m->key();
  r.value.assign(static_cast<const char*>(m->payload()), m->len());
  if (RdKafka::Headers* h = m->headers()) {
    for (const auto& hdr : h->get_all()) {
      r.headers[hdr.key()] = std::string(static_cast<const char*>(hdr.value()), hdr.value_size());
    }
  }
  records_.push_back(std::move(r));
  return true;
}

const std::vector<Record>& TestReader::ReadUntil(
    const std::function<bool(const std::vector<Record>&)>& done,
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(records_) && std::chrono::steady_clock::now() < deadline) PollOnce(200);
  return records_;
}

bool TestReader::ReadToEnd(std::chrono::milliseconds timeout) {
  std::vector<RdKafka::TopicPartition*> parts;
  std::vector<int64_t> ends;
  for (const auto& t : topics_) {
    for (const auto& [p, end] : EndOffsets(bootstrap_, t, partitions_)) {
      parts.push_back(RdKafka::TopicPartition::create(t, p));
      ends.push_back(end);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    done = consumer_->position(parts) == RdKafka::ERR_NO_ERROR;
    for (size_t i = 0; done && i < parts.size(); ++i) {
      // Before the first fetch the position is unset (negative).
      if (ends[i] > 0 && parts[i]->offset() < ends[i]) done = false;
    }
    if (!done) PollOnce(200);
  }
  RdKafka::TopicPartition::destroy(parts);
  return done;
}

std::map<int32_t, int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                            const std::string& topic, int partitions) {
  auto conf = Conf(bootstrap);
  std::string err;
  conf->set("group.id", group, err);
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
  std::map<int32_t, int64_t> out;
  if (c->committed(parts, 10000) == RdKafka::ERR_NO_ERROR) {
    for (auto* p : parts) out[p->partition()] = p->offset();
  }
  RdKafka::TopicPartition::destroy(parts);
  c->close();
  return out;
}

std::map<int32_t, int64_t> EndOffsets(const std::string& bootstrap, const std::string& topic,
                                      int partitions) {
  auto conf = Conf(bootstrap);
  std::string err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
  std::map<int32_t, int64_t> out;
  for (int i = 0; i < partitions; ++i) {
    int64_t lo = 0, hi = 0;
    // A fresh topic's leaders may not be known everywhere yet: retriable
    // errors are retried (each query waits up to 10 s for the broker).
    RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR;
    for (int attempt = 0; attempt < 10; ++attempt) {
      code = p->query_watermark_offsets(topic, i, &lo, &hi, 10000);
      if (code != RdKafka::ERR_NOT_LEADER_FOR_PARTITION &&
          code != RdKafka::ERR_LEADER_NOT_AVAILABLE && code != RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) {
        break;
      }
      p->poll(200);  // lets librdkafka refresh its metadata
    }
    EXPECT_EQ(code, RdKafka::ERR_NO_ERROR) << RdKafka::err2str(code);
    out[i] = hi;
  }
  return out;
}

}  // namespace vigil::testing

#include "tools/bench/kafka_io.h"

#include <librdkafka/rdkafka.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "tools/bench/traffic.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::bench {
namespace {

// The plain consumers prefetch as deep as vigild does (its default), so the
// comparison is of what each does with a record, not of queue settings.
// (Measured: 100,000 or 200,000 makes no difference to them.)
constexpr char kRawQueuedMin[] = "200000";

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> Conf(
    const std::string& bootstrap, const std::map<std::string, std::string>& props) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  if (conf->set("bootstrap.servers", bootstrap, err) != RdKafka::Conf::CONF_OK) {
    return absl::InvalidArgumentError(err);
  }
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat(k, "=", v, ": ", err));
    }
  }
  return conf;
}

std::string UniqueGroup(const std::string& what) {
  return absl::StrCat("vigil-bench-", what, "-", ::getpid(), "-", NowNs());
}

// Runs one Admin request on a throwaway client and checks every topic result.
template <typename Call, typename Results>
absl::Status AdminTopics(const std::string& bootstrap, const char* what, Call call,
                         Results results) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) return absl::InternalError(err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  call(rk, q);
  absl::Status status;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 60000);
  if (ev == nullptr) {
    status = absl::DeadlineExceededError(absl::StrCat(what, " timed out"));
  } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(absl::StrCat(what, ": ", rd_kafka_event_error_string(ev)));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** res = results(ev, &n);
    for (size_t i = 0; i < n && status.ok(); ++i) {
      if (rd_kafka_topic_result_error(res[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* msg = rd_kafka_topic_result_error_string(res[i]);
        status = absl::UnavailableError(
            absl::StrCat(what, " ", rd_kafka_topic_result_name(res[i]), ": ", msg ? msg : "error"));
      }
    }
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return status;
}

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status CreateTopics(const std::string& bootstrap, const std::vector<std::string>& topics,
                          int partitions) {
  std::vector<rd_kafka_NewTopic_t*> nts;
  char err[512];
  for (const auto& t : topics) {
    nts.push_back(rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof(err)));
    if (nts.back() == nullptr) return absl::InvalidArgumentError(err);
  }
  absl::Status s = AdminTopics(
      bootstrap, "creating topics",
      [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
        rd_kafka_CreateTopics(rk, nts.data(), nts.size(), nullptr, q);
      },
      [](rd_kafka_event_t* ev, size_t* n) {
        return rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), n);
      });
  for (auto* t : nts) rd_kafka_NewTopic_destroy(t);
  return s;
}

absl::Status DeleteTopics(const std::string& bootstrap, const std::vector<std::string>& topics) {
  std::vector<rd_kafka_DeleteTopic_t*> dts;
  for (const auto& t : topics) dts.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  absl::Status s = AdminTopics(
      bootstrap, "deleting topics",
      [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
        rd_kafka_DeleteTopics(rk, dts.data(), dts.size(), nullptr, q);
      },
      [](rd_kafka_event_t* ev, size_t* n) {
        return rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), n);
      });
  for (auto* t : dts) rd_kafka_DeleteTopic_destroy(t);
  return s;
}

absl::StatusOr<int64_t> EndOffsetSum(const std::string& bootstrap, const std::string& topic,
                                     int partitions) {
  auto conf = Conf(bootstrap, {});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf->get(), err));
  if (!p) return absl::InternalError(err);
  int64_t sum = 0;
  for (int i = 0; i < partitions; ++i) {
    int64_t lo = 0, hi = 0;
    const RdKafka::ErrorCode e = p->query_watermark_offsets(topic, i, &lo, &hi, 10000);
    if (e != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("watermarks of ", topic, ": ", RdKafka::err2str(e)));
    }
    sum += hi;
  }
  return sum;
}

// ---------------------------------------------------------------- producer

BenchProducer::BenchProducer(uint64_t first_id, size_t capacity)
    : first_id_(first_id), delivery_(this), partition_(capacity, -1), offset_(capacity, -1) {}

void BenchProducer::Delivery::dr_cb(RdKafka::Message& m) {
  if (m.err() != RdKafka::ERR_NO_ERROR) {
    ++owner_->failed_;
    return;
  }
  ++owner_->acked_;
  const uint64_t id = reinterpret_cast<uintptr_t>(m.msg_opaque());
  const uint64_t i = id - owner_->first_id_;
  if (i < owner_->partition_.size()) {
    owner_->partition_[i] = m.partition();
    owner_->offset_[i] = m.offset();
  }
}

absl::StatusOr<std::unique_ptr<BenchProducer>> BenchProducer::Create(
    const std::string& bootstrap, const std::map<std::string, std::string>& props,
    uint64_t first_id, size_t capacity) {
  std::unique_ptr<BenchProducer> p(new BenchProducer(first_id, capacity));
  std::map<std::string, std::string> all = {{"acks", "all"}};
  for (const auto& [k, v] : props) all[k] = v;
  auto conf = Conf(bootstrap, all);
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("dr_cb", &p->delivery_, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  p->producer_.reset(RdKafka::Producer::create(conf->get(), err));
  if (!p->producer_) return absl::InternalError(err);
  return p;
}

void BenchProducer::Send(const std::string& topic, const Record& r, uint64_t id) {
  for (;;) {
    const RdKafka::ErrorCode e =
        producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(r.value.data()), r.value.size(), r.key.data(),
                           r.key.size(), 0, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
    if (e == RdKafka::ERR_NO_ERROR) return;
    if (e == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(1);
      continue;
    }
    ++failed_;
    return;
  }
}

absl::Status BenchProducer::Flush(int timeout_ms) {
  const RdKafka::ErrorCode e = producer_->flush(timeout_ms);
  if (e != RdKafka::ERR_NO_ERROR) {
    return absl::DeadlineExceededError(absl::StrCat("producer flush: ", RdKafka::err2str(e)));
  }
  producer_->poll(0);
  if (failed_ != 0) return absl::UnavailableError(absl::StrCat(failed_, " records not delivered"));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- raw consumers

absl::StatusOr<ConsumePass> RawConsumeCBatch(const std::string& bootstrap, const std::string& topic,
                                             int partitions, uint64_t expected) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string group = UniqueGroup("raw-c");
  for (const auto& [k, v] :
       std::map<std::string, std::string>{{"bootstrap.servers", bootstrap},
                                          {"group.id", group},
                                          {"enable.auto.commit", "false"},
                                          {"enable.partition.eof", "false"},
                                          {"queued.min.messages", kRawQueuedMin}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) return absl::InternalError(err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  ConsumePass pass;
  pass.api = "C rd_kafka_consume_batch_queue";
  const double cpu0 = CpuSeconds();
  const int64_t t0 = NowNs();
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  rd_kafka_queue_t* q = rd_kafka_queue_get_consumer(rk);
  std::vector<rd_kafka_message_t*> batch(10000);
  int64_t first = 0, last = 0;
  int idle_ms = 0;
  while (pass.messages < expected && idle_ms < 30000) {
    const ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch.data(), batch.size());
    if (n <= 0) {
      idle_ms += 100;
      continue;
    }
    idle_ms = 0;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (pass.messages == 0) first = NowNs();
        ++pass.messages;
        pass.bytes += m->len + m->key_len;
      }
      rd_kafka_message_destroy(m);
    }
    last = NowNs();
  }
  pass.cpu_s = CpuSeconds() - cpu0;
  pass.startup_s = static_cast<double>(first - t0) / 1e9;
  pass.seconds = static_cast<double>(last - first) / 1e9;
  rd_kafka_queue_destroy(q);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (pass.messages < expected) {
    return absl::DeadlineExceededError(
        absl::StrCat("C consumer read ", pass.messages, " of ", expected, " records"));
  }
  return pass;
}

absl::StatusOr<ConsumePass> RawConsumeCpp(const std::string& bootstrap, const std::string& topic,
                                          int partitions, uint64_t expected) {
  auto conf = Conf(bootstrap, {{"group.id", UniqueGroup("raw-cpp")},
                               {"enable.auto.commit", "false"},
                               {"enable.partition.eof", "false"},
                               {"queued.min.messages", kRawQueuedMin}});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!c) return absl::InternalError(err);
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  ConsumePass pass;
  pass.api = "C++ KafkaConsumer::consume";
  const double cpu0 = CpuSeconds();
  const int64_t t0 = NowNs();
  c->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  int64_t first = 0, last = 0;
  int idle_ms = 0;
  while (pass.messages < expected && idle_ms < 30000) {
    std::unique_ptr<RdKafka::Message> m(c->consume(100));
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      if (m->err() == RdKafka::ERR__TIMED_OUT) idle_ms += 100;
      continue;
    }
    idle_ms = 0;
    if (pass.messages == 0) first = NowNs();
    ++pass.messages;
    pass.bytes += m->len() + m->key_len();
    last = NowNs();
  }
  pass.cpu_s = CpuSeconds() - cpu0;
  pass.startup_s = static_cast<double>(first - t0) / 1e9;
  pass.seconds = static_cast<double>(last - first) / 1e9;
  c->close();
  if (pass.messages < expected) {
    return absl::DeadlineExceededError(
        absl::StrCat("C++ consumer read ", pass.messages, " of ", expected, " records"));
  }
  return pass;
}

// ---------------------------------------------------------------- group offsets

absl::StatusOr<std::unique_ptr<GroupOffsets>> GroupOffsets::Create(const std::string& bootstrap,
                                                                   const std::string& group,
                                                                   const std::string& topic,
                                                                   int partitions) {
  auto conf = Conf(bootstrap, {{"group.id", group}, {"enable.auto.commit", "false"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<GroupOffsets> g(new GroupOffsets());
  std::string err;
  g->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!g->consumer_) return absl::InternalError(err);
  g->topic_ = topic;
  g->partitions_ = partitions;
  return g;
}

GroupOffsets::~GroupOffsets() {
  if (consumer_) consumer_->close();
}

int64_t GroupOffsets::CommittedSum(int timeout_ms) {
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions_; ++p) parts.push_back(RdKafka::TopicPartition::create(topic_, p));
  int64_t sum = -1;
  if (consumer_->committed(parts, timeout_ms) == RdKafka::ERR_NO_ERROR) {
    sum = 0;
    for (auto* p : parts) sum += std::max<int64_t>(0, p->offset());
  }
  RdKafka::TopicPartition::destroy(parts);
  return sum;
}

// ---------------------------------------------------------------- warnings

absl::StatusOr<std::unique_ptr<WarningReader>> WarningReader::Start(const std::string& bootstrap,
                                                                    const std::string& topic,
                                                                    int partitions) {
  auto conf = Conf(bootstrap, {{"group.id", UniqueGroup("warnings")},
                               {"enable.auto.commit", "false"},
                               {"enable.partition.eof", "false"},
                               {"fetch.wait.max.ms", "10"}});
  if (!conf.ok()) return conf.status();
  std::unique_ptr<WarningReader> r(new WarningReader());
  std::string err;
  r->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!r->consumer_) return absl::InternalError(err);
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) {
    parts.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  r->consumer_->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  r->thread_ = std::thread([p = r.get()] { p->Loop(); });
  return r;
}

WarningReader::~WarningReader() { Stop(); }

void WarningReader::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
}

void WarningReader::Loop() {
  v1::WarningEvent we;
  while (!stop_.load()) {
    std::unique_ptr<RdKafka::Message> m(consumer_->consume(50));
    if (m->err() != RdKafka::ERR_NO_ERROR) continue;
    WarningSample s;
    s.read_ns = NowNs();
    s.kafka_ts_ms = m->timestamp().timestamp;
    if (!we.ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
      ++undecodable_;
      continue;
    }
    // The event that produced this warning event is the newest one cited:
    // every other id in the evidence was applied before it (a key's events
    // share a partition and are sent in id order).
    for (const std::string& id : we.warning().evidence().event_ids()) {
      s.trigger_seq = std::max(s.trigger_seq, SeqOfEventId(id));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      samples_.push_back(s);
    }
    ++count_;
  }
}

std::vector<WarningSample> WarningReader::Samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

}  // namespace vigil::bench

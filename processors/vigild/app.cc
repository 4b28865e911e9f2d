#include "processors/vigild/app.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/ingest/decoder.h"
#include "processors/sinks/kafka_config.h"

namespace vigil::vigild {
namespace {

internal::Header* AddHeader(internal::OutboxRecord* r, std::string name, std::string value) {
  internal::Header* h = r->add_headers();
  h->set_name(std::move(name));
  h->set_value(std::move(value));
  return h;
}

}  // namespace

App::App(Config config, const Clock* clock)
    : config_(std::move(config)), clock_(clock), rebalancer_(this), commit_watcher_(this) {
  validation_.max_future_skew = config_.max_future_skew;
  inputs_[config_.tickets.name] = {ingest::InputKind::kTickets, config_.tickets.format};
  inputs_[config_.outages.name] = {ingest::InputKind::kOutages, config_.outages.format};
  inputs_[config_.repeat_calls.name] = {ingest::InputKind::kRepeatCalls,
                                        config_.repeat_calls.format};
}

App::~App() {
  if (consumer_) consumer_->close();
}

absl::StatusOr<std::unique_ptr<App>> App::Create(Config config, const Clock* clock) {
  std::unique_ptr<App> app(new App(std::move(config), clock));
  VIGIL_RETURN_IF_ERROR(app->Init());
  return app;
}

absl::Status App::Init() {
  VIGIL_ASSIGN_OR_RETURN(store_, state::StateStore::Open(config_.state_path));
  rule_ = std::make_unique<engine::ClusteredComplaints>(config_.clustered_complaints);
  size_t restored = 0;
  VIGIL_RETURN_IF_ERROR(store_->ForEachClusterState(
      [&](const std::string& rule_id, const std::string& key, const internal::ClusterState& s) {
        if (rule_id != rule_->config().rule_id) return;
        rule_->Restore(key, s);
        ++restored;
      }));
  VIGIL_ASSIGN_OR_RETURN(durable_offsets_, store_->LoadOffsets());
  spdlog::info("state at {}: {} rule keys, {} stored input offsets", config_.state_path, restored,
               durable_offsets_.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.committed = durable_offsets_;
  }

  std::map<std::string, std::string> props = config_.kafka_properties;
  props["bootstrap.servers"] = config_.brokers;
  VIGIL_ASSIGN_OR_RETURN(publisher_, sinks::OutboxPublisher::Create(props, store_.get(), clock_));
  VIGIL_RETURN_IF_ERROR(publisher_->Recover());
  // A crash may have come between the RocksDB commit and the Kafka commit:
  // bring Kafka's view (lag monitoring) up to the durable offsets once the
  // records republished above are acknowledged.
  if (!durable_offsets_.empty()) {
    unpublished_.push_back({store_->NewBatch().next_seq(), durable_offsets_});
  }

  props["group.id"] = config_.group_id;
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  props.emplace("enable.partition.eof", "false");
  // librdkafka stops fetching a partition once ~100k messages (its default)
  // wait in the local queue, and resumes only on its broker thread's next
  // wake-up: catching up on a backlog, vigild drained that prefetch and then
  // idled ~40 % of the time (vigil-bench: 120k → 190k events/s with 200k,
  // +45 MiB peak RSS). Settable in kafka.properties like any other.
  props.emplace("queued.min.messages", "200000");
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, sinks::MakeKafkaConf(props));
  std::string err;
  if (conf->set("rebalance_cb", &rebalancer_, err) != RdKafka::Conf::CONF_OK ||
      conf->set("offset_commit_cb", &commit_watcher_, err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  const RdKafka::ErrorCode sub = consumer_->subscribe(
      {config_.tickets.name, config_.outages.name, config_.repeat_calls.name});
  if (sub != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("subscribing: ", RdKafka::err2str(sub)));
  }
  return absl::OkStatus();
}

void App::Rebalancer::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                                   std::vector<RdKafka::TopicPartition*>& partitions) {
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    // Resume exactly where RocksDB says: the offsets committed with the state.
    for (RdKafka::TopicPartition* p : partitions) {
      TopicPartition tp{p->topic(), Partition(p->partition())};
      auto it = app_->durable_offsets_.find(tp);
      if (it != app_->durable_offsets_.end()) {
        p->set_offset(it->second.value());
      } else {
        p->set_offset(app_->config_.start_from == "latest" ? RdKafka::Topic::OFFSET_END
                                                            : RdKafka::Topic::OFFSET_BEGINNING);
      }
      spdlog::info("assigned {}[{}] from offset {}", p->topic(), p->partition(), p->offset());
    }
    consumer->assign(partitions);
    std::lock_guard<std::mutex> lock(app_->mu_);
    app_->progress_.assigned = true;
  } else {
    spdlog::info("partitions revoked ({})", RdKafka::err2str(err));
    consumer->unassign();
  }
}

void App::CommitWatcher::offset_commit_cb(RdKafka::ErrorCode err,
                                          std::vector<RdKafka::TopicPartition*>& offsets) {
  // Served on the engine thread from consume(). A failed commit is retried
  // with the next batch; only Kafka's lag view is stale meanwhile.
  if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
    spdlog::debug("offset commit to Kafka failed ({}); will retry", RdKafka::err2str(err));
    app_->kafka_commit_due_ = true;
  }
}

void App::DeadLetter(const RdKafka::Message& msg, const ingest::Rejection& why,
                     state::StateStore::Batch& batch,
                     std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  internal::OutboxRecord r;
  r.set_topic(config_.dead_letter_topic);
  if (msg.key_pointer()) r.set_key(*msg.key());
  if (msg.payload()) r.set_value(static_cast<const char*>(msg.payload()), msg.len());
  AddHeader(&r, "vigil-reason", std::string(ingest::ReasonCode(why.reason)));
  AddHeader(&r, "vigil-detail", why.detail);
  AddHeader(&r, "vigil-source-topic", msg.topic_name());
  AddHeader(&r, "vigil-source-partition", absl::StrCat(msg.partition()));
  AddHeader(&r, "vigil-source-offset", absl::StrCat(msg.offset()));
  AddHeader(&r, "vigil-source-timestamp-ms", absl::StrCat(msg.timestamp().timestamp));
  const uint64_t seq = batch.AppendOutbox(r);
  outbox->emplace_back(seq, std::move(r));
  ++new_rejected_;
}

void App::Process(const RdKafka::Message& msg, absl::Time now, state::StateStore::Batch& batch,
                  std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  const std::string topic = msg.topic_name();
  pending_offsets_[{topic, Partition(msg.partition())}] = Offset(msg.offset() + 1);
  const std::string_view bytes(static_cast<const char*>(msg.payload()), msg.len());

  v1::Envelope& event = event_;
  const InputSpec& input = inputs_.at(topic);
  std::optional<ingest::Rejection> why = ingest::Decode(bytes, input.format, &event);
  if (!why) why = ingest::Validate(event, input.kind, now, validation_);
  if (why) {
    DeadLetter(msg, *why, batch, outbox);
    return;
  }
  engine::RuleOutput out;
  rule_->Apply(event, &out);
  if (out.rejection) {
    DeadLetter(msg, *out.rejection, batch, outbox);
    return;
  }
  for (v1::WarningEvent& we : out.events) {
    internal::OutboxRecord r;
    r.set_topic(config_.warnings_topic);
    r.set_key(we.warning().region().city_code());
    we.set_ledger_seq(batch.next_seq());
    r.set_value(we.SerializeAsString());
    AddHeader(&r, "vigil-warning-id", we.warning().warning_id());
    AddHeader(&r, "vigil-version", absl::StrCat(we.warning().version()));
    AddHeader(&r, "content-type", "application/x-protobuf; messageType=vigil.v1.WarningEvent");
    const uint64_t seq = batch.AppendOutbox(r);
    outbox->emplace_back(seq, std::move(r));
  }
  ++new_ok_;
  new_warning_events_ += out.events.size();
}

absl::Status App::CommitBatch(state::StateStore::Batch& batch,
                              std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  if (pending_offsets_.empty()) return absl::OkStatus();
  for (auto& [key, state] : rule_->TakeDirty()) {
    if (state) {
      batch.PutClusterState(rule_->config().rule_id, key, *state);
    } else {
      batch.DeleteClusterState(rule_->config().rule_id, key);
    }
  }
  for (const auto& [tp, off] : pending_offsets_) batch.PutOffset(tp, off);
  // One WriteBatch, one fsync: state, outbox and offsets agree after any crash.
  VIGIL_RETURN_IF_ERROR(store_->Commit(batch, /*sync=*/true));
  for (const auto& [tp, off] : pending_offsets_) durable_offsets_[tp] = off;
  pending_offsets_.clear();
  // Only now may anything in this batch become visible outside.
  for (auto& [seq, record] : *outbox) publisher_->Publish(seq, record);
  outbox->clear();
  unpublished_.push_back({batch.next_seq(), durable_offsets_});
  std::lock_guard<std::mutex> lock(mu_);
  progress_.committed = durable_offsets_;
  return absl::OkStatus();
}

void App::CommitToKafka(bool final) {
  // Offsets in Kafka are for lag monitoring; commit them only once everything
  // those inputs produced has been acknowledged by Kafka: the offsets of the
  // newest RocksDB commit whose outbox records are all published. (Waiting
  // for an empty outbox instead never commits while warnings keep flowing.)
  const uint64_t lowest_in_flight = publisher_->lowest_in_flight();
  while (!unpublished_.empty() && unpublished_.front().outbox_end <= lowest_in_flight) {
    published_offsets_ = std::move(unpublished_.front().offsets);
    unpublished_.pop_front();
    kafka_commit_due_ = true;
  }
  if (!kafka_commit_due_) return;
  // At most once a second: lag monitoring needs no more, and a broker that
  // refuses commits during a rebalance is not hammered.
  const absl::Time now = clock_->Now();
  if (!final && now < next_kafka_commit_) return;
  next_kafka_commit_ = now + absl::Seconds(1);
  std::vector<RdKafka::TopicPartition*> parts;
  for (const auto& [tp, off] : published_offsets_) {
    parts.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition.value(), off.value()));
  }
  const RdKafka::ErrorCode err = final ? consumer_->commitSync(parts) : consumer_->commitAsync(parts);
  if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
    spdlog::warn("committing offsets to Kafka: {}", RdKafka::err2str(err));
  }
  RdKafka::TopicPartition::destroy(parts);
  kafka_commit_due_ = false;
}

absl::Status App::Run(const std::atomic<bool>& stop) {
  spdlog::info("vigild consuming {}, {}, {} from {} as group {}", config_.tickets.name,
               config_.outages.name, config_.repeat_calls.name, config_.brokers,
               config_.group_id);
  std::vector<std::pair<uint64_t, internal::OutboxRecord>> outbox;
  RdKafka::ErrorCode last_error = RdKafka::ERR_NO_ERROR;
  absl::Time next_report = clock_->Now() + absl::Seconds(10);
  while (!stop.load()) {
    state::StateStore::Batch batch = store_->NewBatch();
    absl::Time now = clock_->Now();  // one clock read per record
    const absl::Time deadline = now + config_.commit_interval;
    int n = 0;
    while (n < config_.max_batch_events && !stop.load()) {
      const int64_t left_ms = absl::ToInt64Milliseconds(deadline - now);
      if (left_ms <= 0) break;
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(static_cast<int>(left_ms)));
      now = clock_->Now();
      VIGIL_RETURN_IF_ERROR(publisher_->Poll(0));
      switch (msg->err()) {
        case RdKafka::ERR_NO_ERROR:
          Process(*msg, now, batch, &outbox);
          ++n;
          last_error = RdKafka::ERR_NO_ERROR;
          break;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__PARTITION_EOF:
          break;
        default:
          if (msg->err() != last_error) {  // log each distinct error once, not per poll
            spdlog::warn("kafka consumer: {}", msg->errstr());
            last_error = msg->err();
          }
          break;
      }
    }
    VIGIL_RETURN_IF_ERROR(CommitBatch(batch, &outbox));
    VIGIL_RETURN_IF_ERROR(publisher_->Poll(0));
    CommitToKafka();
    std::lock_guard<std::mutex> lock(mu_);
    progress_.events_ok += std::exchange(new_ok_, 0);
    progress_.events_rejected += std::exchange(new_rejected_, 0);
    progress_.warning_events += std::exchange(new_warning_events_, 0);
    progress_.outbox_in_flight = publisher_->in_flight();
    if (clock_->Now() >= next_report) {
      next_report = clock_->Now() + absl::Seconds(10);
      spdlog::info("progress: {} events ok, {} rejected, {} warning events, {} outbox in flight",
                   progress_.events_ok, progress_.events_rejected, progress_.warning_events,
                   progress_.outbox_in_flight);
    }
  }
  spdlog::info("stopping: draining the outbox");
  if (!publisher_->Drain(10000)) {
    spdlog::warn("{} outbox records not yet acknowledged; they are republished at next start",
                 publisher_->in_flight());
  }
  CommitToKafka(/*final=*/true);
  consumer_->close();
  consumer_.reset();
  return absl::OkStatus();
}

App::Progress App::GetProgress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_;
}

}  // namespace vigil::vigild

#include "processors/vigild/app.h"

#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "processors/common/status.h"
#include "processors/ingest/decoder.h"
#include "processors/sinks/kafka_config.h"
#include "processors/warnings/warning_format.h"

namespace vigil::vigild {
namespace {

// Rule-state records (rule id "") holding the watermark: "watermark:<topic>/<partition>"
// per partition (newest event time, ms) and "watermark:" for the task's.
constexpr char kWatermarkPrefix[] = "watermark:";

internal::Header* AddHeader(internal::OutboxRecord* r, std::string name, std::string value) {
  internal::Header* h = r->add_headers();
  h->set_name(std::move(name));
  h->set_value(std::move(value));
  return h;
}

}  // namespace

App::App(Config config, const Clock* clock)
    : config_(std::move(config)),
      clock_(clock),
      rebalancer_(this),
      commit_watcher_(this),
      watermark_(config_.idle_timeout),
      rejections_(/*burst=*/20, absl::Seconds(10),
                  "; every rejected record is on the dead-letter topic with its reason, every "
                  "rejected command on the command-results topic",
                  [](const std::string& line) { spdlog::warn("{}", line); }) {
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
  metrics_ = std::make_unique<metrics::Metrics>(VIGIL_VERSION);
  consumer_stats_ = std::make_unique<metrics::KafkaStats>(metrics_.get(), "consumer",
                                                          /*consumer_lag=*/true);
  producer_stats_ = std::make_unique<metrics::KafkaStats>(metrics_.get(), "producer", false);
  reference_stats_ = std::make_unique<metrics::KafkaStats>(metrics_.get(), "reference", false);
  // Rules first: a bad rule file stops the start before anything is touched.
  absl::StatusOr<ledger::RuleBundle> bundle = ledger::LoadRuleBundle(config_.rules_dir);
  if (!bundle.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rules in ", config_.rules_dir, ":\n", bundle.status().message()));
  }
  const std::shared_ptr<const rules::RuleSet>* rule_set = &bundle->rules;
  rule_files_signature_ = RuleFilesSignature();
  reference_ = std::make_unique<reference::ReferenceStore>();
  if (!config_.reference_file.empty()) {
    VIGIL_RETURN_IF_ERROR(reference::LoadReferenceFile(config_.reference_file, reference_.get()));
  }
  VIGIL_RETURN_IF_ERROR(StartReferenceConsumer());
  spdlog::info(
      "{} window rules and {} deadline rules from {}; reference data: {} areas, {} "
      "tagged customers",
      (*rule_set)->rules.size(), bundle->deadlines->rules.size(), config_.rules_dir,
      reference_->area_count(), reference_->customer_count());
  for (int year : {absl::ToCivilYear(clock_->Now(), absl::UTCTimeZone()).year(),
                   absl::ToCivilYear(clock_->Now(), absl::UTCTimeZone()).year() + 1}) {
    if (!bundle->deadlines->rules.empty() && !bundle->deadlines->calendar.Covers(year)) {
      spdlog::warn(
          "no business calendar for {} in {}/calendars: working-day limits count "
          "Monday to Friday only",
          year, config_.rules_dir);
    }
  }

  VIGIL_ASSIGN_OR_RETURN(store_, state::StateStore::Open(config_.state_path));
  pipeline_ = std::make_unique<ledger::Pipeline>(bundle->rules, bundle->deadlines, bundle->policy,
                                                 reference_.get(), store_.get());
  VIGIL_RETURN_IF_ERROR(pipeline_->Open());
  engine::RuleEngine* engine = &pipeline_->rule_engine();
  size_t restored = 0, ignored = 0;
  std::vector<std::pair<std::string, std::string>> stale;
  const absl::Time start = clock_->Now();
  VIGIL_RETURN_IF_ERROR(store_->ForEachRuleState(
      [&](const std::string& rule_id, const std::string& key, const std::string& bytes) {
        int64_t ms = 0;
        if (rule_id.empty() && key.rfind(kWatermarkPrefix, 0) == 0 &&
            absl::SimpleAtoi(bytes, &ms)) {
          // The watermark as it was committed, so lateness is judged the same
          // after a restart as without one.
          const std::string source = key.substr(std::strlen(kWatermarkPrefix));
          if (source.empty()) {
            watermark_.RestoreWatermark(absl::FromUnixMillis(ms));
            engine->RestoreWatermark(absl::FromUnixMillis(ms));
          } else if (ms != absl::ToUnixMillis(absl::InfinitePast())) {
            // (State written before 2026-11-26 kept never-delivered
            // partitions as the infinite past: those are skipped.)
            watermark_.Restore(source, absl::FromUnixMillis(ms), start);
          }
          return;
        }
        if (engine->Restore({rule_id, key, bytes})) {
          ++restored;
        } else {
          ++ignored;
          stale.emplace_back(rule_id, key);
        }
      }));
  if (!stale.empty()) {
    // State of rules that are gone or whose windows changed shape.
    state::StateStore::Batch cleanup = store_->NewBatch();
    for (const auto& [rule_id, key] : stale) cleanup.DeleteRuleState(rule_id, key);
    VIGIL_RETURN_IF_ERROR(store_->Commit(cleanup, /*sync=*/true));
  }
  engine->TakeDirty();  // restoring is not a change
  VIGIL_ASSIGN_OR_RETURN(durable_offsets_, store_->LoadOffsets());
  spdlog::info(
      "state at {}: {} rule keys restored ({} of removed or reshaped rules dropped), "
      "{} stored input offsets",
      config_.state_path, restored, ignored, durable_offsets_.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.rules_loaded = (*rule_set)->rules.size();
    progress_.deadline_rules_loaded = bundle->deadlines->rules.size();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.committed = durable_offsets_;
  }

  VIGIL_RETURN_IF_ERROR(LoadOpenWarnings());

  std::map<std::string, std::string> props = config_.kafka_properties;
  props["bootstrap.servers"] = config_.brokers;
  // librdkafka's statistics feed the lag, broker and queue metrics.
  if (!config_.metrics_listen.empty()) props.emplace("statistics.interval.ms", "5000");
  VIGIL_ASSIGN_OR_RETURN(publisher_, sinks::OutboxPublisher::Create(props, store_.get(), clock_,
                                                                    producer_stats_.get()));
  publisher_->set_publish_observer([this](absl::Duration d) {
    metrics_->outbox_publish_seconds().Observe(absl::ToDoubleSeconds(d));
  });
  pipeline_->set_lateness_observer([this](absl::Duration d) {
    metrics_->timer_lateness_seconds().Observe(std::max(0.0, absl::ToDoubleSeconds(d)));
  });
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
      conf->set("offset_commit_cb", &commit_watcher_, err) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", consumer_stats_.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  std::vector<std::string> topics = {config_.tickets.name, config_.outages.name,
                                     config_.repeat_calls.name};
  if (!config_.commands.name.empty()) topics.push_back(config_.commands.name);
  const RdKafka::ErrorCode sub = consumer_->subscribe(topics);
  if (sub != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("subscribing: ", RdKafka::err2str(sub)));
  }
  const auto counters = [&](const std::string& topic) -> TopicCounters {
    auto& consumed = metrics_->consumed();
    return {&consumed.Add({{"topic", topic}, {"outcome", "ok"}}),
            &consumed.Add({{"topic", topic}, {"outcome", "invalid"}}),
            &consumed.Add({{"topic", topic}, {"outcome", "late"}})};
  };
  for (auto& [topic, input] : inputs_) input.counted = counters(topic);
  if (!config_.commands.name.empty()) commands_counted_ = counters(config_.commands.name);
  UpdateFigures();
  VIGIL_RETURN_IF_ERROR(StartOpsServer());
  return StartAlertService();
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
      // Commands carry no event time of the stream: they never hold the watermark.
      if (p->topic() == app_->config_.commands.name) continue;
      const std::string source = absl::StrCat(p->topic(), "/", p->partition());
      app_->watermark_.Assign(source, app_->clock_->Now());
      if (!app_->watermark_.HasDelivered(source)) {
        app_->silent_partitions_[source] = {p->topic(), p->partition()};
      }
    }
    consumer->assign(partitions);
    app_->partitions_assigned_.store(static_cast<int>(partitions.size()));
    app_->metrics_->partitions_assigned().Set(static_cast<double>(partitions.size()));
    std::lock_guard<std::mutex> lock(app_->mu_);
    app_->progress_.assigned = true;
  } else {
    spdlog::info("partitions revoked ({})", RdKafka::err2str(err));
    for (RdKafka::TopicPartition* p : partitions) {
      const std::string source = absl::StrCat(p->topic(), "/", p->partition());
      app_->watermark_.Forget(source);
      app_->silent_partitions_.erase(source);
    }
    consumer->unassign();
    app_->partitions_assigned_.store(0);
    app_->metrics_->partitions_assigned().Set(0);
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
                     const TopicCounters& counted, state::StateStore::Batch& batch,
                     std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  (why.reason == ingest::RejectReason::kLate ? counted.late : counted.invalid)->Increment();
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
  rejections_.Reject(clock_->Now(), ingest::ReasonCode(why.reason), [&] {
    return absl::StrCat("rejected ", msg.topic_name(), "[", msg.partition(), "]@", msg.offset(),
                        ": ", std::string(ingest::ReasonCode(why.reason)), ": ", why.detail,
                        " (sent to the dead-letter topic ", config_.dead_letter_topic, ")");
  });
}

void App::Process(const RdKafka::Message& msg, absl::Time now, state::StateStore::Batch& batch,
                  std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  const std::string topic = msg.topic_name();
  pending_offsets_[{topic, Partition(msg.partition())}] = Offset(msg.offset() + 1);
  if (topic == config_.commands.name) {
    ProcessCommand(msg, now, batch, outbox);
    return;
  }
  const std::string_view bytes(static_cast<const char*>(msg.payload()), msg.len());

  v1::Envelope& event = event_;
  const InputSpec& input = inputs_.at(topic);
  std::optional<ingest::Rejection> why = ingest::Decode(bytes, input.format, &event);
  if (!why) why = ingest::Validate(event, input.kind, now, validation_);
  if (why) {
    DeadLetter(msg, *why, input.counted, batch, outbox);
    return;
  }
  const absl::Time event_time = ingest::ToTime(event.event_time());
  const std::string source = absl::StrCat(topic, "/", msg.partition());
  watermark_.Observe(source, event_time, now);
  if (!silent_partitions_.empty()) silent_partitions_.erase(source);
  engine::EngineOutput out;
  absl::Status s = pipeline_->AdvanceTo(watermark_.Current(now), now, batch, &out).status();
  if (s.ok()) s = pipeline_->Apply(event, batch, &out);
  if (!s.ok()) {
    // State could not be read or written (RocksDB): stop rather than lose the event.
    fatal_ = s;
    return;
  }
  if (!out.events.empty()) {
    const RdKafka::MessageTimestamp ts = msg.timestamp();
    input_time_ = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE
                      ? absl::InfinitePast()
                      : absl::FromUnixMillis(ts.timestamp);
  }
  EmitWarnings(out.events, batch, outbox);
  input_time_ = absl::InfinitePast();
  if (out.rejection) {
    if (out.rejection->reason == ingest::RejectReason::kLate) ++new_late_;
    DeadLetter(msg, *out.rejection, input.counted, batch, outbox);
    return;
  }
  ++new_ok_;
  input.counted.ok->Increment();
}

void App::ProcessCommand(const RdKafka::Message& msg, absl::Time now,
                         state::StateStore::Batch& batch,
                         std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  const std::string_view bytes(static_cast<const char*>(msg.payload()), msg.len());
  v1::WarningCommand command;
  bool decoded = false;
  if (config_.commands.format == ingest::Format::kJson) {
    google::protobuf::util::JsonParseOptions options;
    decoded = google::protobuf::util::JsonStringToMessage(
                  google::protobuf::StringPiece(bytes.data(), bytes.size()), &command, options)
                  .ok();
  } else {
    decoded = command.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  if (!decoded) {
    DeadLetter(msg, {ingest::RejectReason::kDecodeFailed, "not a vigil.v1.WarningCommand"},
               commands_counted_, batch, outbox);
    return;
  }
  commands_counted_.ok->Increment();
  // The command acts at the time it was issued (deterministic on replay of
  // the topic), never before the engine's present.
  absl::Time at = watermark_.Current(now);
  if (command.has_issued_at()) at = std::max(at, ingest::ToTime(command.issued_at()));
  if (at == absl::InfinitePast()) at = now;
  const v1::CommandResult result = ApplyCommand(command, at, batch, outbox);
  metrics_->Commands("kafka", result.accepted() ? "accepted" : "rejected").Increment();
}

v1::CommandResult App::ApplyCommand(
    const v1::WarningCommand& command, absl::Time at, state::StateStore::Batch& batch,
    std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  engine::EngineOutput out;
  v1::CommandResult result;
  if (absl::Status s = pipeline_->Command(command, at, batch, &out, &result); !s.ok()) {
    fatal_ = s;
    return result;
  }
  EmitWarnings(out.events, batch, outbox);
  if (result.accepted()) {
    ++new_commands_ok_;
  } else {
    ++new_commands_rejected_;
    rejections_.Reject(clock_->Now(), "COMMAND_REJECTED", [&] {
      return absl::StrCat(
          "command ", command.command_id(), " (", v1::WarningCommand::Action_Name(command.action()),
          " on ", command.warning_id(), " by ", command.actor(), ") rejected: ", result.reason());
    });
  }
  internal::OutboxRecord r;
  r.set_topic(config_.command_results_topic);
  r.set_key(command.command_id());
  r.set_value(result.SerializeAsString());
  AddHeader(&r, "content-type", "application/x-protobuf; messageType=vigil.v1.CommandResult");
  const uint64_t seq = batch.AppendOutbox(r);
  outbox->emplace_back(seq, std::move(r));
  return result;
}

void App::TakeAlertCommands(absl::Time now, state::StateStore::Batch& batch,
                            std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  if (alert_commands_ == nullptr) return;
  for (std::shared_ptr<CommandQueue::Pending>& p : alert_commands_->Take()) {
    // A unit acts now: at the engine's present (event time), as a Kafka
    // command without issued_at does.
    absl::Time at = watermark_.Current(now);
    if (at == absl::InfinitePast()) at = now;
    v1::CommandResult result = ApplyCommand(p->command, at, batch, outbox);
    metrics_->Commands("grpc", result.accepted() ? "accepted" : "rejected").Increment();
    answered_.emplace_back(std::move(p), std::move(result));
  }
}

void App::AfterCommit(const absl::Status& commit) {
  if (commit.ok() && hub_ != nullptr && !for_hub_.empty()) hub_->Publish(for_hub_);
  for_hub_.clear();
  for (auto& [pending, result] : answered_) {
    if (commit.ok()) {
      pending->done.set_value(std::move(result));
    } else {
      pending->done.set_value(absl::UnavailableError(
          absl::StrCat("vigild could not commit the command: ", commit.message())));
    }
  }
  answered_.clear();
}

absl::Status App::StartAlertService() {
  if (config_.alerts.listen.empty()) return absl::OkStatus();
  hub_ = std::make_unique<alerts::Hub>(pipeline_->ledger().next_seq() - 1);
  alert_commands_ = std::make_unique<CommandQueue>();
  alert_backend_ = std::make_unique<AlertBackend>(store_.get(), alert_commands_.get());
  VIGIL_ASSIGN_OR_RETURN(alert_server_, alerts::Server::Start(config_.alerts, alert_backend_.get(),
                                                              hub_.get(), clock_));
  return absl::OkStatus();
}

void App::EmitWarnings(std::vector<v1::WarningEvent>& events, state::StateStore::Batch& batch,
                       std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  for (v1::WarningEvent& we : events) {
    internal::OutboxRecord r;
    r.set_topic(config_.warnings_topic);
    r.set_key(we.warning().region().city_code());
    r.set_value(we.SerializeAsString());
    AddHeader(&r, "vigil-warning-id", we.warning().warning_id());
    AddHeader(&r, "vigil-version", absl::StrCat(we.warning().version()));
    AddHeader(&r, "content-type", "application/x-protobuf; messageType=vigil.v1.WarningEvent");
    const uint64_t seq = batch.AppendOutbox(r);
    outbox->emplace_back(seq, std::move(r));
    if (!config_.warnings_json_topic.empty()) {
      internal::OutboxRecord j;
      j.set_topic(config_.warnings_json_topic);
      j.set_key(we.warning().region().city_code());
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(we, &json, options);
      j.set_value(std::move(json));
      AddHeader(&j, "vigil-warning-id", we.warning().warning_id());
      AddHeader(&j, "vigil-version", absl::StrCat(we.warning().version()));
      AddHeader(&j, "content-type", "application/json; messageType=vigil.v1.WarningEvent");
      const uint64_t jseq = batch.AppendOutbox(j);
      outbox->emplace_back(jseq, std::move(j));
    }
    if (hub_ != nullptr) for_hub_.push_back(we);
    CountWarning(we);
    if (input_time_ != absl::InfinitePast()) caused_by_input_.push_back(input_time_);
  }
  new_warning_events_ += events.size();
}

absl::Status App::CommitBatch(state::StateStore::Batch& batch,
                              std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  std::vector<engine::StateChange> changes = pipeline_->rule_engine().TakeDirty();
  if (pending_offsets_.empty() && outbox->empty() && changes.empty()) return absl::OkStatus();
  for (const engine::StateChange& c : changes) {
    if (c.value) {
      batch.PutRuleState(c.rule_id, c.key, *c.value);
    } else {
      batch.DeleteRuleState(c.rule_id, c.key);
    }
  }
  for (const auto& [source, t] : watermark_.MaxEventTimes()) {
    batch.PutRuleState("", absl::StrCat(kWatermarkPrefix, source),
                       absl::StrCat(absl::ToUnixMillis(t)));
  }
  if (watermark_.watermark() != absl::InfinitePast()) {
    batch.PutRuleState("", kWatermarkPrefix,
                       absl::StrCat(absl::ToUnixMillis(watermark_.watermark())));
  }
  for (const auto& [tp, off] : pending_offsets_) batch.PutOffset(tp, off);
  // One WriteBatch, one fsync: state, outbox and offsets agree after any crash.
  VIGIL_RETURN_IF_ERROR(store_->Commit(batch, /*sync=*/true));
  if (config_.failpoint == "crash_after_timer_commit" &&
      pipeline_->timers_fired() > timers_fired_at_commit_) {
    spdlog::critical("failpoint crash_after_timer_commit: SIGKILL with {} records unpublished",
                     outbox->size());
    spdlog::default_logger()->flush();
    ::kill(::getpid(), SIGKILL);
  }
  timers_fired_at_commit_ = pipeline_->timers_fired();
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
  const RdKafka::ErrorCode err =
      final ? consumer_->commitSync(parts) : consumer_->commitAsync(parts);
  if (err != RdKafka::ERR_NO_ERROR && err != RdKafka::ERR__NO_OFFSET) {
    spdlog::warn("committing offsets to Kafka: {}", RdKafka::err2str(err));
  }
  RdKafka::TopicPartition::destroy(parts);
  kafka_commit_due_ = false;
}

absl::Status App::Run(const std::atomic<bool>& stop, std::atomic<bool>* reload) {
  spdlog::info("vigild consuming {}, {}, {} from {} as group {}", config_.tickets.name,
               config_.outages.name, config_.repeat_calls.name, config_.brokers, config_.group_id);
  std::vector<std::pair<uint64_t, internal::OutboxRecord>> outbox;
  RdKafka::ErrorCode last_error = RdKafka::ERR_NO_ERROR;
  absl::Time next_report = clock_->Now() + absl::Seconds(10);
  while (!stop.load()) {
    state::StateStore::Batch batch = store_->NewBatch();
    last_turn_ms_.store(absl::ToUnixMillis(clock_->Now()));
    // When this batch started working: its first record, else its timer pass.
    absl::Time busy_since = absl::InfiniteFuture();
    // Between batches: reference updates, then a rule reload if one is due.
    VIGIL_RETURN_IF_ERROR(PollReference(/*until_caught_up=*/false));
    MaybeReload(reload != nullptr && reload->exchange(false), batch, &outbox);
    absl::Time now = clock_->Now();  // one clock read per record
    // With timers still due, only take what input is already here, then fire more.
    const absl::Time deadline =
        now + (timer_backlog_ ? absl::Milliseconds(1) : config_.commit_interval);
    int n = 0;
    while (n < config_.max_batch_events && !stop.load()) {
      const int64_t left_ms = absl::ToInt64Milliseconds(deadline - now);
      if (left_ms <= 0) break;
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(static_cast<int>(left_ms)));
      now = clock_->Now();
      VIGIL_RETURN_IF_ERROR(publisher_->Poll(0));
      switch (msg->err()) {
        case RdKafka::ERR_NO_ERROR:
          busy_since = std::min(busy_since, now);
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
    ForgetCaughtUpSilentPartitions();
    TakeAlertCommands(clock_->Now(), batch, &outbox);
    {
      // Time moves without data: windows close and warnings resolve on the
      // watermark, which follows the wall clock when every partition is idle.
      engine::EngineOutput out;
      const absl::Time wall = clock_->Now();
      const uint64_t fired_before = pipeline_->timers_fired();
      VIGIL_ASSIGN_OR_RETURN(timer_backlog_,
                             pipeline_->AdvanceTo(watermark_.Current(wall), wall, batch, &out));
      if (pipeline_->timers_fired() != fired_before) busy_since = std::min(busy_since, wall);
      EmitWarnings(out.events, batch, &outbox);
    }
    VIGIL_RETURN_IF_ERROR(fatal_);
    {
      const absl::Status committed = CommitBatch(batch, &outbox);
      AfterCommit(committed);
      VIGIL_RETURN_IF_ERROR(committed);
      UpdateBatchMetrics(busy_since);
    }
    VIGIL_RETURN_IF_ERROR(publisher_->Poll(0));
    CommitToKafka();
    rejections_.Flush(clock_->Now());
    std::lock_guard<std::mutex> lock(mu_);
    progress_.events_ok += std::exchange(new_ok_, 0);
    progress_.events_rejected += std::exchange(new_rejected_, 0);
    progress_.warning_events += std::exchange(new_warning_events_, 0);
    progress_.events_late += std::exchange(new_late_, 0);
    progress_.commands_accepted += std::exchange(new_commands_ok_, 0);
    progress_.commands_rejected += std::exchange(new_commands_rejected_, 0);
    progress_.timers_fired = pipeline_->timers_fired();
    progress_.timers_fired_late = pipeline_->timers_fired_late();
    progress_.outbox_in_flight = publisher_->in_flight();
    if (clock_->Now() >= next_report) {
      next_report = clock_->Now() + absl::Seconds(10);
      spdlog::info(
          "progress: {} events ok, {} rejected ({} late), {} warning events, {} outbox in "
          "flight, {} rule keys",
          progress_.events_ok, progress_.events_rejected, progress_.events_late,
          progress_.warning_events, progress_.outbox_in_flight,
          pipeline_->rule_engine().key_count());
    }
  }
  {
    // Every timer already due fires before the stop, so a stop leaves no
    // backlog behind the watermark (a restart would fire it anyway; this way
    // what a stop publishes does not depend on how far the last batch got).
    // A partition assigned just before the stop and not fetched yet must not
    // hold the watermark back here: if it is empty or read, it is let go.
    ForgetCaughtUpSilentPartitions(/*ask_broker=*/true);
    bool more = true;
    while (more) {
      state::StateStore::Batch batch = store_->NewBatch();
      engine::EngineOutput out;
      const absl::Time wall = clock_->Now();
      VIGIL_ASSIGN_OR_RETURN(more,
                             pipeline_->AdvanceTo(watermark_.Current(wall), wall, batch, &out));
      EmitWarnings(out.events, batch, &outbox);
      const absl::Status committed = CommitBatch(batch, &outbox);
      AfterCommit(committed);
      VIGIL_RETURN_IF_ERROR(committed);
      VIGIL_RETURN_IF_ERROR(publisher_->Poll(0));
    }
  }
  if (alert_commands_ != nullptr) alert_commands_->Close();
  spdlog::info("stopping: draining the outbox");
  if (!publisher_->Drain(10000)) {
    spdlog::warn("{} outbox records not yet acknowledged; they are republished at next start",
                 publisher_->in_flight());
  }
  CommitToKafka(/*final=*/true);
  if (alert_server_ != nullptr) alert_server_->Shutdown(absl::Seconds(2));
  consumer_->close();
  consumer_.reset();
  if (reference_consumer_) {
    reference_consumer_->close();
    reference_consumer_.reset();
  }
  return absl::OkStatus();
}

void App::ForgetCaughtUpSilentPartitions(bool ask_broker) {
  // An assigned partition holds the watermark back until it delivers — unless
  // it has nothing to read (empty, or read to its end): then waiting for it
  // until idle_timeout would only stall every window. The high watermark is
  // the one librdkafka cached with its last fetch (no network call).
  for (auto it = silent_partitions_.begin(); it != silent_partitions_.end();) {
    const auto& [topic, partition] = it->second;
    int64_t lo = 0, hi = -1;
    bool caught_up = false;
    if (consumer_->get_watermark_offsets(topic, partition, &lo, &hi) != RdKafka::ERR_NO_ERROR ||
        hi < 0) {
      hi = -1;
      if (ask_broker && consumer_->query_watermark_offsets(topic, partition, &lo, &hi, 5000) !=
                            RdKafka::ERR_NO_ERROR) {
        hi = -1;
      }
    }
    if (hi >= 0) {
      std::vector<RdKafka::TopicPartition*> tp = {
          RdKafka::TopicPartition::create(topic, partition)};
      consumer_->position(tp);
      const int64_t position = tp[0]->offset();
      RdKafka::TopicPartition::destroy(tp);
      // hi == 0: the partition never held a record (its low watermark may
      // not be known yet, and nothing was consumed to give a position).
      caught_up = hi == 0 || hi == lo || (position >= 0 && position >= hi);
    }
    if (caught_up) {
      watermark_.Forget(it->first);
      it = silent_partitions_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string App::RuleFilesSignature() const {
  // Names, sizes and modification times of the rule files: cheap to poll.
  std::string sig;
  for (const std::string& f : ledger::RuleBundleFiles(config_.rules_dir)) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    const auto mtime = std::filesystem::last_write_time(f, ec);
    absl::StrAppend(&sig, f, ":", ec ? 0 : size, ":", ec ? 0 : mtime.time_since_epoch().count(),
                    ";");
  }
  return sig;
}

void App::MaybeReload(bool requested, state::StateStore::Batch& batch,
                      std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox) {
  const absl::Time now = clock_->Now();
  bool changed = false;
  if (config_.rules_check_interval > absl::ZeroDuration() && now >= next_rule_check_) {
    next_rule_check_ = now + config_.rules_check_interval;
    const std::string sig = RuleFilesSignature();
    changed = sig != rule_files_signature_;
    rule_files_signature_ = sig;
  }
  if (!requested && !changed) return;
  absl::StatusOr<ledger::RuleBundle> next = ledger::LoadRuleBundle(config_.rules_dir);
  if (!next.ok()) {
    spdlog::error("rule reload rejected ({}); the running rules stay:\n{}",
                  requested ? "SIGHUP" : "files changed", std::string(next.status().message()));
    std::lock_guard<std::mutex> lock(mu_);
    ++progress_.rule_reload_failures;
    metrics_->RuleReloads("rejected").Increment();
    return;
  }
  engine::EngineOutput out;
  absl::StatusOr<engine::ReloadReport> report =
      pipeline_->Reload(next->rules, next->deadlines, next->policy, batch, &out);
  if (!report.ok()) {
    fatal_ = report.status();
    return;
  }
  const engine::ReloadReport& r = *report;
  EmitWarnings(out.events, batch, outbox);
  spdlog::info(
      "rules reloaded ({}): {} rules; unchanged {}, thresholds changed {} [{}], reset {} [{}], "
      "added {} [{}], removed {} [{}]",
      requested ? "SIGHUP" : "files changed", next->rules->rules.size(), r.kept.size(),
      r.changed.size(), absl::StrJoin(r.changed, ","), r.reset.size(), absl::StrJoin(r.reset, ","),
      r.added.size(), absl::StrJoin(r.added, ","), r.removed.size(), absl::StrJoin(r.removed, ","));
  std::lock_guard<std::mutex> lock(mu_);
  ++progress_.rule_reloads;
  metrics_->RuleReloads("ok").Increment();
  progress_.rules_loaded = next->rules->rules.size();
  progress_.deadline_rules_loaded = next->deadlines->rules.size();
}

absl::Status App::StartReferenceConsumer() {
  if (config_.reference_topic.name.empty()) return absl::OkStatus();
  std::map<std::string, std::string> props = config_.kafka_properties;
  props["bootstrap.servers"] = config_.brokers;
  // Read from the start on every start, never committed: the topic is the table.
  props["group.id"] = absl::StrCat(config_.group_id, ".reference");
  props["enable.auto.commit"] = "false";
  props["enable.auto.offset.store"] = "false";
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<RdKafka::Conf> conf, sinks::MakeKafkaConf(props));
  std::string err;
  if (conf->set("event_cb", reference_stats_.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c) return absl::InvalidArgumentError(absl::StrCat("reference consumer: ", err));
  RdKafka::Metadata* md = nullptr;
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(c.get(), config_.reference_topic.name, nullptr, err));
  const RdKafka::ErrorCode merr = c->metadata(false, topic.get(), &md, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(md);
  std::vector<RdKafka::TopicPartition*> parts;
  if (merr == RdKafka::ERR_NO_ERROR && metadata->topics()->size() == 1 &&
      metadata->topics()->at(0)->err() == RdKafka::ERR_NO_ERROR) {
    for (const RdKafka::PartitionMetadata* p : *metadata->topics()->at(0)->partitions()) {
      parts.push_back(RdKafka::TopicPartition::create(config_.reference_topic.name, p->id(),
                                                      RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  if (parts.empty()) {
    spdlog::warn("reference topic {} not found ({}); rules see only reference.file",
                 config_.reference_topic.name,
                 merr == RdKafka::ERR_NO_ERROR ? "no partitions" : RdKafka::err2str(merr));
    return absl::OkStatus();
  }
  c->assign(parts);
  RdKafka::TopicPartition::destroy(parts);
  reference_consumer_ = std::move(c);
  return PollReference(/*until_caught_up=*/true);
}

absl::Status App::PollReference(bool until_caught_up) {
  if (!reference_consumer_) return absl::OkStatus();
  // The end offsets to reach before the first batch (the table loaded).
  std::map<int32_t, int64_t> ends;
  if (until_caught_up) {
    std::vector<RdKafka::TopicPartition*> parts;
    reference_consumer_->assignment(parts);
    for (RdKafka::TopicPartition* p : parts) {
      int64_t lo = 0, hi = 0;
      if (reference_consumer_->query_watermark_offsets(p->topic(), p->partition(), &lo, &hi,
                                                       10000) == RdKafka::ERR_NO_ERROR &&
          hi > lo) {
        ends[p->partition()] = hi;
      }
    }
    RdKafka::TopicPartition::destroy(parts);
  }
  const absl::Time give_up = clock_->Now() + absl::Seconds(60);
  size_t applied = 0, refused = 0;
  while (true) {
    std::unique_ptr<RdKafka::Message> msg(reference_consumer_->consume(until_caught_up ? 100 : 0));
    if (msg->err() == RdKafka::ERR_NO_ERROR) {
      const std::string key = msg->key() ? *msg->key() : "";
      if (msg->len() == 0) {
        reference_->Delete(key);
      } else {
        v1::ReferenceRecord rec;
        const std::string_view bytes(static_cast<const char*>(msg->payload()), msg->len());
        bool ok = false;
        if (config_.reference_topic.format == ingest::Format::kJson) {
          ok = google::protobuf::util::JsonStringToMessage(std::string(bytes), &rec).ok();
        } else {
          ok = rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
        }
        absl::Status s = ok ? reference_->Apply(rec)
                            : absl::InvalidArgumentError("not a vigil.v1.ReferenceRecord");
        if (s.ok()) {
          ++applied;
        } else if (++refused <= 10) {
          spdlog::warn("reference record {}[{}]@{} (key {}) refused: {}", msg->topic_name(),
                       msg->partition(), msg->offset(), key, std::string(s.message()));
        }
      }
      auto it = ends.find(msg->partition());
      if (it != ends.end() && msg->offset() + 1 >= it->second) ends.erase(it);
      if (until_caught_up && ends.empty()) break;
      continue;
    }
    if (!until_caught_up || ends.empty()) break;
    if (clock_->Now() > give_up) {
      return absl::DeadlineExceededError(absl::StrCat(
          "reference topic ", config_.reference_topic.name, ": not caught up within 60 s"));
    }
  }
  if (until_caught_up || applied > 0 || refused > 0) {
    spdlog::info(
        "reference topic {}: {} records applied, {} refused; table: {} areas, {} "
        "tagged customers",
        config_.reference_topic.name, applied, refused, reference_->area_count(),
        reference_->customer_count());
  }
  return absl::OkStatus();
}

App::Progress App::GetProgress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return progress_;
}

namespace {

// Adds to `counter` how much `total` grew since the last call (`reported` keeps it).
void AddGrowth(prometheus::Counter& counter, uint64_t total, uint64_t* reported) {
  if (total > *reported) counter.Increment(static_cast<double>(total - *reported));
  *reported = total;
}

}  // namespace

metrics::Health App::Liveness() const {
  const int64_t last = last_turn_ms_.load();
  if (last == 0) return {true, R"({"status":"starting"})"};
  const absl::Duration since = clock_->Now() - absl::FromUnixMillis(last);
  const bool ok = since <= config_.metrics_liveness_timeout;
  return {ok,
          absl::StrCat(R"({"status":")", ok ? "live" : "stalled", R"(","engine_loop_seconds_ago":)",
                       absl::StrFormat("%.3f", absl::ToDoubleSeconds(since)), "}")};
}

std::vector<std::string> App::NotReadyReasons() const {
  // Rules are loaded and RocksDB is open once the server runs (Init did both).
  std::vector<std::string> not_ready;
  if (last_turn_ms_.load() == 0) not_ready.push_back("the engine loop has not started");
  const int assigned = partitions_assigned_.load();
  if (assigned == 0) not_ready.push_back("no input partition assigned");
  const int64_t lag = consumer_stats_->total_lag();
  if (lag < 0) {
    not_ready.push_back("consumer lag not known yet (first statistics pending)");
  } else if (lag > config_.metrics_ready_max_lag) {
    not_ready.push_back(absl::StrCat("lag ", lag, " records exceeds metrics.ready_max_lag ",
                                     config_.metrics_ready_max_lag));
  }
  return not_ready;
}

metrics::Health App::Readiness() const {
  const std::vector<std::string> not_ready = NotReadyReasons();
  std::string reasons;
  for (const std::string& r : not_ready) {
    absl::StrAppend(&reasons, reasons.empty() ? "" : ",", "\"", r, "\"");
  }
  return {not_ready.empty(),
          absl::StrCat(R"({"status":")", not_ready.empty() ? "ready" : "not ready",
                       R"(","partitions_assigned":)", partitions_assigned_.load(), R"(,"lag":)",
                       consumer_stats_->total_lag(), R"(,"reasons":[)", reasons, "]}")};
}

absl::Status App::StartOpsServer() {
  if (config_.metrics_listen.empty()) return absl::OkStatus();
  VIGIL_ASSIGN_OR_RETURN(
      ops_server_,
      metrics::OpsServer::Start(config_.metrics_listen, metrics_->registry(),
                                {[this] { return Liveness(); }, [this] { return Readiness(); }}));
  spdlog::info("operations endpoint on port {}: /metrics /healthz /readyz", ops_server_->port());
  return absl::OkStatus();
}

absl::Status App::LoadOpenWarnings() {
  VIGIL_RETURN_IF_ERROR(pipeline_->ledger().ForEach(nullptr, [&](const v1::Warning& w) {
    if (w.state() == v1::CLOSED) return;
    const std::string grade(warnings::GradeRoman(w.grade()));
    open_warnings_[w.warning_id()] = {grade, w.region().city_code()};
    metrics_->open_warnings().Add({{"grade", grade}, {"city", w.region().city_code()}}).Increment();
  }));
  return absl::OkStatus();
}

void App::CountWarning(const v1::WarningEvent& event) {
  const v1::Warning& w = event.warning();
  const std::string grade(warnings::GradeRoman(w.grade()));
  metrics_->WarningEvents(w.rule_id(), grade, v1::WarningEvent::Type_Name(event.type()))
      .Increment();
  auto& open = metrics_->open_warnings();
  auto it = open_warnings_.find(w.warning_id());
  if (it != open_warnings_.end()) {
    open.Add({{"grade", it->second.first}, {"city", it->second.second}}).Decrement();
    open_warnings_.erase(it);
  }
  if (w.state() != v1::CLOSED) {
    open_warnings_[w.warning_id()] = {grade, w.region().city_code()};
    open.Add({{"grade", grade}, {"city", w.region().city_code()}}).Increment();
  }
}

void App::UpdateBatchMetrics(absl::Time busy_since) {
  const absl::Time committed = clock_->Now();
  if (busy_since != absl::InfiniteFuture()) {  // the batch took records or fired timers
    metrics_->batch_seconds().Observe(absl::ToDoubleSeconds(committed - busy_since));
  }
  for (const absl::Time t : caused_by_input_) {
    metrics_->event_to_warning_seconds().Observe(
        std::max(0.0, absl::ToDoubleSeconds(committed - t)));
  }
  caused_by_input_.clear();
  AddGrowth(metrics_->timers_fired(), pipeline_->timers_fired(), &timers_fired_reported_);
  AddGrowth(metrics_->timers_fired_late(), pipeline_->timers_fired_late(), &timers_late_reported_);
  metrics_->outbox_in_flight().Set(static_cast<double>(publisher_->in_flight()));
  metrics_->outbox_oldest_age_seconds().Set(
      absl::ToDoubleSeconds(publisher_->oldest_in_flight_age()));
  if (hub_ != nullptr) {
    metrics_->alert_subscribers().Set(static_cast<double>(hub_->subscribers()));
    AddGrowth(metrics_->alert_streams_cut_off(), hub_->overflows(), &cut_off_reported_);
  }
  if (alert_server_ != nullptr) {
    AddGrowth(metrics_->alert_calls_denied(), alert_server_->refused_calls(), &refused_reported_);
    alert_server_->FlushLog();
  }
  metrics_->ready().Set(NotReadyReasons().empty() ? 1 : 0);
  if (committed >= next_figures_) UpdateFigures();
}

void App::UpdateFigures() {
  next_figures_ = clock_->Now() + absl::Seconds(5);
  const state::StateStore::Figures f = store_->GetFigures();
  metrics_->rocksdb_live_sst_bytes().Set(static_cast<double>(f.live_sst_bytes));
  metrics_->rocksdb_memtable_bytes().Set(static_cast<double>(f.memtable_bytes));
  metrics_->rocksdb_block_cache_usage_bytes().Set(static_cast<double>(f.block_cache_bytes));
  metrics_->rocksdb_compaction_pending().Set(f.compaction_pending ? 1 : 0);
  metrics_->rocksdb_pending_compaction_bytes().Set(static_cast<double>(f.pending_compaction_bytes));
  metrics_->rocksdb_write_stopped().Set(f.write_stopped ? 1 : 0);
  AddGrowth(metrics_->RocksdbWriteStalls("stop"), f.stalls_stop, &stalls_stop_reported_);
  AddGrowth(metrics_->RocksdbWriteStalls("slowdown"), f.stalls_slowdown,
            &stalls_slowdown_reported_);
  if (absl::StatusOr<uint64_t> pending = pipeline_->timers().Pending(nullptr); pending.ok()) {
    metrics_->timers_pending().Set(static_cast<double>(*pending));
  }
  std::lock_guard<std::mutex> lock(mu_);
  metrics_->RulesLoaded("window").Set(static_cast<double>(progress_.rules_loaded));
  metrics_->RulesLoaded("deadline").Set(static_cast<double>(progress_.deadline_rules_loaded));
}

}  // namespace vigil::vigild

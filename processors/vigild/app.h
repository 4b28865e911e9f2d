#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "librdkafka/rdkafkacpp.h"
#include "processors/common/clock.h"
#include "processors/common/rejection_log.h"
#include "processors/common/types.h"
#include "processors/engine/rule_engine.h"
#include "processors/engine/watermark.h"
#include "processors/ingest/validator.h"
#include "processors/ledger/pipeline.h"
#include "processors/ledger/rule_bundle.h"
#include "processors/metrics/kafka_stats.h"
#include "processors/metrics/metrics.h"
#include "processors/metrics/ops_server.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "processors/sinks/alerts/hub.h"
#include "processors/sinks/alerts/server.h"
#include "processors/sinks/outbox_publisher.h"
#include "processors/state/state_store.h"
#include "processors/vigild/alert_backend.h"
#include "processors/vigild/config.h"

namespace vigil::vigild {

// The processor: consume → decode → validate → rules → one RocksDB commit per
// interval (state + outbox + offsets) → publish the outbox → commit offsets to
// Kafka (for lag monitoring only; RocksDB holds the offsets vigild trusts).
//
// Run() owns the engine thread. Progress() may be called from any thread.
class App {
 public:
  struct Progress {
    std::map<TopicPartition, Offset> committed;  // next offset per input partition
    uint64_t events_ok = 0;
    uint64_t events_rejected = 0;
    uint64_t warning_events = 0;
    uint64_t outbox_in_flight = 0;
    uint64_t events_late = 0;
    uint64_t rule_reloads = 0;          // accepted reloads
    uint64_t rule_reload_failures = 0;  // rejected reloads (the old set kept running)
    size_t rules_loaded = 0;
    size_t deadline_rules_loaded = 0;
    uint64_t commands_accepted = 0;
    uint64_t commands_rejected = 0;
    uint64_t timers_fired = 0;
    uint64_t timers_fired_late = 0;  // more than a few seconds after their due time
    bool assigned = false;
  };

  static absl::StatusOr<std::unique_ptr<App>> Create(Config config, const Clock* clock);
  ~App();

  // Processes until `stop` becomes true, then commits and drains the outbox.
  // `reload` (e.g. set on SIGHUP) asks for a rule reload between batches; Run
  // clears it.
  absl::Status Run(const std::atomic<bool>& stop, std::atomic<bool>* reload = nullptr);

  Progress GetProgress() const;

 private:
  class Rebalancer : public RdKafka::RebalanceCb {
   public:
    explicit Rebalancer(App* app) : app_(app) {}
    void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                      std::vector<RdKafka::TopicPartition*>& partitions) override;

   private:
    App* app_;
  };

  // Re-arms the Kafka offset commit when one fails (e.g. during a rebalance).
  class CommitWatcher : public RdKafka::OffsetCommitCb {
   public:
    explicit CommitWatcher(App* app) : app_(app) {}
    void offset_commit_cb(RdKafka::ErrorCode err,
                          std::vector<RdKafka::TopicPartition*>& offsets) override;

   private:
    App* app_;
  };

  App(Config config, const Clock* clock);
  absl::Status Init();
  void Process(const RdKafka::Message& msg, absl::Time now, state::StateStore::Batch& batch,
               std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  void ProcessCommand(const RdKafka::Message& msg, absl::Time now, state::StateStore::Batch& batch,
                      std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  // Applies one lifecycle command (from Kafka or the AlertService) and queues
  // its CommandResult on the results topic.
  v1::CommandResult ApplyCommand(const v1::WarningCommand& command, absl::Time now,
                                 state::StateStore::Batch& batch,
                                 std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  // AlertService commands queued since the last batch.
  void TakeAlertCommands(absl::Time now, state::StateStore::Batch& batch,
                         std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  // After a commit: live subscribers get its events, AlertService commands
  // their results (or the commit's error).
  void AfterCommit(const absl::Status& commit);
  absl::Status StartAlertService();
  struct TopicCounters;
  void DeadLetter(const RdKafka::Message& msg, const ingest::Rejection& why,
                  const TopicCounters& counted, state::StateStore::Batch& batch,
                  std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  absl::Status CommitBatch(state::StateStore::Batch& batch,
                           std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  void EmitWarnings(std::vector<v1::WarningEvent>& events, state::StateStore::Batch& batch,
                    std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  // Reloads the rule directory if asked to or if its files changed.
  void MaybeReload(bool requested, state::StateStore::Batch& batch,
                   std::vector<std::pair<uint64_t, internal::OutboxRecord>>* outbox);
  absl::Status StartReferenceConsumer();
  // Applies queued reference records; `until_caught_up` reads to the end.
  absl::Status PollReference(bool until_caught_up);
  std::string RuleFilesSignature() const;
  // Assigned partitions that never delivered stop holding the watermark once
  // they are known to have nothing to read.
  // ask_broker: partitions whose high watermark librdkafka has not cached yet
  // (no fetch answered so far) are looked up on the broker (blocking, bounded).
  void ForgetCaughtUpSilentPartitions(bool ask_broker = false);
  void CommitToKafka(bool final = false);
  // Operations: the health checks (any thread), per-batch and periodic metric updates.
  metrics::Health Liveness() const;
  metrics::Health Readiness() const;
  std::vector<std::string> NotReadyReasons() const;  // empty when ready
  absl::Status StartOpsServer();
  absl::Status LoadOpenWarnings();
  void CountWarning(const v1::WarningEvent& event);
  // After a commit; `busy_since` is InfiniteFuture for a batch that did nothing.
  void UpdateBatchMetrics(absl::Time busy_since);
  void UpdateFigures();

  Config config_;
  const Clock* clock_;
  ingest::ValidationOptions validation_;
  // vigil_events_consumed_total of one topic, by outcome.
  struct TopicCounters {
    prometheus::Counter* ok = nullptr;
    prometheus::Counter* invalid = nullptr;
    prometheus::Counter* late = nullptr;
  };
  // Per input topic: what it carries, how it is encoded, its counters (one lookup per record).
  struct InputSpec {
    ingest::InputKind kind;
    ingest::Format format;
    TopicCounters counted = {};
  };
  std::map<std::string, InputSpec> inputs_;
  Rebalancer rebalancer_;
  CommitWatcher commit_watcher_;

  // Operations: the metrics (kept always, served when metrics.listen is set)
  // and the librdkafka statistics feeding them. Declared before the Kafka
  // clients, so they outlive every callback.
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<metrics::KafkaStats> consumer_stats_;
  std::unique_ptr<metrics::KafkaStats> producer_stats_;
  std::unique_ptr<metrics::KafkaStats> reference_stats_;

  // Engine-thread state.
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<reference::ReferenceStore> reference_;
  // Window rules, deadline rules, timers and the ledger.
  std::unique_ptr<ledger::Pipeline> pipeline_;
  // More timers were due than one batch fires: take input without waiting.
  bool timer_backlog_ = false;
  uint64_t timers_fired_at_commit_ = 0;  // for the crash_after_timer_commit failpoint
  // A state read or write failed while processing: Run stops with it.
  absl::Status fatal_;
  engine::WatermarkTracker watermark_;
  // Assigned, no record delivered yet: "topic/partition" → (topic, partition).
  std::map<std::string, std::pair<std::string, int32_t>> silent_partitions_;
  std::unique_ptr<RdKafka::KafkaConsumer> reference_consumer_;
  std::string rule_files_signature_;
  absl::Time next_rule_check_ = absl::InfinitePast();
  std::unique_ptr<sinks::OutboxPublisher> publisher_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::map<TopicPartition, Offset> pending_offsets_;  // consumed, not yet committed
  std::map<TopicPartition, Offset> durable_offsets_;  // in RocksDB
  // Durable offsets of each RocksDB commit whose outbox records (sequences
  // below `outbox_end`) are not all acknowledged yet, oldest first.
  struct UnpublishedCommit {
    uint64_t outbox_end;
    std::map<TopicPartition, Offset> offsets;
  };
  std::deque<UnpublishedCommit> unpublished_;
  // The newest durable offsets whose outputs Kafka has acknowledged: what
  // CommitToKafka() may commit.
  std::map<TopicPartition, Offset> published_offsets_;
  bool kafka_commit_due_ = false;
  absl::Time next_kafka_commit_ = absl::InfinitePast();
  // Rejected records and commands: logged one by one, a burst at most, then summarised.
  RejectionLog rejections_;
  v1::Envelope event_;  // reused for every record: its fields keep their memory
  // Counted per event here and added to progress_ once per batch, so the hot
  // path takes no lock.
  uint64_t new_ok_ = 0, new_rejected_ = 0, new_warning_events_ = 0, new_late_ = 0;
  uint64_t new_commands_ok_ = 0, new_commands_rejected_ = 0;

  // The AlertService (alerts.listen set): live fan-out, the command handoff,
  // the gRPC server; events and answered commands of the batch being built.
  std::unique_ptr<alerts::Hub> hub_;
  std::unique_ptr<CommandQueue> alert_commands_;
  std::unique_ptr<AlertBackend> alert_backend_;
  std::unique_ptr<alerts::Server> alert_server_;
  std::vector<v1::WarningEvent> for_hub_;
  std::vector<std::pair<std::shared_ptr<CommandQueue::Pending>, v1::CommandResult>> answered_;

  // Metric bookkeeping on the engine thread.
  TopicCounters commands_counted_;
  // Open (not closed) warnings: id → (grade, city), for vigil_open_warnings.
  std::map<std::string, std::pair<std::string, std::string>> open_warnings_;
  // The Kafka timestamp of the record being processed (InfinitePast when the
  // events come from timers or commands), and those of this batch's warning events.
  absl::Time input_time_ = absl::InfinitePast();
  std::vector<absl::Time> caused_by_input_;
  absl::Time next_figures_ = absl::InfinitePast();
  uint64_t timers_fired_reported_ = 0, timers_late_reported_ = 0, cut_off_reported_ = 0;
  uint64_t refused_reported_ = 0, stalls_stop_reported_ = 0, stalls_slowdown_reported_ = 0;
  // Read by the health checks on the HTTP threads.
  std::atomic<int64_t> last_turn_ms_{0};  // when the engine loop last turned (0: not running)
  std::atomic<int> partitions_assigned_{0};

  // Shared with GetProgress() callers; guarded by mu_.
  mutable std::mutex mu_;
  Progress progress_;

  // Last, so it stops first: its threads read the members above.
  std::unique_ptr<metrics::OpsServer> ops_server_;
};

}  // namespace vigil::vigild

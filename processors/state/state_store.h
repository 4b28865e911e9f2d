#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/common/types.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "vigil/internal/state.pb.h"

namespace vigil::state {

// vigild's durable state: rule state, input offsets and the outbox, written
// together. Not thread-safe; owned by the engine thread.
class StateStore {
 public:
  // Everything one commit changes. Applied atomically by Commit().
  class Batch {
   public:
    void PutClusterState(const std::string& rule_id, const std::string& key,
                         const internal::ClusterState& state);
    void DeleteClusterState(const std::string& rule_id, const std::string& key);
    // Serialized rule-engine state of one (rule, key); rule_id "" holds
    // engine-wide records (open outages).
    void PutRuleState(const std::string& rule_id, const std::string& key, const std::string& bytes);
    void DeleteRuleState(const std::string& rule_id, const std::string& key);
    // The next offset to read on `tp` after this commit.
    void PutOffset(const TopicPartition& tp, Offset next);
    // Queues a record for publishing; returns its outbox sequence number.
    uint64_t AppendOutbox(const internal::OutboxRecord& record);
    // The sequence number the next AppendOutbox() will return.
    uint64_t next_seq() const { return next_seq_; }
    bool empty() const { return batch_.Count() == 0; }

   private:
    friend class StateStore;
    explicit Batch(StateStore* store, uint64_t next_seq) : store_(store), next_seq_(next_seq) {}
    StateStore* store_;
    uint64_t next_seq_;
    rocksdb::WriteBatch batch_;
  };

  static absl::StatusOr<std::unique_ptr<StateStore>> Open(const std::string& path);
  ~StateStore();

  Batch NewBatch() { return Batch(this, next_outbox_seq_); }
  // Writes the batch with one fsync (`sync`), then advances the outbox sequence.
  absl::Status Commit(Batch& batch, bool sync = true);

  // Calls fn(rule_id, key, state) for every persisted rule state.
  absl::Status ForEachClusterState(
      const std::function<void(const std::string& rule_id, const std::string& key,
                               const internal::ClusterState&)>& fn);
  // Calls fn(rule_id, key, bytes) for every persisted rule-engine record.
  absl::Status ForEachRuleState(
      const std::function<void(const std::string& rule_id, const std::string& key,
                               const std::string& bytes)>& fn);
  absl::StatusOr<std::map<TopicPartition, Offset>> LoadOffsets();
  // Outbox records not yet confirmed as published, in sequence order.
  absl::StatusOr<std::vector<std::pair<uint64_t, internal::OutboxRecord>>> LoadOutbox();
  // Removes published records (no fsync: a lost delete only republishes).
  absl::Status DeleteOutbox(const std::vector<uint64_t>& seqs);

 private:
  StateStore() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* window_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* offsets_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* outbox_cf_ = nullptr;
  uint64_t next_outbox_seq_ = 1;
};

}  // namespace vigil::state

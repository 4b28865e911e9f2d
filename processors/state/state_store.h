#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "processors/common/types.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "vigil/internal/state.pb.h"

namespace vigil::state {

// vigild's durable state: rule state, input offsets, the outbox, generic records and
// timers, written together. Not thread-safe; owned by the engine thread.
class StateStore {
 public:
  // Everything one commit changes. Applied atomically by Commit(). Reads through the
  // store that take a batch (GetRecord, ForEachRecord, ...) see its uncommitted writes.
  // Must not outlive the store.
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
    // A generic record `key` in namespace `ns` (the namespace must not contain '\0').
    void PutRecord(std::string_view ns, std::string_view key, std::string_view value);
    void DeleteRecord(std::string_view ns, std::string_view key);
    // The sequence number the next AppendOutbox() will return.
    uint64_t next_seq() const { return next_seq_; }
    bool empty() const { return batch_.GetWriteBatch()->Count() == 0; }

    // Column-family level access for modules that keep their own families in this store
    // (processors/timers). `cf` must be one of the store's handles.
    void Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key, std::string_view value);
    void Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key);
    // Runs `fn` on the engine thread right after this batch is durably committed; never
    // runs if the batch is dropped or its commit fails. Callbacks run in registration order.
    void OnCommit(std::function<void()> fn) { on_commit_.push_back(std::move(fn)); }
    // Unique per batch of one StateStore (never reused, unlike addresses).
    uint64_t id() const { return id_; }

   private:
    friend class StateStore;
    explicit Batch(StateStore* store, uint64_t next_seq, uint64_t id)
        : store_(store),
          next_seq_(next_seq),
          id_(id),
          batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {}
    StateStore* store_;
    uint64_t next_seq_;
    uint64_t id_;
    // Mutable because RocksDB's read-your-writes reads (GetFromBatchAndDB,
    // NewIteratorWithBase) are non-const; they do not change the batch's contents.
    mutable rocksdb::WriteBatchWithIndex batch_;
    std::vector<std::function<void()>> on_commit_;
  };

  static absl::StatusOr<std::unique_ptr<StateStore>> Open(const std::string& path);
  ~StateStore();

  Batch NewBatch() { return Batch(this, next_outbox_seq_, next_batch_id_++); }
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

  // The value of record (ns, key), nullopt when absent. With a batch, its uncommitted
  // writes win over the database; `batch` may be null.
  absl::StatusOr<std::optional<std::string>> GetRecord(const Batch* batch, std::string_view ns,
                                                       std::string_view key);
  // Calls fn(key, value) for every record of `ns` whose key starts with `key_prefix`, in key
  // order, over the database overlaid with `batch` (may be null). Stops when fn returns false.
  // `start_key` (optional, within the prefix) starts the scan there instead.
  absl::Status ForEachRecord(
      const Batch* batch, std::string_view ns, std::string_view key_prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn,
      std::string_view start_key = {});

  // RocksDB's own figures, for monitoring (any thread).
  struct Figures {
    uint64_t live_sst_bytes = 0;
    uint64_t memtable_bytes = 0;
    uint64_t block_cache_bytes = 0;  // both block caches (general, timers)
    uint64_t pending_compaction_bytes = 0;
    bool compaction_pending = false;
    bool write_stopped = false;
    uint64_t stalls_stop = 0;      // write stops since open, all families
    uint64_t stalls_slowdown = 0;  // write slowdowns since open, all families
  };
  Figures GetFigures() const;

  // Column-family level access for processors/timers (see README.md for the key layout).
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* meta_cf() const { return db_->DefaultColumnFamily(); }
  rocksdb::ColumnFamilyHandle* timers_cf() const { return timers_cf_; }
  rocksdb::ColumnFamilyHandle* timer_ids_cf() const { return timer_ids_cf_; }
  // Point read of `key` in `cf`, overlaid with `batch` (may be null); nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(const Batch* batch,
                                                 rocksdb::ColumnFamilyHandle* cf,
                                                 std::string_view key);
  // An iterator over `cf` overlaid with `batch` (may be null). `options` must outlive it (it
  // may hold iterate bounds). The batch must not be written while the iterator is in use.
  std::unique_ptr<rocksdb::Iterator> NewIterator(const Batch* batch,
                                                 rocksdb::ColumnFamilyHandle* cf,
                                                 const rocksdb::ReadOptions& options);

 private:
  StateStore() = default;

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* window_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* offsets_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* outbox_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* records_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* timers_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* timer_ids_cf_ = nullptr;
  uint64_t next_outbox_seq_ = 1;
  uint64_t next_batch_id_ = 1;
};

// The smallest key greater than every key starting with `prefix` ("" when
// there is none: the prefix is all 0xff bytes). For iterate_upper_bound.
std::string PrefixEnd(std::string_view prefix);

}  // namespace vigil::state

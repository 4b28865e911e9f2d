#include "processors/state/state_store.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/state/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"

namespace vigil::state {
namespace {

constexpr char kWindowCf[] = "window_state";
constexpr char kOffsetsCf[] = "offsets";
constexpr char kOutboxCf[] = "outbox";
constexpr char kRecordsCf[] = "records";
constexpr char kTimersCf[] = "timers";
constexpr char kTimerIdsCf[] = "timer_ids";
constexpr size_t kTimerCacheBytes = 32 << 20;

std::string BigEndian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t FromBigEndian(std::string_view s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}

std::string StateKey(const std::string& rule_id, const std::string& key) {
  return rule_id + std::string(1, '\0') + key;
}

std::string RecordKey(std::string_view ns, std::string_view key) {
  std::string out;
  out.reserve(ns.size() + 1 + key.size());
  out.append(ns).push_back('\0');
  return out.append(key);
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// The timer families are a queue: inserted anywhere, deleted from the front. Files with
// many deletions are compacted early so the tombstones at the front do not pile up, and
// index/filter blocks live in the block cache so table readers' memory is bounded by the
// cache, not by the number of pending timers. `timer_ids` is read by point lookups that
// mostly miss (every new id): a Bloom filter answers those without reading data blocks.
rocksdb::ColumnFamilyOptions TimerFamilyOptions(std::shared_ptr<rocksdb::Cache> cache, bool bloom) {
  rocksdb::ColumnFamilyOptions options;
  options.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/10000,
                                                    /*deletion_trigger=*/5000,
                                                    /*deletion_ratio=*/0.5));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = std::move(cache);
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  if (bloom) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

void StateStore::Batch::PutClusterState(const std::string& rule_id, const std::string& key,
                                        const internal::ClusterState& state) {
  batch_.Put(store_->window_cf_, StateKey(rule_id, key), state.SerializeAsString())
      .PermitUncheckedError();
}

void StateStore::Batch::DeleteClusterState(const std::string& rule_id, const std::string& key) {
  batch_.Delete(store_->window_cf_, StateKey(rule_id, key)).PermitUncheckedError();
}

void StateStore::Batch::PutRuleState(const std::string& rule_id, const std::string& key,
                                     const std::string& bytes) {
  batch_.Put(store_->window_cf_, StateKey(rule_id, key), bytes).PermitUncheckedError();
}

void StateStore::Batch::DeleteRuleState(const std::string& rule_id, const std::string& key) {
  batch_.Delete(store_->window_cf_, StateKey(rule_id, key)).PermitUncheckedError();
}

void StateStore::Batch::PutOffset(const TopicPartition& tp, Offset next) {
  batch_
      .Put(store_->offsets_cf_,
           tp.topic + std::string(1, '\0') +
               BigEndian(static_cast<uint32_t>(tp.partition.value()), 4),
           BigEndian(static_cast<uint64_t>(next.value()), 8))
      .PermitUncheckedError();
}

void StateStore::Batch::PutRecord(std::string_view ns, std::string_view key,
                                  std::string_view value) {
  batch_.Put(store_->records_cf_, RecordKey(ns, key), ToSlice(value)).PermitUncheckedError();
}

void StateStore::Batch::DeleteRecord(std::string_view ns, std::string_view key) {
  batch_.Delete(store_->records_cf_, RecordKey(ns, key)).PermitUncheckedError();
}

void StateStore::Batch::Put(rocksdb::ColumnFamilyHandle* cf, std::string_view key,
                            std::string_view value) {
  batch_.Put(cf, ToSlice(key), ToSlice(value)).PermitUncheckedError();
}

void StateStore::Batch::Delete(rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  batch_.Delete(cf, ToSlice(key)).PermitUncheckedError();
}

uint64_t StateStore::Batch::AppendOutbox(const internal::OutboxRecord& record) {
  const uint64_t seq = next_seq_++;
  batch_.Put(store_->outbox_cf_, BigEndian(seq, 8), record.SerializeAsString())
      .PermitUncheckedError();
  return seq;
}

absl::StatusOr<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("creating state directory ", path, ": ", ec.message()));
  }
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  // Families added by later versions are created when an older store is opened
  // (create_missing_column_families).
  rocksdb::ColumnFamilyOptions cf_options;
  // One block cache for both timer families (data, index and filter blocks).
  std::shared_ptr<rocksdb::Cache> timer_cache = rocksdb::NewLRUCache(kTimerCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {kWindowCf, cf_options},
      {kOffsetsCf, cf_options},
      {kOutboxCf, cf_options},
      {kRecordsCf, cf_options},
      {kTimersCf, TimerFamilyOptions(timer_cache, /*bloom=*/false)},
      {kTimerIdsCf, TimerFamilyOptions(timer_cache, /*bloom=*/true)},
  };
  std::unique_ptr<StateStore> store(new StateStore());
  rocksdb::DB* db = nullptr;
  VIGIL_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, path, cfs, &store->handles_, &db),
                                  absl::StrCat("opening state store at ", path)));
  store->db_.reset(db);
  store->window_cf_ = store->handles_[1];
  store->offsets_cf_ = store->handles_[2];
  store->outbox_cf_ = store->handles_[3];
  store->records_cf_ = store->handles_[4];
  store->timers_cf_ = store->handles_[5];
  store->timer_ids_cf_ = store->handles_[6];

  // The outbox sequence continues after the newest record still queued, or
  // after the persisted high-water mark.
  std::string meta;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), "meta/next_outbox_seq", &meta);
  if (s.ok()) store->next_outbox_seq_ = FromBigEndian(meta);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), store->outbox_cf_));
  it->SeekToLast();
  if (it->Valid()) {
    store->next_outbox_seq_ =
        std::max(store->next_outbox_seq_, FromBigEndian(it->key().ToStringView()) + 1);
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the outbox"));
  return store;
}

StateStore::~StateStore() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

absl::Status StateStore::Commit(Batch& batch, bool sync) {
  if (batch.next_seq_ != next_outbox_seq_) {
    batch.batch_.Put("meta/next_outbox_seq", BigEndian(batch.next_seq_, 8)).PermitUncheckedError();
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  VIGIL_RETURN_IF_ERROR(
      FromRocks(db_->Write(wo, batch.batch_.GetWriteBatch()), "committing state batch"));
  next_outbox_seq_ = batch.next_seq_;
  batch.batch_.Clear();
  std::vector<std::function<void()>> on_commit;
  on_commit.swap(batch.on_commit_);
  for (auto& fn : on_commit) fn();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> StateStore::Get(const Batch* batch,
                                                           rocksdb::ColumnFamilyHandle* cf,
                                                           std::string_view key) {
  std::string value;
  const rocksdb::Status s = batch != nullptr
                                ? batch->batch_.GetFromBatchAndDB(db_.get(), rocksdb::ReadOptions(),
                                                                  cf, ToSlice(key), &value)
                                : db_->Get(rocksdb::ReadOptions(), cf, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  VIGIL_RETURN_IF_ERROR(FromRocks(s, "reading state"));
  return value;
}

std::unique_ptr<rocksdb::Iterator> StateStore::NewIterator(const Batch* batch,
                                                           rocksdb::ColumnFamilyHandle* cf,
                                                           const rocksdb::ReadOptions& options) {
  rocksdb::Iterator* base = db_->NewIterator(options, cf);
  if (batch == nullptr || batch->empty()) return std::unique_ptr<rocksdb::Iterator>(base);
  return std::unique_ptr<rocksdb::Iterator>(batch->batch_.NewIteratorWithBase(cf, base, &options));
}

absl::StatusOr<std::optional<std::string>> StateStore::GetRecord(const Batch* batch,
                                                                 std::string_view ns,
                                                                 std::string_view key) {
  auto value = Get(batch, records_cf_, RecordKey(ns, key));
  if (!value.ok())
    return Annotate(value.status(),
                    absl::StrCat("record ", std::string(ns), "/", std::string(key)));
  return value;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<uint8_t>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
  return end;
}

StateStore::Figures StateStore::GetFigures() const {
  Figures f;
  uint64_t v = 0;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kLiveSstFilesSize, &v)) {
    f.live_sst_bytes = v;
  }
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) {
    f.memtable_bytes = v;
  }
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes, &v)) {
    f.pending_compaction_bytes = v;
  }
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCompactionPending, &v)) {
    f.compaction_pending = v > 0;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &v)) f.write_stopped = v > 0;
  // The families share two caches: one of the default family, one of the timer families.
  for (rocksdb::ColumnFamilyHandle* cf : {db_->DefaultColumnFamily(), timers_cf_}) {
    if (db_->GetIntProperty(cf, rocksdb::DB::Properties::kBlockCacheUsage, &v)) {
      f.block_cache_bytes += v;
    }
  }
  for (rocksdb::ColumnFamilyHandle* cf : handles_) {
    std::map<std::string, std::string> stats;
    if (!db_->GetMapProperty(cf, rocksdb::DB::Properties::kCFStats, &stats)) continue;
    const auto add = [&](const char* key, uint64_t* to) {
      if (auto it = stats.find(key); it != stats.end())
        *to += std::strtoull(it->second.c_str(), nullptr, 10);
    };
    add("io_stalls.total_stop", &f.stalls_stop);
    add("io_stalls.total_slowdown", &f.stalls_slowdown);
  }
  return f;
}

absl::Status StateStore::ForEachRecord(
    const Batch* batch, std::string_view ns, std::string_view key_prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn,
    std::string_view start_key) {
  const std::string prefix = RecordKey(ns, key_prefix);
  const std::string start = start_key.empty() ? prefix : std::max(prefix, RecordKey(ns, start_key));
  // Bounded: without an upper bound a seek past the prefix would walk every
  // deleted key after it (tombstones) looking for a live one.
  const std::string end = PrefixEnd(prefix);
  const rocksdb::Slice upper(end);
  rocksdb::ReadOptions options;
  if (!end.empty()) options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it = NewIterator(batch, records_cf_, options);
  const size_t key_start = ns.size() + 1;
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view k = it->key().ToStringView();
    if (k.substr(0, prefix.size()) != prefix) break;
    if (!fn(k.substr(key_start), it->value().ToStringView())) break;
  }
  return FromRocks(it->status(), absl::StrCat("reading records of ", std::string(ns)));
}

absl::Status StateStore::ForEachClusterState(
    const std::function<void(const std::string&, const std::string&,
                             const internal::ClusterState&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), window_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    const size_t sep = k.find('\0');
    if (sep == std::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat("state key without rule separator: ", std::string(k)));
    }
    internal::ClusterState state;
    if (!state.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(
          absl::StrCat("unreadable rule state for key ", std::string(k.substr(sep + 1))));
    }
    fn(std::string(k.substr(0, sep)), std::string(k.substr(sep + 1)), state);
  }
  return FromRocks(it->status(), "reading rule state");
}

absl::Status StateStore::ForEachRuleState(
    const std::function<void(const std::string&, const std::string&, const std::string&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), window_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    const size_t sep = k.find('\0');
    if (sep == std::string_view::npos) {
      return absl::DataLossError(
          absl::StrCat("state key without rule separator: ", std::string(k)));
    }
    fn(std::string(k.substr(0, sep)), std::string(k.substr(sep + 1)), it->value().ToString());
  }
  return FromRocks(it->status(), "reading rule state");
}

absl::StatusOr<std::map<TopicPartition, Offset>> StateStore::LoadOffsets() {
  std::map<TopicPartition, Offset> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), offsets_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() < 5 || k[k.size() - 5] != '\0' || it->value().size() != 8) {
      return absl::DataLossError("malformed offset record");
    }
    TopicPartition tp{std::string(k.substr(0, k.size() - 5)),
                      Partition(static_cast<int32_t>(FromBigEndian(k.substr(k.size() - 4))))};
    out[tp] = Offset(static_cast<int64_t>(FromBigEndian(it->value().ToStringView())));
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "reading offsets"));
  return out;
}

absl::StatusOr<std::vector<std::pair<uint64_t, internal::OutboxRecord>>> StateStore::LoadOutbox() {
  std::vector<std::pair<uint64_t, internal::OutboxRecord>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), outbox_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    internal::OutboxRecord rec;
    if (!rec.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("unreadable outbox record");
    }
    out.emplace_back(FromBigEndian(it->key().ToStringView()), std::move(rec));
  }
  VIGIL_RETURN_IF_ERROR(FromRocks(it->status(), "reading the outbox"));
  return out;
}

absl::Status StateStore::DeleteOutbox(const std::vector<uint64_t>& seqs) {
  if (seqs.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  for (uint64_t seq : seqs) batch.Delete(outbox_cf_, BigEndian(seq, 8)).PermitUncheckedError();
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch),
                   "deleting published outbox records");
}

}  // namespace vigil::state

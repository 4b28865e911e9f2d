#include "processors/state/state_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rocksdb/db.h"

namespace vigil::state {
namespace {

internal::ClusterState MakeState(int64_t max_ms, const std::string& warning_id) {
  internal::ClusterState s;
  internal::WindowEntry* e = s.add_entries();
  e->set_event_time_ms(max_ms - 5);
  e->set_event_id("evt-1");
  e->set_subject_id("TK1");
  s.set_max_event_time_ms(max_ms);
  if (!warning_id.empty()) {
    s.mutable_active()->set_warning_id(warning_id);
    s.mutable_active()->set_version(2);
  }
  return s;
}

internal::OutboxRecord MakeRecord(const std::string& value) {
  internal::OutboxRecord r;
  r.set_topic("vigil.warnings.v1");
  r.set_key("370100");
  r.set_value(value);
  internal::Header* h = r.add_headers();
  h->set_name("vigil-reason");
  h->set_value(std::string("x\0y", 3));
  return r;
}

TopicPartition Tp(const std::string& topic, int32_t partition) {
  return TopicPartition{topic, Partition(partition)};
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("vigil_state_") + info->name() + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto opened = StateStore::Open(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }
  std::map<std::string, std::string> States() {
    std::map<std::string, std::string> out;
    const absl::Status s = store_->ForEachClusterState(
        [&](const std::string& rule, const std::string& key, const internal::ClusterState& st) {
          out[rule + "|" + key] = st.SerializeAsString();
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }
  std::vector<uint64_t> OutboxSeqs() {
    auto outbox = store_->LoadOutbox();
    EXPECT_TRUE(outbox.ok()) << outbox.status();
    std::vector<uint64_t> seqs;
    if (outbox.ok()) {
      for (const auto& [seq, rec] : *outbox) seqs.push_back(seq);
    }
    return seqs;
  }

  std::optional<std::string> Record(const StateStore::Batch* batch, std::string_view ns,
                                    std::string_view key) {
    auto value = store_->GetRecord(batch, ns, key);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }
  // "key=value" of every record of `ns` under `prefix`, in iteration order.
  std::vector<std::string> Records(const StateStore::Batch* batch, std::string_view ns,
                                   std::string_view prefix, size_t stop_after = 1000) {
    std::vector<std::string> out;
    const absl::Status s =
        store_->ForEachRecord(batch, ns, prefix, [&](std::string_view key, std::string_view value) {
          out.push_back(std::string(key) + "=" + std::string(value));
          return out.size() < stop_after;
        });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<StateStore> store_;
};

// A new store is empty and numbers the outbox from 1.
TEST_F(StateStoreTest, FreshStoreIsEmpty) {
  EXPECT_TRUE(States().empty());
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok());
  EXPECT_TRUE(offsets->empty());
  EXPECT_TRUE(OutboxSeqs().empty());
  StateStore::Batch batch = store_->NewBatch();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.next_seq(), 1u);
}

// State, offsets and outbox committed in one batch are all there after reopening.
TEST_F(StateStoreTest, CommitThenReopenLoadsEverything) {
  const internal::ClusterState s1 = MakeState(1000, "R13-0000000000000001");
  const internal::ClusterState s2 = MakeState(2000, "");
  {
    StateStore::Batch batch = store_->NewBatch();
    batch.PutClusterState("R13", "370100/370102/S01/T1|LOW_VOLTAGE", s1);
    batch.PutClusterState("R13", "370100/370102/S01/T2|BILLING", s2);
    batch.PutOffset(Tp("vigil.tickets.v1", 0), Offset(42));
    batch.PutOffset(Tp("vigil.tickets.v1", 300), Offset(7));
    batch.PutOffset(Tp("vigil.outages.v1", 0), Offset(int64_t{1} << 40));
    EXPECT_EQ(batch.AppendOutbox(MakeRecord("a")), 1u);
    EXPECT_EQ(batch.AppendOutbox(MakeRecord("b")), 2u);
    EXPECT_EQ(batch.next_seq(), 3u);
    EXPECT_FALSE(batch.empty());
    ASSERT_TRUE(store_->Commit(batch).ok());
    EXPECT_TRUE(batch.empty());
  }
  Reopen();
  EXPECT_EQ(States(), (std::map<std::string, std::string>{
                          {"R13|370100/370102/S01/T1|LOW_VOLTAGE", s1.SerializeAsString()},
                          {"R13|370100/370102/S01/T2|BILLING", s2.SerializeAsString()}}));
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  EXPECT_EQ(*offsets, (std::map<TopicPartition, Offset>{
                          {Tp("vigil.tickets.v1", 0), Offset(42)},
                          {Tp("vigil.tickets.v1", 300), Offset(7)},
                          {Tp("vigil.outages.v1", 0), Offset(int64_t{1} << 40)}}));
  auto outbox = store_->LoadOutbox();
  ASSERT_TRUE(outbox.ok()) << outbox.status();
  ASSERT_EQ(outbox->size(), 2u);
  EXPECT_EQ((*outbox)[0].first, 1u);
  EXPECT_EQ((*outbox)[0].second.SerializeAsString(), MakeRecord("a").SerializeAsString());
  EXPECT_EQ((*outbox)[1].first, 2u);
  EXPECT_EQ((*outbox)[1].second.value(), "b");
  EXPECT_EQ(store_->NewBatch().next_seq(), 3u);
}

// A later commit overwrites offsets and state, and deletes state.
TEST_F(StateStoreTest, LaterCommitsOverwriteAndDelete) {
  StateStore::Batch b1 = store_->NewBatch();
  b1.PutClusterState("R13", "k1", MakeState(1000, ""));
  b1.PutClusterState("R13", "k2", MakeState(1000, ""));
  b1.PutOffset(Tp("t", 0), Offset(10));
  ASSERT_TRUE(store_->Commit(b1).ok());
  StateStore::Batch b2 = store_->NewBatch();
  b2.PutClusterState("R13", "k1", MakeState(5000, "R13-x"));
  b2.DeleteClusterState("R13", "k2");
  b2.PutOffset(Tp("t", 0), Offset(20));
  ASSERT_TRUE(store_->Commit(b2).ok());
  Reopen();
  EXPECT_EQ(States(), (std::map<std::string, std::string>{
                          {"R13|k1", MakeState(5000, "R13-x").SerializeAsString()}}));
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(*offsets, (std::map<TopicPartition, Offset>{{Tp("t", 0), Offset(20)}}));
}

// Topic names that prefix each other and rule ids that prefix keys stay apart.
TEST_F(StateStoreTest, KeysDoNotCollide) {
  StateStore::Batch batch = store_->NewBatch();
  batch.PutOffset(Tp("a", 1), Offset(1));
  batch.PutOffset(Tp("ab", 1), Offset(2));
  batch.PutOffset(Tp("a", 256), Offset(3));
  batch.PutClusterState("R1", "3|k", MakeState(1, ""));
  batch.PutClusterState("R13", "|k", MakeState(2, ""));
  ASSERT_TRUE(store_->Commit(batch).ok());
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(*offsets,
            (std::map<TopicPartition, Offset>{
                {Tp("a", 1), Offset(1)}, {Tp("ab", 1), Offset(2)}, {Tp("a", 256), Offset(3)}}));
  std::vector<std::string> rules;
  ASSERT_TRUE(store_
                  ->ForEachClusterState(
                      [&](const std::string& rule, const std::string& key,
                          const internal::ClusterState&) { rules.push_back(rule + " " + key); })
                  .ok());
  EXPECT_EQ(rules, (std::vector<std::string>{"R1 3|k", "R13 |k"}));
}

// DeleteOutbox removes exactly the given records.
TEST_F(StateStoreTest, DeleteOutbox) {
  StateStore::Batch batch = store_->NewBatch();
  for (int i = 0; i < 4; ++i) batch.AppendOutbox(MakeRecord(std::to_string(i)));
  ASSERT_TRUE(store_->Commit(batch).ok());
  ASSERT_TRUE(store_->DeleteOutbox({1, 3}).ok());
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{2, 4}));
  ASSERT_TRUE(store_->DeleteOutbox({}).ok());
  Reopen();
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{2, 4}));
}

// Sequence numbers are never reused, even after every record was deleted and the store reopened.
TEST_F(StateStoreTest, OutboxSequenceContinuesAfterReopen) {
  StateStore::Batch b1 = store_->NewBatch();
  b1.AppendOutbox(MakeRecord("a"));
  b1.AppendOutbox(MakeRecord("b"));
  b1.AppendOutbox(MakeRecord("c"));
  ASSERT_TRUE(store_->Commit(b1).ok());
  ASSERT_TRUE(store_->DeleteOutbox({1, 2, 3}).ok());
  Reopen();
  EXPECT_TRUE(OutboxSeqs().empty());
  StateStore::Batch b2 = store_->NewBatch();
  EXPECT_EQ(b2.next_seq(), 4u);
  EXPECT_EQ(b2.AppendOutbox(MakeRecord("d")), 4u);
  ASSERT_TRUE(store_->Commit(b2).ok());
  // A commit without outbox records keeps the sequence too.
  StateStore::Batch b3 = store_->NewBatch();
  b3.PutOffset(Tp("t", 0), Offset(1));
  ASSERT_TRUE(store_->Commit(b3).ok());
  ASSERT_TRUE(store_->DeleteOutbox({4}).ok());
  Reopen();
  EXPECT_EQ(store_->NewBatch().next_seq(), 5u);
}

// Outbox records load in sequence order beyond one byte of sequence numbers.
TEST_F(StateStoreTest, OutboxLoadsInSequenceOrder) {
  StateStore::Batch batch = store_->NewBatch();
  for (int i = 0; i < 300; ++i) batch.AppendOutbox(MakeRecord(std::to_string(i)));
  ASSERT_TRUE(store_->Commit(batch, /*sync=*/false).ok());
  auto outbox = store_->LoadOutbox();
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->size(), 300u);
  for (size_t i = 0; i < outbox->size(); ++i) {
    EXPECT_EQ((*outbox)[i].first, i + 1);
    EXPECT_EQ((*outbox)[i].second.value(), std::to_string(i));
  }
}

// A batch dropped without Commit leaves nothing behind, and its sequence numbers are reused.
TEST_F(StateStoreTest, UncommittedBatchLeavesNothing) {
  {
    StateStore::Batch batch = store_->NewBatch();
    batch.PutClusterState("R13", "k", MakeState(1, ""));
    batch.PutOffset(Tp("t", 0), Offset(9));
    EXPECT_EQ(batch.AppendOutbox(MakeRecord("lost")), 1u);
  }
  EXPECT_TRUE(States().empty());
  EXPECT_TRUE(OutboxSeqs().empty());
  EXPECT_EQ(store_->NewBatch().next_seq(), 1u);
  Reopen();
  EXPECT_TRUE(States().empty());
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok());
  EXPECT_TRUE(offsets->empty());
  EXPECT_TRUE(OutboxSeqs().empty());
  EXPECT_EQ(store_->NewBatch().next_seq(), 1u);
}

// Committed records read back by namespace and key, also after reopening; absent ones are nullopt.
TEST_F(StateStoreTest, RecordsPutGetDelete) {
  StateStore::Batch batch = store_->NewBatch();
  batch.PutRecord("tickets", "T1", "v1");
  batch.PutRecord("tickets", "T2", std::string("a\0b", 3));
  batch.PutRecord("owners", "T1", "o1");
  ASSERT_TRUE(store_->Commit(batch).ok());
  Reopen();
  EXPECT_EQ(Record(nullptr, "tickets", "T1"), "v1");
  EXPECT_EQ(Record(nullptr, "tickets", "T2"), std::string("a\0b", 3));
  EXPECT_EQ(Record(nullptr, "owners", "T1"), "o1");
  EXPECT_EQ(Record(nullptr, "owners", "T2"), std::nullopt);
  StateStore::Batch del = store_->NewBatch();
  del.DeleteRecord("tickets", "T1");
  ASSERT_TRUE(store_->Commit(del).ok());
  EXPECT_EQ(Record(nullptr, "tickets", "T1"), std::nullopt);
  EXPECT_EQ(Record(nullptr, "owners", "T1"), "o1");
}

// Reads through a batch see its uncommitted puts and deletes; reads without it do not.
TEST_F(StateStoreTest, RecordReadsSeeTheirBatch) {
  StateStore::Batch committed = store_->NewBatch();
  committed.PutRecord("ns", "keep", "1");
  committed.PutRecord("ns", "gone", "2");
  committed.PutRecord("ns", "changed", "3");
  ASSERT_TRUE(store_->Commit(committed).ok());
  StateStore::Batch batch = store_->NewBatch();
  batch.PutRecord("ns", "new", "4");
  batch.DeleteRecord("ns", "gone");
  batch.PutRecord("ns", "changed", "3a");
  batch.PutRecord("ns", "changed", "3b");
  EXPECT_EQ(Record(&batch, "ns", "new"), "4");
  EXPECT_EQ(Record(&batch, "ns", "gone"), std::nullopt);
  EXPECT_EQ(Record(&batch, "ns", "changed"), "3b");
  EXPECT_EQ(Record(&batch, "ns", "keep"), "1");
  EXPECT_EQ(Record(nullptr, "ns", "new"), std::nullopt);
  EXPECT_EQ(Record(nullptr, "ns", "gone"), "2");
  EXPECT_EQ(Records(&batch, "ns", ""), (std::vector<std::string>{"changed=3b", "keep=1", "new=4"}));
  EXPECT_EQ(Records(nullptr, "ns", ""),
            (std::vector<std::string>{"changed=3", "gone=2", "keep=1"}));
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(Records(nullptr, "ns", ""),
            (std::vector<std::string>{"changed=3b", "keep=1", "new=4"}));
}

// ForEachRecord visits one namespace's keys under a prefix in key order, and stops on request.
TEST_F(StateStoreTest, ForEachRecordPrefixAndStop) {
  StateStore::Batch batch = store_->NewBatch();
  batch.PutRecord("a", "k2", "x");
  batch.PutRecord("a", "k1", "x");
  batch.PutRecord("a", "k10", "x");
  batch.PutRecord("a", "j", "x");
  batch.PutRecord("ab", "k3", "x");  // a namespace that extends "a"
  batch.PutRecord("", "k4", "x");
  ASSERT_TRUE(store_->Commit(batch).ok());
  StateStore::Batch overlay = store_->NewBatch();
  overlay.PutRecord("a", "k0", "y");
  overlay.DeleteRecord("a", "k10");
  EXPECT_EQ(Records(&overlay, "a", "k"), (std::vector<std::string>{"k0=y", "k1=x", "k2=x"}));
  EXPECT_EQ(Records(nullptr, "a", "k"), (std::vector<std::string>{"k1=x", "k10=x", "k2=x"}));
  EXPECT_EQ(Records(nullptr, "a", ""), (std::vector<std::string>{"j=x", "k1=x", "k10=x", "k2=x"}));
  EXPECT_EQ(Records(nullptr, "ab", ""), (std::vector<std::string>{"k3=x"}));
  EXPECT_EQ(Records(nullptr, "", ""), (std::vector<std::string>{"k4=x"}));
  EXPECT_EQ(Records(&overlay, "a", "", /*stop_after=*/2),
            (std::vector<std::string>{"j=x", "k0=y"}));
  EXPECT_TRUE(Records(nullptr, "zz", "").empty());
}

// OnCommit callbacks run in order after a successful commit, and never for a dropped batch.
TEST_F(StateStoreTest, OnCommitRunsAfterCommitOnly) {
  std::vector<int> ran;
  {
    StateStore::Batch dropped = store_->NewBatch();
    dropped.PutRecord("ns", "k", "v");
    dropped.OnCommit([&] { ran.push_back(0); });
  }
  StateStore::Batch batch = store_->NewBatch();
  batch.PutRecord("ns", "k", "v");
  batch.OnCommit([&] { ran.push_back(1); });
  batch.OnCommit([&] {
    // The commit is visible when the callback runs.
    ran.push_back(Record(nullptr, "ns", "k") == "v" ? 2 : -2);
  });
  EXPECT_TRUE(ran.empty());
  ASSERT_TRUE(store_->Commit(batch).ok());
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  ASSERT_TRUE(store_->Commit(batch).ok());  // callbacks run once
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

// A store written by the previous version (without the records and timer families) opens,
// keeps its data and gains the new families.
TEST_F(StateStoreTest, OpensStoreWithoutNewFamilies) {
  store_.reset();
  std::filesystem::remove_all(dir_);
  {
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                        {"window_state", {}},
                                                        {"offsets", {}},
                                                        {"outbox", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_.string(), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[2], std::string("t\0\0\0\0\0", 6),
                        std::string("\0\0\0\0\0\0\0\x05", 8))
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  Reopen();
  auto offsets = store_->LoadOffsets();
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  EXPECT_EQ(*offsets, (std::map<TopicPartition, Offset>{{Tp("t", 0), Offset(5)}}));
  StateStore::Batch batch = store_->NewBatch();
  batch.PutRecord("ns", "k", "v");
  ASSERT_TRUE(store_->Commit(batch).ok());
  Reopen();
  EXPECT_EQ(Record(nullptr, "ns", "k"), "v");
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir_.string(), &families).ok());
  std::sort(families.begin(), families.end());
  EXPECT_EQ(families, (std::vector<std::string>{"default", "offsets", "outbox", "records",
                                                "timer_ids", "timers", "window_state"}));
}

// Opening a path that cannot be a database fails with a status naming the path.
TEST_F(StateStoreTest, OpenFailureIsAStatus) {
  const std::filesystem::path file = dir_ / "not-a-dir";
  std::ofstream(file.string()) << "x";
  auto opened = StateStore::Open((file / "db").string());
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find(file.string()), std::string::npos) << opened.status();
}

}  // namespace
}  // namespace vigil::state

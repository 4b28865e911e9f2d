#include "processors/state/state_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

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

#include "processors/timers/timer_store.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/state/rocksdb_status.h"

namespace vigil::timers {
namespace {

// The `default`-family key of the pending-timer counter (8 bytes big-endian).
constexpr char kPendingKey[] = "meta/pending_timers";
constexpr size_t kDueBytes = 8;

std::string BigEndian64(uint64_t v) {
  std::string out(kDueBytes, '\0');
  for (int i = kDueBytes - 1; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t FromBigEndian64(std::string_view s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}

// Milliseconds since the epoch, sign bit flipped so that negative times sort first.
std::string EncodeDue(int64_t ms) {
  return BigEndian64(static_cast<uint64_t>(ms) ^ (uint64_t{1} << 63));
}

absl::Time DecodeDue(std::string_view encoded) {
  return absl::FromUnixMillis(static_cast<int64_t>(FromBigEndian64(encoded) ^ (uint64_t{1} << 63)));
}

// timers-family key: due, then id, so keys sort by (due, id).
std::string TimerKey(std::string_view encoded_due, std::string_view id) {
  std::string key;
  key.reserve(encoded_due.size() + id.size());
  return key.append(encoded_due).append(id);
}

absl::StatusOr<Timer> DecodeTimer(std::string_view key, std::string_view value) {
  if (key.size() <= kDueBytes) return absl::DataLossError("malformed timer key");
  return Timer{std::string(key.substr(kDueBytes)), DecodeDue(key.substr(0, kDueBytes)),
               std::string(value)};
}

}  // namespace

TimerStore::TimerStore(state::StateStore* store) : store_(store) {}

absl::Status TimerStore::Schedule(state::StateStore::Batch& batch, std::string_view id,
                                  absl::Time due, std::string_view payload) {
  if (id.empty()) return absl::InvalidArgumentError("timer id must not be empty");
  if (due == absl::InfinitePast() || due == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat("timer ", std::string(id), ": due time must be finite"));
  }
  const std::string encoded = EncodeDue(absl::ToUnixMillis(due));
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> old,
                         store_->Get(&batch, store_->timer_ids_cf(), id));
  if (old.has_value()) {
    if (old->size() != kDueBytes)
      return absl::DataLossError(absl::StrCat("timer ", std::string(id)));
    if (*old != encoded) batch.Delete(store_->timers_cf(), TimerKey(*old, id));
  } else {
    VIGIL_RETURN_IF_ERROR(AddPending(batch, 1));
  }
  const std::string key = TimerKey(encoded, id);
  batch.Put(store_->timers_cf(), key, payload);
  batch.Put(store_->timer_ids_cf(), id, encoded);
  NoteScheduled(batch, key);
  ++schedules_;
  return absl::OkStatus();
}

absl::Status TimerStore::Cancel(state::StateStore::Batch& batch, std::string_view id) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> due,
                         store_->Get(&batch, store_->timer_ids_cf(), id));
  if (!due.has_value()) return absl::OkStatus();
  Erase(batch, TimerKey(*due, id), id);
  return AddPending(batch, -1);
}

absl::StatusOr<std::optional<Timer>> TimerStore::Get(const state::StateStore::Batch& batch,
                                                     std::string_view id) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> due,
                         store_->Get(&batch, store_->timer_ids_cf(), id));
  if (!due.has_value()) return std::nullopt;
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> payload,
                         store_->Get(&batch, store_->timers_cf(), TimerKey(*due, id)));
  if (!payload.has_value() || due->size() != kDueBytes) {
    return absl::DataLossError(absl::StrCat("timer ", std::string(id), " indexed but not stored"));
  }
  return Timer{std::string(id), DecodeDue(*due), *std::move(payload)};
}

absl::StatusOr<std::vector<Timer>> TimerStore::PopDue(state::StateStore::Batch& batch,
                                                      absl::Time until, size_t limit) {
  std::vector<Timer> out;
  if (limit == 0 || until == absl::InfinitePast()) return out;
  // Keys due at or before `until` sort below the first key of the next millisecond. The
  // bound keeps the iterator from walking tombstones of cancelled timers beyond it.
  const int64_t until_ms = absl::ToUnixMillis(until);
  const bool bounded = until_ms != std::numeric_limits<int64_t>::max();
  const std::string upper = bounded ? EncodeDue(until_ms + 1) : std::string();
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions options;
  if (bounded) options.iterate_upper_bound = &upper_slice;
  std::string last_key;
  {
    std::unique_ptr<rocksdb::Iterator> it =
        store_->NewIterator(&batch, store_->timers_cf(), options);
    // Within one batch, a PopDue starts where the previous one of the same
    // batch stopped (its bound, lowered by any schedule since): the batch's
    // own deletions at the front are not walked again on every call.
    std::string_view start = floor_;
    std::shared_ptr<std::string> open = open_raise_.lock();
    if (open != nullptr && open_raise_batch_ == batch.id() && *open > start) start = *open;
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid() && out.size() < limit;
         it->Next()) {
      // Not every RocksDB version bounds the batch side by iterate_upper_bound: check here.
      const std::string_view key = it->key().ToStringView();
      if (bounded && key >= std::string_view(upper)) break;
      VIGIL_ASSIGN_OR_RETURN(Timer timer, DecodeTimer(key, it->value().ToStringView()));
      out.push_back(std::move(timer));
      last_key.assign(key);
    }
    VIGIL_RETURN_IF_ERROR(state::FromRocks(it->status(), "reading due timers"));
  }
  if (out.empty()) return out;
  // Writing the batch invalidates its iterators: delete once the scan is over.
  for (const Timer& timer : out) {
    Erase(batch, TimerKey(EncodeDue(absl::ToUnixMillis(timer.due)), timer.id), timer.id);
  }
  VIGIL_RETURN_IF_ERROR(AddPending(batch, -static_cast<int64_t>(out.size())));
  // One raise per open batch: a later PopDue of the same batch moves it up.
  std::shared_ptr<std::string> open = open_raise_.lock();
  if (open != nullptr && open_raise_batch_ == batch.id()) {
    if (last_key > *open) *open = std::move(last_key);
    return out;
  }
  auto raise = std::make_shared<std::string>(std::move(last_key));
  std::erase_if(raises_, [](const std::weak_ptr<std::string>& r) { return r.expired(); });
  raises_.push_back(raise);
  open_raise_ = raise;
  open_raise_batch_ = batch.id();
  batch.OnCommit([this, raise] {
    if (*raise > floor_) floor_ = *raise;
  });
  return out;
}

absl::StatusOr<std::optional<absl::Time>> TimerStore::NextDue(
    const state::StateStore::Batch& batch) {
  std::unique_ptr<rocksdb::Iterator> it =
      store_->NewIterator(&batch, store_->timers_cf(), rocksdb::ReadOptions());
  it->Seek(floor_);
  if (it->Valid()) {
    const std::string_view key = it->key().ToStringView();
    if (key.size() <= kDueBytes) return absl::DataLossError("malformed timer key");
    return DecodeDue(key.substr(0, kDueBytes));
  }
  VIGIL_RETURN_IF_ERROR(state::FromRocks(it->status(), "reading the next timer"));
  return std::nullopt;
}

absl::StatusOr<uint64_t> TimerStore::Pending(const state::StateStore::Batch* batch) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> count,
                         store_->Get(batch, store_->meta_cf(), kPendingKey));
  if (!count.has_value()) return 0;
  if (count->size() != kDueBytes) return absl::DataLossError("malformed pending-timer count");
  return FromBigEndian64(*count);
}

absl::Status TimerStore::CancelPrefix(state::StateStore::Batch& batch, std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> victims;  // (id, encoded due)
  {
    const std::string end = state::PrefixEnd(prefix);
    const rocksdb::Slice upper(end);
    rocksdb::ReadOptions options;
    if (!end.empty()) options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it =
        store_->NewIterator(&batch, store_->timer_ids_cf(), options);
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
      const std::string_view id = it->key().ToStringView();
      if (id.substr(0, prefix.size()) != prefix) break;
      victims.emplace_back(std::string(id), it->value().ToString());
    }
    VIGIL_RETURN_IF_ERROR(state::FromRocks(it->status(), "scanning timer ids"));
  }
  for (const auto& [id, due] : victims) Erase(batch, TimerKey(due, id), id);
  return AddPending(batch, -static_cast<int64_t>(victims.size()));
}

absl::Status TimerStore::AddPending(state::StateStore::Batch& batch, int64_t delta) {
  if (delta == 0) return absl::OkStatus();
  VIGIL_ASSIGN_OR_RETURN(uint64_t pending, Pending(&batch));
  if (delta < 0 && pending < static_cast<uint64_t>(-delta)) {
    return absl::DataLossError(
        absl::StrCat("pending-timer count ", pending, " below ", -delta, " removed timers"));
  }
  batch.Put(store_->meta_cf(), kPendingKey, BigEndian64(pending + delta));
  return absl::OkStatus();
}

void TimerStore::Erase(state::StateStore::Batch& batch, std::string_view key, std::string_view id) {
  batch.Delete(store_->timers_cf(), key);
  batch.Delete(store_->timer_ids_cf(), id);
}

void TimerStore::NoteScheduled(state::StateStore::Batch& batch, const std::string& key) {
  // At once, so PopDue on this batch sees the new timer; again at commit, so a raise
  // committed by another batch meanwhile cannot hide it.
  Lower(key);
  batch.OnCommit([this, key] { Lower(key); });
}

void TimerStore::Lower(const std::string& key) {
  if (key < floor_) floor_ = key;
  for (const std::weak_ptr<std::string>& weak : raises_) {
    if (std::shared_ptr<std::string> raise = weak.lock(); raise != nullptr && key < *raise) {
      *raise = key;
    }
  }
}

}  // namespace vigil::timers

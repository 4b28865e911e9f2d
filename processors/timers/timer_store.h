#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/state/state_store.h"

namespace vigil::timers {

// One pending timer. `due` has millisecond precision: times are truncated toward the past
// to a whole millisecond when scheduled.
struct Timer {
  std::string id;
  absl::Time due;
  std::string payload;

  friend bool operator==(const Timer&, const Timer&) = default;
};

// Durable one-shot timers on the StateStore. A timer is identified by its id; scheduling an
// id that is pending replaces it (reschedule). All changes go into the caller's Batch, so a
// timer's deletion commits atomically with the effects of its firing. Memory use does not
// grow with the number of pending timers (everything is in RocksDB; no in-memory index).
//
// Not thread-safe; owned by the engine thread, like the StateStore. Must outlive every batch
// it wrote to (it registers Batch::OnCommit callbacks). Meant for one open batch at a time;
// with several, no timer is ever lost, but a batch's PopDue may miss a timer it scheduled
// itself before another batch's pops were committed.
class TimerStore {
 public:
  explicit TimerStore(state::StateStore* store);

  // Schedules (or reschedules) timer `id` (non-empty) at `due` (finite) with `payload`.
  absl::Status Schedule(state::StateStore::Batch& batch, std::string_view id, absl::Time due,
                        std::string_view payload);
  // Cancels timer `id`; a no-op when it is not pending.
  absl::Status Cancel(state::StateStore::Batch& batch, std::string_view id);
  // The pending timer `id`, batch included; nullopt when none.
  absl::StatusOr<std::optional<Timer>> Get(const state::StateStore::Batch& batch,
                                           std::string_view id);
  // Removes and returns up to `limit` timers due at or before `until`, in (due, id) order.
  absl::StatusOr<std::vector<Timer>> PopDue(state::StateStore::Batch& batch, absl::Time until,
                                            size_t limit);
  // Earliest pending due time (batch included), nullopt when none.
  absl::StatusOr<std::optional<absl::Time>> NextDue(const state::StateStore::Batch& batch);
  // Exact number of pending timers (a counter kept in the `default` family, updated in the
  // batch); `batch` may be null for the committed count.
  absl::StatusOr<uint64_t> Pending(const state::StateStore::Batch* batch);
  // Cancels every timer whose id starts with `prefix` (a scan of timer_ids; used rarely).
  absl::Status CancelPrefix(state::StateStore::Batch& batch, std::string_view prefix);

  // Schedule calls so far (in memory): a caller that popped everything due
  // before T needs to look again only if this changed or T moved.
  uint64_t schedules() const { return schedules_; }

 private:
  absl::Status AddPending(state::StateStore::Batch& batch, int64_t delta);
  // Deletes the timer with timers-family key `key` and id `id` (no counter change).
  void Erase(state::StateStore::Batch& batch, std::string_view key, std::string_view id);
  // Bookkeeping of the seek hint for a timer key written by Schedule.
  void NoteScheduled(state::StateStore::Batch& batch, const std::string& key);
  // Lowers floor_ and every open PopDue's raise to at most `key`.
  void Lower(const std::string& key);

  state::StateStore* store_;

  // Seek hint that skips the deletion tombstones of fired timers at the front of the timers
  // family: no committed timer has a key below `floor_`. Schedule lowers it at once (so a
  // PopDue on the same batch sees the new timer) and again when its batch commits. A PopDue
  // raises it when its batch commits to the last key it popped, or to the lowest key
  // scheduled or committed since the pop, if lower (`raises_`: one shared bound per PopDue
  // whose batch is still open, owned by that batch's OnCommit callback). O(1) memory in
  // the number of timers. Not persisted: after a restart the first PopDue walks the
  // tombstones once.
  std::string floor_;
  std::vector<std::weak_ptr<std::string>> raises_;
  // The raise of the newest PopDue and its batch: the next PopDue on the same
  // (still open) batch seeks from there. Expires with the batch.
  std::weak_ptr<std::string> open_raise_;
  uint64_t open_raise_batch_ = 0;
  uint64_t schedules_ = 0;
};

}  // namespace vigil::timers

#include "processors/ledger/ledger.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "processors/common/status.h"
#include "processors/ingest/validator.h"

namespace vigil::ledger {
namespace {

constexpr std::string_view kWarnings = "w";      // warning id → LedgerEntry
constexpr std::string_view kRegions = "region";  // "<region key>|<warning id>" → ""
constexpr std::string_view kRuleKeys = "rk";     // "<rule id>|<key>" → newest warning id
constexpr std::string_view kAliases = "alias";   // engine warning id → ledger warning id
constexpr std::string_view kCommands = "cmd";    // command id → CommandResult
constexpr std::string_view kCustomers = "ct";    // customer id → CustomerTags
constexpr std::string_view kLog = "log";         // seq (8 bytes BE) → WarningEvent
constexpr std::string_view kMeta = "meta";
constexpr std::string_view kSeqKey = "ledger_seq";
constexpr int kMaxTimerHistory = 50;
constexpr absl::Duration kWarnedFor = absl::Hours(24 * 30);
// Unacknowledged escalations after which a warning at grade I owned by the
// province stops re-notifying.
constexpr uint32_t kTopEscalations = 4;

int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }

std::string SeqKey(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return k;
}

uint64_t SeqOf(std::string_view k) {
  uint64_t v = 0;
  for (char c : k) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string TimerId(const std::string& warning_id, v1::TimerRecord::Kind kind, absl::Time due) {
  return absl::StrCat("lc|", warning_id, "|", static_cast<int>(kind), "|", Ms(due));
}

bool Acted(const v1::Warning& w, v1::TimerRecord::Kind kind, absl::Time due) {
  for (const v1::TimerRecord& r : w.timer_history()) {
    if (r.kind() == kind && Ms(ingest::ToTime(r.due())) == Ms(due)) return true;
  }
  return false;
}

void AddHistory(v1::Warning* w, const v1::TimerRecord& r) {
  if (w->timer_history_size() >= kMaxTimerHistory) {
    w->mutable_timer_history()->erase(w->mutable_timer_history()->begin());
  }
  *w->add_timer_history() = r;
}

std::string CustomerOf(const v1::Warning& w) {
  if (!w.customer_id().empty()) return w.customer_id();
  if (absl::StartsWith(w.key(), "customer:")) return w.key().substr(9);
  return "";
}

}  // namespace

Ledger::Ledger(std::shared_ptr<const lifecycle::LifecyclePolicy> policy, state::StateStore* store,
               timers::TimerStore* timers)
    : policy_(std::move(policy)), store_(store), timers_(timers) {}

absl::Status Ledger::Open() {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> seq,
                         store_->GetRecord(nullptr, kMeta, kSeqKey));
  next_seq_ = seq ? SeqOf(*seq) : 1;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<internal::LedgerEntry>> Ledger::Load(
    const state::StateStore::Batch* batch, std::string_view warning_id) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         store_->GetRecord(batch, kWarnings, warning_id));
  if (!bytes) return std::optional<internal::LedgerEntry>();
  internal::LedgerEntry entry;
  if (!entry.ParseFromString(*bytes)) {
    return absl::DataLossError(
        absl::StrCat("ledger entry ", std::string(warning_id), ": unreadable"));
  }
  return std::optional<internal::LedgerEntry>(std::move(entry));
}

absl::Status Ledger::Save(const internal::LedgerEntry& entry, state::StateStore::Batch& batch) {
  batch.PutRecord(kWarnings, entry.warning().warning_id(), entry.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Warning>> Ledger::Get(const state::StateStore::Batch* batch,
                                                       std::string_view warning_id) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> entry, Load(batch, warning_id));
  if (!entry) return std::optional<v1::Warning>();
  return std::optional<v1::Warning>(std::move(*entry->mutable_warning()));
}

void Ledger::Publish(v1::WarningEvent event, state::StateStore::Batch& batch,
                     std::vector<v1::WarningEvent>* out) {
  event.set_event_id(absl::StrCat(event.warning().warning_id(), ":", event.warning().version()));
  event.set_ledger_seq(next_seq_);
  batch.PutRecord(kLog, SeqKey(next_seq_), event.SerializeAsString());
  ++next_seq_;
  batch.PutRecord(kMeta, kSeqKey, SeqKey(next_seq_));
  out->push_back(std::move(event));
}

void Ledger::Merge(const v1::Warning& engine, absl::Time now, internal::LedgerEntry* entry) {
  v1::Warning& w = *entry->mutable_warning();
  const v1::Grade old_grade = w.grade();
  w.set_rule_version(engine.rule_version());
  w.set_title(engine.title());
  w.set_message(engine.message());
  *w.mutable_evidence() = engine.evidence();
  *w.mutable_updated_at() = ingest::ToTimestamp(now);
  w.set_category(engine.category());
  *w.mutable_folded_keys() = engine.folded_keys();
  if (engine.has_deadline()) *w.mutable_deadline() = engine.deadline();
  if (!engine.customer_id().empty()) w.set_customer_id(engine.customer_id());
  for (const v1::TimerRecord& r : engine.timer_history()) {
    if (!Acted(w, r.kind(), ingest::ToTime(r.due()))) AddHistory(&w, r);
  }
  w.mutable_lifecycle()->set_urges(engine.lifecycle().urges());
  const v1::Grade grade = std::max(engine.grade(), entry->grade_floor());
  if (grade != old_grade) {
    w.set_grade(grade);
    lifecycle::OnRegraded(*policy_, now, old_grade, &w);
  }
}

absl::Status Ledger::Tag(v1::Warning* w, absl::Time now, state::StateStore::Batch& batch) {
  const std::string customer = CustomerOf(*w);
  if (customer.empty()) return absl::OkStatus();
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         store_->GetRecord(&batch, kCustomers, customer));
  internal::CustomerTags tags;
  if (bytes && !tags.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("customer tags ", customer, ": unreadable"));
  }
  std::set<int> lasting(tags.tags().begin(), tags.tags().end());
  for (int t : w->customer_tags()) {
    if (t != v1::TAG_WARNED && t != v1::TAG_UNDER_FOLLOW_UP && t != v1::TAG_REPEAT_CALLER) {
      lasting.insert(t);
    }
  }
  tags.clear_tags();
  for (int t : lasting) tags.add_tags(static_cast<v1::CustomerTag>(t));
  tags.set_warned_until_ms(std::max(tags.warned_until_ms(), Ms(now + kWarnedFor)));
  if (absl::StartsWith(w->rule_id(), "R08")) {
    tags.set_repeat_caller_until_ms(std::max(tags.repeat_caller_until_ms(), Ms(now + kWarnedFor)));
  }
  if (w->state() == v1::CLOSED && w->lifecycle().has_lookback_until()) {
    tags.set_follow_up_until_ms(
        std::max(tags.follow_up_until_ms(), Ms(ingest::ToTime(w->lifecycle().lookback_until()))));
  }
  batch.PutRecord(kCustomers, customer, tags.SerializeAsString());
  std::set<int> all = lasting;
  if (tags.warned_until_ms() > Ms(now)) all.insert(v1::TAG_WARNED);
  if (tags.follow_up_until_ms() > Ms(now)) all.insert(v1::TAG_UNDER_FOLLOW_UP);
  if (tags.repeat_caller_until_ms() > Ms(now)) all.insert(v1::TAG_REPEAT_CALLER);
  w->clear_customer_tags();
  for (int t : all) w->add_customer_tags(static_cast<v1::CustomerTag>(t));
  if (w->customer_id().empty()) w->set_customer_id(customer);
  return absl::OkStatus();
}

std::vector<lifecycle::PlannedTimer> Ledger::Planned(const v1::Warning& w) const {
  std::vector<lifecycle::PlannedTimer> planned = lifecycle::LifecycleTimers(*policy_, w);
  if (w.lifecycle().condition_cleared()) {
    // Cleared before anyone acknowledged it: it still needs feedback and
    // closing, but it no longer escalates or asks for acknowledgement.
    std::erase_if(planned, [](const lifecycle::PlannedTimer& t) {
      return t.kind == v1::TimerRecord::ACK_COUNTDOWN || t.kind == v1::TimerRecord::ACK_OVERDUE;
    });
  }
  return planned;
}

absl::Status Ledger::Reschedule(internal::LedgerEntry& entry, state::StateStore::Batch& batch) {
  const v1::Warning& w = entry.warning();
  // What should be pending now vs what is: only the difference is written.
  std::vector<std::pair<int, int64_t>> want;
  for (const lifecycle::PlannedTimer& t : Planned(w)) {
    if (!Acted(w, t.kind, t.due)) want.emplace_back(static_cast<int>(t.kind), Ms(t.due));
  }
  std::vector<std::pair<int, int64_t>> have;
  for (const v1::TimerRecord& r : entry.scheduled()) {
    have.emplace_back(static_cast<int>(r.kind()), Ms(ingest::ToTime(r.due())));
  }
  std::sort(want.begin(), want.end());
  std::sort(have.begin(), have.end());
  if (want == have) return absl::OkStatus();
  for (const auto& [kind, due_ms] : have) {
    if (!std::binary_search(want.begin(), want.end(), std::make_pair(kind, due_ms))) {
      VIGIL_RETURN_IF_ERROR(
          timers_->Cancel(batch, TimerId(w.warning_id(), static_cast<v1::TimerRecord::Kind>(kind),
                                         absl::FromUnixMillis(due_ms))));
    }
  }
  for (const auto& [kind, due_ms] : want) {
    if (std::binary_search(have.begin(), have.end(), std::make_pair(kind, due_ms))) continue;
    internal::TimerPayload payload;
    payload.set_target(internal::TimerPayload::LIFECYCLE);
    payload.set_subject(w.warning_id());
    payload.set_kind(static_cast<v1::TimerRecord::Kind>(kind));
    VIGIL_RETURN_IF_ERROR(
        timers_->Schedule(batch,
                          TimerId(w.warning_id(), static_cast<v1::TimerRecord::Kind>(kind),
                                  absl::FromUnixMillis(due_ms)),
                          absl::FromUnixMillis(due_ms), payload.SerializeAsString()));
  }
  entry.clear_scheduled();
  for (const auto& [kind, due_ms] : want) {
    v1::TimerRecord* r = entry.add_scheduled();
    r->set_kind(static_cast<v1::TimerRecord::Kind>(kind));
    *r->mutable_due() = ingest::ToTimestamp(absl::FromUnixMillis(due_ms));
  }
  return absl::OkStatus();
}

absl::Status Ledger::OnEngineEvent(const v1::WarningEvent& event, absl::Time now,
                                   state::StateStore::Batch& batch,
                                   std::vector<v1::WarningEvent>* out) {
  const v1::Warning& engine = event.warning();
  const std::string rule_key = absl::StrCat(engine.rule_id(), "|", engine.key());
  // The ledger id of this engine warning: itself, or the warning it was merged into.
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> alias,
                         store_->GetRecord(&batch, kAliases, engine.warning_id()));
  std::string id = alias ? *alias : engine.warning_id();
  VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> entry, Load(&batch, id));
  v1::WarningEvent::Type type = event.type();

  if (!entry) {
    if (event.type() == v1::WarningEvent::RESOLVED) return absl::OkStatus();  // never seen
    // A new episode of a (rule, key): merge into the open warning of that key,
    // reopen a closed one in look-back, or start a new warning.
    VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> newest,
                           store_->GetRecord(&batch, kRuleKeys, rule_key));
    if (newest) {
      VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> prev, Load(&batch, *newest));
      if (prev) {
        VIGIL_RETURN_IF_ERROR(CatchUp(*prev, now, batch, out));
        VIGIL_RETURN_IF_ERROR(Reschedule(*prev, batch));
        VIGIL_RETURN_IF_ERROR(Save(*prev, batch));
      }
      if (prev && prev->warning().state() != v1::CLOSED) {
        entry = std::move(prev);
        entry->mutable_warning()->mutable_lifecycle()->set_condition_cleared(false);
        type = v1::WarningEvent::UPDATED;
      } else if (prev && lifecycle::ReopenOnRecurrence(*policy_, now, engine.grade(),
                                                       prev->mutable_warning())) {
        entry = std::move(prev);
        entry->set_grade_floor(entry->warning().grade());
        entry->set_window_start_ms(Ms(now));
        type = v1::WarningEvent::REOPENED;
      }
      if (entry) {
        id = entry->warning().warning_id();
        batch.PutRecord(kAliases, engine.warning_id(), id);
      }
    }
  }
  if (!entry) {
    internal::LedgerEntry fresh;
    v1::Warning& w = *fresh.mutable_warning();
    w = engine;
    w.set_version(0);
    w.clear_lifecycle();
    w.mutable_lifecycle()->set_urges(engine.lifecycle().urges());
    *w.mutable_raised_at() = ingest::ToTimestamp(now);
    *w.mutable_updated_at() = ingest::ToTimestamp(now);
    lifecycle::OnRaised(*policy_, now, &w);
    fresh.set_rule_key(rule_key);
    fresh.set_window_start_ms(Ms(now));
    batch.PutRecord(kRegions, absl::StrCat(w.region_key(), "|", w.warning_id()), "");
    batch.PutRecord(kRuleKeys, rule_key, w.warning_id());
    entry = std::move(fresh);
    type = v1::WarningEvent::RAISED;
  } else {
    VIGIL_RETURN_IF_ERROR(CatchUp(*entry, now, batch, out));
    Merge(engine, now, &*entry);
    if (event.type() == v1::WarningEvent::RESOLVED) {
      lifecycle::OnConditionCleared(entry->mutable_warning());
      if (type != v1::WarningEvent::RESOLVED) type = v1::WarningEvent::RESOLVED;
    }
  }
  v1::Warning& w = *entry->mutable_warning();
  w.set_version(w.version() + 1);
  VIGIL_RETURN_IF_ERROR(Tag(&w, now, batch));
  VIGIL_RETURN_IF_ERROR(Reschedule(*entry, batch));
  VIGIL_RETURN_IF_ERROR(Save(*entry, batch));
  v1::WarningEvent published;
  published.set_type(type);
  *published.mutable_warning() = w;
  if (event.has_timer()) *published.mutable_timer() = event.timer();
  Publish(std::move(published), batch, out);
  return absl::OkStatus();
}

absl::Status Ledger::OnCommand(const v1::WarningCommand& command, absl::Time now,
                               state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out,
                               v1::CommandResult* result) {
  if (!command.command_id().empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> seen,
                           store_->GetRecord(&batch, kCommands, command.command_id()));
    if (seen && result->ParseFromString(*seen)) return absl::OkStatus();
  }
  VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> entry,
                         Load(&batch, command.warning_id()));
  lifecycle::CommandDecision d =
      lifecycle::ApplyCommand(*policy_, entry ? &entry->warning() : nullptr, command, now);
  *result = d.result;
  if (!command.command_id().empty()) {
    batch.PutRecord(kCommands, command.command_id(), result->SerializeAsString());
  }
  if (!d.changed || !entry) return absl::OkStatus();
  const v1::Grade floor = std::max(entry->grade_floor(), d.after.grade());
  if (d.event_type == v1::WarningEvent::ESCALATED || d.event_type == v1::WarningEvent::REOPENED) {
    entry->set_grade_floor(floor);
  }
  if (d.event_type == v1::WarningEvent::REOPENED) entry->set_window_start_ms(Ms(now));
  *entry->mutable_warning() = std::move(d.after);
  VIGIL_RETURN_IF_ERROR(Tag(entry->mutable_warning(), now, batch));
  VIGIL_RETURN_IF_ERROR(Reschedule(*entry, batch));
  VIGIL_RETURN_IF_ERROR(Save(*entry, batch));
  v1::WarningEvent published;
  published.set_type(d.event_type);
  *published.mutable_warning() = entry->warning();
  published.set_command_id(command.command_id());
  published.set_actor(command.actor());
  Publish(std::move(published), batch, out);
  return absl::OkStatus();
}

absl::Status Ledger::Act(internal::LedgerEntry& entry, v1::TimerRecord::Kind kind, absl::Time due,
                         state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out) {
  v1::Warning& w = *entry.mutable_warning();
  v1::TimerRecord record;
  record.set_kind(kind);
  *record.mutable_due() = ingest::ToTimestamp(due);
  AddHistory(&w, record);
  v1::WarningEvent::Type type = v1::WarningEvent::COUNTDOWN;
  switch (kind) {
    case v1::TimerRecord::ACK_OVERDUE:
      lifecycle::OnAckOverdue(*policy_, due, &w);
      if (w.grade() == v1::GRADE_I && w.owner_level() == "province" &&
          w.lifecycle().escalations() >= kTopEscalations) {
        // Already at the top: re-notified enough; it waits for someone to act
        // (no alarm every few minutes for days).
        w.mutable_lifecycle()->clear_ack_deadline();
      }
      entry.set_grade_floor(std::max(entry.grade_floor(), w.grade()));
      entry.set_window_start_ms(Ms(due));
      type = v1::WarningEvent::ESCALATED;
      break;
    case v1::TimerRecord::FEEDBACK_OVERDUE:
      type = v1::WarningEvent::OVERDUE;
      break;
    case v1::TimerRecord::LOOKBACK_END:
      return absl::OkStatus();  // nothing to tell anyone; the key no longer reopens it
    default:
      break;
  }
  w.set_version(w.version() + 1);
  *w.mutable_updated_at() = ingest::ToTimestamp(due);
  v1::WarningEvent published;
  published.set_type(type);
  *published.mutable_warning() = w;
  *published.mutable_timer() = record;
  Publish(std::move(published), batch, out);
  return absl::OkStatus();
}

absl::Status Ledger::CatchUp(internal::LedgerEntry& entry, absl::Time now,
                             state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out) {
  // Lifecycle timers of this warning due before `now` act first, in due
  // order, whatever the watermark: the warning's history then depends only on
  // its own inputs, not on how other partitions' progress batched them.
  for (int guard = 0; guard < 64; ++guard) {
    std::optional<lifecycle::PlannedTimer> next;
    for (const lifecycle::PlannedTimer& t : Planned(entry.warning())) {
      if (t.due >= now || Acted(entry.warning(), t.kind, t.due)) continue;
      if (!next || t.due < next->due) next = t;
    }
    if (!next) break;
    VIGIL_RETURN_IF_ERROR(Act(entry, next->kind, next->due, batch, out));
  }
  return absl::OkStatus();
}

absl::Status Ledger::Fire(const internal::TimerPayload& payload, absl::Time due,
                          state::StateStore::Batch& batch, std::vector<v1::WarningEvent>* out) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> entry,
                         Load(&batch, payload.subject()));
  if (!entry) return absl::OkStatus();
  // Only a timer the warning's current state still plans acts (a state change
  // since it was scheduled makes it stale), and only once.
  VIGIL_RETURN_IF_ERROR(CatchUp(*entry, due, batch, out));
  bool planned = false;
  for (const lifecycle::PlannedTimer& t : Planned(entry->warning())) {
    planned = planned || (t.kind == payload.kind() && Ms(t.due) == Ms(due));
  }
  if (planned && !Acted(entry->warning(), payload.kind(), due)) {
    VIGIL_RETURN_IF_ERROR(Act(*entry, payload.kind(), due, batch, out));
  }
  VIGIL_RETURN_IF_ERROR(Reschedule(*entry, batch));
  return Save(*entry, batch);
}

absl::StatusOr<std::vector<v1::Warning>> Ledger::List(const state::StateStore::Batch* batch,
                                                      const Query& query) {
  std::vector<v1::Warning> found;
  std::vector<std::string> ids;
  // The region index is ordered by region key: a prefix scan finds a region's
  // warnings without reading the others.
  const std::string& prefix = query.region_prefix;
  absl::Status scan =
      store_->ForEachRecord(batch, kRegions, prefix, [&](std::string_view key, std::string_view) {
        const size_t bar = key.rfind('|');
        if (bar == std::string_view::npos) return true;
        const std::string_view region = key.substr(0, bar);
        // Whole segments only: "410100" covers "410100/…" but not "4101001/…".
        if (!prefix.empty() && region.size() > prefix.size() && region[prefix.size()] != '/') {
          return true;
        }
        ids.emplace_back(key.substr(bar + 1));
        return true;
      });
  VIGIL_RETURN_IF_ERROR(scan);
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    if (!query.after_warning_id.empty() && id <= query.after_warning_id) continue;
    VIGIL_ASSIGN_OR_RETURN(std::optional<internal::LedgerEntry> entry, Load(batch, id));
    if (!entry) continue;
    const v1::Warning& w = entry->warning();
    if (query.state && w.state() != *query.state) continue;
    if (w.grade() < query.min_grade) continue;
    if (!query.rule_ids.empty() && std::find(query.rule_ids.begin(), query.rule_ids.end(),
                                             w.rule_id()) == query.rule_ids.end()) {
      continue;
    }
    const absl::Time updated = ingest::ToTime(w.updated_at());
    if (updated < query.updated_from || updated >= query.updated_to) continue;
    found.push_back(w);
    if (found.size() >= query.limit) break;
  }
  return found;
}

absl::Status Ledger::ForEach(const state::StateStore::Batch* batch,
                             const std::function<void(const v1::Warning&)>& fn) {
  absl::Status parse_error;
  internal::LedgerEntry entry;
  VIGIL_RETURN_IF_ERROR(store_->ForEachRecord(
      batch, kWarnings, "", [&](std::string_view key, std::string_view value) {
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error =
              absl::DataLossError(absl::StrCat("ledger entry ", std::string(key), ": unreadable"));
          return false;
        }
        fn(entry.warning());
        return true;
      }));
  return parse_error;
}

absl::StatusOr<std::vector<v1::WarningEvent>> Ledger::Events(const state::StateStore::Batch* batch,
                                                             uint64_t after_seq, size_t limit) {
  std::vector<v1::WarningEvent> events;
  absl::Status parse_error;
  absl::Status scan = store_->ForEachRecord(
      batch, kLog, "",
      [&](std::string_view key, std::string_view value) {
        if (SeqOf(key) <= after_seq) return true;
        v1::WarningEvent& e = events.emplace_back();
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parse_error = absl::DataLossError("ledger log: unreadable event");
          return false;
        }
        return events.size() < limit;
      },
      SeqKey(after_seq + 1));  // a seek, not a scan from the first event
  VIGIL_RETURN_IF_ERROR(scan);
  VIGIL_RETURN_IF_ERROR(parse_error);
  return events;
}

}  // namespace vigil::ledger

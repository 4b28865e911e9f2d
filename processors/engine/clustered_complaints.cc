#include "processors/engine/clustered_complaints.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/ingest/region.h"
#include "processors/warnings/warning_id.h"

namespace vigil::engine {
namespace {

constexpr int kMaxEvidence = 100;

int64_t ToMs(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1000000;
}

google::protobuf::Timestamp FromMs(int64_t ms) {
  google::protobuf::Timestamp ts;
  int64_t s = ms / 1000;
  int64_t rem = ms % 1000;
  if (rem < 0) {
    rem += 1000;
    --s;
  }
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int32_t>(rem * 1000000));
  return ts;
}

template <typename Field>
void AppendCapped(Field* field, const std::string& value) {
  field->Add()->assign(value);
  if (field->size() > kMaxEvidence) field->erase(field->begin());
}

}  // namespace

ClusteredComplaints::KeyState::KeyState(const ClusterRuleConfig& c)
    : window(absl::ToInt64Milliseconds(c.window), absl::ToInt64Milliseconds(c.allowed_lateness)) {}

ClusteredComplaints::ClusteredComplaints(ClusterRuleConfig config)
    : config_(std::move(config)), window_ms_(absl::ToInt64Milliseconds(config_.window)) {}

ClusteredComplaints::KeyState& ClusteredComplaints::StateFor(const std::string& key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.emplace(key, KeyState(config_)).first;
  return it->second;
}

v1::Grade ClusteredComplaints::GradeFor(uint32_t count) const {
  const int n = static_cast<int>(count);
  if (n >= config_.grade_i_at) return v1::GRADE_I;
  if (n >= config_.grade_ii_at) return v1::GRADE_II;
  if (n >= config_.grade_iii_at) return v1::GRADE_III;
  return v1::GRADE_IV;
}

void ClusteredComplaints::Apply(const v1::Envelope& event, RuleOutput* out) {
  if (!event.has_ticket()) return;
  const v1::Ticket& ticket = event.ticket();
  if (ticket.kind() != v1::Ticket::COMPLAINT || ticket.status() != v1::Ticket::ACCEPTED) return;

  const std::string key = absl::StrCat(ingest::RegionKey(event.region()), "|",
                                       v1::Ticket::Category_Name(ticket.category()));
  KeyState& st = StateFor(key);
  const int64_t t = ToMs(event.event_time());
  switch (st.window.Add(t, event.event_id(), ticket.ticket_id())) {
    case SlidingWindow::AddResult::kDuplicate:
      return;
    case SlidingWindow::AddResult::kLate:
      out->rejection = ingest::Rejection{
          ingest::RejectReason::kLate,
          absl::StrCat("event_time is ", (st.window.max_time_ms() - t) / 1000,
                       "s behind the newest event of key ", key, "; allowed lateness ",
                       absl::FormatDuration(config_.allowed_lateness))};
      return;
    case SlidingWindow::AddResult::kAdded:
      break;
  }
  dirty_.insert(key);

  if (st.active) {
    const int64_t first = ToMs(st.active->evidence().window_start());
    const int64_t last = ToMs(st.active->evidence().window_end());
    if (t > first - window_ms_ && t < last + window_ms_) {
      Update(event, st, out);
      return;
    }
    st.active.reset();  // the episode lapsed: a quiet gap of W
  }
  if (st.window.MaxCountContaining(t) >= config_.min_complaints) Raise(key, event, st, out);
}

void ClusteredComplaints::Raise(const std::string& key, const v1::Envelope& event, KeyState& st,
                                RuleOutput* out) {
  const std::vector<SlidingWindow::Entry> cluster =
      st.window.DensestWindowContaining(ToMs(event.event_time()));
  v1::Warning w;
  w.set_warning_id(warnings::WarningId(config_.rule_id, key, cluster.front().time_ms,
                                       cluster.front().subject_id));
  w.set_version(1);
  w.set_rule_id(config_.rule_id);
  w.set_rule_version(config_.rule_version);
  w.set_key(key);
  *w.mutable_region() = event.region();
  w.mutable_region()->clear_feeder_id();
  w.set_region_key(ingest::RegionKey(event.region()));
  w.set_state(v1::OPEN);
  w.set_category(event.ticket().category());
  v1::Evidence* ev = w.mutable_evidence();
  for (const auto& e : cluster) {
    AppendCapped(ev->mutable_event_ids(), e.event_id);
    AppendCapped(ev->mutable_subject_ids(), e.subject_id);
  }
  ev->set_count(static_cast<uint32_t>(cluster.size()));
  *ev->mutable_window_start() = FromMs(cluster.front().time_ms);
  *ev->mutable_window_end() = FromMs(cluster.back().time_ms);
  w.set_grade(GradeFor(ev->count()));
  *w.mutable_raised_at() = event.event_time();
  *w.mutable_updated_at() = event.event_time();
  Describe(w);
  st.active = w;

  v1::WarningEvent& we = out->events.emplace_back();
  we.set_event_id(absl::StrCat(w.warning_id(), ":", w.version()));
  we.set_type(v1::WarningEvent::RAISED);
  *we.mutable_warning() = std::move(w);
}

void ClusteredComplaints::Update(const v1::Envelope& event, KeyState& st, RuleOutput* out) {
  v1::Warning& w = *st.active;
  const int64_t t = ToMs(event.event_time());
  v1::Evidence* ev = w.mutable_evidence();
  AppendCapped(ev->mutable_event_ids(), event.event_id());
  AppendCapped(ev->mutable_subject_ids(), event.ticket().ticket_id());
  ev->set_count(ev->count() + 1);
  if (t < ToMs(ev->window_start())) *ev->mutable_window_start() = event.event_time();
  if (t > ToMs(ev->window_end())) *ev->mutable_window_end() = event.event_time();
  w.set_version(w.version() + 1);
  w.set_grade(std::max(w.grade(), GradeFor(ev->count())));
  if (t > ToMs(w.updated_at())) *w.mutable_updated_at() = event.event_time();
  Describe(w);

  v1::WarningEvent& we = out->events.emplace_back();
  we.set_event_id(absl::StrCat(w.warning_id(), ":", w.version()));
  we.set_type(v1::WarningEvent::UPDATED);
  *we.mutable_warning() = w;
}

void ClusteredComplaints::Describe(v1::Warning& w) const {
  const v1::Evidence& ev = w.evidence();
  const std::string category = v1::Ticket::Category_Name(w.category());
  w.set_title(absl::StrCat("Clustered complaints: ", ev.count(), " ", category,
                           " complaints in area ", w.region().area_id()));
  const absl::TimeZone utc = absl::UTCTimeZone();
  w.set_message(absl::StrCat(
      ev.count(), " ", category, " complaints in transformer area ", w.region().area_id(),
      " between ",
      absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(ev.window_start().seconds()), utc),
      " and ",
      absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(ev.window_end().seconds()), utc),
      " UTC (rule ", w.rule_id(), ": >= ", config_.min_complaints, " within ",
      absl::FormatDuration(config_.window), "); tickets ", absl::StrJoin(ev.subject_ids(), ", ")));
}

std::vector<std::pair<std::string, std::optional<internal::ClusterState>>>
ClusteredComplaints::TakeDirty() {
  std::vector<std::pair<std::string, std::optional<internal::ClusterState>>> out;
  out.reserve(dirty_.size());
  for (const std::string& key : dirty_) {
    auto it = keys_.find(key);
    if (it == keys_.end()) {
      out.emplace_back(key, std::nullopt);
      continue;
    }
    internal::ClusterState s;
    for (const auto& e : it->second.window.entries()) {
      internal::WindowEntry* we = s.add_entries();
      we->set_event_time_ms(e.time_ms);
      we->set_event_id(e.event_id);
      we->set_subject_id(e.subject_id);
    }
    s.set_max_event_time_ms(it->second.window.max_time_ms());
    if (it->second.active) {
      *s.mutable_active() = *it->second.active;
    }
    out.emplace_back(key, std::move(s));
  }
  dirty_.clear();
  return out;
}

void ClusteredComplaints::Restore(const std::string& key, const internal::ClusterState& state) {
  KeyState& st = StateFor(key);
  std::vector<SlidingWindow::Entry> entries;
  entries.reserve(state.entries_size());
  for (const auto& e : state.entries()) {
    entries.push_back({e.event_time_ms(), e.event_id(), e.subject_id()});
  }
  st.window.Restore(std::move(entries), state.max_event_time_ms());
  if (state.has_active()) st.active = state.active();
}

}  // namespace vigil::engine

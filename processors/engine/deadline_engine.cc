#include "processors/engine/deadline_engine.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fmt/args.h"
#include "fmt/format.h"
#include "processors/common/status.h"
#include "processors/deadlines/clock_math.h"
#include "processors/ingest/region.h"
#include "processors/ingest/validator.h"
#include "processors/warnings/warning_format.h"
#include "processors/warnings/warning_id.h"

namespace vigil::engine {
namespace {

constexpr int kMaxEvidence = 100;
constexpr int kMaxTimerHistory = 50;
constexpr char kTimerPrefix[] = "clock|";

int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }
absl::Time FromMs(int64_t ms) { return absl::FromUnixMillis(ms); }

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Span(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = -d;
  const int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes < 60) return absl::StrCat(minutes, " min");
  if (minutes < 48 * 60) {
    return minutes % 60 == 0 ? absl::StrCat(minutes / 60, " h")
                             : absl::StrCat(minutes / 60, " h ", minutes % 60, " min");
  }
  return absl::StrCat(minutes / (24 * 60), " d ", (minutes / 60) % 24, " h");
}

v1::Grade MaxGrade(v1::Grade a, v1::Grade b) { return a > b ? a : b; }

}  // namespace

std::string ClockKey(std::string_view rule_id, std::string_view subject_id) {
  std::string key;
  key.reserve(rule_id.size() + 1 + subject_id.size());
  key.append(rule_id).append("|").append(subject_id);
  return key;
}

DeadlineEngine::DeadlineEngine(std::shared_ptr<const DeadlineSet> set,
                               const reference::ReferenceStore* ref, state::StateStore* store,
                               timers::TimerStore* timers)
    : set_(std::move(set)), ref_(ref), store_(store), timers_(timers) {}

void DeadlineEngine::Reload(std::shared_ptr<const DeadlineSet> set) { set_ = std::move(set); }

absl::StatusOr<std::vector<v1::Warning>> DeadlineEngine::ActiveWarnings(
    const state::StateStore::Batch* batch) {
  std::vector<v1::Warning> active;
  internal::ClockState clock;
  VIGIL_RETURN_IF_ERROR(store_->ForEachRecord(
      batch, kClockNamespace, "", [&](std::string_view, std::string_view value) {
        if (clock.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            clock.has_active()) {
          active.push_back(clock.active());
        }
        return true;
      }));
  std::sort(active.begin(), active.end(), [](const v1::Warning& a, const v1::Warning& b) {
    return a.warning_id() < b.warning_id();
  });
  return active;
}

const deadlines::DeadlineRule* DeadlineEngine::FindRule(std::string_view id) const {
  for (const deadlines::DeadlineRule& r : set_->rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<DeadlineEngine::Step> DeadlineEngine::StepsOf(
    const deadlines::DeadlineRule& rule) const {
  std::vector<Step> steps;
  if (rule.mode != deadlines::DeadlineRule::Mode::kCountdown) return steps;
  for (const deadlines::Step& s : rule.countdown) {
    steps.push_back({v1::TimerRecord::COUNTDOWN, &s, s.grade});
  }
  if (rule.overdue_grade != v1::GRADE_UNSPECIFIED) {
    steps.push_back({v1::TimerRecord::OVERDUE, nullptr, rule.overdue_grade});
  }
  for (const deadlines::Step& s : rule.escalations) {
    steps.push_back({v1::TimerRecord::OVERDUE_ESCALATION, &s, s.grade});
  }
  return steps;
}

absl::Time DeadlineEngine::StepDue(const deadlines::DeadlineRule& rule, const Step& step,
                                   const internal::ClockState& clock) const {
  (void)rule;
  const absl::Time start = FromMs(clock.start_ms());
  const absl::Time deadline = FromMs(clock.deadline_ms());
  if (step.spec == nullptr) return deadline;
  const absl::Time due = deadlines::PointOf(step.spec->at, start, deadline, set_->calendar);
  // A countdown point already past when the clock started (a planned outage
  // noticed late) acts at the start.
  return std::max(due, start);
}

uint32_t DeadlineEngine::TagBits(const v1::Ticket& ticket) const {
  uint32_t bits = 0;
  for (int tag : ticket.tags()) bits |= 1u << (tag & 31);
  if (ref_ != nullptr && !ticket.customer_id().empty()) {
    std::vector<v1::Ticket::Tag> tags;
    ref_->TagsOf(ticket.customer_id(), &tags);
    for (v1::Ticket::Tag tag : tags) bits |= 1u << (static_cast<int>(tag) & 31);
  }
  return bits;
}

bool DeadlineEngine::Start(const deadlines::DeadlineRule& rule, const v1::Envelope& event,
                           absl::Time at, internal::ClockState* clock) const {
  const v1::Region& region = event.region();
  // An area of unknown class gets the table's any-class row.
  v1::AreaClass cls = v1::AREA_CLASS_UNSPECIFIED;
  if (ref_ != nullptr && !region.area_id().empty()) {
    if (const v1::AreaInfo* area = ref_->Area(region.area_id());
        area != nullptr && area->area_class() != v1::AREA_CLASS_UNSPECIFIED) {
      cls = area->area_class();
    }
  }
  absl::Time deadline;
  if (rule.mode == deadlines::DeadlineRule::Mode::kUrges) {
    // No clock of its own: urges count while the ticket is open; "overdue"
    // is the ticket's own deadline (Ticket.deadline) when it has one.
    deadline = event.has_ticket() && event.ticket().has_deadline()
                   ? absl::FromUnixSeconds(event.ticket().deadline().seconds())
                   : at;
  } else if (rule.anchor == deadlines::DeadlineRule::Anchor::kOutageStart) {
    if (!event.has_outage() || !event.outage().has_start_time()) return false;
    deadline = absl::FromUnixSeconds(event.outage().start_time().seconds());
  } else {
    deadlines::Limit limit;
    if (rule.fixed_limit) {
      limit = *rule.fixed_limit;
    } else {
      const std::string_view subtype =
          event.has_ticket() ? std::string_view(event.ticket().subtype()) : std::string_view();
      const deadlines::TimeLimitRow* row = set_->table.Find(rule.clock, cls, subtype);
      if (row == nullptr) return false;
      limit = row->limit;
    }
    deadline = deadlines::DeadlineOf(at, limit, rule.scale, set_->calendar);
  }
  clock->set_rule_id(rule.id);
  clock->set_subject_id(event.has_ticket() ? event.ticket().ticket_id()
                                           : event.outage().outage_id());
  *clock->mutable_region() = region;
  if (event.has_ticket()) clock->set_customer_id(event.ticket().customer_id());
  clock->set_start_ms(Ms(at));
  clock->set_deadline_ms(Ms(deadline));
  clock->set_next_step(0);
  return true;
}

void DeadlineEngine::AddEvidence(const v1::Envelope& event, internal::ClockState* clock) const {
  if (clock->event_ids_size() >= kMaxEvidence)
    clock->mutable_event_ids()->erase(clock->mutable_event_ids()->begin());
  clock->add_event_ids(event.event_id());
  clock->set_last_event_ms(
      std::max(clock->last_event_ms(), Ms(ingest::ToTime(event.event_time()))));
}

void DeadlineEngine::RenderMessage(const deadlines::DeadlineRule& rule,
                                   const internal::ClockState& clock, absl::Time at,
                                   v1::Warning* w) const {
  const absl::Time deadline = FromMs(clock.deadline_ms());
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  args.push_back(fmt::arg("rule", rule.id));
  args.push_back(fmt::arg("subject", clock.subject_id()));
  args.push_back(fmt::arg("key", clock.subject_id()));
  args.push_back(
      fmt::arg("deadline", absl::FormatTime("%Y-%m-%d %H:%M", deadline, set_->calendar.zone())));
  args.push_back(fmt::arg("remaining", at < deadline ? Span(deadline - at) : std::string("0 min")));
  args.push_back(
      fmt::arg("overdue_by", at > deadline ? Span(at - deadline) : std::string("0 min")));
  args.push_back(fmt::arg("grade", std::string(warnings::GradeRoman(w->grade()))));
  args.push_back(fmt::arg("urges", clock.urges()));
  args.push_back(fmt::arg("title", rule.title));
  std::string text;
  try {
    text =
        fmt::vformat(rule.message.empty() ? std::string("{title}: {subject}, deadline {deadline}")
                                          : rule.message,
                     args);
  } catch (const fmt::format_error&) {
    text = rule.message;
  }
  w->set_message(std::move(text));
}

void DeadlineEngine::Notify(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
                            v1::WarningEvent::Type type, v1::TimerRecord::Kind kind, absl::Time at,
                            v1::Grade grade, std::vector<v1::WarningEvent>* out) {
  const bool fresh = !clock.has_active();
  v1::Warning& w = *clock.mutable_active();
  if (fresh) {
    w.set_warning_id(
        warnings::WarningId(rule.id, clock.subject_id(), clock.start_ms(), clock.subject_id()));
    w.set_version(0);
    w.set_rule_id(rule.id);
    w.set_rule_version(rule.version);
    w.set_key(absl::StrCat(
        rule.subject == deadlines::DeadlineRule::Subject::kTicket ? "ticket:" : "outage:",
        clock.subject_id()));
    *w.mutable_region() = clock.region();
    w.set_region_key(ingest::RegionKey(clock.region()));
    w.set_state(v1::OPEN);
    w.set_title(rule.title);
    *w.mutable_raised_at() = ingest::ToTimestamp(at);
    w.set_customer_id(clock.customer_id());
    type = v1::WarningEvent::RAISED;
  }
  w.set_version(w.version() + 1);
  w.set_grade(MaxGrade(w.grade(), grade));
  *w.mutable_deadline() = ingest::ToTimestamp(FromMs(clock.deadline_ms()));
  *w.mutable_updated_at() = ingest::ToTimestamp(at);
  v1::Evidence* ev = w.mutable_evidence();
  *ev->mutable_event_ids() = clock.event_ids();
  ev->clear_subject_ids();
  ev->add_subject_ids(clock.subject_id());
  ev->set_count(static_cast<uint32_t>(std::max(1, clock.event_ids_size())));
  *ev->mutable_window_start() = ingest::ToTimestamp(FromMs(clock.start_ms()));
  *ev->mutable_window_end() =
      ingest::ToTimestamp(FromMs(std::max(clock.last_event_ms(), clock.start_ms())));
  v1::TimerRecord record;
  if (kind != v1::TimerRecord::KIND_UNSPECIFIED) {
    record.set_kind(kind);
    *record.mutable_due() = ingest::ToTimestamp(at);
    if (w.timer_history_size() >= kMaxTimerHistory) {
      w.mutable_timer_history()->erase(w.mutable_timer_history()->begin());
    }
    *w.add_timer_history() = record;
  }
  w.mutable_lifecycle()->set_urges(clock.urges());
  w.clear_customer_tags();
  for (const auto& [tag, customer_tag] :
       {std::pair{v1::Ticket::TENDENCY_12398, v1::TAG_TENDENCY_12398},
        std::pair{v1::Ticket::SENSITIVE, v1::TAG_SENSITIVE},
        std::pair{v1::Ticket::IMPORTANT_CUSTOMER, v1::TAG_IMPORTANT},
        std::pair{v1::Ticket::MEDIA, v1::TAG_MEDIA}}) {
    if (clock.tag_bits() & (1u << static_cast<int>(tag))) w.add_customer_tags(customer_tag);
  }
  RenderMessage(rule, clock, at, &w);
  v1::WarningEvent& e = out->emplace_back();
  e.set_event_id(absl::StrCat(w.warning_id(), ":", w.version()));
  e.set_type(type);
  *e.mutable_warning() = w;
  if (kind != v1::TimerRecord::KIND_UNSPECIFIED) *e.mutable_timer() = record;
}

void DeadlineEngine::Resolve(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
                             absl::Time at, std::string_view why,
                             std::vector<v1::WarningEvent>* out) {
  if (!clock.has_active()) return;
  v1::Warning& w = *clock.mutable_active();
  w.set_version(w.version() + 1);
  *w.mutable_updated_at() = ingest::ToTimestamp(at);
  *w.mutable_evidence()->mutable_event_ids() = clock.event_ids();
  w.mutable_evidence()->set_count(static_cast<uint32_t>(std::max(1, clock.event_ids_size())));
  *w.mutable_evidence()->mutable_window_end() = ingest::ToTimestamp(FromMs(clock.last_event_ms()));
  RenderMessage(rule, clock, at, &w);
  w.set_message(absl::StrCat(w.message(), " — resolved: ", std::string(why)));
  v1::WarningEvent& e = out->emplace_back();
  e.set_event_id(absl::StrCat(w.warning_id(), ":", w.version()));
  e.set_type(v1::WarningEvent::RESOLVED);
  *e.mutable_warning() = w;
}

void DeadlineEngine::CatchUp(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
                             absl::Time until, bool inclusive, std::vector<v1::WarningEvent>* out) {
  if (clock.paused_at_ms() != 0) return;
  const std::vector<Step> steps = StepsOf(rule);
  while (clock.next_step() >= 0 && clock.next_step() < static_cast<int>(steps.size())) {
    const Step& step = steps[clock.next_step()];
    const absl::Time due = StepDue(rule, step, clock);
    if (inclusive ? due > until : due >= until) break;
    clock.set_next_step(clock.next_step() + 1);
    if (step.spec != nullptr && step.spec->coverage_below_permille > 0 &&
        clock.coverage_permille() >= step.spec->coverage_below_permille) {
      continue;  // R14: enough customers were notified by this point
    }
    v1::Grade grade = step.grade;
    if (step.kind != v1::TimerRecord::COUNTDOWN) {
      for (const deadlines::OverdueFloor& floor : rule.overdue_floors) {
        for (v1::Ticket::Tag tag : floor.tags) {
          if (clock.tag_bits() & (1u << (static_cast<int>(tag) & 31))) {
            grade = MaxGrade(grade, floor.grade);
          }
        }
      }
    }
    Notify(rule, clock,
           step.kind == v1::TimerRecord::COUNTDOWN ? v1::WarningEvent::COUNTDOWN
                                                   : v1::WarningEvent::OVERDUE,
           step.kind, due, grade, out);
  }
}

absl::Status DeadlineEngine::Save(const deadlines::DeadlineRule& rule, internal::ClockState& clock,
                                  state::StateStore::Batch& batch) {
  const std::string key = ClockKey(clock.rule_id(), clock.subject_id());
  const std::vector<Step> steps = StepsOf(rule);
  int64_t due_ms = 0;
  if (clock.paused_at_ms() == 0 && clock.next_step() < static_cast<int>(steps.size())) {
    due_ms = Ms(StepDue(rule, steps[clock.next_step()], clock));
  }
  const std::string timer_id = absl::StrCat(kTimerPrefix, key);
  if (due_ms != clock.due_ms()) {
    if (due_ms == 0) {
      VIGIL_RETURN_IF_ERROR(timers_->Cancel(batch, timer_id));
    } else {
      internal::TimerPayload payload;
      payload.set_target(internal::TimerPayload::CLOCK);
      payload.set_subject(key);
      VIGIL_RETURN_IF_ERROR(
          timers_->Schedule(batch, timer_id, FromMs(due_ms), payload.SerializeAsString()));
    }
    clock.set_due_ms(due_ms);
  }
  batch.PutRecord(kClockNamespace, key, clock.SerializeAsString());
  return absl::OkStatus();
}

absl::Status DeadlineEngine::Drop(const internal::ClockState& clock,
                                  state::StateStore::Batch& batch) {
  const std::string key = ClockKey(clock.rule_id(), clock.subject_id());
  if (clock.due_ms() != 0) {
    VIGIL_RETURN_IF_ERROR(timers_->Cancel(batch, absl::StrCat(kTimerPrefix, key)));
  }
  batch.DeleteRecord(kClockNamespace, key);
  return absl::OkStatus();
}

absl::Status DeadlineEngine::Apply(const v1::Envelope& event, state::StateStore::Batch& batch,
                                   std::vector<v1::WarningEvent>* out) {
  if (event.has_ticket()) return ApplyTicket(event, batch, out);
  if (event.has_outage()) return ApplyOutage(event, batch, out);
  return absl::OkStatus();
}

absl::Status DeadlineEngine::ApplyTicket(const v1::Envelope& event, state::StateStore::Batch& batch,
                                         std::vector<v1::WarningEvent>* out) {
  const v1::Ticket& ticket = event.ticket();
  const absl::Time t = ingest::ToTime(event.event_time());
  const v1::Ticket::Status status = ticket.status();
  for (const deadlines::DeadlineRule& rule : set_->rules) {
    if (rule.subject != deadlines::DeadlineRule::Subject::kTicket) continue;
    if (rule.mode == deadlines::DeadlineRule::Mode::kUrges && ticket.kind() == v1::Ticket::URGE) {
      VIGIL_RETURN_IF_ERROR(ApplyUrge(rule, event, batch, out));
      continue;
    }
    if (!rule.kinds.empty() && !Contains(rule.kinds, ticket.kind())) continue;
    if (!rule.subtypes.empty() && !Contains(rule.subtypes, ticket.subtype())) continue;
    const std::string key = ClockKey(rule.id, ticket.ticket_id());
    VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                           store_->GetRecord(&batch, kClockNamespace, key));
    internal::ClockState clock;
    if (bytes) {
      if (!clock.ParseFromString(*bytes)) {
        return absl::DataLossError(absl::StrCat("clock ", key, ": unreadable record"));
      }
      CatchUp(rule, clock, t, /*inclusive=*/false, out);
      AddEvidence(event, &clock);
      clock.set_tag_bits(clock.tag_bits() | TagBits(ticket));
      if (ticket.has_deadline()) clock.set_source_deadline_ms(ticket.deadline().seconds() * 1000);
      if (Contains(rule.stops_on, status)) {
        Resolve(rule, clock, t, v1::Ticket::Status_Name(status), out);
        VIGIL_RETURN_IF_ERROR(Drop(clock, batch));
        continue;
      }
      if (status == v1::Ticket::SUSPENDED && clock.paused_at_ms() == 0) {
        clock.set_paused_at_ms(Ms(t));
      } else if (status == v1::Ticket::RESUMED && clock.paused_at_ms() != 0) {
        const int64_t shift = std::max<int64_t>(0, Ms(t) - clock.paused_at_ms());
        clock.set_start_ms(clock.start_ms() + shift);
        clock.set_deadline_ms(clock.deadline_ms() + shift);
        clock.set_paused_at_ms(0);
      }
      VIGIL_RETURN_IF_ERROR(Save(rule, clock, batch));
      continue;
    }
    const std::vector<v1::Ticket::Status>& starts =
        rule.starts_on.empty() ? std::vector<v1::Ticket::Status>{v1::Ticket::ACCEPTED}
                               : rule.starts_on;
    if (!Contains(starts, status)) continue;
    const uint32_t bits = TagBits(ticket);
    if (!rule.require_tags.empty()) {
      bool tagged = false;
      for (v1::Ticket::Tag tag : rule.require_tags) {
        tagged = tagged || (bits & (1u << (static_cast<int>(tag) & 31)));
      }
      if (!tagged) continue;
    }
    if (!Start(rule, event, t, &clock)) continue;
    clock.set_tag_bits(bits);
    if (ticket.has_deadline()) clock.set_source_deadline_ms(ticket.deadline().seconds() * 1000);
    AddEvidence(event, &clock);
    VIGIL_RETURN_IF_ERROR(Save(rule, clock, batch));
  }
  return absl::OkStatus();
}

absl::Status DeadlineEngine::ApplyUrge(const deadlines::DeadlineRule& rule,
                                       const v1::Envelope& event, state::StateStore::Batch& batch,
                                       std::vector<v1::WarningEvent>* out) {
  const v1::Ticket& urge = event.ticket();
  if (urge.related_ticket_id().empty()) return absl::OkStatus();
  const std::string key = ClockKey(rule.id, urge.related_ticket_id());
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         store_->GetRecord(&batch, kClockNamespace, key));
  if (!bytes) return absl::OkStatus();  // the urged ticket is not open (or not known)
  internal::ClockState clock;
  if (!clock.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("clock ", key, ": unreadable record"));
  }
  const absl::Time t = ingest::ToTime(event.event_time());
  clock.set_urges(clock.urges() + 1);
  AddEvidence(event, &clock);
  v1::Grade grade = v1::GRADE_UNSPECIFIED;
  for (const deadlines::UrgeGrade& g : rule.urge_grades) {
    if (clock.urges() >= g.count) grade = MaxGrade(grade, g.grade);
  }
  if (clock.source_deadline_ms() != 0 && Ms(t) > clock.source_deadline_ms()) {
    grade = MaxGrade(grade, rule.urge_after_overdue_grade);
  }
  if (grade != v1::GRADE_UNSPECIFIED) {
    Notify(rule, clock, v1::WarningEvent::UPDATED, v1::TimerRecord::KIND_UNSPECIFIED, t, grade,
           out);
  }
  return Save(rule, clock, batch);
}

absl::Status DeadlineEngine::ApplyOutage(const v1::Envelope& event, state::StateStore::Batch& batch,
                                         std::vector<v1::WarningEvent>* out) {
  const v1::OutageEvent& outage = event.outage();
  const absl::Time t = ingest::ToTime(event.event_time());
  for (const deadlines::DeadlineRule& rule : set_->rules) {
    if (rule.subject != deadlines::DeadlineRule::Subject::kOutage) continue;
    if (!rule.outage_kinds.empty() && !Contains(rule.outage_kinds, outage.kind())) continue;
    const std::string key = ClockKey(rule.id, outage.outage_id());
    VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                           store_->GetRecord(&batch, kClockNamespace, key));
    internal::ClockState clock;
    const bool exists = bytes.has_value();
    if (exists) {
      if (!clock.ParseFromString(*bytes)) {
        return absl::DataLossError(absl::StrCat("clock ", key, ": unreadable record"));
      }
      CatchUp(rule, clock, t, /*inclusive=*/false, out);
      AddEvidence(event, &clock);
    } else {
      if (!Contains(rule.starts_on_phase, outage.phase())) continue;
      if (!Start(rule, event, t, &clock)) continue;
      AddEvidence(event, &clock);
    }
    clock.set_coverage_permille(
        std::max(clock.coverage_permille(), outage.notice_coverage_permille()));
    const bool covered = rule.stop_at_coverage_permille > 0 &&
                         clock.coverage_permille() >= rule.stop_at_coverage_permille;
    if (exists && (Contains(rule.stops_on_phase, outage.phase()) || covered)) {
      Resolve(rule, clock, t,
              covered ? std::string_view("customers notified")
                      : std::string_view(v1::OutageEvent::Phase_Name(outage.phase())),
              out);
      VIGIL_RETURN_IF_ERROR(Drop(clock, batch));
      continue;
    }
    if (!exists && covered) continue;  // notified at once: nothing to time
    VIGIL_RETURN_IF_ERROR(Save(rule, clock, batch));
  }
  return absl::OkStatus();
}

absl::Status DeadlineEngine::Fire(const internal::TimerPayload& payload, absl::Time due,
                                  state::StateStore::Batch& batch,
                                  std::vector<v1::WarningEvent>* out) {
  VIGIL_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                         store_->GetRecord(&batch, kClockNamespace, payload.subject()));
  if (!bytes) return absl::OkStatus();  // stopped since: nothing to do
  internal::ClockState clock;
  if (!clock.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat("clock ", payload.subject(), ": unreadable record"));
  }
  clock.set_due_ms(0);  // the caller popped the timer
  const deadlines::DeadlineRule* rule = FindRule(clock.rule_id());
  if (rule == nullptr) return Drop(clock, batch);  // rule removed by a reload
  CatchUp(*rule, clock, due, /*inclusive=*/true, out);
  return Save(*rule, clock, batch);
}

}  // namespace vigil::engine

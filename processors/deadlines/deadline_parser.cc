// The deadline-rule language (rules/README.md, "Deadline rules"): YAML →
// validated DeadlineRules. Every problem of every file is reported, each at
// the position of the offending node.

#include "processors/deadlines/deadline_parser.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/deadlines/yaml_reader.h"
#include "processors/warnings/warning_format.h"

namespace vigil::deadlines {
namespace {

using internal::Elem;
using internal::MapView;
using internal::SourcePos;
using internal::Val;
using internal::YamlReader;

constexpr char kPlaceholders[] = "{subject} {deadline} {remaining} {overdue_by} {grade}";

std::string GradeName(v1::Grade g) { return std::string(warnings::GradeRoman(g)); }

bool IsRuleId(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-';
  });
}

bool IsSubtype(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

// A coverage percentage as per-mille: "95%" → 950, "0.1%" → 1.
bool Permille(YamlReader& r, const Val& v, uint32_t* out) {
  double p = 0;
  if (!r.Percent(v, 0, 1, &p)) return false;
  const double permille = p * 1000;
  if (std::abs(permille - std::round(permille)) > 1e-9) {
    r.Error(v, "must be a whole number of per-mille (a multiple of 0.1%)");
    return false;
  }
  *out = static_cast<uint32_t>(std::lround(permille));
  return true;
}

// A limit and where it comes from, for checks of steps against it.
struct KnownLimit {
  Limit limit;
  std::string where;
};

class RuleParser {
 public:
  RuleParser(YamlReader& r, const TimeLimitTable& table) : r_(r), table_(table) {}

  // The rule at `item`; nullopt when it has errors. `id` / `id_pos` are set
  // whenever the id parsed (for the duplicate check).
  std::optional<DeadlineRule> Parse(const Val& item, std::string* id, SourcePos* id_pos);

 private:
  enum class StepList { kCountdown, kEscalations };

  void ParseTickets(const MapView& m, DeadlineRule* rule);
  void ParseOutages(const MapView& m, DeadlineRule* rule);
  void ParseLimit(const MapView& m, DeadlineRule* rule, std::vector<KnownLimit>* limits);
  void ParseSteps(const Val& v, StepList which, const DeadlineRule& rule,
                  const std::vector<KnownLimit>& limits, std::vector<Step>* out);
  void CheckOrder(const Val& v, StepList which, const std::vector<Step>& steps, v1::Grade overdue);
  void ParseFloors(const Val& v, DeadlineRule* rule);
  void ParseUrges(const Val& v, DeadlineRule* rule);
  void CheckMessage(const Val& v);
  // Reports `key` of `m` as not allowed for this rule, when present.
  void Forbid(const MapView& m, std::string_view key, std::string_view why) {
    if (m.Has(key)) r_.KeyError(m, key, why);
  }

  YamlReader& r_;
  const TimeLimitTable& table_;
};

std::optional<DeadlineRule> RuleParser::Parse(const Val& item, std::string* id, SourcePos* id_pos) {
  const std::optional<MapView> m = r_.Map(
      item, {"id",       "version",     "title",          "description", "subject",
             "mode",     "tickets",     "starts_on",      "stops_on",    "outages",
             "clock",    "limit",       "anchor",         "scale",       "countdown",
             "overdue",  "escalations", "overdue_floors", "urges",       "urge_after_overdue",
             "lookback", "message"});
  if (!m) return std::nullopt;
  const size_t errors = r_.error_count();
  DeadlineRule rule;
  rule.file = r_.file();
  rule.line = internal::PosOf(item.mark).line;

  const Val id_val = m->Get("id");
  if (r_.Required(id_val, "the rule id, e.g. R01") && r_.Str(id_val, &rule.id)) {
    if (!IsRuleId(rule.id)) {
      r_.Error(id_val, "must be letters, digits, '_' or '-'");
    } else {
      *id = rule.id;
      *id_pos = internal::PosOf(id_val.mark);
    }
  }
  const Val version = m->Get("version");
  if (r_.Required(version, "the rule version, e.g. \"1\" (it goes into every warning)")) {
    r_.Str(version, &rule.version);
  }
  if (r_.Required(m->Get("title"), "a short title")) r_.Str(m->Get("title"), &rule.title);
  r_.Str(m->Get("description"), &rule.description);

  const Val subject = m->Get("subject");
  if (subject.present) {
    const std::string s = subject.node.IsScalar() ? subject.node.Scalar() : "";
    if (s == "ticket") {
      rule.subject = DeadlineRule::Subject::kTicket;
    } else if (s == "outage") {
      rule.subject = DeadlineRule::Subject::kOutage;
    } else {
      r_.Error(subject, "must be ticket | outage");
      return std::nullopt;  // the other checks depend on it
    }
  }
  const bool ticket = rule.subject == DeadlineRule::Subject::kTicket;
  const std::string subject_name = ticket ? "ticket" : "outage";

  const Val mode = m->Get("mode");
  if (mode.present) {
    const std::string s = mode.node.IsScalar() ? mode.node.Scalar() : "";
    if (s == "countdown") {
      rule.mode = DeadlineRule::Mode::kCountdown;
    } else if (s == "urges") {
      rule.mode = DeadlineRule::Mode::kUrges;
      if (!ticket) r_.Error(mode, "urges are counted on tickets: mode urges needs subject ticket");
    } else {
      r_.Error(mode, "must be countdown | urges");
    }
  }
  const bool urges = rule.mode == DeadlineRule::Mode::kUrges;

  // Subject-specific keys.
  const std::string only_ticket =
      absl::StrCat("only for subject ticket (this rule: subject ", subject_name, ")");
  const std::string only_outage =
      absl::StrCat("only for subject outage (this rule: subject ", subject_name, ")");
  if (ticket) {
    ParseTickets(*m, &rule);
    Forbid(*m, "outages", only_outage);
  } else {
    for (std::string_view key : {"tickets", "starts_on", "stops_on", "overdue_floors"}) {
      Forbid(*m, key,
             key == "starts_on" || key == "stops_on"
                 ? absl::StrCat(only_ticket, "; outage rules give phases in outages.",
                                std::string(key))
                 : only_ticket);
    }
    ParseOutages(*m, &rule);
  }

  // Anchor, limit, scale.
  const Val anchor = m->Get("anchor");
  if (anchor.present) {
    const std::string s = anchor.node.IsScalar() ? anchor.node.Scalar() : "";
    if (s == "clock_start") {
      rule.anchor = DeadlineRule::Anchor::kClockStart;
    } else if (s == "outage_start") {
      if (ticket) {
        r_.Error(anchor, absl::StrCat("outage_start is ", only_outage));
      } else {
        rule.anchor = DeadlineRule::Anchor::kOutageStart;
      }
      if (urges) r_.Error(anchor, "mode urges has no anchor");
    } else {
      r_.Error(anchor, "must be clock_start | outage_start");
    }
  }
  std::vector<KnownLimit> limits;
  ParseLimit(*m, &rule, &limits);
  const Val scale = m->Get("scale");
  if (scale.present) {
    if (urges) {
      r_.KeyError(*m, "scale", "mode urges has no clock to scale");
    } else if (rule.anchor == DeadlineRule::Anchor::kOutageStart) {
      r_.KeyError(*m, "scale", "anchor outage_start has no limit to scale");
    } else if (r_.Percent(scale, 0, 1, &rule.scale)) {
      for (KnownLimit& l : limits) {
        if (l.limit.working_days > 0) continue;
        l.limit.duration = rule.scale * l.limit.duration;
      }
    }
  }

  // Countdown mode: steps, overdue, escalations, floors.
  if (urges) {
    for (std::string_view key : {"countdown", "overdue", "escalations", "overdue_floors"}) {
      Forbid(*m, key, "only for mode countdown (this rule: mode urges)");
    }
    const Val list = m->Get("urges");
    if (r_.Required(list, "mode urges needs urges: [{count: 1, grade: IV}, ...]")) {
      ParseUrges(list, &rule);
    }
    r_.Grade(m->Get("urge_after_overdue"), &rule.urge_after_overdue_grade);
  } else {
    for (std::string_view key : {"urges", "urge_after_overdue"}) {
      Forbid(*m, key, "only for mode urges (this rule: mode countdown)");
    }
    r_.Grade(m->Get("overdue"), &rule.overdue_grade);
    const Val countdown = m->Get("countdown");
    const Val escalations = m->Get("escalations");
    ParseSteps(countdown, StepList::kCountdown, rule, limits, &rule.countdown);
    ParseSteps(escalations, StepList::kEscalations, rule, limits, &rule.escalations);
    CheckOrder(countdown, StepList::kCountdown, rule.countdown, rule.overdue_grade);
    CheckOrder(escalations, StepList::kEscalations, rule.escalations, rule.overdue_grade);
    if (ticket) ParseFloors(m->Get("overdue_floors"), &rule);
    if (!countdown.present && !escalations.present && !m->Has("overdue")) {
      r_.Error(item, "the rule never warns: give countdown, overdue or escalations");
    }
  }

  r_.PositiveDuration(m->Get("lookback"), &rule.lookback);
  const Val message = m->Get("message");
  if (r_.Required(message, absl::StrCat("a template with ", kPlaceholders)) &&
      r_.Str(message, &rule.message)) {
    CheckMessage(message);
  }
  if (r_.error_count() != errors) return std::nullopt;
  return rule;
}

void RuleParser::ParseTickets(const MapView& m, DeadlineRule* rule) {
  const Val tickets = m.Get("tickets");
  if (tickets.present) {
    if (const std::optional<MapView> t = r_.Map(tickets, {"kind", "subtype", "require_tags"})) {
      r_.EnumList(t->Get("kind"), v1::Ticket::Kind_descriptor(), &rule->kinds);
      const Val subtype = t->Get("subtype");
      if (subtype.present && r_.List(subtype, "a list of subtypes like [meter_data, other]")) {
        for (size_t i = 0; i < subtype.node.size(); ++i) {
          const Val s = Elem(subtype.node[i], subtype.path, i);
          std::string name;
          if (!r_.Str(s, &name)) continue;
          if (!IsSubtype(name)) {
            r_.Error(s, "must be 1-32 characters of [a-z0-9_] (Ticket.subtype)");
            continue;
          }
          rule->subtypes.push_back(name);
        }
      }
      r_.EnumList(t->Get("require_tags"), v1::Ticket::Tag_descriptor(), &rule->require_tags);
    }
  }
  const Val starts = m.Get("starts_on");
  if (starts.present) {
    r_.EnumList(starts, v1::Ticket::Status_descriptor(), &rule->starts_on);
  } else {
    rule->starts_on = {v1::Ticket::ACCEPTED};
  }
  const Val stops = m.Get("stops_on");
  if (r_.Required(stops, "the ticket statuses that stop the clock, e.g. [REPLIED, CLOSED]")) {
    r_.EnumList(stops, v1::Ticket::Status_descriptor(), &rule->stops_on);
  }
  // Pauses are not starts or stops; a status cannot do both. Positions are
  // those of the list items, so only fully parsed lists are checked.
  const auto check = [&](const Val& v, const std::vector<v1::Ticket::Status>& list, bool stop) {
    if (!v.present || !v.node.IsSequence() || v.node.size() != list.size()) return;
    for (size_t i = 0; i < list.size(); ++i) {
      const Val item = Elem(v.node[i], v.path, i);
      if (list[i] == v1::Ticket::SUSPENDED || list[i] == v1::Ticket::RESUMED) {
        r_.Error(item,
                 "SUSPENDED and RESUMED pause and resume every clock; they cannot start or "
                 "stop one");
      } else if (stop && std::find(rule->starts_on.begin(), rule->starts_on.end(), list[i]) !=
                             rule->starts_on.end()) {
        r_.Error(item, absl::StrCat(v1::Ticket::Status_Name(list[i]),
                                    " is also in starts_on; a status either starts or stops the "
                                    "clock"));
      }
    }
  };
  check(starts, rule->starts_on, /*stop=*/false);
  check(stops, rule->stops_on, /*stop=*/true);
}

void RuleParser::ParseOutages(const MapView& m, DeadlineRule* rule) {
  const Val outages = m.Get("outages");
  if (!r_.Required(outages, "outage rules give outages: {kind, starts_on, stops_on, ...}")) return;
  const std::optional<MapView> o =
      r_.Map(outages, {"kind", "starts_on", "stops_on", "stop_at_coverage"});
  if (!o) return;
  r_.EnumList(o->Get("kind"), v1::OutageEvent::Kind_descriptor(), &rule->outage_kinds);
  const Val starts = o->Get("starts_on");
  if (starts.present) {
    r_.EnumList(starts, v1::OutageEvent::Phase_descriptor(), &rule->starts_on_phase);
  } else {
    rule->starts_on_phase = {v1::OutageEvent::STARTED};
  }
  const Val stops = o->Get("stops_on");
  if (r_.Required(stops, "the outage phases that stop the clock, e.g. [RESTORED, CANCELLED]") &&
      r_.EnumList(stops, v1::OutageEvent::Phase_descriptor(), &rule->stops_on_phase)) {
    for (size_t i = 0; i < rule->stops_on_phase.size(); ++i) {
      if (std::find(rule->starts_on_phase.begin(), rule->starts_on_phase.end(),
                    rule->stops_on_phase[i]) != rule->starts_on_phase.end()) {
        r_.Error(Elem(stops.node[i], stops.path, i),
                 absl::StrCat(v1::OutageEvent::Phase_Name(rule->stops_on_phase[i]),
                              " is also in starts_on; a phase either starts or stops the clock"));
      }
    }
  }
  Permille(r_, o->Get("stop_at_coverage"), &rule->stop_at_coverage_permille);
}

void RuleParser::ParseLimit(const MapView& m, DeadlineRule* rule, std::vector<KnownLimit>* limits) {
  const Val clock = m.Get("clock");
  const Val limit = m.Get("limit");
  const bool urges = rule->mode == DeadlineRule::Mode::kUrges;
  if (rule->anchor == DeadlineRule::Anchor::kOutageStart) {
    for (std::string_view key : {"clock", "limit"}) {
      Forbid(m, key, "anchor outage_start: the deadline is the outage's start time");
    }
    return;
  }
  if (clock.present && limit.present) {
    r_.KeyError(m, "limit", "give either clock (a row of the time-limit table) or limit, not both");
    return;
  }
  if (!clock.present && !limit.present) {
    if (!urges) {
      r_.Error(m.mark(), m.path(),
               "missing clock or limit: a clock of the time-limit table (e.g. clock: "
               "repair_arrival) or a fixed limit (e.g. limit: 10m)");
    }
    return;
  }
  if (limit.present) {
    Limit l;
    if (r_.LimitValue(limit, &l)) {
      rule->fixed_limit = l;
      limits->push_back({l, absl::StrCat("limit ", internal::FormatLimit(l))});
    }
    return;
  }
  if (!r_.Str(clock, &rule->clock)) return;
  if (!table_.HasClock(rule->clock)) {
    r_.Error(clock, absl::StrCat("\"", rule->clock,
                                 "\" is not a clock of the time-limit table; its "
                                 "clocks: ",
                                 absl::StrJoin(table_.Clocks(), ", ")));
    return;
  }
  bool any_subtype = false;
  std::vector<std::string> subtypes;
  for (const TimeLimitRow& row : table_.rows()) {
    if (row.clock != rule->clock) continue;
    limits->push_back(
        {row.limit, absl::StrCat("the limit ", internal::FormatLimit(row.limit), " of clock ",
                                 row.clock, " (", row.file, ":", row.line, ")")});
    if (row.subtype.empty()) {
      any_subtype = true;
    } else {
      subtypes.push_back(row.subtype);
    }
  }
  // A subtype the table does not know would never be timed.
  const Val tickets = m.Get("tickets");
  if (any_subtype || !tickets.present || !tickets.node.IsMap()) return;
  const YAML::Node list = tickets.node["subtype"];
  if (!list.IsSequence() || list.size() != rule->subtypes.size()) return;
  for (size_t i = 0; i < rule->subtypes.size(); ++i) {
    if (std::find(subtypes.begin(), subtypes.end(), rule->subtypes[i]) == subtypes.end()) {
      r_.Error(Elem(list[i], tickets.path + ".subtype", i),
               absl::StrCat("clock ", rule->clock, " has no row for subtype ", rule->subtypes[i],
                            "; its subtypes: ", absl::StrJoin(subtypes, ", ")));
    }
  }
}

void RuleParser::ParseSteps(const Val& v, StepList which, const DeadlineRule& rule,
                            const std::vector<KnownLimit>& limits, std::vector<Step>* out) {
  if (!v.present) return;
  const bool countdown = which == StepList::kCountdown;
  const std::string shape = countdown
                                ? "a list of {at: 70%, grade: IV} or {before: 4h, grade: III}"
                                : "a list of {at: 200%, grade: I}, {after: 2wd, grade: II} or "
                                  "{since_start: 8h, grade: II}";
  if (!r_.List(v, shape)) return;
  const bool outage = rule.subject == DeadlineRule::Subject::kOutage;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const Val item = Elem(v.node[i], v.path, i);
    const std::optional<MapView> m =
        r_.Map(item, {"at", "before", "after", "since_start", "grade", "coverage_below"});
    if (!m) continue;
    const size_t errors = r_.error_count();
    Step step;
    step.line = internal::PosOf(item.mark).line;
    const Val grade = m->Get("grade");
    if (r_.Required(grade, "the grade the warning is raised to at least: IV | III | II | I")) {
      r_.Grade(grade, &step.grade);
    }
    const Val coverage = m->Get("coverage_below");
    if (coverage.present) {
      if (!outage) {
        r_.KeyError(*m, "coverage_below", "only for subject outage (notice coverage)");
      } else {
        Permille(r_, coverage, &step.coverage_below_permille);
      }
    }
    std::vector<std::string_view> points;
    for (std::string_view key : {"at", "before", "after", "since_start"}) {
      if (m->Has(key)) points.push_back(key);
    }
    if (points.size() != 1) {
      r_.Error(item, absl::StrCat(points.empty() ? "missing" : "more than one",
                                  " point on the clock; give exactly one of ",
                                  countdown ? "at (< 100%) or before"
                                            : "at (> 100%), after or "
                                              "since_start"));
      continue;
    }
    const std::string_view key = points[0];
    const Val point = m->Get(key);
    if (countdown && (key == "after" || key == "since_start")) {
      r_.KeyError(*m, key,
                  absl::StrCat(std::string(key),
                               " is after the deadline: put it in escalations; countdown "
                               "steps are at (< 100%) or before"));
      continue;
    }
    if (!countdown && key == "before") {
      r_.KeyError(*m, key,
                  "before is ahead of the deadline: put it in countdown; escalations are at "
                  "(> 100%), after or since_start");
      continue;
    }
    if (key == "at") {
      step.at.kind = ClockPoint::Kind::kFraction;
      double f = 0;
      const bool percent =
          point.node.IsScalar() && internal::ParsePercentText(point.node.Scalar(), &f);
      if (countdown && (!percent || f <= 0 || f >= 1)) {
        r_.Error(point,
                 "must be a percentage of the limit between 0% and 100% (the deadline), "
                 "e.g. \"70%\"; countdown steps come before the deadline");
        continue;
      }
      if (!countdown && (!percent || f <= 1 || f > 100)) {
        r_.Error(point,
                 "must be a percentage of the limit above 100% (the deadline), e.g. "
                 "\"200%\", and at most 10000%; escalations come after the deadline");
        continue;
      }
      step.at.fraction = f;
    } else {
      step.at.kind = key == "before"  ? ClockPoint::Kind::kBefore
                     : key == "after" ? ClockPoint::Kind::kAfter
                                      : ClockPoint::Kind::kSinceStart;
      if (!r_.LimitValue(point, &step.at.amount)) continue;
      // Checks against the limits of the rule, where units agree.
      for (const KnownLimit& l : limits) {
        const Limit& a = step.at.amount;
        const bool wd = a.working_days > 0;
        if (wd != (l.limit.working_days > 0)) continue;
        if (wd && rule.scale != 1.0) continue;  // scaled working days have no day count
        const bool too_far =
            wd ? a.working_days >= l.limit.working_days : a.duration >= l.limit.duration;
        if (key == "before" && too_far) {
          r_.Error(point, absl::StrCat("before ", internal::FormatLimit(a),
                                       " is at or ahead of the clock's start: ", l.where,
                                       rule.scale != 1.0 ? " (scaled)" : "", " is not longer"));
          break;
        }
        if (key == "since_start" && !too_far) {
          r_.Error(point, absl::StrCat("since_start ", internal::FormatLimit(a),
                                       " is before the deadline: ", l.where,
                                       rule.scale != 1.0 ? " (scaled)" : "",
                                       " is longer; escalations come after the deadline"));
          break;
        }
        if (key == "since_start" && !wd && a.duration == l.limit.duration) {
          r_.Error(point, "since_start equal to the limit is the deadline itself; use overdue");
          break;
        }
      }
      if (key == "since_start" && rule.anchor == DeadlineRule::Anchor::kOutageStart) {
        r_.KeyError(*m, key, "anchor outage_start: give escalations as at or after");
        continue;
      }
    }
    if (r_.error_count() == errors) out->push_back(step);
  }
}

// Steps of one kind must be written in clock order (comparable units only),
// their grades must not decrease, and they must agree with the overdue grade.
void RuleParser::CheckOrder(const Val& v, StepList which, const std::vector<Step>& steps,
                            v1::Grade overdue) {
  if (!v.present || !v.node.IsSequence() || steps.size() != v.node.size()) return;
  const bool countdown = which == StepList::kCountdown;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Val item = Elem(v.node[i], v.path, i);
    const Step& s = steps[i];
    if (countdown && overdue != v1::GRADE_UNSPECIFIED && s.grade > overdue) {
      r_.Error(item, absl::StrCat("grade ", GradeName(s.grade), " is above the overdue grade ",
                                  GradeName(overdue),
                                  "; a countdown notice must not outrank being overdue"));
    }
    if (!countdown && s.grade < overdue) {
      r_.Error(item, absl::StrCat("grade ", GradeName(s.grade), " is below the overdue grade ",
                                  GradeName(overdue), "; an escalation must not lower the grade"));
    }
    if (i == 0) continue;
    const Step& p = steps[i - 1];
    if (s.grade < p.grade) {
      r_.Error(item, absl::StrCat("grade ", GradeName(s.grade), " is below the grade ",
                                  GradeName(p.grade),
                                  " of the step before; grades must not "
                                  "decrease along the clock"));
    }
    if (s.at.kind != p.at.kind) continue;
    bool in_order = true;
    if (s.at.kind == ClockPoint::Kind::kFraction) {
      in_order = s.at.fraction > p.at.fraction;
    } else if ((s.at.amount.working_days > 0) == (p.at.amount.working_days > 0)) {
      const bool later = s.at.amount.working_days > 0
                             ? s.at.amount.working_days > p.at.amount.working_days
                             : s.at.amount.duration > p.at.amount.duration;
      const bool equal = s.at.amount == p.at.amount;
      in_order = !equal && (s.at.kind == ClockPoint::Kind::kBefore ? !later : later);
    }
    if (!in_order) {
      r_.Error(item, "steps must be written in clock order, each after the one before it");
    }
  }
}

void RuleParser::ParseFloors(const Val& v, DeadlineRule* rule) {
  if (!v.present || !r_.List(v, "a list of {tags: [SENSITIVE], grade: II}")) return;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const std::optional<MapView> m = r_.Map(Elem(v.node[i], v.path, i), {"tags", "grade"});
    if (!m) continue;
    OverdueFloor f;
    if (r_.Required(m->Get("tags"), "the customer tags, e.g. [SENSITIVE, IMPORTANT_CUSTOMER]")) {
      r_.EnumList(m->Get("tags"), v1::Ticket::Tag_descriptor(), &f.tags);
    }
    if (r_.Required(m->Get("grade"), "the grade while overdue: IV | III | II | I") &&
        r_.Grade(m->Get("grade"), &f.grade) && rule->overdue_grade != v1::GRADE_UNSPECIFIED &&
        f.grade <= rule->overdue_grade) {
      r_.Error(m->Get("grade"),
               absl::StrCat("grade ", GradeName(f.grade), " does not lift the overdue grade ",
                            GradeName(rule->overdue_grade)));
    }
    rule->overdue_floors.push_back(std::move(f));
  }
}

void RuleParser::ParseUrges(const Val& v, DeadlineRule* rule) {
  if (!r_.List(v, "a list of {count: 1, grade: IV}")) return;
  for (size_t i = 0; i < v.node.size(); ++i) {
    const Val item = Elem(v.node[i], v.path, i);
    const std::optional<MapView> m = r_.Map(item, {"count", "grade"});
    if (!m) continue;
    UrgeGrade u;
    const Val count = m->Get("count");
    if (r_.Required(count, "the number of urges, >= 1")) {
      int n = 0;
      if (!count.node.IsScalar() || !absl::SimpleAtoi(count.node.Scalar(), &n) || n < 1 ||
          n > 1000) {
        r_.Error(count, "must be an integer in [1, 1000]");
      } else {
        u.count = static_cast<uint32_t>(n);
      }
    }
    if (r_.Required(m->Get("grade"), "the grade at this many urges: IV | III | II | I")) {
      r_.Grade(m->Get("grade"), &u.grade);
    }
    if (!rule->urge_grades.empty() && u.count != 0 && u.grade != v1::GRADE_UNSPECIFIED) {
      const UrgeGrade& p = rule->urge_grades.back();
      if (u.count <= p.count) {
        r_.Error(item, absl::StrCat("count ", u.count, " is not above the count ", p.count,
                                    " before it; write counts in ascending order"));
      } else if (u.grade < p.grade) {
        r_.Error(item, absl::StrCat("grade ", GradeName(u.grade), " is below the grade ",
                                    GradeName(p.grade), " of fewer urges"));
      }
    }
    if (u.count != 0 && u.grade != v1::GRADE_UNSPECIFIED) rule->urge_grades.push_back(u);
  }
}

void RuleParser::CheckMessage(const Val& v) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (const char* name : {"subject", "deadline", "remaining", "overdue_by", "grade"}) {
    args.push_back(fmt::arg(name, std::string("x")));
  }
  try {
    (void)fmt::vformat(v.node.Scalar(), args);
  } catch (const fmt::format_error& e) {
    r_.Error(v, absl::StrCat("invalid template (", e.what(), "); placeholders: ", kPlaceholders,
                             "; write {{ and }} for literal braces"));
    return;
  }
  // fmt accepts positional fields ("{}", "{0}") with named arguments present.
  const std::string& t = v.node.Scalar();
  for (size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == '{' && t[i + 1] == '{') {
      ++i;
    } else if (t[i] == '{' &&
               (t[i + 1] == '}' || t[i + 1] == ':' || absl::ascii_isdigit(t[i + 1]))) {
      r_.Error(v, absl::StrCat("positional placeholders ({} or {0}) are not allowed; use names: ",
                               kPlaceholders));
      return;
    }
  }
}

struct SeenId {
  std::string id;
  std::string file;
  SourcePos pos;
};

// Parses one file; its errors go to `errors`, its rules to `out`.
void ParseFile(const std::string& path, const TimeLimitTable& table, std::vector<SeenId>* ids,
               std::vector<DeadlineRule>* out, std::vector<std::string>* errors) {
  YamlReader r(path);
  std::vector<DeadlineRule> rules;
  if (std::optional<YAML::Node> root = r.Load()) {
    try {
      const Val top(*root, root->Mark(), "", true);
      if (const std::optional<MapView> m = r.Map(top, {"deadline_rules"})) {
        const Val list = m->Get("deadline_rules");
        if (r.Required(list, "a deadline-rule file holds deadline_rules:, a list of rules") &&
            r.List(list, "a list of rules (\"- id: ...\" entries)")) {
          RuleParser parser(r, table);
          for (size_t i = 0; i < list.node.size(); ++i) {
            std::string id;
            SourcePos id_pos;
            std::optional<DeadlineRule> rule =
                parser.Parse(Elem(list.node[i], list.path, i), &id, &id_pos);
            if (!id.empty()) {
              const auto first = std::find_if(ids->begin(), ids->end(),
                                              [&](const SeenId& s) { return s.id == id; });
              if (first != ids->end()) {
                r.ErrorAt(id_pos, absl::StrCat(list.path, "[", i, "].id"),
                          absl::StrCat("duplicate deadline rule id \"", id, "\"; first defined at ",
                                       first->file, ":", first->pos.line, ":", first->pos.column));
                continue;
              }
              ids->push_back({id, path, id_pos});
            }
            if (rule) rules.push_back(std::move(*rule));
          }
        }
      }
    } catch (const YAML::Exception& e) {
      r.Exception(e);
    }
  }
  std::vector<std::string> file_errors = r.TakeErrors();
  if (!file_errors.empty()) {
    errors->insert(errors->end(), file_errors.begin(), file_errors.end());
    return;
  }
  for (DeadlineRule& rule : rules) out->push_back(std::move(rule));
}

}  // namespace

absl::StatusOr<std::vector<DeadlineRule>> LoadDeadlineRules(const std::vector<std::string>& paths,
                                                            const TimeLimitTable& table) {
  std::vector<DeadlineRule> rules;
  std::vector<std::string> errors;
  std::vector<SeenId> ids;
  for (const std::string& path : paths) ParseFile(path, table, &ids, &rules, &errors);
  if (!errors.empty()) return internal::ErrorsToStatus(errors);
  return rules;
}

absl::StatusOr<std::vector<DeadlineRule>> LoadDeadlineDir(const std::string& dir,
                                                          const TimeLimitTable& table) {
  absl::StatusOr<std::vector<std::string>> files = internal::YamlFilesIn(dir, "deadline-rule");
  if (!files.ok()) return files.status();
  return LoadDeadlineRules(*files, table);
}

}  // namespace vigil::deadlines

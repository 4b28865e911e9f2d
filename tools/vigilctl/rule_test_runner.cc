#include "tools/vigilctl/rule_test_runner.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processors/deadlines/deadline_parser.h"
#include "processors/engine/deadline_engine.h"
#include "processors/engine/rule_engine.h"
#include "processors/ingest/rejection.h"
#include "processors/ingest/validator.h"
#include "processors/state/state_store.h"
#include "processors/timers/timer_store.h"
#include "tools/vigilctl/rules_check.h"
#include "tools/vigilctl/scratch_dir.h"

namespace vigil::vigilctl {
namespace {

constexpr char kTestFileSuffix[] = ".test.yaml";

// An active warning as tests see it.
struct Active {
  std::string rule;
  std::string key;
  v1::Grade grade;
};

std::string Describe(const Active& a) {
  return absl::StrCat(a.rule, " ", a.key, " ", GradeName(a.grade));
}

std::string Describe(const WarningMatcher& m) {
  return absl::StrCat(m.rule, " ", m.key ? *m.key : "(any key)", " ",
                      m.grade ? GradeName(*m.grade) : "(any grade)");
}

bool Matches(const WarningMatcher& m, const Active& a) {
  return m.rule == a.rule && (!m.key || *m.key == a.key) && (!m.grade || *m.grade == a.grade);
}

std::string DescribeEvent(const WarningMatcher& m) {
  return absl::StrCat(m.type ? v1::WarningEvent::Type_Name(*m.type) : "(any type)", " ",
                      Describe(m));
}

std::string DescribeEvent(const v1::WarningEvent& e) {
  return absl::StrCat(v1::WarningEvent::Type_Name(e.type()), " ", e.warning().rule_id(), " ",
                      e.warning().key(), " ", GradeName(e.warning().grade()));
}

bool MatchesEvent(const WarningMatcher& m, const v1::WarningEvent& e) {
  return (!m.type || *m.type == e.type()) &&
         Matches(m, Active{e.warning().rule_id(), e.warning().key(), e.warning().grade()});
}

// "   label: first\n          second\n", labels right-aligned at kWidth.
void AppendList(std::string* out, const std::string& label, const std::vector<std::string>& items) {
  constexpr size_t kWidth = 13;
  const std::string head =
      std::string(kWidth > label.size() ? kWidth - label.size() : 0, ' ') + label + " ";
  if (items.empty()) {
    absl::StrAppend(out, head, "(none)\n");
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    absl::StrAppend(out, i == 0 ? head : std::string(head.size(), ' '), items[i], "\n");
  }
}

// Drives one test case.
class CaseRun {
 public:
  CaseRun(const LoadedTestFile& loaded, const RuleTestCase& test)
      : loaded_(loaded), test_(test), engine_(loaded.rules, loaded.reference.get()) {}

  std::optional<std::string> Run() {
    if (!loaded_.deadlines->rules.empty()) {
      // Deadline rules keep their clocks and timers in RocksDB, as in vigild.
      if (scratch_.path().empty()) return "FAIL: cannot create a scratch directory\n";
      auto store = state::StateStore::Open(scratch_.path() + "/state");
      if (!store.ok()) return absl::StrCat("FAIL: ", store.status().message(), "\n");
      store_ = *std::move(store);
      timers_ = std::make_unique<timers::TimerStore>(store_.get());
      deadline_engine_ = std::make_unique<engine::DeadlineEngine>(
          loaded_.deadlines, loaded_.reference.get(), store_.get(), timers_.get());
      batch_ = std::make_unique<state::StateStore::Batch>(store_->NewBatch());
    }
    std::vector<bool> done(test_.inputs.size(), false);
    for (const Expectation& e : test_.expect) {
      for (size_t i = 0; i < test_.inputs.size(); ++i) {
        if (done[i] || test_.inputs[i].at > e.at) continue;
        done[i] = true;
        if (auto failure = ApplyInput(test_.inputs[i])) return failure;
      }
      Advance(At(e.at));
      if (auto failure = Check(e)) return failure;
    }
    for (size_t i = 0; i < test_.inputs.size(); ++i) {
      if (done[i]) continue;
      if (auto failure = ApplyInput(test_.inputs[i])) return failure;
    }
    return std::nullopt;
  }

 private:
  absl::Time At(absl::Duration offset) const { return loaded_.file.start + offset; }

  std::string FormatTime(absl::Time t) const {
    return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", t, loaded_.file.zone);
  }

  void Collect(engine::EngineOutput& out) {
    for (auto& event : out.events) emitted_.push_back(std::move(event));
    out.events.clear();
  }

  void Advance(absl::Time t) {
    if (t <= engine_.watermark()) return;
    engine::EngineOutput out;
    engine_.AdvanceWatermark(t, &out);
    Collect(out);
    if (!deadline_engine_ || !status_.ok()) return;
    // Every clock step due before `t`, in due order (as vigild's timers fire).
    for (;;) {
      auto due = timers_->PopDue(*batch_, t - absl::Milliseconds(1), 100);
      if (!due.ok()) {
        status_ = due.status();
        return;
      }
      for (const timers::Timer& timer : *due) {
        internal::TimerPayload payload;
        payload.ParseFromString(timer.payload);
        if (payload.target() != internal::TimerPayload::CLOCK) continue;
        if (auto s = deadline_engine_->Fire(payload, timer.due, *batch_, &out.events); !s.ok()) {
          status_ = s;
          return;
        }
        Collect(out);
      }
      if (due->empty()) break;  // a fired step may have scheduled its next one, already due
    }
  }

  std::string Header(absl::Duration at) const {
    return absl::StrCat("FAIL ", loaded_.file.path, ": \"", test_.name, "\" at ", FormatOffset(at),
                        " (", FormatTime(At(at)), "):\n");
  }

  // The failure report: header, what went wrong, the warning events so far.
  std::string Report(absl::Duration at, const std::string& body) const {
    std::string out = Header(at) + body;
    absl::StrAppend(&out, "  warning events so far:");
    if (emitted_.empty()) absl::StrAppend(&out, " (none)");
    absl::StrAppend(&out, "\n");
    for (const v1::WarningEvent& event : emitted_) {
      const v1::Warning& w = event.warning();
      absl::StrAppend(&out, "    ", FormatTime(ingest::ToTime(w.updated_at())), " ",
                      v1::WarningEvent::Type_Name(event.type()), " ", w.rule_id(), " ", w.key(),
                      " ", GradeName(w.grade()), " v", w.version(), "\n");
    }
    return out;
  }

  std::optional<std::string> ApplyInput(const TestEvent& input) {
    Advance(At(input.at));
    const std::string where = absl::StrCat("  ", input.label, " (line ", input.line, ")");
    if (auto why = ingest::Validate(input.event, ingest::KindOfPayload(input.event),
                                    ingest::ToTime(input.event.event_time()),
                                    ingest::ValidationOptions{})) {
      return Report(input.at, absl::StrCat(where, " is not a valid event: ",
                                           std::string(ingest::ReasonCode(why->reason)), ": ",
                                           why->detail, "\n"));
    }
    engine::EngineOutput out;
    engine_.Apply(input.event, &out);
    Collect(out);
    if (deadline_engine_ && status_.ok()) {
      status_ = deadline_engine_->Apply(input.event, *batch_, &out.events);
      Collect(out);
    }
    if (!status_.ok()) {
      return Report(input.at, absl::StrCat(where, ": state error: ", status_.message(), "\n"));
    }
    const bool late =
        out.rejection.has_value() && out.rejection->reason == ingest::RejectReason::kLate;
    if (out.rejection.has_value() && !late) {
      return Report(input.at, absl::StrCat(where, " was rejected: ",
                                           std::string(ingest::ReasonCode(out.rejection->reason)),
                                           ": ", out.rejection->detail, "\n"));
    }
    if (late && !input.late) {
      return Report(input.at, absl::StrCat(where, " was rejected as late (watermark ",
                                           FormatTime(engine_.watermark()),
                                           "): ", out.rejection->detail, "\n"));
    }
    if (!late && input.late) {
      return Report(input.at, absl::StrCat(where, " has late: true but was applied (watermark ",
                                           FormatTime(engine_.watermark()), ")\n"));
    }
    return std::nullopt;
  }

  std::optional<std::string> Check(const Expectation& e) {
    std::vector<Active> active;
    for (const v1::Warning& w : engine_.ActiveWarnings()) {
      active.push_back(Active{w.rule_id(), w.key(), w.grade()});
    }
    if (deadline_engine_) {
      auto clocks = status_.ok() ? deadline_engine_->ActiveWarnings(batch_.get())
                                 : absl::StatusOr<std::vector<v1::Warning>>(status_);
      if (!clocks.ok()) {
        return Report(e.at, absl::StrCat("  state error: ", clocks.status().message(), "\n"));
      }
      for (const v1::Warning& w : *clocks) {
        active.push_back(Active{w.rule_id(), w.key(), w.grade()});
      }
    }
    std::sort(active.begin(), active.end(), [](const Active& a, const Active& b) {
      return std::tie(a.rule, a.key, a.grade) < std::tie(b.rule, b.key, b.grade);
    });
    std::vector<std::string> got;
    for (const Active& a : active) got.push_back(Describe(a));

    std::string body;
    if (e.warnings) {
      // Matchers with a key first, so a key-less one cannot take their warning.
      std::vector<const WarningMatcher*> order;
      for (const auto& m : *e.warnings) order.push_back(&m);
      std::stable_partition(order.begin(), order.end(),
                            [](const WarningMatcher* m) { return m->key.has_value(); });
      std::vector<bool> used(active.size(), false);
      std::vector<std::string> missing;
      for (const WarningMatcher* m : order) {
        bool found = false;
        for (size_t i = 0; i < active.size() && !found; ++i) {
          if (!used[i] && Matches(*m, active[i])) used[i] = found = true;
        }
        if (!found) missing.push_back(Describe(*m));
      }
      std::vector<std::string> unexpected;
      for (size_t i = 0; i < active.size(); ++i) {
        if (!used[i]) unexpected.push_back(got[i]);
      }
      if (!missing.empty() || !unexpected.empty()) {
        std::vector<std::string> expected;
        for (const auto& m : *e.warnings) expected.push_back(Describe(m));
        AppendList(&body, "expected:", expected);
        AppendList(&body, "got:", got);
        if (!missing.empty()) AppendList(&body, "missing:", missing);
        if (!unexpected.empty()) AppendList(&body, "unexpected:", unexpected);
      }
    }
    std::vector<std::string> present;
    for (const WarningMatcher& m : e.absent) {
      for (const Active& a : active) {
        if (Matches(m, a))
          present.push_back(absl::StrCat(Describe(a), "  (absent: ", Describe(m), ")"));
      }
    }
    if (!present.empty()) AppendList(&body, "not absent:", present);
    if (e.events) {
      const std::vector<v1::WarningEvent> since(emitted_.begin() + checked_events_, emitted_.end());
      bool same = since.size() == e.events->size();
      for (size_t i = 0; same && i < since.size(); ++i) {
        same = MatchesEvent((*e.events)[i], since[i]);
      }
      if (!same) {
        std::vector<std::string> expected, got_events;
        for (const WarningMatcher& m : *e.events) expected.push_back(DescribeEvent(m));
        for (const v1::WarningEvent& ev : since) got_events.push_back(DescribeEvent(ev));
        AppendList(&body, "events:", expected);
        AppendList(&body, "got events:", got_events);
      }
    }
    checked_events_ = emitted_.size();
    if (body.empty()) return std::nullopt;
    return Report(e.at, absl::StrCat("  expectation at line ", e.line, "\n", body));
  }

  const LoadedTestFile& loaded_;
  const RuleTestCase& test_;
  engine::RuleEngine engine_;
  std::vector<v1::WarningEvent> emitted_;
  size_t checked_events_ = 0;  // emitted_ before this were matched by an earlier `events`
  // Deadline rules only.
  ScratchDir scratch_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<timers::TimerStore> timers_;
  std::unique_ptr<engine::DeadlineEngine> deadline_engine_;
  std::unique_ptr<state::StateStore::Batch> batch_;
  absl::Status status_;
};

// Test files named by the arguments: a DIR stands for its *.test.yaml.
absl::StatusOr<std::vector<std::string>> ExpandTestPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> in_dir;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && absl::EndsWith(name, kTestFileSuffix)) {
        in_dir.push_back(entry.path().string());
      }
    }
    if (ec) return absl::NotFoundError(absl::StrCat(path, ": ", ec.message()));
    if (in_dir.empty()) {
      return absl::NotFoundError(absl::StrCat(path, ": no *", kTestFileSuffix, " files"));
    }
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

}  // namespace

absl::StatusOr<LoadedTestFile> LoadTestFile(const std::string& path) {
  LoadedTestFile loaded;
  auto file = ReadRuleTestFile(path);
  if (!file.ok()) return file.status();
  loaded.file = *std::move(file);

  auto rule_files = ExpandRulePaths(loaded.file.rule_files);
  if (!rule_files.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": rule_files: ", rule_files.status().message()));
  }
  // Files in a `deadlines/` directory are deadline rules; they are timed by
  // the limits and calendars of the same rules directory.
  std::vector<std::string> window_files, deadline_files;
  for (const std::string& f : *rule_files) {
    (std::filesystem::path(f).parent_path().filename() == "deadlines" ? deadline_files
                                                                      : window_files)
        .push_back(f);
  }
  auto rules = rules::LoadRuleFiles(window_files);
  if (!rules.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the rule files do not load:\n", rules.status().message()));
  }
  loaded.rules = *std::move(rules);
  auto deadlines = std::make_shared<engine::DeadlineSet>();
  if (!deadline_files.empty()) {
    const std::filesystem::path root =
        std::filesystem::path(deadline_files[0]).parent_path().parent_path();
    auto table = deadlines::TimeLimitTable::Load((root / "limits" / "time_limits.yaml").string());
    if (!table.ok())
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", table.status().message()));
    deadlines->table = *std::move(table);
    auto calendar = deadlines::BusinessCalendar::LoadDir((root / "calendars").string());
    if (!calendar.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", calendar.status().message()));
    }
    deadlines->calendar = *std::move(calendar);
    auto parsed = deadlines::LoadDeadlineRules(deadline_files, deadlines->table);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": the deadline rule files do not load:\n", parsed.status().message()));
    }
    deadlines->rules = *std::move(parsed);
  }
  loaded.deadlines = std::move(deadlines);

  loaded.reference = std::make_unique<reference::ReferenceStore>();
  for (const std::string& ref : loaded.file.reference_files) {
    if (auto s = reference::LoadReferenceFile(ref, loaded.reference.get()); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": reference_files: ", s.message()));
    }
  }
  for (const InlineReference& ref : loaded.file.reference) {
    if (auto s = loaded.reference->Apply(ref.record); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", ref.line, ":", ref.column, ": reference: ", s.message()));
    }
  }
  return loaded;
}

std::optional<std::string> RunTestCase(const LoadedTestFile& loaded, const RuleTestCase& test) {
  return CaseRun(loaded, test).Run();
}

RuleTestSummary RunRuleTests(const std::vector<std::string>& paths, std::ostream& out,
                             std::ostream& err) {
  RuleTestSummary summary;
  auto files = ExpandTestPaths(paths);
  if (!files.ok()) {
    err << files.status().message() << "\n";
    ++summary.file_errors;
    return summary;
  }
  for (const std::string& path : *files) {
    ++summary.files;
    auto loaded = LoadTestFile(path);
    if (!loaded.ok()) {
      err << loaded.status().message() << "\n";
      ++summary.file_errors;
      continue;
    }
    int failed = 0;
    for (const RuleTestCase& test : loaded->file.tests) {
      if (auto failure = RunTestCase(*loaded, test)) {
        out << *failure;
        ++failed;
      }
    }
    const int tests = static_cast<int>(loaded->file.tests.size());
    out << path << ": " << tests << " tests, " << tests - failed << " passed";
    if (failed > 0) out << ", " << failed << " failed";
    out << "\n";
    summary.tests += tests;
    summary.failed += failed;
  }
  if (summary.files > 1) {
    out << "total: " << summary.tests << " tests in " << summary.files << " files, "
        << summary.tests - summary.failed << " passed";
    if (summary.failed > 0) out << ", " << summary.failed << " failed";
    if (summary.file_errors > 0) out << ", " << summary.file_errors << " files with errors";
    out << "\n";
  }
  return summary;
}

int RunRulesTest(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  const RuleTestSummary summary = RunRuleTests(paths, out, err);
  return summary.failed == 0 && summary.file_errors == 0 ? 0 : 1;
}

}  // namespace vigil::vigilctl

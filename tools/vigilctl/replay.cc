#include "tools/vigilctl/replay.h"

#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "processors/engine/rule_engine.h"
#include "processors/ingest/decoder.h"
#include "processors/ingest/rejection.h"
#include "processors/ingest/validator.h"
#include "processors/ledger/pipeline.h"
#include "processors/ledger/rule_bundle.h"
#include "processors/reference/record_json.h"
#include "processors/reference/reference_store.h"
#include "processors/rules/rule_set.h"
#include "processors/state/state_store.h"
#include "tools/vigilctl/rules_check.h"
#include "tools/vigilctl/scratch_dir.h"
#include "vigil/v1/reference.pb.h"
#include "vigil/v1/warning.pb.h"

namespace vigil::vigilctl {
namespace {

// Output is written in chunks of this size, never per line.
constexpr size_t kOutputChunk = size_t{1} << 20;
// The pipeline's state (clocks, timers, ledger) is committed to the scratch
// RocksDB every this many input lines, without fsync.
constexpr int kCommitEvery = 2000;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One replay: the engine, its reference table and the output buffer.
class ReplayRun {
 public:
  ReplayRun(const ReplayOptions& options, ledger::RuleBundle bundle,
            std::unique_ptr<reference::ReferenceStore> reference,
            std::unique_ptr<state::StateStore> store, std::ostream& output,
            std::ostream* diagnostics)
      : options_(options),
        reference_(std::move(reference)),
        store_(std::move(store)),
        pipeline_(std::move(bundle.rules), std::move(bundle.deadlines), std::move(bundle.policy),
                  reference_.get(), store_.get()),
        batch_(store_->NewBatch()),
        output_(output),
        diagnostics_(diagnostics) {
    buffer_.reserve(kOutputChunk + 4096);
  }

  absl::Status Open() { return pipeline_.Open(); }

  void Line(std::string_view line, uint64_t line_number) {
    if (IsReferenceLine(line)) {
      ReferenceLine(line, line_number);
    } else {
      EventLine(line, line_number);
    }
  }

  absl::Status Finish() {
    if (options_.until.has_value()) Advance(*options_.until);
    if (status_.ok()) status_ = store_->Commit(batch_, /*sync=*/false);
    if (!status_.ok()) return status_;
    Flush();
    output_.flush();
    if (!output_) return absl::DataLossError("writing the warning events failed");
    summary_.distinct_warnings = warning_ids_.size();
    return absl::OkStatus();
  }

  ReplaySummary& summary() { return summary_; }

 private:
  void Refuse(uint64_t line_number, std::string_view code, const std::string& detail) {
    if (diagnostics_ != nullptr && reported_ < options_.max_reported_rejections) {
      *diagnostics_ << "line " << line_number << ": " << code << ": " << detail << "\n";
      if (++reported_ == options_.max_reported_rejections) {
        *diagnostics_ << "(further rejected lines are only counted)\n";
      }
    }
  }

  void ReferenceLine(std::string_view line, uint64_t line_number) {
    absl::Status status = reference::ParseReferenceRecordJson(line, &record_);
    if (status.ok()) status = reference_->Apply(record_);
    if (!status.ok()) {
      ++summary_.reference_refused;
      Refuse(line_number, "reference", std::string(status.message()));
      return;
    }
    ++summary_.reference_records;
  }

  void EventLine(std::string_view line, uint64_t line_number) {
    ++summary_.events;
    std::optional<ingest::Rejection> why = ingest::Decode(line, ingest::Format::kJson, &event_);
    if (!why) {
      why = ingest::Validate(event_, ingest::KindOfPayload(event_),
                             ingest::ToTime(event_.event_time()), ingest::ValidationOptions{});
    }
    if (why) {
      const std::string code(ingest::ReasonCode(why->reason));
      ++summary_.rejected[code];
      Refuse(line_number, code, why->detail);
      return;
    }
    Advance(ingest::ToTime(event_.event_time()));
    out_.events.clear();
    out_.rejection.reset();
    if (status_.ok()) status_ = pipeline_.Apply(event_, batch_, &out_);
    if (out_.rejection.has_value()) {
      if (out_.rejection->reason == ingest::RejectReason::kLate) {
        ++summary_.late;
      } else {
        const std::string code(ingest::ReasonCode(out_.rejection->reason));
        ++summary_.rejected[code];
        Refuse(line_number, code, out_.rejection->detail);
      }
    }
    Emit();
    if (++since_commit_ >= kCommitEvery && status_.ok()) {
      since_commit_ = 0;
      status_ = store_->Commit(batch_, /*sync=*/false);
      batch_ = store_->NewBatch();
    }
  }

  // Moves event time to `t`: windows close and every timer due before `t`
  // fires, in due order.
  void Advance(absl::Time t) {
    if (t <= watermark_) return;
    watermark_ = t;
    bool more = true;
    while (more && status_.ok()) {
      out_.events.clear();
      out_.rejection.reset();
      absl::StatusOr<bool> r = pipeline_.AdvanceTo(t, t, batch_, &out_);
      if (!r.ok()) {
        status_ = r.status();
        return;
      }
      more = *r;
      Emit();
    }
  }

  void Emit() {
    for (v1::WarningEvent& event : out_.events) {
      ++summary_.warning_events[v1::WarningEvent::Type_Name(event.type())];
      warning_ids_.insert(event.warning().warning_id());
      json_.clear();
      (void)google::protobuf::util::MessageToJsonString(event, &json_);
      buffer_.append(json_);
      buffer_.push_back('\n');
    }
    out_.events.clear();
    if (buffer_.size() >= kOutputChunk) Flush();
  }

  void Flush() {
    output_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

  const ReplayOptions& options_;
  std::unique_ptr<reference::ReferenceStore> reference_;
  std::unique_ptr<state::StateStore> store_;
  ledger::Pipeline pipeline_;
  state::StateStore::Batch batch_;
  absl::Status status_;
  absl::Time watermark_ = absl::InfinitePast();
  int since_commit_ = 0;
  std::ostream& output_;
  std::ostream* diagnostics_;

  ReplaySummary summary_;
  int reported_ = 0;
  absl::flat_hash_set<std::string> warning_ids_;
  // Reused per line.
  v1::Envelope event_;
  v1::ReferenceRecord record_;
  engine::EngineOutput out_;
  std::string json_;
  std::string buffer_;
};

}  // namespace

bool IsReferenceLine(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  if (i == line.size() || line[i] != '{') return false;
  ++i;
  while (i < line.size() && IsSpace(line[i])) ++i;
  const std::string_view rest = line.substr(i);
  for (std::string_view key : {std::string_view("\"area\""), std::string_view("\"customer\"")}) {
    if (rest.substr(0, key.size()) != key) continue;
    size_t j = key.size();
    while (j < rest.size() && IsSpace(rest[j])) ++j;
    if (j < rest.size() && rest[j] == ':') return true;
  }
  return false;
}

absl::StatusOr<ReplaySummary> Replay(const ReplayOptions& options, std::istream& input,
                                     std::ostream& output, std::ostream* diagnostics,
                                     const Clock& clock) {
  const absl::Time started = clock.Now();
  // One rules directory: everything in it (window and deadline rules, limits,
  // calendars, lifecycle policy). Otherwise window rule files only.
  ledger::RuleBundle bundle;
  std::error_code ec;
  if (options.rules.size() == 1 && std::filesystem::is_directory(options.rules[0], ec)) {
    absl::StatusOr<ledger::RuleBundle> loaded = ledger::LoadRuleBundle(options.rules[0]);
    if (!loaded.ok()) return loaded.status();
    bundle = *std::move(loaded);
  } else {
    auto rule_files = ExpandRulePaths(options.rules);
    if (!rule_files.ok()) return rule_files.status();
    auto rule_set = rules::LoadRuleFiles(*rule_files);
    if (!rule_set.ok()) return rule_set.status();
    bundle.rules = *std::move(rule_set);
    bundle.deadlines = std::make_shared<engine::DeadlineSet>();
    bundle.policy =
        std::make_shared<const lifecycle::LifecyclePolicy>(lifecycle::LifecyclePolicy::Default());
  }
  ScratchDir scratch;
  if (scratch.path().empty()) return absl::InternalError("cannot create a scratch directory");
  auto store = state::StateStore::Open(scratch.path() + "/state");
  if (!store.ok()) return store.status();

  auto reference = std::make_unique<reference::ReferenceStore>();
  for (const std::string& path : options.reference_files) {
    if (auto s = reference::LoadReferenceFile(path, reference.get()); !s.ok()) return s;
  }
  const uint64_t preloaded = reference->area_count() + reference->customer_count();

  ReplayRun run(options, std::move(bundle), std::move(reference), *std::move(store), output,
                diagnostics);
  if (auto s = run.Open(); !s.ok()) return s;
  run.summary().reference_records = preloaded;
  run.summary().load = clock.Now() - started;
  std::string line;
  uint64_t line_number = 0;
  while (std::getline(input, line)) {
    ++line_number;
    size_t first = 0;
    while (first < line.size() && IsSpace(line[first])) ++first;
    if (first == line.size() || line[first] == '#') continue;
    run.Line(line, line_number);
  }
  if (input.bad()) return absl::DataLossError("reading the input failed");
  if (auto s = run.Finish(); !s.ok()) return s;
  ReplaySummary summary = std::move(run.summary());
  summary.wall = clock.Now() - started;
  return summary;
}

std::string FormatSummary(const ReplaySummary& s) {
  auto by_key = [](const std::map<std::string, uint64_t>& counts) {
    std::string out;
    for (const auto& [key, n] : counts) absl::StrAppend(&out, out.empty() ? "" : " ", key, "=", n);
    return out.empty() ? std::string("none") : out;
  };
  uint64_t rejected = 0;
  for (const auto& [code, n] : s.rejected) rejected += n;
  uint64_t warning_events = 0;
  for (const auto& [type, n] : s.warning_events) warning_events += n;
  const double seconds = absl::ToDoubleSeconds(s.wall);
  const double replay_seconds = absl::ToDoubleSeconds(s.wall - s.load);
  std::string out;
  absl::StrAppend(&out, "events read:       ", s.events, "\n");
  absl::StrAppend(&out, "reference records: ", s.reference_records);
  if (s.reference_refused > 0) absl::StrAppend(&out, " (", s.reference_refused, " refused)");
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out, "rejected:          ", rejected, " (", by_key(s.rejected), ")\n");
  absl::StrAppend(&out, "late:              ", s.late, "\n");
  absl::StrAppend(&out, "warning events:    ", warning_events, " (", by_key(s.warning_events),
                  ")\n");
  absl::StrAppend(&out, "distinct warnings: ", s.distinct_warnings, "\n");
  absl::StrAppend(
      &out,
      absl::StrFormat("wall time:         %.3f s (loading rules and reference "
                      "%.3f s; %.0f events/s after that)\n",
                      seconds, absl::ToDoubleSeconds(s.load),
                      replay_seconds > 0 ? static_cast<double>(s.events) / replay_seconds : 0.0));
  return out;
}

}  // namespace vigil::vigilctl

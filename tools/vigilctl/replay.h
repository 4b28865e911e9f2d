#pragma once

// `vigilctl replay`: runs a rule set over a recorded input file, as vigild
// would over the topics, and writes the warning events.
//
// Input: JSON lines. A line whose first key is "area" or "customer" is a
// vigil.v1.ReferenceRecord (applied to the reference table); any other line is
// a proto3-JSON vigil.v1.Envelope: decoded, validated (now = its own event
// time, so recorded history is not "in the future"), then the watermark moves
// to max(watermark, event time) and the engine applies it. Blank lines and
// lines starting with '#' are skipped.
//
// Output: every WarningEvent as one proto3-JSON line, ledger_seq = 1, 2, 3, ...
// in output order. Deterministic: the same input gives the same bytes.

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processors/common/clock.h"

namespace vigil::vigilctl {

struct ReplayOptions {
  std::vector<std::string> rules;            // rule files or dirs (dirs: their *.yaml)
  std::vector<std::string> reference_files;  // ReferenceRecord JSON lines, loaded first
  std::optional<absl::Time> until;           // final watermark (fires windows closing)
  // Rejected lines described on the diagnostics stream, at most.
  int max_reported_rejections = 10;
};

struct ReplaySummary {
  uint64_t events = 0;                             // envelope lines read
  uint64_t reference_records = 0;                  // reference records applied (files and input)
  uint64_t reference_refused = 0;                  // reference lines that did not decode or apply
  std::map<std::string, uint64_t> rejected;        // by reason code: decode or validation failures
  uint64_t late = 0;                               // refused by the engine as late
  std::map<std::string, uint64_t> warning_events;  // by WarningEvent.type name
  uint64_t distinct_warnings = 0;                  // distinct warning ids
  absl::Duration load;                             // loading rules and reference files
  absl::Duration wall;                             // everything, load included
};

// Replays `input` through the rules into `output`. `diagnostics` (may be null)
// gets one line per rejected input line, up to the option's limit. Errors: the
// rules or reference files do not load, or the output cannot be written.
absl::StatusOr<ReplaySummary> Replay(const ReplayOptions& options, std::istream& input,
                                     std::ostream& output, std::ostream* diagnostics,
                                     const Clock& clock);

// The summary for stderr, several lines.
std::string FormatSummary(const ReplaySummary& summary);

// Whether a JSON line is a ReferenceRecord: its first key is "area" or
// "customer". Looks at the first bytes only.
bool IsReferenceLine(std::string_view line);

}  // namespace vigil::vigilctl

#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace vigil {

// Logs every rejected input (dead-lettered record, refused command, denied
// call) once, with its reason, without letting a broken producer or client
// flood the log: up to `burst` lines per `period`; past that, rejections are
// counted by reason and one summary line reports them when the period ends
// (at the next Reject or Flush). Time is passed in. Not thread-safe: callers
// on several threads hold a lock.
class RejectionLog {
 public:
  using Sink = std::function<void(const std::string& line)>;
  // `more` ends the summary line: where the unlogged rejections can be seen.
  RejectionLog(size_t burst, absl::Duration period, std::string more, Sink sink);

  // One rejection. `line` is built only when it is logged.
  void Reject(absl::Time now, std::string_view reason, const std::function<std::string()>& line);
  // Logs the summary of the rejections not logged, once their period is over.
  void Flush(absl::Time now);

 private:
  size_t burst_;
  absl::Duration period_;
  std::string more_;
  Sink sink_;
  absl::Time period_start_ = absl::InfinitePast();
  size_t logged_ = 0;
  std::map<std::string, size_t, std::less<>> suppressed_;  // reason → count
};

}  // namespace vigil

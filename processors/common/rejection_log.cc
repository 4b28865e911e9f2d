#include "processors/common/rejection_log.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace vigil {

RejectionLog::RejectionLog(size_t burst, absl::Duration period, std::string more, Sink sink)
    : burst_(burst), period_(period), more_(std::move(more)), sink_(std::move(sink)) {}

void RejectionLog::Reject(absl::Time now, std::string_view reason,
                          const std::function<std::string()>& line) {
  Flush(now);
  if (now >= period_start_ + period_) {
    period_start_ = now;
    logged_ = 0;
  }
  if (logged_ < burst_) {
    ++logged_;
    sink_(line());
    return;
  }
  auto it = suppressed_.find(reason);
  if (it == suppressed_.end()) it = suppressed_.emplace(std::string(reason), 0).first;
  ++it->second;
}

void RejectionLog::Flush(absl::Time now) {
  if (suppressed_.empty() || now < period_start_ + period_) return;
  size_t total = 0;
  std::string by_reason;
  for (const auto& [reason, n] : suppressed_) {
    total += n;
    absl::StrAppend(&by_reason, by_reason.empty() ? "" : ", ", reason, " ", n);
  }
  sink_(absl::StrCat(total, " more rejections in the last ", absl::FormatDuration(period_),
                     " not logged one by one (", by_reason, ")", more_));
  suppressed_.clear();
}

}  // namespace vigil

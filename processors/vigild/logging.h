#pragma once

// vigild's logs: plain text for a terminal, or one JSON object per line for a
// log shipper (journald → Loki / Elasticsearch), on stderr, at a chosen level.

#include <spdlog/formatter.h>

#include <array>
#include <memory>
#include <string_view>

#include "absl/status/status.h"

namespace vigil::vigild {

// The values ConfigureLogging (and the config's `logging:` section and
// vigild's --log-format / --log-level flags) accept.
// (const char*, not std::string_view: Debian's Abseil has its own string_view,
// so absl::StrJoin takes these and not std::string_view.)
inline constexpr std::array<const char*, 2> kLogFormats = {"text", "json"};
inline constexpr std::array<const char*, 5> kLogLevels = {"trace", "debug", "info", "warn",
                                                          "error"};

// Formats each record as one line of JSON:
//   {"ts":"2026-11-26T07:01:02.123Z","level":"info","logger":"vigild","thread":1234,"msg":"..."}
// `ts` is UTC with milliseconds; `level` is one of trace, debug, info, warn,
// error, critical (the names --log-level takes). The message is always valid
// JSON: quotes, backslashes and control characters are escaped, UTF-8 is kept
// as is, and bytes that are not UTF-8 become U+FFFD.
// Stateless: one instance may serve several threads.
class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Replaces spdlog's default logger with one named "vigild" that writes to
// stderr in `format` ("text": spdlog's usual pattern; "json": JsonLogFormatter)
// at `level` and above. On an unknown value returns InvalidArgument naming the
// allowed values, and leaves the default logger as it was.
// Call it once at start, before other threads log.
absl::Status ConfigureLogging(std::string_view format, std::string_view level);

}  // namespace vigil::vigild

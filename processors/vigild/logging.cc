#include "processors/vigild/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vigil::vigild {
namespace {

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

void Append(std::string_view s, spdlog::memory_buf_t& dest) {
  dest.append(s.data(), s.data() + s.size());
}

// "2026-11-26T07:01:02.123Z": the record's time in UTC, to the millisecond.
void AppendTimestamp(spdlog::log_clock::time_point time, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time.time_since_epoch());
  const auto day = floor<days>(ms);
  const year_month_day date{sys_days{day}};
  const hh_mm_ss clock{ms - day};
  fmt::format_to(std::back_inserter(dest), "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z",
                 static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                 static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(),
                 clock.seconds().count(), clock.subseconds().count());
}

// `s` as a JSON string literal, quotes included. Valid UTF-8 stays as it is
// (not \u-escaped: Chinese text stays readable); invalid bytes become U+FFFD
// rather than invalid JSON or an exception.
void AppendJsonString(std::string_view s, spdlog::memory_buf_t& dest) {
  const nlohmann::json value = std::string(s);
  const std::string quoted = value.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                                        nlohmann::json::error_handler_t::replace);
  Append(quoted, dest);
}

std::string_view View(spdlog::string_view_t s) { return std::string_view(s.data(), s.size()); }

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  Append(R"({"ts":")", dest);
  AppendTimestamp(msg.time, dest);
  Append(R"(","level":")", dest);
  Append(LevelName(msg.level), dest);
  Append(R"(","logger":)", dest);
  AppendJsonString(View(msg.logger_name), dest);
  fmt::format_to(std::back_inserter(dest), R"(,"thread":{},"msg":)", msg.thread_id);
  AppendJsonString(View(msg.payload), dest);
  Append("}\n", dest);
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

absl::Status ConfigureLogging(std::string_view format, std::string_view level) {
  if (std::find(kLogFormats.begin(), kLogFormats.end(), format) == kLogFormats.end()) {
    return absl::InvalidArgumentError(absl::StrCat("log format \"", std::string(format),
                                                   "\": must be one of ",
                                                   absl::StrJoin(kLogFormats, ", ")));
  }
  const auto level_it = std::find(kLogLevels.begin(), kLogLevels.end(), level);
  if (level_it == kLogLevels.end()) {
    return absl::InvalidArgumentError(absl::StrCat("log level \"", std::string(level),
                                                   "\": must be one of ",
                                                   absl::StrJoin(kLogLevels, ", ")));
  }
  // In the order of kLogLevels.
  constexpr std::array<spdlog::level::level_enum, kLogLevels.size()> kSpdlogLevels = {
      spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
      spdlog::level::err};

  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    // No colour codes in JSON, even on a terminal.
    logger = std::make_shared<spdlog::logger>("vigild",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger = std::make_shared<spdlog::logger>(
        "vigild", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  logger->set_level(kSpdlogLevels[static_cast<size_t>(level_it - kLogLevels.begin())]);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace vigil::vigild

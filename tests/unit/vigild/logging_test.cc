#include "processors/vigild/logging.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace vigil::vigild {
namespace {

using namespace std::chrono_literals;

// 2026-11-26T07:01:02.123456789Z.
spdlog::log_clock::time_point SampleTime() {
  return spdlog::log_clock::time_point(
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 26}.time_since_epoch() + 7h + 1min + 2s +
      123456789ns);
}

class JsonLogFormatterTest : public testing::Test {
 protected:
  // One record through the formatter, as spdlog would pass it.
  std::string Format(std::string_view payload,
                     spdlog::level::level_enum level = spdlog::level::info,
                     spdlog::log_clock::time_point time = SampleTime(),
                     std::string_view logger = "vigild") {
    const spdlog::details::log_msg msg(time, spdlog::source_loc{},
                                       spdlog::string_view_t(logger.data(), logger.size()), level,
                                       spdlog::string_view_t(payload.data(), payload.size()));
    spdlog::memory_buf_t out;
    formatter_.format(msg, out);
    return std::string(out.data(), out.size());
  }

  // Formats `payload` and parses the line back; fails the test on a bad line.
  nlohmann::json FormatAndParse(std::string_view payload,
                                spdlog::level::level_enum level = spdlog::level::info) {
    const std::string line = Format(payload, level);
    EXPECT_FALSE(line.empty());
    if (line.empty()) return nullptr;
    EXPECT_EQ(line.back(), '\n') << line;
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "not one line: " << line;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    return j;
  }

  JsonLogFormatter formatter_;
};

// A record is one JSON object on one line: ts, level, logger, thread, msg, in that order.
TEST_F(JsonLogFormatterTest, WritesOneObjectPerLine) {
  const std::string line = Format("vigild consuming");
  EXPECT_EQ(line.rfind(R"({"ts":"2026-11-26T07:01:02.123Z","level":"info","logger":"vigild",)", 0),
            0u)
      << line;
  const nlohmann::json j = nlohmann::json::parse(line);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 5u) << line;
  EXPECT_EQ(j.at("msg").get<std::string>(), "vigild consuming");
  EXPECT_EQ(j.at("logger").get<std::string>(), "vigild");
  EXPECT_TRUE(j.at("thread").is_number_unsigned()) << line;
  EXPECT_EQ(line.substr(line.size() - 2), "}\n");
}

// ts is UTC, milliseconds truncated (not rounded), always 24 characters.
TEST_F(JsonLogFormatterTest, TimestampIsUtcWithMilliseconds) {
  const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  const nlohmann::json a = nlohmann::json::parse(Format("x"));
  EXPECT_EQ(a.at("ts").get<std::string>(), "2026-11-26T07:01:02.123Z");

  const auto end_of_year = spdlog::log_clock::time_point(
      std::chrono::sys_days{std::chrono::year{2027} / 1 / 1}.time_since_epoch() - 1ns);
  const nlohmann::json b = nlohmann::json::parse(Format("x", spdlog::level::info, end_of_year));
  EXPECT_EQ(b.at("ts").get<std::string>(), "2026-12-31T23:59:59.999Z");

  const nlohmann::json c =
      nlohmann::json::parse(Format("x", spdlog::level::info, spdlog::log_clock::time_point()));
  EXPECT_EQ(c.at("ts").get<std::string>(), "1970-01-01T00:00:00.000Z");

  for (const nlohmann::json& j : {a, b, c}) {
    EXPECT_TRUE(std::regex_match(j.at("ts").get<std::string>(), shape)) << j;
  }
}

// Levels are named as --log-level names them (warn, error), plus critical.
TEST_F(JsonLogFormatterTest, LevelNames) {
  const std::vector<std::pair<spdlog::level::level_enum, std::string>> cases = {
      {spdlog::level::trace, "trace"}, {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},   {spdlog::level::warn, "warn"},
      {spdlog::level::err, "error"},   {spdlog::level::critical, "critical"}};
  for (const auto& [level, name] : cases) {
    EXPECT_EQ(FormatAndParse("m", level).at("level").get<std::string>(), name);
  }
}

// Quotes, backslashes, newlines, tabs, control characters and UTF-8 text all
// come back unchanged from a JSON parser; the line stays one line.
TEST_F(JsonLogFormatterTest, EscapedMessagesRoundTrip) {
  const std::vector<std::string> messages = {
      R"(rule "R13" rejected)",
      R"(path C:\rules\R13.yaml and \" and \\)",
      "rule reload rejected (2 errors); the running rules stay:\nR13.yaml:3:5: bad\nR14.yaml:1:1",
      "a\tb\rc",
      std::string("ctl \x01 \x1f \x7f and nul ") + std::string(1, '\0') + " end",
      "工单 370100 超时告警：延时送电",
      "mixed \"工单\"\n\t\\ 🙂",
      "",
      "}{\"ts\":\"forged\"}",
  };
  for (const std::string& m : messages) {
    const nlohmann::json j = FormatAndParse(m);
    ASSERT_TRUE(j.is_object()) << m;
    EXPECT_EQ(j.at("msg").get<std::string>(), m);
  }
}

// Chinese text is written as UTF-8, not as \u escapes (readable in the journal).
TEST_F(JsonLogFormatterTest, KeepsUtf8AsIs) {
  const std::string line = Format("工单超时");
  EXPECT_NE(line.find("\"msg\":\"工单超时\""), std::string::npos) << line;
  // Control characters are escaped, never written raw.
  const std::string ctl = Format("a\x01z");
  EXPECT_NE(ctl.find(R"(a\u0001z)"), std::string::npos) << ctl;
}

// Bytes that are not UTF-8 become U+FFFD; the line is still valid JSON and the
// valid text around them is kept.
TEST_F(JsonLogFormatterTest, InvalidUtf8IsReplaced) {
  const std::string truncated_chinese = std::string("工").substr(0, 2);
  const std::vector<std::string> messages = {
      "bad \xff\xfe end",
      "key " + truncated_chinese + " end",
      "lone continuation \x80",
      "overlong \xc0\xaf",
  };
  for (const std::string& m : messages) {
    const nlohmann::json j = FormatAndParse(m);
    ASSERT_TRUE(j.is_object()) << m;
    const std::string got = j.at("msg").get<std::string>();
    EXPECT_NE(got.find("\xEF\xBF\xBD"), std::string::npos) << got;  // U+FFFD
    EXPECT_EQ(got.substr(0, m.find(' ') + 1), m.substr(0, m.find(' ') + 1)) << got;
    if (m.ends_with(" end")) {
      EXPECT_TRUE(got.ends_with(" end")) << got;
    }
    // Re-serializing strictly succeeds: what we wrote is valid UTF-8.
    EXPECT_NO_THROW(j.dump()) << got;
  }
}

// Through a real spdlog logger: fmt arguments are formatted first, and the
// logger's name is escaped like the message.
TEST_F(JsonLogFormatterTest, WorksAsALoggersFormatter) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("vig\"ild", sink);
  logger.set_formatter(std::make_unique<JsonLogFormatter>());
  logger.set_level(spdlog::level::debug);
  logger.info("command {} rejected: {}", "c-1", "warning \"W1\" is closed");
  logger.trace("not written");
  logger.warn("second line");

  std::istringstream lines(out.str());
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 2u) << out.str();
  EXPECT_EQ(records[0].at("msg").get<std::string>(),
            "command c-1 rejected: warning \"W1\" is closed");
  EXPECT_EQ(records[0].at("logger").get<std::string>(), "vig\"ild");
  EXPECT_EQ(records[1].at("level").get<std::string>(), "warn");
}

// ConfigureLogging swaps the process's default logger; each test puts the old one back.
class ConfigureLoggingTest : public testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }

  std::shared_ptr<spdlog::logger> saved_;
};

// Unknown formats are refused with the allowed values; the logger is left alone.
TEST_F(ConfigureLoggingTest, RejectsUnknownFormat) {
  for (const std::string format : {"xml", "", "JSON", "text "}) {
    const absl::Status s = ConfigureLogging(format, "info");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << format;
    EXPECT_NE(s.message().find("must be one of text, json"), std::string::npos) << s;
    EXPECT_EQ(spdlog::default_logger(), saved_);
  }
}

// Unknown levels are refused with the allowed values; the logger is left alone.
TEST_F(ConfigureLoggingTest, RejectsUnknownLevel) {
  for (const std::string level : {"verbose", "", "INFO", "warning", "critical", "off"}) {
    const absl::Status s = ConfigureLogging("json", level);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << level;
    EXPECT_NE(s.message().find("must be one of trace, debug, info, warn, error"), std::string::npos)
        << s;
    EXPECT_EQ(spdlog::default_logger(), saved_);
  }
}

// json: the default logger is "vigild" on stderr, writing JSON lines at the level and above.
TEST_F(ConfigureLoggingTest, JsonOnStderrAtLevel) {
  testing::internal::CaptureStderr();
  const absl::Status s = ConfigureLogging("json", "warn");
  spdlog::info("below the level");
  spdlog::warn("rule {} rejected", "\"R13\"");
  spdlog::error("second");
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(spdlog::default_logger()->name(), "vigild");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);

  std::istringstream lines(err);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) records.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(records.size(), 2u) << err;
  EXPECT_EQ(records[0].at("msg").get<std::string>(), "rule \"R13\" rejected");
  EXPECT_EQ(records[0].at("level").get<std::string>(), "warn");
  EXPECT_EQ(records[0].at("logger").get<std::string>(), "vigild");
  EXPECT_EQ(records[1].at("level").get<std::string>(), "error");
}

// text: spdlog's usual pattern, not JSON.
TEST_F(ConfigureLoggingTest, TextOnStderr) {
  testing::internal::CaptureStderr();
  const absl::Status s = ConfigureLogging("text", "debug");
  spdlog::debug("hello {}", 42);
  spdlog::trace("below the level");
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
  EXPECT_NE(err.find("[vigild]"), std::string::npos) << err;
  EXPECT_NE(err.find("hello 42"), std::string::npos) << err;
  EXPECT_EQ(err.find("below the level"), std::string::npos) << err;
  EXPECT_NE(err.front(), '{') << err;
}

}  // namespace
}  // namespace vigil::vigild

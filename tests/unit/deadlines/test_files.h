#pragma once

// A temp directory per test for the deadline tests' YAML files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace vigil::deadlines::testing {

class TempFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("deadlines_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `name` in the temp directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string Dir() const { return dir_.string(); }

  // The lines of an InvalidArgument status (none for OK).
  static std::vector<std::string> Lines(const absl::Status& status) {
    std::vector<std::string> lines;
    if (status.ok()) return lines;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    const std::string message(status.message());
    size_t start = 0;
    while (start <= message.size()) {
      const size_t end = message.find('\n', start);
      lines.push_back(message.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return lines;
  }

  std::filesystem::path dir_;
};

inline std::string RulesDir() { return VIGIL_DEADLINES_RULES_DIR; }

}  // namespace vigil::deadlines::testing

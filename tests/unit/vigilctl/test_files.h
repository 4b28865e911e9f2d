#pragma once

// Fixtures for the vigilctl tests: a scratch directory and a small rule.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vigil::vigilctl::testing {

// A fresh directory under the test temp dir, named after the running test.
inline std::string ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "vigilctl" /
                                    (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string WriteFile(const std::string& dir, const std::string& name,
                             const std::string& text) {
  const std::string path = (std::filesystem::path(dir) / name).string();
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Complaints per transformer area in a sliding hour: blue at 2, yellow at 3;
// 10 min allowed lateness; resolved after 2 h without a new complaint.
inline constexpr char kClusterRule[] = R"yaml(rules:
  - id: T1
    version: "7"
    title: test cluster
    description: complaints per area
    input:
      stream: ticket
      filter:
        kind: [COMPLAINT]
        status: [ACCEPTED]
    key: area
    window:
      type: sliding
      size: 1h
      allowed_lateness: 10m
    condition:
      measure: count
    grades: {IV: 2, III: 3}
    resolve:
      quiet_for: 2h
    message: "{count} complaints in {key}"
)yaml";

}  // namespace vigil::vigilctl::testing

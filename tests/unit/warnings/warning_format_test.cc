#include "processors/warnings/warning_format.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::warnings {
namespace {

// Grades read as the national four-colour names.
TEST(WarningFormatTest, GradeNames) {
  EXPECT_EQ(GradeName(v1::GRADE_IV), "IV (blue)");
  EXPECT_EQ(GradeName(v1::GRADE_III), "III (yellow)");
  EXPECT_EQ(GradeName(v1::GRADE_II), "II (orange)");
  EXPECT_EQ(GradeName(v1::GRADE_I), "I (red)");
  EXPECT_EQ(GradeName(v1::GRADE_UNSPECIFIED), "unspecified");
}

// One line carries the type, id, version, grade, region, time and message.
TEST(WarningFormatTest, FormatWarningEvent) {
  v1::WarningEvent we;
  we.set_type(v1::WarningEvent::UPDATED);
  v1::Warning* w = we.mutable_warning();
  w->set_warning_id("R13-0123456789abcdef");
  w->set_version(4);
  w->set_grade(v1::GRADE_III);
  w->set_region_key("370100/370102/S01/T0001");
  w->mutable_updated_at()->set_seconds(1784102400);  // 2026-07-15T08:00:00Z
  w->set_message("5 LOW_VOLTAGE complaints");
  const std::string line = FormatWarningEvent(we);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("UPDATED  R13-0123456789abcdef v4", 0), 0u) << line;
  for (const char* part : {"III (yellow)", "370100/370102/S01/T0001", "[2026-07-15 08:00]",
                           "5 LOW_VOLTAGE complaints"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " not in " << line;
  }
}

}  // namespace
}  // namespace vigil::warnings

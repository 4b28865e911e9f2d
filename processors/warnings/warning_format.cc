#include "processors/warnings/warning_format.h"

#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace vigil::warnings {

std::string_view GradeRoman(v1::Grade grade) {
  switch (grade) {
    case v1::GRADE_IV:
      return "IV";
    case v1::GRADE_III:
      return "III";
    case v1::GRADE_II:
      return "II";
    case v1::GRADE_I:
      return "I";
    default:
      return "-";
  }
}

std::string_view GradeName(v1::Grade grade) {
  switch (grade) {
    case v1::GRADE_IV:
      return "IV (blue)";
    case v1::GRADE_III:
      return "III (yellow)";
    case v1::GRADE_II:
      return "II (orange)";
    case v1::GRADE_I:
      return "I (red)";
    default:
      return "unspecified";
  }
}

std::string FormatWarningEvent(const v1::WarningEvent& event) {
  const v1::Warning& w = event.warning();
  const absl::Time at = absl::FromUnixSeconds(w.updated_at().seconds());
  return absl::StrFormat("%-8s %s v%d  grade %-12s %s  [%s]  %s",
                         v1::WarningEvent::Type_Name(event.type()), w.warning_id(), w.version(),
                         GradeName(w.grade()), w.region_key(),
                         absl::FormatTime("%Y-%m-%d %H:%M", at, absl::UTCTimeZone()), w.message());
}

}  // namespace vigil::warnings

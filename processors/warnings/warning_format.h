#pragma once

#include <string>
#include <string_view>

#include "vigil/v1/warning.pb.h"

namespace vigil::warnings {

// "IV (blue)", "III (yellow)", "II (orange)", "I (red)".
std::string_view GradeName(v1::Grade grade);
// "IV", "III", "II", "I"; "-" for an unspecified grade.
std::string_view GradeRoman(v1::Grade grade);

// One readable line for a warning event, e.g.
// "RAISED   R13-… v1 IV (blue)  370100/370102/S01/T0001  3 LOW_VOLTAGE complaints …".
std::string FormatWarningEvent(const v1::WarningEvent& event);

}  // namespace vigil::warnings

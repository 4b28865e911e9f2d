#pragma once

// Errors that happen in normal operation are values: absl::Status / StatusOr.
// These macros propagate them, adding context on the way up.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace vigil {

// Returns `status` with `context` prepended to its message ("context: message").
inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(std::string(context), ": ", status.message()));
}

}  // namespace vigil

#define VIGIL_STATUS_CONCAT_INNER(a, b) a##b
#define VIGIL_STATUS_CONCAT(a, b) VIGIL_STATUS_CONCAT_INNER(a, b)

// Returns from the current function if `expr` is not OK.
#define VIGIL_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    if (absl::Status vigil_st = (expr); !vigil_st.ok()) {  \
      return vigil_st;                                     \
    }                                                      \
  } while (false)

// `lhs = value of expr`, or returns its error.
#define VIGIL_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIL_ASSIGN_OR_RETURN_IMPL(VIGIL_STATUS_CONCAT(vigil_sor_, __LINE__), lhs, expr)
#define VIGIL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

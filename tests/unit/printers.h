#pragma once

// gtest printers for project types, so failures show readable values.

#include <ostream>

#include "processors/ingest/rejection.h"

namespace vigil::ingest {

inline void PrintTo(const Rejection& r, std::ostream* os) {
  *os << ReasonCode(r.reason) << ": " << r.detail;
}

}  // namespace vigil::ingest

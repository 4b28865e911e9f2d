#pragma once

#include <cstdint>
#include <string>

#include "vigil/v1/events.pb.h"

namespace vigil::testing {

// R13 as issue 2 defined it: >= 3 accepted complaints in one area within 24 h.
extern const char kR13Rule[];

// An accepted complaint ticket in `area` (station S01, county <city[0:4]>02) of
// `city`, at 2026-07-15T08:00Z + `second`.
v1::Envelope ComplaintEvent(const std::string& id, int64_t second, const std::string& city,
                            const std::string& area,
                            v1::Ticket::Category category = v1::Ticket::LOW_VOLTAGE);

}  // namespace vigil::testing

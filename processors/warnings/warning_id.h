#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::warnings {

// Deterministic warning id "<rule_id>-<16 lowercase hex>": a 64-bit FNV-1a hash
// of the rule id, the rule key and the episode's opening evidence (event time
// in ms and subject id). Equal inputs give equal ids on every machine.
std::string WarningId(std::string_view rule_id, std::string_view key, int64_t opened_ms,
                      std::string_view opening_subject);

}  // namespace vigil::warnings

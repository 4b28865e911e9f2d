#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace vigil::state {

// The one conversion from rocksdb::Status to absl::Status, with context.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view context);

}  // namespace vigil::state

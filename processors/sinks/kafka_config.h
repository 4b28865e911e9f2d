#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "librdkafka/rdkafkacpp.h"

namespace vigil::sinks {

// A librdkafka global config with `properties` applied in order; the first
// property librdkafka refuses is returned as an InvalidArgument naming it.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::map<std::string, std::string>& properties);

}  // namespace vigil::sinks

#include "processors/sinks/kafka_config.h"

#include "absl/strings/str_cat.h"

namespace vigil::sinks {

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeKafkaConf(
    const std::map<std::string, std::string>& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : properties) {
    std::string err;
    if (conf->set(name, value, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka property '", name, "' = '", value, "': ", err));
    }
  }
  return conf;
}

}  // namespace vigil::sinks

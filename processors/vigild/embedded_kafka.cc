#include "processors/vigild/embedded_kafka.h"

// rdkafka.h must come before rdkafka_mock.h.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/strings/str_cat.h"

namespace vigil::vigild {

absl::StatusOr<std::unique_ptr<EmbeddedKafka>> EmbeddedKafka::Start() {
  std::unique_ptr<EmbeddedKafka> k(new EmbeddedKafka());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the mock cluster; it never connects anywhere.
  if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(err);
  }
  k->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!k->rk_) return absl::InternalError(absl::StrCat("embedded kafka handle: ", err));
  k->cluster_ = rd_kafka_mock_cluster_new(k->rk_, 1);
  if (!k->cluster_) return absl::InternalError("cannot start librdkafka's mock cluster");
  k->bootstrap_ = rd_kafka_mock_cluster_bootstraps(k->cluster_);
  return k;
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_) rd_kafka_destroy(rk_);
}

absl::Status EmbeddedKafka::CreateTopic(const std::string& name, int partitions) {
  const rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("creating topic ", name, ": ", rd_kafka_err2str(e)));
  }
  return absl::OkStatus();
}

}  // namespace vigil::vigild

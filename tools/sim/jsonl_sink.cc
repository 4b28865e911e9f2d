#include "tools/sim/jsonl_sink.h"

#include <google/protobuf/util/json_util.h>

#include <iostream>

#include "absl/strings/str_cat.h"

namespace vigil::sim {

absl::StatusOr<std::string> EnvelopeToJson(const v1::Envelope& event) {
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(event, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("JSON of event ", event.event_id(), ": ", std::string(status.message())));
  }
  return json;
}

absl::StatusOr<std::unique_ptr<JsonLinesSink>> JsonLinesSink::Open(const std::string& path) {
  if (path == "-") return std::make_unique<JsonLinesSink>(&std::cout);
  auto file = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*file) return absl::NotFoundError(absl::StrCat(path, ": cannot open for writing"));
  auto sink = std::make_unique<JsonLinesSink>(file.get());
  sink->file_ = std::move(file);
  sink->path_ = path;
  return sink;
}

absl::Status JsonLinesSink::Write(const v1::Envelope& event) {
  absl::StatusOr<std::string> json = EnvelopeToJson(event);
  if (!json.ok()) return json.status();
  json->push_back('\n');
  out_->write(json->data(), static_cast<std::streamsize>(json->size()));
  if (!*out_)
    return absl::DataLossError(absl::StrCat(path_.empty() ? "stdout" : path_, ": write failed"));
  return absl::OkStatus();
}

absl::Status JsonLinesSink::Close() {
  out_->flush();
  if (file_) file_->close();
  if (!*out_)
    return absl::DataLossError(absl::StrCat(path_.empty() ? "stdout" : path_, ": write failed"));
  return absl::OkStatus();
}

}  // namespace vigil::sim

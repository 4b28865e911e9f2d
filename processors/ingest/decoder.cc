#include "processors/ingest/decoder.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace vigil::ingest {

std::optional<Rejection> Decode(std::string_view bytes, Format format, v1::Envelope* out) {
  out->Clear();
  if (bytes.empty()) return Rejection{RejectReason::kDecodeFailed, "empty record value"};
  if (format == Format::kProtobuf) {
    if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return Rejection{RejectReason::kDecodeFailed,
                       absl::StrCat("not a vigil.v1.Envelope in binary Protobuf (", bytes.size(),
                                    " bytes)")};
    }
    return std::nullopt;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(bytes.data(), bytes.size()), out, options);
  if (!status.ok()) {
    return Rejection{RejectReason::kDecodeFailed,
                     absl::StrCat("not a vigil.v1.Envelope in proto3 JSON: ", status.ToString())};
  }
  return std::nullopt;
}

}  // namespace vigil::ingest

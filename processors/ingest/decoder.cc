#include "processors/ingest/decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace vigil::ingest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool IsWellKnown(const Descriptor* type) { return type->file()->package() == "google.protobuf"; }

std::optional<std::string> CheckEnumNamesIn(const Descriptor* type,
                                            const google::protobuf::Value& value,
                                            const std::string& path);

// The field a JSON member names: by its JSON (lowerCamel) name or its proto name.
const FieldDescriptor* FieldByJsonKey(const Descriptor* type, const std::string& key) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    if (field->json_name() == key || field->name() == key) return field;
  }
  return nullptr;
}

// Checks the string values of `field` (an enum, or a message holding enums).
std::optional<std::string> CheckFieldValue(const FieldDescriptor* field,
                                           const google::protobuf::Value& value,
                                           const std::string& path) {
  if (value.has_list_value() && field->is_repeated()) {
    for (const auto& element : value.list_value().values()) {
      if (auto bad = CheckFieldValue(field, element, path)) return bad;
    }
    return std::nullopt;
  }
  if (field->enum_type() != nullptr && value.has_string_value() &&
      field->enum_type()->FindValueByName(value.string_value()) == nullptr) {
    return absl::StrCat(path, ": unknown enum value \"", value.string_value(), "\" for ",
                        field->enum_type()->full_name());
  }
  if (field->message_type() != nullptr && !IsWellKnown(field->message_type())) {
    return CheckEnumNamesIn(field->message_type(), value, path);
  }
  return std::nullopt;
}

// Finds an enum name the schema does not know anywhere under `value` (a JSON
// object of `type`). The lenient parse, which must ignore unknown fields, would
// silently turn such a name into the enum's default.
std::optional<std::string> CheckEnumNamesIn(const Descriptor* type,
                                            const google::protobuf::Value& value,
                                            const std::string& path) {
  if (!value.has_struct_value()) return std::nullopt;
  for (const auto& [name, member] : value.struct_value().fields()) {
    const FieldDescriptor* field = FieldByJsonKey(type, name);
    if (field == nullptr) continue;  // unknown field: ignored
    const std::string field_path =
        path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
    if (field->is_map()) {
      const FieldDescriptor* map_value = field->message_type()->map_value();
      if (!member.has_struct_value()) continue;
      for (const auto& [key, entry] : member.struct_value().fields()) {
        if (auto bad = CheckFieldValue(map_value, entry, absl::StrCat(field_path, "[", key, "]"))) {
          return bad;
        }
      }
      continue;
    }
    if (auto bad = CheckFieldValue(field, member, field_path)) return bad;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> Decode(std::string_view bytes, Format format, v1::Envelope* out) {
  out->Clear();
  if (bytes.empty()) return Rejection{RejectReason::kDecodeFailed, "empty record value"};
  if (format == Format::kProtobuf) {
    if (!out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return Rejection{
          RejectReason::kDecodeFailed,
          absl::StrCat("not a vigil.v1.Envelope in binary Protobuf (", bytes.size(), " bytes)")};
    }
    return std::nullopt;
  }
  const google::protobuf::StringPiece json(bytes.data(), bytes.size());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, out, options);
  if (!status.ok()) {
    return Rejection{RejectReason::kDecodeFailed,
                     absl::StrCat("not a vigil.v1.Envelope in proto3 JSON: ", status.ToString())};
  }
  // ignore_unknown_fields also ignores unknown enum names; refuse those here.
  google::protobuf::Value tree;
  if (google::protobuf::util::JsonStringToMessage(json, &tree).ok()) {
    if (auto bad = CheckEnumNamesIn(out->GetDescriptor(), tree, "")) {
      out->Clear();
      return Rejection{RejectReason::kDecodeFailed,
                       absl::StrCat("not a vigil.v1.Envelope in proto3 JSON: ", *bad)};
    }
  }
  return std::nullopt;
}

}  // namespace vigil::ingest

#include "processors/reference/record_json.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace vigil::reference {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A reader for the plain subset of proto3 JSON. Every method returns false as
// soon as the text leaves the subset; the caller then uses protobuf's parser,
// which either accepts the text with its full rules or names the error.
class PlainJsonReader {
 public:
  explicit PlainJsonReader(std::string_view text) : text_(text) {}

  bool ReadDocument(Message* message) {
    if (!ReadObject(message, /*depth=*/0)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  static constexpr int kMaxDepth = 8;
  static constexpr int kMaxFields = 16;  // per object; more goes to protobuf's parser

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  bool ConsumeWord(std::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // A string of printable ASCII without escapes.
  bool ReadString(std::string_view* out) {
    if (!Consume('"')) return false;
    const size_t start = pos_;
    for (; pos_ < text_.size(); ++pos_) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        *out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
    }
    return false;
  }

  // A non-negative integer without sign, leading zeros, fraction or exponent
  // (those end the number early and fail at the next token).
  bool ReadUint32(uint32_t* out) {
    SkipSpace();
    const size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      value = value * 10 + static_cast<uint64_t>(text_[pos_] - '0');
      if (value > UINT32_MAX) return false;
      ++pos_;
    }
    const size_t digits = pos_ - start;
    if (digits == 0 || (digits > 1 && text_[start] == '0')) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  }

  // The field named `key` by its JSON name or its proto name, as protobuf's parser.
  static const FieldDescriptor* FindField(const Descriptor& type, std::string_view key) {
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor* field = type.field(i);
      if (field->json_name() == key || field->name() == key) return field;
    }
    return nullptr;
  }

  bool ReadObject(Message* message, int depth) {
    if (depth > kMaxDepth || !Consume('{')) return false;
    if (Consume('}')) return true;
    const Descriptor& type = *message->GetDescriptor();
    const Reflection& reflection = *message->GetReflection();
    const FieldDescriptor* seen[kMaxFields];
    int seen_count = 0;
    do {
      std::string_view key;
      if (!ReadString(&key) || !Consume(':')) return false;
      const FieldDescriptor* field = FindField(type, key);
      if (field == nullptr || field->is_repeated() || seen_count == kMaxFields ||
          std::find(seen, seen + seen_count, field) != seen + seen_count) {
        return false;
      }
      if (field->real_containing_oneof() != nullptr &&
          reflection.HasOneof(*message, field->real_containing_oneof())) {
        return false;
      }
      seen[seen_count++] = field;
      if (!ReadField(message, reflection, field, depth)) return false;
    } while (Consume(','));
    return Consume('}');
  }

  bool ReadField(Message* message, const Reflection& reflection, const FieldDescriptor* field,
                 int depth) {
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        // Well-known types (Timestamp, wrappers, Struct, Any …) have their own JSON forms.
        if (field->message_type()->file()->package() == "google.protobuf") return false;
        return ReadObject(reflection.MutableMessage(message, field), depth + 1);
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string_view value;
        if (field->type() == FieldDescriptor::TYPE_BYTES || !ReadString(&value)) return false;
        reflection.SetString(message, field, std::string(value));
        return true;
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (ConsumeWord("true")) {
          reflection.SetBool(message, field, true);
          return true;
        }
        if (ConsumeWord("false")) {
          reflection.SetBool(message, field, false);
          return true;
        }
        return false;
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t value = 0;
        if (!ReadUint32(&value)) return false;
        reflection.SetUInt32(message, field, value);
        return true;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        std::string_view name;
        if (!ReadString(&name)) return false;
        const EnumValueDescriptor* value = field->enum_type()->FindValueByName(std::string(name));
        if (value == nullptr) return false;
        reflection.SetEnumValue(message, field, value->number());
        return true;
      }
      default:
        return false;  // other scalar types are not in the subset
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool ParsePlainJson(std::string_view json, Message* message) {
  message->Clear();
  return PlainJsonReader(json).ReadDocument(message);
}

absl::Status ParseReferenceRecordJson(std::string_view json, v1::ReferenceRecord* record) {
  if (ParsePlainJson(json, record)) return absl::OkStatus();
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), record);
  if (parsed.ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("not a vigil.v1.ReferenceRecord in proto3 JSON: ",
                   std::string(parsed.message().data(), parsed.message().size())));
}

}  // namespace vigil::reference

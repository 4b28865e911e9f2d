#include "tools/sim/reference.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "vigil/v1/reference.pb.h"

namespace vigil::sim {
namespace {

v1::AreaClass ToProto(AreaClass c) {
  switch (c) {
    case AreaClass::kUrban:
      return v1::URBAN;
    case AreaClass::kRural:
      return v1::RURAL;
    case AreaClass::kRemote:
      return v1::REMOTE;
  }
  return v1::AREA_CLASS_UNSPECIFIED;
}

// TaggedCustomer::important_level: 0 特级, 1 一级, 2 二级.
v1::ImportantLevel LevelToProto(uint8_t level) {
  return level == 0 ? v1::SPECIAL : level == 1 ? v1::FIRST : v1::SECOND;
}

// Appends the record as one proto3-JSON line (default options: lowerCamelCase
// names, enum names, default values omitted; deterministic field order).
absl::Status AppendLine(const v1::ReferenceRecord& record, std::string* json, std::ostream& out) {
  json->clear();
  const auto s = google::protobuf::util::MessageToJsonString(record, json);
  if (!s.ok()) {
    return absl::InternalError(absl::StrCat("reference record to JSON: ",
                                            std::string(s.message().data(), s.message().size())));
  }
  json->push_back('\n');
  out << *json;
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteReference(const Topology& t, const TopologyOptions& /*options*/,
                            std::ostream& out) {
  // Reused across lines: a full province has ~300 k areas and ~600 k tagged customers.
  v1::ReferenceRecord area_record;
  v1::ReferenceRecord customer_record;
  std::string json;
  for (uint32_t a = 0; a < t.areas().size(); ++a) {
    const Area& area = t.areas()[a];
    v1::AreaInfo* info = area_record.mutable_area();
    t.FillAreaRegion(a, info->mutable_region());
    info->set_area_class(ToProto(area.cls));
    info->set_customers(area.customers);
    if (absl::Status s = AppendLine(area_record, &json, out); !s.ok()) return s;
    for (uint32_t i = 0; i < area.tagged; ++i) {
      const TaggedCustomer& c = t.tagged()[area.first_tagged + i];
      v1::CustomerInfo* customer = customer_record.mutable_customer();
      customer->Clear();
      customer->set_customer_id(t.CustomerId(a, c.slot));
      customer->set_area_id(info->region().area_id());
      if (c.tags & kImportant) customer->set_important_level(LevelToProto(c.important_level));
      customer->set_sensitive((c.tags & kSensitive) != 0);
      customer->set_tendency_12398((c.tags & kTendency12398) != 0);
      if (absl::Status s = AppendLine(customer_record, &json, out); !s.ok()) return s;
    }
  }
  if (!out) return absl::DataLossError("writing the reference data failed");
  return absl::OkStatus();
}

absl::Status WriteReferenceFile(const Topology& t, const TopologyOptions& options,
                                const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::NotFoundError(absl::StrCat(path, ": cannot open for writing"));
  absl::Status s = WriteReference(t, options, out);
  out.close();
  if (s.ok() && !out) return absl::DataLossError(absl::StrCat(path, ": write failed"));
  return s;
}

}  // namespace vigil::sim

#include "processors/reference/reference_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "processors/common/status.h"

namespace vigil::reference {
namespace {

constexpr std::string_view kAreaPrefix = "area:";
constexpr std::string_view kCustomerPrefix = "customer:";

// Debian's absl::string_view is its own type, not std::string_view.
absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// The region id an area contributes to at each Scope, in the enum's order.
std::array<const std::string*, 5> ScopeIds(const v1::Region& r) {
  return {&r.feeder_id(), &r.station_id(), &r.county_code(), &r.city_code(), &r.province_code()};
}

// Adds `delta` (which may be negative) to a counter, dropping it at zero so
// that maps hold only live ids.
template <typename Map, typename Key>
void AddCount(Map& map, const Key& key, int64_t delta) {
  auto it = map.find(key);
  if (it == map.end()) {
    if (delta > 0) map.emplace(key, static_cast<uint64_t>(delta));
    return;
  }
  it->second = static_cast<uint64_t>(static_cast<int64_t>(it->second) + delta);
  if (it->second == 0) map.erase(it);
}

absl::Status CheckArea(const v1::AreaInfo& area) {
  const v1::Region& r = area.region();
  const std::string& id = r.area_id();
  if (id.empty()) return absl::InvalidArgumentError("area record without region.area_id");
  for (const auto& [value, name] : {std::pair{&r.feeder_id(), "feeder_id"},
                                    {&r.station_id(), "station_id"},
                                    {&r.county_code(), "county_code"},
                                    {&r.city_code(), "city_code"},
                                    {&r.province_code(), "province_code"}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("area ", id, ": region.", name, " is empty"));
    }
  }
  if (area.customers() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("area ", id, ": customers must be > 0"));
  }
  if (!v1::AreaClass_IsValid(area.area_class())) {
    return absl::InvalidArgumentError(
        absl::StrCat("area ", id, ": unknown area_class ", area.area_class()));
  }
  return absl::OkStatus();
}

absl::Status CheckCustomer(const v1::CustomerInfo& customer) {
  const std::string& id = customer.customer_id();
  if (id.empty()) return absl::InvalidArgumentError("customer record without customer_id");
  if (customer.area_id().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("customer ", id, ": area_id is empty"));
  }
  if (!v1::ImportantLevel_IsValid(customer.important_level())) {
    return absl::InvalidArgumentError(
        absl::StrCat("customer ", id, ": unknown important_level ", customer.important_level()));
  }
  return absl::OkStatus();
}

}  // namespace

bool ReferenceStore::AreaTags::empty() const {
  return sensitive == 0 && tendency_12398 == 0 &&
         std::all_of(by_level.begin(), by_level.end(), [](uint32_t n) { return n == 0; });
}

absl::Status ReferenceStore::Apply(const v1::ReferenceRecord& record) {
  switch (record.record_case()) {
    case v1::ReferenceRecord::kArea:
      return ApplyArea(record.area());
    case v1::ReferenceRecord::kCustomer:
      return ApplyCustomer(record.customer());
    case v1::ReferenceRecord::RECORD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("reference record with neither area nor customer");
}

absl::Status ReferenceStore::ApplyArea(const v1::AreaInfo& area) {
  VIGIL_RETURN_IF_ERROR(CheckArea(area));
  auto [it, inserted] = areas_.try_emplace(area.region().area_id());
  if (!inserted) IndexArea(it->second, -1);
  it->second = area;
  IndexArea(it->second, +1);
  ++generation_;
  return absl::OkStatus();
}

absl::Status ReferenceStore::ApplyCustomer(const v1::CustomerInfo& customer) {
  VIGIL_RETURN_IF_ERROR(CheckCustomer(customer));
  auto [it, inserted] = customers_.try_emplace(customer.customer_id());
  if (!inserted) IndexCustomer(it->second, -1);
  it->second = customer;
  IndexCustomer(it->second, +1);
  ++generation_;
  return absl::OkStatus();
}

void ReferenceStore::Delete(std::string_view record_key) {
  if (record_key.starts_with(kAreaPrefix)) {
    DeleteArea(record_key.substr(kAreaPrefix.size()));
  } else if (record_key.starts_with(kCustomerPrefix)) {
    DeleteCustomer(record_key.substr(kCustomerPrefix.size()));
  }
}

void ReferenceStore::DeleteArea(std::string_view area_id) {
  auto it = areas_.find(AbslView(area_id));
  if (it == areas_.end()) return;
  IndexArea(it->second, -1);
  areas_.erase(it);
  ++generation_;
}

void ReferenceStore::DeleteCustomer(std::string_view customer_id) {
  auto it = customers_.find(AbslView(customer_id));
  if (it == customers_.end()) return;
  IndexCustomer(it->second, -1);
  customers_.erase(it);
  ++generation_;
}

void ReferenceStore::IndexArea(const v1::AreaInfo& area, int sign) {
  const v1::Region& r = area.region();
  const std::array<const std::string*, 5> ids = ScopeIds(r);
  for (size_t scope = 0; scope < ids.size(); ++scope) {
    AddCount(customers_in_[scope], *ids[scope], sign * static_cast<int64_t>(area.customers()));
  }
  if (sign > 0) {
    std::vector<std::string>& on_feeder = feeder_areas_[r.feeder_id()];
    // Files list a feeder's areas in order, so this is usually an append.
    auto pos = std::lower_bound(on_feeder.begin(), on_feeder.end(), r.area_id());
    if (pos == on_feeder.end() || *pos != r.area_id()) on_feeder.insert(pos, r.area_id());
  } else {
    auto feeder = feeder_areas_.find(r.feeder_id());
    if (feeder == feeder_areas_.end()) return;
    std::vector<std::string>& on_feeder = feeder->second;
    auto pos = std::lower_bound(on_feeder.begin(), on_feeder.end(), r.area_id());
    if (pos != on_feeder.end() && *pos == r.area_id()) on_feeder.erase(pos);
    if (on_feeder.empty()) feeder_areas_.erase(feeder);
  }
}

void ReferenceStore::IndexCustomer(const v1::CustomerInfo& customer, int sign) {
  const v1::ImportantLevel level = customer.important_level();
  if (!customer.sensitive() && !customer.tendency_12398() &&
      level == v1::IMPORTANT_LEVEL_UNSPECIFIED) {
    return;  // no tags: nothing to count
  }
  AreaTags& tags = area_tags_[customer.area_id()];
  const uint32_t delta = static_cast<uint32_t>(sign);  // +1 or wraps to -1
  if (customer.sensitive()) tags.sensitive += delta;
  if (customer.tendency_12398()) tags.tendency_12398 += delta;
  if (level != v1::IMPORTANT_LEVEL_UNSPECIFIED) tags.by_level[level] += delta;
  if (tags.empty()) area_tags_.erase(customer.area_id());
}

const v1::AreaInfo* ReferenceStore::Area(std::string_view area_id) const {
  auto it = areas_.find(AbslView(area_id));
  return it == areas_.end() ? nullptr : &it->second;
}

const v1::CustomerInfo* ReferenceStore::Customer(std::string_view customer_id) const {
  auto it = customers_.find(AbslView(customer_id));
  return it == customers_.end() ? nullptr : &it->second;
}

const std::vector<std::string>& ReferenceStore::AreasOfFeeder(std::string_view feeder_id) const {
  auto it = feeder_areas_.find(AbslView(feeder_id));
  return it == feeder_areas_.end() ? no_areas_ : it->second;
}

uint64_t ReferenceStore::CustomersIn(Scope scope, std::string_view id) const {
  const auto& map = customers_in_[static_cast<size_t>(scope)];
  auto it = map.find(AbslView(id));
  return it == map.end() ? 0 : it->second;
}

v1::ImportantLevel ReferenceStore::MostImportantIn(std::string_view area_id) const {
  auto it = area_tags_.find(AbslView(area_id));
  if (it == area_tags_.end()) return v1::IMPORTANT_LEVEL_UNSPECIFIED;
  // Enum values run from the most important (SPECIAL = 1) down.
  for (int level = v1::ImportantLevel_MIN + 1; level <= v1::ImportantLevel_MAX; ++level) {
    if (it->second.by_level[level] > 0) return static_cast<v1::ImportantLevel>(level);
  }
  return v1::IMPORTANT_LEVEL_UNSPECIFIED;
}

bool ReferenceStore::AnyTaggedIn(std::string_view area_id, v1::Ticket::Tag tag) const {
  auto it = area_tags_.find(AbslView(area_id));
  if (it == area_tags_.end()) return false;
  const AreaTags& tags = it->second;
  switch (tag) {
    case v1::Ticket::SENSITIVE:
      return tags.sensitive > 0;
    case v1::Ticket::TENDENCY_12398:
      return tags.tendency_12398 > 0;
    case v1::Ticket::IMPORTANT_CUSTOMER:
      return std::any_of(tags.by_level.begin() + 1, tags.by_level.end(),
                         [](uint32_t n) { return n > 0; });
    default:
      return false;
  }
}

void ReferenceStore::TagsOf(std::string_view customer_id, std::vector<v1::Ticket::Tag>* out) const {
  const v1::CustomerInfo* c = Customer(customer_id);
  if (c == nullptr) return;
  if (c->important_level() != v1::IMPORTANT_LEVEL_UNSPECIFIED) {
    out->push_back(v1::Ticket::IMPORTANT_CUSTOMER);
  }
  if (c->sensitive()) out->push_back(v1::Ticket::SENSITIVE);
  if (c->tendency_12398()) out->push_back(v1::Ticket::TENDENCY_12398);
}

size_t ReferenceStore::area_count() const { return areas_.size(); }

size_t ReferenceStore::customer_count() const { return customers_.size(); }

std::string RecordKey(const v1::ReferenceRecord& record) {
  switch (record.record_case()) {
    case v1::ReferenceRecord::kArea:
      return absl::StrCat(AbslView(kAreaPrefix), record.area().region().area_id());
    case v1::ReferenceRecord::kCustomer:
      return absl::StrCat(AbslView(kCustomerPrefix), record.customer().customer_id());
    case v1::ReferenceRecord::RECORD_NOT_SET:
      break;
  }
  return "";
}

}  // namespace vigil::reference

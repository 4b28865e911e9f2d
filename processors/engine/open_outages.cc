#include "processors/engine/open_outages.h"

#include <algorithm>

namespace vigil::engine {
namespace {

int64_t ToMs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

}  // namespace

bool OpenOutages::Apply(const v1::Envelope& event, const reference::ReferenceStore& ref,
                        bool* opened) {
  *opened = false;
  const v1::OutageEvent& o = event.outage();
  switch (o.phase()) {
    case v1::OutageEvent::STARTED:
    case v1::OutageEvent::ESTIMATE_CHANGED: {
      if (open_.count(o.outage_id())) return false;
      if (o.phase() == v1::OutageEvent::ESTIMATE_CHANGED && !o.has_start_time()) return false;
      internal::OpenOutage rec;
      rec.set_outage_id(o.outage_id());
      *rec.mutable_region() = event.region();
      std::vector<std::string> areas(o.area_ids().begin(), o.area_ids().end());
      std::vector<std::string> feeders(o.feeder_ids().begin(), o.feeder_ids().end());
      for (const std::string& f : o.feeder_ids()) {
        const auto& fa = ref.AreasOfFeeder(f);
        areas.insert(areas.end(), fa.begin(), fa.end());
      }
      if (areas.empty() && feeders.empty() && !event.region().area_id().empty()) {
        areas.push_back(event.region().area_id());
      }
      std::sort(areas.begin(), areas.end());
      areas.erase(std::unique(areas.begin(), areas.end()), areas.end());
      std::sort(feeders.begin(), feeders.end());
      feeders.erase(std::unique(feeders.begin(), feeders.end()), feeders.end());
      for (const std::string& a : areas) {
        rec.add_area_ids(a);
        const v1::AreaInfo* info = ref.Area(a);
        rec.add_area_customers(info ? info->customers() : 0);
      }
      for (const std::string& f : feeders) rec.add_feeder_ids(f);
      rec.set_start_ms(o.has_start_time() ? ToMs(o.start_time()) : ToMs(event.event_time()));
      Open(rec, &ref);
      *opened = true;
      return true;
    }
    case v1::OutageEvent::RESTORED:
    case v1::OutageEvent::CANCELLED:
      if (!open_.count(o.outage_id())) return false;
      Close(o.outage_id());
      return true;
    default:
      return false;
  }
}

void OpenOutages::Open(const internal::OpenOutage& o, const reference::ReferenceStore* ref) {
  internal::OpenOutage& rec = open_[o.outage_id()] = o;
  for (int i = 0; i < rec.area_ids_size(); ++i) {
    const std::string& a = rec.area_ids(i);
    if (area_refs_[a]++ > 0) continue;
    AreaOut out;
    const v1::AreaInfo* info = ref ? ref->Area(a) : nullptr;
    const v1::Region& r = info ? info->region() : rec.region();
    out.customers = info ? info->customers() : (i < rec.area_customers_size() ? rec.area_customers(i) : 0);
    out.feeder = r.feeder_id();
    out.station = r.station_id();
    out.county = r.county_code();
    out.city = r.city_code();
    out.province = r.province_code();
    customers_out_[0][out.feeder] += out.customers;
    customers_out_[1][out.station] += out.customers;
    customers_out_[2][out.county] += out.customers;
    customers_out_[3][out.city] += out.customers;
    customers_out_[4][out.province] += out.customers;
    area_out_[a] = std::move(out);
  }
  for (const std::string& f : rec.feeder_ids()) ++feeder_refs_[f];
  dirty_.insert(o.outage_id());
}

void OpenOutages::Close(const std::string& outage_id) {
  auto it = open_.find(outage_id);
  if (it == open_.end()) return;
  for (const std::string& a : it->second.area_ids()) {
    auto ref = area_refs_.find(a);
    if (ref == area_refs_.end() || --ref->second > 0) continue;
    area_refs_.erase(ref);
    auto out = area_out_.find(a);
    if (out == area_out_.end()) continue;
    const AreaOut& o = out->second;
    const std::string* ids[5] = {&o.feeder, &o.station, &o.county, &o.city, &o.province};
    for (int s = 0; s < 5; ++s) {
      auto c = customers_out_[s].find(*ids[s]);
      if (c == customers_out_[s].end()) continue;
      c->second -= std::min(c->second, o.customers);
      if (c->second == 0) customers_out_[s].erase(c);
    }
    area_out_.erase(out);
  }
  for (const std::string& f : it->second.feeder_ids()) {
    auto ref = feeder_refs_.find(f);
    if (ref != feeder_refs_.end() && --ref->second == 0) feeder_refs_.erase(ref);
  }
  open_.erase(it);
  dirty_.insert(outage_id);
}

void OpenOutages::Restore(const internal::OpenOutage& o) { Open(o, nullptr); }

bool OpenOutages::CoversArea(const std::string& area_id) const {
  return !area_id.empty() && area_refs_.contains(area_id);
}

bool OpenOutages::CoversFeeder(const std::string& feeder_id) const {
  return !feeder_id.empty() && feeder_refs_.contains(feeder_id);
}

bool OpenOutages::Covers(const v1::Region& region) const {
  return CoversArea(region.area_id()) || CoversFeeder(region.feeder_id());
}

uint64_t OpenOutages::CustomersOut(reference::Scope scope, const std::string& id) const {
  const auto& m = customers_out_[static_cast<int>(scope)];
  auto it = m.find(id);
  return it == m.end() ? 0 : it->second;
}

const internal::OpenOutage* OpenOutages::Find(const std::string& outage_id) const {
  auto it = open_.find(outage_id);
  return it == open_.end() ? nullptr : &it->second;
}

}  // namespace vigil::engine

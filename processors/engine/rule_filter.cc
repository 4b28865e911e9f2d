#include "processors/engine/rule_filter.h"

#include <algorithm>
#include <vector>

#include "processors/engine/window_measure.h"

namespace vigil::engine {
namespace {

template <typename T>
bool In(const std::vector<T>& allowed, T value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

const std::string& CustomerOf(const v1::Envelope& event) {
  static const std::string kEmpty;
  if (event.has_ticket()) return event.ticket().customer_id();
  if (event.has_repeat_call()) return event.repeat_call().customer_id();
  return kEmpty;
}

}  // namespace

bool StreamMatches(rules::Stream stream, const v1::Envelope& event) {
  switch (stream) {
    case rules::Stream::kTicket: return event.has_ticket();
    case rules::Stream::kOutage: return event.has_outage();
    case rules::Stream::kRepeatCall: return event.has_repeat_call();
  }
  return false;
}

uint32_t TagBits(const v1::Envelope& event, const reference::ReferenceStore& ref) {
  uint32_t bits = 0;
  if (event.has_ticket()) {
    for (int tag : event.ticket().tags()) bits |= TagBit(tag);
  }
  const std::string& customer = CustomerOf(event);
  if (!customer.empty()) {
    std::vector<v1::Ticket::Tag> tags;
    ref.TagsOf(customer, &tags);
    for (v1::Ticket::Tag tag : tags) bits |= TagBit(tag);
  }
  return bits;
}

int ImportantLevelInScope(const v1::Envelope& event, const reference::ReferenceStore& ref) {
  if (!event.has_outage()) return 0;
  int best = 0;
  const auto take = [&](int level) {
    if (level != 0 && (best == 0 || level < best)) best = level;
  };
  const v1::OutageEvent& o = event.outage();
  for (const std::string& c : o.important_customer_ids()) {
    const v1::CustomerInfo* info = ref.Customer(c);
    take(info && info->important_level() != v1::IMPORTANT_LEVEL_UNSPECIFIED
             ? info->important_level()
             : v1::TEMPORARY);
  }
  for (const std::string& a : o.area_ids()) take(ref.MostImportantIn(a));
  for (const std::string& f : o.feeder_ids()) {
    for (const std::string& a : ref.AreasOfFeeder(f)) take(ref.MostImportantIn(a));
  }
  return best;
}

bool FilterMatches(const rules::Filter& f, const v1::Envelope& event,
                   const reference::ReferenceStore& ref) {
  if (event.has_ticket()) {
    const v1::Ticket& t = event.ticket();
    if (!In(f.ticket_kinds, t.kind()) || !In(f.categories, t.category()) ||
        !In(f.statuses, t.status())) {
      return false;
    }
  } else if (event.has_outage()) {
    const v1::OutageEvent& o = event.outage();
    if (!In(f.outage_kinds, o.kind()) || !In(f.outage_phases, o.phase())) return false;
    if (f.important_customer_in_scope && ImportantLevelInScope(event, ref) == 0) return false;
  } else if (event.has_repeat_call()) {
    if (event.repeat_call().call_count() < f.min_call_count) return false;
  }
  if (!f.tags_any.empty()) {
    const uint32_t bits = TagBits(event, ref);
    bool any = false;
    for (v1::Ticket::Tag tag : f.tags_any) any |= (bits & TagBit(tag)) != 0;
    if (!any) return false;
  }
  return true;
}

}  // namespace vigil::engine

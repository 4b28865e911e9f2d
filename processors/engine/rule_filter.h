#pragma once

#include <cstdint>

#include "processors/reference/reference_store.h"
#include "processors/rules/rule_spec.h"
#include "vigil/v1/events.pb.h"

namespace vigil::engine {

// Whether the event's payload is of the rule's stream.
bool StreamMatches(rules::Stream stream, const v1::Envelope& event);

// Whether the event passes a rule filter. Ticket tags are joined with the
// customer's tags in the reference data; "important customer in scope" looks
// at the outage's listed customers and the customers of its areas.
bool FilterMatches(const rules::Filter& filter, const v1::Envelope& event,
                   const reference::ReferenceStore& ref);

// Ticket.Tag bits (see window_measure.h TagBit) of the event and its customer.
uint32_t TagBits(const v1::Envelope& event, const reference::ReferenceStore& ref);

// The most important level (1 = SPECIAL … 4 = TEMPORARY) of the customers in
// an outage's scope; 0 when none. Listed customers unknown to the reference
// data count as TEMPORARY.
int ImportantLevelInScope(const v1::Envelope& event, const reference::ReferenceStore& ref);

}  // namespace vigil::engine

#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vigil/v1/events.pb.h"

namespace vigil::sim {

// Where generated envelopes go, in event-time order.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual absl::Status Write(const v1::Envelope& event) = 0;
  // Called once after the last event.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Keeps the events in memory (tests, the demo).
class VectorSink final : public EventSink {
 public:
  absl::Status Write(const v1::Envelope& event) override {
    events_.push_back(event);
    return absl::OkStatus();
  }
  std::vector<v1::Envelope>& events() { return events_; }

 private:
  std::vector<v1::Envelope> events_;
};

// Sends every event to several sinks.
class TeeSink final : public EventSink {
 public:
  explicit TeeSink(std::vector<EventSink*> sinks) : sinks_(std::move(sinks)) {}
  absl::Status Write(const v1::Envelope& event) override {
    for (EventSink* s : sinks_) {
      if (absl::Status st = s->Write(event); !st.ok()) return st;
    }
    return absl::OkStatus();
  }
  absl::Status Close() override {
    for (EventSink* s : sinks_) {
      if (absl::Status st = s->Close(); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

 private:
  std::vector<EventSink*> sinks_;
};

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigil::sim {

// A scenario preset of §3.5 with its defaults.
struct PresetInfo {
  std::string name;
  std::string description;
  std::string start;  // local (UTC+8) date
  absl::Duration duration;
  double scale;  // default share of a full province
};

const std::vector<PresetInfo>& Presets();
const PresetInfo* FindPreset(std::string_view name);

// What the user asked for; unset fields take the preset's defaults.
struct SimOptions {
  std::string preset = "normal_weekday";
  uint64_t seed = 1;
  std::optional<double> scale;
  int cities = 0;  // 0: 12–16 from the seed
  std::optional<absl::Time> start;
  std::optional<absl::Duration> duration;
  // Processes run this long before `start` so open tickets, outages and
  // crews are in a steady state when the stream begins; nothing before
  // `start` is emitted.
  absl::Duration warmup = absl::Hours(7 * 24);
  std::optional<double> tmax_celsius;  // daily maximum temperature (repairs)
};

// SimOptions with the defaults applied and checked.
struct RunSpec {
  std::string preset;
  uint64_t seed = 1;
  double scale = 1;
  int cities = 0;
  absl::Time start;
  absl::Time end;
  absl::Duration warmup;
  std::optional<double> tmax_celsius;
};

absl::StatusOr<RunSpec> Resolve(const SimOptions& options);

}  // namespace vigil::sim

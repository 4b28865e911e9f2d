#include "tools/sim/scenario.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/sim/local_time.h"

namespace vigil::sim {

const std::vector<PresetInfo>& Presets() {
  static const auto* presets = new std::vector<PresetInfo>{
      {"normal_weekday", "baseline curves (§3.2), 1–5 feeder faults per city and day", "2026-01-14",
       absl::Hours(24), 1.0},
      {"summer_heat", "repairs x2.5, evening peak x1.5, LV area overload faults x4", "2026-07-15",
       absl::Hours(24), 1.0},
      {"thunderstorm_city", "one city, a 2 h cell from 15:00, feeder trips, 5-min peak ~x12",
       "2026-07-22", absl::Hours(24), 1.0},
      {"typhoon_coastal", "3 coastal cities, day 1 x9 in the landfall city, halving daily",
       "2026-08-10", absl::Hours(5 * 24), 1.0},
      {"planned_no_notice", "planned outage on 5 feeders with 0 % notice: calls, complaints, 12398",
       "2026-04-14", absl::Hours(48), 1.0},
      {"frequent_outage_taiqu", "one area with 4 outages in 50 days: R17, complaints, 12398",
       "2026-05-06", absl::Hours(60 * 24), 0.05},
      {"dispatch_backlog", "crews cut 50 % in one county under x3 repairs: overdue wave, urges",
       "2026-06-17", absl::Hours(36), 1.0},
  };
  return *presets;
}

const PresetInfo* FindPreset(std::string_view name) {
  for (const PresetInfo& p : Presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

absl::StatusOr<RunSpec> Resolve(const SimOptions& o) {
  const PresetInfo* preset = FindPreset(o.preset);
  if (preset == nullptr) {
    std::vector<std::string> names;
    for (const PresetInfo& p : Presets()) names.push_back(p.name);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown preset '", o.preset, "' (one of ", absl::StrJoin(names, ", "), ")"));
  }
  RunSpec r;
  r.preset = preset->name;
  r.seed = o.seed;
  r.scale = o.scale.value_or(preset->scale);
  if (!(r.scale > 0 && r.scale <= 5)) {
    return absl::InvalidArgumentError(absl::StrCat("scale ", r.scale, " is not in (0, 5]"));
  }
  if (o.cities < 0 || o.cities > 16) {
    return absl::InvalidArgumentError(absl::StrCat("cities ", o.cities, " is not in 0..16"));
  }
  r.cities = o.cities;
  if (o.start) {
    r.start = *o.start;
  } else {
    auto start = ParseLocalTime(preset->start);
    if (!start.ok()) return start.status();
    r.start = *start;
  }
  r.start = absl::FromUnixSeconds(absl::ToUnixSeconds(r.start));
  const absl::Duration duration = o.duration.value_or(preset->duration);
  if (duration <= absl::ZeroDuration() || duration > absl::Hours(24 * 400)) {
    return absl::InvalidArgumentError("duration must be positive and at most 400 days");
  }
  r.end = r.start + absl::Seconds(absl::ToInt64Seconds(duration));
  if (o.warmup < absl::ZeroDuration() || o.warmup > absl::Hours(24 * 60)) {
    return absl::InvalidArgumentError("warmup must be 0 to 60 days");
  }
  r.warmup = absl::Seconds(absl::ToInt64Seconds(o.warmup));
  r.tmax_celsius = o.tmax_celsius;
  if (r.start - r.warmup < absl::FromUnixSeconds(946684800 + 8 * 24 * 3600)) {
    return absl::InvalidArgumentError("start (minus warmup) must be after 2000-01-09");
  }
  return r;
}

}  // namespace vigil::sim

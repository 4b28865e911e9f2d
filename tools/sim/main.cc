// vigil-sim: realistic, seeded 95598 traffic with ground truth.
//
//   vigil-sim generate --preset thunderstorm_city --seed 7 --scale 0.1
//       --out events.jsonl --labels-out labels.jsonl --reference-out ref.jsonl
//   vigil-sim generate --preset typhoon_coastal --kafka 127.0.0.1:9092 --speed 600x
//   vigil-sim presets
//   vigil-sim score --labels labels.jsonl --warnings warnings.jsonl
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/sim/jsonl_sink.h"
#include "tools/sim/kafka_sink.h"
#include "tools/sim/local_time.h"
#include "tools/sim/pacer.h"
#include "tools/sim/progress.h"
#include "tools/sim/reference.h"
#include "tools/sim/scenario.h"
#include "tools/sim/score_command.h"
#include "tools/sim/simulator.h"

namespace vigil::sim {
namespace {

// The wall clock; the only place the simulator sleeps.
class RealPaceClock final : public PaceClock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepUntil(absl::Time t) override {
    const absl::Duration d = t - absl::Now();
    if (d > absl::ZeroDuration()) absl::SleepFor(d);
  }
};

struct GenerateArgs {
  std::string preset = "normal_weekday";
  uint64_t seed = 1;
  std::optional<double> scale;
  int cities = 0;
  std::string start, duration, warmup = "7d";
  std::optional<double> tmax;
  std::string out, labels_out, reference_out;
  std::string kafka;
  KafkaSinkOptions topics;
  std::string speed = "max";
  bool progress = false;
  bool quiet = false;
};

[[noreturn]] void Fail(const std::string& what, const absl::Status& status) {
  throw CLI::Error(what, std::string(status.message()), 1);
}

void RunGenerate(const GenerateArgs& a) {
  SimOptions o;
  o.preset = a.preset;
  o.seed = a.seed;
  o.scale = a.scale;
  o.cities = a.cities;
  o.tmax_celsius = a.tmax;
  if (!a.start.empty()) {
    auto start = ParseLocalTime(a.start);
    if (!start.ok()) Fail("--start", start.status());
    o.start = *start;
  }
  if (!a.duration.empty()) {
    auto d = ParseSimDuration(a.duration);
    if (!d.ok()) Fail("--duration", d.status());
    o.duration = *d;
  }
  if (a.warmup == "0") {
    o.warmup = absl::ZeroDuration();
  } else {
    auto w = ParseSimDuration(a.warmup);
    if (!w.ok()) Fail("--warmup", w.status());
    o.warmup = *w;
  }
  if (a.out.empty() && a.kafka.empty()) {
    throw CLI::ValidationError("generate", "give --out FILE and/or --kafka BOOTSTRAP");
  }
  auto spec = Resolve(o);
  if (!spec.ok()) Fail("options", spec.status());
  auto speed = ParseSpeed(a.speed);
  if (!speed.ok()) Fail("--speed", speed.status());

  RealPaceClock clock;
  const absl::Time wall0 = clock.Now();
  const TopologyOptions topology_options = TopologyFor(*spec);
  const Topology topology = Topology::Build(topology_options);
  if (!a.reference_out.empty()) {
    if (auto s = WriteReferenceFile(topology, topology_options, a.reference_out); !s.ok()) {
      Fail("--reference-out", s);
    }
  }
  std::vector<EventSink*> sinks;
  std::unique_ptr<JsonLinesSink> file;
  if (!a.out.empty()) {
    auto f = JsonLinesSink::Open(a.out);
    if (!f.ok()) Fail("--out", f.status());
    file = *std::move(f);
    sinks.push_back(file.get());
  }
  Pacer pacer(&clock, *speed);
  std::unique_ptr<KafkaSink> kafka;
  if (!a.kafka.empty()) {
    KafkaSinkOptions k = a.topics;
    k.bootstrap = a.kafka;
    auto sink = KafkaSink::Create(k, &pacer);
    if (!sink.ok()) Fail("--kafka", sink.status());
    kafka = *std::move(sink);
    sinks.push_back(kafka.get());
  }
  TeeSink tee(sinks);
  std::optional<ProgressBar> bar;
  if (a.progress || (isatty(STDERR_FILENO) && !a.quiet))
    bar.emplace(&std::cerr, &clock, spec->start, spec->end);
  ProgressFn progress;
  if (bar) progress = [&bar](absl::Time t, int64_t events) { bar->Update(t, events); };
  auto result = Simulate(*spec, topology, tee, progress);
  if (!result.ok()) Fail("generate", result.status());
  if (bar) bar->Done(result->summary.events);
  if (!a.labels_out.empty()) {
    std::ofstream out(a.labels_out, std::ios::binary | std::ios::trunc);
    for (const Label& l : result->labels) out << LabelToJson(l) << "\n";
    out.close();
    if (!out)
      Fail("--labels-out", absl::DataLossError(absl::StrCat(a.labels_out, ": write failed")));
  }
  if (!a.quiet) {
    std::cerr << result->summary.Format(absl::ToDoubleSeconds(clock.Now() - wall0));
    std::cerr << absl::StrFormat(
        "   topology: %d cities, %d counties, %d stations, %d feeders, "
        "%d areas, %d customers (scale %g)\n",
        topology.cities().size(), topology.counties().size(), topology.stations().size(),
        topology.feeders().size(), topology.areas().size(), topology.customers(), spec->scale);
  }
}

void AddGenerateCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("generate", "generate a scenario's events and ground truth");
  auto a = std::make_shared<GenerateArgs>();
  std::vector<std::string> names;
  for (const PresetInfo& p : Presets()) names.push_back(p.name);
  cmd->add_option("--preset", a->preset, "scenario preset")->check(CLI::IsMember(names));
  cmd->add_option("--seed", a->seed, "random seed (same seed and options: same bytes)");
  cmd->add_option("--scale", a->scale,
                  "share of a full province (~52 M customers), e.g. 0.01; default: the preset's");
  cmd->add_option("--cities", a->cities, "number of cities 1-16 (default: 12-16 from the seed)");
  cmd->add_option("--start", a->start, "start, local time UTC+8 (2026-07-15 or 2026-07-15T08:00)");
  cmd->add_option("--duration", a->duration, "length of the stream (5d, 36h, 90m)");
  cmd->add_option("--warmup", a->warmup, "simulated, not emitted, before the start (0 for none)");
  cmd->add_option("--tmax", a->tmax, "daily maximum temperature in °C (repairs +4 %/°C above 30)");
  cmd->add_option("--out", a->out, "events as proto3 JSON lines (- for stdout)");
  cmd->add_option("--labels-out", a->labels_out, "ground-truth labels, JSON lines");
  cmd->add_option("--reference-out", a->reference_out, "topology reference data, JSON lines");
  cmd->add_option("--kafka", a->kafka, "produce binary Protobuf to this Kafka bootstrap");
  cmd->add_option("--tickets-topic", a->topics.tickets_topic, "tickets topic");
  cmd->add_option("--outages-topic", a->topics.outages_topic, "outages topic");
  cmd->add_option("--repeat-calls-topic", a->topics.repeat_calls_topic, "repeat-calls topic");
  cmd->add_option("--speed", a->speed, "Kafka pacing: realtime, <N>x (e.g. 60x) or max");
  cmd->add_flag("--progress", a->progress, "progress bar on stderr even when it is not a terminal");
  cmd->add_flag("-q,--quiet", a->quiet, "no progress bar, no summary");
  cmd->callback([a] { RunGenerate(*a); });
}

void AddPresetsCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("presets", "list the scenario presets and their defaults");
  cmd->callback([] {
    for (const PresetInfo& p : Presets()) {
      std::cout << absl::StrFormat("%-22s start %s  duration %-5s scale %-4g %s\n", p.name, p.start,
                                   absl::FormatDuration(p.duration), p.scale, p.description);
    }
  });
}

}  // namespace
}  // namespace vigil::sim

int main(int argc, char** argv) {
  CLI::App app{"vigil-sim — realistic 95598 traffic with ground truth"};
  app.require_subcommand(1);
  vigil::sim::AddGenerateCommand(app);
  vigil::sim::AddPresetsCommand(app);
  vigil::sim::AddScoreCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  }
  return 0;
}

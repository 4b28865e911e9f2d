#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace vigil::bench {

// What the numbers were measured on.
struct Machine {
  std::string cpu_model;  // /proc/cpuinfo "model name"
  int nproc = 0;          // CPUs this process may use
  double ram_gib = 0;     // MemTotal
  std::string kernel;     // uname -sr
  std::string hostname;
};
Machine DescribeMachine();

// CPU time (user + system) process `pid` has used, from /proc; 0 if unknown.
double ProcessCpuSeconds(pid_t pid);
// Peak resident memory (VmHWM) of process `pid` in MiB; 0 if unknown.
double PeakRssMiB(pid_t pid);
// The broker's pid: the one process running kafka.Kafka, or -1.
pid_t FindKafkaBrokerPid();

// Where the machine's CPU time went over an interval, in CPUs (cores busy on
// average): the two processes under test, this process, and everything else.
class CpuMeter {
 public:
  struct Share {
    double seconds = 0;
    double busy = 0;   // all CPUs, from /proc/stat (user..softirq)
    double steal = 0;  // taken by the hypervisor for other guests
    double vigild = 0, broker = 0, bench = 0;
    double others() const { return busy - vigild - broker - bench; }
  };
  CpuMeter(pid_t vigild, pid_t broker);
  Share Stop() const;

 private:
  struct Sample {
    int64_t at_ns = 0;
    double busy = 0, steal = 0, vigild = 0, broker = 0, bench = 0;
  };
  Sample Take() const;
  pid_t vigild_, broker_;
  Sample start_;
};

// Nearest-rank percentiles of a sample (milliseconds in, milliseconds out).
struct Percentiles {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
Percentiles ComputePercentiles(std::vector<double> values);

// Least-squares slope dy/dx of points (x, y); 0 with fewer than two points.
double Slope(const std::vector<std::pair<double, double>>& points);

// "1,234,567"
std::string Thousands(double v);
// UTC "2026-11-25T19:41:09Z" of a wall-clock time in ns.
std::string UtcIso(int64_t ns);

}  // namespace vigil::bench

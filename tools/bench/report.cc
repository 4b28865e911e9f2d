#include "tools/bench/report.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace vigil::bench {

Machine DescribeMachine() {
  Machine m;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (absl::StartsWith(line, "model name")) {
      m.cpu_model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  m.nproc = sched_getaffinity(0, sizeof(set), &set) == 0
                ? CPU_COUNT(&set)
                : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::ifstream mem("/proc/meminfo");
  for (std::string line; std::getline(mem, line);) {
    if (absl::StartsWith(line, "MemTotal:")) {
      m.ram_gib = std::stod(line.substr(9)) / (1024.0 * 1024.0);  // kB
      break;
    }
  }
  utsname u{};
  if (uname(&u) == 0) {
    m.kernel = absl::StrCat(u.sysname, " ", u.release);
    m.hostname = u.nodename;
  }
  return m;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  if (pid <= 0) return 0;
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  const std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double PeakRssMiB(pid_t pid) {
  if (pid <= 0) return 0;
  std::istringstream in(ReadFile(absl::StrCat("/proc/", pid, "/status")));
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "VmHWM:")) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0;
}

pid_t FindKafkaBrokerPid() {
  pid_t found = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string cmd = ReadFile(entry.path().string() + "/cmdline");
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (absl::StrContains(cmd, " kafka.Kafka ")) {
      if (found != -1) return -1;  // more than one broker: cannot tell
      found = static_cast<pid_t>(std::stol(name));
    }
  }
  return found;
}

CpuMeter::CpuMeter(pid_t vigild, pid_t broker) : vigild_(vigild), broker_(broker), start_(Take()) {}

CpuMeter::Sample CpuMeter::Take() const {
  Sample s;
  s.at_ns = WallNs();
  std::istringstream in(ReadFile("/proc/stat"));
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.busy = (user + nice + system + irq + softirq) / hz;
  s.steal = steal / hz;
  s.vigild = ProcessCpuSeconds(vigild_);
  s.broker = ProcessCpuSeconds(broker_);
  s.bench = ProcessCpuSeconds(getpid());
  return s;
}

CpuMeter::Share CpuMeter::Stop() const {
  const Sample end = Take();
  Share r;
  r.seconds = static_cast<double>(end.at_ns - start_.at_ns) / 1e9;
  if (r.seconds <= 0) return r;
  r.busy = (end.busy - start_.busy) / r.seconds;
  r.steal = (end.steal - start_.steal) / r.seconds;
  r.vigild = (end.vigild - start_.vigild) / r.seconds;
  r.broker = (end.broker - start_.broker) / r.seconds;
  r.bench = (end.bench - start_.bench) / r.seconds;
  return r;
}

Percentiles ComputePercentiles(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  const auto rank = [&v](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(i, 1, v.size()) - 1];
  };
  p.p50 = rank(0.50);
  p.p90 = rank(0.90);
  p.p99 = rank(0.99);
  p.p999 = rank(0.999);
  p.max = v.back();
  return p;
}

double Slope(const std::vector<std::pair<double, double>>& points) {
  if (points.size() < 2) return 0;
  double sx = 0, sy = 0;
  for (const auto& [x, y] : points) {
    sx += x;
    sy += y;
  }
  const double n = static_cast<double>(points.size());
  const double mx = sx / n, my = sy / n;
  double sxy = 0, sxx = 0;
  for (const auto& [x, y] : points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) * (x - mx);
  }
  return sxx > 0 ? sxy / sxx : 0;
}

std::string Thousands(double v) {
  const bool neg = v < 0;
  std::string digits = absl::StrCat(static_cast<int64_t>(std::llround(std::fabs(v))));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return neg ? "-" + out : out;
}

std::string UtcIso(int64_t ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixNanos(ns), absl::UTCTimeZone());
}

}  // namespace vigil::bench

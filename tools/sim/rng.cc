#include "tools/sim/rng.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace vigil::sim {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Rng Rng::Stream(uint64_t seed, std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the stream name
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Rng(SplitMix64(SplitMix64(seed) ^ h));
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::UniformPositive() { return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53; }

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t x = Next();
  while (x >= limit) x = Next();
  return lo + static_cast<int64_t>(x % range);
}

double Rng::Exponential(double mean) { return -mean * std::log(UniformPositive()); }

double Rng::Normal() {
  const double u1 = UniformPositive();
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

int64_t Rng::Poisson(double mean) {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const double limit = std::exp(-mean);
    int64_t k = 0;
    double prod = UniformPositive();
    while (prod > limit) {
      ++k;
      prod *= UniformPositive();
    }
    return k;
  }
  return std::max<int64_t>(0, std::llround(mean + std::sqrt(mean) * Normal()));
}

int64_t Rng::Binomial(int64_t n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const double mean = static_cast<double>(n) * p;
  if (mean < 30) {
    // Inversion: walk the pmf from k = 0.
    const double q = 1.0 - p;
    double pmf = std::exp(static_cast<double>(n) * std::log1p(-p));
    double u = Uniform();
    int64_t k = 0;
    while (u > pmf && k < n) {
      u -= pmf;
      pmf *= (static_cast<double>(n - k) / static_cast<double>(k + 1)) * (p / q);
      ++k;
    }
    return k;
  }
  const double sd = std::sqrt(mean * (1.0 - p));
  return std::clamp<int64_t>(std::llround(mean + sd * Normal()), 0, n);
}

size_t Rng::Choose(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = Uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return weights.empty() ? 0 : weights.size() - 1;
}

size_t ChooseCumulative(Rng& rng, const std::vector<double>& cumulative) {
  const double u = rng.Uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return std::min<size_t>(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

}  // namespace vigil::sim

#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace vigil::sim {

// Seeded random draws whose results depend only on the seed: std::mt19937_64
// is specified bit-exactly, but the std:: distributions are not, so every
// distribution here is computed from raw 64-bit draws (inverse CDF,
// Box–Muller). Approximations are noted where they are used.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // An independent stream for one process of the simulation, so adding draws
  // to one process does not shift the others: seeded from (seed, name).
  static Rng Stream(uint64_t seed, std::string_view name);

  uint64_t Next() { return engine_(); }
  // Uniform in [0, 1), 53 bits.
  double Uniform();
  // Uniform in (0, 1]: safe for log().
  double UniformPositive();
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi] (inclusive), unbiased.
  int64_t UniformInt(int64_t lo, int64_t hi);
  bool Bernoulli(double p) { return Uniform() < p; }
  double Exponential(double mean);
  // Standard normal (Box–Muller, one value per two uniforms).
  double Normal();
  double LogNormal(double median, double sigma);
  // Poisson: exact (multiplication method) below mean 30, normal approximation above.
  int64_t Poisson(double mean);
  // Binomial: exact inversion when n*p < 30, normal approximation above.
  int64_t Binomial(int64_t n, double p);
  // Index drawn with probability proportional to weights[i] (all >= 0, sum > 0).
  size_t Choose(const std::vector<double>& weights);

 private:
  std::mt19937_64 engine_;
};

// Index i with probability (cumulative[i] - cumulative[i-1]) / cumulative.back();
// `cumulative` is a non-decreasing prefix sum with a positive last element.
size_t ChooseCumulative(Rng& rng, const std::vector<double>& cumulative);

}  // namespace vigil::sim

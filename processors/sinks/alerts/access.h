#pragma once

#include <grpcpp/server_context.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::alerts {

// A caller of the AlertService: a city unit (地市) with its region prefixes, or
// the province role, which sees and acts on every region.
struct Unit {
  std::string name;
  bool province = false;
  // Whole-segment prefixes of region keys ("370100" covers "370100/…").
  std::vector<std::string> regions;
  // Bearer token ("authorization: Bearer <token>"); empty = certificate only.
  std::string token;
};

// Who a call is, and what it may see. A call authenticates with a bearer
// token, or else with a verified TLS client certificate whose common name is
// the unit's name. Immutable after construction; thread-safe.
class AccessPolicy {
 public:
  explicit AccessPolicy(std::vector<Unit> units) : units_(std::move(units)) {}

  // nullptr when the call carries no valid credential.
  const Unit* Authenticate(const grpc::ServerContext& context) const;
  // Whether `unit` sees warnings of `region_key`.
  static bool Sees(const Unit& unit, std::string_view region_key);
  // Whether a requested region prefix overlaps the unit's regions (a unit may
  // narrow within its regions, or name a wider prefix that contains one).
  static bool Overlaps(const Unit& unit, std::string_view prefix);
  // The region the unit acts in on a warning of `region_key` (its covering
  // prefix; "" for the province); nullopt when it may not act there.
  static std::optional<std::string> ActingRegion(const Unit& unit, std::string_view region_key);

  const std::vector<Unit>& units() const { return units_; }

 private:
  std::vector<Unit> units_;
};

}  // namespace vigil::alerts

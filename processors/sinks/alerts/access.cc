#include "processors/sinks/alerts/access.h"

#include <grpcpp/security/auth_context.h>

#include <algorithm>
#include <cctype>

#include "processors/lifecycle/owner.h"

namespace vigil::alerts {
namespace {

// Compares without an early exit, so timing does not reveal a token's prefix.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

}  // namespace

const Unit* AccessPolicy::Authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    const std::string_view value(it->second.data(), it->second.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() < kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), value.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return nullptr;
    }
    const std::string_view token = value.substr(kBearer.size());
    if (token.empty()) return nullptr;
    const Unit* found = nullptr;
    for (const Unit& u : units_) {
      if (!u.token.empty() && SameSecret(u.token, token)) found = &u;
    }
    return found;  // a wrong token is not rescued by a certificate
  }
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return nullptr;
  for (const grpc::string_ref& cn : auth->FindPropertyValues("x509_common_name")) {
    const std::string_view name(cn.data(), cn.size());
    for (const Unit& u : units_) {
      if (u.name == name) return &u;
    }
  }
  return nullptr;
}

bool AccessPolicy::Sees(const Unit& unit, std::string_view region_key) {
  return ActingRegion(unit, region_key).has_value();
}

bool AccessPolicy::Overlaps(const Unit& unit, std::string_view prefix) {
  if (unit.province || prefix.empty()) return true;
  for (const std::string& r : unit.regions) {
    if (lifecycle::InRegion(prefix, r) || lifecycle::InRegion(r, prefix)) return true;
  }
  return false;
}

std::optional<std::string> AccessPolicy::ActingRegion(const Unit& unit,
                                                      std::string_view region_key) {
  if (unit.province) return std::string();
  for (const std::string& r : unit.regions) {
    if (!r.empty() && lifecycle::InRegion(region_key, r)) return r;
  }
  return std::nullopt;
}

}  // namespace vigil::alerts

#include "processors/warnings/warning_id.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vigil::warnings {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

void Mix(uint64_t* h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    *h ^= c;
    *h *= kFnvPrime;
  }
  // A separator that cannot appear inside a part keeps ("ab","c") != ("a","bc").
  *h ^= 0xff;
  *h *= kFnvPrime;
}

}  // namespace

std::string WarningId(std::string_view rule_id, std::string_view key, int64_t opened_ms,
                      std::string_view opening_subject) {
  uint64_t h = kFnvOffset;
  Mix(&h, rule_id);
  Mix(&h, key);
  Mix(&h, absl::StrCat(opened_ms));
  Mix(&h, opening_subject);
  return absl::StrFormat("%s-%016x", rule_id, h);
}

}  // namespace vigil::warnings

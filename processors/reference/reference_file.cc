// LoadReferenceFile: the reference table from a file of proto3-JSON lines.
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "processors/reference/record_json.h"
#include "processors/reference/reference_store.h"

namespace vigil::reference {
namespace {

// Whether the line holds nothing to load: only blanks, or a '#' comment.
bool IsSkipped(const std::string& line) {
  const size_t first = line.find_first_not_of(" \t\r");
  return first == std::string::npos || line[first] == '#';
}

}  // namespace

absl::Status LoadReferenceFile(const std::string& path, ReferenceStore* store) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open for reading"));
  v1::ReferenceRecord record;  // reused: parsing clears it
  std::string line;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    if (IsSkipped(line)) continue;
    absl::Status s = ParseReferenceRecordJson(line, &record);
    if (s.ok()) s = store->Apply(record);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(path, ":", line_number, ": ", s.message()));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return absl::OkStatus();
}

}  // namespace vigil::reference

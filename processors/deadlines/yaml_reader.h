#pragma once

// Internal to processors/deadlines: the YAML plumbing shared by the calendar,
// time-limit and deadline-rule parsers. Errors are collected, never thrown:
// each is "file:line:col: path: what" (as processors/rules reports them), and
// a file's errors are returned together, sorted by position.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "processors/deadlines/deadline_spec.h"

namespace vigil::deadlines::internal {

// A position in a file, 1-based; line 0 = unknown.
struct SourcePos {
  int line = 0;
  int column = 0;
};
SourcePos PosOf(const YAML::Mark& m);

// "file:line:col: path: what" ("file: path: what" without a position; the
// path part is left out when empty).
std::string FormatError(std::string_view file, SourcePos pos, std::string_view path,
                        std::string_view what);

// "90s", "15m", "24h", "7d", "1h30m"; false on anything else.
bool ParseDurationText(std::string_view s, absl::Duration* out);
// A duration as above, or "<n>wd" working days.
bool ParseLimitText(std::string_view s, Limit* out);
// "45m", "4wd" (for messages).
std::string FormatLimit(const Limit& limit);
// "70%" → 0.7; false unless a decimal followed by '%'.
bool ParsePercentText(std::string_view s, double* out);

// Every *.yaml regular file directly in `dir`, sorted; NotFound when there is none.
absl::StatusOr<std::vector<std::string>> YamlFilesIn(const std::string& dir, std::string_view what);

// One InvalidArgument status holding every error line, or OK.
absl::Status ErrorsToStatus(const std::vector<std::string>& errors);

// A value looked up in a mapping, with where to point at when it is wrong:
// the value, its key when the value is empty, or the mapping when absent.
// Never assign a Val holding a node (yaml-cpp's Node::operator= rebinds the
// node inside the document); construct it instead.
struct Val {
  Val(YAML::Node n, YAML::Mark m, std::string p, bool is_present)
      : node(std::move(n)), mark(m), path(std::move(p)), present(is_present) {}
  Val(const Val&) = default;
  Val& operator=(const Val&) = delete;

  YAML::Node node;
  YAML::Mark mark;
  std::string path;
  bool present = false;
};

// The i-th element of the sequence at `path`.
Val Elem(const YAML::Node& node, const std::string& path, size_t i);

// A mapping with unknown and duplicate keys already reported (and left out).
class MapView {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  MapView(YAML::Mark mark, std::string path) : mark_(mark), path_(std::move(path)) {}

  void Add(Entry e) { entries_.push_back(std::move(e)); }
  const std::vector<Entry>& entries() const { return entries_; }
  const YAML::Mark& mark() const { return mark_; }
  const std::string& path() const { return path_; }

  Val Get(std::string_view key) const;
  bool Has(std::string_view key) const { return Get(key).present; }
  // Where the key itself was written (the mapping when absent).
  YAML::Mark KeyMark(std::string_view key) const;

 private:
  YAML::Mark mark_;
  std::string path_;
  std::vector<Entry> entries_;
};

// Reads one file's values and collects its errors.
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  // The document of the file on disk; nullopt (error recorded) when it
  // cannot be read, does not parse or is empty.
  std::optional<YAML::Node> Load();
  // Records a YAML exception thrown while walking the document.
  void Exception(const YAML::Exception& e);

  void Error(const YAML::Mark& mark, std::string_view path, std::string_view what);
  void Error(const Val& v, std::string_view what) { Error(v.mark, v.path, what); }
  void ErrorAt(SourcePos pos, std::string_view path, std::string_view what);
  // Reports "only for ..." at the key of `key` in `m`.
  void KeyError(const MapView& m, std::string_view key, std::string_view what);

  std::optional<MapView> Map(const Val& v, const std::vector<std::string_view>& allowed);
  // True when present; reports it missing otherwise.
  bool Required(const Val& v, std::string_view what);
  bool Str(const Val& v, std::string* out);
  // A non-empty sequence.
  bool List(const Val& v, std::string_view what);
  bool PositiveDuration(const Val& v, absl::Duration* out);
  // A limit > 0: "45m", "3h", "4wd".
  bool LimitValue(const Val& v, Limit* out);
  // A percentage in (min, max] ("70%").
  bool Percent(const Val& v, double min_exclusive, double max_inclusive, double* out);
  bool Grade(const Val& v, v1::Grade* out);
  // An enum value name of `d` (not the UNSPECIFIED zero).
  bool EnumName(const Val& v, const google::protobuf::EnumDescriptor* d, int* out);
  template <typename E>
  bool EnumList(const Val& v, const google::protobuf::EnumDescriptor* d, std::vector<E>* out) {
    if (!v.present || !List(v, "a list of names like [A, B]")) return false;
    bool ok = true;
    for (size_t i = 0; i < v.node.size(); ++i) {
      int value = 0;
      if (EnumName(Elem(v.node[i], v.path, i), d, &value)) {
        out->push_back(static_cast<E>(value));
      } else {
        ok = false;
      }
    }
    return ok;
  }

  size_t error_count() const { return errors_.size(); }
  // The errors sorted by position, as lines.
  std::vector<std::string> TakeErrors();

 private:
  std::string file_;
  std::vector<std::pair<SourcePos, std::string>> errors_;
};

}  // namespace vigil::deadlines::internal

#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace vigil {

// A value of `T` that cannot be mixed up with another id or position of the
// same representation (a partition is not an offset).
template <typename T, typename Tag>
class NamedType {
 public:
  NamedType() = default;
  explicit NamedType(T value) : value_(std::move(value)) {}
  const T& value() const { return value_; }
  auto operator<=>(const NamedType&) const = default;

 private:
  T value_{};
};

using Partition = NamedType<int32_t, struct PartitionTag>;
using Offset = NamedType<int64_t, struct OffsetTag>;

// An input position: the next offset to read on a topic partition.
struct TopicPartition {
  std::string topic;
  Partition partition;
  auto operator<=>(const TopicPartition&) const = default;
};

}  // namespace vigil

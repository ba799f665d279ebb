// id -> row map for ExactStore: open addressing with linear probing and backward-shift deletion (no
// tombstones), 16 bytes a slot, load factor kept in (3/16, 3/4]. About 21-43 bytes a stored id,
// versus ~56 for std::unordered_map's nodes and buckets, and one cache miss per lookup.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace likeness::simd {

class IdMap {
 public:
  IdMap() = default;

  int64_t size() const { return size_; }
  size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

  // The row of `id`, if present.
  std::optional<int64_t> Find(int64_t id) const;
  // Inserts id -> row. REQUIRES: id not present, row >= 0.
  void Insert(int64_t id, int64_t row);
  // Changes the row of a present id. REQUIRES: id present.
  void Update(int64_t id, int64_t row);
  // Removes `id`; returns whether it was present.
  bool Erase(int64_t id);
  // Makes room for `n` ids without rehashing.
  void Reserve(int64_t n);
  void Clear();

 private:
  struct Slot {
    int64_t id = 0;
    int64_t row = -1;  // -1: empty
  };
  static uint64_t Hash(int64_t id);
  size_t SlotOf(int64_t id) const;  // the slot holding id, or the empty slot ending its probe run
  void Rehash(size_t capacity);

  std::vector<Slot> slots_;  // capacity is 0 or a power of two
  int64_t size_ = 0;
};

}  // namespace likeness::simd

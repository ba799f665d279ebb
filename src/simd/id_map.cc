#include "simd/id_map.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace likeness::simd {
namespace {

constexpr size_t kMinCapacity = 16;
// Grow when size would exceed capacity * 3/4; shrink when it falls below capacity * 3/16.
bool TooFull(int64_t size, size_t capacity) { return static_cast<size_t>(size) * 4 > capacity * 3; }
bool TooEmpty(int64_t size, size_t capacity) {
  return capacity > kMinCapacity && static_cast<size_t>(size) * 16 < capacity * 3;
}

}  // namespace

uint64_t IdMap::Hash(int64_t id) {
  // splitmix64 finaliser: ids are often sequential, so they must be scattered.
  uint64_t x = static_cast<uint64_t>(id);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

size_t IdMap::SlotOf(int64_t id) const {
  const size_t mask = slots_.size() - 1;
  size_t i = Hash(id) & mask;
  while (slots_[i].row >= 0 && slots_[i].id != id) i = (i + 1) & mask;
  return i;
}

std::optional<int64_t> IdMap::Find(int64_t id) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& s = slots_[SlotOf(id)];
  if (s.row < 0) return std::nullopt;
  return s.row;
}

void IdMap::Rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  const size_t mask = capacity - 1;
  for (const Slot& s : old) {
    if (s.row < 0) continue;
    size_t i = Hash(s.id) & mask;
    while (slots_[i].row >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void IdMap::Reserve(int64_t n) {
  size_t capacity = std::max(kMinCapacity, slots_.size());
  while (TooFull(n, capacity)) capacity *= 2;
  if (capacity != slots_.size()) Rehash(capacity);
}

void IdMap::Insert(int64_t id, int64_t row) {
  assert(row >= 0);
  if (slots_.empty() || TooFull(size_ + 1, slots_.size())) {
    Rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  }
  Slot& s = slots_[SlotOf(id)];
  assert(s.row < 0 && "id already present");
  s = Slot{id, row};
  ++size_;
}

void IdMap::Update(int64_t id, int64_t row) {
  assert(!slots_.empty());
  Slot& s = slots_[SlotOf(id)];
  assert(s.row >= 0 && "id not present");
  s.row = row;
}

bool IdMap::Erase(int64_t id) {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  size_t hole = SlotOf(id);
  if (slots_[hole].row < 0) return false;
  // Backward-shift deletion: pull later members of the probe run into the hole when their home slot
  // does not lie cyclically in (hole, j].
  size_t j = hole;
  while (true) {
    j = (j + 1) & mask;
    if (slots_[j].row < 0) break;
    const size_t home = Hash(slots_[j].id) & mask;
    const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_range) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
  if (TooEmpty(size_, slots_.size()))
    Rehash(std::bit_ceil(std::max<size_t>(kMinCapacity, static_cast<size_t>(size_) * 2)));
  return true;
}

void IdMap::Clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  size_ = 0;
}

}  // namespace likeness::simd

#include "simd/row_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace likeness::simd {
namespace {

constexpr size_t kCacheLine = 64;
constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

RowBuffer::~RowBuffer() { std::free(data_); }

RowBuffer::RowBuffer(RowBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}

RowBuffer& RowBuffer::operator=(RowBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
  }
  return *this;
}

bool RowBuffer::Reserve(size_t bytes, size_t used) {
  if (bytes <= capacity_) return true;
  return Resize(std::max(bytes, capacity_ + capacity_ / 2), used);
}

bool RowBuffer::Resize(size_t bytes, size_t used) {
  if (bytes == 0) {
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    return true;
  }
  const size_t alignment = bytes >= kHugePage ? kHugePage : kCacheLine;
  const size_t size = RoundUp(bytes, alignment);
  auto* fresh = static_cast<uint8_t*>(std::aligned_alloc(alignment, size));
  if (fresh == nullptr) return false;
  if (alignment == kHugePage) madvise(fresh, size, MADV_HUGEPAGE);  // advisory: failure is harmless
  if (used > 0) std::memcpy(fresh, data_, used);
  std::free(data_);
  data_ = fresh;
  capacity_ = size;
  return true;
}

}  // namespace likeness::simd

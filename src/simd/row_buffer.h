// A growable, 64-byte-aligned byte buffer for the rows of an ExactStore. Buffers of 2 MiB or more
// are 2 MiB-aligned and advised as transparent huge pages (madvise), which spares the TLB during a
// full scan of a gigabyte-sized store. Growth copies (amortised by doubling); shrinking is
// explicit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace likeness::simd {

class RowBuffer {
 public:
  RowBuffer() = default;
  ~RowBuffer();
  RowBuffer(RowBuffer&& other) noexcept;
  RowBuffer& operator=(RowBuffer&& other) noexcept;
  RowBuffer(const RowBuffer&) = delete;
  RowBuffer& operator=(const RowBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }

  // Ensures capacity() >= bytes, keeping the first `used` bytes. Returns false if allocation
  // failed.
  bool Reserve(size_t bytes, size_t used);
  // Reallocates to exactly `bytes` (>= used), keeping the first `used` bytes; frees when bytes ==
  // 0.
  bool Resize(size_t bytes, size_t used);

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace likeness::simd

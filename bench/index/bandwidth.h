// In-process streaming read bandwidth: the floor that a memory-bound scan cannot beat (bench only).
#pragma once

#include <cstddef>

namespace likeness::bench {

// Best-of-`repeats` read bandwidth, in bytes per second, of `threads` threads each streaming its
// own contiguous slice of a `bytes`-sized buffer (allocated, touched and freed inside).
double MeasureReadBandwidth(size_t bytes, int threads, int repeats);

}  // namespace likeness::bench

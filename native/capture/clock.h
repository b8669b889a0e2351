// The hot path reads the CPU's time stamp counter (about 10 ns against 25 ns for clock_gettime on
// these machines); the writer converts ticks to microseconds with a rate it keeps calibrating.
#pragma once
#include <cstdint>
#include <ctime>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace pymemprof {

inline uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t read_ticks() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#else
  return monotonic_ns();
#endif
}

// Maps ticks to microseconds since `start`. Calibrated against CLOCK_MONOTONIC over the whole run.
class TickClock {
 public:
  TickClock() : start_ticks_(read_ticks()), start_ns_(monotonic_ns()) {}
  void recalibrate() noexcept {
    uint64_t t = read_ticks(), ns = monotonic_ns();
    if (t > start_ticks_ + 1000 && ns > start_ns_ + 1000000)  // at least 1 ms of baseline
      ns_per_tick_ = double(ns - start_ns_) / double(t - start_ticks_);
  }
  uint64_t to_us(uint64_t ticks) const noexcept {
    if (ticks <= start_ticks_) return 0;
    return static_cast<uint64_t>(double(ticks - start_ticks_) * ns_per_tick_ / 1000.0);
  }
  uint64_t ticks_for_ns(uint64_t ns) const noexcept { return static_cast<uint64_t>(double(ns) / ns_per_tick_); }
  uint64_t start_ticks() const noexcept { return start_ticks_; }

 private:
  uint64_t start_ticks_;
  uint64_t start_ns_;
  double ns_per_tick_ = 1.0 / 3.0;  // replaced at the first recalibration
};

}  // namespace pymemprof

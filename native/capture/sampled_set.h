// The addresses of the blocks a sampling capture recorded and that are still live, so that their
// frees are recorded and no other free is. Every free asks; nearly every answer is "no", so that
// answer costs one relaxed load from a table of per-bucket counts, without a lock. The rare
// inserts and erases (one per sample) take the lock of their bucket's stripe.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>

namespace pymemprof {

class SampledAddressSet {
 public:
  static constexpr unsigned kBucketBits = 21;  // 2M counters, 4 MiB
  static constexpr unsigned kStripes = 64;

  SampledAddressSet() : counts_(new std::atomic<uint16_t>[size_t(1) << kBucketBits]()) {}

  // False for nearly every address that was never inserted (a false "maybe" costs a locked lookup).
  bool maybe_contains(uint64_t address) const noexcept {
    return counts_[bucket(address)].load(std::memory_order_relaxed) != 0;
  }

  void insert(uint64_t address) {
    size_t b = bucket(address);
    Stripe& s = stripes_[b % kStripes];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.addresses.insert(address).second) return;
    uint16_t c = counts_[b].load(std::memory_order_relaxed);
    if (c != UINT16_MAX) counts_[b].store(uint16_t(c + 1), std::memory_order_relaxed);  // saturated: stays "maybe"
  }

  // True when the address was in the set (and is no longer).
  bool erase(uint64_t address) {
    size_t b = bucket(address);
    if (counts_[b].load(std::memory_order_relaxed) == 0) return false;
    Stripe& s = stripes_[b % kStripes];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.addresses.erase(address) == 0) return false;
    uint16_t c = counts_[b].load(std::memory_order_relaxed);
    if (c != UINT16_MAX) counts_[b].store(uint16_t(c - 1), std::memory_order_relaxed);
    return true;
  }

  size_t size() {
    size_t n = 0;
    for (auto& s : stripes_) {
      std::lock_guard<std::mutex> lock(s.mutex);
      n += s.addresses.size();
    }
    return n;
  }

 private:
  static size_t bucket(uint64_t address) noexcept {
    return size_t((address * 0x9E3779B97F4A7C15ull) >> (64 - kBucketBits));
  }
  struct Stripe {
    std::mutex mutex;
    std::unordered_set<uint64_t> addresses;
  };
  std::unique_ptr<std::atomic<uint16_t>[]> counts_;
  Stripe stripes_[kStripes];
};

}  // namespace pymemprof

// The addresses of the blocks a sampling capture recorded and that are still live, so that their
// frees are recorded and no other free is. Every free asks; nearly every answer is "no", so that
// answer costs one relaxed load from a bitmap of non-empty buckets, without a lock; the bitmap is
// 32 KiB so that it stays in the cache (a larger table cost a cache miss per free). The rare inserts
// and erases (one per sample) take the lock of their bucket's stripe, which also guards the
// bucket's count and its bit.
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
  static constexpr unsigned kBucketBits = 18;  // 256K buckets: a 32 KiB bitmap
  static constexpr unsigned kStripes = 64;

  SampledAddressSet()
      : counts_(new uint32_t[size_t(1) << kBucketBits]()), bits_(new std::atomic<uint64_t>[(size_t(1) << kBucketBits) / 64]()) {}

  // False for nearly every address that was never inserted (a false "maybe" costs a locked lookup).
  bool maybe_contains(uint64_t address) const noexcept {
    size_t b = bucket(address);
    return (bits_[b / 64].load(std::memory_order_relaxed) >> (b % 64)) & 1;
  }

  void insert(uint64_t address) {
    size_t b = bucket(address);
    Stripe& s = stripes_[b % kStripes];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.addresses.insert(address).second) return;
    if (counts_[b]++ == 0) bits_[b / 64].fetch_or(uint64_t(1) << (b % 64), std::memory_order_relaxed);
  }

  // True when the address was in the set (and is no longer).
  bool erase(uint64_t address) {
    if (!maybe_contains(address)) return false;
    size_t b = bucket(address);
    Stripe& s = stripes_[b % kStripes];
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.addresses.erase(address) == 0) return false;
    if (--counts_[b] == 0) bits_[b / 64].fetch_and(~(uint64_t(1) << (b % 64)), std::memory_order_relaxed);
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
  // Within an 8 KiB window of addresses, one bit per 16 bytes of one cache line of the bitmap; the
  // line by a hash of the window. Blocks freed one after another tend to be neighbours (a list's
  // items, a pool's blocks), so their checks share lines that stay in the cache; a hash of the whole
  // address sent each check to a line of its own, a cache miss under a large working set.
  static constexpr unsigned kWindowBits = 9;  // 512 bits: one 64-byte line
  static size_t bucket(uint64_t address) noexcept {
    uint64_t line = ((address >> 13) * 0x9E3779B97F4A7C15ull) >> (64 - (kBucketBits - kWindowBits));
    return size_t((line << kWindowBits) | ((address >> 4) & ((1u << kWindowBits) - 1)));
  }
  struct Stripe {
    std::mutex mutex;
    std::unordered_set<uint64_t> addresses;
  };
  std::unique_ptr<uint32_t[]> counts_;               // live addresses per bucket (under the stripe's lock)
  std::unique_ptr<std::atomic<uint64_t>[]> bits_;    // bit b: bucket b is not empty
  Stripe stripes_[kStripes];
};

}  // namespace pymemprof

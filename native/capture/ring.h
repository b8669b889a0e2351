// Single-producer single-consumer ring of RawRecords: one per traced thread. The owning thread
// pushes from its allocator hooks (no lock: a relaxed read, a store, a release store); the writer
// thread drains it.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "record.h"

namespace pymemprof {

class RecordRing {
 public:
  static constexpr uint64_t kCapacity = 1u << 17;  // 4 MiB of records per thread (touched only as far as it is used)
  static constexpr uint64_t kMask = kCapacity - 1;

  RecordRing(uint32_t thread_id, uint64_t native_id)
      : slots_(static_cast<RawRecord*>(std::malloc(kCapacity * sizeof(RawRecord)))),
        thread_id_(thread_id), native_id_(native_id) {}
  ~RecordRing() { std::free(slots_); }
  RecordRing(const RecordRing&) = delete;
  RecordRing& operator=(const RecordRing&) = delete;

  bool valid() const { return slots_ != nullptr; }

  // Producer side. Returns false when the ring is full; the caller decides how to wait.
  bool try_push(const RawRecord& r) noexcept {
    uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - cached_tail_ >= kCapacity) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (h - cached_tail_ >= kCapacity) return false;
    }
    slots_[h & kMask] = r;
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  // Both records or neither, published together (the consumer never sees the first alone).
  bool try_push_pair(const RawRecord* r) noexcept {
    uint64_t h = head_.load(std::memory_order_relaxed);
    if (h + 1 - cached_tail_ >= kCapacity) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (h + 1 - cached_tail_ >= kCapacity) return false;
    }
    slots_[h & kMask] = r[0];
    slots_[(h + 1) & kMask] = r[1];
    head_.store(h + 2, std::memory_order_release);
    return true;
  }

  uint64_t fill() const noexcept {
    return head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_relaxed);
  }

  // Consumer side: appends everything published so far to `out`.
  size_t drain_into(std::vector<RawRecord>& out) {
    uint64_t t = tail_.load(std::memory_order_relaxed);
    uint64_t h = head_.load(std::memory_order_acquire);
    // At most two contiguous runs (the ring may wrap).
    uint64_t first_end = std::min(h, (t | kMask) + 1);
    out.insert(out.end(), slots_ + (t & kMask), slots_ + (t & kMask) + (first_end - t));
    if (first_end != h) out.insert(out.end(), slots_, slots_ + (h - first_end));
    tail_.store(h, std::memory_order_release);
    return static_cast<size_t>(h - t);
  }

  uint32_t thread_id() const { return thread_id_; }
  uint64_t native_id() const { return native_id_; }
  void close() { closed_.store(true, std::memory_order_release); }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  RawRecord* slots_;
  uint32_t thread_id_;
  uint64_t native_id_;
  alignas(64) std::atomic<uint64_t> head_{0};
  uint64_t cached_tail_ = 0;  // producer's last view of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace pymemprof

#include "stats_pass.h"

namespace pymemprof::reader {

void StatsPass::add(const Columns& b, uint32_t max_node) {
  if (nodes_.size() / kNodeStride <= max_node) {
    size_t len = nodes_.size() / kNodeStride;
    while (len <= max_node) len *= 2;
    nodes_.resize(len * kNodeStride, 0.0);
  }
  StatsFigures f = f_;
  Block old{};
  for (size_t i = 0; i < b.count; i++) {
    uint8_t k = b.kind[i];
    if (k >= 4 && k <= 6) {
      // FREE_*: bytes only fall, no new peak possible.
      f.frees++;
      if (live_.erase(static_cast<uint64_t>(b.address[i]), &old)) {
        change_node(old.stack, -old.size, -1, f.peak_gen);
        f.live_bytes -= old.size;
      } else {
        f.unknown_frees++;
      }
      continue;
    }
    if (k > 9 || k == 0) continue;  // ARENA_*, MARK
    // ALLOC_* (1-3) and RESIZE_* (7-9): the block at the address now has this size and stack.
    uint32_t s = b.stack[i];
    if (s > max_node) {
      f.unknown_stacks++;
      s = 0;
    }
    double sz = b.size[i];
    if (k <= 3) f.allocations++;
    else f.resizes++;
    f.total_allocated += sz;
    if (live_.set(static_cast<uint64_t>(b.address[i]), sz, Block{sz, s}, &old)) {
      // A live address: a missed free (ALLOC) or the old size (RESIZE). The old block is gone.
      change_node(old.stack, -old.size, -1, f.peak_gen);
      f.live_bytes -= old.size;
    }
    change_node(s, sz, 1, f.peak_gen);
    f.live_bytes += sz;
    if (f.live_bytes > f.peak_bytes) {
      f.peak_bytes = f.live_bytes;
      f.peak_time_us = b.time_us[i];
      f.peak_gen++;
    }
  }
  f.records += b.count;
  if (b.count > 0) f.last_time_us = b.time_us[b.count - 1];
  f_ = f;
}

}  // namespace pymemprof::reader

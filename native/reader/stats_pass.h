// The stats pass over decoded record columns (native counterpart of StatsReducer.add in
// src/analysis/stats.ts, same accounting, same order of every sum): live bytes, the high-water mark,
// and per stack node the bytes and blocks live now and at the peak (lazy snapshot per peak generation).
#pragma once

#include <cstdint>
#include <vector>

#include "live_blocks.h"

namespace pymemprof::reader {

// One batch of decoded records, as columns (src/capture/batch-decoder.ts DecodedBatch).
struct Columns {
  const uint8_t* kind;
  const double* address;
  const double* size;
  const uint32_t* stack;  // stack node ids (stats) or rows (report)
  const double* time_us;
  size_t count;
};

struct StatsFigures {
  double allocations = 0, frees = 0, resizes = 0, records = 0;
  double unknown_frees = 0, unknown_stacks = 0;
  double total_allocated = 0, live_bytes = 0, peak_bytes = 0, peak_time_us = 0, last_time_us = 0;
  double peak_gen = 0;
};

class StatsPass {
 public:
  // Per node, kNodeStride doubles: bytes now, blocks now, snapshot generation, bytes and blocks then.
  static constexpr size_t kNodeStride = 5;

  // max_node: the largest stack node id defined so far (larger ones count as unknown, node 0).
  void add(const Columns& b, uint32_t max_node);

  const StatsFigures& figures() const { return f_; }
  size_t live_blocks() const { return live_.size(); }
  const std::vector<double>& nodes() const { return nodes_; }

 private:
  struct Block {
    double size;
    uint32_t stack;
  };
  void change_node(uint32_t n, double bytes, double blocks, double peak_gen) {
    double* o = &nodes_[n * kNodeStride];
    if (o[2] < peak_gen) {
      o[2] = peak_gen;
      o[3] = o[0];
      o[4] = o[1];
    }
    o[0] += bytes;
    o[1] += blocks;
  }

  StatsFigures f_;
  LiveBlocks<Block> live_;
  std::vector<double> nodes_ = std::vector<double>(1024 * kNodeStride, 0.0);
};

}  // namespace pymemprof::reader

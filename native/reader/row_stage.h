// The order-independent half of the report pass (native counterpart of RowStage in
// src/analysis/row-stage.ts): the row (dense number of a (stack node, thread) pair) of every
// allocation record, per-row totals, the size histogram and per-domain figures. Same order of
// every sum as the TypeScript (per-batch domain partials included).
#pragma once

#include <cstdint>
#include <vector>

#include "live_blocks.h"

namespace pymemprof::reader {

class RowStage {
 public:
  // Writes the row of every ALLOC_*/RESIZE_* record to row_out[i] (0 for the others); row_out may be
  // `stack` itself. Stack ids above max_node count as unknown (node 0).
  void batch(const uint8_t* kind, const double* size, const uint32_t* stack, const uint32_t* thread, size_t n,
             uint32_t max_node, uint32_t* row_out);

  size_t rows() const { return row_stack_.size(); }
  const std::vector<uint32_t>& row_stack() const { return row_stack_; }
  const std::vector<uint32_t>& row_thread() const { return row_thread_; }
  // Per row at 2 * row: bytes, count.
  const std::vector<double>& totals() const { return totals_; }
  const double* histogram() const { return hist_; }
  const double* domain_count() const { return domain_count_; }
  const double* domain_bytes() const { return domain_bytes_; }
  double allocations = 0, resizes = 0, total_allocated = 0, unknown_stacks = 0;

 private:
  struct Ways {
    uint32_t row1, thread1, row2, thread2;  // row + 1 (0: none)
  };
  uint32_t slow_row(uint32_t stack, uint32_t thread);
  uint32_t new_row(uint32_t stack, uint32_t thread);

  std::vector<Ways> ways_;
  U64Map others_{64};
  std::vector<uint32_t> row_stack_, row_thread_;
  std::vector<double> totals_;
  double hist_[64] = {};
  double domain_count_[3] = {};
  double domain_bytes_[3] = {};
};

}  // namespace pymemprof::reader

#include "row_stage.h"

#include <cmath>

namespace pymemprof::reader {

namespace {
// Domain (0 RAW, 1 MEM, 2 OBJ) of the ALLOC_* and RESIZE_* kinds.
constexpr uint8_t kDomainOfKind[13] = {0, 0, 1, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0};

// Allocations by size class: index i counts sizes in [2^(i-1), 2^i) (index 0: below 1).
inline int size_class(double sz) {
  if (sz == 0) return 0;
  if (sz < 4294967296.0) {
    uint32_t u = static_cast<uint32_t>(sz);
    return u == 0 ? 0 : 32 - __builtin_clz(u);
  }
  return static_cast<int>(std::fmin(63, std::floor(std::log2(sz)) + 1));
}
}  // namespace

uint32_t RowStage::new_row(uint32_t stack, uint32_t thread) {
  uint32_t row = static_cast<uint32_t>(row_stack_.size());
  row_stack_.push_back(stack);
  row_thread_.push_back(thread);
  totals_.push_back(0);
  totals_.push_back(0);
  return row;
}

uint32_t RowStage::slow_row(uint32_t stack, uint32_t thread) {
  if (stack >= ways_.size()) {
    size_t len = ways_.empty() ? 1024 : ways_.size();
    while (len <= stack) len *= 2;
    ways_.resize(len, Ways{0, 0, 0, 0});
  }
  Ways& w = ways_[stack];
  if (w.row1 == 0) {
    w.row1 = new_row(stack, thread) + 1;
    w.thread1 = thread;
    return w.row1 - 1;
  }
  if (w.thread1 == thread) return w.row1 - 1;
  if (w.row2 == 0) {
    w.row2 = new_row(stack, thread) + 1;
    w.thread2 = thread;
    return w.row2 - 1;
  }
  if (w.thread2 == thread) return w.row2 - 1;
  uint64_t key = ((uint64_t{stack} << 32) | thread) + 1;
  int32_t row = others_.get(key);
  if (row < 0) {
    row = static_cast<int32_t>(new_row(stack, thread));
    others_.set(key, row);
  }
  return static_cast<uint32_t>(row);
}

void RowStage::batch(const uint8_t* kind, const double* size, const uint32_t* stack, const uint32_t* thread, size_t n,
                     uint32_t max_node, uint32_t* row_out) {
  double dom[6] = {};
  double allocs = allocations, resz = resizes, total = total_allocated, unknown = unknown_stacks;
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < n; i++) {
    if (i + kAhead < n && stack[i + kAhead] < ways_.size()) __builtin_prefetch(&ways_[stack[i + kAhead]]);
    uint8_t k = kind[i];
    if (k <= 3 || (k >= 7 && k <= 9)) {
      uint32_t s = stack[i];
      if (s > max_node) {
        unknown++;
        s = 0;
      }
      uint32_t th = thread[i];
      double sz = size[i];
      uint32_t row;
      if (s < ways_.size() && ways_[s].row1 != 0 && ways_[s].thread1 == th) {
        row = ways_[s].row1 - 1;
      } else if (s < ways_.size() && ways_[s].row2 != 0 && ways_[s].thread2 == th) {
        row = ways_[s].row2 - 1;
      } else {
        row = slow_row(s, th);
      }
      row_out[i] = row;
      totals_[2 * size_t{row}] += sz;
      totals_[2 * size_t{row} + 1] += 1;
      if (k <= 3) allocs++;
      else resz++;
      uint8_t d = kDomainOfKind[k];
      dom[d]++;
      dom[d + 3] += sz;
      hist_[size_class(sz)]++;
      total += sz;
    } else {
      row_out[i] = 0;
    }
  }
  allocations = allocs;
  resizes = resz;
  total_allocated = total;
  unknown_stacks = unknown;
  for (int d = 0; d < 3; d++) {
    domain_count_[d] += dom[d];
    domain_bytes_[d] += dom[d + 3];
  }
}

}  // namespace pymemprof::reader

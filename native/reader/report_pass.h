// The ordered half of the report pass (native counterpart of ReportReducer.replay and finish in
// src/analysis/report-reducer.ts: same buckets, positions, pending frees and temporal aggregates,
// same order of every sum; see that file's comment for the model). Rows come from the row stage.
#pragma once

#include <cstdint>
#include <vector>

#include "live_blocks.h"
#include "stats_pass.h"

namespace pymemprof::reader {

constexpr int kMaxBuckets = 1024;
constexpr uint32_t kPosEnd = 4095;
constexpr uint32_t kPosMul = 4096;
constexpr double kInitialWidthUs = 128;

struct ReportFigures {
  double records = 0, alloc_index = 0, frees = 0, unknown_frees = 0;
  double live_bytes = 0, peak_bytes = 0, peak_time_us = 0, last_time_us = 0;
};

struct Mark {
  double id;
  double time_us;
};

// Temporal aggregates, columnar: blocks live at some bucket's high-water mark, by (row, ap, fp).
struct Temporal {
  std::vector<uint32_t> row;
  std::vector<uint16_t> ap, fp;
  std::vector<double> bytes, count;
};

class ReportPass {
 public:
  explicit ReportPass(double temporary_threshold);

  // b.stack holds rows (ALLOC_*, RESIZE_*).
  void add(const Columns& b);
  // Closes the last bucket and adds the blocks still live; once, after the last batch.
  void finish();

  const ReportFigures& figures() const { return f_; }
  size_t live_blocks() const { return blocks_.size(); }
  const std::vector<Mark>& marks() const { return marks_; }
  // Per row at 2 * row: temporary bytes, count.
  const std::vector<double>& row_temporary() const { return row_temp_; }
  const Temporal& temporal() const { return committed_; }
  double width_us() const { return width_us_; }
  int buckets() const { return cur_ + 1; }
  const double* bucket_peak() const { return b_peak_; }
  const double* bucket_peak_index() const { return b_peak_idx_; }
  const double* bucket_end() const { return b_end_; }

 private:
  // 24 bytes, so that a live-block entry (address + this) is 32 and never straddles cache lines
  // (at 40 bytes half of them did: two misses per lookup). The allocation's time is kept as its
  // bucket then and the number of coarsenings then: after d more coarsenings its bucket is
  // bucket >> d, exactly floor(time / width) at the current width (widths double each time).
  struct Block {
    double size;
    double index;
    uint32_t row;
    uint16_t bucket;
    uint16_t generation;
  };
  static_assert(sizeof(Block) == 24, "live-block entries of 32 bytes");
  // The allocation's bucket at the current width.
  uint32_t bucket_now(const Block& b) const {
    uint32_t d = generation_ - b.generation;
    return d >= 16 ? 0 : uint32_t{b.bucket} >> d;
  }
  void commit(uint32_t row, uint32_t ap, uint32_t fp, double bytes, double count);
  void add_pending(uint32_t row, uint32_t ap, double bytes);
  void flush_pending(uint32_t fp);
  void advance(double t);
  void empty_bucket(int k);
  void coarsen();
  void died(const Block& old, int c);

  double threshold_;
  LiveBlocks<Block> blocks_;
  ReportFigures f_;
  std::vector<Mark> marks_;
  std::vector<double> row_temp_ = std::vector<double>(2048, 0.0);

  double width_us_ = kInitialWidthUs;
  uint16_t generation_ = 0;  // coarsenings so far
  int cur_ = 0;
  double cur_end_us_ = kInitialWidthUs;
  double b_peak_[kMaxBuckets] = {};
  double b_peak_idx_[kMaxBuckets] = {};
  double b_end_[kMaxBuckets] = {};

  U64Map pending_index_{256};
  std::vector<uint32_t> p_row_;
  std::vector<uint16_t> p_ap_;
  std::vector<double> p_bytes_, p_count_;

  U64Map committed_index_{1024};
  Temporal committed_;
  uint64_t last_commit_key_ = 0;  // 0: none (keys are nonzero)
  int32_t last_commit_index_ = -1;
  // Up to this many waiting frees are found by a scan; beyond, pending_index_ holds them all.
  static constexpr size_t kPendingScan = 8;
  bool finished_ = false;
};

}  // namespace pymemprof::reader

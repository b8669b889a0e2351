#include "report_pass.h"

#include <algorithm>
#include <cmath>

namespace pymemprof::reader {

namespace {
uint64_t pending_key(uint32_t row, uint32_t ap) { return (uint64_t{row} << 24) + ap + 1; }
uint64_t committed_key(uint32_t row, uint32_t pos) { return (uint64_t{row} << 24) + pos + 1; }
}  // namespace

ReportPass::ReportPass(double temporary_threshold) : threshold_(std::max(1.0, temporary_threshold)) {
  b_peak_idx_[0] = -1;
}

void ReportPass::commit(uint32_t row, uint32_t ap, uint32_t fp, double bytes, double count) {
  if (ap >= fp) return;  // never live at any bucket's peak
  uint64_t key = committed_key(row, ap * kPosMul + fp);
  // The same allocation site, bucket and free position comes back flush after flush.
  int32_t i = key == last_commit_key_ ? last_commit_index_ : committed_index_.get(key);
  if (i < 0) {
    i = static_cast<int32_t>(committed_.row.size());
    committed_index_.set(key, i);
    committed_.row.push_back(row);
    committed_.ap.push_back(static_cast<uint16_t>(ap));
    committed_.fp.push_back(static_cast<uint16_t>(fp));
    committed_.bytes.push_back(bytes);
    committed_.count.push_back(count);
  } else {
    committed_.bytes[i] += bytes;
    committed_.count[i] += count;
  }
  last_commit_key_ = key;
  last_commit_index_ = i;
}

void ReportPass::add_pending(uint32_t row, uint32_t ap, double bytes) {
  size_t n = p_row_.size();
  if (n <= kPendingScan) {
    // Few frees wait at a time (a new peak flushes them): a scan, and no index to maintain.
    for (size_t i = 0; i < n; i++) {
      if (p_row_[i] == row && p_ap_[i] == ap) {
        p_bytes_[i] += bytes;
        p_count_[i] += 1;
        return;
      }
    }
    p_row_.push_back(row);
    p_ap_.push_back(static_cast<uint16_t>(ap));
    p_bytes_.push_back(bytes);
    p_count_.push_back(1);
    if (n + 1 > kPendingScan) {
      for (size_t i = 0; i <= n; i++) pending_index_.set(pending_key(p_row_[i], p_ap_[i]), static_cast<int32_t>(i));
    }
    return;
  }
  uint64_t key = pending_key(row, ap);
  int32_t i = pending_index_.get(key);
  if (i < 0) {
    pending_index_.set(key, static_cast<int32_t>(p_row_.size()));
    p_row_.push_back(row);
    p_ap_.push_back(static_cast<uint16_t>(ap));
    p_bytes_.push_back(bytes);
    p_count_.push_back(1);
  } else {
    p_bytes_[i] += bytes;
    p_count_[i] += 1;
  }
}

void ReportPass::flush_pending(uint32_t fp) {
  size_t n = p_row_.size();
  for (size_t i = 0; i < n; i++) commit(p_row_[i], p_ap_[i], fp, p_bytes_[i], p_count_[i]);
  if (n > kPendingScan) {
    if (n * 8 < pending_index_.size() * 2 + 64) {
      for (size_t i = 0; i < n; i++) pending_index_.erase(pending_key(p_row_[i], p_ap_[i]));
    } else {
      pending_index_.clear();
    }
  }
  p_row_.clear();
  p_ap_.clear();
  p_bytes_.clear();
  p_count_.clear();
}

void ReportPass::advance(double t) {
  int64_t nb = static_cast<int64_t>(std::floor(t / width_us_));
  int c = cur_;
  if (nb <= c) return;
  flush_pending(2 * c + 1);
  b_end_[c] = f_.live_bytes;
  while (nb >= kMaxBuckets) {
    // Fill the buckets up to the last one, then merge pairs.
    for (int k = c + 1; k < kMaxBuckets; k++) empty_bucket(k);
    cur_ = kMaxBuckets - 1;
    coarsen();
    nb = static_cast<int64_t>(std::floor(t / width_us_));
  }
  for (int64_t k = cur_ + 1; k < nb; k++) empty_bucket(static_cast<int>(k));
  cur_ = static_cast<int>(nb);
  b_peak_[nb] = f_.live_bytes;
  b_peak_idx_[nb] = f_.alloc_index - 1;
  b_end_[nb] = f_.live_bytes;
  cur_end_us_ = static_cast<double>(nb + 1) * width_us_;
}

void ReportPass::empty_bucket(int k) {
  b_peak_[k] = f_.live_bytes;
  b_peak_idx_[k] = f_.alloc_index - 1;
  b_end_[k] = f_.live_bytes;
}

void ReportPass::coarsen() {
  constexpr int half = kMaxBuckets / 2;
  uint8_t side[half];  // which half of each pair holds the merged peak (0: left, ties go left)
  for (int j = 0; j < half; j++) {
    int l = 2 * j, r = l + 1;
    bool right = b_peak_[r] > b_peak_[l];
    side[j] = right ? 1 : 0;
    int s = right ? r : l;
    double pk = b_peak_[s], pi = b_peak_idx_[s], end = b_end_[r];
    b_peak_[j] = pk;
    b_peak_idx_[j] = pi;
    b_end_[j] = end;
  }
  auto remap = [&](uint32_t p) -> uint32_t {
    if (p == kPosEnd) return kPosEnd;
    uint32_t b = p >> 1, j = b >> 1, is_right = b & 1;
    if (is_right == side[j]) return 2 * j + (p & 1);
    return is_right ? 2 * j + 1 : 2 * j;  // the other half is entirely after / before the peak
  };
  Temporal old;
  std::swap(old, committed_);
  committed_index_.clear();
  last_commit_key_ = 0;
  for (size_t i = 0; i < old.row.size(); i++) commit(old.row[i], remap(old.ap[i]), remap(old.fp[i]), old.bytes[i], old.count[i]);
  width_us_ *= 2;
  generation_++;
  cur_ = half - 1;
}

void ReportPass::died(const Block& old, int c) {
  if (f_.alloc_index - 1 - old.index < threshold_) {
    row_temp_[2 * size_t{old.row}] += old.size;
    row_temp_[2 * size_t{old.row} + 1] += 1;
  }
  // Position of the allocation: 2ab or 2ab+1 in its bucket ab (clamped to the current bucket for
  // clock skew across threads). Allocated in the current bucket after its latest maximum: never
  // live at a peak, dropped (the common case).
  uint32_t ab = bucket_now(old);
  if (ab >= static_cast<uint32_t>(c)) {
    if (old.index <= b_peak_idx_[c]) add_pending(old.row, 2 * c, old.size);
  } else {
    add_pending(old.row, 2 * ab + (old.index > b_peak_idx_[ab] ? 1 : 0), old.size);
  }
  f_.live_bytes -= old.size;
}

void ReportPass::add(const Columns& b) {
  if (finished_) return;
  // The current bucket c covers [c * width, cur_end_us_); the width is a power of two, so
  // t * inv_width is exactly t / width.
  int c = cur_;
  double cur_start_us = c * width_us_;
  double inv_width = 1 / width_us_;
  Block old{};
  // A block that dies young is charged to its row's temporary figures, a random line of row_temp_:
  // fetch the rows of allocations a few records ahead (0 for other kinds: harmless).
  constexpr size_t kAhead = 16;
  // The live-block slot of the record kBlockAhead ahead is worked out and fetched now; the record
  // then uses it (a hint: valid unless the slots' layout changed in between).
  constexpr size_t kBlockAhead = 8;
  constexpr size_t kHints = 16;  // a power of two above kBlockAhead
  LiveBlocks<Block>::Hint hints[kHints];
  const size_t temp_len = row_temp_.size();
  for (size_t i = 0; i < b.count; i++) {
    if (i + kAhead < b.count) {
      size_t r = 2 * size_t{b.stack[i + kAhead]};
      if (r < temp_len) __builtin_prefetch(&row_temp_[r], 1);
    }
    if (i + kBlockAhead < b.count) {
      LiveBlocks<Block>::Hint& ahead = hints[(i + kBlockAhead) & (kHints - 1)];
      uint64_t addr = static_cast<uint64_t>(b.address[i + kBlockAhead]);
      ahead = blocks_.hint(addr);
      __builtin_prefetch(blocks_.slot_address(addr, ahead), 1);
    }
    const LiveBlocks<Block>::Hint* hint = i >= kBlockAhead ? &hints[i & (kHints - 1)] : nullptr;
    uint8_t k = b.kind[i];
    double t = b.time_us[i];
    if (t >= cur_end_us_) {
      advance(t);
      c = cur_;
      cur_start_us = c * width_us_;
      inv_width = 1 / width_us_;
    }
    if (k <= 3 || (k >= 7 && k <= 9)) {
      // ALLOC_* and RESIZE_*: the block at the address now has this size, row and time.
      uint32_t row = b.stack[i];
      if (2 * size_t{row} + 1 >= row_temp_.size()) {
        size_t len = row_temp_.size();
        while (len <= 2 * size_t{row} + 1) len *= 2;
        row_temp_.resize(len, 0.0);
      }
      double sz = b.size[i];
      double index = f_.alloc_index++;
      // Die before the new block counts, so the bucket's peak check below sees the net change.
      // Its bucket: the current one, or an earlier one for a time skewed back across threads.
      uint16_t bucket = static_cast<uint16_t>(t >= cur_start_us ? c : std::floor(t * inv_width));
      if (blocks_.set(static_cast<uint64_t>(b.address[i]), sz, Block{sz, index, row, bucket, generation_}, &old, hint)) died(old, c);
      double live = (f_.live_bytes += sz);
      if (live > b_peak_[c]) {
        b_peak_[c] = live;
        b_peak_idx_[c] = index;
        if (!p_row_.empty()) flush_pending(2 * c);
        if (live > f_.peak_bytes) {
          f_.peak_bytes = live;
          f_.peak_time_us = t;
        }
      }
    } else if (k <= 6) {
      f_.frees++;
      if (blocks_.erase(static_cast<uint64_t>(b.address[i]), &old, hint)) {
        died(old, c);
      } else {
        f_.unknown_frees++;
      }
    } else if (k == 12) {
      marks_.push_back(Mark{b.size[i], t});
    }
  }
  f_.records += b.count;
  if (b.count > 0) f_.last_time_us = b.time_us[b.count - 1];
}

void ReportPass::finish() {
  if (finished_) return;
  finished_ = true;
  int c = cur_;
  flush_pending(2 * c + 1);
  b_end_[c] = f_.live_bytes;
  blocks_.for_each([&](uint64_t, const Block& blk) {
    uint32_t a = std::min(bucket_now(blk), static_cast<uint32_t>(c));
    uint32_t ap = 2 * a + (blk.index > b_peak_idx_[a] ? 1 : 0);
    commit(blk.row, ap, kPosEnd, blk.size, 1);
  });
}

}  // namespace pymemprof::reader

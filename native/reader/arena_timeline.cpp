#include "arena_timeline.h"

#include <algorithm>
#include <cmath>

namespace pymemprof::reader {

namespace {
constexpr int kMaxBuckets = 1024;        // report-reducer.ts MAX_BUCKETS
constexpr double kInitialWidthUs = 128;  // report-reducer.ts INITIAL_WIDTH_US
constexpr uint8_t kAllocMem = 2, kAllocObj = 3, kFreeMem = 5, kFreeObj = 6, kResizeMem = 8, kResizeObj = 9;
constexpr uint8_t kArenaAlloc = 10, kArenaFree = 11;
}  // namespace

ArenaTimelinePass::ArenaTimelinePass(const PymallocGeometry& g, double fixed_width_us, int fixed_buckets)
    : arena_size_(static_cast<uint64_t>(g.arena_size)),
      pool_size_(static_cast<uint64_t>(g.pool_size)),
      alignment_(static_cast<uint64_t>(g.alignment)),
      threshold_(g.small_request_threshold),
      max_pools_(static_cast<int64_t>(g.arena_size / g.pool_size)),
      num_classes_(static_cast<int>(g.small_request_threshold / g.alignment)),
      pool_overhead_(g.alignment >= 16 ? 48 : 32),
      width_us_(fixed_buckets > 0 ? fixed_width_us : kInitialWidthUs),
      fixed_buckets_(std::max(0, fixed_buckets)),
      capacity_(fixed_buckets > 0 ? fixed_buckets : kMaxBuckets) {
  for (int i = 0; i < num_classes_; i++)
    num_blocks_.push_back((static_cast<int64_t>(pool_size_) - pool_overhead_) / ((i + 1) * static_cast<int64_t>(alignment_)));
  words_per_pool_ = static_cast<size_t>((num_blocks_[0] + 31) / 32);
  if (pool_size_ > 0 && (pool_size_ & (pool_size_ - 1)) == 0) pool_shift_ = __builtin_ctzll(pool_size_);
  for (int i = 0; i < num_classes_; i++) {
    uint64_t bsize = static_cast<uint64_t>(i + 1) * alignment_;
    // q = (off * m) >> 32 with m = ceil(2^32 / d) is floor(off / d) while off * d < 2^32.
    class_magic_.push_back(pool_size_ <= 65536 && bsize > 0 && bsize <= 65536 ? ((uint64_t{1} << 32) + bsize - 1) / bsize : 0);
  }
  class_pools_.assign(num_classes_, 0);
  class_blocks_.assign(num_classes_, 0);
  arenas_max_.assign(capacity_, 0);
  arenas_end_.assign(capacity_, 0);
  pools_end_.assign(capacity_, 0);
  pools_.assign(static_cast<size_t>(num_classes_) * capacity_, 0);
  blocks_.assign(static_cast<size_t>(num_classes_) * capacity_, 0);
}

int ArenaTimelinePass::arena_of(uint64_t address) {
  if (last_ >= 0) {
    const Arena& l = arenas_[last_];
    if (address >= l.base && address - l.base < arena_size_) return last_;
  }
  uint64_t key = address / arena_size_;
  int id = arena_by_key(key);
  if (id >= 0 && address >= arenas_[id].base) return last_ = id;
  if (key > 0) {
    id = arena_by_key(key - 1);
    if (id >= 0 && address - arenas_[id].base < arena_size_) return last_ = id;
  }
  return -1;
}

int ArenaTimelinePass::arena_by_key(uint64_t key) {
  KeySlot& s = key_cache_[key & (kKeySlots - 1)];
  if (s.key == key) return s.id;
  auto it = by_key_.find(key);
  s.key = key;
  s.id = it == by_key_.end() ? -1 : it->second;
  return s.id;
}

void ArenaTimelinePass::set_arena_key(uint64_t key, int id) {
  by_key_[key] = id;  // replaces, as the TypeScript's Map.set
  key_cache_[key & (kKeySlots - 1)] = {key, id};
}

void ArenaTimelinePass::erase_arena_key(uint64_t key) {
  by_key_.erase(key);
  key_cache_[key & (kKeySlots - 1)] = {key, -1};
}

bool ArenaTimelinePass::locate(const Arena& a, uint64_t address, int cls, int64_t* pool, int64_t* slot) {
  int64_t rel = static_cast<int64_t>(address) - static_cast<int64_t>(a.first_pool);
  if (rel < 0) {
    anomalies_++;
    return false;
  }
  int64_t p = static_cast<int64_t>(pool_index(static_cast<uint64_t>(rel)));
  int64_t off = rel - p * static_cast<int64_t>(pool_size_) - pool_overhead_;
  int64_t bsize = (cls + 1) * static_cast<int64_t>(alignment_);
  if (p >= a.total_pools || off < 0) {
    anomalies_++;  // not a block boundary
    return false;
  }
  uint64_t m = class_magic_[cls];
  int64_t q = m ? static_cast<int64_t>((static_cast<uint64_t>(off) * m) >> 32) : off / bsize;
  if (off - q * bsize != 0 || q >= num_blocks_[cls]) {
    anomalies_++;  // not a block boundary
    return false;
  }
  *pool = p;
  *slot = q;
  return true;
}

// Pool number of an address in arena a (negative before its first pool).
int64_t ArenaTimelinePass::pool_of(uint64_t address, uint64_t first_pool) const {
  int64_t rel = static_cast<int64_t>(address) - static_cast<int64_t>(first_pool);
  if (rel >= 0) return static_cast<int64_t>(pool_index(static_cast<uint64_t>(rel)));
  int64_t ps = static_cast<int64_t>(pool_size_);
  return -((-rel + ps - 1) / ps);
}

void ArenaTimelinePass::alloc(uint64_t address, double size) {
  int id = arena_of(address);
  if (id < 0) return;
  if (!(size >= 1 && size <= threshold_)) {
    anomalies_++;  // size-not-pymalloc
    return;
  }
  Arena& a = arenas_[id];
  int want = static_cast<int>(std::floor((size - 1) / static_cast<double>(alignment_)));
  int64_t pool = pool_of(address, a.first_pool);
  int cls = want;
  bool in_use = pool >= 0 && pool < a.total_pools && a.count[pool] > 0;
  if (in_use && a.cls[pool] != want) {
    cls = a.cls[pool];
    anomalies_++;  // class-mismatch
  }
  int64_t p, slot;
  if (!locate(a, address, cls, &p, &slot)) return;
  size_t w = static_cast<size_t>(p) * words_per_pool_ + static_cast<size_t>(slot >> 5);
  uint32_t bit = 1u << (slot & 31);
  if (a.live[w] & bit) {
    anomalies_++;  // alloc-already-live
    return;
  }
  if (a.count[p] == 0) {
    a.cls[p] = static_cast<int8_t>(cls);
    a.used_pools++;
    class_pools_[cls]++;
  }
  a.live[w] |= bit;
  a.count[p]++;
  a.blocks++;
  class_blocks_[cls]++;
}

void ArenaTimelinePass::free_block(uint64_t address) {
  int id = arena_of(address);
  if (id < 0) return;
  Arena& a = arenas_[id];
  int64_t pool = pool_of(address, a.first_pool);
  if (pool < 0 || pool >= a.total_pools || a.count[pool] == 0) {
    anomalies_++;  // free-not-live
    return;
  }
  int cls = a.cls[pool];
  int64_t p, slot;
  if (!locate(a, address, cls, &p, &slot)) return;
  size_t w = static_cast<size_t>(pool) * words_per_pool_ + static_cast<size_t>(slot >> 5);
  uint32_t bit = 1u << (slot & 31);
  if (!(a.live[w] & bit)) {
    anomalies_++;  // free-not-live
    return;
  }
  a.live[w] &= ~bit;
  a.blocks--;
  class_blocks_[cls]--;
  if (--a.count[pool] == 0) {
    a.used_pools--;
    class_pools_[cls]--;
  }
}

void ArenaTimelinePass::resize(uint64_t address, double size) {
  int id = arena_of(address);
  if (id < 0) return;
  Arena& a = arenas_[id];
  int64_t pool = pool_of(address, a.first_pool);
  if (pool < 0 || pool >= a.total_pools || a.count[pool] == 0) {
    anomalies_++;  // resize-not-live
    return;
  }
  int cls = a.cls[pool];
  int64_t p, slot;
  if (!locate(a, address, cls, &p, &slot)) return;
  if (!(a.live[static_cast<size_t>(pool) * words_per_pool_ + static_cast<size_t>(slot >> 5)] & (1u << (slot & 31)))) {
    anomalies_++;  // resize-not-live
    return;
  }
  double bsize = static_cast<double>((cls + 1) * alignment_);
  if (!(size <= bsize && 4 * size > 3 * bsize)) anomalies_++;  // resize-outside-class
}

void ArenaTimelinePass::arena_alloc(uint64_t address, double size) {
  if (size != static_cast<double>(arena_size_)) {
    // Not an arena: 3.11+ frame data stack chunks come from the same allocator.
    other_chunks_[address] = size;
    return;
  }
  if (arena_of(address) >= 0 || arena_of(address + arena_size_ - 1) >= 0) {
    anomalies_++;  // arena-overlap
    return;
  }
  int id;
  if (!spare_.empty()) {
    id = spare_.back();
    spare_.pop_back();
  } else {
    id = static_cast<int>(arenas_.size());
    arenas_.emplace_back();
    Arena& fresh = arenas_.back();
    fresh.count.assign(max_pools_, 0);
    fresh.cls.assign(max_pools_, -1);
    fresh.live.assign(static_cast<size_t>(max_pools_) * words_per_pool_, 0);
  }
  Arena& a = arenas_[id];
  a.base = address;
  uint64_t excess = address % pool_size_;
  a.first_pool = excess == 0 ? address : address + pool_size_ - excess;
  a.total_pools = excess == 0 ? max_pools_ : max_pools_ - 1;
  set_arena_key(address / arena_size_, id);
  arenas_current_++;
}

void ArenaTimelinePass::arena_free(uint64_t address) {
  if (other_chunks_.erase(address) > 0) return;
  uint64_t key = address / arena_size_;
  int id = arena_by_key(key);
  if (id < 0 || arenas_[id].base != address) {
    anomalies_++;  // arena-free-unknown
    return;
  }
  Arena& a = arenas_[id];
  if (a.used_pools > 0) {
    anomalies_++;  // arena-free-not-empty
    for (int64_t p = 0; p < a.total_pools; p++) {
      uint16_t c = a.count[p];
      if (c == 0) continue;
      class_blocks_[a.cls[p]] -= c;
      class_pools_[a.cls[p]]--;
    }
  }
  erase_arena_key(key);
  if (last_ == id) last_ = -1;
  arenas_current_--;
  a.used_pools = 0;
  a.blocks = 0;
  std::fill(a.count.begin(), a.count.end(), 0);
  std::fill(a.cls.begin(), a.cls.end(), -1);
  std::fill(a.live.begin(), a.live.end(), 0);
  spare_.push_back(id);
}

void ArenaTimelinePass::apply(uint8_t kind, uint64_t address, double size) {
  switch (kind) {
    case kAllocMem:
    case kAllocObj:
      alloc(address, size);
      break;
    case kFreeMem:
    case kFreeObj:
      free_block(address);
      break;
    case kResizeMem:
    case kResizeObj:
      resize(address, size);
      break;
    case kArenaAlloc:
      arena_alloc(address, size);
      break;
    case kArenaFree:
      arena_free(address);
      break;
    default:
      break;  // RAW domain, MARK
  }
}

void ArenaTimelinePass::close(int up_to) {
  double used = 0;
  for (int c = 0; c < num_classes_; c++) used += class_pools_[c];
  for (int k = cur_; k < up_to; k++) {
    arenas_max_[k] = k == cur_ ? std::max(cur_max_, arenas_current_) : arenas_current_;
    arenas_end_[k] = arenas_current_;
    pools_end_[k] = used;
    for (int c = 0; c < num_classes_; c++) {
      pools_[static_cast<size_t>(c) * capacity_ + k] = class_pools_[c];
      blocks_[static_cast<size_t>(c) * capacity_ + k] = class_blocks_[c];
    }
  }
  cur_ = up_to;
  cur_max_ = arenas_current_;
}

void ArenaTimelinePass::coarsen() {
  constexpr int half = kMaxBuckets / 2;
  for (int j = 0; j < half; j++) {
    int l = 2 * j, r = l + 1;
    arenas_max_[j] = std::max(arenas_max_[l], arenas_max_[r]);
    arenas_end_[j] = arenas_end_[r];
    pools_end_[j] = pools_end_[r];
    for (int c = 0; c < num_classes_; c++) {
      size_t o = static_cast<size_t>(c) * capacity_;
      pools_[o + j] = pools_[o + r];
      blocks_[o + j] = blocks_[o + r];
    }
  }
  cur_ = half;
  width_us_ *= 2;
}

void ArenaTimelinePass::batch(const uint8_t* kind, const double* address, const double* size, const double* time_us, size_t n) {
  if (finished_ > 0) return;
  double width = width_us_;
  int cur = cur_;
  // A time below `guard` lies in the current bucket or before it (floor(t / width) <= cur, with
  // room for rounding), so most records skip the division.
  double guard = (cur + 1) * width * (1 - 1e-9);
  for (size_t i = 0; i < n; i++) {
    if (time_us[i] >= guard) {
      double kd = std::floor(time_us[i] / width);
      if (kd > cur) {
        if (fixed_buckets_ > 0) {
          if (kd >= fixed_buckets_) kd = fixed_buckets_ - 1;
        } else {
          while (kd >= kMaxBuckets) {
            close(kMaxBuckets);
            coarsen();
            width = width_us_;
            kd = std::floor(time_us[i] / width);
          }
        }
        if (kd > cur_) close(static_cast<int>(kd));
        cur = cur_;
        guard = (cur + 1) * width * (1 - 1e-9);
      }
    }
    uint8_t k = kind[i];
    apply(k, static_cast<uint64_t>(address[i]), size[i]);
    if (k == kArenaAlloc && arenas_current_ > cur_max_) cur_max_ = arenas_current_;
  }
}

void ArenaTimelinePass::finish() {
  if (finished_ > 0) return;
  finished_ = fixed_buckets_ > 0 ? fixed_buckets_ : cur_ + 1;
  close(finished_);
}

}  // namespace pymemprof::reader

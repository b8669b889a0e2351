// Live blocks keyed by address, for the report passes (the native counterpart of
// src/analysis/live-table.ts, block-table.ts and small-blocks.ts, with the same layout and rules so
// that iteration order, and therefore every floating-point sum taken over it, is the same).
//
// Small blocks (pymalloc's) are kept by where they are: the address space is cut into 4 KiB regions,
// and a region holding live blocks gets a dense chunk of slots, one per `width` bytes (its first
// block's size rounded up to 16: pymalloc's size class), so neighbouring blocks share cache lines.
// Everything else, and any small block the slots refuse (unaligned, or its slot taken by another
// live block), goes to an open-addressing hash table (linear probing, backward-shift deletion).
// An address is live in at most one of the two: a per-region count of hashed blocks says when a
// block entering a slot must first be taken out of the hash table. Address 0 is never stored.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pymemprof::reader {

constexpr double kSmallBlockMax = 512;
constexpr uint64_t kRegionBytes = 4096;
constexpr uint64_t kGranule = 16;
constexpr int kEmptyKept = 256;  // emptied regions kept open (a power of two)
constexpr uint64_t kElsewhereBuckets = 1u << 20;

// Home slot of an address in a table of 2^(32 - shift) slots (src/analysis/address-hash.ts).
inline uint32_t address_hash(uint64_t addr, int shift) {
  uint32_t mixed = static_cast<uint32_t>(addr) ^ static_cast<uint32_t>(addr >> 32);
  return (mixed * 0x9e3779b1u) >> shift;
}

// uint64 key (nonzero) → int32, open addressing (src/analysis/arena-addr-map.ts).
class U64Map {
 public:
  explicit U64Map(size_t capacity = 64) {
    size_t cap = 16;
    while (cap < capacity) cap *= 2;
    keys_.assign(cap, 0);
    values_.assign(cap, 0);
  }
  // -1 when absent.
  int32_t get(uint64_t key) const {
    size_t mask = keys_.size() - 1;
    for (size_t i = slot(key, mask);; i = (i + 1) & mask) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == 0) return -1;
    }
  }
  void set(uint64_t key, int32_t value) {
    size_t mask = keys_.size() - 1;
    size_t i = slot(key, mask);
    for (; keys_[i] != 0; i = (i + 1) & mask) {
      if (keys_[i] == key) {
        values_[i] = value;
        return;
      }
    }
    keys_[i] = key;
    values_[i] = value;
    if (++size_ * 2 > keys_.size()) grow();
  }
  void erase(uint64_t key) {
    size_t mask = keys_.size() - 1;
    size_t i = slot(key, mask);
    for (; keys_[i] != key; i = (i + 1) & mask) {
      if (keys_[i] == 0) return;
    }
    for (size_t j = i;;) {
      j = (j + 1) & mask;
      if (keys_[j] == 0) break;
      size_t home = slot(keys_[j], mask);
      bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        keys_[i] = keys_[j];
        values_[i] = values_[j];
        i = j;
      }
    }
    keys_[i] = 0;
    size_--;
  }
  void clear() {
    std::fill(keys_.begin(), keys_.end(), 0);
    size_ = 0;
  }
  size_t size() const { return size_; }

 private:
  static size_t slot(uint64_t key, size_t mask) {
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return static_cast<size_t>(h ^ (h >> 29)) & mask;
  }
  void grow() {
    std::vector<uint64_t> keys(keys_.size() * 2, 0);
    std::vector<int32_t> values(keys.size(), 0);
    keys.swap(keys_);
    values.swap(values_);
    size_ = 0;
    for (size_t i = 0; i < keys.size(); i++)
      if (keys[i] != 0) set(keys[i], values[i]);
  }
  std::vector<uint64_t> keys_;
  std::vector<int32_t> values_;
  size_t size_ = 0;
};

// Region number (address / 4 KiB) → region id, as a two-level radix table: a small map from the
// 16 MiB chunk to a dense leaf of 4096 ids. A lookup is one load from a leaf (pymalloc's arenas
// sit in few chunks, so leaves stay in cache) where a hash table over all regions missed the
// cache on many records. A leaf whose regions are all gone is recycled.
class RegionDirectory {
 public:
  static constexpr int kLeafBits = 12;
  static constexpr uint64_t kLeafMask = (uint64_t{1} << kLeafBits) - 1;

  // -1 when absent.
  int32_t get(uint64_t number) const {
    const int32_t* leaf = leaf_of(number >> kLeafBits);
    return leaf == nullptr ? -1 : leaf[number & kLeafMask];
  }
  void set(uint64_t number, int32_t id) {
    uint64_t chunk = number >> kLeafBits;
    int32_t li = chunks_.get(chunk + 1);
    if (li < 0) {
      if (!free_leaves_.empty()) {
        li = free_leaves_.back();
        free_leaves_.pop_back();
      } else {
        li = static_cast<int32_t>(leaf_used_.size());
        leaf_used_.push_back(0);
        ids_.resize(ids_.size() + (size_t{1} << kLeafBits), -1);
      }
      chunks_.set(chunk + 1, li);
      last_chunk_ = UINT64_MAX;  // ids_ may have moved
    }
    int32_t& slot = ids_[(size_t(li) << kLeafBits) + (number & kLeafMask)];
    if (slot < 0) leaf_used_[li]++;
    slot = id;
  }
  void erase(uint64_t number) {
    uint64_t chunk = number >> kLeafBits;
    int32_t li = chunks_.get(chunk + 1);
    if (li < 0) return;
    int32_t& slot = ids_[(size_t(li) << kLeafBits) + (number & kLeafMask)];
    if (slot < 0) return;
    slot = -1;
    if (--leaf_used_[li] == 0) {
      chunks_.erase(chunk + 1);
      free_leaves_.push_back(li);
      last_chunk_ = UINT64_MAX;
    }
  }

 private:
  const int32_t* leaf_of(uint64_t chunk) const {
    if (chunk == last_chunk_) return last_leaf_;
    int32_t li = chunks_.get(chunk + 1);
    if (li < 0) return nullptr;
    last_chunk_ = chunk;
    last_leaf_ = &ids_[size_t(li) << kLeafBits];
    return last_leaf_;
  }
  U64Map chunks_{16};
  std::vector<int32_t> ids_;
  std::vector<int32_t> leaf_used_;
  std::vector<int32_t> free_leaves_;
  mutable uint64_t last_chunk_ = UINT64_MAX;
  mutable const int32_t* last_leaf_ = nullptr;
};

// Payload: what the pass keeps per block (trivially copyable; its size is the block's size).
template <typename Payload>
class LiveBlocks {
 public:
  struct Entry {
    uint64_t addr;  // 0: empty
    Payload p;
  };

  // Where an address sits among the small blocks, worked out a few records ahead (for the prefetch)
  // and used again when the record comes: valid while no region has opened, closed or changed its
  // width since (epoch), which is most of the time.
  struct Hint {
    int64_t slot = -1;   // -1: not among the small blocks' regions
    int32_t region = -1;
    uint32_t epoch = ~0u;  // a hint not from hint() matches no epoch before 2^32 - 1 layout changes
  };

  LiveBlocks() {
    hash_.assign(size_t{1} << 9, Entry{});  // starts small: fresh addresses stay in warm lines
    shift_ = 32 - 9;
    limit_ = size_t{1} << 8;
    data_.resize(1 << 12);
    free_chunks_.resize(static_cast<size_t>(kSmallBlockMax / kGranule) + 1);
    elsewhere_.assign(kElsewhereBuckets, 0);
  }

  size_t size() const { return hash_used_ + small_count_; }

  // Inserts or replaces; true when the address was live (*old then holds its payload). `hint`:
  // from hint(addr), or null.
  bool set(uint64_t addr, double size, const Payload& p, Payload* old, const Hint* hint = nullptr) {
    if (addr == 0) return false;
    if (size > 0 && size <= kSmallBlockMax) {
      int64_t o = take(addr, size, hint);
      if (o >= 0) {
        Entry& e = data_[o];
        bool was = false;
        if (e.addr == addr) {
          *old = e.p;
          was = true;
        } else {
          if (may_be_elsewhere(addr)) was = hash_erase(addr, old);
          e.addr = addr;
          filled();
        }
        e.p = p;
        return was;
      }
    } else if (regions_ > 0) {
      int64_t o = find(addr, hint);
      if (o >= 0) {
        *old = data_[o].p;
        data_[o].p = p;
        return true;
      }
    }
    return hash_set(addr, p, old);
  }

  // Removes an address; false when unknown (*old holds its payload otherwise).
  bool erase(uint64_t addr, Payload* old, const Hint* hint = nullptr) {
    int64_t o = find(addr, hint);
    if (o < 0) return hash_erase(addr, old);
    *old = data_[o].p;
    vacate(o);
    return true;
  }

  // offset / width without a division (tens of cycles on the hot path): offsets are multiples of
  // 16 below 4096 and widths multiples of 16 up to 512, so offset/16 < 256 and width/16 <= 32, for
  // which (o * ceil(2^16 / w)) >> 16 == o / w exactly (tested over that
  // whole domain; the error stays below 1/256 of a unit).
  static uint32_t recip_of(uint32_t width) { return (65536 + width / kGranule - 1) / (width / kGranule); }
  static size_t slot_in_region(uint64_t offset, uint32_t recip) { return ((offset / kGranule) * recip) >> 16; }

  // The slot a hint names, or null: for the caller to prefetch a few records ahead of its set or
  // erase (a random line of a table bigger than the cache). The caller prefetches: GCC finds a
  // function that only prefetches free of effects and drops calls to it.
  // Not among the small blocks' regions: the home of addr in the hash table (large blocks, malloc's,
  // are all there: a random line of a table that outgrows the cache, as on fib_bigints' captures).
  const void* slot_address(uint64_t addr, const Hint& h) const {
    if (h.slot >= 0) return &data_[h.slot];
    return &hash_[address_hash(addr, shift_)];
  }

  Hint hint(uint64_t addr) const {
    Hint h;
    h.epoch = epoch_;
    if (regions_ == 0 || addr % kGranule != 0) return h;
    uint64_t number = addr / kRegionBytes;
    int32_t id = number == last_number_ ? last_id_ : directory_.get(number);
    if (id < 0) return h;
    h.region = id;
    h.slot = static_cast<int64_t>(slot_index(id, addr));
    return h;
  }

  // Every live block: the hash table in slot order, then the slots by region (as the JS tables).
  template <typename F>
  void for_each(F&& fn) const {
    for (const Entry& e : hash_)
      if (e.addr != 0) fn(e.addr, e.p);
    for (size_t id = 0; id < next_id_; id++) {
      if (reg_live_[id] <= 0) continue;
      size_t base = reg_base_[id];
      size_t end = base + chunk_slots(reg_width_[id]);
      for (size_t o = base; o < end; o++)
        if (data_[o].addr != 0) fn(data_[o].addr, data_[o].p);
    }
  }

 private:
  static size_t chunk_slots(uint32_t width) { return (kRegionBytes + width - 1) / width; }
  static uint32_t width_of(double size) { return static_cast<uint32_t>(std::ceil(size / kGranule)) * kGranule; }

  // Where addr's block sits among the slots of region id.
  size_t slot_index(int32_t id, uint64_t addr) const { return reg_base_[id] + slot_in_region(addr % kRegionBytes, reg_recip_[id]); }

  // ---- hash part ----
  bool hash_set(uint64_t addr, const Payload& p, Payload* old) {
    size_t n = hash_.size();
    size_t i = address_hash(addr, shift_);
    for (;;) {
      Entry& e = hash_[i];
      if (e.addr == addr) {
        *old = e.p;
        e.p = p;
        return true;
      }
      if (e.addr == 0) break;
      if (++i == n) i = 0;
    }
    hash_[i].addr = addr;
    hash_[i].p = p;
    note_elsewhere(addr, 1);
    if (++hash_used_ > limit_) grow();
    return false;
  }

  bool hash_erase(uint64_t addr, Payload* old) {
    if (addr == 0) return false;
    size_t n = hash_.size();
    size_t i = address_hash(addr, shift_);
    for (;;) {
      uint64_t k = hash_[i].addr;
      if (k == addr) break;
      if (k == 0) return false;
      if (++i == n) i = 0;
    }
    *old = hash_[i].p;
    for (size_t j = i;;) {
      if (++j == n) j = 0;
      uint64_t k = hash_[j].addr;
      if (k == 0) break;
      size_t home = address_hash(k, shift_);
      bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        hash_[i] = hash_[j];
        i = j;
      }
    }
    hash_[i].addr = 0;
    note_elsewhere(addr, -1);
    hash_used_--;
    return true;
  }

  void grow() {
    std::vector<Entry> old(hash_.size() * 2, Entry{});
    old.swap(hash_);
    shift_--;
    limit_ = hash_.size() / 2;
    size_t n = hash_.size();
    for (const Entry& e : old) {
      if (e.addr == 0) continue;
      size_t i = address_hash(e.addr, shift_);
      while (hash_[i].addr != 0)
        if (++i == n) i = 0;
      hash_[i] = e;
    }
  }

  void note_elsewhere(uint64_t addr, int delta) { elsewhere_[(addr / kRegionBytes) % kElsewhereBuckets] += delta; }
  bool may_be_elsewhere(uint64_t addr) const { return elsewhere_[(addr / kRegionBytes) % kElsewhereBuckets] != 0; }

  // ---- small part (src/analysis/small-blocks.ts) ----
  int32_t region_id(uint64_t number) {
    if (number == last_number_) return last_id_;
    int32_t id = directory_.get(number);
    if (id >= 0) {
      last_number_ = number;
      last_id_ = id;
    }
    return id;
  }

  int64_t find(uint64_t addr, const Hint* hint) {
    if (hint && hint->epoch == epoch_) {
      if (hint->slot < 0) return -1;
      region_ = hint->region;
      return data_[hint->slot].addr == addr ? hint->slot : -1;
    }
    if (regions_ == 0 || addr % kGranule != 0) return -1;
    uint64_t number = addr / kRegionBytes;
    int32_t id = region_id(number);
    if (id < 0) return -1;
    region_ = id;
    size_t o = slot_index(id, addr);
    return data_[o].addr == addr ? static_cast<int64_t>(o) : -1;
  }

  int64_t take(uint64_t addr, double size, const Hint* hint) {
    // The hint holds unless this record would give an emptied region a new width.
    if (hint && hint->epoch == epoch_ && hint->slot >= 0 && (reg_live_[hint->region] > 0 || reg_width_[hint->region] == width_of(size))) {
      region_ = hint->region;
      uint64_t k = data_[hint->slot].addr;
      return k == 0 || k == addr ? hint->slot : -1;
    }
    if (addr % kGranule != 0) return -1;
    uint64_t number = addr / kRegionBytes;
    int32_t id = region_id(number);
    if (id < 0) {
      id = open(number, width_of(size));
    } else if (reg_live_[id] == 0) {
      rewidth(id, width_of(size));
    }
    region_ = id;
    size_t o = slot_index(id, addr);
    uint64_t k = data_[o].addr;
    return k == 0 || k == addr ? static_cast<int64_t>(o) : -1;
  }

  void filled() {
    reg_live_[region_]++;
    small_count_++;
  }

  void vacate(size_t o) {
    data_[o].addr = 0;
    small_count_--;
    if (--reg_live_[region_] == 0) emptied(region_);
  }

  int32_t open(uint64_t number, uint32_t width) {
    int32_t id;
    if (!free_ids_.empty()) {
      id = free_ids_.back();
      free_ids_.pop_back();
    } else {
      id = static_cast<int32_t>(next_id_++);
      reg_number_.push_back(0);
      reg_width_.push_back(0);
      reg_recip_.push_back(0);
      reg_base_.push_back(0);
      reg_live_.push_back(0);
      reg_open_.push_back(0);
    }
    reg_number_[id] = number;
    reg_width_[id] = width;
    reg_recip_[id] = recip_of(width);
    reg_live_[id] = 0;
    reg_open_[id] = 1;
    reg_base_[id] = chunk(width);
    directory_.set(number, id);
    regions_++;
    epoch_++;
    last_number_ = number;
    last_id_ = id;
    return id;
  }

  void emptied(int32_t id) {
    empty_queue_[empty_tail_] = id;
    empty_tail_ = (empty_tail_ + 1) & (kEmptyKept - 1);
    if (++empty_queued_ < kEmptyKept) return;
    int32_t oldest = empty_queue_[empty_tail_];
    empty_queued_--;
    if (reg_live_[oldest] == 0 && reg_open_[oldest] == 1) close(oldest);
  }

  void rewidth(int32_t id, uint32_t width) {
    if (reg_width_[id] == width) return;
    epoch_++;
    free_chunks_[reg_width_[id] / kGranule].push_back(reg_base_[id]);
    reg_width_[id] = width;
    reg_recip_[id] = recip_of(width);
    reg_base_[id] = chunk(width);
  }

  size_t chunk(uint32_t width) {
    std::vector<size_t>& free = free_chunks_[width / kGranule];
    if (!free.empty()) {
      size_t base = free.back();
      free.pop_back();
      return base;
    }
    size_t slots = chunk_slots(width);
    if (data_end_ + slots > data_.size()) {
      size_t n = data_.size();
      while (n < data_end_ + slots) n *= 2;
      data_.resize(n);
    }
    size_t base = data_end_;
    data_end_ += slots;
    return base;
  }

  void close(int32_t id) {
    reg_open_[id] = 0;
    uint64_t number = reg_number_[id];
    reg_live_[id] = 0;
    free_chunks_[reg_width_[id] / kGranule].push_back(reg_base_[id]);
    free_ids_.push_back(id);
    directory_.erase(number);
    regions_--;
    epoch_++;
    region_ = -1;
    if (last_number_ == number) {
      last_number_ = UINT64_MAX;
      last_id_ = -1;
    }
  }

  std::vector<Entry> hash_;
  int shift_;
  size_t limit_;
  size_t hash_used_ = 0;

  std::vector<Entry> data_;
  size_t data_end_ = 0;
  size_t regions_ = 0;
  size_t small_count_ = 0;
  int32_t region_ = -1;
  RegionDirectory directory_;
  std::vector<uint64_t> reg_number_;
  std::vector<uint32_t> reg_width_;
  std::vector<uint32_t> reg_recip_;
  std::vector<size_t> reg_base_;
  std::vector<int32_t> reg_live_;
  std::vector<uint8_t> reg_open_;
  int32_t empty_queue_[kEmptyKept] = {};
  int empty_tail_ = 0;
  int empty_queued_ = 0;
  std::vector<int32_t> free_ids_;
  size_t next_id_ = 0;
  std::vector<std::vector<size_t>> free_chunks_;
  uint64_t last_number_ = UINT64_MAX;
  int32_t last_id_ = -1;
  uint32_t epoch_ = 0;  // bumped when a region opens, closes or changes width (Hint)
  std::vector<uint32_t> elsewhere_;
};

}  // namespace pymemprof::reader

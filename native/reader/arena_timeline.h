// pymalloc over time for the flamegraph's arena chart: a port of ArenaModel's record handling
// (src/analysis/arena-model.ts: arenas, pools, size classes, live blocks, anomalies counted) and of
// ArenaTimelineBuilder (src/analysis/arena-timeline.ts: per time bucket the most arenas alive, and at
// each bucket's end arenas, pools in use and per class pools and blocks). Same rules, same figures;
// the TypeScript model stays the reference (and does everything else: snapshots, pinning, examples).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace pymemprof::reader {

struct PymallocGeometry {
  double arena_size, pool_size, alignment, small_request_threshold;
};

class ArenaTimelinePass {
 public:
  // fixed_buckets > 0: buckets of fixed_width_us, records past the last one belong to it; else the
  // report reducer's buckets (start at 128 µs, width doubling, at most 1024).
  ArenaTimelinePass(const PymallocGeometry& g, double fixed_width_us, int fixed_buckets);

  void batch(const uint8_t* kind, const double* address, const double* size, const double* time_us, size_t n);
  // Closes the buckets (once); then the arrays below hold buckets() entries each.
  void finish();

  double width_us() const { return width_us_; }
  int buckets() const { return finished_; }
  int classes() const { return num_classes_; }
  double anomalies() const { return anomalies_; }
  const std::vector<double>& arenas_max() const { return arenas_max_; }
  const std::vector<double>& arenas_end() const { return arenas_end_; }
  const std::vector<double>& pools_end() const { return pools_end_; }
  // Per class c, bucket k at c * capacity + k.
  const std::vector<double>& pools() const { return pools_; }
  const std::vector<double>& blocks() const { return blocks_; }
  int capacity() const { return capacity_; }

 private:
  struct Arena {
    uint64_t base = 0, first_pool = 0;
    int64_t total_pools = 0, used_pools = 0, blocks = 0;
    std::vector<uint16_t> count;
    std::vector<int8_t> cls;
    std::vector<uint32_t> live;
  };

  void apply(uint8_t kind, uint64_t address, double size);
  int arena_of(uint64_t address);
  // by_key_ lookups through a direct-mapped cache written through on every change (same answers).
  int arena_by_key(uint64_t key);
  void set_arena_key(uint64_t key, int id);
  void erase_arena_key(uint64_t key);
  // Pool number of a non-negative offset from a first pool.
  uint64_t pool_index(uint64_t rel) const { return pool_shift_ >= 0 ? rel >> pool_shift_ : rel / pool_size_; }
  int64_t pool_of(uint64_t address, uint64_t first_pool) const;
  bool locate(const Arena& a, uint64_t address, int cls, int64_t* pool, int64_t* slot);
  void alloc(uint64_t address, double size);
  void free_block(uint64_t address);
  void resize(uint64_t address, double size);
  void arena_alloc(uint64_t address, double size);
  void arena_free(uint64_t address);
  void close(int up_to);
  void coarsen();

  // Geometry.
  uint64_t arena_size_, pool_size_, alignment_;
  double threshold_;
  int64_t max_pools_;
  int num_classes_;
  int64_t pool_overhead_;
  std::vector<int64_t> num_blocks_;
  size_t words_per_pool_;
  int pool_shift_ = -1;              // log2(pool size) when it is a power of two
  std::vector<uint64_t> class_magic_;  // ceil(2^32 / block size): exact quotients of offsets < 2^16; 0: divide

  // Model.
  std::vector<Arena> arenas_;            // by id; free ids in spare_
  std::vector<int> spare_;
  std::unordered_map<uint64_t, int> by_key_;  // floor(base / ARENA_SIZE) → id
  struct KeySlot {
    uint64_t key = ~uint64_t{0};
    int id = -1;  // -1: no arena under this key
  };
  static constexpr size_t kKeySlots = 4096;
  std::vector<KeySlot> key_cache_ = std::vector<KeySlot>(kKeySlots);
  int last_ = -1;
  std::unordered_map<uint64_t, double> other_chunks_;
  std::vector<double> class_pools_, class_blocks_;
  double arenas_current_ = 0;
  double anomalies_ = 0;

  // Buckets.
  double width_us_;
  int fixed_buckets_;
  int capacity_;
  int cur_ = 0;
  double cur_max_ = 0;
  int finished_ = 0;
  std::vector<double> arenas_max_, arenas_end_, pools_end_, pools_, blocks_;
};

}  // namespace pymemprof::reader

// The report passes' native kernels: the live-block table against std::unordered_map on
// allocator-like streams, and the stats pass's figures on a hand-built sequence.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "../../native/reader/live_blocks.h"
#include "../../native/reader/report_pass.h"
#include "../../native/reader/stats_pass.h"

using namespace pymemprof::reader;

namespace {
struct P {
  double size;
  uint32_t tag;
};

// Pools of one size class (16 KiB, as pymalloc's), freed blocks reused last-in first-out, plus large
// unaligned heap blocks, in-place resizes and frees of addresses never allocated.
void run_stream(uint32_t seed, size_t ops) {
  std::mt19937_64 rng(seed);
  LiveBlocks<P> table;
  std::unordered_map<uint64_t, P> ref;
  std::vector<std::vector<uint64_t>> free_lists(33);
  std::vector<uint64_t> next_fresh(33);
  for (size_t c = 1; c <= 32; c++) next_fresh[c] = 0x7f0000000000ull + c * (1ull << 30);
  std::vector<uint64_t> live;
  uint64_t heap = 0x5500000000ull;
  for (size_t i = 0; i < ops; i++) {
    uint32_t r = rng() % 100;
    P old{};
    if (r < 50 || live.empty()) {
      uint64_t addr;
      double size;
      if (rng() % 10 == 0) {
        size = 513 + rng() % 5000;
        addr = heap + (rng() % 3) * 8;  // sometimes unaligned
        heap += 8192;
      } else {
        size_t c = 1 + rng() % 32;
        size = static_cast<double>(c * 16 - rng() % 16);
        if (!free_lists[c].empty()) {
          addr = free_lists[c].back();
          free_lists[c].pop_back();
        } else {
          addr = next_fresh[c];
          next_fresh[c] += c * 16;
        }
      }
      P p{size, static_cast<uint32_t>(i)};
      auto it = ref.find(addr);
      bool was = table.set(addr, size, p, &old);
      ASSERT_EQ(was, it != ref.end()) << "set " << addr;
      if (was) EXPECT_EQ(old.tag, it->second.tag);
      else live.push_back(addr);
      ref[addr] = p;
    } else if (r < 90) {
      size_t j = rng() % live.size();
      uint64_t addr = live[j];
      live[j] = live.back();
      live.pop_back();
      ASSERT_TRUE(table.erase(addr, &old)) << "erase " << addr;
      EXPECT_EQ(old.tag, ref[addr].tag);
      size_t c = static_cast<size_t>((ref[addr].size + 15) / 16);
      if (ref[addr].size <= 512 && addr >= 0x7f0000000000ull) free_lists[c].push_back(addr);
      ref.erase(addr);
    } else if (r < 95) {
      uint64_t addr = live[rng() % live.size()];
      double size = 1 + rng() % 700;  // shrink or grow in place, maybe across the small limit
      P p{size, static_cast<uint32_t>(i)};
      ASSERT_TRUE(table.set(addr, size, p, &old));
      EXPECT_EQ(old.tag, ref[addr].tag);
      ref[addr] = p;
    } else {
      uint64_t addr = 0x100000000ull + (rng() % 1000) * 16;
      EXPECT_EQ(table.erase(addr, &old), ref.count(addr) == 1);
      if (ref.erase(addr)) live.erase(std::find(live.begin(), live.end(), addr));
    }
    ASSERT_EQ(table.size(), ref.size());
  }
  size_t seen = 0;
  table.for_each([&](uint64_t addr, const P& p) {
    seen++;
    ASSERT_EQ(ref.count(addr), 1u);
    EXPECT_EQ(ref[addr].tag, p.tag);
  });
  EXPECT_EQ(seen, ref.size());
}

// One operation of a recorded stream, with the answer a map gives.
struct Op {
  bool erase;
  uint64_t addr;
  double size;
  bool was;       // the address was live
  uint32_t tag;   // its payload's tag then
};

// Pools of 4 KiB (one table region each) handed out and taken back as they empty, each time for a
// random size class, so regions open, empty, change width and close (beyond the emptied regions
// kept open) while addresses are reused.
std::vector<Op> pool_stream(uint32_t seed, size_t ops) {
  std::mt19937_64 rng(seed);
  std::unordered_map<uint64_t, P> ref;
  struct Pool {
    uint64_t base;
    size_t width = 0, next = 0, live = 0;
    std::vector<uint64_t> free;
  };
  std::vector<Pool> pools(600);
  for (size_t i = 0; i < pools.size(); i++) pools[i].base = 0x7f0000000000ull + i * 4096;
  std::vector<size_t> idle(pools.size());
  for (size_t i = 0; i < idle.size(); i++) idle[i] = i;
  std::vector<size_t> by_width(33, SIZE_MAX);  // the pool taking blocks of each width
  std::vector<std::pair<uint64_t, size_t>> live;  // address, pool
  std::vector<Op> out;
  for (size_t i = 0; i < ops; i++) {
    bool alloc = rng() % 100 < (live.size() < 3000 ? 55 : 45);
    if (alloc || live.empty()) {
      size_t c = 1 + rng() % 32;
      size_t& pi = by_width[c];
      if (pi != SIZE_MAX && pools[pi].free.empty() && (pools[pi].next + 1) * c * 16 > 4096) pi = SIZE_MAX;
      if (pi == SIZE_MAX) {
        if (idle.empty()) continue;
        size_t k = rng() % idle.size();
        pi = idle[k];
        idle[k] = idle.back();
        idle.pop_back();
        pools[pi].width = c * 16;
        pools[pi].next = 0;
        pools[pi].free.clear();
      }
      Pool& pool = pools[pi];
      uint64_t addr;
      if (!pool.free.empty()) {
        addr = pool.free.back();
        pool.free.pop_back();
      } else {
        addr = pool.base + pool.next++ * pool.width;
      }
      pool.live++;
      double size = static_cast<double>(c * 16 - rng() % 16);
      auto it = ref.find(addr);
      Op op{false, addr, size, it != ref.end(), it != ref.end() ? it->second.tag : 0};
      ref[addr] = P{size, static_cast<uint32_t>(out.size())};  // the tag: the operation's index
      out.push_back(op);
      live.push_back({addr, pi});
    } else {
      size_t j = rng() % live.size();
      auto [addr, pi] = live[j];
      live[j] = live.back();
      live.pop_back();
      out.push_back({true, addr, 0, true, ref[addr].tag});
      ref.erase(addr);
      Pool& pool = pools[pi];
      pool.free.push_back(addr);
      if (--pool.live == 0) {  // the pool goes back, to come again for any class
        for (size_t& w : by_width)
          if (w == pi) w = SIZE_MAX;
        idle.push_back(pi);
      }
    }
  }
  return out;
}

// Replays a stream, each operation with the hint taken `ahead` operations before it (0: none);
// the live blocks at the end in iteration order (which the passes' sums follow) go to *end.
void replay(const std::vector<Op>& ops, size_t ahead, std::vector<std::pair<uint64_t, uint32_t>>* end) {
  LiveBlocks<P> table;
  std::vector<LiveBlocks<P>::Hint> hints(ops.size());
  for (size_t i = 0; i < ops.size(); i++) {
    if (ahead > 0 && i + ahead < ops.size()) hints[i + ahead] = table.hint(ops[i + ahead].addr);
    const LiveBlocks<P>::Hint* hint = ahead > 0 && i >= ahead ? &hints[i] : nullptr;
    const Op& op = ops[i];
    P old{};
    bool was = op.erase ? table.erase(op.addr, &old, hint) : table.set(op.addr, op.size, P{op.size, static_cast<uint32_t>(i)}, &old, hint);
    ASSERT_EQ(was, op.was) << "operation " << i;
    if (was) ASSERT_EQ(old.tag, op.tag) << "operation " << i;
  }
  table.for_each([&](uint64_t addr, const P& p) { end->push_back({addr, p.tag}); });
}
}  // namespace

TEST(LiveBlocks, MatchesAMapOnAllocatorLikeStreams) {
  for (uint32_t seed = 1; seed <= 3; seed++) run_stream(seed, 200000);
}

TEST(LiveBlocks, HintsTakenAheadGiveTheSameAnswers) {
  for (uint32_t seed = 1; seed <= 3; seed++) {
    std::vector<Op> ops = pool_stream(seed, 300000);
    std::vector<std::pair<uint64_t, uint32_t>> plain, hinted;
    replay(ops, 0, &plain);
    for (size_t ahead : {1, 8, 64}) {
      hinted.clear();
      replay(ops, ahead, &hinted);
      EXPECT_EQ(hinted, plain) << "ahead " << ahead;  // same blocks, in the same order
    }
  }
}

TEST(LiveBlocks, AddressZeroIsNeverStored) {
  LiveBlocks<P> t;
  P old{};
  EXPECT_FALSE(t.set(0, 16, P{16, 1}, &old));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.erase(0, &old));
}

TEST(LiveBlocks, SlotInRegionDividesExactlyWithoutADivision) {
  using T = LiveBlocks<P>;
  for (uint32_t width = 16; width <= 512; width += 16)
    for (uint64_t offset = 0; offset < kRegionBytes; offset += 16)
      ASSERT_EQ(T::slot_in_region(offset, T::recip_of(width)), offset / width) << offset << " / " << width;
}

TEST(RegionDirectory, MatchesAMapAcrossChunksAndRecyclesEmptiedLeaves) {
  std::mt19937_64 rng(7);
  RegionDirectory dir;
  std::unordered_map<uint64_t, int32_t> ref;
  // Region numbers in 5 chunks of 4096 regions (16 MiB each), far apart, so that chunks empty and fill.
  auto number = [&]() { return (uint64_t{0x7f00} + (rng() % 5) * 977) * 4096 + rng() % 64; };
  for (int i = 0; i < 200000; i++) {
    uint64_t n = number();
    if (rng() % 2 == 0) {
      int32_t id = static_cast<int32_t>(rng() % 100000);
      dir.set(n, id);
      ref[n] = id;
    } else {
      dir.erase(n);
      ref.erase(n);
    }
    uint64_t q = number();
    auto it = ref.find(q);
    ASSERT_EQ(dir.get(q), it == ref.end() ? -1 : it->second) << "at " << i;
  }
  // Empty every chunk, then fill one again: its leaf comes back cleared.
  for (auto& [n, id] : ref) dir.erase(n);
  for (auto& [n, id] : ref) ASSERT_EQ(dir.get(n), -1);
  dir.set(0x7f00ull * 4096 + 3, 42);
  EXPECT_EQ(dir.get(0x7f00ull * 4096 + 3), 42);
  EXPECT_EQ(dir.get(0x7f00ull * 4096 + 4), -1);
  EXPECT_EQ(dir.get(12345), -1);
}

TEST(StatsPass, PeakAndPerNodeFiguresAtThePeak) {
  // alloc 100 @A (node 1), alloc 50 @B (node 2), free A, alloc 30 @C (node 2), resize B to 200, free of an unknown address.
  uint8_t kind[] = {3, 3, 6, 3, 9, 6};
  double address[] = {4096, 8192, 4096, 12288, 8192, 999 * 16};
  double size[] = {100, 50, 0, 30, 200, 0};
  uint32_t stack[] = {1, 2, 0, 2, 2, 0};
  double time[] = {1, 2, 3, 4, 5, 6};
  StatsPass pass;
  pass.add(Columns{kind, address, size, stack, time, 6}, 2);
  const StatsFigures& f = pass.figures();
  EXPECT_EQ(f.allocations, 3);
  EXPECT_EQ(f.resizes, 1);
  EXPECT_EQ(f.frees, 2);
  EXPECT_EQ(f.unknown_frees, 1);
  EXPECT_EQ(f.total_allocated, 380);
  EXPECT_EQ(f.peak_bytes, 230);  // 30 + 200 after the resize
  EXPECT_EQ(f.peak_time_us, 5);
  EXPECT_EQ(f.live_bytes, 230);
  EXPECT_EQ(pass.live_blocks(), 2u);
  const std::vector<double>& n = pass.nodes();
  EXPECT_EQ(n[2 * StatsPass::kNodeStride], 230);      // node 2 now
  EXPECT_EQ(n[1 * StatsPass::kNodeStride], 0);        // node 1 now
  EXPECT_EQ(n[2 * StatsPass::kNodeStride + 1], 2);    // two blocks
}

TEST(ReportPass, TemporaryAndLeaks) {
  // rows: alloc row 0 freed at once (temporary), alloc row 1 kept to the end (a leak).
  uint8_t kind[] = {3, 6, 3};
  double address[] = {4096, 4096, 8192};
  double size[] = {64, 0, 128};
  uint32_t rows[] = {0, 0, 1};
  double time[] = {10, 20, 30};
  ReportPass pass(1);
  pass.add(Columns{kind, address, size, rows, time, 3});
  pass.finish();
  EXPECT_EQ(pass.figures().peak_bytes, 128);
  EXPECT_EQ(pass.row_temporary()[0], 64);
  EXPECT_EQ(pass.row_temporary()[1], 1);
  const Temporal& t = pass.temporal();
  ASSERT_EQ(t.row.size(), 1u);
  EXPECT_EQ(t.row[0], 1u);
  EXPECT_EQ(t.fp[0], kPosEnd);
  EXPECT_EQ(t.bytes[0], 128);
}

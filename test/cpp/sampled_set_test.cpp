// SampledAddressSet: the tracer's record of live sampled blocks in sampling mode.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "../../native/capture/sampled_set.h"

using pymemprof::SampledAddressSet;

TEST(SampledAddressSet, InsertEraseAndMaybe) {
  SampledAddressSet s;
  EXPECT_FALSE(s.maybe_contains(0x7f0000001000));
  EXPECT_FALSE(s.erase(0x7f0000001000));
  s.insert(0x7f0000001000);
  EXPECT_TRUE(s.maybe_contains(0x7f0000001000));
  s.insert(0x7f0000001000);  // twice: still one entry
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.erase(0x7f0000001000));
  EXPECT_FALSE(s.erase(0x7f0000001000));
  EXPECT_FALSE(s.maybe_contains(0x7f0000001000));  // the bucket's count is back to 0
  EXPECT_EQ(s.size(), 0u);
}

TEST(SampledAddressSet, NeighboursAreNotConfused) {
  SampledAddressSet s;
  for (uint64_t a = 0x100000; a < 0x100000 + 16 * 10000; a += 16) s.insert(a);
  for (uint64_t a = 0x100008; a < 0x100000 + 16 * 10000; a += 16) EXPECT_FALSE(s.erase(a)) << a;
  // Few false "maybe" answers for addresses never inserted (at most 10k of 256K buckets used).
  int maybe = 0;
  for (uint64_t a = 0x900000; a < 0x900000 + 16 * 100000; a += 16) maybe += s.maybe_contains(a);
  EXPECT_LT(maybe, 5000);
  for (uint64_t a = 0x100000; a < 0x100000 + 16 * 10000; a += 16) EXPECT_TRUE(s.erase(a)) << a;
  EXPECT_EQ(s.size(), 0u);
}

TEST(SampledAddressSet, ThreadsInsertAndEraseTheirOwn) {
  SampledAddressSet s;
  std::vector<std::thread> threads;
  std::atomic<int> erased{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (uint64_t i = 0; i < 2000; ++i) s.insert((uint64_t(t + 1) << 32) + i * 32);
        for (uint64_t i = 0; i < 2000; ++i) erased += s.erase((uint64_t(t + 1) << 32) + i * 32);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(erased.load(), 8 * 20 * 2000);
  EXPECT_EQ(s.size(), 0u);
}

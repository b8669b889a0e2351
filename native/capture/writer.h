// CaptureWriter: owns the capture stream. Traced threads push RawRecords into their own ring
// (no shared lock on the hot path); a background thread drains all rings every few milliseconds,
// merges them into time order, encodes tables and record batches (wire.h) and hands whole frames
// to the sink. Interning of stack nodes, code objects, threads and marks also lives here, behind a
// mutex that is only taken on a miss of the caller's own cache.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "clock.h"
#include "record.h"
#include "ring.h"
#include "sink.h"
#include "wire.h"

namespace pymemprof {

struct WriterOptions {
  uint32_t flush_interval_ms = 5;        // how often rings are drained
  // Records younger than this wait for the next round. Records are stamped as they are published,
  // and the writer reads the clock before draining, so anything that caused a drained record (a free
  // before another thread's allocation of the same address) was published before the round began:
  // this window only absorbs time stamp counter skew between cores.
  uint32_t reorder_window_us = 100;
  size_t max_batch_records = 65536;
  bool compress = true;  // large frames LZ4-compressed (compress.h)
  // Record times are rounded down to multiples of this (a power of two; the header says which).
  // Finer steps cost bytes (runs of records sharing a time get short: in allocation-heavy programs
  // the time columns were a third of a capture at 1 µs) and no report resolves them: charts and
  // temporal buckets start at 128 µs.
  uint32_t time_quantum_us = 16;
  std::function<void(const std::string&)> warn;  // one-line warnings (e.g. disk full)
  // Called once, on the writer thread, when a write fails: the producers should stop pushing (the
  // tracer turns its hooks off). Whatever is pushed after that is drained and discarded.
  std::function<void()> on_failure;
};

class CaptureWriter {
 public:
  CaptureWriter(std::unique_ptr<Sink> sink, WriterOptions options = {});
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  void start();
  // Writes the header at once (on the calling thread), so that a capture of a program that dies
  // right after the start still has one; records pushed before it wait in memory.
  void set_header(const HeaderInfo& header);
  // Drains everything, writes the trailer and closes the sink. Idempotent.
  void finish();

  RecordRing* register_thread(uint64_t native_id);
  void set_thread_name(uint32_t thread_id, const std::string& name);
  void release_thread(RecordRing* ring) { ring->close(); }

  // Producer: never blocks forever; drops (and counts) the record if the writer has stopped.
  // With `stamp`, the record's time is taken here, as late as possible: the writer holds back only
  // records younger than its reorder window, so a record stamped long before it is published (its
  // thread preempted, or waiting for ring space) could otherwise land behind younger ones of other
  // threads. Stamping at publication keeps causality for the hooks: an allocation is pushed after it
  // happened, a free before the block is released.
  void push(RecordRing* ring, RawRecord record, bool stamp = false) noexcept {
    if (stamp) record.ticks = read_ticks();
    if (ring->try_push(record)) {
      if (ring->fill() == RecordRing::kCapacity / 2) wake();
      return;
    }
    push_slow(ring, record, stamp);
  }
  // Two records with their stamps already set, published together (a sampled record and its side
  // values); when the ring is full they go one by one.
  void push_pair(RecordRing* ring, const RawRecord* records) noexcept {
    if (ring->try_push_pair(records)) {
      uint64_t fill = ring->fill();
      if (fill == RecordRing::kCapacity / 2 || fill == RecordRing::kCapacity / 2 + 1) wake();
      return;
    }
    push_slow(ring, records[0], false);
    push_slow(ring, records[1], false);
  }

  uint32_t add_code(CodeInfo code);  // assigns and returns the id
  uint32_t intern_node(uint32_t parent, uint32_t code, uint32_t offset);
  uint32_t intern_mark(const std::string& name);

  const TickClock& clock() const { return clock_; }
  bool failed() const { return failed_.load(); }
  // Microseconds since the writer was created at which the first write failed (0 while none did).
  uint64_t failed_at_us() const { return failed_at_us_.load(); }
  uint64_t dropped_records() const { return dropped_.load(); }

 private:
  struct Source {  // a ring plus records drained from it but not yet emitted
    RecordRing* ring;
    std::vector<RawRecord> pending;
    size_t next = 0;
  };
  struct NodeKey {
    uint32_t parent, code, offset;
    bool operator==(const NodeKey& o) const { return parent == o.parent && code == o.code && offset == o.offset; }
  };
  struct NodeKeyHash {
    size_t operator()(const NodeKey& k) const {
      uint64_t h = (uint64_t(k.parent) * 0x9E3779B97F4A7C15ull) ^ (uint64_t(k.code) << 32 | k.offset);
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };

  void push_slow(RecordRing* ring, RawRecord record, bool stamp) noexcept;
  void wake() noexcept { wake_cv_.notify_one(); }
  void run();
  void cycle(bool final);
  void emit(const std::string& bytes);
  void emit_frames(const std::string& bytes);
  void discard_after_failure();
  // Rings registered since the last round become sources.
  void adopt_rings(std::vector<std::unique_ptr<RecordRing>>& added);
  void forget_ended_threads();
  void emit_records(uint64_t watermark);

  std::unique_ptr<Sink> sink_;
  WriterOptions options_;
  TickClock clock_;
  std::thread thread_;
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> failed_at_us_{0};
  std::atomic<uint64_t> dropped_{0};
  bool finished_ = false;

  // Guarded by tables_mutex_: interning and what is still to be written.
  std::mutex tables_mutex_;
  std::unordered_map<NodeKey, uint32_t, NodeKeyHash> nodes_;
  std::unordered_map<std::string, uint32_t> marks_;
  std::vector<StackNode> pending_nodes_;
  std::vector<CodeInfo> pending_codes_;
  std::vector<ThreadInfo> pending_threads_;
  std::vector<MarkInfo> pending_marks_;
  std::vector<std::unique_ptr<RecordRing>> new_rings_;
  uint32_t next_code_id_ = 1, next_thread_id_ = 1;
  bool header_ready_ = false;
  HeaderInfo header_;

  bool header_written_ = false;  // also guarded by tables_mutex_: set_header may write it

  // Writer thread only.
  std::vector<std::unique_ptr<RecordRing>> rings_;
  std::vector<Source> sources_;
  std::string out_;
  std::string compressed_, compress_scratch_;  // emit_frames' buffers (writer thread)
  BatchEncoder batch_;
  uint64_t quantum_us_;        // options_.time_quantum_us rounded down to a power of two, at least 1
  uint64_t last_time_us_ = 0;  // times written never go backwards, across batches too
  TrailerInfo totals_;
};

}  // namespace pymemprof

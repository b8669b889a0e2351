// Records as the allocator hooks write them: fixed-size, raw, cheap to produce. The writer thread
// turns them into protobuf RecordBatch columns (wire.h); nothing here is encoded on the hot path.
#pragma once
#include <cstdint>

namespace pymemprof {

// Values match RecordKind in proto/capture.proto.
enum class RecordKind : uint8_t {
  kAllocRaw = 1,
  kAllocMem = 2,
  kAllocObj = 3,
  kFreeRaw = 4,
  kFreeMem = 5,
  kFreeObj = 6,
  kResizeRaw = 7,
  kResizeMem = 8,
  kResizeObj = 9,
  kArenaAlloc = 10,
  kArenaFree = 11,
  kMark = 12,
  // Writer-internal, never a capture record: right after a sampled record in the same ring and with
  // its time stamp, the side values of that record (size: the process's live bytes, address: the
  // block's usable size). See CaptureWriter::emit_records and RecordBatch.live_bytes.
  kSideValues = 255,
};

enum class Domain : uint8_t { kRaw = 0, kMem = 1, kObj = 2 };

inline RecordKind alloc_kind(Domain d) { return static_cast<RecordKind>(1 + static_cast<int>(d)); }
inline RecordKind free_kind(Domain d) { return static_cast<RecordKind>(4 + static_cast<int>(d)); }
inline RecordKind resize_kind(Domain d) { return static_cast<RecordKind>(7 + static_cast<int>(d)); }

// Which optional columns a kind fills (see RecordBatch in the .proto).
inline bool kind_has_size(RecordKind k) {
  return (k >= RecordKind::kAllocRaw && k <= RecordKind::kAllocObj) ||
         (k >= RecordKind::kResizeRaw && k <= RecordKind::kArenaAlloc) || k == RecordKind::kMark;
}
inline bool kind_has_stack(RecordKind k) {
  return (k >= RecordKind::kAllocRaw && k <= RecordKind::kAllocObj) ||
         (k >= RecordKind::kResizeRaw && k <= RecordKind::kResizeObj) || k == RecordKind::kMark;
}

struct RawRecord {
  uint64_t ticks;    // time stamp counter when it happened
  uint64_t address;
  uint64_t size;     // requested bytes; the mark id for kMark
  uint32_t stack;    // stack node id, 0 = no Python frame
  RecordKind kind;
  uint8_t pad[3];
};
static_assert(sizeof(RawRecord) == 32, "RawRecord must stay 32 bytes");

// A record as it leaves the merge: thread attached, time converted.
struct TimedRecord {
  RawRecord raw;
  uint32_t thread;
};

}  // namespace pymemprof

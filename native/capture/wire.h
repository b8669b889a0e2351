// Hand-written protobuf encoding of the messages in proto/capture.proto (field numbers must match
// it). Messages are built into byte buffers by the writer thread only.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "address_model.h"
#include "record.h"

namespace pymemprof {

class ProtoBuffer {
 public:
  void varint(uint64_t v) {
    if (v < 0x80) {  // most column entries (kind, thread, time delta, small sizes) take one byte
      bytes_.push_back(static_cast<char>(v));
      return;
    }
    char buf[10];
    int n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    bytes_.append(buf, static_cast<size_t>(n));
  }
  void reserve(size_t n) { bytes_.reserve(n); }
  static uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
  void tag(uint32_t field, uint32_t wire_type) { varint((uint64_t(field) << 3) | wire_type); }
  void uint_field(uint32_t field, uint64_t v) {
    if (v == 0) return;  // proto3 default
    tag(field, 0);
    varint(v);
  }
  void bytes_field(uint32_t field, const std::string& s) {
    if (s.empty()) return;
    tag(field, 2);
    varint(s.size());
    bytes_.append(s);
  }
  void message_field(uint32_t field, const ProtoBuffer& m) {
    tag(field, 2);
    varint(m.size());
    bytes_.append(m.bytes_);
  }
  // A packed repeated field from an already-encoded run of varints.
  void packed_field(uint32_t field, const ProtoBuffer& varints) {
    if (varints.size() == 0) return;
    message_field(field, varints);
  }
  size_t size() const { return bytes_.size(); }
  const std::string& bytes() const { return bytes_; }
  std::string& bytes() { return bytes_; }
  void clear() { bytes_.clear(); }

 private:
  std::string bytes_;
};

// A packed column of varints for record batches: the writer's inner loop, so bytes are stored
// through a pointer into a buffer that only grows (no per-byte capacity checks or memcpy calls).
class VarintColumn {
 public:
  void varint(uint64_t v) {
    if (end_ - pos_ < 10) grow();
    while (v >= 0x80) {
      *pos_++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *pos_++ = static_cast<uint8_t>(v);
  }
  size_t size() const { return static_cast<size_t>(pos_ - data_.data()); }
  const char* data() const { return reinterpret_cast<const char*>(data_.data()); }
  void clear() { pos_ = data_.data(); }

 private:
  void grow() {
    size_t used = size();
    data_.resize(std::max<size_t>(data_.size() * 2, 1 << 16));
    pos_ = data_.data() + used;
    end_ = data_.data() + data_.size();
  }
  std::vector<uint8_t> data_;
  uint8_t* pos_ = nullptr;
  uint8_t* end_ = nullptr;
};

struct HeaderInfo {
  std::string python_version;
  uint32_t python_hexversion = 0;
  uint32_t arena_size = 0, pool_size = 0, alignment = 0, small_request_threshold = 0;
  uint32_t pid = 0;
  std::vector<std::string> argv;
  uint64_t start_time_unix_us = 0;
  std::string executable;
  uint64_t sample_bytes = 0;
  uint32_t time_quantum_us = 1;  // record times are multiples of this
};

struct CodeInfo {
  uint32_t id = 0;
  std::string name, qualname, filename;
  uint32_t first_line = 0;
  std::vector<uint32_t> line_starts;
  std::vector<int32_t> lines;
};

struct StackNode {
  uint32_t id, parent, code, offset;
};

struct ThreadInfo {
  uint32_t id;
  uint64_t native_id;
  std::string name;
};

struct MarkInfo {
  uint32_t id;
  std::string name;
};

struct TrailerInfo {
  uint64_t records = 0, allocations = 0, frees = 0, duration_us = 0, batches = 0, dropped_records = 0;
};

// 2: frames may be LZ4-compressed (Frame.compressed); readers of version 1 would skip them unseen.
// 3: batches carry the address model and time runs (address_model.h) instead of deltas.
// 4: stack nodes as consecutive ids and parents counted back from them; the header's time quantum.
constexpr uint32_t kFormatVersion = 4;
constexpr const char* kMagic = "pymemprof";

// Each returns one complete length-delimited Frame appended to `out`.
void encode_header(const HeaderInfo& h, std::string& out);
void encode_code_objects(const std::vector<CodeInfo>& codes, std::string& out);
void encode_stack_nodes(const std::vector<StackNode>& nodes, std::string& out);
void encode_threads(const std::vector<ThreadInfo>& threads, std::string& out);
void encode_marks(const std::vector<MarkInfo>& marks, std::string& out);
void encode_trailer(const TrailerInfo& t, std::string& out);

// Encodes records (already in time order, times in microseconds) as RecordBatch frames, one per
// finish(). One encoder per capture: the address model's state runs through all its batches.
class BatchEncoder {
 public:
  void add(const RawRecord& r, uint32_t thread, uint64_t time_us);
  // A record that add() will get soon (a few records ahead).
  void prefetch(const RawRecord& r) const { addresses_.prefetch(r.address); }
  size_t count() const { return count_; }
  void finish(std::string& out);  // appends the frame and starts the next batch
  // Sampled captures: every record gets live_bytes and usable_size entries (0 until set_side).
  void set_side_columns(bool on) { side_columns_ = on; }
  // The side values of the record added last.
  void set_side(uint64_t live_bytes, uint64_t usable_size) {
    if (live_bytes_.empty()) return;
    live_bytes_.back() = live_bytes;
    usable_size_.back() = usable_size;
  }

 private:
  VarintColumn kind_, address_op_, address_arg_, size_, stack_, thread_, time_step_, time_run_;
  bool side_columns_ = false;
  std::vector<uint64_t> live_bytes_, usable_size_;
  address_model::Encoder addresses_;
  uint64_t base_time_us_ = 0, last_time_us_ = 0;
  uint32_t run_ = 0;  // records so far at last_time_us_
  size_t count_ = 0;
};

}  // namespace pymemprof

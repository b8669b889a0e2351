#include "wire.h"

#include <algorithm>

namespace pymemprof {
namespace {

enum FrameField : uint32_t { kHeader = 1, kCodeObjects = 2, kStackNodes = 3, kThreads = 4, kBatch = 5, kMarks = 6, kTrailer = 7 };

void append_frame(uint32_t field, const ProtoBuffer& body, std::string& out) {
  ProtoBuffer frame;
  frame.message_field(field, body);
  ProtoBuffer length;
  length.varint(frame.size());
  out.append(length.bytes());
  out.append(frame.bytes());
}

}  // namespace

void encode_header(const HeaderInfo& h, std::string& out) {
  ProtoBuffer geometry;
  geometry.uint_field(1, h.arena_size);
  geometry.uint_field(2, h.pool_size);
  geometry.uint_field(3, h.alignment);
  geometry.uint_field(4, h.small_request_threshold);
  ProtoBuffer m;
  m.bytes_field(1, kMagic);
  m.uint_field(2, kFormatVersion);
  m.bytes_field(3, h.python_version);
  m.uint_field(4, h.python_hexversion);
  m.message_field(5, geometry);
  m.uint_field(6, h.pid);
  for (const auto& a : h.argv) {  // repeated string: empty strings must still be written
    m.tag(7, 2);
    m.varint(a.size());
    m.bytes().append(a);
  }
  m.uint_field(8, h.start_time_unix_us);
  m.bytes_field(9, h.executable);
  m.uint_field(10, h.sample_bytes);
  m.uint_field(11, h.time_quantum_us);
  append_frame(kHeader, m, out);
}

void encode_code_objects(const std::vector<CodeInfo>& codes, std::string& out) {
  ProtoBuffer list;
  for (const auto& c : codes) {
    ProtoBuffer m, starts, lines;
    m.uint_field(1, c.id);
    m.bytes_field(2, c.name);
    m.bytes_field(3, c.qualname);
    m.bytes_field(4, c.filename);
    m.uint_field(5, c.first_line);
    for (uint32_t s : c.line_starts) starts.varint(s);
    for (int32_t l : c.lines) lines.varint(ProtoBuffer::zigzag(l));
    m.packed_field(6, starts);
    m.packed_field(7, lines);
    list.message_field(1, m);
  }
  append_frame(kCodeObjects, list, out);
}

void encode_stack_nodes(const std::vector<StackNode>& nodes, std::string& out) {
  // Interned nodes get consecutive ids and come after their parents: then the ids are implied by
  // the first, and the parents are counted back (mostly 1-2: the node interned just before). Any
  // other table is written with absolute columns.
  bool consecutive = !nodes.empty();
  bool parents_before = true;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id != nodes[0].id + i) consecutive = false;
    if (nodes[i].parent >= nodes[i].id) parents_before = false;
  }
  ProtoBuffer ids, parents, codes, offsets, m;
  for (const auto& n : nodes) {
    if (!consecutive) ids.varint(n.id);
    parents.varint(parents_before ? n.id - n.parent : n.parent);
    codes.varint(n.code);
    offsets.varint(n.offset);
  }
  m.packed_field(1, ids);
  if (!parents_before) m.packed_field(2, parents);
  m.packed_field(3, codes);
  m.packed_field(4, offsets);
  if (consecutive) m.uint_field(5, nodes[0].id);
  if (parents_before) m.packed_field(6, parents);
  append_frame(kStackNodes, m, out);
}

void encode_threads(const std::vector<ThreadInfo>& threads, std::string& out) {
  ProtoBuffer list;
  for (const auto& t : threads) {
    ProtoBuffer m;
    m.uint_field(1, t.id);
    m.uint_field(2, t.native_id);
    m.bytes_field(3, t.name);
    list.message_field(1, m);
  }
  append_frame(kThreads, list, out);
}

void encode_marks(const std::vector<MarkInfo>& marks, std::string& out) {
  ProtoBuffer list;
  for (const auto& k : marks) {
    ProtoBuffer m;
    m.uint_field(1, k.id);
    m.bytes_field(2, k.name);
    list.message_field(1, m);
  }
  append_frame(kMarks, list, out);
}

void encode_trailer(const TrailerInfo& t, std::string& out) {
  ProtoBuffer m;
  m.uint_field(1, t.records);
  m.uint_field(2, t.allocations);
  m.uint_field(3, t.frees);
  m.uint_field(4, t.duration_us);
  m.uint_field(5, t.batches);
  m.uint_field(6, t.dropped_records);
  // An empty trailer still has to be recognisable as present.
  append_frame(kTrailer, m, out);
}

void BatchEncoder::add(const RawRecord& r, uint32_t thread, uint64_t time_us) {
  if (count_ == 0) {
    base_time_us_ = last_time_us_ = time_us;
    run_ = 0;
    addresses_.start_batch();
  }
  if (time_us < last_time_us_) time_us = last_time_us_;  // calibration drift must not go backwards
  uint8_t kind = static_cast<uint8_t>(r.kind);
  kind_.varint(kind);
  address_op_.varint(addresses_.encode(kind, r.address, r.size, [this](uint64_t arg) { address_arg_.varint(arg); }));
  if (kind_has_size(r.kind)) size_.varint(r.size);
  if (kind_has_stack(r.kind)) stack_.varint(r.stack);
  thread_.varint(thread);
  if (run_ == 0 || time_us != last_time_us_) {
    if (run_ != 0) time_run_.varint(run_);
    time_step_.varint(time_us - last_time_us_);
    last_time_us_ = time_us;
    run_ = 0;
  }
  ++run_;
  ++count_;
  if (side_columns_) {
    live_bytes_.push_back(0);
    usable_size_.push_back(0);
  }
}

namespace {
size_t varint_length(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// One-byte tag (fields 1-15), length, bytes; nothing for an empty column (proto3 default).
size_t packed_length(const VarintColumn& column) {
  return column.size() == 0 ? 0 : 1 + varint_length(column.size()) + column.size();
}
}  // namespace

// Writes the frame straight into `out`: batches are the bulk of a capture, so no intermediate
// message buffers are built and copied.
void BatchEncoder::finish(std::string& out) {
  if (run_ != 0) time_run_.varint(run_);
  run_ = 0;
  // Field numbers 1, 3, 4, 5, 8, 9, 10, 11 (2 and 6 are format 2's deltas).
  constexpr uint32_t kFields[8] = {1, 3, 4, 5, 8, 9, 10, 11};
  const VarintColumn* columns[8] = {&kind_, &size_, &stack_, &thread_, &address_op_, &address_arg_, &time_step_, &time_run_};
  // Side columns (fields 12, 13), left out when nothing in them is known.
  VarintColumn side[2];
  const std::vector<uint64_t>* side_values[2] = {&live_bytes_, &usable_size_};
  for (int i = 0; i < 2; ++i) {
    const auto& v = *side_values[i];
    if (std::any_of(v.begin(), v.end(), [](uint64_t x) { return x != 0; }))
      for (uint64_t x : v) side[i].varint(x);
  }
  size_t body = 0;
  for (const VarintColumn* c : columns) body += packed_length(*c);
  for (const VarintColumn& c : side) body += packed_length(c);
  if (base_time_us_ != 0) body += 1 + varint_length(base_time_us_);
  size_t frame = 1 + varint_length(body) + body;
  ProtoBuffer head;
  head.varint(frame);
  head.tag(kBatch, 2);
  head.varint(body);
  out.reserve(out.size() + head.size() + body);
  out.append(head.bytes());
  for (int i = 0; i < 8; ++i) {
    const VarintColumn& c = *columns[i];
    if (c.size() == 0) continue;
    ProtoBuffer prefix;
    prefix.tag(kFields[i], 2);
    prefix.varint(c.size());
    out.append(prefix.bytes());
    out.append(c.data(), c.size());
  }
  if (base_time_us_ != 0) {
    ProtoBuffer base;
    base.uint_field(7, base_time_us_);
    out.append(base.bytes());
  }
  for (int i = 0; i < 2; ++i) {
    if (side[i].size() == 0) continue;
    ProtoBuffer prefix;
    prefix.tag(12 + i, 2);
    prefix.varint(side[i].size());
    out.append(prefix.bytes());
    out.append(side[i].data(), side[i].size());
  }
  live_bytes_.clear();
  usable_size_.clear();
  for (VarintColumn* c : {&kind_, &address_op_, &address_arg_, &size_, &stack_, &thread_, &time_step_, &time_run_}) c->clear();
  count_ = 0;
}

}  // namespace pymemprof

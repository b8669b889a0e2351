#include "writer.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <cstdio>

#include <algorithm>
#include <chrono>
#include <queue>

#include "compress.h"

namespace pymemprof {

CaptureWriter::CaptureWriter(std::unique_ptr<Sink> sink, WriterOptions options)
    : sink_(std::move(sink)), options_(std::move(options)) {
  // A power of two (rounded down), so that rounding a time is a mask.
  uint64_t q = 1;
  while (q * 2 <= options_.time_quantum_us) q *= 2;
  quantum_us_ = q;
}

CaptureWriter::~CaptureWriter() { finish(); }

void CaptureWriter::start() {
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void CaptureWriter::set_header(const HeaderInfo& header) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  header_ = header;
  header_.time_quantum_us = static_cast<uint32_t>(quantum_us_);
  header_ready_ = true;
  // Nothing else is written before the header (cycle() checks header_written_ under this lock), so
  // writing it here cannot interleave with the writer thread's frames.
  if (!header_written_ && !finished_) {
    std::string h;
    encode_header(header_, h);
    emit(h);
    header_written_ = true;
  }
}

RecordRing* CaptureWriter::register_thread(uint64_t native_id) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  uint32_t id = next_thread_id_++;
  auto ring = std::make_unique<RecordRing>(id, native_id);
  if (!ring->valid()) return nullptr;
  RecordRing* raw = ring.get();
  new_rings_.push_back(std::move(ring));
  pending_threads_.push_back({id, native_id, ""});
  return raw;
}

void CaptureWriter::set_thread_name(uint32_t thread_id, const std::string& name) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  pending_threads_.push_back({thread_id, 0, name});
}

uint32_t CaptureWriter::add_code(CodeInfo code) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  code.id = next_code_id_++;
  uint32_t id = code.id;
  pending_codes_.push_back(std::move(code));
  return id;
}

uint32_t CaptureWriter::intern_node(uint32_t parent, uint32_t code, uint32_t offset) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  NodeKey key{parent, code, offset};
  auto it = nodes_.find(key);
  if (it != nodes_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(nodes_.size() + 1);
  nodes_.emplace(key, id);
  pending_nodes_.push_back({id, parent, code, offset});
  return id;
}

uint32_t CaptureWriter::intern_mark(const std::string& name) {
  std::lock_guard<std::mutex> lock(tables_mutex_);
  auto it = marks_.find(name);
  if (it != marks_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(marks_.size() + 1);
  marks_.emplace(name, id);
  pending_marks_.push_back({id, name});
  return id;
}

void CaptureWriter::push_slow(RecordRing* ring, RawRecord record, bool stamp) noexcept {
  wake();
  for (;;) {
    if (!running_.load(std::memory_order_acquire)) {
      if (record.kind != RecordKind::kSideValues) dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    sched_yield();
    if (stamp) record.ticks = read_ticks();
    if (ring->try_push(record)) return;
  }
}

void CaptureWriter::run() {
  // Asynchronous signals (SIGINT, SIGTERM, ...) are the program's: never let the kernel pick this
  // thread to run a handler, or interrupt a sleep here instead of in the main thread.
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  while (!stop_requested_.load(std::memory_order_acquire)) {
    {
      std::unique_lock<std::mutex> lock(wake_mutex_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms));
    }
    cycle(false);
  }
  cycle(true);
}

void CaptureWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (running_) {
    stop_requested_ = true;
    wake();
    thread_.join();
    running_ = false;
  } else {
    cycle(true);  // never started: still leave a well-formed capture
  }
  totals_.dropped_records = dropped_.load();
  totals_.duration_us = clock_.to_us(read_ticks());
  std::string trailer;
  encode_trailer(totals_, trailer);
  emit(trailer);
  sink_->close();
}

// Tables and batches, on the writer thread: compressed when large (the header and the trailer go
// through emit() as they are).
void CaptureWriter::emit_frames(const std::string& bytes) {
  if (!options_.compress || bytes.empty()) return emit(bytes);
  compressed_.clear();
  compress_frames(bytes, compressed_, compress_scratch_);
  emit(compressed_);
}

void CaptureWriter::emit(const std::string& bytes) {
  if (failed_.load(std::memory_order_relaxed) || bytes.empty()) return;
  if (!sink_->write(bytes)) {
    uint64_t at = clock_.to_us(read_ticks());
    failed_at_us_ = at == 0 ? 1 : at;
    failed_ = true;
    if (options_.on_failure) options_.on_failure();
    if (options_.warn) {
      char when[64];
      std::snprintf(when, sizeof when, "%.3f s", double(at) / 1e6);
      options_.warn(sink_->error() + "; recording stopped at " + when + ", the capture holds everything before");
    }
  }
}

void CaptureWriter::adopt_rings(std::vector<std::unique_ptr<RecordRing>>& added) {
  for (auto& r : added) {
    sources_.push_back({r.get(), {}, 0});
    // Room for a full ring plus the records a round leaves behind, so that the copy does not double
    // (untouched pages cost nothing: a thread that allocates little uses little of either).
    sources_.back().pending.reserve(RecordRing::kCapacity + RecordRing::kCapacity / 4);
    rings_.push_back(std::move(r));
  }
}

// After a failed write: keep the rings empty (a producer that was already inside push() must not
// wait for room) and hold nothing in memory.
void CaptureWriter::discard_after_failure() {
  std::vector<std::unique_ptr<RecordRing>> added;
  {
    std::lock_guard<std::mutex> lock(tables_mutex_);
    added.swap(new_rings_);
    pending_codes_.clear();
    pending_nodes_.clear();
    pending_threads_.clear();
    pending_marks_.clear();
  }
  adopt_rings(added);
  for (auto& s : sources_) {
    s.pending.clear();
    s.next = 0;
    s.ring->drain_into(s.pending);
    s.pending.clear();
  }
  forget_ended_threads();
}

void CaptureWriter::cycle(bool final) {
  if (failed_.load(std::memory_order_relaxed)) return discard_after_failure();
  clock_.recalibrate();
  uint64_t now = read_ticks();
  // Drain first, then take the tables: every drained record's node was interned before it was
  // published, so it is in the tables taken below and is written ahead of the record.
  std::vector<std::unique_ptr<RecordRing>> added;
  {
    std::lock_guard<std::mutex> lock(tables_mutex_);
    added.swap(new_rings_);
  }
  adopt_rings(added);
  for (auto& s : sources_) s.ring->drain_into(s.pending);

  std::vector<CodeInfo> codes;
  std::vector<StackNode> nodes;
  std::vector<ThreadInfo> threads;
  std::vector<MarkInfo> marks;
  {
    std::lock_guard<std::mutex> lock(tables_mutex_);
    if (!header_written_ && !header_ready_ && !final) return;  // keep everything for later
    if (!header_written_) {
      std::string h;
      encode_header(header_, h);
      emit(h);
      header_written_ = true;
    }
    batch_.set_side_columns(header_.sample_bytes != 0);
    codes.swap(pending_codes_);
    nodes.swap(pending_nodes_);
    threads.swap(pending_threads_);
    marks.swap(pending_marks_);
  }
  out_.clear();
  if (!threads.empty()) encode_threads(threads, out_);
  if (!codes.empty()) encode_code_objects(codes, out_);
  if (!nodes.empty()) encode_stack_nodes(nodes, out_);
  if (!marks.empty()) encode_marks(marks, out_);
  emit_frames(out_);

  uint64_t window = clock_.ticks_for_ns(uint64_t(options_.reorder_window_us) * 1000);
  emit_records(final ? UINT64_MAX : (now > window ? now - window : 0));

  forget_ended_threads();
}

// Forget rings of threads that ended once nothing of theirs is left.
void CaptureWriter::forget_ended_threads() {
  for (size_t i = 0; i < sources_.size();) {
    Source& s = sources_[i];
    if (s.ring->closed() && s.ring->fill() == 0 && s.next == s.pending.size()) {
      RecordRing* dead = s.ring;
      sources_.erase(sources_.begin() + static_cast<long>(i));
      rings_.erase(std::find_if(rings_.begin(), rings_.end(), [dead](auto& p) { return p.get() == dead; }));
    } else {
      ++i;
    }
  }
}

void CaptureWriter::emit_records(uint64_t watermark) {
  constexpr size_t kAhead = 8;
  // A kSideValues record belongs to the record before it in the same ring, with the same stamp; it
  // is dropped (its values stay unknown) if that record went out in an earlier batch.
  const Source* last_source = nullptr;
  uint64_t last_ticks = 0;
  auto add = [&](Source& s, uint32_t thread) {
    const RawRecord& r = s.pending[s.next++];
    if (r.kind == RecordKind::kSideValues) {
      if (batch_.count() > 0 && last_source == &s && last_ticks == r.ticks) batch_.set_side(r.size, r.address);
      return;
    }
    // A full batch is finished before the next record rather than after the last one, so that the
    // side values behind a record always find it in the batch.
    if (batch_.count() >= options_.max_batch_records) {
      out_.clear();
      batch_.finish(out_);
      ++totals_.batches;
      emit_frames(out_);
    }
    last_source = &s;
    last_ticks = r.ticks;
    if (s.next + kAhead < s.pending.size()) batch_.prefetch(s.pending[s.next + kAhead]);
    last_time_us_ = std::max(last_time_us_, clock_.to_us(r.ticks) & ~(quantum_us_ - 1));
    batch_.add(r, thread, last_time_us_);
    ++totals_.records;
    if (r.kind >= RecordKind::kAllocRaw && r.kind <= RecordKind::kAllocObj) ++totals_.allocations;
    if (r.kind >= RecordKind::kFreeRaw && r.kind <= RecordKind::kFreeObj) ++totals_.frees;
  };
  // Merge the sources by time. Each source is already in time order (one thread's own stamps).
  using Head = std::pair<uint64_t, size_t>;  // (ticks, source index)
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (size_t i = 0; i < sources_.size(); ++i) {
    Source& s = sources_[i];
    if (s.next < s.pending.size() && s.pending[s.next].ticks < watermark) heads.push({s.pending[s.next].ticks, i});
  }
  if (heads.size() == 1) {  // the common single-threaded case needs no heap
    Source& s = sources_[heads.top().second];
    uint32_t tid = s.ring->thread_id();
    while (s.next < s.pending.size() && s.pending[s.next].ticks < watermark) add(s, tid);
  } else {
    while (!heads.empty()) {
      size_t i = heads.top().second;
      heads.pop();
      Source& s = sources_[i];
      uint32_t tid = s.ring->thread_id();
      uint64_t limit = heads.empty() ? watermark : std::min(watermark, heads.top().first + 1);
      while (s.next < s.pending.size() && s.pending[s.next].ticks < limit) add(s, tid);
      if (s.next < s.pending.size() && s.pending[s.next].ticks < watermark) heads.push({s.pending[s.next].ticks, i});
    }
  }
  if (batch_.count() > 0) {
    out_.clear();
    batch_.finish(out_);
    ++totals_.batches;
    emit_frames(out_);
  }
  for (auto& s : sources_) {  // drop what has been emitted
    if (s.next == s.pending.size()) {
      s.pending.clear();
      s.next = 0;
    } else if (s.next > 4096 && s.next * 2 > s.pending.size()) {
      s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<long>(s.next));
      s.next = 0;
    }
  }
}

}  // namespace pymemprof

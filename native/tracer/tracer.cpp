#include "tracer.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "../capture/sampled_set.h"
#include "../capture/writer.h"
#include "frame_access.h"

#if PY_VERSION_HEX >= 0x030B0000
extern "C" PyAPI_FUNC(int) _PyObject_DebugMallocStats(FILE* out);  // internal header only since 3.11
#endif

namespace pymemprof {
namespace {

// ---------------------------------------------------------------------------------------------
// Per-thread state. Reached through a thread_local pointer; created on a thread's first traced
// allocation or call event.

struct ShadowFrame {
  pmp_frame frame;
  uint32_t code;  // interned code object id
  uint32_t node;  // this frame's stack node while it is an ancestor (its offset is then fixed); 0 = unknown
  // The node last used while this frame was the innermost, and at which offset: consecutive
  // allocations from one instruction (a growing list, a dict resize) skip the node lookup.
  uint32_t top_offset;
  uint32_t top_node;
};

struct NodeCacheSlot {
  uint32_t parent, code, offset, id;
};
struct CodeCacheSlot {
  PyCodeObject* code;
  uint32_t id;
};

struct LiveSlot;

struct ThreadTracer {
  RecordRing* ring = nullptr;
  bool in_hook = false;       // re-entrancy guard: set while the tracer itself runs code that allocates
  bool deferring = false;     // inside a MEM/OBJ realloc: arena events wait (see hook_realloc)
  int deferred_count = 0;
  RawRecord deferred[4];
  std::vector<ShadowFrame> stack;
  static constexpr size_t kNodeSlots = 4096, kCodeSlots = 1024;
  NodeCacheSlot node_cache[kNodeSlots] = {};
  CodeCacheSlot code_cache[kCodeSlots] = {};
  // Sampling mode: bytes left before the next sample, the generator drawing the intervals, and
  // the frames of the allocation being sampled (innermost first).
  int64_t until_sample = 0;
  uint64_t rng = 0;
  std::vector<std::pair<PyCodeObject*, uint32_t>> walk;
  // Sampling mode: this thread's share of the process's live bytes (see LiveSlot).
  LiveSlot* live = nullptr;
  bool live_shared = false;  // a slot shared with other threads: updated atomically
  // The highest value of this thread's slot since its last sampled record: the live bytes can peak
  // between two samples, and the record after says how high they went.
  int64_t live_high = 0;
};

CaptureWriter* g_writer = nullptr;
std::atomic<bool> g_active{false};
bool g_forked = false;
bool g_stopped = false;
pthread_key_t g_thread_key;
std::atomic<uint32_t> g_arena_size{0};
// Sampling mode (--sample-bytes): the mean interval in bytes, 0 when every allocation is recorded.
uint64_t g_sample_bytes = 0;
SampledAddressSet* g_sampled = nullptr;
// The interpreter is initialised: its thread states and frames may be read.
std::atomic<bool> g_python_ready{false};
int64_t next_sample_interval(ThreadTracer* t) noexcept;

// ---------------------------------------------------------------------------------------------
// Sampling mode: the process's live bytes, counted exactly. Every allocation and free that a full
// capture would record adds or subtracts its block's usable size as the allocator sees it (pymalloc's
// size class, else malloc_usable_size), in the thread's own slot, without a lock. Each sampled
// record carries the sum and each sampled allocation its block's usable size, so that the reader
// can give the peak as this exact figure less a small estimated rounding (capture/sampling.ts)
// instead of the noisier sampled estimate.

struct alignas(64) LiveSlot {
  std::atomic<int64_t> bytes{0};
};
constexpr uint32_t kLiveSlots = 256;  // threads beyond the first 255 share the last slot
LiveSlot g_live_slots[kLiveSlots];
std::atomic<uint32_t> g_live_slots_taken{0};
// Off when the allocators are not plain malloc and pymalloc (PYTHONMALLOC's debug hooks hand out
// pointers inside malloc's blocks, which malloc_usable_size must not see; mimalloc's are not
// malloc's); turned off for good if the pool-slot map cannot grow.
std::atomic<bool> g_count_live{false};
inline bool counting_live() noexcept { return g_count_live.load(std::memory_order_relaxed); }

// Which pool-sized slots of the address space lie inside blocks from the arena allocator: there a
// PyMem block is pymalloc's, and its pool's header (at the start of the slot) names its size class.
// Two levels: 1 GiB regions, then one bit per pool slot. Set and cleared by the arena hooks (under
// the GIL); read by any thread, lock-free.
class PoolSlotMap {
 public:
  static constexpr unsigned kRegionShift = 30;
  static constexpr uint64_t kRegions = uint64_t(1) << (47 - kRegionShift);
  static constexpr unsigned kPoolShift = PY_VERSION_HEX >= 0x030A0000 ? 14 : 12;  // 16 KiB pools with 1 MiB arenas
  static constexpr uint64_t kPoolSize = uint64_t(1) << kPoolShift;
  static constexpr uint64_t kWordsPerRegion = (uint64_t(1) << (kRegionShift - kPoolShift)) / 64;

  // False when a region's bitmap cannot be allocated: the caller stops counting.
  bool mark(uint64_t begin, uint64_t end, bool on) noexcept {
    for (uint64_t slot = (begin + kPoolSize - 1) & ~(kPoolSize - 1); slot + kPoolSize <= end; slot += kPoolSize) {
      uint64_t region = slot >> kRegionShift;
      if (region >= kRegions) return false;
      std::atomic<uint64_t>* words = regions_[region].load(std::memory_order_acquire);
      if (!words) {
        if (!on) continue;
        words = static_cast<std::atomic<uint64_t>*>(std::calloc(kWordsPerRegion, sizeof(uint64_t)));  // never freed
        if (!words) return false;
        regions_[region].store(words, std::memory_order_release);
      }
      uint64_t bit = (slot & ((uint64_t(1) << kRegionShift) - 1)) >> kPoolShift;
      uint64_t mask = uint64_t(1) << (bit & 63);
      if (on)
        words[bit >> 6].fetch_or(mask, std::memory_order_relaxed);
      else
        words[bit >> 6].fetch_and(~mask, std::memory_order_relaxed);
    }
    return true;
  }

  bool contains(uint64_t a) const noexcept {
    uint64_t region = a >> kRegionShift;
    if (region >= kRegions) return false;
    const std::atomic<uint64_t>* words = regions_[region].load(std::memory_order_acquire);
    if (!words) return false;
    uint64_t bit = (a & ((uint64_t(1) << kRegionShift) - 1)) >> kPoolShift;
    return (words[bit >> 6].load(std::memory_order_relaxed) >> (bit & 63)) & 1;
  }

 private:
  std::atomic<std::atomic<uint64_t>*> regions_[kRegions] = {};
};
PoolSlotMap g_pool_slots;

// The allocator's usable size of a live block: pymalloc's block size (struct pool_header has had
// szidx at offset 36 since 3.8; blocks are 16-byte steps), or malloc's.
inline uint64_t usable_size(void* p) noexcept {
  uint64_t a = reinterpret_cast<uint64_t>(p);
  if (g_pool_slots.contains(a)) {
    uint32_t szidx = *reinterpret_cast<const uint32_t*>((a & ~(PoolSlotMap::kPoolSize - 1)) + 36);
    return uint64_t(szidx + 1) << 4;
  }
  return malloc_usable_size(p);
}

inline void live_add(ThreadTracer* t, int64_t delta) noexcept {
  int64_t now;
  if (__builtin_expect(t->live_shared, 0)) {
    now = t->live->bytes.fetch_add(delta, std::memory_order_relaxed) + delta;
  } else {
    now = t->live->bytes.load(std::memory_order_relaxed) + delta;
    t->live->bytes.store(now, std::memory_order_relaxed);
  }
  if (now > t->live_high) t->live_high = now;
}

// The process's live bytes at their highest since this thread's last sampled record, as far as this
// thread's own allocations raised them (exact for one thread; another thread's slot counts as it is
// now, maybe a few operations behind); 0: not counted. Starts the next interval.
uint64_t live_high_since_last_record(ThreadTracer* t) noexcept {
  if (!counting_live()) return 0;
  uint32_t n = std::min(g_live_slots_taken.load(std::memory_order_relaxed), kLiveSlots);
  int64_t sum = 0;
  for (uint32_t i = 0; i < n; ++i) sum += g_live_slots[i].bytes.load(std::memory_order_relaxed);
  int64_t mine = t->live->bytes.load(std::memory_order_relaxed);
  if (!t->live_shared && t->live_high > mine) sum += t->live_high - mine;  // a shared slot: as it is now
  t->live_high = mine;
  return sum > 0 ? uint64_t(sum) : 1;  // never 0, which means "not known"
}

__attribute__((tls_model("initial-exec"))) thread_local ThreadTracer* t_tracer = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local bool t_thread_ended = false;

void warn(const std::string& message) {
  std::string line = "pymemprof: warning: " + message + "\n";
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

void on_thread_exit(void* p) {
  auto* t = static_cast<ThreadTracer*>(p);
  t_tracer = nullptr;
  t_thread_ended = true;  // late frees of this thread are not recorded rather than starting a new ring
  if (t->ring && g_writer) g_writer->release_thread(t->ring);
  delete t;
}

ThreadTracer* this_thread() noexcept {
  ThreadTracer* t = t_tracer;
  if (t) return t;
  if (t_thread_ended || !g_writer) return nullptr;
  t = new (std::nothrow) ThreadTracer();
  if (!t) return nullptr;
  t->ring = g_writer->register_thread(static_cast<uint64_t>(syscall(SYS_gettid)));
  if (!t->ring) {
    delete t;
    return nullptr;
  }
  if (g_sample_bytes) {
    t->rng = (uint64_t(syscall(SYS_gettid)) * 0x9E3779B97F4A7C15ull) ^ read_ticks() ^ 0x5DEECE66Dull;
    t->until_sample = next_sample_interval(t);
    uint32_t slot = g_live_slots_taken.fetch_add(1, std::memory_order_relaxed);
    t->live_shared = slot >= kLiveSlots - 1;
    t->live = &g_live_slots[t->live_shared ? kLiveSlots - 1 : slot];
  }
  t_tracer = t;
  pthread_setspecific(g_thread_key, t);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Stacks. A call event pushes (frame, code id); the node of a frame is interned lazily, at the
// first allocation that needs it, from its parent's node and the offset it executes at.

uint32_t intern_node(ThreadTracer* t, uint32_t parent, uint32_t code, uint32_t offset) noexcept {
  uint64_t h = (uint64_t(parent) * 0x9E3779B97F4A7C15ull) ^ (uint64_t(code) * 0xC2B2AE3D27D4EB4Full) ^ (uint64_t(offset) * 0x165667B19E3779F9ull);
  NodeCacheSlot& slot = t->node_cache[(h >> 40) & (ThreadTracer::kNodeSlots - 1)];
  if (slot.id != 0 && slot.parent == parent && slot.code == code && slot.offset == offset) return slot.id;
  uint32_t id = g_writer->intern_node(parent, code, offset);
  slot = {parent, code, offset, id};
  return id;
}

uint32_t current_node(ThreadTracer* t) noexcept {
  auto& s = t->stack;
  size_t n = s.size();
  if (n == 0) return 0;
  ShadowFrame& top = s[n - 1];
  uint32_t offset = pmp_frame_offset(top.frame);
  if (top.top_node != 0 && top.top_offset == offset) return top.top_node;
  size_t i = n - 1;  // find the outermost ancestor without a cached node
  while (i > 0 && s[i - 1].node == 0) --i;
  uint32_t node = i > 0 ? s[i - 1].node : 0;
  for (; i + 1 < n; ++i) {
    node = intern_node(t, node, s[i].code, pmp_frame_offset(s[i].frame));
    s[i].node = node;
  }
  top.top_offset = offset;
  top.top_node = intern_node(t, node, top.code, offset);
  return top.top_node;
}

std::string utf8_or(PyObject* s, const char* fallback) {
  if (s && PyUnicode_Check(s)) {
    Py_ssize_t len = 0;
    const char* p = PyUnicode_AsUTF8AndSize(s, &len);
    if (p) return std::string(p, static_cast<size_t>(len));
    PyErr_Clear();
  }
  return fallback;
}

void read_line_table(PyCodeObject* code, CodeInfo& info) {
#if PY_VERSION_HEX >= 0x030A0000
  PyObject* it = PyObject_CallMethod(reinterpret_cast<PyObject*>(code), "co_lines", nullptr);
  if (!it) {
    PyErr_Clear();
    return;
  }
  PyObject* iter = PyObject_GetIter(it);
  Py_DECREF(it);
  if (!iter) {
    PyErr_Clear();
    return;
  }
  while (PyObject* item = PyIter_Next(iter)) {
    long start = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    PyObject* line_obj = PyTuple_GET_ITEM(item, 2);
    long line = line_obj == Py_None ? -1 : PyLong_AsLong(line_obj);
    Py_DECREF(item);
    if (!info.lines.empty() && info.lines.back() == line) continue;
    info.line_starts.push_back(static_cast<uint32_t>(start));
    info.lines.push_back(static_cast<int32_t>(line));
  }
  Py_DECREF(iter);
  PyErr_Clear();
#else
  // 3.9: co_lnotab holds (byte increment, signed line increment) pairs, as dis.findlinestarts reads it.
  PyObject* lnotab = code->co_lnotab;
  if (!lnotab || !PyBytes_Check(lnotab)) return;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(PyBytes_AS_STRING(lnotab));
  Py_ssize_t len = PyBytes_GET_SIZE(lnotab);
  long line = code->co_firstlineno, last_line = -2;
  uint32_t addr = 0;
  for (Py_ssize_t i = 0; i + 1 < len; i += 2) {
    if (p[i]) {
      if (line != last_line) {
        info.line_starts.push_back(addr);
        info.lines.push_back(static_cast<int32_t>(line));
        last_line = line;
      }
      addr += p[i];
    }
    line += static_cast<signed char>(p[i + 1]);
  }
  if (line != last_line) {
    info.line_starts.push_back(addr);
    info.lines.push_back(static_cast<int32_t>(line));
  }
#endif
}

// Code objects are interned by address and kept alive (one reference each) so an address is never
// reused for another code object while the capture refers to it. Called with the GIL held.
std::mutex g_code_mutex;
std::unordered_map<PyCodeObject*, uint32_t> g_code_ids;

uint32_t code_id(ThreadTracer* t, PyCodeObject* code) {
  CodeCacheSlot& slot = t->code_cache[(reinterpret_cast<uintptr_t>(code) >> 4) & (ThreadTracer::kCodeSlots - 1)];
  if (slot.code == code) return slot.id;
  uint32_t id = 0;
  {
    std::lock_guard<std::mutex> lock(g_code_mutex);
    auto it = g_code_ids.find(code);
    if (it != g_code_ids.end()) id = it->second;
  }
  if (id == 0) {
    // What the interpreter allocates for us here is recorded like any other allocation: some of it
    // outlives the call (e.g. UTF-8 copies cached in the program's own strings) and is freed later.
    // A frame can be entered with an exception pending (a generator being closed or thrown into):
    // keep it out of the calls made here, and give it back untouched.
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    CodeInfo info;
    PyObject* co = reinterpret_cast<PyObject*>(code);
    info.name = utf8_or(code->co_name, "?");
#if PY_VERSION_HEX >= 0x030B0000
    info.qualname = utf8_or(code->co_qualname, info.name.c_str());
#else
    info.qualname = info.name;
#endif
    info.filename = utf8_or(code->co_filename, "?");
    info.first_line = static_cast<uint32_t>(code->co_firstlineno);
    read_line_table(code, info);
    Py_INCREF(co);
    id = g_writer->add_code(std::move(info));
    {
      std::lock_guard<std::mutex> lock(g_code_mutex);
      g_code_ids.emplace(code, id);
    }
    PyErr_Restore(exc_type, exc_value, exc_tb);
  }
  slot = {code, id};
  return id;
}

void push_frame(ThreadTracer* t, pmp_frame frame, PyCodeObject* code) {
  uint32_t id = code_id(t, code);
  if (!t->stack.empty()) t->stack.back().node = 0;  // the caller's offset has moved since it was cached
  t->stack.push_back({frame, id, 0, 0, 0});
}

void pop_frame(ThreadTracer* t, pmp_frame frame) {
  auto& s = t->stack;
  if (s.empty()) return;
  if (s.back().frame == frame || frame == nullptr) {
    s.pop_back();
    return;
  }
  for (size_t i = s.size(); i-- > 0;) {  // a missed event: cut back to the frame that is leaving
    if (s[i].frame == frame) {
      s.resize(i);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Call/return events: the PEP 523 frame-evaluation hook, on every version (all threads).

// A C profile function would put the interpreter in its slow profiling mode (5-6x on call-heavy
// code, and on 3.11 a frame object allocated per call), and sys.monitoring (3.12+) calls a Python
// callable per event (2.1-2.6x on recursion, 1.8x on sympy, against 1.9x and 1.5x here). Instead the
// tracer takes the frame-evaluation hook (PEP 523): every evaluation of a frame -- a call, a
// generator or coroutine resuming -- passes through here, so push before and pop after is the
// call/return event pair. The cost is the loss of inlined Python-to-Python calls (3.11+).
#if PY_VERSION_HEX >= 0x030B0000
using EvalFrameArg = struct _PyInterpreterFrame;
#else
using EvalFrameArg = PyFrameObject;
#endif

PyObject* eval_frame(PyThreadState* tstate, EvalFrameArg* frame, int throwflag) {
  ThreadTracer* t = g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t) return _PyEval_EvalFrameDefault(tstate, frame, throwflag);
  pmp_frame f = reinterpret_cast<pmp_frame>(frame);
  push_frame(t, f, pmp_frame_code(f));
  size_t depth = t->stack.size();
  PyObject* result = _PyEval_EvalFrameDefault(tstate, frame, throwflag);
  if (t->stack.size() >= depth) t->stack.resize(depth - 1);
  return result;
}

bool install_call_events() {
  _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), eval_frame);
  return true;
}

void remove_call_events() { _PyInterpreterState_SetEvalFrameFunc(PyInterpreterState_Get(), _PyEval_EvalFrameDefault); }

// Thread names. _thread's thread-starting functions are wrapped so that a new thread first records
// the name of the threading.Thread it runs, then runs it. threading copies them when it is imported
// (after this, unless site did it first: then its copies are replaced too). Importing threading at
// start for threading.setprofile() cost every run ~7 ms, most programs never importing it.
PyObject* g_threading_name = nullptr;
PyObject* g_original_start_new_thread = nullptr;
PyObject* g_original_start_joinable_thread = nullptr;  // 3.13+

// In the new thread, before its target: `target` is Thread._bootstrap, a bound method of the Thread.
PyObject* on_thread_start(PyObject* target, PyObject* args, PyObject* kwargs) {
  ThreadTracer* t = g_active.load() ? this_thread() : nullptr;
  PyObject* threading = t ? PyImport_GetModule(g_threading_name) : nullptr;  // never imports
  PyObject* thread_class = threading ? PyObject_GetAttrString(threading, "Thread") : nullptr;
  PyObject* owner = thread_class && PyMethod_Check(target) ? PyMethod_GET_SELF(target) : nullptr;
  if (owner && PyObject_IsInstance(owner, thread_class) == 1) {
    PyObject* name = PyObject_GetAttrString(owner, "name");
    if (name && PyUnicode_Check(name)) g_writer->set_thread_name(t->ring->thread_id(), utf8_or(name, ""));
    Py_XDECREF(name);
  }
  Py_XDECREF(thread_class);
  Py_XDECREF(threading);
  PyErr_Clear();  // a name not found is not the program's error
  return PyObject_Call(target, args, kwargs);
}
PyMethodDef g_thread_start_def = {"_thread_start", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(on_thread_start)),
                                  METH_VARARGS | METH_KEYWORDS, nullptr};

// _thread.start_new_thread(function, args[, kwargs]) or start_joinable_thread(function, ...): the
// same call with `function` wrapped.
PyObject* start_thread_wrapped(PyObject* original, PyObject* args, PyObject* kwargs) {
  if (PyTuple_GET_SIZE(args) < 1 || !PyCallable_Check(PyTuple_GET_ITEM(args, 0))) return PyObject_Call(original, args, kwargs);
  PyObject* wrapped = PyCFunction_New(&g_thread_start_def, PyTuple_GET_ITEM(args, 0));
  PyObject* new_args = wrapped ? PyTuple_New(PyTuple_GET_SIZE(args)) : nullptr;
  if (!new_args) {
    Py_XDECREF(wrapped);
    return nullptr;
  }
  PyTuple_SET_ITEM(new_args, 0, wrapped);
  for (Py_ssize_t i = 1; i < PyTuple_GET_SIZE(args); ++i) {
    Py_INCREF(PyTuple_GET_ITEM(args, i));
    PyTuple_SET_ITEM(new_args, i, PyTuple_GET_ITEM(args, i));
  }
  PyObject* r = PyObject_Call(original, new_args, kwargs);
  Py_DECREF(new_args);
  return r;
}
PyObject* py_start_new_thread(PyObject*, PyObject* args, PyObject* kwargs) { return start_thread_wrapped(g_original_start_new_thread, args, kwargs); }
PyObject* py_start_joinable_thread(PyObject*, PyObject* args, PyObject* kwargs) {
  return start_thread_wrapped(g_original_start_joinable_thread, args, kwargs);
}
PyMethodDef g_start_new_thread_def = {"start_new_thread", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_start_new_thread)),
                                      METH_VARARGS | METH_KEYWORDS, nullptr};
PyMethodDef g_start_joinable_thread_def = {"start_joinable_thread",
                                           reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_start_joinable_thread)),
                                           METH_VARARGS | METH_KEYWORDS, nullptr};

// Replaces module.name (when it exists) with a wrapper of it; `original` keeps the first one seen.
bool wrap_attribute(PyObject* module, const char* name, PyMethodDef* def, PyObject** original) {
  PyObject* current = PyObject_GetAttrString(module, name);
  if (!current) {
    PyErr_Clear();
    return true;  // not in this version
  }
  if (!*original) *original = current;  // kept for the process's life
  else Py_DECREF(current);
  PyObject* module_name = PyModule_GetNameObject(module);
  PyObject* wrapper = module_name ? PyCFunction_NewEx(def, nullptr, module_name) : nullptr;
  bool ok = wrapper && PyObject_SetAttrString(module, name, wrapper) == 0;
  Py_XDECREF(wrapper);
  Py_XDECREF(module_name);
  return ok;
}

bool wrap_thread_start() {
  g_threading_name = PyUnicode_InternFromString("threading");
  PyObject* thread_module = PyImport_ImportModule("_thread");  // built in, loaded at start-up already
  bool ok = g_threading_name && thread_module &&
            wrap_attribute(thread_module, "start_new_thread", &g_start_new_thread_def, &g_original_start_new_thread) &&
            wrap_attribute(thread_module, "start_joinable_thread", &g_start_joinable_thread_def, &g_original_start_joinable_thread);
  PyObject* threading = ok ? PyImport_GetModule(g_threading_name) : nullptr;
  if (threading) {  // imported before tracing started (by site): its own copies are replaced too
    const char* names[2][2] = {{"_start_new_thread", "start_new_thread"}, {"_start_joinable_thread", "start_joinable_thread"}};
    for (auto& n : names) {
      if (!PyObject_HasAttrString(threading, n[0])) continue;
      PyObject* wrapper = PyObject_GetAttrString(thread_module, n[1]);
      ok = ok && wrapper && PyObject_SetAttrString(threading, n[0], wrapper) == 0;
      Py_XDECREF(wrapper);
    }
    Py_DECREF(threading);
  }
  Py_XDECREF(thread_module);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Allocator hooks. The original allocator runs first; then, if tracing, one record goes into this
// thread's ring. No Python API, no lock (except interning a never-seen stack node), no I/O.

struct DomainHooks {
  PyMemAllocatorEx original;
  Domain domain;
};
DomainHooks g_domains[3];
PyObjectArenaAllocator g_original_arena;

// Stamps the record as it is published (see CaptureWriter::push); `ticks` only when the time must be
// an earlier one (a raw realloc's release of the old block).
inline RawRecord raw_record(RecordKind kind, uint64_t address, uint64_t size, uint32_t stack, uint64_t ticks) noexcept {
  RawRecord r;
  r.ticks = ticks;
  r.address = address;
  r.size = size;
  r.stack = stack;
  r.kind = kind;
  return r;
}

inline void record(ThreadTracer* t, RecordKind kind, void* address, uint64_t size, uint32_t stack, uint64_t ticks = 0) noexcept {
  g_writer->push(t->ring, raw_record(kind, reinterpret_cast<uint64_t>(address), size, stack, ticks), ticks == 0);
}

// pymalloc hands requests above its threshold to PyMem_RawMalloc, i.e. to our RAW hook: while a
// MEM/OBJ hook runs the original allocator, `in_hook` keeps that inner call from being recorded a
// second time (arena events inside it are still recorded).
struct InnerCallGuard {
  ThreadTracer* t;
  bool was;
  InnerCallGuard(ThreadTracer* tracer, Domain d) noexcept : t(d == Domain::kRaw ? nullptr : tracer), was(false) {
    if (t) {
      was = t->in_hook;
      t->in_hook = true;
    }
  }
  ~InnerCallGuard() {
    if (t) t->in_hook = was;
  }
};

inline void record_alloc(ThreadTracer* t, Domain d, void* p, size_t size) noexcept {
  t->in_hook = true;
  record(t, alloc_kind(d), p, size, current_node(t));
  t->in_hook = false;
}

// A free is recorded before the block is released, so no other thread can be handed the same
// address with an earlier time stamp, and so it precedes the arena release it may cause.
void hook_free(void* ctx, void* ptr) {
  auto* h = static_cast<DomainHooks*>(ctx);
  ThreadTracer* t = ptr && g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t || t->in_hook) return h->original.free(h->original.ctx, ptr);
  t->in_hook = true;
  record(t, free_kind(h->domain), ptr, 0, 0);
  t->in_hook = h->domain != Domain::kRaw;  // see InnerCallGuard
  h->original.free(h->original.ctx, ptr);
  t->in_hook = false;
}

// pymalloc moves a block by allocating the new one, copying, then freeing the old one; arena
// events raised inside are held back so they land around the pair in that order.
void* hook_realloc(void* ctx, void* ptr, size_t size) {
  auto* h = static_cast<DomainHooks*>(ctx);
  ThreadTracer* t = g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t || t->in_hook) return h->original.realloc(h->original.ctx, ptr, size);
  uint64_t before = read_ticks();
  bool defer = h->domain != Domain::kRaw;
  t->deferring = defer;
  t->deferred_count = 0;
  t->in_hook = defer;  // see InnerCallGuard
  void* p = h->original.realloc(h->original.ctx, ptr, size);
  t->deferring = false;
  t->in_hook = true;
  auto flush_deferred = [&](RecordKind kind) {
    for (int i = 0; i < t->deferred_count; ++i)
      if (t->deferred[i].kind == kind) g_writer->push(t->ring, t->deferred[i], true);
  };
  flush_deferred(RecordKind::kArenaAlloc);
  if (p) {
    uint32_t stack = current_node(t);
    if (!ptr) {
      record(t, alloc_kind(h->domain), p, size, stack);
    } else if (p == ptr) {
      record(t, resize_kind(h->domain), p, size, stack);
    } else if (defer) {  // GIL held: order as pymalloc does it
      record(t, alloc_kind(h->domain), p, size, stack);
      record(t, free_kind(h->domain), ptr, 0, 0);
    } else {  // raw domain, maybe without the GIL: the old block was released before the call returned
      record(t, free_kind(h->domain), ptr, 0, 0, before);
      record(t, alloc_kind(h->domain), p, size, stack);
    }
  }
  flush_deferred(RecordKind::kArenaFree);
  t->deferred_count = 0;
  t->in_hook = false;
  return p;
}

void record_arena(RecordKind kind, void* p, size_t size) noexcept {
  ThreadTracer* t = this_thread();
  if (!t) return;
  RawRecord r = raw_record(kind, reinterpret_cast<uint64_t>(p), size, 0, 0);  // stamped when pushed
  if (t->deferring && t->deferred_count < 4) {
    t->deferred[t->deferred_count++] = r;
  } else {
    g_writer->push(t->ring, r, true);
  }
}

// pymalloc's arena size on 64-bit builds (1 MiB with the radix tree of 3.10+). 3.11+ also takes
// frame data-stack chunks (16 KiB * 2^n) from the arena allocator; those are recorded too, but only
// a block of exactly this size tells the header that pymalloc is in use.
constexpr size_t kPymallocArenaSize = PY_VERSION_HEX >= 0x030A0000 ? (1u << 20) : (256u << 10);

void* hook_arena_alloc(void* ctx, size_t size) {
  void* p = g_original_arena.alloc(g_original_arena.ctx, size);
  if (p) {
    if (size == kPymallocArenaSize) g_arena_size.store(static_cast<uint32_t>(size), std::memory_order_relaxed);
    if (counting_live() && !g_pool_slots.mark(reinterpret_cast<uint64_t>(p), reinterpret_cast<uint64_t>(p) + size, true)) g_count_live.store(false);
    if (g_active.load(std::memory_order_relaxed)) record_arena(RecordKind::kArenaAlloc, p, size);
  }
  (void)ctx;
  return p;
}

void hook_arena_free(void* ctx, void* ptr, size_t size) {
  if (ptr && g_active.load(std::memory_order_relaxed)) record_arena(RecordKind::kArenaFree, ptr, size);
  if (ptr && counting_live()) g_pool_slots.mark(reinterpret_cast<uint64_t>(ptr), reinterpret_cast<uint64_t>(ptr) + size, false);
  g_original_arena.free(g_original_arena.ctx, ptr, size);
  (void)ctx;
}

// ---------------------------------------------------------------------------------------------
// Sampling mode (--sample-bytes N): byte-based Poisson sampling as in tcmalloc. Each thread counts
// down an exponentially distributed number of bytes (mean N); the allocation that crosses zero is a
// sample, so an allocation of s bytes is sampled with probability 1 - exp(-s/N) and the reader
// weights it by the inverse. No call events: a sample's stack is read from the thread's frames.
// Frees are recorded only for sampled blocks (SampledAddressSet), so peak and leaks stay meaningful.

int64_t next_sample_interval(ThreadTracer* t) noexcept {
  // xorshift64*, then -ln(u) * N with u uniform in (0, 1].
  t->rng ^= t->rng >> 12;
  t->rng ^= t->rng << 25;
  t->rng ^= t->rng >> 27;
  uint64_t r = t->rng * 0x2545F4914F6CDD1Dull;
  double u = (double(r >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  double v = -std::log(u) * double(g_sample_bytes);
  return v < 1 ? 1 : v > 9e18 ? INT64_MAX : int64_t(v);
}

inline bool take_sample(ThreadTracer* t, size_t size) noexcept {
  t->until_sample -= int64_t(size);
  if (__builtin_expect(t->until_sample > 0, 1)) return false;
  t->until_sample = next_sample_interval(t);
  return true;
}

// The id of a code object already interned, without calling into Python (no GIL needed); 0 if new.
uint32_t known_code_id(ThreadTracer* t, PyCodeObject* code) {
  CodeCacheSlot& slot = t->code_cache[(reinterpret_cast<uintptr_t>(code) >> 4) & (ThreadTracer::kCodeSlots - 1)];
  if (slot.code == code) return slot.id;
  std::lock_guard<std::mutex> lock(g_code_mutex);
  auto it = g_code_ids.find(code);
  return it == g_code_ids.end() ? 0 : it->second;
}

// The stack node of the allocation being sampled, from the thread's own frames (which cannot change
// while it is in the allocator). Without the GIL (raw domain) only already-interned code objects can
// be named: the stack is then cut at the first new one.
uint32_t sampled_stack(ThreadTracer* t) noexcept {
  if (!g_python_ready.load(std::memory_order_relaxed)) return 0;
  PyThreadState* ts = PyGILState_GetThisThreadState();
  if (!ts) return 0;
  bool gil = PyGILState_Check() != 0;
  auto& frames = t->walk;
  frames.clear();
  for (pmp_frame f = pmp_current_frame(ts); f; f = pmp_frame_back(f)) frames.emplace_back(pmp_frame_code(f), pmp_frame_offset(f));
  uint32_t node = 0;
  for (size_t i = frames.size(); i-- > 0;) {
    uint32_t code = gil ? code_id(t, frames[i].first) : known_code_id(t, frames[i].first);
    if (code == 0) break;
    node = intern_node(t, node, code, frames[i].second);
  }
  return node;
}

// A sampled record and, when live bytes are counted, its side values right behind it with the same
// stamp (RecordKind::kSideValues).
void record_with_side(ThreadTracer* t, RecordKind kind, void* p, uint64_t size, uint32_t stack, uint64_t ticks, uint64_t usable) noexcept {
  if (!counting_live()) return record(t, kind, p, size, stack, ticks);
  if (!ticks) ticks = read_ticks();
  RawRecord r[2] = {raw_record(kind, reinterpret_cast<uint64_t>(p), size, stack, ticks),
                    raw_record(RecordKind::kSideValues, usable, live_high_since_last_record(t), 0, ticks)};
  g_writer->push_pair(t->ring, r);
}

void record_sample(ThreadTracer* t, Domain d, void* p, size_t size, uint64_t usable) noexcept {
  bool was = t->in_hook;
  t->in_hook = true;  // what interning a new code object allocates is not sampled
  g_sampled->insert(reinterpret_cast<uint64_t>(p));
  uint32_t stack = sampled_stack(t);
  record_with_side(t, alloc_kind(d), p, size, stack, 0, usable);
  t->in_hook = was;
}

// The block is released after this: its FREE precedes any reuse of the address.
inline void record_sampled_free(ThreadTracer* t, Domain d, void* p, uint64_t ticks = 0) noexcept {
  if (g_sampled->maybe_contains(reinterpret_cast<uint64_t>(p)) && g_sampled->erase(reinterpret_cast<uint64_t>(p)))
    record_with_side(t, free_kind(d), p, 0, 0, ticks, 0);
}

// malloc and calloc of both modes; `Sampling` records only the samples.
template <bool Sampling>
inline void note_alloc(ThreadTracer* t, Domain d, void* p, size_t size) noexcept {
  if constexpr (Sampling) {
    uint64_t usable = 0;
    if (counting_live()) {
      // A small MEM/OBJ request is pymalloc's (once it has an arena): its block is the request
      // rounded up to 16 bytes, no lookup needed.
      bool pymalloc_block = d != Domain::kRaw && size - 1 < 512 && g_arena_size.load(std::memory_order_relaxed) != 0;
      usable = pymalloc_block ? (uint64_t(size) + 15) & ~uint64_t(15) : usable_size(p);
      live_add(t, int64_t(usable));
    }
    if (take_sample(t, size)) record_sample(t, d, p, size, usable);
  } else {
    record_alloc(t, d, p, size);
  }
}

template <bool Sampling>
void* hook_malloc(void* ctx, size_t size) {
  auto* h = static_cast<DomainHooks*>(ctx);
  ThreadTracer* t = g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t || t->in_hook) return h->original.malloc(h->original.ctx, size);
  void* p;
  {
    InnerCallGuard guard(t, h->domain);
    p = h->original.malloc(h->original.ctx, size);
  }
  if (p) note_alloc<Sampling>(t, h->domain, p, size);
  return p;
}

template <bool Sampling>
void* hook_calloc(void* ctx, size_t nelem, size_t elsize) {
  auto* h = static_cast<DomainHooks*>(ctx);
  ThreadTracer* t = g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t || t->in_hook) return h->original.calloc(h->original.ctx, nelem, elsize);
  void* p;
  {
    InnerCallGuard guard(t, h->domain);
    p = h->original.calloc(h->original.ctx, nelem, elsize);
  }
  if (p) note_alloc<Sampling>(t, h->domain, p, nelem * elsize);
  return p;
}

// Also inside the tracer's own work (`in_hook`): a sampled block freed there must not stay live.
// The inner raw free of a MEM/OBJ block finds nothing: the outer free erased the address first.
// Live bytes: counted as a full capture records frees (not inside the tracer's own work, nor the
// inner raw free of a MEM/OBJ block, which `in_hook` marks while the original runs).
void sample_free(void* ctx, void* ptr) {
  auto* h = static_cast<DomainHooks*>(ctx);
  if (!ptr || !g_active.load(std::memory_order_relaxed)) return h->original.free(h->original.ctx, ptr);
  // Nearly every free is of an unsampled block: without live bytes to count, answered before the
  // thread's state is looked up.
  bool maybe_sampled = g_sampled->maybe_contains(reinterpret_cast<uint64_t>(ptr));
  bool count = counting_live();
  ThreadTracer* t = maybe_sampled || count ? this_thread() : nullptr;
  if (!t) return h->original.free(h->original.ctx, ptr);
  bool counted = count && !t->in_hook;
  if (counted) live_add(t, -int64_t(usable_size(ptr)));
  if (maybe_sampled) record_sampled_free(t, h->domain, ptr);
  if (!counted || h->domain == Domain::kRaw) return h->original.free(h->original.ctx, ptr);
  t->in_hook = true;
  h->original.free(h->original.ctx, ptr);
  t->in_hook = false;
}

void* sample_realloc(void* ctx, void* ptr, size_t size) {
  auto* h = static_cast<DomainHooks*>(ctx);
  ThreadTracer* t = g_active.load(std::memory_order_relaxed) ? this_thread() : nullptr;
  if (!t) return h->original.realloc(h->original.ctx, ptr, size);
  // The old block's FREE is stamped before the call: once it returns, another thread may be handed
  // the old address.
  uint64_t before = read_ticks();
  bool nested = t->in_hook;
  bool counted = counting_live() && !nested;
  uint64_t old_usable = counted && ptr ? usable_size(ptr) : 0;
  t->in_hook = true;
  void* p = h->original.realloc(h->original.ctx, ptr, size);
  t->in_hook = nested;
  if (!p) return p;  // failed: the old block is unchanged
  uint64_t usable = counted ? usable_size(p) : 0;
  bool sample = !nested && take_sample(t, size);
  if (ptr && p != ptr && h->domain != Domain::kRaw) {
    // pymalloc moved the block: the new one was allocated before the old one was freed, and a full
    // capture has them in that order (both live for a moment), so the live bytes do too.
    if (counted) live_add(t, int64_t(usable));
    if (sample) record_sample(t, h->domain, p, size, usable);
    if (counted) live_add(t, -int64_t(old_usable));
    record_sampled_free(t, h->domain, ptr);
  } else {
    if (counted) live_add(t, -int64_t(old_usable));
    if (ptr) record_sampled_free(t, h->domain, ptr, before);
    if (counted) live_add(t, int64_t(usable));
    if (sample) record_sample(t, h->domain, p, size, usable);
  }
  return p;
}

void install_allocator_hooks() {
  const PyMemAllocatorDomain domains[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
  const Domain ours[3] = {Domain::kRaw, Domain::kMem, Domain::kObj};
  // PYTHONMALLOC may name mimalloc (3.13), whose blocks malloc_usable_size must not see.
  const char* allocator = std::getenv("PYTHONMALLOC");
  std::string name = allocator ? allocator : "";
  bool count = g_sample_bytes != 0 && (name.empty() || name == "default" || name == "malloc" || name == "pymalloc");
  for (int i = 0; i < 3; ++i) {
    PyMem_GetAllocator(domains[i], &g_domains[i].original);
    if (g_domains[i].original.ctx != nullptr) count = false;  // debug hooks (plain malloc and pymalloc take none)
    g_domains[i].domain = ours[i];
    PyMemAllocatorEx hooks = g_sample_bytes ? PyMemAllocatorEx{&g_domains[i], hook_malloc<true>, hook_calloc<true>, sample_realloc, sample_free}
                                            : PyMemAllocatorEx{&g_domains[i], hook_malloc<false>, hook_calloc<false>, hook_realloc, hook_free};
    PyMem_SetAllocator(domains[i], &hooks);
  }
  g_count_live.store(count);
}

void install_arena_hooks() {
  PyObject_GetArenaAllocator(&g_original_arena);
  PyObjectArenaAllocator arena = {nullptr, hook_arena_alloc, hook_arena_free};
  PyObject_SetArenaAllocator(&arena);
}

// ---------------------------------------------------------------------------------------------
// The `pymemprof` module inside the traced interpreter.

PyObject* py_mark(PyObject*, PyObject* arg) {
  if (!PyUnicode_Check(arg)) {
    PyErr_SetString(PyExc_TypeError, "pymemprof.mark() takes a str name");
    return nullptr;
  }
  std::string name = utf8_or(arg, "");
  ThreadTracer* t = g_active.load() ? this_thread() : nullptr;
  if (t && !t->in_hook) {
    t->in_hook = true;
    uint32_t id = g_writer->intern_mark(name);
    record(t, RecordKind::kMark, nullptr, id, current_node(t));
    t->in_hook = false;
  }
  Py_RETURN_NONE;
}

// CPython's own pymalloc statistics (the text PYTHONMALLOCSTATS prints), taken right after a MARK
// record with no Python code in between: the ground truth the arena model is tested against.
PyObject* py_malloc_stats_at_mark(PyObject* self, PyObject* arg) {
  PyObject* none = py_mark(self, arg);
  if (!none) return nullptr;
  Py_DECREF(none);
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);  // libc memory: nothing here goes through PyMem
  if (!out) return PyErr_NoMemory();
  // CPython prints these only when the object allocator *is* pymalloc, so the original goes back in
  // for the call (which allocates nothing through PyMem) and the hook right after.
  PyMemAllocatorEx hooked;
  PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &hooked);
  PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &g_domains[2].original);
  _PyObject_DebugMallocStats(out);
  PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hooked);
  std::fclose(out);
  PyObject* result = PyUnicode_DecodeUTF8(text, static_cast<Py_ssize_t>(size), "replace");
  std::free(text);
  return result;
}

void stop_tracing();

PyObject* py_stop(PyObject*, PyObject*) {
  stop_tracing();
  Py_RETURN_NONE;
}

PyObject* py_is_tracing(PyObject*, PyObject*) { return PyBool_FromLong(g_active.load() ? 1 : 0); }

// os._exit() skips atexit: the capture is completed first, then the original runs.
PyObject* g_original_os_exit = nullptr;

PyObject* py_os_exit(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (!g_forked) stop_tracing();
  return PyObject_Vectorcall(g_original_os_exit, args, static_cast<size_t>(nargs), nullptr);
}
PyMethodDef g_os_exit_def = {"_exit", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(py_os_exit)), METH_FASTCALL,
                             "Exit to the system with specified status, without normal exit processing."};

bool wrap_os_exit() {
  PyObject* os = PyImport_ImportModule("os");
  if (!os) return false;
  g_original_os_exit = PyObject_GetAttrString(os, "_exit");
  PyObject* wrapper = g_original_os_exit ? PyCFunction_NewEx(&g_os_exit_def, nullptr, PyUnicode_FromString("posix")) : nullptr;
  bool ok = wrapper && PyObject_SetAttrString(os, "_exit", wrapper) == 0;
  Py_XDECREF(wrapper);
  Py_DECREF(os);
  return ok;
}

PyMethodDef g_module_methods[] = {
    {"mark", py_mark, METH_O, "mark(name): record a named point in the capture"},
    {"is_tracing", py_is_tracing, METH_NOARGS, "True while this process is being traced"},
    {"_malloc_stats_at_mark", py_malloc_stats_at_mark, METH_O,
     "_malloc_stats_at_mark(name): mark(name), then return CPython's own pymalloc statistics text"},
    {"_stop", py_stop, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};
PyModuleDef g_module = {PyModuleDef_HEAD_INIT, "pymemprof", "pymemprof tracer hooks for the traced program", -1, g_module_methods,
                        nullptr, nullptr, nullptr, nullptr};

PyObject* init_module() { return PyModule_Create(&g_module); }

// ---------------------------------------------------------------------------------------------
// Start and stop.

void stop_tracing() {
  if (g_stopped || g_forked) return;
  g_stopped = true;
  if (!g_sample_bytes) remove_call_events();
  g_active.store(false);
  g_writer->finish();
}

bool start_tracing(const RunOptions& options) {
  ThreadTracer* t = this_thread();
  if (t) g_writer->set_thread_name(t->ring->thread_id(), "MainThread");
  g_python_ready.store(true);
  bool ok = g_sample_bytes ? true : install_call_events();
  PyObject* atexit = PyImport_ImportModule("atexit");
  PyObject* module = PyImport_ImportModule("pymemprof");
  PyObject* stop = module ? PyObject_GetAttrString(module, "_stop") : nullptr;
  PyObject* r = atexit && stop ? PyObject_CallMethod(atexit, "register", "O", stop) : nullptr;
  ok = ok && r && wrap_thread_start() && wrap_os_exit();
  if (!ok) PyErr_Print();
  Py_XDECREF(r);
  Py_XDECREF(stop);
  Py_XDECREF(module);
  Py_XDECREF(atexit);

  HeaderInfo h;
  h.python_version = PY_VERSION;
  h.python_hexversion = PY_VERSION_HEX;
  uint32_t arena = g_arena_size.load();
  h.arena_size = arena;
  h.pool_size = arena / 64;  // 64 pools per arena in every pymalloc since 3.8 (256 KiB/4 KiB, 1 MiB/16 KiB)
  h.alignment = arena ? 16 : 0;
  h.small_request_threshold = arena ? 512 : 0;
  h.pid = static_cast<uint32_t>(getpid());
  h.argv = options.argv;
  timeval tv;
  gettimeofday(&tv, nullptr);
  h.start_time_unix_us = uint64_t(tv.tv_sec) * 1000000u + uint64_t(tv.tv_usec);
  h.executable = options.executable;
  h.sample_bytes = g_sample_bytes;
  g_writer->set_header(h);
  return ok;
}

void after_fork_in_child() {
  // The writer thread does not exist here: record nothing and never touch the writer again.
  g_forked = true;
  g_active.store(false);
}

PyStatus configure(PyConfig* config, const RunOptions& options) {
  PyConfig_InitPythonConfig(config);
  PyStatus status = PyConfig_SetBytesString(config, &config->program_name, options.executable.c_str());
  if (PyStatus_Exception(status)) return status;
  std::vector<char*> argv;
  std::string exe = options.executable;
  argv.push_back(exe.data());
  std::vector<std::string> copy = options.argv;
  for (auto& a : copy) argv.push_back(a.data());
  config->parse_argv = 1;
  return PyConfig_SetBytesArgv(config, static_cast<Py_ssize_t>(argv.size()), argv.data());
}

}  // namespace

int run_traced(const RunOptions& options) {
  // C extension modules resolve Python's symbols from the global scope.
  if (!dlopen(options.libpython.c_str(), RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) &&
      !dlopen(options.libpython.c_str(), RTLD_NOW | RTLD_GLOBAL))
    throw std::runtime_error(options.libpython + ": cannot load libpython: " + dlerror());

  WriterOptions wo;
  wo.warn = warn;
  wo.on_failure = [] { g_active.store(false); };  // capture unwritable (disk full): hooks off
  g_sample_bytes = options.sample_bytes;
  if (g_sample_bytes) g_sampled = new SampledAddressSet();  // never freed, like the writer
  // Never freed: exiting threads and late hooks may still reach it after the program ends.
  g_writer = new CaptureWriter(std::make_unique<FileSink>(options.capture_path), wo);
  pthread_key_create(&g_thread_key, on_thread_exit);
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  g_writer->start();

  // Hooks go in before pre-initialisation so that no block the program can free was allocated
  // unseen; if PYTHONMALLOC makes pre-initialisation replace the allocators, wrap the new ones.
  install_allocator_hooks();
  install_arena_hooks();
  g_active.store(true);
  PyPreConfig preconfig;
  PyPreConfig_InitPythonConfig(&preconfig);
  PyStatus status = Py_PreInitialize(&preconfig);
  if (PyStatus_Exception(status)) throw std::runtime_error(std::string("cannot pre-initialise Python: ") + (status.err_msg ? status.err_msg : "?"));
  PyMemAllocatorEx raw_now;
  PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &raw_now);
  if (raw_now.malloc != hook_malloc<false> && raw_now.malloc != hook_malloc<true>) install_allocator_hooks();
  PyImport_AppendInittab("pymemprof", init_module);

  PyConfig config;
  status = configure(&config, options);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    g_active.store(false);
    g_writer->finish();
    if (PyStatus_IsExit(status)) return status.exitcode;
    std::fprintf(stderr, "Fatal Python error: %s: %s\n", status.func ? status.func : "init", status.err_msg ? status.err_msg : "?");
    return 1;
  }
  start_tracing(options);
  int exit_code = Py_RunMain();
  if (g_forked) {
    std::fflush(nullptr);
    _exit(exit_code);  // a forked child: leave without running the parent's teardown
  }
  if (!g_stopped) stop_tracing();
  return exit_code;
}

}  // namespace pymemprof

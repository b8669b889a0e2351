// The address model of record batches (capture format 3; proto/capture.proto, RecordBatch fields 8-9).
//
// An address is mostly predictable from what came before: a free names a block some recent
// allocation made, and pymalloc hands out the block most recently freed in a size class, or the next
// one in the pool it is carving. So instead of an address delta, each record gets one op byte
// (address_op) saying how the address follows from the model's state, plus a varint (address_arg)
// for the ops that need one. Writer and reader keep the same state, updated by the same rules from
// the same records, so the reader recomputes every address exactly. Addresses 5-10x smaller than
// memray's after LZ4 on real programs, about 12 ns per record on the writer thread.
//
// The state persists across the batches of a capture (the writer stops at its first failed write, so
// a reader that decodes every batch in order never misses one). prevR/prevA/prevF restart from 0 in
// each batch. This header is the reference; src/capture/address-model.ts is the TypeScript decoder
// (doubles instead of 64-bit integers: every value is checked to be below 2^53, where they agree).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace pymemprof::address_model {

constexpr uint32_t kWindow = 1u << 16;  // allocations a free may refer back to
constexpr uint32_t kWindowMask = kWindow - 1;
constexpr int kDepth = 4;               // recently freed blocks kept per size class
constexpr uint32_t kSmallClasses = 32;  // pymalloc's (16-byte steps up to 512)
constexpr uint32_t kLastLargeStep = 4095;
constexpr uint32_t kClasses = kSmallClasses + kLastLargeStep + 2;  // + one for everything larger
constexpr uint32_t kPoolTable = 4096;   // pool (4 KiB region) -> small class, direct-mapped
constexpr int kPoolShift = 12;
constexpr double kMaxExact = 9007199254740992.0;  // 2^53

enum Op : uint8_t {
  kOther16 = 0,       // other kinds: prevR + 16 * arg
  kRaw = 1,           // any kind: the address itself (one off the 16-byte grid of its base; rare)
  kFreeDelta = 2,     // free: prevF[domain] + 16 * arg
  kReuseTop = 3,      // alloc: the most recently freed block of its class
  kNextInPool = 4,    // alloc (small class c): the class's last allocation + 16 * (c + 1)
  kAllocDelta = 5,    // alloc: prevA[small or not] + 16 * arg
  kReuseAt = 6,       // alloc: the arg-th most recently freed block of its class
  kFreeRecentArg = 8, // free: the block of allocation number nalloc - 1 - arg
  kFreeSeqArg = 9,    // free: the block of allocation number oprev + 1 + arg
  kClassDelta = 10,   // alloc: the class's last allocation + 16 * arg
  kFreeRecent0 = 16,  // 16..31: kFreeRecentArg with arg op - 16
  kFreeSeq0 = 32,     // 32..47: kFreeSeqArg with arg op - 32
  kFreeClass0 = 48,   // 48..79: free, small class op - 48 (by its pool): the class's last free + 16 * arg
};
// Args of kOther16, kFreeDelta, kAllocDelta, kClassDelta, kFreeClass0+c and kFreeSeq* are zig-zag
// encoded; kRaw, kFreeRecent*, kReuseAt are plain. Every arg is below 2^53 (steps of 16 cover any
// jump between addresses below 2^53), so readers holding them as doubles hold them exactly.

inline bool is_alloc(uint8_t k) { return k >= 1 && k <= 3; }
inline bool is_free(uint8_t k) { return k >= 4 && k <= 6; }
// 0 RAW, 1 MEM and OBJ, 2 the other kinds.
inline int domain(uint8_t k) { return (k == 1 || k == 4 || k == 7) ? 0 : (k >= 2 && k <= 9) ? 1 : 2; }

// Size class of an allocation: pymalloc's for small MEM/OBJ requests, else 16-byte steps of the
// size plus malloc's header, with one class for everything above 65512 bytes. Exact alike for
// integer sizes held as uint64 or double.
template <typename Size>
inline uint32_t size_class(uint8_t kind, Size size) {
  if ((kind == 2 || kind == 3) && size <= 512) return size >= 1 ? static_cast<uint32_t>((size - 1) / 16) : 0;
  if (size > 65512) return kSmallClasses + kLastLargeStep + 1;
  uint32_t q = static_cast<uint32_t>((size + 23) / 16);
  return kSmallClasses + (q < 2 ? 2 : q);
}

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t u) { return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1); }

// What writer and reader both keep.
class State {
 public:
  State() : lifo_(size_t{kClasses} * kDepth, 0), lifo_n_(kClasses, 0), last_(kClasses, 0), ring_addr_(kWindow, 0), ring_class_(kWindow, 0) {}

  uint32_t nalloc = 0, oprev = 0;
  uint64_t prev_r = 0, prev_a[2] = {0, 0}, prev_f[3] = {0, 0, 0};

  void start_batch() {
    prev_r = 0;
    prev_a[0] = prev_a[1] = 0;
    prev_f[0] = prev_f[1] = prev_f[2] = 0;
  }
  int lifo_size(uint32_t c) const { return lifo_n_[c]; }
  // j-th from the top (0: the most recent).
  uint64_t lifo_at(uint32_t c, int j) const { return lifo_[size_t{c} * kDepth + lifo_n_[c] - 1 - j]; }
  int lifo_find(uint32_t c, uint64_t a) const {
    for (int j = 0; j < lifo_n_[c]; j++)
      if (lifo_at(c, j) == a) return j;
    return -1;
  }
  void lifo_take(uint32_t c, int j) {
    uint64_t* l = &lifo_[size_t{c} * kDepth];
    int idx = lifo_n_[c] - 1 - j;
    for (int i = idx; i + 1 < lifo_n_[c]; i++) l[i] = l[i + 1];
    lifo_n_[c]--;
  }
  // A freed block of class c (the oldest of kDepth drops out).
  void freed(uint32_t c, uint64_t a) {
    uint64_t* l = &lifo_[size_t{c} * kDepth];
    if (lifo_n_[c] == kDepth) {
      for (int i = 0; i + 1 < kDepth; i++) l[i] = l[i + 1];
      lifo_n_[c]--;
    }
    l[lifo_n_[c]++] = a;
    if (c < kSmallClasses) last_free_[c] = a;
  }
  uint64_t last_alloc(uint32_t c) const { return last_[c]; }
  uint64_t last_free(uint32_t c) const { return last_free_[c]; }
  int pool_class(uint64_t a) const {
    uint64_t key = a >> kPoolShift;
    return pool_key_[key & (kPoolTable - 1)] == key + 1 ? pool_class_[key & (kPoolTable - 1)] : -1;
  }
  // Allocation number nalloc made block a of class c.
  void allocated(uint32_t c, uint64_t a, int group) {
    last_[c] = a;
    prev_a[group] = a;
    if (c < kSmallClasses) {
      uint64_t key = a >> kPoolShift;
      pool_key_[key & (kPoolTable - 1)] = key + 1;
      pool_class_[key & (kPoolTable - 1)] = static_cast<uint8_t>(c);
    }
    ring_addr_[nalloc & kWindowMask] = a;
    ring_class_[nalloc & kWindowMask] = static_cast<uint16_t>(c);
    nalloc++;
  }
  // Allocation number o, when it is within the window: d = nalloc - 1 - o < min(kWindow, nalloc).
  bool in_window(uint32_t o) const {
    uint32_t d = nalloc - 1 - o;
    return d < kWindow && d < nalloc;
  }
  uint64_t ring_addr(uint32_t o) const { return ring_addr_[o & kWindowMask]; }
  uint32_t ring_class(uint32_t o) const { return ring_class_[o & kWindowMask]; }

 private:
  std::vector<uint64_t> lifo_;
  std::vector<uint8_t> lifo_n_;
  std::vector<uint64_t> last_;
  uint64_t last_free_[kSmallClasses] = {};
  uint64_t pool_key_[kPoolTable] = {};
  uint8_t pool_class_[kPoolTable] = {};
  std::vector<uint64_t> ring_addr_;
  std::vector<uint16_t> ring_class_;
};

// Writer side: chooses each record's op and arg. `emit_arg` receives the varint args in order.
class Encoder {
 public:
  Encoder() : hash_(size_t{1} << kHashBits, 0) {}

  void start_batch() { s_.start_batch(); }

  // The hash slot of an address a few records ahead: the table is larger than the caches, and its
  // miss was a third of the writer's time per record.
  void prefetch(uint64_t a) const { __builtin_prefetch(&hash_[hash(a)]); }

  template <typename EmitArg>
  uint8_t encode(uint8_t kind, uint64_t a, uint64_t size, EmitArg&& emit_arg) {
    uint8_t op;
    if (is_free(kind)) {
      int dom = domain(kind);
      int c = -1;
      uint32_t o = hash_[hash(a)];
      if (s_.in_window(o) && s_.ring_addr(o) == a) {
        uint32_t d = s_.nalloc - 1 - o;
        uint64_t zs = zigzag(static_cast<int32_t>(o - (s_.oprev + 1)));
        if (zs < d) {
          op = zs < 16 ? static_cast<uint8_t>(kFreeSeq0 + zs) : kFreeSeqArg;
          if (zs >= 16) emit_arg(zs);
        } else {
          op = d < 16 ? static_cast<uint8_t>(kFreeRecent0 + d) : kFreeRecentArg;
          if (d >= 16) emit_arg(d);
        }
        s_.oprev = o;
        c = static_cast<int>(s_.ring_class(o));
      } else {
        c = s_.pool_class(a);
        uint64_t lf = c >= 0 ? s_.last_free(static_cast<uint32_t>(c)) : 0;
        if (lf != 0 && ((a - lf) & 15) == 0 && ((a - s_.prev_f[dom]) & 15) == 0 &&
            zigzag(static_cast<int64_t>(a - lf) >> 4) < zigzag(static_cast<int64_t>(a - s_.prev_f[dom]) >> 4)) {
          op = static_cast<uint8_t>(kFreeClass0 + c);
          emit_arg(zigzag(static_cast<int64_t>(a - lf) >> 4));
        } else {
          op = delta_or_raw(kFreeDelta, a, s_.prev_f[dom], emit_arg);
        }
      }
      if (c >= 0) s_.freed(static_cast<uint32_t>(c), a);
      s_.prev_f[dom] = a;
    } else if (is_alloc(kind)) {
      uint32_t c = size_class(kind, size);
      int group = c < kSmallClasses ? 0 : 1;
      int j = s_.lifo_find(c, a);
      uint64_t last = s_.last_alloc(c);
      if (j == 0) {
        op = kReuseTop;
        s_.lifo_take(c, 0);
      } else if (j > 0) {
        op = kReuseAt;
        emit_arg(static_cast<uint64_t>(j));
        s_.lifo_take(c, j);
      } else if (c < kSmallClasses && last != 0 && a == last + 16ull * (c + 1)) {
        op = kNextInPool;
      } else if (last != 0 && ((a - last) & 15) == 0 && ((a - s_.prev_a[group]) & 15) == 0 &&
                 zigzag(static_cast<int64_t>(a - last) >> 4) < zigzag(static_cast<int64_t>(a - s_.prev_a[group]) >> 4)) {
        op = kClassDelta;
        emit_arg(zigzag(static_cast<int64_t>(a - last) >> 4));
      } else {
        op = delta_or_raw(kAllocDelta, a, s_.prev_a[group], emit_arg);
      }
      hash_[hash(a)] = s_.nalloc;
      s_.allocated(c, a, group);
    } else {
      op = delta_or_raw(kOther16, a, s_.prev_r, emit_arg);
    }
    s_.prev_r = a;
    return op;
  }

 private:
  static constexpr int kHashBits = 18;  // address -> its latest allocation number, direct-mapped
  static uint32_t hash(uint64_t a) { return static_cast<uint32_t>(((a >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - kHashBits)); }

  template <typename EmitArg>
  uint8_t delta_or_raw(uint8_t op, uint64_t a, uint64_t base, EmitArg&& emit_arg) {
    uint64_t diff = a - base;
    if (diff & 15) {
      emit_arg(a);
      return kRaw;
    }
    emit_arg(zigzag(static_cast<int64_t>(diff) >> 4));
    return op;
  }

  State s_;
  std::vector<uint32_t> hash_;
};

// Reader side. `next_arg()` returns the next arg as a double (-1 when there is none or it is
// malformed); decode gives the address as a double, or -1 when the op is invalid for the kind,
// refers outside the model, or the address leaves [0, 2^53).
class Decoder {
 public:
  void start_batch() { s_.start_batch(); }

  template <typename NextArg>
  double decode(uint8_t kind, double size, uint8_t op, NextArg&& next_arg) {
    int64_t a;
    if (op == kRaw) {
      double v = next_arg();
      if (v < 0 || v >= kMaxExact) return -1;
      a = static_cast<int64_t>(v);
      if (is_free(kind)) {
        int c = s_.pool_class(static_cast<uint64_t>(a));
        if (c >= 0) s_.freed(static_cast<uint32_t>(c), static_cast<uint64_t>(a));
        s_.prev_f[domain(kind)] = static_cast<uint64_t>(a);
      } else if (is_alloc(kind)) {
        allocated(kind, size, static_cast<uint64_t>(a));
      }
    } else if (is_free(kind)) {
      int dom = domain(kind);
      int c;
      if ((op >= kFreeRecent0 && op < kFreeClass0) || op == kFreeRecentArg || op == kFreeSeqArg) {
        uint32_t o;
        if (op == kFreeRecentArg || (op >= kFreeRecent0 && op < kFreeSeq0)) {
          double d = op == kFreeRecentArg ? next_arg() : op - kFreeRecent0;
          if (d < 0 || d >= kWindow) return -1;
          o = s_.nalloc - 1 - static_cast<uint32_t>(d);
        } else {
          double z = op == kFreeSeqArg ? next_arg() : op - kFreeSeq0;
          if (z < 0 || z >= kMaxExact) return -1;
          o = s_.oprev + 1 + static_cast<uint32_t>(unzigzag(static_cast<uint64_t>(z)));
        }
        if (!s_.in_window(o)) return -1;
        a = static_cast<int64_t>(s_.ring_addr(o));
        c = static_cast<int>(s_.ring_class(o));
        s_.oprev = o;
      } else if (op == kFreeDelta || (op >= kFreeClass0 && op < kFreeClass0 + kSmallClasses)) {
        double z = next_arg();
        if (z < 0 || z >= kMaxExact) return -1;
        uint64_t base = op == kFreeDelta ? s_.prev_f[dom] : s_.last_free(op - kFreeClass0);
        a = static_cast<int64_t>(base) + unzigzag(static_cast<uint64_t>(z)) * 16;
        if (!valid(a)) return -1;
        c = s_.pool_class(static_cast<uint64_t>(a));
      } else {
        return -1;
      }
      if (c >= 0) s_.freed(static_cast<uint32_t>(c), static_cast<uint64_t>(a));
      s_.prev_f[dom] = static_cast<uint64_t>(a);
    } else if (is_alloc(kind)) {
      uint32_t c = size_class(kind, size);
      int group = c < kSmallClasses ? 0 : 1;
      if (op == kReuseTop || op == kReuseAt) {
        double j = op == kReuseTop ? 0 : next_arg();
        if (j < 0 || j >= s_.lifo_size(c)) return -1;
        a = static_cast<int64_t>(s_.lifo_at(c, static_cast<int>(j)));
        s_.lifo_take(c, static_cast<int>(j));
      } else if (op == kNextInPool) {
        if (c >= kSmallClasses) return -1;
        a = static_cast<int64_t>(s_.last_alloc(c) + 16ull * (c + 1));
      } else if (op == kClassDelta || op == kAllocDelta) {
        double z = next_arg();
        if (z < 0 || z >= kMaxExact) return -1;
        uint64_t base = op == kClassDelta ? s_.last_alloc(c) : s_.prev_a[group];
        a = static_cast<int64_t>(base) + unzigzag(static_cast<uint64_t>(z)) * 16;
      } else {
        return -1;
      }
      if (!valid(a)) return -1;
      allocated(kind, size, static_cast<uint64_t>(a));
    } else {
      if (op != kOther16) return -1;
      double z = next_arg();
      if (z < 0 || z >= kMaxExact) return -1;
      a = static_cast<int64_t>(s_.prev_r) + unzigzag(static_cast<uint64_t>(z)) * 16;
      if (!valid(a)) return -1;
    }
    s_.prev_r = static_cast<uint64_t>(a);
    return static_cast<double>(a);
  }

 private:
  static bool valid(int64_t a) { return a >= 0 && a < static_cast<int64_t>(kMaxExact); }
  void allocated(uint8_t kind, double size, uint64_t a) {
    uint32_t c = size_class(kind, size);
    s_.allocated(c, a, c < kSmallClasses ? 0 : 1);
  }
  State s_;
};

}  // namespace pymemprof::address_model

#include "decode_columns.h"

#include <cstring>

namespace pymemprof::reader {

namespace {

constexpr double kTwo32 = 4294967296.0;
constexpr int kMaxKind = 12;
// ALLOC_*, RESIZE_*, ARENA_ALLOC and MARK carry a size; ALLOC_*, RESIZE_* and MARK a stack.
constexpr bool kHasSize[kMaxKind + 1] = {false, true, true, true, false, false, false, true, true, true, true, false, true};
constexpr bool kHasStack[kMaxKind + 1] = {false, true, true, true, false, false, false, true, true, true, false, false, true};

// The varint at buf[*p] (before end), computed as the TypeScript does (a double sum); -1 when it
// runs past end or is longer than 10 bytes. Up to 7 bytes (below 2^49) the sum is exact, so it is
// taken in integers; longer ones (never written for real addresses, sizes or times) take the sum.
inline double varint(const uint8_t* buf, size_t* p, size_t end) {
  size_t q = *p;
  uint8_t b0 = buf[q];
  if (b0 < 0x80) {
    *p = q + 1;
    return b0;
  }
  uint64_t v = b0 & 0x7f;
  size_t stop = end - q < 7 ? end : q + 7;
  for (size_t r = q + 1, shift = 7; r < stop; r++, shift += 7) {
    uint8_t b = buf[r];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *p = r + 1;
      return static_cast<double>(v);
    }
  }
  double value = 0;
  double mul = 1;
  for (size_t limit = q + 10; q < limit; q++) {
    if (q >= end) return -1;
    uint8_t b = buf[q];
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      *p = q + 1;
      return value;
    }
    mul *= 128;
  }
  return -1;
}

// The same varint, branch-free when 8 bytes are readable at buf[*p] (p_max: the last such start):
// one load, the terminator found by its clear top bit, the 7-bit groups packed by three shift-and-
// mask steps. Address deltas have 1-4 bytes at random, which a byte-at-a-time loop mispredicts.
inline double varint_wide(const uint8_t* buf, size_t* p, size_t end, size_t p_max) {
  size_t q = *p;
  if (q > p_max) return varint(buf, p, end);
  uint64_t x;
  std::memcpy(&x, buf + q, 8);  // little-endian (x86-64, aarch64)
  uint64_t stops = ~x & 0x8080808080808080ull;
  if (stops == 0) return varint(buf, p, end);
  int len = __builtin_ctzll(stops) / 8 + 1;
  if (len > 7) return varint(buf, p, end);  // beyond 2^49: the double sum, as the TypeScript
  if (q + len > end) return -1;
  x &= ((uint64_t{1} << (8 * len)) - 1) & 0x7f7f7f7f7f7f7f7full;
  x = (x & 0x007f007f007f007full) | ((x & 0x7f007f007f007f00ull) >> 1);
  x = (x & 0x00003fff00003fffull) | ((x & 0x3fff00003fff0000ull) >> 2);
  x = (x & 0x000000000fffffffull) | ((x & 0x0fffffff00000000ull) >> 4);
  *p = q + len;
  return static_cast<double>(x);
}

// The thread column [p, end): one entry per record.
bool decode_threads(const uint8_t* buf, size_t p, size_t end, size_t o, size_t n, uint32_t* thread) {
  for (size_t i = o; i < o + n; i++) {
    if (p >= end) return false;
    double v = varint(buf, &p, end);
    if (v < 0 || v >= kTwo32) return false;
    thread[i] = static_cast<uint32_t>(v);
  }
  return p == end;
}

// The size column [sp, s_end) and the stack column [kp, k_end): entries for the kinds that carry
// them (0 for the others); false also for a kind out of range.
bool decode_sizes_stacks(const uint8_t* buf, size_t buf_len, size_t sp, size_t s_end, size_t kp, size_t k_end, size_t o, size_t n,
                         const ColumnsOut& out) {
  const size_t p_max = buf_len >= 8 ? buf_len - 8 : 0;
  const bool wide = buf_len >= 8;
  // Local copies: stores through the output columns cannot then be taken to change them.
  const uint8_t* __restrict kind = out.kind;
  double* __restrict size = out.size;
  uint32_t* __restrict stack = out.stack;
  for (size_t i = o; i < o + n; i++) {
    uint8_t k = kind[i];
    if (k < 1 || k > kMaxKind) return false;
    if (kHasSize[k]) {
      if (sp >= s_end) return false;
      double v = varint(buf, &sp, s_end);
      if (v < 0) return false;
      size[i] = v;
    } else {
      size[i] = 0;
    }
    if (kHasStack[k]) {
      if (kp >= k_end) return false;
      double v = wide ? varint_wide(buf, &kp, k_end, p_max) : varint(buf, &kp, k_end);
      if (v < 0 || v >= kTwo32) return false;
      stack[i] = static_cast<uint32_t>(v);
    } else {
      stack[i] = 0;
    }
  }
  return sp == s_end && kp == k_end;
}

}  // namespace

bool decode_columns(const uint8_t* buf, size_t buf_len, const int32_t at[14], double base_time_us, size_t o, size_t n,
                    const ColumnsOut& out) {
  for (int f = 1; f <= 6; f++) {
    if (at[2 * f] < 0 || at[2 * f] > at[2 * f + 1] || static_cast<size_t>(at[2 * f + 1]) > buf_len) return false;
  }
  if (!decode_threads(buf, at[10], at[11], o, n, out.thread)) return false;

  size_t p = at[12], end = at[13];
  double t = base_time_us;
  for (size_t i = o; i < o + n; i++) {
    if (p >= end) return false;
    double v = varint(buf, &p, end);
    if (v < 0) return false;
    t += v;
    out.time_us[i] = t;
  }
  if (p != end) return false;

  if (!decode_sizes_stacks(buf, buf_len, at[6], at[7], at[8], at[9], o, n, out)) return false;
  size_t ap = at[4], a_end = at[5];
  const size_t p_max = buf_len >= 8 ? buf_len - 8 : 0;
  const bool wide = buf_len >= 8;
  double* __restrict address = out.address;
  double prev = 0;
  for (size_t i = o; i < o + n; i++) {
    // zig-zag address delta: even z -> z/2, odd z -> -(z+1)/2 (the parity from the first byte).
    if (ap >= a_end) return false;
    bool odd = buf[ap] & 1;
    double z = wide ? varint_wide(buf, &ap, a_end, p_max) : varint(buf, &ap, a_end);
    if (z < 0) return false;
    prev += odd ? -(z + 1) / 2 : z / 2;
    if (prev < 0) return false;
    address[i] = prev;
  }
  return ap == a_end;
}

namespace {
bool column_ok(const int32_t* at, int f, size_t buf_len) {
  return at[2 * f] >= 0 && at[2 * f] <= at[2 * f + 1] && static_cast<size_t>(at[2 * f + 1]) <= buf_len;
}
bool column_absent(const int32_t* at, int f) { return at[2 * f] < 0 && at[2 * f + 1] < 0; }
}  // namespace

bool decode_columns_v3(const uint8_t* buf, size_t buf_len, const int32_t at[24], double base_time_us, size_t o, size_t n,
                       const ColumnsOut& out, address_model::Decoder& model) {
  // Fields 2 and 6 (format 2's deltas) must be absent; any other absent one (an empty column is
  // written as nothing) reads as empty.
  if (!column_absent(at, 2) || !column_absent(at, 6)) return false;
  int32_t r[24];
  for (int f = 0; f < 12; f++) {
    bool absent = column_absent(at, f);
    if (!absent && !column_ok(at, f, buf_len)) return false;
    r[2 * f] = absent ? 0 : at[2 * f];
    r[2 * f + 1] = absent ? 0 : at[2 * f + 1];
  }
  at = r;

  if (!decode_threads(buf, at[10], at[11], o, n, out.thread)) return false;

  // Time runs: run j's records share base + step[0] + ... + step[j].
  size_t sp = at[20], s_end = at[21];
  size_t rp = at[22], r_end = at[23];
  double t = base_time_us;
  for (size_t i = o; i < o + n;) {
    if (sp >= s_end || rp >= r_end) return false;
    double step = varint(buf, &sp, s_end);
    double run = varint(buf, &rp, r_end);
    if (step < 0 || run < 1 || run >= kTwo32 || run > static_cast<double>(o + n - i)) return false;
    t += step;
    for (size_t e = i + static_cast<size_t>(run); i < e; i++) out.time_us[i] = t;
  }
  if (sp != s_end || rp != r_end) return false;

  if (!decode_sizes_stacks(buf, buf_len, at[6], at[7], at[8], at[9], o, n, out)) return false;

  size_t op_p = at[16];
  if (static_cast<size_t>(at[17]) - op_p != n) return false;
  size_t ap = at[18], a_end = at[19];
  auto next_arg = [&]() -> double { return ap < a_end ? varint(buf, &ap, a_end) : -1; };
  model.start_batch();
  for (size_t i = o; i < o + n; i++) {
    double a = model.decode(out.kind[i], out.size[i], buf[op_p + (i - o)], next_arg);
    if (a < 0) return false;
    out.address[i] = a;
  }
  return ap == a_end;
}

}  // namespace pymemprof::reader

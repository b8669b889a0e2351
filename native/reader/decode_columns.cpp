#include "decode_columns.h"

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

}  // namespace

bool decode_columns(const uint8_t* buf, size_t buf_len, const int32_t at[14], double base_time_us, size_t o, size_t n,
                    const ColumnsOut& out) {
  for (int f = 1; f <= 6; f++) {
    if (at[2 * f] < 0 || at[2 * f] > at[2 * f + 1] || static_cast<size_t>(at[2 * f + 1]) > buf_len) return false;
  }
  size_t p = at[10], end = at[11];
  for (size_t i = o; i < o + n; i++) {
    if (p >= end) return false;
    double v = varint(buf, &p, end);
    if (v < 0 || v >= kTwo32) return false;
    out.thread[i] = static_cast<uint32_t>(v);
  }
  if (p != end) return false;

  p = at[12];
  end = at[13];
  double t = base_time_us;
  for (size_t i = o; i < o + n; i++) {
    if (p >= end) return false;
    double v = varint(buf, &p, end);
    if (v < 0) return false;
    t += v;
    out.time_us[i] = t;
  }
  if (p != end) return false;

  size_t ap = at[4], a_end = at[5];
  size_t sp = at[6], s_end = at[7];
  size_t stp = at[8], st_end = at[9];
  double prev = 0;
  for (size_t i = o; i < o + n; i++) {
    // zig-zag address delta: even z -> z/2, odd z -> -(z+1)/2 (the parity from the first byte).
    if (ap >= a_end) return false;
    bool odd = buf[ap] & 1;
    double z = varint(buf, &ap, a_end);
    if (z < 0) return false;
    prev += odd ? -(z + 1) / 2 : z / 2;
    if (prev < 0) return false;
    out.address[i] = prev;

    uint8_t k = out.kind[i];
    if (k < 1 || k > kMaxKind) return false;
    if (kHasSize[k]) {
      if (sp >= s_end) return false;
      double v = varint(buf, &sp, s_end);
      if (v < 0) return false;
      out.size[i] = v;
    } else {
      out.size[i] = 0;
    }
    if (kHasStack[k]) {
      if (stp >= st_end) return false;
      double v = varint(buf, &stp, st_end);
      if (v < 0 || v >= kTwo32) return false;
      out.stack[i] = static_cast<uint32_t>(v);
    } else {
      out.stack[i] = 0;
    }
  }
  return ap == a_end && sp == s_end && stp == st_end;
}

}  // namespace pymemprof::reader

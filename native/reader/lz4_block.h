// LZ4 block decoding for compressed capture frames: a port of src/capture/lz4.ts (same acceptance
// rules, so both readers agree on every input; the vendored reference decoder is stricter about a
// block's last bytes). Every read and write is bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pymemprof::reader {

// Decodes src[0, src_len) into dst[0, dst_len); returns the bytes written, or -1 when the block is
// malformed or would not fit.
inline int64_t lz4_decode_block(const uint8_t* src, size_t src_len, uint8_t* dst, size_t dst_len) {
  size_t s = 0, d = 0;
  while (s < src_len) {
    unsigned token = src[s++];
    size_t lit = token >> 4;
    if (lit == 15) {
      unsigned b;
      do {
        if (s >= src_len) return -1;
        b = src[s++];
        lit += b;
      } while (b == 255);
    }
    if (lit > src_len - s || lit > dst_len - d) return -1;
    std::memcpy(dst + d, src + s, lit);
    s += lit;
    d += lit;
    if (s == src_len) return static_cast<int64_t>(d);  // the last sequence has literals only
    if (src_len - s < 2) return -1;
    size_t offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset == 0 || offset > d) return -1;
    size_t m = token & 15;
    if (m == 15) {
      unsigned b;
      do {
        if (s >= src_len) return -1;
        b = src[s++];
        m += b;
      } while (b == 255);
    }
    m += 4;
    if (m > dst_len - d) return -1;
    size_t from = d - offset;
    if (offset >= m) {
      std::memcpy(dst + d, dst + from, m);
      d += m;
    } else {
      // Overlapping: a run repeating the last `offset` bytes. Any multiple of `offset` back holds
      // the same byte, so copy from `from` in chunks that double: each copies bytes already written.
      for (size_t e = d + m; d < e;) {
        size_t n = d - from < e - d ? d - from : e - d;
        std::memcpy(dst + d, dst + from, n);
        d += n;
      }
    }
  }
  return static_cast<int64_t>(d);
}

}  // namespace pymemprof::reader

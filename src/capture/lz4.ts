/**
 * LZ4 block decoding (the format of https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md) for
 * compressed capture frames (native/capture/compress.cpp). Every read and write is bounds-checked:
 * a corrupt block yields -1, never a read past its end or a write past `dst`'s.
 */

/**
 * Decodes src[s, sEnd) into dst[0, dstLen); returns the bytes written, or -1 when the block is
 * malformed or would not fit.
 */
export function lz4DecodeBlock(src: Uint8Array, s: number, sEnd: number, dst: Uint8Array, dstLen: number): number {
  let d = 0;
  while (s < sEnd) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= sEnd) return -1;
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > sEnd - s || lit > dstLen - d) return -1;
    if (lit < 32) {
      for (let k = 0; k < lit; k++) dst[d + k] = src[s + k]!;
    } else {
      dst.set(src.subarray(s, s + lit), d);
    }
    s += lit;
    d += lit;
    if (s === sEnd) return d; // the last sequence has literals only
    if (sEnd - s < 2) return -1;
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) return -1;
    let m = token & 15;
    if (m === 15) {
      let b: number;
      do {
        if (s >= sEnd) return -1;
        b = src[s++]!;
        m += b;
      } while (b === 255);
    }
    m += 4;
    if (m > dstLen - d) return -1;
    let from = d - offset;
    if (offset >= m && m >= 32) {
      dst.copyWithin(d, from, from + m);
      d += m;
    } else {
      // Overlapping (a run repeating the last `offset` bytes): byte by byte, in order.
      const e = d + m;
      while (d < e) dst[d++] = dst[from++]!;
    }
  }
  return d;
}

/** The most an LZ4 block of n bytes can expand to (each match byte run adds at most 255 per byte). */
export function lz4MaxDecodedSize(n: number): number {
  return n * 255 + 16;
}

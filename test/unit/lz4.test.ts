/**
 * The LZ4 block decoder of compressed capture frames: blocks from a compressor (the fuzzer's, and
 * hand-made ones for the corner cases: long literal and match lengths, overlapping matches) decode
 * to their input; corrupt blocks give -1 without reading or writing out of bounds.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { lz4DecodeBlock as lz4DecodeBlockTs, lz4MaxDecodedSize } from '../../src/capture/lz4';
import { rng } from '../helpers/random';
import { nativePasses } from '../../src/analysis/native-passes';
const fuzz = createRequire(__filename)('../../scripts/fuzz-capture.js');

type Lz4 = typeof lz4DecodeBlock;
// The native port (native/reader/lz4_block.h) must behave exactly as the TypeScript.
const nativeLz4: Lz4 = (src, s, sEnd, dst, dstLen) => nativePasses()!.lz4DecodeBlock(src, s, sEnd, dst, dstLen);

for (const [which, lz4DecodeBlock] of [
  ['TypeScript', lz4DecodeBlockTs],
  ['native', nativeLz4],
] as const) {
  const decode = (block: Uint8Array, size: number): { n: number; out: Uint8Array } => {
    const out = new Uint8Array(size);
    return { n: lz4DecodeBlock(block, 0, block.length, out, size), out };
  };

  describe(`lz4DecodeBlock (${which})`, () => {
    it('decodes compressed data of every shape back to its input', () => {
      const r = rng(5);
      const inputs: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(7), new Uint8Array(100000)];
      for (let k = 0; k < 40; k++) {
        const n = Math.floor(r() * 20000);
        const a = new Uint8Array(n);
        const alphabet = 1 + Math.floor(r() * 255);
        for (let i = 0; i < n; i++) a[i] = r() < 0.7 && i > 8 ? a[i - 1 - Math.floor(r() * 8)]! : Math.floor(r() * alphabet);
        inputs.push(a);
      }
      let matched = 0;
      for (const a of inputs) {
        const block: Uint8Array = fuzz.lz4Encode(a);
        if (block.length < a.length) matched++;
        const { n, out } = decode(block, a.length);
        expect(n).toBe(a.length);
        expect(Buffer.from(out).equals(Buffer.from(a))).toBe(true);
        expect(a.length).toBeLessThanOrEqual(lz4MaxDecodedSize(block.length));
      }
      expect(matched).toBeGreaterThan(30);
    });

    it('handles long literal runs, long and overlapping matches', () => {
      // 20 literals (15 + 5), then a match of 300 bytes at offset 1 (a run of the last byte).
      const block = Uint8Array.of(0xff, 5, ...Array.from({ length: 20 }, (_, i) => i), 1, 0, 255, 26, 0x50, 9, 9, 9, 9, 9);
      const { n, out } = decode(block, 20 + 4 + 15 + 255 + 26 + 5);
      expect(n).toBe(325);
      expect(Array.from(out.subarray(0, 20))).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(out.subarray(20, 320).every((b) => b === 19)).toBe(true);
      expect(Array.from(out.subarray(320))).toEqual([9, 9, 9, 9, 9]);
    });

    it('refuses corrupt blocks: offsets before the start, zero offsets, lengths past either end', () => {
      const lit = (s: string) => Array.from(Buffer.from(s));
      expect(decode(Uint8Array.of(0x40, ...lit('abcd'), 5, 0), 100).n).toBe(-1); // offset 5 > 4 written
      expect(decode(Uint8Array.of(0x40, ...lit('abcd'), 0, 0), 100).n).toBe(-1); // offset 0
      expect(decode(Uint8Array.of(0x40, ...lit('abcd'), 4), 100).n).toBe(-1); // offset cut short
      expect(decode(Uint8Array.of(0x50, ...lit('abcd')), 100).n).toBe(-1); // literals past the block
      expect(decode(Uint8Array.of(0xf0), 100).n).toBe(-1); // literal length byte missing
      expect(decode(Uint8Array.of(0x4f, ...lit('abcd'), 4, 0, 255), 100).n).toBe(-1); // match length cut short
      expect(decode(Uint8Array.of(0x4f, ...lit('abcd'), 4, 0, 200), 100).n).toBe(-1); // match past the output
      expect(decode(Uint8Array.of(0x40, ...lit('abcd')), 3).n).toBe(-1); // literals past the output
      expect(decode(Uint8Array.of(0x40, ...lit('abcd'), 4, 0), 8).n).toBe(8); // exact fit
    });

    it('never throws or writes out of bounds on random bytes', () => {
      const r = rng(9);
      for (let k = 0; k < 20000; k++) {
        const block = Uint8Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256));
        const size = Math.floor(r() * 300);
        const out = new Uint8Array(size + 16).fill(0xee);
        const n = lz4DecodeBlock(block, 0, block.length, out, size);
        expect(n).toBeLessThanOrEqual(size);
        expect(out.subarray(size).every((b) => b === 0xee)).toBe(true);
      }
    });
  });
}

describe('lz4DecodeBlock, native and TypeScript', () => {
  it('agree on every input: compressed, mutated and random blocks', () => {
    expect(nativePasses()).not.toBeNull(); // built by `npm run build`
    const r = rng(11);
    let decoded = 0;
    for (let k = 0; k < 5000; k++) {
      const n = Math.floor(r() * 3000);
      const a = Uint8Array.from({ length: n }, (_, i) => (r() < 0.6 && i > 4 ? 0 : Math.floor(r() * 16)));
      const block = Uint8Array.from(k % 3 === 2 ? Array.from({ length: 1 + Math.floor(r() * 60) }, () => Math.floor(r() * 256)) : fuzz.lz4Encode(a));
      if (k % 3 === 1) for (let m = 0; m < 3; m++) block[Math.floor(r() * block.length)] = Math.floor(r() * 256);
      const size = k % 5 === 0 ? Math.floor(r() * n) : n;
      const x = new Uint8Array(size + 8).fill(0xee);
      const y = new Uint8Array(size + 8).fill(0xee);
      const nx = nativeLz4(block, 0, block.length, x, size);
      const ny = lz4DecodeBlockTs(block, 0, block.length, y, size);
      expect(nx).toBe(ny);
      if (nx >= 0) {
        decoded++;
        expect(Buffer.from(x.subarray(0, nx)).equals(Buffer.from(y.subarray(0, ny)))).toBe(true);
      }
      expect(x.subarray(size).every((b) => b === 0xee)).toBe(true);
    }
    expect(decoded).toBeGreaterThan(1200);
  });
});

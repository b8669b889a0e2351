/**
 * The LZ4 block decoder of compressed capture frames: blocks from a compressor (the fuzzer's, and
 * hand-made ones for the corner cases: long literal and match lengths, overlapping matches) decode
 * to their input; corrupt blocks give -1 without reading or writing out of bounds.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { lz4DecodeBlock, lz4MaxDecodedSize } from '../../src/capture/lz4';
import { rng } from '../helpers/random';
const fuzz = createRequire(__filename)('../../scripts/fuzz-capture.js');

const decode = (block: Uint8Array, size: number): { n: number; out: Uint8Array } => {
  const out = new Uint8Array(size);
  return { n: lz4DecodeBlock(block, 0, block.length, out, size), out };
};

describe('lz4DecodeBlock', () => {
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

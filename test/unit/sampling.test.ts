/**
 * Weights of sampled captures (src/capture/sampling.ts): the tracer's byte-based Poisson sampling,
 * simulated here, weighted by the reader's formula, estimates totals without bias.
 */
import { describe, expect, it } from 'vitest';
import { ReportReducer, windowValues } from '../../src/analysis/report-reducer';
import type { DecodedBatch } from '../../src/capture/batch-decoder';
import { CaptureTables } from '../../src/capture/reader';
import { ExactPeakTracker, sampledSize, weightSampledBatch } from '../../src/capture/sampling';
import { decodedBatch } from '../helpers/capture-builder';

/** Deterministic uniform (0, 1]. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 1) / 4294967297;
  };
}

/** The tracer's sampler: a countdown of exponentially distributed bytes (mean n). */
function sample(sizes: number[], n: number, seed: number): number[] {
  const u = rng(seed);
  let until = -Math.log(u()) * n;
  const out: number[] = [];
  for (const s of sizes) {
    until -= s;
    if (until > 0) continue;
    out.push(s);
    until = -Math.log(u()) * n;
  }
  return out;
}

describe('sampled sizes', () => {
  it('approach the size for large blocks and the mean interval for tiny ones', () => {
    expect(sampledSize(10 * 1024 * 1024, 4096)).toBeCloseTo(10 * 1024 * 1024, 0);
    expect(sampledSize(1, 65536)).toBeCloseTo(65536.5, 0);
    expect(sampledSize(0, 4096)).toBe(0);
  });

  it('give unbiased totals for a mix of sizes (within 2% over many samples)', () => {
    const r = rng(7);
    const sizes: number[] = [];
    for (let i = 0; i < 400_000; i++) {
      const x = r();
      sizes.push(x < 0.8 ? 16 + Math.floor(r() * 100) : x < 0.99 ? 500 + Math.floor(r() * 4000) : 100_000 + Math.floor(r() * 1e6));
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    for (const n of [512, 4096, 65536]) {
      const est = sample(sizes, n, n).reduce((a, s) => a + sampledSize(s, n), 0);
      expect(Math.abs(est - total) / total, `N=${n}`).toBeLessThan(0.02);
    }
  });

  it('are applied to allocation records only', () => {
    const b = {
      count: 3,
      kind: Uint8Array.from([2, 5, 8]), // ALLOC_MEM, FREE_MEM, RESIZE_MEM
      address: Float64Array.from([16, 16, 32]),
      size: Float64Array.from([100, 0, 200]),
      stack: new Uint32Array(3),
      thread: new Uint32Array(3),
      timeUs: new Float64Array(3),
      baseTimeUs: 0,
    };
    weightSampledBatch(b, 1000);
    expect(b.size[0]).toBeCloseTo(100 / (1 - Math.exp(-0.1)), 6);
    expect(b.size[1]).toBe(0);
    expect(b.size[2]).toBeCloseTo(200 / (1 - Math.exp(-0.2)), 6);
  });
});

describe('ExactPeakTracker', () => {
  const batch = (rows: [kind: number, address: number, size: number, live: number, usable: number, timeUs: number][], side = true) => ({
    count: rows.length,
    kind: Uint8Array.from(rows.map((r) => r[0])),
    address: Float64Array.from(rows.map((r) => r[1])),
    size: Float64Array.from(rows.map((r) => r[2])),
    stack: new Uint32Array(rows.length),
    thread: new Uint32Array(rows.length),
    timeUs: Float64Array.from(rows.map((r) => r[5])),
    baseTimeUs: 0,
    liveBytes: side ? Float64Array.from(rows.map((r) => r[3])) : undefined,
    usableSize: side ? Float64Array.from(rows.map((r) => r[4])) : undefined,
  });
  const p = (s: number, n: number) => -Math.expm1(-s / n);

  it('gives the peak as the exact live bytes less the weighted rounding of the live samples', () => {
    const N = 1000;
    const t = new ExactPeakTracker(N);
    // ALLOC_OBJ of 20 bytes (32 usable), ALLOC_RAW of 5000 (5016 usable), the 20-byte block freed,
    // then an arena (no live bytes) and a larger exact count with only the big block sampled.
    t.batch(batch([
      [3, 0x100, 20, 10_000, 32, 1],
      [1, 0x200, 5000, 15_016, 5016, 2],
    ]));
    t.batch(batch([
      [6, 0x100, 0, 14_984, 0, 3],
      [10, 0x9000, 1 << 20, 0, 0, 4],
      [3, 0x300, 100, 15_500, 112, 5],
    ]));
    const r12 = 12 / p(20, N);
    const r16 = 16 / p(5000, N);
    const r100 = 12 / p(100, N);
    const candidates = [10_000 - r12, 15_016 - r12 - r16, 14_984 - r16, 15_500 - r16 - r100];
    const best = Math.max(...candidates);
    const at = candidates.indexOf(best);
    // afterRecords: records (of every kind: the arena's too) up to the peak; an allocation's own
    // record is included, a free's is not (records 0, 1 | 2, 3, 4).
    expect(t.result()).toEqual({ bytes: Math.round(best), timeUs: [1, 2, 3, 5][at], liveUsableBytes: [10_000, 15_016, 14_984, 15_500][at], afterRecords: [1, 2, 2, 5][at] });
  });

  it('gives nothing when the capture lacks the live bytes', () => {
    const t = new ExactPeakTracker(1000);
    t.batch(batch([[3, 0x100, 20, 0, 0, 1]], false));
    expect(t.result()).toBeNull();
    // A lost side record among many is tolerated; many are not.
    const u = new ExactPeakTracker(1000);
    const rows: [number, number, number, number, number, number][] = [];
    for (let i = 0; i < 2000; i++) rows.push([3, 16 * i, 16, i === 7 ? 0 : 100 + i, 16, i]);
    u.batch(batch(rows));
    expect(u.result()?.liveUsableBytes).toBe(2099);
    for (let i = 0; i < 10; i++) rows[i]![3] = 0;
    const v = new ExactPeakTracker(1000);
    v.batch(batch(rows));
    expect(v.result()).toBeNull();
  });
});

describe('ReportReducer on a sampled capture with exact live bytes', () => {
  // Two 20 MB blocks (stacks 1, 2) make the exact peak (40 MB); after the second is freed, small
  // samples on stack 3 whose weighted sizes (noise) sum to 30 MB raise the weighted sum to 50 MB
  // while the exact count stays at 37 MB. The high-water mark is the exact count's.
  const rows: [kind: number, address: number, size: number, stack: number, exact: number, timeUs: number][] = [
    [1, 0x1000, 20e6, 1, 20e6, 10],
    [1, 0x2000, 20e6, 2, 40e6, 20],
    [4, 0x2000, 0, 0, 40e6, 30],
  ];
  for (let i = 0; i < 30; i++) rows.push([3, 0x10000 + 16 * i, 1e6, 3, 37e6, 40 + i]);
  const batchOf = (withExact: boolean): DecodedBatch => ({
    ...decodedBatch(rows.map(([kind, address, size, stack, , timeUs]) => ({ kind, address, size, stack, thread: 1, timeUs }))),
    exactLive: withExact ? Float64Array.from(rows, (r) => r[4]) : undefined,
  });
  const peakByStack = (withExact: boolean, native: boolean) => {
    const tables = new CaptureTables();
    tables.addStackNodes({ id: [1, 2, 3], parent: [0, 0, 0], code: [1, 1, 1], offset: [0, 0, 0] });
    const r = new ReportReducer(tables, { native });
    r.add(batchOf(withExact));
    r.finish();
    const t = r.temporal();
    const bytes = new Float64Array(r.rowStacks().length);
    windowValues(t, r.timeline().peak, 'peak', 0, r.timeline().peak.length - 1, bytes, new Float64Array(bytes.length));
    const byStack = new Map<number, number>();
    r.rowStacks().forEach((s, row) => byStack.set(s, (byStack.get(s) ?? 0) + bytes[row]!));
    return { byStack, figures: r.figures(), peak: Math.max(...r.timeline().peak) };
  };

  for (const native of [false, true]) {
    it(`puts the high-water mark where the exact count peaks (${native ? 'native kernel built' : 'TypeScript pass'})`, () => {
      const exact = peakByStack(true, native);
      expect(exact.byStack.get(1)).toBe(20e6);
      expect(exact.byStack.get(2)).toBe(20e6);
      expect(exact.byStack.get(3) ?? 0).toBe(0);
      expect(exact.peak).toBe(40e6); // the chart's high-water mark: the exact count
      expect(exact.figures.peakBytes).toBe(50e6); // the samples' own estimate, as before
      // Without the counts: the weighted sum's maximum, at the end.
      const weighted = peakByStack(false, native);
      expect(weighted.byStack.get(2) ?? 0).toBe(0);
      expect(weighted.byStack.get(3)).toBe(30e6);
    });
  }
});

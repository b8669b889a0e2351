/**
 * Weights of sampled captures (src/capture/sampling.ts): the tracer's byte-based Poisson sampling,
 * simulated here, weighted by the reader's formula, estimates totals without bias.
 */
import { describe, expect, it } from 'vitest';
import { sampledSize, weightSampledBatch } from '../../src/capture/sampling';

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

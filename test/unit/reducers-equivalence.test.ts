/**
 * The optimized reducers (src/analysis) against the straightforward versions they replaced
 * (test/unit/reference, commit 8f320a4), on random record streams that exercise every path: missed
 * frees, unknown frees, resizes, address 0, unknown stacks, sizes beyond 2^32, several threads per
 * stack, marks, clock skew, time jumps that coarsen the buckets, tables growing between batches.
 * Both the TypeScript passes and the native kernels (native/reader, built by `npm run build`), and
 * the two against each other entry for entry (same order of every sum, fractional sampled sizes too).
 */
import { describe, expect, it } from 'vitest';
import { DecodedBatch, KIND } from '../../src/capture/batch-decoder';
import { CaptureTables } from '../../src/capture/reader';
import { StatsReducer } from '../../src/analysis/stats';
import { ReportReducer } from '../../src/analysis/report-reducer';
import { StatsReducer as RefStatsReducer } from './reference/stats';
import { ReportReducer as RefReportReducer } from './reference/report-reducer';
import { rng } from '../helpers/random';
import { nativePasses } from '../../src/analysis/native-passes';

interface Stream {
  batches: DecodedBatch[];
  /** Stack nodes defined before batch i (ids), so that tables grow between batches. */
  nodesBefore: number[][];
}

function randomStream(seed: number, nBatches: number, perBatch: number, fractionalSizes = false): Stream {
  const r = rng(seed);
  const pool: number[] = [];
  let t = 1000;
  let maxNode = 50;
  const batches: DecodedBatch[] = [];
  const nodesBefore: number[][] = [];
  for (let bi = 0; bi < nBatches; bi++) {
    const before: number[] = [];
    if (bi === 0 || r() < 0.3) {
      const add = 1 + Math.floor(r() * 40);
      for (let j = 0; j < add; j++) before.push(++maxNode);
    }
    nodesBefore.push(bi === 0 ? [...Array(maxNode).keys()].map((x) => x + 1) : before);
    const n = perBatch;
    const b: DecodedBatch = {
      count: n,
      kind: new Uint8Array(n),
      address: new Float64Array(n),
      size: new Float64Array(n),
      stack: new Uint32Array(n),
      thread: new Uint32Array(n),
      timeUs: new Float64Array(n),
      baseTimeUs: 0,
    };
    for (let i = 0; i < n; i++) {
      const x = r();
      let kind: number;
      let address: number;
      if (x < 0.42) {
        kind = KIND.ALLOC_RAW + Math.floor(r() * 3);
        address = r() < 0.05 && pool.length ? pool[Math.floor(r() * pool.length)]! : 0x7f0000000000 + Math.floor(r() * 5000) * 16;
        pool.push(address);
      } else if (x < 0.8) {
        kind = KIND.FREE_RAW + Math.floor(r() * 3);
        address = pool.length && r() < 0.9 ? pool.splice(Math.floor(r() * pool.length), 1)[0]! : 0x550000000000 + Math.floor(r() * 1000) * 16;
      } else if (x < 0.88) {
        kind = KIND.RESIZE_RAW + Math.floor(r() * 3);
        address = pool.length && r() < 0.7 ? pool[Math.floor(r() * pool.length)]! : 0x7f0000000000 + Math.floor(r() * 5000) * 16;
      } else if (x < 0.93) {
        kind = r() < 0.5 ? KIND.ARENA_ALLOC : KIND.ARENA_FREE;
        address = 0x7e0000000000 + Math.floor(r() * 64) * (1 << 20);
      } else if (x < 0.95) {
        kind = KIND.MARK;
        address = 0;
      } else {
        kind = KIND.ALLOC_OBJ;
        address = r() < 0.5 ? 0 : Math.floor(r() * 2 ** 47); // address 0 is never stored
      }
      b.kind[i] = kind;
      b.address[i] = address;
      const big = r() < 0.01;
      b.size[i] = kind === KIND.MARK ? 1 + Math.floor(r() * 3) : big ? Math.floor(r() * 2 ** 40) : Math.floor(r() * 600);
      // Sampled captures carry weighted sizes: sums then depend on their order.
      if (fractionalSizes && kind !== KIND.MARK) b.size[i] *= 1 + r() / 3;
      b.stack[i] = r() < 0.03 ? maxNode + 1 + Math.floor(r() * 10) : Math.floor(r() * (maxNode + 1)); // some unknown
      b.thread[i] = 1 + Math.floor(r() * r() * 5); // thread 1 busiest; up to 5 threads per stack
      // Mostly small steps; sometimes backwards (skew across threads) or a long jump.
      const y = r();
      if (y < 0.001) t += Math.floor(r() * 5e7);
      else if (y < 0.02 && t > 100) t -= Math.floor(r() * 100);
      else t += Math.floor(r() * 40);
      b.timeUs[i] = t;
    }
    batches.push(b);
  }
  return { batches, nodesBefore };
}

function addNodes(tables: CaptureTables, ids: number[]): void {
  if (ids.length) tables.addStackNodes({ id: ids, parent: ids.map((id) => (id > 10 ? id % 10 : 0)), code: ids.map(() => 1), offset: ids.map(() => 0) });
}

function sortedTemporal(t: { row: ArrayLike<number>; ap: ArrayLike<number>; fp: ArrayLike<number>; bytes: ArrayLike<number>; count: ArrayLike<number>; length: number }) {
  const out: number[][] = [];
  for (let i = 0; i < t.length; i++) out.push([t.row[i]!, t.ap[i]!, t.fp[i]!, t.bytes[i]!, t.count[i]!]);
  return out.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
}

describe('native kernels', () => {
  it('are built and current (npm run build), so the tests below run them', () => {
    expect(nativePasses()).not.toBeNull();
  });
});

for (const native of [false, true]) {
  describe(`optimized reducers (${native ? 'native kernels' : 'TypeScript passes'})`, () => {
    for (const [seed, threshold, fractional] of [
      [1, 1, false],
      [2, 1, false],
      [3, 4, false],
      [4, 1, false],
      [5, 1, true],
    ] as const) {
      it(`agree with the reference reducers (seed ${seed}, temporary threshold ${threshold}${fractional ? ', weighted sizes' : ''})`, () => {
        const { batches, nodesBefore } = randomStream(seed, 40, 3000, fractional);
        const tables = new CaptureTables();
        const refTables = new CaptureTables();
        const stats = new StatsReducer(tables, { native });
        const refStats = new RefStatsReducer(refTables);
        const report = new ReportReducer(tables, { temporaryThreshold: threshold, native });
        const refReport = new RefReportReducer(refTables, { temporaryThreshold: threshold });
        expect(stats.isNative).toBe(native);
        expect(report.isNative).toBe(native);
        batches.forEach((b, i) => {
          addNodes(tables, nodesBefore[i]!);
          addNodes(refTables, nodesBefore[i]!);
          stats.add(b);
          refStats.add(b);
          report.add(b);
          refReport.add(b);
        });
        const close = fractional ? (a: unknown) => JSON.parse(JSON.stringify(a, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(9)) : v))) : (a: unknown) => a;
        expect(close(stats.figures())).toEqual(close(refStats.figures()));
        expect(stats.figures().liveBlocks).toBe(refStats.live.size);
        const nodes = (red: { forEachNodeAtPeak: StatsReducer['forEachNodeAtPeak'] }, which: 'peak' | 'now') => {
          const out: number[][] = [];
          const fn = (n: number, bytes: number, blocks: number) => out.push([n, bytes, blocks]);
          if (which === 'peak') red.forEachNodeAtPeak(fn);
          else (red as StatsReducer).forEachNodeNow(fn);
          return out;
        };
        expect(close(nodes(stats, 'peak'))).toEqual(close(nodes(refStats, 'peak')));
        expect(close(nodes(stats, 'now'))).toEqual(close(nodes(refStats as unknown as StatsReducer, 'now')));

        report.finish();
        refReport.finish();
        expect(close(report.figures())).toEqual(close(refReport.figures()));
        expect(report.figures().peakBytes).toBe(stats.figures().peakBytes);
        expect(close(report.timeline())).toEqual(close(refReport.timeline()));
        expect(report.timeline().widthUs).toBeGreaterThan(128); // the buckets were coarsened
        expect([...report.rowStacks()]).toEqual([...refReport.rowStacks()]);
        expect([...report.rowThreads()]).toEqual([...refReport.rowThreads()]);
        expect(close(report.totals())).toEqual(close(refReport.totals()));
        expect(close(report.temporary())).toEqual(close(refReport.temporary()));
        expect(close(sortedTemporal(report.temporal()))).toEqual(close(sortedTemporal(refReport.temporal())));
        expect([...report.sizeHistogram]).toEqual([...refReport.sizeHistogram]);
        expect(report.domainCount).toEqual(refReport.domainCount);
        expect(close(report.domainBytes)).toEqual(close(refReport.domainBytes));
        expect(report.marks).toEqual(refReport.marks);
      });
    }
  });
}

describe('native kernels against the TypeScript passes', () => {
  for (const seed of [6, 7]) {
    it(`give the same figures, bit for bit and in the same order (seed ${seed}, weighted sizes)`, () => {
      if (!nativePasses()) throw new Error('native kernels not built');
      const { batches, nodesBefore } = randomStream(seed, 30, 3000, true);
      const run = (native: boolean) => {
        const tables = new CaptureTables();
        const stats = new StatsReducer(tables, { native });
        const report = new ReportReducer(tables, { temporaryThreshold: 2, native });
        batches.forEach((b, i) => {
          addNodes(tables, nodesBefore[i]!);
          stats.add(b);
          report.add(b);
        });
        report.finish();
        const peak: number[][] = [];
        stats.forEachNodeAtPeak((n, bytes, blocks) => peak.push([n, bytes, blocks]));
        const t = report.temporal();
        return {
          stats: stats.figures(),
          peak,
          report: report.figures(),
          timeline: report.timeline(),
          temporary: report.temporary(),
          temporal: [[...t.row], [...t.ap], [...t.fp], [...t.bytes], [...t.count]],
        };
      };
      expect(run(true)).toEqual(run(false));
    });
  }
});

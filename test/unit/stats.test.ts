import { afterAll, describe, expect, it } from 'vitest';
import { KIND } from '../../src/capture/batch-decoder';
import { CaptureTables } from '../../src/capture/reader';
import { analyzeStats, computeStats } from '../../src/analysis/compute-stats';
import { LiveTable } from '../../src/analysis/live-table';
import { StatsReducer } from '../../src/analysis/stats';
import { BadCaptureError } from '../../src/errors';
import { CaptureBuilder, cleanupTemp, decodedBatch, TestRecord } from '../helpers/capture-builder';
import { rng } from '../helpers/random';

afterAll(cleanupTemp);

const BIG = 52428857;

/**
 * fixture.py:
 *   <module> (code 1) line 20 calls main (code 2) line 12, which calls build (code 3) at lines 7 and 9.
 * Nodes: 1 <module>:20, 2 main:12 (parent 1), 3 build:7 (parent 2), 4 build:9 (parent 2).
 */
function fixture(opts: { trailer?: boolean } = {}): CaptureBuilder {
  const b = new CaptureBuilder()
    .header({ argv: ['fixture.py', '--n', '3'], pythonVersion: '3.12.1' })
    .code(
      { id: 1, filename: 'fixture.py', qualname: '<module>', firstLine: 1, lineStarts: [0, 40], lines: [-1, 20] },
      { id: 2, filename: 'fixture.py', qualname: 'main', firstLine: 11, lineStarts: [0, 4], lines: [11, 12] },
      { id: 3, filename: 'fixture.py', qualname: 'build', firstLine: 5, lineStarts: [0, 10, 20], lines: [6, 7, 9] },
    )
    .nodes([
      { id: 1, parent: 0, code: 1, offset: 44 },
      { id: 2, parent: 1, code: 2, offset: 6 },
      { id: 3, parent: 2, code: 3, offset: 12 },
      { id: 4, parent: 2, code: 3, offset: 24 },
    ])
    .threads([{ id: 1, name: 'MainThread' }])
    .marks([{ id: 1, name: 'built' }])
    .batch([
      { kind: KIND.ARENA_ALLOC, address: 0x7f0000000000, size: 1 << 20, timeUs: 500 },
      { kind: KIND.ALLOC_OBJ, address: 0x1000, size: BIG, stack: 3, timeUs: 1000 },
      { kind: KIND.ALLOC_MEM, address: 0x2000, size: 1000, stack: 4, timeUs: 2000 },
      { kind: KIND.ALLOC_RAW, address: 0x3000, size: 4096, stack: 2, timeUs: 3000 },
      { kind: KIND.RESIZE_MEM, address: 0x2000, size: 2000, stack: 4, timeUs: 3500 }, // peak: BIG + 2000 + 4096
    ])
    .threads([{ id: 2, name: 'worker' }])
    .batch([
      { kind: KIND.FREE_MEM, address: 0x2000, timeUs: 4000 },
      { kind: KIND.ALLOC_OBJ, address: 0x4000, size: 100, stack: 3, thread: 2, timeUs: 4500 },
      { kind: KIND.MARK, address: 0, size: 1, stack: 2, timeUs: 4700 },
      { kind: KIND.FREE_OBJ, address: 0x1000, timeUs: 5000 },
      { kind: KIND.FREE_RAW, address: 0x9999000, timeUs: 5500 }, // unknown
      { kind: KIND.ARENA_FREE, address: 0x7f0000000000, timeUs: 6000 },
      { kind: KIND.ALLOC_OBJ, address: 0x5000, size: 10, stack: 0, timeUs: 6500 },
    ]);
  if (opts.trailer !== false) b.trailer({ records: 12, allocations: 5, frees: 3, durationUs: 7250, batches: 2 });
  return b;
}

describe('computeStats', () => {
  it('gives exact figures and the locations live at the peak', async () => {
    const warnings: string[] = [];
    const stats = await computeStats(fixture().writeTemp(), { onWarning: (w) => warnings.push(w) });
    expect(Object.keys(stats)).toEqual([
      'format_version', 'python_version', 'argv', 'sample_bytes', 'duration_ms', 'allocations', 'frees', 'total_allocated_bytes',
      'peak_bytes', 'peak_time_ms', 'end_bytes', 'threads', 'top_peak_locations',
    ]);
    expect(stats).toEqual({
      format_version: 1,
      python_version: '3.12.1',
      argv: ['fixture.py', '--n', '3'],
      sample_bytes: 0,
      duration_ms: 7.25,
      allocations: 5,
      frees: 3,
      total_allocated_bytes: BIG + 1000 + 4096 + 2000 + 100 + 10,
      peak_bytes: BIG + 2000 + 4096,
      peak_time_ms: 3.5,
      end_bytes: 4096 + 100 + 10,
      threads: [
        { id: 1, name: 'MainThread' },
        { id: 2, name: 'worker' },
      ],
      top_peak_locations: [
        { file: 'fixture.py', line: 7, function: 'build', bytes: BIG, allocations: 1 },
        { file: 'fixture.py', line: 12, function: 'main', bytes: 4096, allocations: 1 },
        { file: 'fixture.py', line: 9, function: 'build', bytes: 2000, allocations: 1 },
      ],
    });
    // Frees of untraced blocks are expected (CPython swaps allocators during path configuration): no warning.
    expect(warnings).toEqual([]);
  });

  it('snapshots the peak lazily: collapsed stacks at the peak and at the end', async () => {
    const a = await analyzeStats(fixture().writeTemp());
    expect(a.reducer.peakCollapsed()).toEqual([
      'fixture.py:<module>:20;fixture.py:main:12 4096',
      `fixture.py:<module>:20;fixture.py:main:12;fixture.py:build:7 ${BIG}`,
      'fixture.py:<module>:20;fixture.py:main:12;fixture.py:build:9 2000',
    ]);
    expect(a.reducer.endCollapsed()).toEqual([
      '<no Python frame> 10',
      'fixture.py:<module>:20;fixture.py:main:12 4096',
      'fixture.py:<module>:20;fixture.py:main:12;fixture.py:build:7 100',
    ]);
  });

  it('uses the last record time without a trailer, and warns', async () => {
    const a = await analyzeStats(fixture({ trailer: false }).writeTemp());
    expect(a.stats.duration_ms).toBe(6.5);
    expect(a.warnings.join('\n')).toMatch(/trailer missing/);
  });

  it('fails on a capture cut inside its header', async () => {
    const b = fixture();
    const bytes = b.bytes().subarray(0, 5);
    const path = new CaptureBuilder().raw(bytes).writeTemp();
    await expect(computeStats(path)).rejects.toThrow(BadCaptureError);
  });

  it('keeps the first time the peak was reached and tracks later higher peaks across batches', () => {
    const tables = new CaptureTables();
    tables.addStackNodes({ id: [1, 2], parent: [0, 0], code: [1, 1], offset: [0, 0] });
    const red = new StatsReducer(tables);
    const batch = (records: TestRecord[]) => red.add(decodedBatch(records));
    batch([
      { kind: KIND.ALLOC_RAW, address: 16, size: 100, stack: 1, timeUs: 1 },
      { kind: KIND.FREE_RAW, address: 16, timeUs: 2 },
      { kind: KIND.ALLOC_RAW, address: 32, size: 100, stack: 2, timeUs: 3 }, // equal, not a new peak
    ]);
    expect(red.figures().peakTimeUs).toBe(1);
    expect(red.peakLocations().map((l) => l.bytes)).toEqual([100]);
    batch([
      { kind: KIND.ALLOC_RAW, address: 48, size: 1, stack: 1, timeUs: 4 }, // new peak 101
      { kind: KIND.RESIZE_RAW, address: 32, size: 50, stack: 1, timeUs: 5 }, // moves 100@2 → 50@1
      { kind: KIND.ALLOC_RAW, address: 32, size: 7, stack: 2, timeUs: 6 }, // alloc over a live address
    ]);
    const f = red.figures();
    expect(f.peakBytes).toBe(101);
    expect(f.peakTimeUs).toBe(4);
    expect(f.liveBytes).toBe(8);
    const at: Record<number, [number, number]> = {};
    red.forEachNodeAtPeak((n, b, c) => (at[n] = [b, c]));
    expect(at).toEqual({ 1: [1, 1], 2: [100, 1] });
    const now: Record<number, [number, number]> = {};
    red.forEachNodeNow((n, b, c) => (now[n] = [b, c]));
    expect(now).toEqual({ 1: [1, 1], 2: [7, 1] });
  });

  it('snapshotAfterRecords: the snapshot is what was live after that many records, wherever the batches split', () => {
    // A random stream over 12 stack nodes; the snapshot after k records must equal the live state of
    // a reducer that saw those k only, for k at batch starts, ends and middles, frees included.
    const r = rng(7);
    const records: TestRecord[] = [];
    const live: number[] = [];
    for (let i = 0; i < 3000; i++) {
      if (live.length > 0 && r() < 0.45) {
        const a = live.splice(Math.floor(r() * live.length), 1)[0]!;
        records.push({ kind: KIND.FREE_OBJ, address: a, timeUs: i });
      } else {
        const a = 16 * (1 + i);
        live.push(a);
        records.push({ kind: KIND.ALLOC_OBJ, address: a, size: 1 + Math.floor(r() * 4000), stack: 1 + Math.floor(r() * 12), timeUs: i });
      }
    }
    const tables = new CaptureTables();
    tables.addStackNodes({ id: [...Array(12).keys()].map((i) => i + 1), parent: Array(12).fill(0), code: Array(12).fill(1), offset: Array(12).fill(0) });
    const feed = (red: StatsReducer, rs: TestRecord[], batchSize: number) => {
      for (let o = 0; o < rs.length; o += batchSize) red.add(decodedBatch(rs.slice(o, o + batchSize)));
    };
    const state = (each: (fn: (n: number, b: number, c: number) => void) => void) => {
      const out: Record<number, [number, number]> = {};
      each((n, b, c) => (out[n] = [b, c]));
      return out;
    };
    for (const k of [0, 1, 499, 500, 501, 1234, 2999, 3000]) {
      const upTo = new StatsReducer(tables);
      feed(upTo, records.slice(0, k), 500);
      const expected = state((fn) => upTo.forEachNodeNow(fn));
      for (const batchSize of [500, 97, 3000]) {
        const at = new StatsReducer(tables, { snapshotAfterRecords: k });
        feed(at, records, batchSize);
        expect(state((fn) => at.forEachNodeAtPeak(fn)), `record ${k}, batches of ${batchSize}`).toEqual(expected);
        expect(at.figures().records).toBe(records.length);
      }
    }
    // And it differs from the high-water mark's snapshot for a record past the peak (the test bites).
    const hw = new StatsReducer(tables);
    feed(hw, records, 500);
    const atEnd = new StatsReducer(tables, { snapshotAfterRecords: 3000 });
    feed(atEnd, records, 500);
    expect(state((fn) => atEnd.forEachNodeAtPeak(fn))).not.toEqual(state((fn) => hw.forEachNodeAtPeak(fn)));
  });
});

describe('LiveTable', () => {
  it('matches a Map under random inserts, replaces and deletes (with growth)', () => {
    const r = rng(11);
    const t = new LiveTable(16);
    const m = new Map<number, [number, number]>();
    const addrs: number[] = [];
    for (let i = 0; i < 200000; i++) {
      const op = r();
      if (op < 0.55 || addrs.length === 0) {
        const a = r() < 0.5 ? 0x7f0000000000 + Math.floor(r() * 50000) * 16 : 0x550000000000 + Math.floor(r() * 2 ** 32) * 16;
        const s = Math.floor(r() * 1000);
        const had = t.set(a, s, i);
        expect(had).toBe(m.has(a));
        if (had) expect(t.foundSize).toBe(m.get(a)![0]);
        m.set(a, [s, i]);
        addrs.push(a);
      } else {
        const a = addrs[Math.floor(r() * addrs.length)]!;
        const had = t.delete(a);
        expect(had).toBe(m.has(a));
        if (had) {
          expect([t.foundSize, t.foundStack]).toEqual(m.get(a));
          m.delete(a);
        }
      }
      expect(t.size).toBe(m.size);
    }
    for (const [a, [s, st]] of m) {
      expect(t.get(a)).toBe(true);
      expect([t.foundSize, t.foundStack]).toEqual([s, st]);
    }
    let n = 0;
    t.forEach(() => n++);
    expect(n).toBe(m.size);
  });

  it('handles millions of live blocks', () => {
    const t = new LiveTable();
    const N = 2_000_000;
    for (let i = 1; i <= N; i++) t.set(0x7f0000000000 + i * 16, i, i);
    expect(t.size).toBe(N);
    let deleted = 0;
    for (let i = 1; i <= N; i += 2) if (t.delete(0x7f0000000000 + i * 16)) deleted++;
    expect(deleted).toBe(N / 2);
    expect(t.size).toBe(N / 2);
    expect(t.get(0x7f0000000000 + 4 * 16)).toBe(true);
    expect(t.foundSize).toBe(4);
    expect(t.get(0x7f0000000000 + 3 * 16)).toBe(false);
  });
});

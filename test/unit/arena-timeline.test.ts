/**
 * pymalloc over time for the HTML report: the timeline equals the model queried at each bucket's
 * end, survives the page's delta encoding, and the page's window summary reads it right.
 */
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { arenaTimeline, ArenaTimelineBuilder, buildArenaTimeline, startArenaTimeline } from '../../src/analysis/arena-timeline';
import { nativePasses } from '../../src/analysis/native-passes';
import type { CaptureHeader } from '../../src/capture/reader';
import type { DecodedBatch } from '../../src/capture/batch-decoder';
import { analyzeReport, collapsedView } from '../../src/analysis/report-analysis';
import { queryArenas, parseMoment } from '../../src/analysis/arena-query';
import { arenaFlameData } from '../../src/report/flame-data';
import { arenaWindow, decodeArenas } from '../../src/report/page-model';
import { pageScript } from '../../src/report/html';
import { KIND } from '../../src/capture/batch-decoder';
import { CaptureBuilder, cleanupTemp, tempDir, TestRecord } from '../helpers/capture-builder';
import { rng } from '../helpers/random';
import { PymallocSim, randomWorkload } from './arena-sim';

afterAll(() => cleanupTemp());

/** A capture of a simulated pymalloc workload, one record per microsecond (several per µs now and then). */
function simCapture(seed: number, usPerRecord = 1): { file: string; records: number; lastUs: number } {
  const rand = rng(seed);
  const sim = new PymallocSim({ arenaSize: 1 << 20, poolSize: 1 << 14, unaligned: 0.5, rand });
  randomWorkload(sim, rand, 40_000);
  let t = 0;
  const recs: TestRecord[] = sim.records.map((r) => ({ ...r, timeUs: rand() < 0.3 ? t : (t += 1 + Math.floor(rand() * 2 * usPerRecord)) }));
  const b = new CaptureBuilder().header();
  for (let i = 0; i < recs.length; i += 5000) b.batch(recs.slice(i, i + 5000));
  return { file: b.trailer().writeTemp(), records: recs.length, lastUs: t };
}

describe('arenaTimeline', () => {
  test('each bucket ends with the state queryArenas gives at that time; the maximum is the most arenas within it', async () => {
    const { file, lastUs } = simCapture(11);
    const width = 1000;
    const nb = Math.ceil((lastUs + 1) / width);
    const t = (await arenaTimeline(file, width, nb))!;
    expect(t.anomalies).toBe(0);
    expect(t.arenasEnd).toHaveLength(nb);
    const ks = [0, 3, Math.floor(nb / 3), Math.floor(nb / 2), nb - 2, nb - 1];
    const r = await queryArenas(file, ks.map((k) => parseMoment(`${((k + 1) * width - 1) / 1000}ms`)));
    ks.forEach((k, i) => {
      const s = r.states[i]!.snapshot;
      expect(t.arenasEnd[k], `bucket ${k}`).toBe(s.arenasAllocatedCurrent);
      expect(t.poolsEnd[k]).toBe(s.classes.reduce((n, c) => n + c.pools, 0));
      t.classes.forEach((c, j) => {
        expect(t.pools[j]![k], `bucket ${k} class ${c}`).toBe(s.classes[c]!.pools);
        expect(t.blocks[j]![k]).toBe(s.classes[c]!.blocksInUse);
      });
      expect(t.arenasMax[k]).toBeGreaterThanOrEqual(t.arenasEnd[k]!);
      if (k > 0) expect(t.arenasMax[k]).toBeGreaterThanOrEqual(t.arenasEnd[k - 1]!);
    });
    expect(Math.max(...t.arenasMax)).toBe(r.states[r.states.length - 1]!.snapshot.arenasHighwater);
    expect(t.classes.length).toBeGreaterThan(20);
  });

  test('records past the last bucket count in it; a capture without pymalloc has no timeline', async () => {
    const A = 0x7f0000000000;
    const recs: TestRecord[] = [
      { kind: KIND.ARENA_ALLOC, address: A, size: 1 << 20, timeUs: 5 },
      { kind: KIND.ALLOC_OBJ, address: A + 48, size: 16, stack: 0, timeUs: 6 },
      { kind: KIND.ARENA_ALLOC, address: A + (2 << 20), size: 1 << 20, timeUs: 25 },
      { kind: KIND.ARENA_FREE, address: A + (2 << 20), timeUs: 26 },
      { kind: KIND.ALLOC_OBJ, address: A + 48 + 16, size: 16, stack: 0, timeUs: 500 },
    ];
    const file = new CaptureBuilder().header().batch(recs).trailer().writeTemp();
    const t = (await arenaTimeline(file, 10, 3))!;
    expect(t.arenasMax).toEqual([1, 1, 2]);
    expect(t.arenasEnd).toEqual([1, 1, 1]);
    expect(t.classes).toEqual([0]);
    expect(t.blocks).toEqual([[1, 1, 2]]);
    const none = new CaptureBuilder().header({ geometry: { arenaSize: 0, poolSize: 0, alignment: 0, smallRequestThreshold: 0 } }).trailer().writeTemp();
    expect(await arenaTimeline(none, 10, 3)).toBeNull();
  });
});

describe('the native arena timeline', () => {
  /** Simulated records, then damaged: records dropped, repeated and moved, times jumping far ahead. */
  function damagedBatches(seed: number): DecodedBatch[] {
    const rand = rng(seed);
    const sim = new PymallocSim({ arenaSize: 1 << 20, poolSize: 1 << 14, unaligned: 0.5, rand });
    randomWorkload(sim, rand, 20_000);
    const recs = sim.records.filter(() => rand() > 0.01);
    for (let i = 0; i < 300; i++) recs.splice(Math.floor(rand() * recs.length), 0, { ...recs[Math.floor(rand() * recs.length)]! });
    for (let i = 0; i < 200; i++) {
      const r = recs[Math.floor(rand() * recs.length)]!;
      r.address += 16 * Math.floor(rand() * 5 - 2) + (rand() < 0.1 ? 8 : 0);
      if (rand() < 0.3) r.size = Math.floor(rand() * 700);
    }
    const batches: DecodedBatch[] = [];
    let t = 0;
    for (let i = 0; i < recs.length; i += 4000) {
      const part = recs.slice(i, i + 4000);
      const n = part.length;
      const b: DecodedBatch = {
        count: n,
        kind: Uint8Array.from(part, (r) => r.kind),
        address: Float64Array.from(part, (r) => r.address),
        size: Float64Array.from(part, (r) => r.size),
        stack: new Uint32Array(n),
        thread: new Uint32Array(n).fill(1),
        timeUs: Float64Array.from(part, () => (t += rand() < 0.0005 ? 3e6 : Math.floor(rand() * 20))),
        baseTimeUs: 0,
      };
      batches.push(b);
    }
    return batches;
  }
  const header = { geometry: { arenaSize: 1 << 20, poolSize: 1 << 14, alignment: 16, smallRequestThreshold: 512 }, pythonHexversion: 0x030c01f0 } as CaptureHeader;

  test('gives the TypeScript model figures on damaged records, anomalies included, with report buckets and fixed ones', () => {
    expect(nativePasses()).not.toBeNull(); // built by `npm run build`
    for (const seed of [1, 2, 3]) {
      const batches = damagedBatches(seed);
      for (const fixed of [undefined, { widthUs: 5000, buckets: 300 }]) {
        const run = (native: boolean) => {
          const b = new ArenaTimelineBuilder(header, fixed, native);
          for (const x of batches) b.batch(x);
          return b.ownResult();
        };
        const ts = run(false);
        expect(ts.anomalies).toBeGreaterThan(50);
        if (!fixed) expect(ts.widthUs).toBeGreaterThan(128); // coarsened
        expect(run(true)).toEqual(ts);
      }
    }
  });
});

describe('the arena timeline alongside the report pass', () => {
  // Times up to about a second: the report's buckets coarsen three times from their first width.
  const { file } = simCapture(5, 30);

  test('a builder without buckets ends on the report\'s buckets, with the same figures as a second pass', async () => {
    const a = await analyzeReport(file);
    const { widthUs } = a.timeline;
    const n = a.timeline.peak.length;
    expect(widthUs).toBeGreaterThanOrEqual(128 * 8);
    const fixed = (await arenaTimeline(file, widthUs, n))!;
    const own = (await buildArenaTimeline(file))!.result(widthUs, n);
    expect(own).toEqual(fixed);
    expect(fixed.arenasEnd.length).toBe(n);
    // Other buckets: not this builder's (the caller reads again).
    expect((await buildArenaTimeline(file))!.result(widthUs * 2, n)).toBeNull();
  });

  test('on a worker thread: fit gives the second pass\'s timeline, also for buckets it did not make', async () => {
    const script = join(tempDir(), 'arena-timeline-worker.js');
    buildSync({ entryPoints: [join(__dirname, '../../src/analysis/arena-timeline-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'silent' });
    const a = await analyzeReport(file);
    const { widthUs } = a.timeline;
    const n = a.timeline.peak.length;
    const fixed = await arenaTimeline(file, widthUs, n);
    const pass = startArenaTimeline(file, { script, minBytes: 0 })!;
    expect(await pass.fit(widthUs, n)).toEqual(fixed);
    expect(await pass.answer).toEqual({ timeline: fixed }); // the worker's own, not a second read
    expect(await startArenaTimeline(file, { script, minBytes: 0 })!.fit(widthUs / 2, 3)).toEqual(await arenaTimeline(file, widthUs / 2, 3));
    const none = new CaptureBuilder().header({ geometry: { arenaSize: 0, poolSize: 0, alignment: 0, smallRequestThreshold: 0 } }).trailer().writeTemp();
    expect(startArenaTimeline(none, { script })).toBeNull(); // small capture: no worker
    expect(await startArenaTimeline(none, { script, minBytes: 0 })!.fit(widthUs, n)).toBeNull();
  });

  test('in the report pass itself (report stage), here and on the reader\'s worker: the second pass\'s timeline', async () => {
    const dir = tempDir();
    const workerFile = join(dir, 'read-worker.js');
    const reportStageModule = join(dir, 'report-stage.js');
    for (const [src, outfile] of [
      ['../../src/capture/read-worker.ts', workerFile],
      ['../../src/analysis/report-stage.ts', reportStageModule],
    ] as const) {
      buildSync({ entryPoints: [join(__dirname, src)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'silent' });
    }
    const plain = await analyzeReport(file);
    expect(plain.arenas).toBeUndefined();
    const here = await analyzeReport(file, { arenas: true, worker: false });
    const onWorker = await analyzeReport(file, { arenas: true, worker: true, workerFile, reportStageModule });
    const { widthUs } = plain.timeline;
    const n = plain.timeline.peak.length;
    const fixed = (await arenaTimeline(file, widthUs, n))!;
    for (const a of [here, onWorker]) {
      expect(a.arenas).toEqual({ timeline: fixed });
      // The report's own figures are those of the pass without the timeline.
      expect(a.timeline).toEqual(plain.timeline);
      expect(a.totals).toEqual(plain.totals);
      expect(collapsedView(a, 'peak')).toEqual(collapsedView(plain, 'peak'));
    }
    // No pymalloc: no timeline, and the report is unchanged.
    const none = new CaptureBuilder().header({ geometry: { arenaSize: 0, poolSize: 0, alignment: 0, smallRequestThreshold: 0 } }).trailer().writeTemp();
    expect((await analyzeReport(none, { arenas: true, worker: false })).arenas).toEqual({ none: true });
  });
});

describe('the page: decodeArenas and arenaWindow', () => {
  const series = {
    widthUs: 1000,
    arenaSize: 1 << 20,
    poolSize: 1 << 14,
    arenasMax: [1, 3, 2, 2],
    arenasEnd: [1, 2, 2, 1],
    poolsEnd: [3, 70, 60, 5],
    classes: [0, 5],
    pools: [
      [1, 10, 10, 1],
      [2, 60, 50, 4],
    ],
    blocks: [
      [5, 9000, 9001, 7],
      [100, 8000, 7000, 300],
    ],
    anomalies: 0,
  };
  test('the delta encoding round-trips', () => {
    const d = arenaFlameData(series)!;
    expect(d.end).toEqual([1, 1, 0, -1]);
    const s = decodeArenas({ arenas: JSON.parse(JSON.stringify(d)) })!;
    expect(Array.from(s.max)).toEqual(series.arenasMax);
    expect(Array.from(s.end)).toEqual(series.arenasEnd);
    expect(Array.from(s.poolsEnd)).toEqual(series.poolsEnd);
    expect(s.pools.map((p) => Array.from(p))).toEqual(series.pools);
    expect(s.blocks.map((p) => Array.from(p))).toEqual(series.blocks);
    expect(decodeArenas({})).toBeNull();
    expect(decodeArenas({ arenas: null })).toBeNull();
  });
  test('a window: the state before it, at its end, and its most arenas', () => {
    const s = decodeArenas({ arenas: arenaFlameData(series) })!;
    expect(arenaWindow(s, 0, 3)).toEqual({
      arenasBefore: 0,
      arenasAfter: 1,
      arenasMax: 3,
      arenasMaxBucket: 1,
      poolsBefore: 0,
      poolsAfter: 5,
      classes: [
        { index: 0, size: 16, poolsBefore: 0, poolsAfter: 1, blocksBefore: 0, blocksAfter: 7 },
        { index: 5, size: 96, poolsBefore: 0, poolsAfter: 4, blocksBefore: 0, blocksAfter: 300 },
      ],
    });
    const w = arenaWindow(s, 2, 2);
    expect([w.arenasBefore, w.arenasAfter, w.arenasMax, w.arenasMaxBucket, w.poolsBefore, w.poolsAfter]).toEqual([2, 2, 2, 2, 70, 60]);
    expect(w.classes[1]).toEqual({ index: 5, size: 96, poolsBefore: 60, poolsAfter: 50, blocksBefore: 8000, blocksAfter: 7000 });
  });
  test('the page script carries the arena functions', () => {
    expect(pageScript()).toContain('function decodeArenas(');
    expect(pageScript()).toContain('function arenaWindow(');
  });
});

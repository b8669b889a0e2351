/**
 * The throughput machinery of reading: BatchDecoder's reuse and append modes, its fallback to the
 * checked decoder's messages, the reducers' hash tables, and readCapture on a worker thread (the
 * worker script bundled from the sources with esbuild, as the tests run TypeScript directly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { pymemprof } from '../../src/capture/generated/capture';
import {
  BatchDecoder,
  checkedDecodeRecordBatch,
  DecodedBatch,
  decodeRecordBatch,
  KIND,
  newBatchArrays,
} from '../../src/capture/batch-decoder';
import { referenceDecodeRecordBatch } from '../../src/capture/reference-decoder';
import { CaptureTables, readCapture, ReadOptions, withTables } from '../../src/capture/reader';
import { BlockTable } from '../../src/analysis/block-table';
import { PairIndex } from '../../src/analysis/pair-index';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { analyzeReport, collapsedView } from '../../src/analysis/report-analysis';
import { BadCaptureError } from '../../src/errors';
import { prestartReadWorker, takeStartedReadWorker, WORKER_MIN_BYTES } from '../../src/capture/read-worker-start';
import { CaptureBuilder, cleanupTemp, recordBatchMessage, tempDir, TestRecord, writeTempBytes } from '../helpers/capture-builder';
import { rng } from '../helpers/random';

import cap = pymemprof.capture;

afterAll(cleanupTemp);

function randomRecords(r: () => number, n: number, t0 = 0): TestRecord[] {
  const out: TestRecord[] = [];
  let t = t0;
  for (let i = 0; i < n; i++) {
    const kind = 1 + Math.floor(r() * 12);
    t += r() < 0.02 ? Math.floor(r() * 100000) : Math.floor(r() * 3); // a few multi-byte deltas
    out.push({
      kind,
      address: r() < 0.1 ? Math.floor(r() * 2 ** 47) : 0x7f0000000000 + Math.floor(r() * 2 ** 20) * 16,
      size: r() < 0.05 ? Math.floor(r() * 2 ** 45) : Math.floor(r() * 4096),
      stack: r() < 0.05 ? 0xffffffff : Math.floor(r() * 100000),
      thread: r() < 0.02 ? 200 + Math.floor(r() * 1000) : 1 + Math.floor(r() * 3), // a few multi-byte ids
      timeUs: t,
    });
  }
  return out;
}

function encode(records: TestRecord[], base = 0): Uint8Array {
  return cap.RecordBatch.encode(recordBatchMessage(records, base)).finish();
}

function plain(b: DecodedBatch) {
  return {
    count: b.count,
    kind: [...b.kind],
    address: [...b.address],
    size: [...b.size],
    stack: [...b.stack],
    thread: [...b.thread],
    timeUs: [...b.timeUs],
  };
}

function errorOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(BadCaptureError);
    return (e as Error).message;
  }
}

describe('BatchDecoder', () => {
  it('reuses its arrays: each batch decodes as decodeRecordBatch and protobufjs do', () => {
    const r = rng(21);
    const dec = new BatchDecoder('reuse');
    for (const n of [5000, 10, 0, 3000, 7000]) {
      const bytes = encode(randomRecords(r, n, 1000), 1000);
      const b = dec.decode(bytes);
      expect(plain(b)).toEqual(plain(referenceDecodeRecordBatch(bytes)));
      expect(plain(b)).toEqual(plain(decodeRecordBatch(bytes)));
    }
  });

  it('appends batches until detached, growing (and keeping) when a batch does not fit', () => {
    const r = rng(22);
    const recs = [randomRecords(r, 300), randomRecords(r, 500), randomRecords(r, 2000)];
    const dec = new BatchDecoder('append');
    dec.detach(newBatchArrays(1000));
    for (const rs of recs.slice(0, 2)) dec.decode(encode(rs));
    expect(dec.appended).toBe(800);
    dec.decode(encode(recs[2]!)); // 2800 > 1000: grows
    const { arrays, count } = dec.detach(newBatchArrays(16));
    expect(count).toBe(2800);
    const all = recs.map((rs) => plain(referenceDecodeRecordBatch(encode(rs))));
    expect([...arrays.address.subarray(0, count)]).toEqual(all.flatMap((b) => b.address));
    expect([...arrays.kind.subarray(0, count)]).toEqual(all.flatMap((b) => b.kind));
    expect([...arrays.size.subarray(0, count)]).toEqual(all.flatMap((b) => b.size));
    expect([...arrays.stack.subarray(0, count)]).toEqual(all.flatMap((b) => b.stack));
    expect([...arrays.thread.subarray(0, count)]).toEqual(all.flatMap((b) => b.thread));
    expect([...arrays.timeUs.subarray(0, count)]).toEqual(all.flatMap((b) => b.timeUs));
    expect(dec.appended).toBe(0);
    const next = dec.decode(encode(recs[0]!));
    expect(plain(next)).toEqual(all[0]);
  });

  it('accepts kinds written as longer varints than needed', () => {
    const records: TestRecord[] = [
      { kind: KIND.ALLOC_RAW, address: 16, size: 8, stack: 1, timeUs: 1 },
      { kind: KIND.FREE_RAW, address: 16, timeUs: 2 },
    ];
    const m = recordBatchMessage(records);
    const w = protobufWriter();
    w.uint32((1 << 3) | 2).bytes(new Uint8Array([0x81, 0x00, 0x84, 0x80, 0x00])); // 1 and 4, padded
    const rest = cap.RecordBatch.encode({ ...m, kind: [] }).finish();
    const bytes = concat(w.finish(), rest);
    expect(plain(decodeRecordBatch(bytes))).toEqual(plain(referenceDecodeRecordBatch(bytes)));
  });

  it('throws the checked decoder’s message on corrupt input, or decodes what it decodes', () => {
    const r = rng(23);
    const base = encode(randomRecords(r, 300));
    for (let iter = 0; iter < 3000; iter++) {
      const bytes = Uint8Array.from(base);
      const mutations = 1 + Math.floor(r() * 3);
      for (let m = 0; m < mutations; m++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      const cut = r() < 0.3 ? Math.floor(r() * bytes.length) : bytes.length;
      const fast = errorOf(() => decodeRecordBatch(bytes, 0, cut, 'x.bin'));
      const checked = errorOf(() => checkedDecodeRecordBatch(bytes, 0, cut, 'x.bin'));
      expect(fast).toBe(checked);
      if (fast === null) expect(plain(decodeRecordBatch(bytes, 0, cut))).toEqual(plain(checkedDecodeRecordBatch(bytes, 0, cut)));
    }
  });
});

function protobufWriter() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('protobufjs/minimal') as typeof import('protobufjs/minimal')).Writer.create();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('PairIndex and BlockTable', () => {
  it('PairIndex matches a Map, across growth and clear()', () => {
    const r = rng(31);
    const p = new PairIndex(4);
    let m = new Map<string, number>();
    for (let i = 0; i < 100000; i++) {
      const a = Math.floor(r() * 300) * (r() < 0.1 ? 65536 : 1);
      const b = r() < 0.5 ? Math.floor(r() * 40) : 0xffffffff - Math.floor(r() * 3);
      if (r() < 0.5) {
        p.set(a, b, i);
        m.set(`${a},${b}`, i);
      } else {
        expect(p.get(a, b)).toBe(m.get(`${a},${b}`) ?? -1);
      }
      if (r() < 0.0005) {
        p.clear();
        m = new Map();
      }
      expect(p.size).toBe(m.size);
    }
  });

  it('BlockTable matches a Map under inserts, replaces and deletes (with growth)', () => {
    const r = rng(32);
    const t = new BlockTable(16);
    const m = new Map<number, number[]>();
    const addrs: number[] = [];
    for (let i = 0; i < 100000; i++) {
      if (r() < 0.55 || addrs.length === 0) {
        const a = r() < 0.5 ? 0x7f0000000000 + Math.floor(r() * 50000) * 16 : 0x550000000000 + Math.floor(r() * 2 ** 32) * 16;
        const e = [Math.floor(r() * 1000), Math.floor(r() * 100), i, i * 3];
        const had = t.set(a, e[0]!, e[1]!, e[2]!, e[3]!);
        expect(had).toBe(m.has(a));
        if (had) expect([t.foundSize, t.foundRow, t.foundIdx, t.foundTime]).toEqual(m.get(a));
        m.set(a, e);
        addrs.push(a);
      } else {
        const a = addrs[Math.floor(r() * addrs.length)]!;
        const had = t.delete(a);
        expect(had).toBe(m.has(a));
        if (had) {
          expect([t.foundSize, t.foundRow, t.foundIdx, t.foundTime]).toEqual(m.get(a));
          m.delete(a);
        }
      }
      expect(t.size).toBe(m.size);
    }
    let n = 0;
    t.forEach((a, size, row, idx, time) => {
      expect([size, row, idx, time]).toEqual(m.get(a));
      n++;
    });
    expect(n).toBe(m.size);
  });
});

describe('readCapture on a worker thread', () => {
  let workerFile = '';
  let rowStageModule = '';
  beforeAll(() => {
    const dir = tempDir();
    workerFile = join(dir, 'read-worker.js');
    rowStageModule = join(dir, 'row-stage.js');
    for (const [src, outfile] of [
      ['../../src/capture/read-worker.ts', workerFile],
      ['../../src/analysis/row-stage.ts', rowStageModule],
    ] as const) {
      buildSync({ entryPoints: [join(__dirname, src)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'silent' });
    }
  });

  /** A capture of `batches` batches with tables between some of them. */
  function capture(seed: number, batches: number, perBatch: number): CaptureBuilder {
    const r = rng(seed);
    const b = new CaptureBuilder()
      .header()
      .code({ id: 1, filename: 'w.py', qualname: 'main', firstLine: 1, lineStarts: [0], lines: [1] })
      .nodes(Array.from({ length: 50 }, (_, i) => ({ id: i + 1, parent: i > 5 ? 1 + (i % 5) : 0, code: 1, offset: 0 })))
      .threads([{ id: 1, name: 'MainThread' }]);
    let t = 0;
    for (let i = 0; i < batches; i++) {
      const recs = randomRecords(r, perBatch, t).map((x) => ({ ...x, stack: x.stack! % 60, thread: 1 + (x.thread! % 2) }));
      t = recs[recs.length - 1]?.timeUs ?? t;
      b.batch(recs);
      if (i % 7 === 3) b.nodes([{ id: 51 + i, parent: 1, code: 1, offset: 0 }]);
    }
    return b.trailer({ records: batches * perBatch, batches });
  }

  async function readBoth(path: string, extra: ReadOptions = {}) {
    const collect = async (worker: boolean) => {
      const tables = new CaptureTables();
      const recs: number[][] = [];
      const maxNodeAtBatch: number[] = [];
      let error: unknown = null;
      let result = null;
      try {
        result = await readCapture(
          path,
          withTables(tables, {
            batch: (b) => {
              for (let i = 0; i < b.count; i++) {
                recs.push([b.kind[i]!, b.address[i]!, b.size[i]!, b.stack[i]!, b.thread[i]!, b.timeUs[i]!]);
                maxNodeAtBatch.push(tables.maxNodeId);
              }
            },
          }),
          { ...extra, reuseBatches: true, worker, workerFile },
        );
      } catch (e) {
        error = e;
      }
      return { result, recs, maxNodeAtBatch, error, tables: { maxNode: tables.maxNodeId, threads: [...tables.threads.values()] } };
    };
    return { here: await collect(false), there: await collect(true) };
  }

  it('delivers the same records, tables and result as reading here', async () => {
    const path = capture(41, 40, 2000).writeTemp();
    const { here, there } = await readBoth(path);
    expect(here.error).toBeNull();
    expect(there.error).toBeNull();
    expect(there.recs.length).toBe(80000);
    expect(there.recs).toEqual(here.recs);
    expect(there.maxNodeAtBatch).toEqual(here.maxNodeAtBatch); // tables arrive before later batches
    expect(there.tables).toEqual(here.tables);
    expect(there.result).toEqual(here.result);
  });

  it('handles batches larger than the writer makes (the worker outgrows a slot)', async () => {
    const r = rng(45);
    const b = new CaptureBuilder().header().nodes([{ id: 1, parent: 0, code: 1, offset: 0 }]);
    let t = 0;
    for (const n of [60000, 100000, 10]) {
      const recs = randomRecords(r, n, t);
      t = recs[n - 1]!.timeUs;
      b.batch(recs);
    }
    const { here, there } = await readBoth(b.trailer().writeTemp());
    expect(there.error).toBeNull();
    expect(here.error).toBeNull();
    expect(there.recs.length).toBe(160010);
    expect(there.recs).toEqual(here.recs);
    expect(there.result).toEqual(here.result);
  });

  it('reports truncation, corruption and non-captures the same way', async () => {
    const bytes = capture(42, 10, 500).bytes();
    const cuts = [bytes.length - 3, Math.floor(bytes.length / 2), 20];
    for (const cut of cuts) {
      const { here, there } = await readBoth(writeTempBytes(bytes.subarray(0, cut), `cut-${cut}.bin`));
      expect(there.result).toEqual(here.result);
      expect(there.recs).toEqual(here.recs);
    }
    const corrupt = Uint8Array.from(bytes);
    for (let i = bytes.length - 2000; i < bytes.length - 1500; i++) corrupt[i] = 0xff;
    const c = await readBoth(writeTempBytes(corrupt, 'corrupt.bin'));
    expect(c.here.error).toBeInstanceOf(BadCaptureError);
    expect(c.there.error).toBeInstanceOf(BadCaptureError);
    expect((c.there.error as BadCaptureError).message).toBe((c.here.error as BadCaptureError).message);
    expect((c.there.error as BadCaptureError).code).toBe('BAD_CAPTURE');
    const notCapture = await readBoth(writeTempBytes(new TextEncoder().encode('hello, world\n'.repeat(10)), 'text.bin'));
    expect((notCapture.there.error as Error).message).toBe((notCapture.here.error as Error).message);
    const missing = await readBoth(join(tempDir(), 'missing.bin'));
    expect((missing.there.error as Error).message).toBe((missing.here.error as Error).message);
  });

  it('stops with the error a visitor throws', async () => {
    const path = capture(43, 20, 1000).writeTemp();
    const stop = new Error('stop here');
    let seen = 0;
    await expect(
      readCapture(
        path,
        {
          batch: (b) => {
            seen += b.count;
            if (seen > 5000) throw stop;
          },
        },
        { reuseBatches: true, worker: true, workerFile },
      ),
    ).rejects.toBe(stop);
  });

  it('takes a worker started ahead of its job (report commands start it first thing) and gives the same figures', async () => {
    const path = capture(45, 220, 3000).writeTemp();
    expect(statSync(path).size).toBeGreaterThanOrEqual(WORKER_MIN_BYTES);
    const small = capture(46, 1, 10).writeTemp();
    prestartReadWorker(small, workerFile); // below WORKER_MIN_BYTES: nothing started
    expect(takeStartedReadWorker(workerFile)).toBeNull();
    const here = await analyzeReport(path, { worker: false });
    prestartReadWorker(path, workerFile);
    const ahead = await analyzeReport(path, { worker: true, workerFile, rowStageModule });
    expect(takeStartedReadWorker(workerFile)).toBeNull(); // it was taken by the read above
    expect(ahead.figures).toEqual(here.figures);
    expect(ahead.totals).toEqual(here.totals);
    for (const view of ['peak', 'leaks', 'total', 'temporary'] as const) expect(collapsedView(ahead, view)).toEqual(collapsedView(here, view));
  });

  it('gives the same stats and report figures', async () => {
    const path = capture(44, 30, 3000).writeTemp();
    const opts = { worker: true, workerFile, rowStageModule };
    const [s1, s2] = [await analyzeStats(path, { worker: false }), await analyzeStats(path, opts)];
    expect(s2.stats).toEqual(s1.stats);
    expect(s2.reducer.figures()).toEqual(s1.reducer.figures());
    const [r1, r2] = [await analyzeReport(path, { worker: false }), await analyzeReport(path, opts)];
    expect(r2.figures).toEqual(r1.figures);
    expect(r2.timeline).toEqual(r1.timeline);
    // The row stage ran on the worker for r2, here for r1.
    expect(r2.reducer.rows).toBe(r1.reducer.rows);
    expect([...r2.reducer.sizeHistogram]).toEqual([...r1.reducer.sizeHistogram]);
    expect(r2.reducer.domainBytes).toEqual(r1.reducer.domainBytes);
    expect(r2.totals).toEqual(r1.totals);
    expect(r2.temporary).toEqual(r1.temporary);
    for (const view of ['peak', 'leaks', 'total', 'temporary'] as const) expect(collapsedView(r2, view)).toEqual(collapsedView(r1, view));
  });
});

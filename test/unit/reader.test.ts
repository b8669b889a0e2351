import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureTables, readCapture, resolveLineIn, withTables } from '../../src/capture/reader';
import { DecodedBatch, KIND } from '../../src/capture/batch-decoder';
import { referenceDecodeBatchFrame } from '../../src/capture/reference-decoder';
import { BadCaptureError } from '../../src/errors';
import { CaptureBuilder, cleanupTemp, tempDir, TestRecord, writeTempBytes } from '../helpers/capture-builder';
import { rng } from '../helpers/random';
import { pymemprof } from '../../src/capture/generated/capture';

import cap = pymemprof.capture;

afterAll(cleanupTemp);

function smallCapture(): CaptureBuilder {
  return new CaptureBuilder()
    .header()
    .code({ id: 1, filename: 'fixture.py', qualname: 'main', firstLine: 3, lineStarts: [0, 8], lines: [3, 4] })
    .nodes([{ id: 1, parent: 0, code: 1, offset: 10 }])
    .threads([{ id: 1, name: 'MainThread' }])
    .batch([
      { kind: KIND.ALLOC_OBJ, address: 0x1000, size: 100, stack: 1, timeUs: 10 },
      { kind: KIND.ALLOC_OBJ, address: 0x2000, size: 50, stack: 1, timeUs: 11 },
    ])
    .marks([{ id: 1, name: 'phase' }])
    .batch([
      { kind: KIND.FREE_OBJ, address: 0x1000, timeUs: 20 },
      { kind: KIND.MARK, address: 0, size: 1, stack: 1, timeUs: 21 },
    ])
    .trailer({ records: 4, allocations: 2, frees: 1, durationUs: 30, batches: 2 });
}

/** Indices of frames that are batches, for a builder whose batch frames we know. */
function batchFrameIndices(b: CaptureBuilder): number[] {
  // frame body tag after the length prefix: 0x2a = field 5, wire type 2
  return b.frames.map((f, i) => [f, i] as const).filter(([f]) => {
    let p = 0;
    while (f[p]! & 0x80) p++;
    return f[p + 1] === 0x2a;
  }).map(([, i]) => i);
}

async function readAll(path: string, chunkSize?: number) {
  const batches: DecodedBatch[] = [];
  const tables = new CaptureTables();
  const res = await readCapture(path, withTables(tables, { batch: (b) => batches.push(b) }), { chunkSize });
  return { res, batches, tables };
}

async function expectBadCapture(path: string, code: string, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    await readCapture(path);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BadCaptureError);
  expect((err as BadCaptureError).code).toBe(code);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).not.toMatch(/\n/);
}

describe('readCapture', () => {
  it('reads a complete capture: header, tables, batches, trailer, no warnings', async () => {
    const path = smallCapture().writeTemp();
    const { res, batches, tables } = await readAll(path);
    expect(res.warnings).toEqual([]);
    expect(res.truncated).toBe(false);
    expect(res.header?.magic).toBe('pymemprof');
    expect(res.header?.argv).toEqual(['fixture.py']);
    expect(res.header?.startTimeUnixUs).toBe(1_700_000_000_000_000);
    expect(res.header?.geometry.arenaSize).toBe(1 << 20);
    expect(res.trailer).toEqual({ records: 4, allocations: 2, frees: 1, durationUs: 30, batches: 2, droppedRecords: 0 });
    expect(batches.map((b) => b.count)).toEqual([2, 2]);
    expect([...batches[0]!.address]).toEqual([0x1000, 0x2000]);
    expect(tables.threads.get(1)?.name).toBe('MainThread');
    expect(tables.marks.get(1)?.name).toBe('phase');
    expect(tables.location(1)).toEqual({ file: 'fixture.py', line: 4, function: 'main' });
  });

  it('reads a capture cut at every byte offset: complete batches plus a warning, never an exception', async () => {
    const b = smallCapture();
    const all = b.bytes();
    const ends = b.frameEnds();
    const batchIdx = batchFrameIndices(b);
    expect(batchIdx.length).toBe(2);
    const dir = tempDir();
    const path = join(dir, 'cut.bin');
    for (let cut = 0; cut <= all.length; cut++) {
      writeFileSync(path, all.subarray(0, cut));
      const { res, batches } = await readAll(path, 16);
      const expectBatches = batchIdx.filter((i) => ends[i]! <= cut).length;
      expect(batches.length, `cut at ${cut}`).toBe(expectBatches);
      if (cut === all.length) {
        expect(res.warnings).toEqual([]);
      } else {
        expect(res.truncated, `cut at ${cut}`).toBe(true);
        expect(res.warnings.length, `cut at ${cut}`).toBeGreaterThan(0);
        expect(res.warnings.join(' ')).toMatch(/trailer missing/);
      }
      expect(res.header !== null).toBe(cut >= ends[0]!);
    }
  });

  it('reads a larger capture cut at many offsets, agreeing with protobufjs on every batch', async () => {
    const r = rng(7);
    const b = new CaptureBuilder().header().code({ id: 1, filename: 'x.py', qualname: 'f' }).nodes([{ id: 1, parent: 0, code: 1, offset: 0 }]);
    for (let i = 0; i < 40; i++) {
      const recs: TestRecord[] = [];
      const n = 1 + Math.floor(r() * 2000);
      for (let j = 0; j < n; j++) {
        const kind = 1 + Math.floor(r() * 12);
        recs.push({ kind, address: 0x7f0000000000 + Math.floor(r() * 1e6) * 16, size: Math.floor(r() * 1e5), stack: 1, thread: 1, timeUs: i * 1e6 + j });
      }
      b.batch(recs);
    }
    b.trailer();
    const all = b.bytes();
    const ends = b.frameEnds();
    const batchIdx = batchFrameIndices(b);
    const dir = tempDir();
    const path = join(dir, 'big.bin');
    // Full read: every batch agrees with the reference decoder. Small chunks exercise buffer growth.
    writeFileSync(path, all);
    for (const chunk of [64, 4096, 1 << 20]) {
      const { res, batches } = await readAll(path, chunk);
      expect(res.warnings).toEqual([]);
      expect(batches.length).toBe(40);
      batches.forEach((got, k) => {
        const frame = b.frames[batchIdx[k]!]!;
        let p = 0;
        while (frame[p]! & 0x80) p++;
        const ref = referenceDecodeBatchFrame(frame.subarray(p + 1));
        expect(got.count).toBe(ref.count);
        expect(Buffer.from(got.address.buffer).equals(Buffer.from(ref.address.buffer))).toBe(true);
        expect(Buffer.from(got.size.buffer).equals(Buffer.from(ref.size.buffer))).toBe(true);
        expect(Buffer.from(got.kind.buffer).equals(Buffer.from(ref.kind.buffer))).toBe(true);
        expect(Buffer.from(got.stack.buffer).equals(Buffer.from(ref.stack.buffer))).toBe(true);
        expect(Buffer.from(got.timeUs.buffer).equals(Buffer.from(ref.timeUs.buffer))).toBe(true);
      });
    }
    const cuts = new Set<number>();
    for (const e of ends) for (const d of [-2, -1, 0, 1, 2]) if (e + d > 0 && e + d <= all.length) cuts.add(e + d);
    for (let i = 0; i < 150; i++) cuts.add(1 + Math.floor(r() * all.length));
    for (const cut of cuts) {
      writeFileSync(path, all.subarray(0, cut));
      const { res, batches } = await readAll(path, 4096);
      expect(batches.length, `cut at ${cut}`).toBe(batchIdx.filter((i) => ends[i]! <= cut).length);
      expect(res.warnings.length > 0).toBe(cut < all.length);
    }
  });

  it('rejects garbage, a wrong magic, a non-header first frame and a newer format version', async () => {
    const r = rng(9);
    const garbage = new Uint8Array(5000).map(() => Math.floor(r() * 256));
    await expectBadCapture(writeTempBytes(garbage), 'BAD_CAPTURE', /: not a pymemprof capture$/);
    await expectBadCapture(writeTempBytes(Buffer.from('hello world, this is not a capture\n'.repeat(20))), 'BAD_CAPTURE', /not a pymemprof capture/);
    await expectBadCapture(writeTempBytes(Buffer.from('#!/usr/bin/env python\n')), 'BAD_CAPTURE', /not a pymemprof capture/);
    await expectBadCapture(new CaptureBuilder().header({ magic: 'pymemprog' }).trailer().writeTemp(), 'BAD_CAPTURE', /not a pymemprof capture/);
    await expectBadCapture(new CaptureBuilder().trailer().header().writeTemp(), 'BAD_CAPTURE', /not a pymemprof capture/);
    await expectBadCapture(
      new CaptureBuilder().batch([{ kind: KIND.ALLOC_RAW, address: 16, size: 1, stack: 0, timeUs: 0 }]).writeTemp(),
      'BAD_CAPTURE',
      /not a pymemprof capture/,
    );
    const newer = new CaptureBuilder().header({ formatVersion: 5 }).trailer().writeTemp();
    await expectBadCapture(newer, 'CAPTURE_VERSION', /capture format version 5 is newer than this pymemprof supports \(4\)/);
    // the message names the file
    await expectBadCapture(newer, 'CAPTURE_VERSION', new RegExp(newer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    // a file that is not there
    await expectBadCapture(join(tempDir(), 'missing.bin'), 'BAD_CAPTURE', /missing\.bin: cannot open capture: ENOENT/);
  });

  it('format 4 node tables (ids from the first, parents counted back) resolve as absolute columns do', async () => {
    // A tree with parents near and far back, in two tables (the second continues the ids).
    const nodes = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, parent: i === 0 ? 0 : i % 7 === 0 ? 1 : i, code: 1 + (i % 3), offset: (i % 2) * 8 }));
    const build = (format: 3 | 4) =>
      new CaptureBuilder({ format })
        .header({ timeQuantumUs: format === 4 ? 16 : 0 })
        .code(...[1, 2, 3].map((id) => ({ id, filename: `m${id}.py`, qualname: `f${id}`, firstLine: 1, lineStarts: [0, 8], lines: [1, 2] })))
        .nodes(nodes.slice(0, 200))
        .nodes(nodes.slice(200))
        .batch(nodes.map((n, i) => ({ kind: KIND.ALLOC_OBJ, address: 0x1000 + 16 * i, size: 16, stack: n.id, timeUs: 16 * i })))
        .trailer({ records: nodes.length, batches: 1 });
    const v4 = build(4);
    // The writer's layout: no id or parent column.
    const table = cap.Frame.decode(v4.frames[2]!.subarray(2)).stackNodes!;
    expect(table.id).toEqual([]);
    expect(table.parent).toEqual([]);
    expect(table.firstId).toBe(1);
    const a = await readAll(build(3).writeTemp('v3.bin'));
    const b = await readAll(v4.writeTemp('v4.bin'));
    expect(b.res.header?.formatVersion).toBe(4);
    expect(b.res.header?.timeQuantumUs).toBe(16);
    expect(a.res.header?.timeQuantumUs).toBe(1);
    for (const n of nodes) expect(b.tables.stack(n.id)).toEqual(a.tables.stack(n.id));
    expect(b.tables.stack(300).length).toBeGreaterThan(2);

    // A parent counted back past the root, or not back at all; columns of different lengths.
    const bad = (stackNodes: cap.IStackNodes) => new CaptureBuilder({ format: 4 }).header().frame({ stackNodes }).trailer().writeTemp();
    await expectBadCapture(bad({ firstId: 1, parentBack: [1, 3], code: [1, 1], offset: [0, 0] }), 'BAD_CAPTURE', /corrupt stack node table: node 2's parent 3 back is out of range$/);
    await expectBadCapture(bad({ firstId: 1, parentBack: [1, 0], code: [1, 1], offset: [0, 0] }), 'BAD_CAPTURE', /corrupt stack node table: node 2's parent 0 back is out of range$/);
    await expectBadCapture(bad({ firstId: 1, parentBack: [1], code: [1, 1], offset: [0, 0] }), 'BAD_CAPTURE', /corrupt stack node table: column lengths differ$/);
    await expectBadCapture(bad({ firstId: 0, parentBack: [1], code: [1], offset: [0] }), 'BAD_CAPTURE', /corrupt stack node table: first id 0 out of range$/);
    await expectBadCapture(bad({ firstId: 0xffffffff, parentBack: [1, 1], code: [1, 1], offset: [0, 0] }), 'BAD_CAPTURE', /first id 4294967295 out of range$/);
  });

  it('treats a huge frame length (2^60) as truncation without allocating, and as garbage before a header', async () => {
    const huge = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]); // 2^60
    const b = smallCapture();
    b.frames.pop(); // no trailer
    const firstBatches = 2;
    b.raw(huge).raw(new Uint8Array(100));
    const before = process.memoryUsage().arrayBuffers;
    const { res, batches } = await readAll(b.writeTemp());
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    expect(batches.length).toBe(firstBatches);
    expect(res.truncated).toBe(true);
    expect(res.warnings.join(' ')).toMatch(/truncated/);

    await expectBadCapture(writeTempBytes(Uint8Array.from([...huge, 1, 2, 3])), 'BAD_CAPTURE', /not a pymemprof capture/);
    // an 11-byte length varint is corruption
    const b2 = smallCapture();
    b2.frames.pop();
    b2.raw(new Uint8Array(11).fill(0xff)).raw(new Uint8Array([1]));
    await expectBadCapture(b2.writeTemp(), 'BAD_CAPTURE', /bad frame length/);
  });

  it('reports a corrupt batch inside an otherwise valid capture as BadCaptureError naming the offset', async () => {
    const b = smallCapture();
    const ends = b.frameEnds();
    const idx = batchFrameIndices(b)[0]!;
    // frame: len, 0x2a, len, payload: put a bad kind (13) into the first entry of the kind column
    const f = b.frames[idx]!;
    let p = 0;
    while (f[p]! & 0x80) p++;
    // payload starts after tag 0x2a and a one-byte length; kind column: 0x0a len k0 k1
    expect(f[p + 3]).toBe(0x0a);
    f[p + 5] = 13;
    await expectBadCapture(b.writeTemp(), 'BAD_CAPTURE', new RegExp(`frame at byte offset ${ends[idx - 1]}: corrupt record batch: unknown record kind 13`));
  });

  it('warns about a missing trailer and dropped records', async () => {
    const b = smallCapture();
    b.frames.pop();
    const { res, batches } = await readAll(b.writeTemp());
    expect(batches.length).toBe(2);
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toMatch(/no trailer \(truncated: trailer missing\)/);
    const b2 = smallCapture();
    b2.frames.pop();
    b2.trailer({ droppedRecords: 5 });
    const r2 = await readAll(b2.writeTemp());
    expect(r2.res.warnings.join(' ')).toMatch(/5 records were dropped/);
  });
});

describe('line tables', () => {
  const code = { firstLine: 10, lineStarts: [0, 6, 20, 40], lines: [10, 11, -1, 14] };
  it('resolves a byte offset to the last range starting at or before it', () => {
    expect(resolveLineIn(code, 0)).toBe(10);
    expect(resolveLineIn(code, 5)).toBe(10);
    expect(resolveLineIn(code, 6)).toBe(11);
    expect(resolveLineIn(code, 19)).toBe(11);
    expect(resolveLineIn(code, 40)).toBe(14);
    expect(resolveLineIn(code, 1000)).toBe(14);
  });
  it('falls back to first_line for -1 entries, offsets before the table and empty tables', () => {
    expect(resolveLineIn(code, 20)).toBe(10);
    expect(resolveLineIn(code, 39)).toBe(10);
    expect(resolveLineIn({ firstLine: 7, lineStarts: [4], lines: [8] }, 2)).toBe(7);
    expect(resolveLineIn({ firstLine: 7, lineStarts: [], lines: [] }, 2)).toBe(7);
  });
  it('CaptureTables resolves nodes, stacks and re-sent thread names', () => {
    const t = new CaptureTables();
    t.addCodeObjects([
      { id: 1, name: '<module>', qualname: '<module>', filename: 'a.py', firstLine: 1, lineStarts: [0, 10], lines: [1, 5] },
      { id: 2, name: 'g', qualname: 'C.g', filename: 'b.py', firstLine: 20, lineStarts: [0], lines: [21] },
    ]);
    t.addStackNodes({ id: [1, 2, 3000], parent: [0, 1, 2], code: [1, 2, 1], offset: [12, 4, 0] });
    expect(t.location(2)).toEqual({ file: 'b.py', line: 21, function: 'C.g' });
    expect(t.stack(3000).map((f) => `${f.file}:${f.function}:${f.line}`)).toEqual(['a.py:<module>:5', 'b.py:C.g:21', 'a.py:<module>:1']);
    expect(t.location(0).function).toBe('<no Python frame>');
    expect(() => t.addStackNodes({ id: [2 ** 31], parent: [0], code: [1], offset: [0] })).toThrow(BadCaptureError);
    t.addThreads([{ id: 1, nativeId: 5, name: '' }]);
    t.addThreads([{ id: 1, nativeId: 5, name: 'worker' }]);
    t.addThreads([{ id: 1, nativeId: 5, name: '' }]);
    expect(t.threads.get(1)?.name).toBe('worker');
  });
});

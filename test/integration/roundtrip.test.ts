/**
 * Round trip C++ writer → TypeScript reader: the addon's test-only writeTestCapture (the tracer's own
 * encoders) writes random records of every kind in several batches; both decoders (the fast batch
 * decoder behind readCapture, and the reference protobufjs decoder) return exactly those records.
 * Then the file is cut at many offsets: every complete batch is read back, and a warning is given.
 *
 * The encoders do not depend on the Python version, so one interpreter's addon is used (the newest
 * present; each addon links its own libpython, so only one is loaded into this test process).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BadCaptureError } from '../../src/errors';
import { readCapture, withTables, CaptureTables, ReadResult } from '../../src/capture/reader';
import { BatchDecoder, kindHasSize, kindHasStack, DecodedBatch } from '../../src/capture/batch-decoder';
import { AddressDecoder } from '../../src/capture/address-model';
import { referenceDecodeBatchFrame } from '../../src/capture/reference-decoder';
import { pymemprof } from '../../src/capture/generated/capture';
import { loadNative, NativeBinding, TestCaptureSpec, TestRecord } from '../../src/native';
import { ensureAddon } from '../../src/tracer/addon';
import { queryPython } from '../../src/tracer/python';
import { anyPython } from '../helpers/pythons';
import { tempDir } from './util';

const py = anyPython();

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOP = 2 ** 47;

function randomBatches(seed: number, nBatches: number): TestRecord[][] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  let time = 1_000;
  const out: TestRecord[][] = [];
  for (let b = 0; b < nBatches; b++) {
    const n = b === 0 ? 1 : 1 + int(b % 3 === 0 ? 3000 : 400);
    const recs: TestRecord[] = [];
    for (let i = 0; i < n; i++) {
      const kind = 1 + (i < 12 ? i : int(12)); // every kind 1..12 at the start of each batch
      // addresses near 2^47 (the top of the user address space), sometimes small, sometimes 0
      const pick = int(10);
      const address = pick === 0 ? 0 : pick < 3 ? 16 * (1 + int(1e6)) : TOP - 16 * (1 + int(2 ** 30));
      // sizes up to 2^40, many small
      const size = pick < 5 ? int(600) : int(2) ? Math.floor(r() * 2 ** 40) : 2 ** 40;
      const stack = int(3) ? int(5000) : int(2 ** 31);
      const thread = int(8);
      time += int(4) === 0 ? 0 : int(int(10) === 0 ? 5_000_000 : 50);
      recs.push({ kind, address, size, stack, thread, timeUs: time });
    }
    out.push(recs);
  }
  return out;
}

/** What a reader must return for a record: size/stack only where the kind carries them. */
function expected(rec: TestRecord) {
  return {
    kind: rec.kind,
    address: Number(rec.address),
    size: kindHasSize(rec.kind) ? Number(rec.size) : 0,
    stack: kindHasStack(rec.kind) ? rec.stack : 0,
    thread: rec.thread,
    timeUs: rec.timeUs,
  };
}

function rows(b: DecodedBatch) {
  const out = [];
  for (let i = 0; i < b.count; i++) {
    out.push({ kind: b.kind[i]!, address: b.address[i]!, size: b.size[i]!, stack: b.stack[i]!, thread: b.thread[i]!, timeUs: b.timeUs[i]! });
  }
  return out;
}

/** Splits a capture into its length-delimited frames: [start of payload, end) per frame. */
function frameRanges(buf: Uint8Array): { start: number; end: number; lenStart: number }[] {
  const out = [];
  let p = 0;
  while (p < buf.length) {
    const lenStart = p;
    let len = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[p++]!;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(byte & 0x80)) break;
    }
    out.push({ lenStart, start: p, end: p + len });
    p += len;
  }
  expect(p).toBe(buf.length);
  return out;
}

const describeIf = py ? describe : describe.skip;

describeIf(`round trip C++ writer → TypeScript reader (addon of CPython ${py?.version ?? 'none found'})`, () => {
  let dir: string;
  let native: NativeBinding;
  let spec: TestCaptureSpec;
  let file: string;
  let bytes: Uint8Array;

  beforeAll(() => {
    dir = tempDir('roundtrip');
    native = loadNative(ensureAddon(queryPython(py!.path)));
    spec = {
      header: {
        pythonVersion: '3.12.1',
        pythonHexversion: 0x030c01f0,
        arenaSize: 1 << 20,
        poolSize: 16 << 10,
        alignment: 16,
        smallRequestThreshold: 512,
        pid: 4242,
        argv: ['prog.py', 'ünïcode', ''],
        startTimeUnixUs: 1_700_000_000_000_000,
        executable: '/usr/bin/python3',
      },
      codes: [{ id: 1, name: 'f', qualname: 'C.f', filename: '/x/prog.py', firstLine: 10, lineStarts: [0, 8, 30], lines: [10, 11, -1] }],
      nodes: [
        { id: 1, parent: 0, code: 1, offset: 0 },
        { id: 2, parent: 1, code: 1, offset: 8 },
      ],
      threads: [
        { id: 1, nativeId: 12345, name: 'MainThread' },
        { id: 2, nativeId: 2 ** 40, name: 'worker' },
      ],
      marks: [{ id: 1, name: 'start' }],
      batches: randomBatches(20240611, 14),
      trailer: { records: 0, allocations: 0, frees: 0, durationUs: 99, batches: 14 },
    };
    spec.trailer!.records = spec.batches.reduce((a, b) => a + b.length, 0);
    file = path.join(dir, 'rt.bin');
    const written = native.writeTestCapture(file, spec);
    bytes = new Uint8Array(fs.readFileSync(file));
    expect(written).toBe(bytes.length);
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the random records cover every kind, addresses near 2^47 and sizes up to 2^40', () => {
    const all = spec.batches.flat();
    expect(new Set(all.map((r) => r.kind)).size).toBe(12);
    expect(Math.max(...all.map((r) => Number(r.address)))).toBeGreaterThan(TOP - 2 ** 35);
    expect(Math.max(...all.map((r) => Number(r.size)))).toBe(2 ** 40);
    expect(spec.batches.length).toBeGreaterThan(10);
  });

  test('readCapture (fast decoder) returns exactly the records written, batch by batch, and the tables', async () => {
    const got: ReturnType<typeof rows>[] = [];
    const tables = new CaptureTables();
    const read = await readCapture(file, withTables(tables, { batch: (b) => got.push(rows(b)) }));
    expect(read.warnings).toEqual([]);
    expect(read.truncated).toBe(false);
    expect(got.length).toBe(spec.batches.length);
    got.forEach((b, i) => expect(b, `batch ${i}`).toEqual(spec.batches[i]!.map(expected)));
    expect(read.header).toMatchObject({
      formatVersion: 4,
      timeQuantumUs: 1, // the encoder's default: these records' times are given, not read from the clock
      pythonVersion: '3.12.1',
      pythonHexversion: 0x030c01f0,
      geometry: { arenaSize: 1 << 20, poolSize: 16 << 10, alignment: 16, smallRequestThreshold: 512 },
      pid: 4242,
      argv: ['prog.py', 'ünïcode', ''],
      startTimeUnixUs: 1_700_000_000_000_000,
      executable: '/usr/bin/python3',
    });
    expect(read.trailer).toMatchObject({ records: spec.trailer!.records, durationUs: 99, batches: 14 });
    expect(tables.location(2)).toEqual({ file: '/x/prog.py', line: 11, function: 'C.f' });
    expect(tables.stack(2).map((f) => f.line)).toEqual([10, 11]);
    expect(tables.threads.get(2)).toEqual({ id: 2, nativeId: 2 ** 40, name: 'worker' });
    expect(tables.marks.get(1)?.name).toBe('start');
  });

  test('the reference protobufjs decoder agrees with the fast decoder on every batch frame', () => {
    let batchNo = 0;
    // One decoder of each kind for the capture: the address model runs through its batches.
    const referenceModel = new AddressDecoder();
    const fast = new BatchDecoder('fresh');
    for (const f of frameRanges(bytes)) {
      const frame = bytes.subarray(f.start, f.end);
      const msg = pymemprof.capture.Frame.decode(frame);
      if (!msg.batch) continue;
      const ref = rows(referenceDecodeBatchFrame(frame, 'frame', referenceModel));
      const batchBytes = pymemprof.capture.RecordBatch.encode(msg.batch).finish();
      expect(ref, `batch ${batchNo} (reference)`).toEqual(spec.batches[batchNo]!.map(expected));
      expect(rows(fast.decode(batchBytes)), `batch ${batchNo} (fast, re-encoded)`).toEqual(ref);
      batchNo++;
    }
    expect(batchNo).toBe(spec.batches.length);
  });

  test('compressed as the writer writes them: smaller, with the same records and tables', async () => {
    // Batches shaped like a loop's (few addresses, kinds and stacks): they compress.
    const loopy = spec.batches.map((b) => b.map((r, i) => ({ ...r, address: 0x7f0000001000n + BigInt((i % 32) * 16), size: 32, stack: i % 3, timeUs: 1000 + i })));
    const write = (name: string, compress: boolean): { file: string; bytes: Uint8Array } => {
      const f = path.join(dir, name);
      native.writeTestCapture(f, { ...spec, batches: loopy, compress });
      return { file: f, bytes: new Uint8Array(fs.readFileSync(f)) };
    };
    const plain = write('plain.bin', false);
    const packed = write('packed.bin', true);
    const compressedFrames = frameRanges(packed.bytes).filter((f) => pymemprof.capture.Frame.decode(packed.bytes.subarray(f.start, f.end)).compressed).length;
    expect(compressedFrames).toBeGreaterThan(loopy.length / 2); // all but the few small ones
    expect(packed.bytes.length * 1.5).toBeLessThan(plain.bytes.length); // the address model already took the most
    const readAll = async (file: string) => {
      const got: ReturnType<typeof rows>[] = [];
      const tables = new CaptureTables();
      const read = await readCapture(file, withTables(tables, { batch: (b) => got.push(rows(b)) }), { chunkSize: 4096 });
      return { got, read, tables };
    };
    const a = await readAll(plain.file);
    const b = await readAll(packed.file);
    expect(b.read.warnings).toEqual(a.read.warnings);
    expect(b.got).toEqual(a.got);
    expect(b.got.length).toBe(loopy.length);
    expect(b.read.trailer).toEqual(a.read.trailer);
    expect(b.tables.stack(2)).toEqual(a.tables.stack(2));
    expect(b.tables.threads.get(2)).toEqual({ id: 2, nativeId: 2 ** 40, name: 'worker' });
  });

  test('a file cut at many offsets reads back every complete batch, with a warning', async () => {
    const frames = frameRanges(bytes);
    // Offsets: every frame boundary and its neighbours, inside every length prefix, plus random ones.
    const offsets = new Set<number>();
    for (const f of frames) for (const d of [-1, 0, 1, 2]) offsets.add(f.lenStart + d);
    for (const f of frames) offsets.add(Math.floor((f.start + f.end) / 2));
    const r = rng(7);
    for (let i = 0; i < 60; i++) offsets.add(Math.floor(r() * bytes.length));
    offsets.add(bytes.length - 1);
    const cuts = [...offsets].filter((o) => o >= 0 && o < bytes.length).sort((a, b) => a - b);
    expect(cuts.length).toBeGreaterThan(80);
    const cutFile = path.join(dir, 'cut.bin');
    for (const cut of cuts) {
      fs.writeFileSync(cutFile, bytes.subarray(0, cut));
      // complete batch frames before the cut
      let complete = 0;
      for (const f of frames) {
        if (f.end > cut) break;
        if (pymemprof.capture.Frame.decode(bytes.subarray(f.start, f.end)).batch) complete++;
      }
      const got: ReturnType<typeof rows>[] = [];
      let read: ReadResult | null = null;
      try {
        read = await readCapture(cutFile, { batch: (b) => got.push(rows(b)) }, { chunkSize: 4096 });
      } catch (e) {
        // Only acceptable before the header frame is complete (nothing to read back).
        expect(e, `cut at ${cut}`).toBeInstanceOf(BadCaptureError);
        expect(cut, `cut at ${cut} threw ${(e as Error).message}`).toBeLessThan(frames[0]!.end);
        continue;
      }
      expect(got.length, `cut at ${cut} of ${bytes.length}`).toBe(complete);
      got.forEach((b, i) => expect(b, `cut at ${cut}: batch ${i}`).toEqual(spec.batches[i]!.map(expected)));
      expect(read.trailer, `cut at ${cut}`).toBeNull();
      expect(read.truncated, `cut at ${cut}`).toBe(true);
      expect(read.warnings.length, `cut at ${cut}: no warning`).toBeGreaterThan(0);
    }
  });
});

if (!py) describe.skip('round trip C++ writer → TypeScript reader (no CPython 3.9-3.13 found)', () => {});

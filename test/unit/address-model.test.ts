/**
 * Capture format 3: the address model (src/capture/address-model.ts, a port of
 * native/capture/address_model.h) and time runs, through the encoder and every batch decoder — the
 * fast one (TypeScript, and native when the addon has it), the checked one and the protobufjs
 * reference — over pymalloc-like record streams cut into batches, and on mutated batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import * as protobuf from 'protobufjs/minimal';
import { pymemprof } from '../../src/capture/generated/capture';
import { BatchDecoder, checkedDecodeRecordBatch, DecodedBatch, decodeRecordBatch, KIND, kindHasSize, kindHasStack, newBatchArrays } from '../../src/capture/batch-decoder';
import { addressHash, AddressDecoder, AddressEncoder, OP, sizeClass } from '../../src/capture/address-model';
import { referenceDecodeRecordBatch } from '../../src/capture/reference-decoder';
import { CaptureTables, readCapture, withTables } from '../../src/capture/reader';
import { nativePasses } from '../../src/analysis/native-passes';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { analyzeReport } from '../../src/analysis/report-analysis';
import { BadCaptureError } from '../../src/errors';
import { CaptureBuilder, cleanupTemp, recordBatchBytes3, recordBatchMessage, tempDir, TestRecord } from '../helpers/capture-builder';
import { rng } from '../helpers/random';

import cap = pymemprof.capture;

afterAll(cleanupTemp);

const hasNativeModel = typeof nativePasses()?.ModelDecoder === 'function';

interface Live {
  address: number;
  kind: number;
  size: number;
  cls: number; // small class, -1 for malloc's blocks
}

/**
 * Records as CPython with pymalloc makes them: small MEM/OBJ blocks carved from 16 KiB pools in
 * steps of their class's size and reused LIFO per class (now and then a block below the top, as
 * pymalloc's per-pool free lists do), larger and RAW blocks from a malloc-like heap (some 8 bytes off
 * 16), resizes in place and moving reallocs, arenas, marks, long-lived blocks freed far later, frees of
 * unknown addresses, and pools just below 2^47 and near 0. Many records share a time.
 */
function pymallocStream(seed: number, n: number): TestRecord[] {
  const r = rng(seed);
  const int = (k: number): number => Math.floor(r() * k);
  const out: TestRecord[] = [];
  const live: Live[] = [];
  const freeLists: number[][] = Array.from({ length: 32 }, () => []);
  const carve: { next: number; end: number }[] = Array.from({ length: 32 }, () => ({ next: 0, end: 0 }));
  const heapFree = new Map<number, number[]>(); // malloc: LIFO per 16-byte step
  let poolTop = 0x7fff00000000 - (1 << 24); // pools just below 2^47, going down
  let lowPool = 0x10000;
  let heap = 0x5555_5555_0000;
  const arenas: number[] = [];
  let arenaNext = 0x7f0000000000;
  let t = 1000 + int(1e6);
  const emit = (rec: Omit<TestRecord, 'timeUs' | 'thread'>): void => {
    const u = r();
    t += u < 0.5 ? 0 : u < 0.9 ? int(4) : u < 0.99 ? int(5000) : int(2 ** 40);
    out.push({ ...rec, thread: 1 + int(3), timeUs: t });
  };
  const allocSmall = (kind: number, size: number): void => {
    const c = (size - 1) >> 4;
    const fl = freeLists[c]!;
    let a: number;
    if (fl.length > 0) {
      const j = r() < 0.85 ? fl.length - 1 : Math.max(0, fl.length - 1 - int(5));
      a = fl.splice(j, 1)[0]!;
    } else {
      const p = carve[c]!;
      if (p.next + 16 * (c + 1) > p.end || r() < 0.002) {
        const low = r() < 0.05;
        const base = low ? (lowPool += 16384) : (poolTop -= 16384);
        p.next = base + 48; // pool header
        p.end = base + 16384;
      }
      if (r() < 0.05) p.next += 16 * (c + 1) * (1 + int(3)); // another thread took some
      if (p.next + 16 * (c + 1) > p.end) p.next = p.end - 16 * (c + 1);
      a = p.next;
      p.next += 16 * (c + 1);
    }
    live.push({ address: a, kind, size, cls: c });
    emit({ kind, address: a, size, stack: int(50) });
  };
  const allocHeap = (kind: number, size: number): void => {
    const step = Math.floor((size + 23) / 16);
    const fl = heapFree.get(step);
    let a: number;
    if (fl && fl.length > 0 && r() < 0.7) a = fl.pop()!;
    else {
      a = heap + (r() < 0.1 ? 8 : 0);
      heap += step * 16 + 16;
    }
    live.push({ address: a, kind, size, cls: -1 });
    emit({ kind, address: a, size, stack: int(50) });
  };
  const alloc = (kind: number): void => {
    const u = r();
    if (kind !== KIND.ALLOC_RAW && u < 0.85) allocSmall(kind, 1 + int(512));
    else allocHeap(kind, u < 0.97 ? 1 + int(4096) : u < 0.995 ? 65000 + int(1000) : int(2 ** 32));
  };
  const free = (at: number): void => {
    const b = live[at]!;
    live[at] = live[live.length - 1]!;
    live.pop();
    if (b.cls >= 0) freeLists[b.cls]!.push(b.address);
    else {
      const step = Math.floor((b.size + 23) / 16);
      if (!heapFree.has(step)) heapFree.set(step, []);
      heapFree.get(step)!.push(b.address);
    }
    emit({ kind: b.kind + 3, address: b.address });
  };
  // Long-lived blocks first: they are freed far beyond the model's window.
  for (let i = 0; i < 300; i++) alloc(KIND.ALLOC_MEM + int(2));
  while (out.length < n) {
    const u = r();
    if (u < 0.46 || live.length < 10) alloc(1 + int(3));
    else if (u < 0.84) {
      // mostly recent blocks
      const at = r() < 0.7 ? live.length - 1 - int(Math.min(live.length, 20)) : int(live.length);
      free(at);
    } else if (u < 0.88) {
      const b = live[int(live.length)]!;
      emit({ kind: b.kind + 6, address: b.address, size: int(600), stack: int(50) });
    } else if (u < 0.91) {
      const at = int(live.length);
      const kind = live[at]!.kind;
      free(at);
      alloc(kind);
    } else if (u < 0.93) {
      if (arenas.length > 0 && r() < 0.4) emit({ kind: KIND.ARENA_FREE, address: arenas.splice(int(arenas.length), 1)[0]! });
      else {
        arenas.push((arenaNext += 1 << 20));
        emit({ kind: KIND.ARENA_ALLOC, address: arenas[arenas.length - 1]!, size: 1 << 20 });
      }
    } else if (u < 0.95) {
      emit({ kind: KIND.MARK, address: 0, size: 1 + int(5), stack: int(50) });
    } else if (u < 0.96) {
      // a free of a block never seen, anywhere
      const a = r() < 0.5 ? int(2 ** 47) : int(2 ** 20) * 16;
      emit({ kind: KIND.FREE_RAW + int(3), address: a });
    } else if (u < 0.965 && out.length > 0) {
      // the long-lived ones
      if (live.length > 300) free(int(100));
    } else {
      alloc(1 + int(3));
    }
  }
  return out.slice(0, n);
}

/** Batch sizes covering n records: mostly a few thousand, some of 1, some beyond the window. */
function batchSizes(r: () => number, n: number): number[] {
  const out: number[] = [];
  let left = n;
  while (left > 0) {
    const u = r();
    const s = Math.min(left, u < 0.1 ? 1 : u < 0.2 ? 1 + Math.floor(r() * 20) : u < 0.95 ? 1 + Math.floor(r() * 5000) : 65536 + Math.floor(r() * 10000));
    out.push(s);
    left -= s;
  }
  return out;
}

/** The first way b differs from records[from, from + b.count), or null. */
function diff(b: DecodedBatch, records: TestRecord[], from = 0): string | null {
  for (let i = 0; i < b.count; i++) {
    const x = records[from + i]!;
    const want = [x.kind, x.address, kindHasSize(x.kind) ? x.size ?? 0 : 0, kindHasStack(x.kind) ? x.stack ?? 0 : 0, x.thread ?? 1, x.timeUs];
    const got = [b.kind[i]!, b.address[i]!, b.size[i]!, b.stack[i]!, b.thread[i]!, b.timeUs[i]!];
    for (let j = 0; j < 6; j++) if (got[j] !== want[j]) return `record ${from + i}: ${JSON.stringify(got)} for ${JSON.stringify(want)}`;
  }
  return null;
}

function sameBatch(a: DecodedBatch, b: DecodedBatch): boolean {
  if (a.count !== b.count) return false;
  for (let i = 0; i < a.count; i++) {
    if (a.kind[i] !== b.kind[i] || a.address[i] !== b.address[i] || a.size[i] !== b.size[i]) return false;
    if (a.stack[i] !== b.stack[i] || a.thread[i] !== b.thread[i] || a.timeUs[i] !== b.timeUs[i]) return false;
  }
  return true;
}

/** Encodes the records as format-3 batches of the given sizes (one encoder: one capture). */
function encodeStream(records: TestRecord[], sizes: number[]): Uint8Array[] {
  const enc = new AddressEncoder();
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(recordBatchBytes3(records.slice(at, at + s), enc));
    at += s;
  }
  return out;
}

type Outcome = { batch: DecodedBatch } | { error: string };

function outcome(fn: () => DecodedBatch): Outcome {
  try {
    return { batch: fn() };
  } catch (e) {
    if (!(e instanceof BadCaptureError)) throw e;
    expect(e.code).toBe('BAD_CAPTURE');
    return { error: e.message };
  }
}

/** The three decoders (and the native one when built) over a capture's batches in order. */
class Decoders {
  readonly fast = new BatchDecoder('reuse', false);
  readonly native = hasNativeModel ? new BatchDecoder('reuse', true) : null;
  readonly checkedModel = new AddressDecoder();
  readonly refModel = new AddressDecoder();

  run(bytes: Uint8Array, reference = true): { fast: Outcome; checked: Outcome; ref: Outcome | null; native: Outcome | null } {
    return {
      fast: outcome(() => this.fast.decode(bytes, 0, bytes.length, 'x.bin')),
      checked: outcome(() => checkedDecodeRecordBatch(bytes, 0, bytes.length, 'x.bin', this.checkedModel)),
      ref: reference ? outcome(() => referenceDecodeRecordBatch(bytes, 'x.bin', this.refModel)) : null,
      native: this.native ? outcome(() => this.native!.decode(bytes, 0, bytes.length, 'x.bin')) : null,
    };
  }
}

describe('address model', () => {
  it('hashes addresses as the C++ encoder does (64-bit multiply)', () => {
    const r = rng(1);
    for (let i = 0; i < 20000; i++) {
      const a = i < 10 ? [0, 16, 2 ** 47 - 16, 2 ** 53 - 1, 2 ** 52, 15, 2 ** 36, 4096, 2 ** 32, 2 ** 32 * 16][i]! : Math.floor(r() * 2 ** (1 + Math.floor(r() * 53)));
      const want = Number((((BigInt(a) >> 4n) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn) >> 46n);
      expect(addressHash(a)).toBe(want);
    }
  });

  it('has the C++ size classes', () => {
    expect(sizeClass(KIND.ALLOC_OBJ, 0)).toBe(0);
    expect(sizeClass(KIND.ALLOC_OBJ, 1)).toBe(0);
    expect(sizeClass(KIND.ALLOC_OBJ, 16)).toBe(0);
    expect(sizeClass(KIND.ALLOC_OBJ, 17)).toBe(1);
    expect(sizeClass(KIND.ALLOC_MEM, 512)).toBe(31);
    expect(sizeClass(KIND.ALLOC_MEM, 513)).toBe(32 + 33);
    expect(sizeClass(KIND.ALLOC_RAW, 0)).toBe(34);
    expect(sizeClass(KIND.ALLOC_RAW, 8)).toBe(34);
    expect(sizeClass(KIND.ALLOC_RAW, 9)).toBe(34);
    expect(sizeClass(KIND.ALLOC_RAW, 16)).toBe(34);
    expect(sizeClass(KIND.ALLOC_RAW, 100)).toBe(32 + 7);
    expect(sizeClass(KIND.ALLOC_RAW, 65512)).toBe(32 + 4095);
    expect(sizeClass(KIND.ALLOC_RAW, 65513)).toBe(32 + 4096);
    expect(sizeClass(KIND.ALLOC_RAW, 2 ** 60)).toBe(32 + 4096);
  });

  it('round-trips pymalloc-like streams over many batches, every decoder alike, using every op', () => {
    const ops = new Map<number, number>();
    for (const seed of [1, 2, 3]) {
      const n = seed === 1 ? 300000 : 60000;
      const records = pymallocStream(seed, n);
      const sizes = batchSizes(rng(seed + 100), n);
      // op census from a separate encoder run
      const enc = new AddressEncoder();
      let at = 0;
      for (const s of sizes) {
        enc.startBatch();
        for (const x of records.slice(at, at + s)) {
          const op = enc.encode(x.kind, x.address, x.size ?? 0, []);
          ops.set(op, (ops.get(op) ?? 0) + 1);
        }
        at += s;
      }
      const batches = encodeStream(records, sizes);
      const d = new Decoders();
      at = 0;
      for (let j = 0; j < batches.length; j++) {
        const o = d.run(batches[j]!);
        for (const x of [o.fast, o.checked, o.ref, o.native]) {
          if (x === null) continue;
          expect('error' in x ? x.error : null).toBeNull();
          expect(diff((x as { batch: DecodedBatch }).batch, records, at)).toBeNull();
        }
        at += sizes[j]!;
      }
      expect(at).toBe(n);
    }
    const seen = (lo: number, hi: number): number => [...ops].filter(([op]) => op >= lo && op < hi).reduce((s, [, c]) => s + c, 0);
    for (const op of [OP.OTHER16, OP.RAW, OP.FREE_DELTA, OP.REUSE_TOP, OP.NEXT_IN_POOL, OP.ALLOC_DELTA, OP.REUSE_AT, OP.FREE_RECENT_ARG, OP.FREE_SEQ_ARG, OP.CLASS_DELTA]) {
      expect(ops.get(op) ?? 0, `op ${op}`).toBeGreaterThan(0);
    }
    expect(seen(OP.FREE_RECENT0, OP.FREE_SEQ0)).toBeGreaterThan(0);
    expect(seen(OP.FREE_SEQ0, OP.FREE_CLASS0)).toBeGreaterThan(0);
    expect(seen(OP.FREE_CLASS0, OP.FREE_CLASS0 + 32)).toBeGreaterThan(0);
  });

  it('appends format-3 batches (the worker’s mode) with the model running through them', () => {
    const records = pymallocStream(7, 20000);
    const sizes = batchSizes(rng(8), 20000);
    const dec = new BatchDecoder('append', false);
    dec.detach(newBatchArrays(1000));
    for (const b of encodeStream(records, sizes)) dec.decode(b);
    const { arrays, count } = dec.detach(newBatchArrays(16));
    expect(count).toBe(20000);
    expect(diff({ count, ...arrays, baseTimeUs: 0 }, records)).toBeNull();
  });

  it('accepts kinds written as longer varints, the model’s state intact for the next batch', () => {
    const records = pymallocStream(11, 3000);
    const [first, second] = encodeStream(records, [2000, 1000]);
    // the first batch's kind column rewritten with every kind padded to two bytes
    const m = cap.RecordBatch.decode(first!);
    const padded = new Uint8Array(2 * m.kind.length);
    m.kind.forEach((k, i) => padded.set([0x80 | k, 0x00], 2 * i));
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).bytes(padded);
    const rest = cap.RecordBatch.encode({ ...m, kind: [] }).finish();
    const bytes = new Uint8Array(w.len + rest.length);
    bytes.set(w.finish());
    bytes.set(rest, bytes.length - rest.length);
    const d = new Decoders();
    for (const [batch, from] of [[bytes, 0], [second!, 2000]] as const) {
      const o = d.run(batch);
      for (const x of [o.fast, o.checked, o.ref, o.native]) {
        if (x === null) continue;
        expect('error' in x ? x.error : null).toBeNull();
        expect(diff((x as { batch: DecodedBatch }).batch, records, from)).toBeNull();
      }
    }
  });

  it('decodes a capture’s first format-3 batch with decodeRecordBatch alone', () => {
    const records = pymallocStream(9, 3000);
    const [first, second] = encodeStream(records, [2000, 1000]);
    expect(diff(decodeRecordBatch(first!), records)).toBeNull();
    // The second needs the first's state: from a fresh model it decodes wrongly or not at all.
    const o = outcome(() => decodeRecordBatch(second!));
    if ('batch' in o) expect(diff(o.batch, records, 2000)).not.toBeNull();
  });

  it('keeps times exact through runs of equal times', () => {
    const recs: TestRecord[] = [];
    const times = [5, 5, 5, 6, 6, 2 ** 45, 2 ** 45, 2 ** 45 + 1, 2 ** 52, 2 ** 52, 2 ** 52 + 2];
    times.forEach((t, i) => recs.push({ kind: KIND.MARK, address: 0, size: i, stack: 1, timeUs: t }));
    const bytes = recordBatchBytes3(recs, new AddressEncoder());
    const m = cap.RecordBatch.decode(bytes);
    expect(m.timeRun).toEqual([3, 2, 2, 1, 2, 1]);
    for (const b of [decodeRecordBatch(bytes), checkedDecodeRecordBatch(bytes), referenceDecodeRecordBatch(bytes)]) expect([...b.timeUs]).toEqual(times);
    // a base time other than the first record's: the first step is the difference
    const later = recordBatchBytes3(recs, new AddressEncoder(), 2);
    expect([...decodeRecordBatch(later).timeUs]).toEqual(times);
  });

  it('writes an address off the grid as itself, up to 2^53 - 1', () => {
    const recs: TestRecord[] = [0, 2 ** 52 + 1, 2 ** 53 - 1, 8, 2 ** 47 + 4].map((address, i) => ({ kind: KIND.RESIZE_RAW, address, size: 1, stack: 0, timeUs: i }));
    const args: number[] = [];
    const enc = new AddressEncoder();
    expect(recs.map((x) => enc.encode(x.kind, x.address, 1, args))).toEqual([OP.OTHER16, OP.RAW, OP.RAW, OP.RAW, OP.RAW]);
    expect(args).toEqual([0, 2 ** 52 + 1, 2 ** 53 - 1, 8, 2 ** 47 + 4]);
    const bytes = recordBatchBytes3(recs, new AddressEncoder());
    for (const b of [decodeRecordBatch(bytes), checkedDecodeRecordBatch(bytes), referenceDecodeRecordBatch(bytes)]) expect(diff(b, recs)).toBeNull();
    const m = message(bytes);
    m.addressArg[1] = 2 ** 53;
    expectBad(encode(m), /^x\.bin: corrupt record batch: address_arg: op 1 at record 1 has argument 9007199254740992, beyond 2\^53$/);
  });
});

/** The batch message with its format-3 fields as plain arrays (to mutate and re-encode). */
function message(bytes: Uint8Array): cap.IRecordBatch & { addressArg: number[]; timeStep: number[]; timeRun: number[]; addressOp: Uint8Array } {
  const m = cap.RecordBatch.decode(bytes);
  const num = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());
  return {
    ...m,
    kind: [...m.kind],
    size: m.size.map(num),
    stack: [...m.stack],
    thread: [...m.thread],
    baseTimeUs: num(m.baseTimeUs),
    addressOp: Uint8Array.from(m.addressOp),
    addressArg: m.addressArg.map(num),
    timeStep: m.timeStep.map(num),
    timeRun: [...m.timeRun],
  };
}

function encode(m: cap.IRecordBatch): Uint8Array {
  return cap.RecordBatch.encode(m).finish();
}

function expectBad(bytes: Uint8Array, pattern: RegExp): void {
  for (const fn of [
    () => decodeRecordBatch(bytes, 0, bytes.length, 'x.bin'),
    () => new BatchDecoder('fresh', false).decode(bytes, 0, bytes.length, 'x.bin'),
    () => checkedDecodeRecordBatch(bytes, 0, bytes.length, 'x.bin'),
  ]) {
    let err: unknown = null;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadCaptureError);
    expect((err as Error).message).toMatch(pattern);
  }
  expect(() => referenceDecodeRecordBatch(bytes)).toThrow(BadCaptureError);
}

describe('format-3 batches, malformed', () => {
  const twelve: TestRecord[] = Array.from({ length: 12 }, (_, i) => ({
    kind: i % 2 === 0 ? KIND.ALLOC_OBJ : KIND.FREE_OBJ,
    address: 0x7f0000001000 + 32 * (i >> 1),
    size: 32,
    stack: 1,
    timeUs: 10 + (i >> 2),
  }));
  const good = message(recordBatchBytes3(twelve, new AddressEncoder()));

  it('names the field and the problem', () => {
    expect(diff(decodeRecordBatch(encode(good)), twelve)).toBeNull();
    expectBad(encode({ ...good, addressOp: good.addressOp.subarray(0, 10) }), /^x\.bin: corrupt record batch: address_op has 10 entries for 12 records$/);
    expectBad(encode({ ...good, timeRun: [...good.timeRun.slice(0, -1), good.timeRun.at(-1)! - 1] }), /: time_run entries add up to 11 for 12 records$/);
    expectBad(encode({ ...good, timeRun: [...good.timeRun, 1] }), /: time_step has 3 entries for 4 time runs$/);
    expectBad(encode({ ...good, timeRun: [0, ...good.timeRun.slice(1)] }), /: time_run entry 0 is 0/);
    expectBad(encode({ ...good, addressArg: [...good.addressArg, 5] }), /: address_arg has \d+ entries where the ops need \d+$/);
    const ops = Uint8Array.from(good.addressOp);
    ops[3] = OP.REUSE_TOP; // a free
    expectBad(encode({ ...good, addressOp: ops }), /: address_op: op 3 at record 3 does not apply to a record of kind 6$/);
    // both formats' columns, or neither
    expectBad(encode({ ...good, addressDelta: good.kind!.map(() => 16) }), /: address_delta or time_delta_us \(format 2\) mixed with address_op/);
    expectBad(encode({ ...recordBatchMessage(twelve), addressOp: good.addressOp }), /mixed with/);
    expectBad(encode({ kind: good.kind, size: good.size, stack: good.stack, thread: good.thread }), /: 12 records without addresses or times/);
    expectBad(encode({ ...good, addressOp: undefined, addressArg: undefined }), /: address_op has 0 entries for 12 records$/);
    expectBad(encode({ ...good, timeStep: undefined, timeRun: undefined }), /: time_run entries add up to 0 for 12 records$/);
  });

  it('says which record the model refuses, and why', () => {
    // Five marks (op 0, one arg each), then an allocation from an empty reuse list.
    const m: cap.IRecordBatch = {
      kind: [12, 12, 12, 12, 12, 3],
      size: [1, 1, 1, 1, 1, 64],
      stack: [0, 0, 0, 0, 0, 0],
      thread: [1, 1, 1, 1, 1, 1],
      addressOp: Uint8Array.of(0, 0, 0, 0, 0, OP.REUSE_TOP),
      addressArg: [0, 0, 0, 0, 0],
      timeStep: [0],
      timeRun: [6],
    };
    expectBad(encode(m), /^x\.bin: corrupt record batch: address_arg: op 3 at record 5 refers to an empty reuse list$/);
    expectBad(encode({ ...m, addressArg: [0, 0, 0, 1, 0] }), /: address_arg: op 0 at record 3 gives address -16, outside \[0, 2\^53\)$/);
    expectBad(encode({ ...m, kind: [12, 12, 12, 12, 12, 6], size: [1, 1, 1, 1, 1], stack: [0, 0, 0, 0, 0], addressOp: Uint8Array.of(0, 0, 0, 0, 0, OP.FREE_RECENT0) }), /: address_arg: op 16 at record 5 refers to the allocation 0 before the latest, beyond the 0 the model keeps$/);
    expectBad(encode({ ...m, kind: [12, 12, 12, 12, 12, 3], addressOp: Uint8Array.of(0, 0, 0, 0, 0, OP.NEXT_IN_POOL), size: [1, 1, 1, 1, 1, 600] }), /: address_op: op 4 at record 5 continues a pool, but size 600 is not pymalloc's$/);
    expectBad(encode({ ...m, addressArg: [0, 0, protobuf.util.Long.fromString('9007199254740992', true), 0, 0] }), /: address_arg: op 0 at record 2 has argument 9007199254740992, beyond 2\^53$/);
  });

  it('all decoders refuse the same mutated ops, args and runs, and the fast one says what the checked one says', () => {
    const r = rng(31);
    const int = (k: number): number => Math.floor(r() * k);
    const records = pymallocStream(32, 40000);
    const sizes = batchSizes(rng(33), 40000).filter((s) => s < 65536);
    let refused = 0;
    let accepted = 0;
    for (let trial = 0; trial < 150; trial++) {
      // A few batches of a capture, the last one mutated.
      const k = 1 + int(4);
      const take = sizes.slice(trial % 5, (trial % 5) + k);
      const batches = encodeStream(records, take);
      const m = message(batches[k - 1]!);
      for (let times = 1 + int(2); times > 0; times--) {
        const u = r();
        const ops = Uint8Array.from(m.addressOp);
        if (u < 0.35 && ops.length > 0) {
          ops[int(ops.length)] = r() < 0.8 ? int(80) : int(256);
          m.addressOp = ops;
        } else if (u < 0.65 && m.addressArg.length > 0) {
          const j = int(m.addressArg.length);
          const v = m.addressArg[j]!;
          m.addressArg[j] = r() < 0.3 ? v + 1 : r() < 0.5 ? Math.max(0, v - 1) : r() < 0.8 ? int(100) : 2 ** (40 + int(14));
        } else if (u < 0.75) {
          if (r() < 0.5) m.addressArg.splice(int(m.addressArg.length), 1);
          else m.addressArg.splice(int(m.addressArg.length + 1), 0, int(20));
        } else if (u < 0.85 && m.timeRun.length > 0) {
          const j = int(m.timeRun.length);
          m.timeRun[j] = Math.max(0, m.timeRun[j]! + (r() < 0.5 ? 1 : -1));
        } else if (u < 0.9) {
          m.timeStep[int(m.timeStep.length)] = 2 ** 50;
        } else if (ops.length > 1) {
          m.addressOp = ops.subarray(0, ops.length - 1);
        }
      }
      batches[k - 1] = encode(m);
      const d = new Decoders();
      let at = 0;
      for (let j = 0; j < k; j++) {
        const o = d.run(batches[j]!);
        if (j < k - 1) {
          expect('batch' in o.fast && 'batch' in o.checked && 'batch' in o.ref!).toBe(true);
          at += take[j]!;
          continue;
        }
        if ('error' in o.fast) {
          refused++;
          expect(o.checked).toEqual({ error: o.fast.error });
          expect('error' in o.ref!, o.fast.error).toBe(true);
          if (o.native) expect('error' in o.native).toBe(true);
          if (o.native && k === 1) expect(o.native).toEqual(o.fast);
        } else {
          accepted++;
          expect('batch' in o.checked && sameBatch(o.fast.batch, o.checked.batch)).toBe(true);
          expect('batch' in o.ref! && sameBatch(o.fast.batch, (o.ref as { batch: DecodedBatch }).batch)).toBe(true);
          if (o.native) expect('batch' in o.native && sameBatch(o.fast.batch, o.native.batch)).toBe(true);
        }
      }
    }
    expect(refused).toBeGreaterThan(60);
    expect(accepted).toBeGreaterThan(3);
  });

  it('never throws anything but BadCaptureError on mutated bytes, with the checked decoder’s message', () => {
    const r = rng(41);
    const int = (k: number): number => Math.floor(r() * k);
    const records = pymallocStream(42, 3000);
    const base = encodeStream(records, [1000, 1500, 500]);
    for (let iter = 0; iter < 1500; iter++) {
      const k = 1 + int(3);
      const bytes = Uint8Array.from(base[k - 1]!);
      for (let m = 1 + int(3); m > 0; m--) bytes[int(bytes.length)] = int(256);
      const cut = r() < 0.2 ? int(bytes.length) : bytes.length;
      const d = new Decoders();
      for (let j = 0; j < k - 1; j++) d.run(base[j]!);
      const o = d.run(bytes.subarray(0, cut));
      if ('error' in o.fast) expect(o.checked).toEqual(o.fast);
      else {
        expect('batch' in o.checked && sameBatch(o.fast.batch, o.checked.batch)).toBe(true);
        if (o.ref && 'batch' in o.ref) expect(sameBatch(o.fast.batch, o.ref.batch)).toBe(true);
      }
      if (o.native) expect('error' in o.native).toBe('error' in o.fast);
    }
  });

  it('accepts fields in any order, split, non-packed; address_op’s last occurrence counts', () => {
    const records = pymallocStream(51, 400);
    const m = message(recordBatchBytes3(records, new AddressEncoder()));
    const w = protobuf.Writer.create();
    w.uint32(7 << 3).uint64(m.baseTimeUs as number);
    w.uint32((8 << 3) | 2).bytes(Uint8Array.of(1, 2, 3)); // replaced below
    for (const v of m.timeRun) w.uint32(11 << 3).uint32(v);
    const half = m.addressArg.length >> 1;
    for (const part of [m.addressArg.slice(0, half), m.addressArg.slice(half)]) {
      w.uint32((9 << 3) | 2).fork();
      for (const v of part) w.uint64(v);
      w.ldelim();
    }
    w.uint32((8 << 3) | 2).bytes(m.addressOp);
    w.uint32((10 << 3) | 2).fork();
    for (const v of m.timeStep) w.uint64(v);
    w.ldelim();
    const rest = cap.RecordBatch.encode({ kind: m.kind, size: m.size, stack: m.stack, thread: m.thread }).finish();
    const head = w.finish();
    const bytes = new Uint8Array(head.length + rest.length);
    bytes.set(head);
    bytes.set(rest, head.length);
    for (const b of [decodeRecordBatch(bytes), new BatchDecoder('fresh', false).decode(bytes), checkedDecodeRecordBatch(bytes), referenceDecodeRecordBatch(bytes)]) {
      expect(diff(b, records)).toBeNull();
    }
  });
});

describe('format 2 and format 3 captures of the same records', () => {
  let workerFile = '';
  beforeAll(() => {
    workerFile = join(tempDir(), 'read-worker.js');
    buildSync({ entryPoints: [join(__dirname, '../../src/capture/read-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: workerFile, logLevel: 'silent' });
  });

  function capture(format: 2 | 3, records: TestRecord[], sizes: number[]): string {
    const b = new CaptureBuilder({ format })
      .header({ formatVersion: 3 })
      .code({ id: 1, filename: 'w.py', qualname: 'main', firstLine: 1, lineStarts: [0], lines: [1] })
      .nodes(Array.from({ length: 50 }, (_, i) => ({ id: i + 1, parent: i > 5 ? 1 + (i % 5) : 0, code: 1, offset: 0 })))
      .threads([1, 2, 3].map((id) => ({ id, name: `t${id}` })))
      .marks([1, 2, 3, 4, 5].map((id) => ({ id, name: `m${id}` })));
    let at = 0;
    sizes.forEach((s, i) => {
      b.batch(records.slice(at, at + s));
      at += s;
      if (i % 9 === 4) b.nodes([{ id: 60 + i, parent: 1, code: 1, offset: 0 }]);
    });
    return b.trailer({ records: records.length, batches: sizes.length }).writeTemp(`f${format}.bin`);
  }

  async function records(path: string, worker: boolean): Promise<number[][]> {
    const out: number[][] = [];
    await readCapture(
      path,
      {
        batch: (b) => {
          for (let i = 0; i < b.count; i++) out.push([b.kind[i]!, b.address[i]!, b.size[i]!, b.stack[i]!, b.thread[i]!, b.timeUs[i]!]);
        },
      },
      { reuseBatches: true, worker, workerFile },
    );
    return out;
  }

  it('reads, and computes stats and reports, alike', async () => {
    const recs = pymallocStream(61, 120000);
    const sizes = batchSizes(rng(62), recs.length);
    const [p2, p3] = [capture(2, recs, sizes), capture(3, recs, sizes)];
    const r2 = await records(p2, false);
    expect(r2.length).toBe(recs.length);
    expect(await records(p3, false)).toEqual(r2);
    expect(await records(p3, true)).toEqual(r2); // one decoder on the worker, through the shared slots
    const tables = new CaptureTables();
    const res = await readCapture(p3, withTables(tables, {}));
    expect(res.header!.formatVersion).toBe(3);
    expect(res.records).toBe(recs.length);
    const [s2, s3] = [await analyzeStats(p2), await analyzeStats(p3)];
    expect(s3.stats).toEqual(s2.stats);
    expect(s3.reducer.figures()).toEqual(s2.reducer.figures());
    const [a2, a3] = [await analyzeReport(p2), await analyzeReport(p3)];
    expect(a3.figures).toEqual(a2.figures);
    expect(a3.timeline).toEqual(a2.timeline);
  });
});

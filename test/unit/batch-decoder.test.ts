import { describe, expect, it } from 'vitest';
import * as protobuf from 'protobufjs/minimal';
import { pymemprof } from '../../src/capture/generated/capture';
import { BatchDecoder, decodeRecordBatch, DecodedBatch, KIND, kindHasSize, kindHasStack } from '../../src/capture/batch-decoder';
import { nativePasses } from '../../src/analysis/native-passes';
import { referenceDecodeRecordBatch, referenceDecodeBatchFrame } from '../../src/capture/reference-decoder';
import { BadCaptureError } from '../../src/errors';
import { recordBatchMessage, TestRecord } from '../helpers/capture-builder';
import { rng } from '../helpers/random';

import cap = pymemprof.capture;

function randomRecords(r: () => number, n: number): TestRecord[] {
  const out: TestRecord[] = [];
  let t = Math.floor(r() * 1e9);
  for (let i = 0; i < n; i++) {
    const kind = 1 + Math.floor(r() * 12);
    t += Math.floor(r() * 1000);
    const address = r() < 0.1 ? Math.floor(r() * 2 ** 47) : 0x7f0000000000 + Math.floor(r() * 2 ** 30) * 16;
    out.push({
      kind,
      address,
      size: r() < 0.05 ? Math.floor(r() * 2 ** 45) : Math.floor(r() * 4096),
      stack: r() < 0.05 ? 0xffffffff : Math.floor(r() * 100000),
      thread: 1 + Math.floor(r() * 8),
      timeUs: t,
    });
  }
  return out;
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

function expectRecords(b: DecodedBatch, records: TestRecord[]): void {
  expect(b.count).toBe(records.length);
  records.forEach((r, i) => {
    expect(b.kind[i]).toBe(r.kind);
    expect(b.address[i]).toBe(r.address);
    expect(b.size[i]).toBe(kindHasSize(r.kind) ? r.size ?? 0 : 0);
    expect(b.stack[i]).toBe(kindHasStack(r.kind) ? r.stack ?? 0 : 0);
    expect(b.thread[i]).toBe(r.thread ?? 1);
    expect(b.timeUs[i]).toBe(r.timeUs);
  });
}

function encodeBatch(m: cap.IRecordBatch): Uint8Array {
  return cap.RecordBatch.encode(m).finish();
}

function expectBad(bytes: Uint8Array, pattern?: RegExp): void {
  let err: unknown;
  try {
    decodeRecordBatch(bytes, 0, bytes.length, 'test.bin: frame at byte offset 0');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BadCaptureError);
  expect((err as BadCaptureError).code).toBe('BAD_CAPTURE');
  expect((err as BadCaptureError).exitCode).toBe(2);
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

describe('decodeRecordBatch', () => {
  it('decodes the records the writer encoded, agreeing with protobufjs', () => {
    const r = rng(1);
    for (const n of [0, 1, 2, 7, 100, 5000]) {
      const records = randomRecords(r, n);
      const bytes = encodeBatch(recordBatchMessage(records));
      const fast = decodeRecordBatch(bytes);
      const ref = referenceDecodeRecordBatch(bytes);
      expect(plain(fast)).toEqual(plain(ref));
      expectRecords(fast, records);
    }
  });

  it('agrees with the reference decoder on a batch inside a Frame', () => {
    const records = randomRecords(rng(2), 300);
    const frame = cap.Frame.encode({ batch: recordBatchMessage(records) }).finish();
    // Frame = tag 0x2a, varint length, payload
    const c = { pos: 1 };
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = frame[c.pos++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    const fast = decodeRecordBatch(frame, c.pos, c.pos + len);
    expect(plain(fast)).toEqual(plain(referenceDecodeBatchFrame(frame)));
  });

  it('accepts fields in any order, split packed fields and the non-packed encoding', () => {
    const records: TestRecord[] = [
      { kind: KIND.ALLOC_OBJ, address: 0x1000, size: 64, stack: 3, thread: 1, timeUs: 10 },
      { kind: KIND.FREE_OBJ, address: 0x1000, thread: 2, timeUs: 12 },
      { kind: KIND.MARK, address: 0, size: 1, stack: 4, thread: 1, timeUs: 13 },
      { kind: KIND.ARENA_ALLOC, address: 0x7f0000000000, size: 1 << 20, thread: 1, timeUs: 15 },
    ];
    const m = recordBatchMessage(records, 10);
    const w = protobuf.Writer.create();
    w.uint32((7 << 3) | 0).uint64(10); // base time first
    // time non-packed
    for (const t of m.timeDeltaUs!) w.uint32((6 << 3) | 0).uint64(t as number);
    // stack packed, in two pieces
    w.uint32((4 << 3) | 2).fork().uint32(3).ldelim();
    w.uint32((4 << 3) | 2).fork().uint32(4).ldelim();
    // unknown fields of every skippable wire type
    w.uint32((15 << 3) | 2).bytes(new Uint8Array([1, 2, 3]));
    w.uint32((16 << 3) | 5).fixed32(7);
    w.uint32((17 << 3) | 1).fixed64(7);
    w.uint32((18 << 3) | 0).uint64(2 ** 40);
    // kind non-packed
    for (const k of m.kind!) w.uint32((1 << 3) | 0).uint32(k);
    // address packed
    w.uint32((2 << 3) | 2).fork();
    for (const a of m.addressDelta!) w.sint64(a as number);
    w.ldelim();
    // size: mixed
    w.uint32((3 << 3) | 0).uint64(m.size![0] as number);
    w.uint32((3 << 3) | 2).fork().uint64(m.size![1] as number).uint64(m.size![2] as number).ldelim();
    w.uint32((5 << 3) | 2).fork();
    for (const t of m.thread!) w.uint32(t);
    w.ldelim();
    const bytes = w.finish();
    const fast = decodeRecordBatch(bytes);
    expectRecords(fast, records);
    expect(plain(fast)).toEqual(plain(referenceDecodeRecordBatch(bytes)));
  });

  it('rejects columns of the wrong length', () => {
    const good = recordBatchMessage([
      { kind: KIND.ALLOC_RAW, address: 16, size: 8, stack: 1, timeUs: 1 },
      { kind: KIND.FREE_RAW, address: 16, timeUs: 2 },
    ]);
    expectBad(encodeBatch({ ...good, addressDelta: [16] }), /address entries/);
    expectBad(encodeBatch({ ...good, thread: [1, 1, 1] }), /thread entries/);
    expectBad(encodeBatch({ ...good, timeDeltaUs: [] }), /time entries/);
    expectBad(encodeBatch({ ...good, size: [8, 8] }), /size entries/);
    expectBad(encodeBatch({ ...good, stack: [] }), /stack entries/);
    expectBad(encodeBatch({ ...good, kind: [1, 13] }), /unknown record kind 13/);
    expectBad(encodeBatch({ ...good, kind: [1, 0] }), /unknown record kind 0/);
  });

  it('rejects overruns, bad lengths and unknown wire types', () => {
    const bytes = encodeBatch(recordBatchMessage(randomRecords(rng(3), 20)));
    // cut in the middle of a packed column: the length runs past the end
    expectBad(bytes.subarray(0, 5));
    // a packed column ending inside a varint
    expectBad(new Uint8Array([0x0a, 0x02, 0x01, 0x81]), /inside a varint/);
    // varint longer than 10 bytes
    expectBad(new Uint8Array([0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /10 bytes/);
    // unknown wire types (3, 4, 6, 7) on unknown and known fields
    for (const wire of [3, 4, 6, 7]) {
      expectBad(new Uint8Array([(20 << 3) | wire, 0]), /wire type/);
      expectBad(new Uint8Array([(1 << 3) | wire, 0]), /wire type/);
    }
    // known field with a wrong (but valid) wire type
    expectBad(new Uint8Array([(7 << 3) | 2, 0]), /wire type/);
    // field number 0
    expectBad(new Uint8Array([0x02, 0x00]), /field number 0/);
    // huge length
    expectBad(new Uint8Array([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), /runs past/);
  });

  it('never throws anything but BadCaptureError on mutated input, and allocates proportionally', () => {
    const r = rng(4);
    const base = encodeBatch(recordBatchMessage(randomRecords(r, 200)));
    let ok = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const bytes = Uint8Array.from(base);
      const mutations = 1 + Math.floor(r() * 4);
      for (let m = 0; m < mutations; m++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      const cut = r() < 0.3 ? Math.floor(r() * bytes.length) : bytes.length;
      try {
        const b = decodeRecordBatch(bytes, 0, cut);
        expect(b.count).toBeLessThanOrEqual(cut);
        ok++;
      } catch (e) {
        if (!(e instanceof BadCaptureError)) throw e;
      }
    }
    expect(ok).toBeGreaterThanOrEqual(0);
  });

  it('decodes alike with the native column decoder and the TypeScript one, valid or mutated', () => {
    expect(nativePasses()).not.toBeNull(); // built by `npm run build`
    const r = rng(5);
    const outcome = (native: boolean, bytes: Uint8Array, cut: number) => {
      try {
        return plain(new BatchDecoder('fresh', native).decode(bytes, 0, cut, 'x.bin'));
      } catch (e) {
        if (!(e instanceof BadCaptureError)) throw e;
        return e.message;
      }
    };
    let decoded = 0;
    let refused = 0;
    for (let iter = 0; iter < 2000; iter++) {
      // Sizes, addresses and time deltas up to 2^64: values beyond 2^53 must round alike.
      const records = randomRecords(r, 1 + Math.floor(r() * 300));
      const big = r() < 0.2;
      const msg = recordBatchMessage(records);
      if (big) msg.size = msg.size!.map((v, i) => (i % 7 === 0 ? protobuf.util.Long.fromString('18446744073709551615', true) : v));
      const bytes = Uint8Array.from(encodeBatch(msg));
      if (iter % 2 === 1) {
        const mutations = 1 + Math.floor(r() * 4);
        for (let m = 0; m < mutations; m++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      }
      const cut = r() < 0.2 ? Math.floor(r() * bytes.length) : bytes.length;
      const a = outcome(true, bytes, cut);
      const b = outcome(false, bytes, cut);
      expect(a).toEqual(b);
      if (typeof a === 'string') refused++;
      else decoded++;
    }
    expect(decoded).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(300);
  });
});

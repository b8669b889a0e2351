/**
 * Robustness of the capture decoders: a short deterministic run of the mutation fuzzer
 * (scripts/fuzz-capture.js, here on the TypeScript sources), and hand-made hostile captures, each
 * read in memory, from a file and on a worker thread, with the exact error class, code and message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pymemprof } from '../../src/capture/generated/capture';
import {
  BatchDecoder,
  checkedDecodeRecordBatch,
  decodeRecordBatch,
  DecodedBatch,
  KIND,
  newBatchArrays,
} from '../../src/capture/batch-decoder';
import { referenceDecodeBatchFrame, referenceDecodeRecordBatch } from '../../src/capture/reference-decoder';
import { CaptureTables, readCapture, readCaptureBytes, ReadOptions, ReadResult, withTables } from '../../src/capture/reader';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { BadCaptureError, PymemprofError } from '../../src/errors';
import { CaptureBuilder, cleanupTemp, tempDir, writeTempBytes } from '../helpers/capture-builder';

import cap = pymemprof.capture;

// The fuzzer is a plain Node script; its engine takes the decoders as an argument.
const fuzz = createRequire(__filename)('../../scripts/fuzz-capture.js');

const api = {
  readCaptureBytes,
  CaptureTables,
  withTables,
  BatchDecoder,
  newBatchArrays,
  decodeRecordBatch,
  checkedDecodeRecordBatch,
  referenceDecodeRecordBatch,
  referenceDecodeBatchFrame,
  PymemprofError,
};

afterAll(cleanupTemp);

const varint = (v: number | bigint): Uint8Array => fuzz.varint(v);
const bytes = (...parts: (Uint8Array | number[])[]): Uint8Array => {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
};
/** A length-delimited field: tag for (field, wire type 2), length, payload. */
const lenField = (field: number, payload: Uint8Array, length: number | bigint = payload.length): Uint8Array =>
  bytes(varint(field * 8 + 2), varint(length), payload);
/** A frame: its length prefix, then the body as given. */
const frame = (body: Uint8Array): Uint8Array => bytes(varint(body.length), body);
const TWO60 = 2n ** 60n;

function header(): Uint8Array {
  return new CaptureBuilder().header().bytes();
}

/** A capture with tables and two batches, without its trailer. */
function prefix(): CaptureBuilder {
  return new CaptureBuilder()
    .header()
    .code({ id: 1, filename: 'h.py', qualname: 'main', lineStarts: [0], lines: [1] })
    .nodes([{ id: 1, parent: 0, code: 1, offset: 0 }])
    .batch([
      { kind: KIND.ALLOC_OBJ, address: 0x1000, size: 32, stack: 1, timeUs: 1 },
      { kind: KIND.FREE_OBJ, address: 0x1000, timeUs: 2 },
    ])
    .batch([{ kind: KIND.ALLOC_RAW, address: 0x2000, size: 64, stack: 1, timeUs: 3 }]);
}

/** A RecordBatch frame around a hand-encoded payload. */
const batchFrame = (payload: Uint8Array): Uint8Array => frame(lenField(5, payload));

const NAME = 'hostile.bin';
const LIMIT = 32 << 20;

let workerFile = '';
beforeAll(() => {
  workerFile = join(tempDir(), 'read-worker.js');
  buildSync({
    entryPoints: [join(__dirname, '../../src/capture/read-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: workerFile,
    logLevel: 'silent',
  });
});

interface Read {
  res?: ReadResult;
  err?: unknown;
  records: number;
}

/** Reads with the allocation guard on: any single allocation over LIMIT fails the test. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  const guard = fuzz.installAllocGuard();
  guard.limit = LIMIT;
  try {
    return await fn();
  } finally {
    guard.uninstall();
    expect(guard.tripped, 'allocation over the limit').toBeNull();
  }
}

async function read(how: 'memory' | 'file' | 'worker', input: Uint8Array, path: string): Promise<Read> {
  let records = 0;
  const visitor = { batch: (b: DecodedBatch) => void (records += b.count) };
  const options: ReadOptions = how === 'worker' ? { reuseBatches: true, worker: true, workerFile } : { reuseBatches: true, worker: false };
  try {
    const res = how === 'memory' ? await guarded(() => readCaptureBytes(input, NAME, visitor, options)) : await guarded(() => readCapture(path, visitor, options));
    return { res, records };
  } catch (err) {
    return { err, records };
  }
}

/** Each read path must throw BadCaptureError with `code` and a one-line message naming the input. */
async function expectRejected(input: Uint8Array, code: string, pattern: RegExp): Promise<void> {
  const path = writeTempBytes(input, NAME);
  for (const how of ['memory', 'file', 'worker'] as const) {
    const r = await read(how, input, path);
    expect(r.err, `${how}: ${r.res ? 'no error' : ''}`).toBeInstanceOf(BadCaptureError);
    const e = r.err as BadCaptureError;
    expect(e.code, how).toBe(code);
    expect(e.message, how).toMatch(pattern);
    expect(e.message, how).toContain(how === 'memory' ? NAME : path);
    expect(e.message, how).not.toMatch(/[\r\n]/);
  }
}

/** Each read path must read `records` records and end with a truncation warning matching `pattern`. */
async function expectTruncated(input: Uint8Array, records: number, pattern: RegExp): Promise<void> {
  const path = writeTempBytes(input, NAME);
  for (const how of ['memory', 'file', 'worker'] as const) {
    const r = await read(how, input, path);
    expect(r.err, how).toBeUndefined();
    expect(r.records, how).toBe(records);
    expect(r.res!.truncated, how).toBe(true);
    expect(r.res!.warnings.join('\n'), how).toMatch(pattern);
  }
}

function expectBatchRejected(fn: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BadCaptureError);
  expect((err as BadCaptureError).code).toBe('BAD_CAPTURE');
  expect((err as Error).message).toMatch(pattern);
}

describe('capture fuzzer', () => {
  it('runs 20,000 mutated captures through every decode path without a finding', async () => {
    const seeds = fuzz.makeSeeds(cap);
    const guard = fuzz.installAllocGuard();
    const findings: { iteration: number; problems: { kind: string; path: string; detail: string }[] }[] = [];
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 4;
    let stats;
    try {
      stats = await fuzz.runLoop(api, seeds, {
        seed: 7,
        start: 0,
        end: 20000,
        stride: 1,
        guard,
        maxAllocBytes: 64 << 20,
        timeoutMs: 5000,
        onFinding: (f: (typeof findings)[number]) => findings.push({ iteration: f.iteration, problems: f.problems }),
      });
    } finally {
      Error.stackTraceLimit = limit;
      guard.uninstall();
    }
    expect(findings.slice(0, 3)).toEqual([]);
    expect(stats.inputs).toBe(20000);
    // The mutations reach every outcome: whole reads, truncated reads and rejections.
    expect(stats.ok).toBeGreaterThan(2000);
    expect(stats.truncated).toBeGreaterThan(1000);
    expect(stats.errors.BAD_CAPTURE).toBeGreaterThan(2000);
  });

  it('reports untyped errors, disagreements and large allocations (a planted bug each)', async () => {
    const seeds = fuzz.makeSeeds(cap);
    const kinds = async (decode: (...args: Parameters<typeof decodeRecordBatch>) => DecodedBatch): Promise<Set<string>> => {
      const found = new Set<string>();
      const guard = fuzz.installAllocGuard();
      try {
        await fuzz.runLoop({ ...api, decodeRecordBatch: decode }, seeds, {
          seed: 3,
          start: 0,
          end: 300,
          stride: 1,
          guard,
          maxAllocBytes: 1 << 20,
          onFinding: (f: { problems: { kind: string; path: string }[] }) => f.problems.forEach((p) => found.add(`${p.kind} ${p.path}`)),
        });
      } finally {
        guard.uninstall();
      }
      return found;
    };
    expect(
      await kinds((b, s, e, c) => {
        if (e - s > 100) throw new TypeError('planted');
        return decodeRecordBatch(b, s, e, c);
      }),
    ).toContain('crash decodeRecordBatch');
    expect(
      await kinds((b, s, e, c) => {
        const d = decodeRecordBatch(b, s, e, c);
        if (d.count > 1) d.size[1] += 1;
        return d;
      }),
    ).toContain('mismatch decodeRecordBatch');
    expect(
      await kinds((b, s, e, c) => {
        void new Float64Array(1 << 20); // 8 MiB, over the 1 MiB limit of this run
        return decodeRecordBatch(b, s, e, c);
      }),
    ).toContain('alloc allocation');
    expect(await kinds(() => { throw new BadCaptureError('corrupt, but the message names nothing'); })).toContain('message decodeRecordBatch');
  });
});

describe('hostile captures', () => {
  it('a frame length of 2^60: not a capture as the first frame, truncation after complete frames, no allocation', async () => {
    await expectRejected(bytes(varint(TWO60), [1, 2, 3]), 'BAD_CAPTURE', /: not a pymemprof capture$/);
    await expectTruncated(
      bytes(prefix().bytes(), varint(TWO60), new Uint8Array(100)),
      3,
      /capture is truncated \(the frame at byte offset \d+ needs 1152921504606847000 bytes, 100 remain\)/,
    );
    // 2^63 - 1 and 2^64 - 1 as well
    await expectTruncated(bytes(prefix().bytes(), varint(2n ** 63n - 1n), [0]), 3, /needs 9223372036854776000 bytes, 1 remain/);
    await expectTruncated(bytes(prefix().bytes(), varint(2n ** 64n - 1n), [0]), 3, /needs 18446744073709552000 bytes, 1 remain/);
  });

  it('a batch field claiming 2^60 bytes inside a frame', async () => {
    const input = bytes(prefix().bytes(), frame(bytes([0x2a], varint(TWO60), [0x0a, 0x01, 0x01])));
    await expectRejected(input, 'BAD_CAPTURE', /: frame at byte offset \d+: corrupt frame: frame field 5: length 1152921504606847000 runs past the end$/);
  });

  it('a string table entry claiming 2^60 bytes (protobufjs alone would read it as 0)', async () => {
    // CodeObjects { CodeObject { id: 1, filename: <2^60 bytes> "abc" } }
    const code = bytes([0x08, 0x01], lenField(4, Uint8Array.from([0x61, 0x62, 0x63]), TWO60));
    const input = bytes(header(), frame(lenField(2, lenField(1, code))));
    await expectRejected(
      input,
      'BAD_CAPTURE',
      /frame at byte offset \d+: corrupt frame: frame field 2 field 1 field 4: length 1152921504606847000 runs past the end$/,
    );
    // 2^32 + 3 reads as 3 in protobufjs: refused as well
    const code2 = bytes([0x08, 0x01], lenField(4, Uint8Array.from([0x61, 0x62, 0x63]), 2 ** 32 + 3));
    await expectRejected(bytes(header(), frame(lenField(2, lenField(1, code2)))), 'BAD_CAPTURE', /field 4: length 4294967299 runs past the end$/);
    // in the header: not a capture
    const h = cap.Header.encode({ magic: 'pymemprof', formatVersion: 1 }).finish();
    await expectRejected(frame(lenField(1, bytes(h, [0x3a], varint(TWO60), [0x61]))), 'BAD_CAPTURE', /: not a pymemprof capture$/);
  });

  it('a packed column longer than the batch, the frame and the file', async () => {
    const input = bytes(prefix().bytes(), batchFrame(bytes(lenField(1, Uint8Array.from([1, 1]), 1_000_000))));
    await expectRejected(input, 'BAD_CAPTURE', /frame at byte offset \d+: corrupt record batch: field 1 length 1000000 runs past the end$/);
    const payload = lenField(1, Uint8Array.from([1, 1]), 1_000_000);
    expectBatchRejected(() => decodeRecordBatch(payload, 0, payload.length, 'ctx'), /^ctx: corrupt record batch: field 1 length 1000000 runs past the end$/);
    expectBatchRejected(() => referenceDecodeRecordBatch(payload, 'ctx'), /^ctx: corrupt record batch: index out of range/);
    // a stack node column claiming 2^60
    const nodes = bytes(header(), frame(lenField(3, lenField(1, Uint8Array.from([1]), TWO60))));
    await expectRejected(nodes, 'BAD_CAPTURE', /corrupt frame: frame field 3 field 1: length 1152921504606847000 runs past the end$/);
  });

  it('overlong, negative and overflowing varints', async () => {
    // an 11-byte frame length
    await expectRejected(bytes(prefix().bytes(), new Uint8Array(10).fill(0xff), [0x01, 0x00]), 'BAD_CAPTURE', /: corrupt capture: bad frame length at byte offset \d+$/);
    // a kind of 11 bytes; -1 as a 10-byte varint (unknown kind 2^64 - 1)
    const eleven = new Uint8Array(11).fill(0xff);
    eleven[10] = 0x01;
    await expectRejected(
      bytes(prefix().bytes(), batchFrame(lenField(1, eleven))),
      'BAD_CAPTURE',
      /corrupt record batch: kind column has a varint longer than 10 bytes$/,
    );
    const minus1 = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const rec = (kind: Uint8Array, addr: Uint8Array) =>
      bytes(lenField(1, kind), lenField(2, addr), lenField(3, [8]), lenField(4, [1]), lenField(5, [1]), lenField(6, [0]));
    await expectRejected(bytes(prefix().bytes(), batchFrame(rec(minus1, Uint8Array.of(0)))), 'BAD_CAPTURE', /unknown record kind 18446744073709552000 \(record 0\)$/);
    // address delta zig-zag 2^64 - 1 = -2^63: a negative address
    await expectRejected(bytes(prefix().bytes(), batchFrame(rec(Uint8Array.of(1), minus1))), 'BAD_CAPTURE', /negative address \(record 0\)$/);
    // a 10-byte field tag
    await expectRejected(bytes(prefix().bytes(), batchFrame(bytes(minus1, [0]))), 'BAD_CAPTURE', /corrupt record batch: field tag out of range$/);
    // a tag as the last byte of a batch: the value is missing, and must not be read from the next frame
    const last = bytes(rec(Uint8Array.of(1), Uint8Array.of(2)), [7 << 3]);
    await expectRejected(bytes(prefix().bytes(), batchFrame(last), new CaptureBuilder().trailer().bytes()), 'BAD_CAPTURE', /corrupt record batch: varint runs past the end$/);
    // a 32-bit table field of 6 bytes (protobufjs would step over 10)
    const id = bytes([0x08], [0x81, 0x80, 0x80, 0x80, 0x80, 0x00]);
    await expectRejected(bytes(header(), frame(lenField(4, lenField(1, id)))), 'BAD_CAPTURE', /frame field 4 field 1 field 1: a 32-bit varint longer than 5 bytes$/);
  });

  it('address deltas beyond 2^53 keep their sign in every decoder', () => {
    // +2^60 then -2^60: z = 2^61 then 2^61 - 1, which rounds to the even 2^61 as a double.
    const payload = bytes(lenField(1, [1, 1]), lenField(2, bytes(varint(2n ** 61n), varint(2n ** 61n - 1n))), lenField(3, [8, 8]), lenField(4, [1, 1]), lenField(5, [1, 1]), lenField(6, [0, 0]));
    for (const d of [decodeRecordBatch(payload), checkedDecodeRecordBatch(payload), referenceDecodeRecordBatch(payload)]) {
      expect([...d.address]).toEqual([2 ** 60, 0]);
    }
  });

  it('huge repeated counts: 200,000 kinds for one address; node ids far beyond the table', async () => {
    const kinds = new Uint8Array(200_000).fill(KIND.FREE_OBJ);
    const payload = bytes(lenField(1, kinds), lenField(2, [2]), lenField(5, [1]), lenField(6, [0]));
    await expectRejected(bytes(prefix().bytes(), batchFrame(payload)), 'BAD_CAPTURE', /corrupt record batch: 1 address entries for 200000 records$/);
    const nodes = new CaptureBuilder().header().nodes([{ id: 0xffffffff, parent: 0, code: 1, offset: 0 }]).bytes();
    await expectRejected(nodes, 'BAD_CAPTURE', /corrupt stack node table: node id 4294967295 out of range \(1 nodes defined\)$/);
  });

  it('a million zero-length frames: read in linear time, the records around them kept', async () => {
    const input = bytes(prefix().bytes(), new Uint8Array(1_000_000), new CaptureBuilder().trailer().bytes());
    const t0 = performance.now();
    const res = await guarded(() => readCaptureBytes(input, NAME, {}, { chunkSize: 4096 }));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(res.frames).toBe(5 + 1_000_000 + 1);
    expect(res.records).toBe(3);
    expect(res.truncated).toBe(false);
    expect(res.warnings).toEqual([]);
    // as the first frame: not a capture
    await expectRejected(new Uint8Array(1000), 'BAD_CAPTURE', /: not a pymemprof capture$/);
  });

  it('a file of 0xff, an empty file, just the magic', async () => {
    await expectRejected(new Uint8Array(4096).fill(0xff), 'BAD_CAPTURE', /: corrupt capture: bad frame length at byte offset 0$/);
    await expectRejected(Buffer.from('pymemprof'), 'BAD_CAPTURE', /: not a pymemprof capture$/);
    // Empty, and a header cut right after the magic: truncated captures with nothing complete in
    // them (the reader warns; stats, which needs the header, refuses).
    const h = header();
    const cut = h.subarray(0, Buffer.from(h).indexOf('pymemprof') + 9);
    expect(Buffer.from(cut).toString('latin1')).toMatch(/pymemprof$/);
    for (const [input, warning] of [
      [new Uint8Array(0), /truncated \(empty file\)/],
      [cut, /truncated \(the frame at byte offset 0 needs \d+ bytes, \d+ remain\)/],
    ] as const) {
      await expectTruncated(input, 0, warning);
      const res = (await read('memory', input, '')).res!;
      expect(res.header).toBeNull();
      const path = writeTempBytes(input, NAME);
      await expect(analyzeStats(path, { worker: false })).rejects.toThrow(BadCaptureError);
      await expect(analyzeStats(path, { worker: false })).rejects.toMatchObject({ code: 'BAD_CAPTURE', message: expect.stringMatching(/truncated before its header/) });
    }
  });

  it('protobufjs errors from the reference decoder are BadCaptureError naming the input', () => {
    expectBatchRejected(() => referenceDecodeBatchFrame(Uint8Array.of(0x4f), 'f.bin: frame at byte offset 9'), /^f\.bin: frame at byte offset 9: corrupt record batch: invalid wire type 7 at offset 1$/);
    expectBatchRejected(() => referenceDecodeBatchFrame(cap.Frame.encode({ trailer: {} }).finish(), 'ctx'), /^ctx: reference decoder: frame holds no batch$/);
    expectBatchRejected(() => referenceDecodeRecordBatch(Uint8Array.of(0x0a, 0x05, 1), 'ctx'), /^ctx: corrupt record batch: index out of range/);
  });
});

/**
 * Builds capture files by hand with the generated protobufjs encoders, for tests.
 *
 *   const b = new CaptureBuilder().header().code({ id: 1, filename: 'fixture.py', qualname: 'build', ... })
 *     .nodes([{ id: 1, parent: 0, code: 1, offset: 10 }]).batch([{ kind: KIND.ALLOC_OBJ, address: 0x1000, size: 64, stack: 1, timeUs: 5 }])
 *     .trailer();
 *   const path = await b.writeTemp();
 *
 * Batches are written as format 2 has them (address and time deltas) unless the builder is made with
 * `{ format: 3 }`: then as the C++ writer writes format 3 (address model, time runs), field for field.
 * `{ format: 4 }` also writes stack node tables as the writer does from format 4 (ids implied by the
 * first, parents counted back), when their ids are consecutive and parents come first.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as protobuf from 'protobufjs/minimal';
import { pymemprof } from '../../src/capture/generated/capture';
import { DecodedBatch, kindHasSize, kindHasStack } from '../../src/capture/batch-decoder';
import { AddressEncoder } from '../../src/capture/address-model';

import cap = pymemprof.capture;

export interface TestRecord {
  kind: number;
  address: number;
  /** For kinds with a size entry (ALLOC/RESIZE/ARENA_ALLOC/MARK). */
  size?: number;
  /** For kinds with a stack entry (ALLOC/RESIZE/MARK). */
  stack?: number;
  thread?: number;
  timeUs: number;
}

/** Records as a reducer receives them, decoded (thread 1 unless given). */
export function decodedBatch(records: TestRecord[]): DecodedBatch {
  return {
    count: records.length,
    kind: Uint8Array.from(records, (r) => r.kind),
    address: Float64Array.from(records, (r) => r.address),
    size: Float64Array.from(records, (r) => r.size ?? 0),
    stack: Uint32Array.from(records, (r) => r.stack ?? 0),
    thread: Uint32Array.from(records, (r) => r.thread ?? 1),
    timeUs: Float64Array.from(records, (r) => r.timeUs),
    baseTimeUs: 0,
  };
}

export interface TestCode {
  id: number;
  filename: string;
  qualname: string;
  name?: string;
  firstLine?: number;
  lineStarts?: number[];
  lines?: number[];
}

/** Length-delimits one encoded Frame. */
export function delimit(frame: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(frame.length);
  const prefix = w.finish();
  const out = new Uint8Array(prefix.length + frame.length);
  out.set(prefix, 0);
  out.set(frame, prefix.length);
  return out;
}

/** Encodes records as a RecordBatch message (fields as the writer does: sparse size/stack, deltas). */
export function recordBatchMessage(records: TestRecord[], baseTimeUs?: number): cap.IRecordBatch {
  const base = baseTimeUs ?? (records.length ? records[0]!.timeUs : 0);
  const m: cap.IRecordBatch = { kind: [], addressDelta: [], size: [], stack: [], thread: [], timeDeltaUs: [], baseTimeUs: base };
  let prev = 0;
  let prevTime = base;
  for (const r of records) {
    m.kind!.push(r.kind);
    m.addressDelta!.push(r.address - prev);
    prev = r.address;
    if (kindHasSize(r.kind)) m.size!.push(r.size ?? 0);
    if (kindHasStack(r.kind)) m.stack!.push(r.stack ?? 0);
    m.thread!.push(r.thread ?? 1);
    if (r.timeUs < prevTime) throw new Error('test records must be in time order (time deltas are cumulative)');
    m.timeDeltaUs!.push(r.timeUs - prevTime);
    prevTime = r.timeUs;
  }
  return m;
}

/** Packed column: tag, length, payload (omitted when empty, as the writer does). */
function packedField(w: protobuf.Writer, field: number, values: readonly number[], wide: boolean): void {
  if (values.length === 0) return;
  w.uint32((field << 3) | 2).fork();
  for (const v of values) {
    if (wide) w.uint64(v);
    else w.uint32(v);
  }
  w.ldelim();
}

/**
 * Encodes records as a format-3 RecordBatch message, its bytes as the C++ writer (native/capture/wire.cpp)
 * lays them out: fields 1, 3, 4, 5, 8, 9, 10, 11, then 7 when not 0. `encoder` holds the address
 * model of the capture's batches so far (one per capture, every batch through it in order).
 */
export function recordBatchBytes3(records: TestRecord[], encoder: AddressEncoder, baseTimeUs?: number): Uint8Array {
  const base = baseTimeUs ?? (records.length ? records[0]!.timeUs : 0);
  const kind: number[] = [];
  const size: number[] = [];
  const stack: number[] = [];
  const thread: number[] = [];
  const ops: number[] = [];
  const args: number[] = [];
  const steps: number[] = [];
  const runs: number[] = [];
  encoder.startBatch();
  let prevTime = base;
  for (const r of records) {
    kind.push(r.kind);
    ops.push(encoder.encode(r.kind, r.address, r.size ?? 0, args));
    if (kindHasSize(r.kind)) size.push(r.size ?? 0);
    if (kindHasStack(r.kind)) stack.push(r.stack ?? 0);
    thread.push(r.thread ?? 1);
    if (r.timeUs < prevTime) throw new Error('test records must be in time order (time steps are cumulative)');
    if (runs.length === 0 || r.timeUs !== prevTime) {
      steps.push(r.timeUs - prevTime);
      runs.push(0);
      prevTime = r.timeUs;
    }
    runs[runs.length - 1]!++;
  }
  const w = protobuf.Writer.create();
  packedField(w, 1, kind, false);
  packedField(w, 3, size, true);
  packedField(w, 4, stack, false);
  packedField(w, 5, thread, false);
  if (ops.length) w.uint32((8 << 3) | 2).bytes(Uint8Array.from(ops));
  packedField(w, 9, args, true);
  packedField(w, 10, steps, true);
  packedField(w, 11, runs, false);
  if (base !== 0) w.uint32(7 << 3).uint64(base);
  return w.finish();
}

/** A Frame holding the batch message `batch`. */
export function batchFrameBytes(batch: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((5 << 3) | 2).bytes(batch);
  return w.finish();
}

export interface CaptureBuilderOptions {
  /** How batches are written: 2 (deltas; the default) or 3 (address model and time runs); 4 as 3, with format 4's node tables. */
  format?: 2 | 3 | 4;
}

export class CaptureBuilder {
  /** Each entry: one length-delimited frame. */
  readonly frames: Uint8Array[] = [];
  readonly format: 2 | 3 | 4;
  private encoder: AddressEncoder | null = null;

  constructor(options: CaptureBuilderOptions = {}) {
    this.format = options.format ?? 2;
  }

  /** Format 3: the address model of the batches written so far (made when first needed: it is large). */
  get addresses(): AddressEncoder {
    return (this.encoder ??= new AddressEncoder());
  }

  frame(f: cap.IFrame): this {
    return this.raw(delimit(cap.Frame.encode(f).finish()));
  }

  /** Appends bytes as they are (for malformed input). */
  raw(bytes: Uint8Array): this {
    this.frames.push(bytes);
    return this;
  }

  header(h: cap.IHeader = {}): this {
    return this.frame({
      header: {
        magic: 'pymemprof',
        formatVersion: this.format === 2 ? 1 : this.format,
        pythonVersion: '3.11.7',
        pythonHexversion: 0x030b07f0,
        geometry: { arenaSize: 1 << 20, poolSize: 16384, alignment: 16, smallRequestThreshold: 512 },
        pid: 4242,
        argv: ['fixture.py'],
        startTimeUnixUs: 1_700_000_000_000_000,
        executable: '/usr/bin/python3',
        sampleBytes: 0,
        ...h,
      },
    });
  }

  code(...codes: TestCode[]): this {
    return this.frame({
      codeObjects: {
        code: codes.map((c) => ({
          id: c.id,
          name: c.name ?? c.qualname.split('.').pop(),
          qualname: c.qualname,
          filename: c.filename,
          firstLine: c.firstLine ?? 1,
          lineStarts: c.lineStarts ?? [],
          lines: c.lines ?? [],
        })),
      },
    });
  }

  nodes(nodes: { id: number; parent: number; code: number; offset: number }[]): this {
    const consecutive = nodes.length > 0 && nodes.every((n, i) => n.id === nodes[0]!.id + i);
    const parentsFirst = nodes.every((n) => n.parent < n.id);
    if (this.format === 4 && consecutive && parentsFirst) {
      return this.frame({
        stackNodes: {
          firstId: nodes[0]!.id,
          parentBack: nodes.map((n) => n.id - n.parent),
          code: nodes.map((n) => n.code),
          offset: nodes.map((n) => n.offset),
        },
      });
    }
    return this.frame({
      stackNodes: {
        id: nodes.map((n) => n.id),
        parent: nodes.map((n) => n.parent),
        code: nodes.map((n) => n.code),
        offset: nodes.map((n) => n.offset),
      },
    });
  }

  threads(threads: { id: number; nativeId?: number; name?: string }[]): this {
    return this.frame({ threads: { thread: threads.map((t) => ({ id: t.id, nativeId: t.nativeId ?? 1000 + t.id, name: t.name ?? '' })) } });
  }

  marks(marks: { id: number; name: string }[]): this {
    return this.frame({ marks: { mark: marks } });
  }

  batch(records: TestRecord[], baseTimeUs?: number): this {
    if (this.format !== 2) return this.raw(delimit(batchFrameBytes(recordBatchBytes3(records, this.addresses, baseTimeUs))));
    return this.frame({ batch: recordBatchMessage(records, baseTimeUs) });
  }

  trailer(t: cap.ITrailer = {}): this {
    return this.frame({ trailer: { records: 0, allocations: 0, frees: 0, durationUs: 0, batches: 0, droppedRecords: 0, ...t } });
  }

  /** The whole capture. */
  bytes(): Uint8Array {
    const total = this.frames.reduce((n, f) => n + f.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const f of this.frames) {
      out.set(f, o);
      o += f.length;
    }
    return out;
  }

  /** Byte offset where each frame ends (cumulative). */
  frameEnds(): number[] {
    const ends: number[] = [];
    let o = 0;
    for (const f of this.frames) ends.push((o += f.length));
    return ends;
  }

  write(path: string): string {
    writeFileSync(path, this.bytes());
    return path;
  }

  /** Writes into a fresh temp dir (removed by cleanupTemp()). */
  writeTemp(name = 'capture.bin'): string {
    return this.write(join(tempDir(), name));
  }
}

const dirs: string[] = [];

/** A fresh temporary directory, removed by cleanupTemp(). */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pymemprof-test-'));
  dirs.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Writes bytes to a temp file and returns its path. */
export function writeTempBytes(bytes: Uint8Array, name = 'capture.bin'): string {
  const p = join(tempDir(), name);
  writeFileSync(p, bytes);
  return p;
}

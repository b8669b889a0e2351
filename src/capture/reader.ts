/**
 * Streaming reader for capture files (proto/capture.proto): a stream of varint-length-delimited
 * Frames. Reads the file in chunks (memory bounded by the chunk size plus the largest frame),
 * decodes table frames with the generated protobufjs code and record batches with the fast decoder.
 *
 * A file cut at any byte offset yields every complete frame plus a warning; garbage, a wrong magic
 * or a newer format version throw BadCaptureError.
 */
import { promises as fsp } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { pymemprof } from './generated/capture';
import { BatchArrays, BatchDecoder, DecodedBatch, _readVarint64, Cursor } from './batch-decoder';
import { BadCaptureError } from '../errors';
import { toNumber } from './long';
import { checkFrame, findBatchField, findCompressedField } from './wire-check';
import { lz4DecodeBlock, lz4MaxDecodedSize } from './lz4';
import { nativePasses } from '../analysis/native-passes';
import { ExactPeak, ExactPeakTracker, withSampleWeights } from './sampling';
import { defaultReadWorkerFile, takeStartedReadWorker, WORKER_MIN_BYTES } from './read-worker-start';

import cap = pymemprof.capture;

export const CAPTURE_MAGIC = 'pymemprof';
/**
 * 4: stack nodes as consecutive ids and parents counted back, and the header's time quantum;
 * 3: batches carry the address model and time runs (address-model.ts); 2 added compressed frames
 * (Frame.compressed). Captures of versions 1 to 3 are read as they are.
 */
export const SUPPORTED_FORMAT_VERSION = 4;
/** Frames larger than this are treated as corruption. */
export const MAX_FRAME_BYTES = 1 << 30;
const DEFAULT_CHUNK = 8 << 20;

export interface CaptureHeader {
  magic: string;
  formatVersion: number;
  pythonVersion: string;
  pythonHexversion: number;
  geometry: { arenaSize: number; poolSize: number; alignment: number; smallRequestThreshold: number };
  pid: number;
  argv: string[];
  startTimeUnixUs: number;
  executable: string;
  sampleBytes: number;
  /** Record times are multiples of this many µs (1 before format 4). */
  timeQuantumUs: number;
}

export interface CodeObjectInfo {
  id: number;
  name: string;
  qualname: string;
  filename: string;
  firstLine: number;
  lineStarts: number[];
  lines: number[];
}

export interface StackNodesChunk {
  id: number[];
  parent: number[];
  code: number[];
  offset: number[];
}

export interface ThreadInfo {
  id: number;
  nativeId: number;
  name: string;
}

export interface MarkInfo {
  id: number;
  name: string;
}

export interface CaptureTrailer {
  records: number;
  allocations: number;
  frees: number;
  durationUs: number;
  batches: number;
  droppedRecords: number;
}

/**
 * Methods may return a promise: the reader waits for it before going on (backpressure; not with the
 * `worker` option).
 */
export interface CaptureVisitor {
  header?(h: CaptureHeader): void;
  codeObjects?(codes: CodeObjectInfo[]): void | Promise<void>;
  stackNodes?(nodes: StackNodesChunk): void | Promise<void>;
  threads?(threads: ThreadInfo[]): void | Promise<void>;
  marks?(marks: MarkInfo[]): void | Promise<void>;
  batch?(b: DecodedBatch): void | Promise<void>;
  trailer?(t: CaptureTrailer): void | Promise<void>;
}

export interface ReadResult {
  header: CaptureHeader | null;
  trailer: CaptureTrailer | null;
  warnings: string[];
  frames: number;
  batches: number;
  records: number;
  /** True when the file ended before a trailer (cut mid-frame or simply missing). */
  truncated: boolean;
  /** Bytes of complete frames read. */
  bytesRead: number;
  /** With ReadOptions.stage: the stage's result(). */
  stageResult?: unknown;
  /** Sampled captures with the tracer's live-byte counts: the peak from them (capture/sampling.ts). */
  exactPeak?: ExactPeak | null;
}

/**
 * Order-independent work on each batch, run on the reading thread before the visitor sees the batch
 * (on the worker when there is one, so that it overlaps the visitor). It may rewrite the batch's
 * stack column in place: the visitor then sees what the stage wrote there.
 */
export interface BatchStage {
  header?(h: CaptureHeader): void;
  stackNodes?(nodes: StackNodesChunk): void;
  batch(b: DecodedBatch): void;
  /** Structured-cloneable: it crosses from the worker. */
  result(): unknown;
}

export interface ReadOptions {
  chunkSize?: number;
  maxFrameBytes?: number;
  /**
   * For visitors that consume each batch at once (the reducers): batches are decoded into reused
   * arrays, so a batch is valid only during the visitor's call, and consecutive batches may arrive
   * merged into one. Then a large capture is also read and decoded on a worker thread (see `worker`).
   */
  reuseBatches?: boolean;
  /**
   * With reuseBatches: read and decode on a worker thread while the visitor runs on this one (two
   * cores: decoding and reducing overlap). The visitor is then called as messages arrive, so promises
   * it returns are not waited for. Default: when the file has at least WORKER_MIN_BYTES and the
   * compiled worker script is there (not when running from TypeScript sources, e.g. in tests).
   */
  worker?: boolean;
  /** The worker script (tests); default: read-worker.js next to this module. */
  workerFile?: string;
  /**
   * A BatchStage: `create` makes it on this thread; on the worker it is made by the function
   * `createBatchStage` of the compiled module `module`.
   */
  stage?: { create: () => BatchStage; module: string };
}

export { WORKER_MIN_BYTES };

/** A visitor that feeds the tables into a CaptureTables, then forwards everything to `next`. */
export function withTables(tables: CaptureTables, next: CaptureVisitor = {}): CaptureVisitor {
  return {
    header: (h) => {
      tables.header = h;
      next.header?.(h);
    },
    codeObjects: (c) => {
      tables.addCodeObjects(c);
      next.codeObjects?.(c);
    },
    stackNodes: (n) => {
      tables.addStackNodes(n);
      next.stackNodes?.(n);
    },
    threads: (t) => {
      tables.addThreads(t);
      next.threads?.(t);
    },
    marks: (m) => {
      tables.addMarks(m);
      next.marks?.(m);
    },
    batch: next.batch ? (b) => next.batch!(b) : undefined,
    trailer: (t) => {
      tables.trailer = t;
      next.trailer?.(t);
    },
  };
}

/** Reads the capture at `path`, calling the visitor for every complete frame in order. */
export async function readCapture(path: string, visitor: CaptureVisitor = {}, options: ReadOptions = {}): Promise<ReadResult> {
  if (options.reuseBatches && options.worker !== false) {
    const file = options.workerFile ?? defaultReadWorkerFile();
    if (file !== null && (options.worker === true || (await fileSize(path)) >= WORKER_MIN_BYTES)) {
      return readCaptureOnWorker(file, path, visitor, options);
    }
  }
  if (!options.stage) return readCaptureHere(path, visitor, options);
  const stage = options.stage.create();
  const result = await readCaptureHere(path, withStage(stage, visitor), options);
  result.stageResult = stage.result();
  return result;
}

/** A visitor that runs the stage on stack node tables and batches before `next` sees them. */
export function withStage(stage: BatchStage, next: CaptureVisitor): CaptureVisitor {
  return {
    ...next,
    header: (h) => {
      stage.header?.(h);
      return next.header?.(h);
    },
    stackNodes: (n) => {
      stage.stackNodes?.(n);
      return next.stackNodes?.(n);
    },
    batch: (b) => {
      stage.batch(b);
      return next.batch?.(b);
    },
  };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await fsp.stat(path)).size;
  } catch {
    return 0; // readCaptureHere reports the problem
  }
}

/**
 * Reads the capture in this thread (the worker runs this too, with its own `decoder`; by default
 * one that reuses its arrays with reuseBatches, else one that allocates new arrays per batch). The
 * decoder must be new: it holds the address model of the capture's batches (format 3).
 */
export async function readCaptureHere(
  path: string,
  visitor: CaptureVisitor = {},
  options: ReadOptions = {},
  decoder = new BatchDecoder(options.reuseBatches ? 'reuse' : 'fresh'),
): Promise<ReadResult> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BadCaptureError(`${path}: cannot open capture: ${e.code ?? e.message}`, 'BAD_CAPTURE', { cause: err });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new BadCaptureError(`${path}: not a regular file`);
    const read = async (b: Buffer, at: number, len: number, pos: number): Promise<number> => (await fh.read(b, at, len, pos)).bytesRead;
    return await readFrames(path, st.size, read, visitor, options, decoder);
  } finally {
    await fh.close();
  }
}

/**
 * readCaptureHere on a capture held in memory, `name` standing for the file in messages. Same
 * chunked loop as for a file, so it behaves exactly like one (used by scripts/fuzz-capture.js).
 */
export function readCaptureBytes(
  bytes: Uint8Array,
  name = '<memory>',
  visitor: CaptureVisitor = {},
  options: ReadOptions = {},
  decoder = new BatchDecoder(options.reuseBatches ? 'reuse' : 'fresh'),
): Promise<ReadResult> {
  const read = (b: Buffer, at: number, len: number, pos: number): number => {
    const n = Math.max(0, Math.min(len, bytes.length - pos));
    b.set(bytes.subarray(pos, pos + n), at);
    return n;
  };
  return readFrames(name, bytes.length, read, visitor, options, decoder);
}

/** The frame loop: `read` fills b[at, at+len) from byte `pos` of the capture and returns the count read. */
async function readFrames(
  path: string,
  fileSize: number,
  read: (b: Buffer, at: number, len: number, pos: number) => Promise<number> | number,
  visitor: CaptureVisitor,
  options: ReadOptions,
  decoder: BatchDecoder,
): Promise<ReadResult> {
  const chunkSize = Math.max(16, options.chunkSize ?? DEFAULT_CHUNK);
  const maxFrame = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  const result: ReadResult = {
    header: null,
    trailer: null,
    warnings: [],
    frames: 0,
    batches: 0,
    records: 0,
    truncated: false,
    bytesRead: 0,
  };
  // Sampled captures: weighted sizes for every reader, and the peak from the exact live bytes.
  const exact: { tracker: ExactPeakTracker | null } = { tracker: null };
  visitor = withSampleWeights(visitor, exact);

  let buf = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(16, fileSize)));
  let bufStart = 0; // file offset of buf[0]
  let lo = 0; // first unconsumed byte in buf
  let hi = 0; // end of valid bytes in buf
  let filePos = 0; // next file offset to read
  const cursor: Cursor = { pos: 0 };
  /** Where compressed frames are decoded (reused). */
  let inflated = Buffer.allocUnsafe(0);
  const lz4 = nativePasses()?.lz4DecodeBlock ?? lz4DecodeBlock;

  /** Ensures buf[lo, lo+need) is loaded when the file has it; returns false at EOF. */
  const ensure = async (need: number): Promise<boolean> => {
    if (hi - lo >= need) return true;
    if (bufStart + lo + need > fileSize) {
      // Read whatever is left so callers can inspect it, but report that it is not enough.
      need = fileSize - (bufStart + lo);
      if (hi - lo >= need) return false;
      await fill(need);
      return false;
    }
    await fill(need);
    return true;
  };
  const fill = async (need: number): Promise<void> => {
    // Compact, grow if necessary, then read until `need` bytes are available.
    if (lo > 0) {
      buf.copy(buf, 0, lo, hi);
      bufStart += lo;
      hi -= lo;
      lo = 0;
    }
    if (need > buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(need, Math.min(buf.length * 2, maxFrame + 16)));
      buf.copy(nb, 0, 0, hi);
      buf = nb;
    }
    while (hi < need) {
      const want = Math.min(buf.length - hi, fileSize - filePos);
      if (want <= 0) break;
      const bytesRead = await read(buf, hi, want, filePos);
      if (bytesRead === 0) break;
      hi += bytesRead;
      filePos += bytesRead;
    }
  };

  const truncatedWarning = (where: string): void => {
    result.truncated = true;
    result.warnings.push(`${path}: capture is truncated (${where}): trailer missing; reading the ${result.frames} complete frames before it`);
  };

  let sawTrailer = false;
  let nodesDefined = 0;
  while (true) {
    const frameOffset = bufStart + lo;
    if (frameOffset >= fileSize) break;
    // Length prefix: at most 10 bytes.
    // No await when the bytes are there: a file of many tiny frames costs no promise per frame.
    if (hi - lo < 10) await ensure(Math.min(10, fileSize - frameOffset));
    let len: number;
    cursor.pos = lo;
    let lenEnd: number;
    {
      // Find the terminating byte of the varint within what we have.
      let p = lo;
      const lim = Math.min(hi, lo + 10);
      while (p < lim && buf[p]! & 0x80) p++;
      if (p >= lim) {
        if (lim - lo >= 10) throw new BadCaptureError(`${path}: corrupt capture: bad frame length at byte offset ${frameOffset}`);
        if (result.header === null) checkHeaderPrefix(path, buf.subarray(lo, hi));
        truncatedWarning(`cut inside the length of the frame at byte offset ${frameOffset}`);
        break;
      }
      len = _readVarint64(buf, cursor, p + 1, path);
      lenEnd = cursor.pos;
    }
    const headLen = lenEnd - lo;
    const available = fileSize - frameOffset - headLen;
    if (len > available) {
      if (result.header === null) {
        await ensure(Math.min(available + headLen, 64));
        checkHeaderPrefix(path, buf.subarray(lo, hi));
      }
      if (len > maxFrame && result.header === null) throw notCapture(path);
      truncatedWarning(`the frame at byte offset ${frameOffset} needs ${len} bytes, ${available} remain`);
      break;
    }
    if (len > maxFrame) {
      throw new BadCaptureError(`${path}: corrupt capture: frame at byte offset ${frameOffset} claims ${len} bytes (limit ${maxFrame})`);
    }
    if (hi - lo < headLen + len) await ensure(headLen + len);
    const frameStart = lo + headLen;
    const frameEnd = frameStart + len;
    const ctx = `${path}: frame at byte offset ${frameOffset}`;
    lo = frameEnd;
    result.frames++;
    result.bytesRead = bufStart + lo;

    if (result.header === null) {
      let f: cap.Frame | null = null;
      try {
        f = checkFrame(buf, frameStart, frameEnd) === null ? cap.Frame.decode(buf.subarray(frameStart, frameEnd)) : null;
      } catch {
        f = null;
      }
      if (!f || !f.header) throw notCapture(path);
      const h = convertHeader(f.header);
      if (h.magic !== CAPTURE_MAGIC) throw notCapture(path);
      if (h.formatVersion > SUPPORTED_FORMAT_VERSION) {
        throw new BadCaptureError(
          `${path}: capture format version ${h.formatVersion} is newer than this pymemprof supports (${SUPPORTED_FORMAT_VERSION})`,
          'CAPTURE_VERSION',
        );
      }
      if (h.formatVersion < 1) throw new BadCaptureError(`${path}: capture has no valid format version (${h.formatVersion})`);
      result.header = h;
      visitor.header?.(h);
      continue;
    }
    if (sawTrailer) {
      result.warnings.push(`${path}: data after the trailer at byte offset ${frameOffset}; ignored`);
      break;
    }
    if (len === 0) continue; // an empty Frame: no body to visit
    // A compressed frame stands for the frame it decodes to.
    let fb: Buffer = buf;
    let start = frameStart;
    let end = frameEnd;
    const z = findCompressedField(buf, start, end);
    if (z !== null) {
      const packed = z.to - z.from;
      if (z.rawSize > maxFrame || z.rawSize > lz4MaxDecodedSize(packed)) {
        throw new BadCaptureError(`${ctx}: corrupt compressed frame: ${z.rawSize} bytes claimed from ${packed}`);
      }
      if (inflated.length < z.rawSize) inflated = Buffer.allocUnsafe(Math.max(z.rawSize, 2 * inflated.length));
      if (lz4(buf, z.from, z.to, inflated, z.rawSize) !== z.rawSize) {
        throw new BadCaptureError(`${ctx}: corrupt compressed frame: its LZ4 block does not decode to ${z.rawSize} bytes`);
      }
      fb = inflated;
      start = 0;
      end = z.rawSize;
      if (end === 0) continue;
      if (findCompressedField(fb, start, end) !== null || fb[start] === 0x0a) {
        throw new BadCaptureError(`${ctx}: corrupt compressed frame: it holds a header or another compressed frame`);
      }
    }
    // Locate a batch (field 5) without protobufjs.
    const batchRange = findBatchField(fb, start, end);
    if (batchRange !== null) {
      const b = decoder.decode(fb, batchRange[0], batchRange[1], ctx);
      result.batches++;
      result.records += b.count;
      const wait = visitor.batch?.(b);
      if (wait) await wait;
      continue;
    }
    // protobufjs misreads some corrupt frames instead of failing (see wire-check.ts).
    const problem = checkFrame(fb, start, end);
    if (problem !== null) throw new BadCaptureError(`${ctx}: corrupt frame: ${problem}`);
    let f: cap.Frame;
    try {
      f = cap.Frame.decode(fb.subarray(start, end));
    } catch (err) {
      throw new BadCaptureError(`${ctx}: corrupt frame: ${(err as Error).message}`, 'BAD_CAPTURE', { cause: err });
    }
    switch (f.body) {
      case 'header':
        result.warnings.push(`${ctx}: second header ignored`);
        break;
      case 'codeObjects':
        await visitor.codeObjects?.((f.codeObjects!.code ?? []).map(convertCode));
        break;
      case 'stackNodes': {
        const chunk = stackNodesChunk(f.stackNodes!, ctx);
        const n = chunk.id.length;
        // CaptureTables' bound, checked here too so that the message names the file and offset.
        nodesDefined += n;
        for (let i = 0; i < n; i++) {
          if (chunk.id[i]! > maxStackNodeId(nodesDefined)) {
            throw new BadCaptureError(`${ctx}: corrupt stack node table: node id ${chunk.id[i]} out of range (${nodesDefined} nodes defined)`);
          }
        }
        await visitor.stackNodes?.(chunk);
        break;
      }
      case 'threads':
        await visitor.threads?.(
          (f.threads!.thread ?? []).map((t) => ({ id: t.id ?? 0, nativeId: toNumber(t.nativeId), name: t.name ?? '' })),
        );
        break;
      case 'marks':
        await visitor.marks?.((f.marks!.mark ?? []).map((m) => ({ id: m.id ?? 0, name: m.name ?? '' })));
        break;
      case 'trailer': {
        const t = f.trailer!;
        const tr: CaptureTrailer = {
          records: toNumber(t.records),
          allocations: toNumber(t.allocations),
          frees: toNumber(t.frees),
          durationUs: toNumber(t.durationUs),
          batches: toNumber(t.batches),
          droppedRecords: toNumber(t.droppedRecords),
        };
        result.trailer = tr;
        sawTrailer = true;
        if (tr.droppedRecords > 0) result.warnings.push(`${path}: ${tr.droppedRecords} records were dropped while tracing`);
        await visitor.trailer?.(tr);
        break;
      }
      default:
        // Unknown frame body (newer minor additions): skip.
        break;
    }
  }
  if (result.header === null && !result.truncated) {
    // Empty file.
    truncatedWarning('empty file');
  } else if (!sawTrailer && !result.truncated) {
    result.truncated = true;
    result.warnings.push(`${path}: capture has no trailer (truncated: trailer missing); the traced program may not have finished`);
  }
  if (exact.tracker) result.exactPeak = exact.tracker.result();
  return result;
}

/** Messages from the worker (read-worker.ts), in file order. */
export type WorkerMessage =
  | { t: 'header'; v: CaptureHeader }
  | { t: 'codeObjects'; v: CodeObjectInfo[] }
  | { t: 'stackNodes'; v: StackNodesChunk }
  | { t: 'threads'; v: ThreadInfo[] }
  | { t: 'marks'; v: MarkInfo[] }
  | { t: 'trailer'; v: CaptureTrailer }
  | { t: 'slot'; id: number; arrays: BatchArrays }
  | { t: 'batch'; count: number; baseTimeUs: number; slot?: number; arrays?: BatchArrays }
  | { t: 'done'; result: ReadResult }
  | { t: 'error'; message: string; code: string; bad: boolean; stack?: string };

/** The buffers under a BatchArrays (to transfer it to another thread). */
export function batchBuffers(s: BatchArrays): ArrayBuffer[] {
  return [s.kind.buffer, s.address.buffer, s.size.buffer, s.stack.buffer, s.thread.buffer, s.timeUs.buffer] as ArrayBuffer[];
}

/**
 * readCapture with the reading and decoding on a worker thread: the worker sends tables and
 * (merged) batches in file order, the batches as shared-memory slots that go back to it once the
 * visitor has run.
 */
function readCaptureOnWorker(file: string, path: string, visitor: CaptureVisitor, options: ReadOptions): Promise<ReadResult> {
  return new Promise<ReadResult>((resolve, reject) => {
    const job = { pymemprofRead: true, path, chunkSize: options.chunkSize, maxFrameBytes: options.maxFrameBytes, stageModule: options.stage?.module };
    // A worker a report command started ahead (read-worker-start.ts) gets its job by message.
    const started = takeStartedReadWorker(file);
    const worker = started ?? new Worker(file, { workerData: job });
    if (started) started.postMessage({ t: 'job', job });
    /** The worker's shared slots, by id. */
    const slots: BatchArrays[] = [];
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(err);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (settled) return;
      try {
        switch (m.t) {
          case 'slot':
            slots[m.id] = m.arrays;
            break;
          case 'batch': {
            const s = m.arrays ?? slots[m.slot!]!;
            const n = m.count;
            visitor.batch?.({
              count: n,
              kind: s.kind.subarray(0, n),
              address: s.address.subarray(0, n),
              size: s.size.subarray(0, n),
              stack: s.stack.subarray(0, n),
              thread: s.thread.subarray(0, n),
              timeUs: s.timeUs.subarray(0, n),
              baseTimeUs: m.baseTimeUs,
            });
            if (m.slot !== undefined) worker.postMessage({ t: 'free', slot: m.slot });
            break;
          }
          case 'header':
            visitor.header?.(m.v);
            break;
          case 'codeObjects':
            visitor.codeObjects?.(m.v)?.catch(fail);
            break;
          case 'stackNodes':
            visitor.stackNodes?.(m.v)?.catch(fail);
            break;
          case 'threads':
            visitor.threads?.(m.v)?.catch(fail);
            break;
          case 'marks':
            visitor.marks?.(m.v)?.catch(fail);
            break;
          case 'trailer':
            visitor.trailer?.(m.v)?.catch(fail);
            break;
          case 'done':
            settled = true;
            void worker.terminate();
            resolve(m.result);
            break;
          case 'error': {
            const e = m.bad ? new BadCaptureError(m.message, m.code as 'BAD_CAPTURE' | 'CAPTURE_VERSION') : new Error(m.message);
            if (!m.bad && m.stack) e.stack = m.stack;
            fail(e);
            break;
          }
        }
      } catch (err) {
        fail(err);
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${path}: capture reader thread exited with code ${code}`)));
  });
}

function notCapture(path: string): BadCaptureError {
  return new BadCaptureError(`${path}: not a pymemprof capture`);
}

/**
 * Called when the first frame is incomplete: throws unless the available bytes could be the start of
 * a header frame (varint length, 0x0a, varint length, 0x0a 0x09 "pymemprof").
 */
function checkHeaderPrefix(path: string, bytes: Uint8Array): void {
  const expect = [0x0a, 0x09, ...Buffer.from(CAPTURE_MAGIC, 'latin1')];
  let p = 0;
  const varint = (): boolean => {
    // Returns false when the bytes end inside (or right after) the varint.
    let n = 0;
    while (p < bytes.length && bytes[p]! & 0x80) {
      p++;
      if (++n >= 10) throw notCapture(path);
    }
    if (p >= bytes.length) return false;
    p++;
    return true;
  };
  if (!varint()) return;
  if (p >= bytes.length) return;
  if (bytes[p++] !== 0x0a) throw notCapture(path);
  if (!varint()) return;
  for (let i = 0; i < expect.length && p < bytes.length; i++, p++) {
    if (bytes[p] !== expect[i]) throw notCapture(path);
  }
}

function convertHeader(h: cap.IHeader): CaptureHeader {
  const g = h.geometry ?? {};
  return {
    magic: h.magic ?? '',
    formatVersion: h.formatVersion ?? 0,
    pythonVersion: h.pythonVersion ?? '',
    pythonHexversion: h.pythonHexversion ?? 0,
    geometry: {
      arenaSize: g.arenaSize ?? 0,
      poolSize: g.poolSize ?? 0,
      alignment: g.alignment ?? 0,
      smallRequestThreshold: g.smallRequestThreshold ?? 0,
    },
    pid: h.pid ?? 0,
    argv: h.argv ?? [],
    startTimeUnixUs: toNumber(h.startTimeUnixUs),
    executable: h.executable ?? '',
    sampleBytes: toNumber(h.sampleBytes),
    timeQuantumUs: Math.max(1, h.timeQuantumUs ?? 1),
  };
}

function convertCode(c: cap.ICodeObject): CodeObjectInfo {
  return {
    id: c.id ?? 0,
    name: c.name ?? '',
    qualname: c.qualname ?? '',
    filename: c.filename ?? '',
    firstLine: c.firstLine ?? 0,
    lineStarts: c.lineStarts ?? [],
    lines: c.lines ?? [],
  };
}

/**
 * A StackNodes message as absolute columns: ids from the `id` column or (format 4) counted from
 * `first_id`, parents from the `parent` column or (format 4) as id - `parent_back`.
 */
function stackNodesChunk(s: cap.IStackNodes, ctx: string): StackNodesChunk {
  const code = s.code ?? [];
  const offset = s.offset ?? [];
  const n = code.length;
  let id = s.id ?? [];
  if (id.length === 0 && n > 0 && s.firstId != null) {
    const first = s.firstId;
    if (first < 1 || first + n - 1 > 0xffffffff) throw new BadCaptureError(`${ctx}: corrupt stack node table: first id ${first} out of range`);
    id = new Array<number>(n);
    for (let i = 0; i < n; i++) id[i] = first + i;
  }
  let parent = s.parent ?? [];
  const back = s.parentBack ?? [];
  if (parent.length === 0 && back.length > 0) {
    if (back.length !== id.length) throw new BadCaptureError(`${ctx}: corrupt stack node table: column lengths differ`);
    parent = new Array<number>(back.length);
    for (let i = 0; i < back.length; i++) {
      const b = back[i]!;
      if (b < 1 || b > id[i]!) throw new BadCaptureError(`${ctx}: corrupt stack node table: node ${id[i]}'s parent ${b} back is out of range`);
      parent[i] = id[i]! - b;
    }
  }
  if (id.length !== n || parent.length !== n || offset.length !== n) {
    throw new BadCaptureError(`${ctx}: corrupt stack node table: column lengths differ`);
  }
  return { id, parent, code, offset };
}

/** Ids are dense in practice; ids far beyond the number of nodes defined are refused (bounded memory). */
export function maxStackNodeId(nodesDefined: number): number {
  return nodesDefined * 4 + 65536;
}

/** Resolved innermost frame of a stack node. */
export interface FrameLocation {
  file: string;
  line: number;
  function: string;
}

const UNKNOWN_LOCATION: FrameLocation = { file: '<unknown>', line: 0, function: '<no Python frame>' };

/**
 * Accumulates the interned tables of a capture: code objects, stack nodes (columnar typed arrays
 * indexed by node id), threads and marks; resolves (code, byte offset) to source lines.
 */
export class CaptureTables {
  header: CaptureHeader | null = null;
  trailer: CaptureTrailer | null = null;
  readonly codes = new Map<number, CodeObjectInfo>();
  readonly threads = new Map<number, ThreadInfo>();
  readonly marks = new Map<number, MarkInfo>();
  /** parent / code / offset per node id; index 0 is the root. */
  nodeParent: Uint32Array = new Uint32Array(1024);
  nodeCode: Uint32Array = new Uint32Array(1024);
  nodeOffset: Uint32Array = new Uint32Array(1024);
  /** Largest node id defined so far (0: only the root). */
  maxNodeId = 0;
  private nodeCount = 0;

  addCodeObjects(codes: CodeObjectInfo[]): void {
    for (const c of codes) this.codes.set(c.id, c);
  }

  addStackNodes(chunk: StackNodesChunk): void {
    const n = chunk.id.length;
    this.nodeCount += n;
    for (let i = 0; i < n; i++) {
      const id = chunk.id[i]!;
      if (id === 0) continue; // the root is implicit
      if (id > maxStackNodeId(this.nodeCount)) {
        throw new BadCaptureError(`capture: stack node id ${id} out of range (${this.nodeCount} nodes defined)`);
      }
      this.ensureNode(id);
      this.nodeParent[id] = chunk.parent[i]!;
      this.nodeCode[id] = chunk.code[i]!;
      this.nodeOffset[id] = chunk.offset[i]!;
      if (id > this.maxNodeId) this.maxNodeId = id;
    }
  }

  private ensureNode(id: number): void {
    if (id < this.nodeParent.length) return;
    let len = this.nodeParent.length;
    while (len <= id) len *= 2;
    const grow = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(len);
      b.set(a);
      return b;
    };
    this.nodeParent = grow(this.nodeParent);
    this.nodeCode = grow(this.nodeCode);
    this.nodeOffset = grow(this.nodeOffset);
  }

  addThreads(threads: ThreadInfo[]): void {
    for (const t of threads) {
      const prev = this.threads.get(t.id);
      // A thread may be sent again once its name is known; keep a known name over an empty one.
      if (prev && !t.name) this.threads.set(t.id, { ...t, name: prev.name });
      else this.threads.set(t.id, t);
    }
  }

  addMarks(marks: MarkInfo[]): void {
    for (const m of marks) this.marks.set(m.id, m);
  }

  hasNode(id: number): boolean {
    return id === 0 || (id <= this.maxNodeId && this.nodeCode[id] !== 0);
  }

  /** Source line of the instruction at byte `offset` in code object `codeId` (first_line as fallback). */
  resolveLine(codeId: number, offset: number): number {
    const c = this.codes.get(codeId);
    if (!c) return 0;
    return resolveLineIn(c, offset);
  }

  /** Innermost frame of a stack node as (file, line, function = qualname). */
  location(node: number): FrameLocation {
    if (node === 0 || node > this.maxNodeId) return UNKNOWN_LOCATION;
    const c = this.codes.get(this.nodeCode[node]!);
    if (!c) return { file: '<unknown>', line: 0, function: `<code ${this.nodeCode[node]}>` };
    return { file: c.filename, line: resolveLineIn(c, this.nodeOffset[node]!), function: c.qualname || c.name };
  }

  /** Frames of a stack node from the outermost to the innermost. Stops on cycles. */
  stack(node: number): FrameLocation[] {
    const out: FrameLocation[] = [];
    let n = node;
    let guard = 0;
    while (n !== 0 && n <= this.maxNodeId && guard++ <= this.maxNodeId) {
      out.push(this.location(n));
      n = this.nodeParent[n]!;
    }
    return out.reverse();
  }
}

/** Binary search in the code object's line table; -1 entries and offsets before the table → first_line. */
export function resolveLineIn(c: Pick<CodeObjectInfo, 'firstLine' | 'lineStarts' | 'lines'>, offset: number): number {
  const starts = c.lineStarts;
  let lo = 0;
  let hi = Math.min(starts.length, c.lines.length) - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return c.firstLine;
  const line = c.lines[found]!;
  return line < 0 ? c.firstLine : line;
}

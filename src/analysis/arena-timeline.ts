/**
 * pymalloc over time, on the flamegraph report's time buckets (bucket k covers [k*width, (k+1)*width)
 * microseconds; records past the last bucket belong to it): the most arenas alive at any moment of
 * each bucket, and at each bucket's end the arenas, the pools in use and, per size class, pools and
 * blocks in use: the exact model state at that moment (arena-model.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, Worker } from 'node:worker_threads';
import { readCapture, CaptureHeader, WORKER_MIN_BYTES } from '../capture/reader';
import { DecodedBatch, KIND } from '../capture/batch-decoder';
import { PymemprofError } from '../errors';
import { ArenaModel } from './arena-model';
import { checkArenaHeader } from './arena-query';
import { INITIAL_WIDTH_US, MAX_BUCKETS } from './report-reducer';
import { NativeArenaTimeline, nativePasses } from './native-passes';

export interface ArenaTimeline {
  widthUs: number;
  arenaSize: number;
  poolSize: number;
  /** Most arenas alive at any moment within each bucket. */
  arenasMax: number[];
  /** Arenas alive at the end of each bucket. */
  arenasEnd: number[];
  /** Pools in use (all classes) at the end of each bucket. */
  poolsEnd: number[];
  /** Size classes with pools at some bucket end, ascending. */
  classes: number[];
  /** Per listed class, per bucket: pools and blocks in use at the bucket's end. */
  pools: number[][];
  blocks: number[][];
  /** Records that contradicted pymalloc (see ArenaModel). */
  anomalies: number;
}

/**
 * Applies records to the arena model and keeps the figures per time bucket. With a bucket count the
 * buckets are fixed (records past the last one belong to it); without, they start as the report
 * reducer's do and coarsen the same way (width doubling, pairs merged, at most MAX_BUCKETS), so a
 * builder that sees the same records ends with the report's buckets without knowing them first.
 */
export class ArenaTimelineBuilder {
  readonly model: ArenaModel;
  widthUs: number;
  private readonly fixedBuckets: number;
  private readonly arenasMax: Float64Array;
  private readonly arenasEnd: Float64Array;
  private readonly poolsEnd: Float64Array;
  private readonly pools: Float64Array[] = [];
  private readonly blocks: Float64Array[] = [];
  /** Bucket of the records being applied. */
  private cur = 0;
  /** Most arenas alive so far in the current bucket. */
  private curMax = 0;
  private finished = 0;
  /** The native kernel doing the whole job (same figures), or null; `model` then stays unused. */
  private readonly kernel: NativeArenaTimeline | null;

  /** `native`: use the native kernel when it is built (default true; see native-passes.ts). */
  constructor(header: CaptureHeader, fixed?: { widthUs: number; buckets: number }, native = true) {
    this.model = new ArenaModel(header.geometry, { pythonHexversion: header.pythonHexversion }); // validates the geometry
    const passes = native ? nativePasses() : null;
    const g = header.geometry;
    this.kernel = passes
      ? new passes.ArenaTimelinePass(g.arenaSize, g.poolSize, g.alignment, g.smallRequestThreshold, fixed?.widthUs ?? 0, fixed ? Math.max(1, fixed.buckets) : 0)
      : null;
    this.widthUs = fixed?.widthUs ?? INITIAL_WIDTH_US;
    this.fixedBuckets = fixed ? Math.max(1, fixed.buckets) : 0;
    const cap = fixed ? this.fixedBuckets : MAX_BUCKETS;
    this.arenasMax = new Float64Array(cap);
    this.arenasEnd = new Float64Array(cap);
    this.poolsEnd = new Float64Array(cap);
    for (let i = 0; i < this.model.numClasses; i++) {
      this.pools.push(new Float64Array(cap));
      this.blocks.push(new Float64Array(cap));
    }
  }

  batch(b: DecodedBatch): void {
    if (this.kernel) {
      this.kernel.batch(b.kind, b.address, b.size, b.timeUs, b.count);
      return;
    }
    const m = this.model;
    const { kind, address, size, stack, timeUs } = b;
    let width = this.widthUs;
    let cur = this.cur;
    for (let i = 0; i < b.count; i++) {
      let k = Math.floor(timeUs[i]! / width);
      if (k > cur) {
        if (this.fixedBuckets > 0) {
          if (k >= this.fixedBuckets) k = this.fixedBuckets - 1;
        } else {
          while (k >= MAX_BUCKETS) {
            this.close(MAX_BUCKETS);
            this.coarsen();
            width = this.widthUs;
            k = Math.floor(timeUs[i]! / width);
          }
        }
        if (k > this.cur) this.close(k);
        cur = this.cur;
      }
      const kd = kind[i]!;
      m.apply(kd, address[i]!, size[i]!, stack[i]!);
      if (kd === KIND.ARENA_ALLOC && m.currentArenas > this.curMax) this.curMax = m.currentArenas;
    }
  }

  /**
   * The timeline on `buckets` buckets of `widthUs`; null when this builder's buckets came out
   * different (then read again with them fixed).
   */
  result(widthUs: number, buckets: number): ArenaTimeline | null {
    if (this.kernel) return this.kernelResult(this.kernel, widthUs, buckets);
    if (this.finished === 0) {
      this.finished = this.fixedBuckets > 0 ? this.fixedBuckets : this.cur + 1;
      this.close(this.finished);
    }
    if (widthUs !== this.widthUs || Math.max(1, buckets) !== this.finished) return null;
    const n = this.finished;
    const list = (a: Float64Array): number[] => Array.from(a.subarray(0, n));
    const classes: number[] = [];
    for (let c = 0; c < this.model.numClasses; c++) if (this.pools[c]!.subarray(0, n).some((v) => v > 0)) classes.push(c);
    return {
      widthUs,
      arenaSize: this.model.geometry.arenaSize,
      poolSize: this.model.geometry.poolSize,
      arenasMax: list(this.arenasMax),
      arenasEnd: list(this.arenasEnd),
      poolsEnd: list(this.poolsEnd),
      classes,
      pools: classes.map((c) => list(this.pools[c]!)),
      blocks: classes.map((c) => list(this.blocks[c]!)),
      anomalies: this.model.anomalies,
    };
  }

  private kernelResult(kernel: NativeArenaTimeline, widthUs: number, buckets: number): ArenaTimeline | null {
    const r = kernel.result();
    this.widthUs = r.widthUs;
    this.finished = r.buckets;
    if (widthUs !== r.widthUs || Math.max(1, buckets) !== r.buckets) return null;
    const n = r.buckets;
    const list = (a: Float64Array, from = 0): number[] => Array.from(a.subarray(from, from + n));
    const classes: number[] = [];
    for (let c = 0; c < r.classes; c++) if (r.pools.subarray(c * r.capacity, c * r.capacity + n).some((v) => v > 0)) classes.push(c);
    return {
      widthUs,
      arenaSize: this.model.geometry.arenaSize,
      poolSize: this.model.geometry.poolSize,
      arenasMax: list(r.arenasMax),
      arenasEnd: list(r.arenasEnd),
      poolsEnd: list(r.poolsEnd),
      classes,
      pools: classes.map((c) => list(r.pools, c * r.capacity)),
      blocks: classes.map((c) => list(r.blocks, c * r.capacity)),
      anomalies: r.anomalies,
    };
  }

  /** The timeline on the buckets this builder ended with. */
  ownResult(): ArenaTimeline {
    if (this.kernel) {
      const r = this.kernel.result();
      return this.kernelResult(this.kernel, r.widthUs, r.buckets)!;
    }
    if (this.finished === 0) {
      this.finished = this.fixedBuckets > 0 ? this.fixedBuckets : this.cur + 1;
      this.close(this.finished);
    }
    return this.result(this.widthUs, this.finished)!;
  }

  /** Buckets cur..upTo-1 end with the current state. */
  private close(upTo: number): void {
    const s = this.model.snapshot();
    const used = s.classes.reduce((n, c) => n + c.pools, 0);
    for (let k = this.cur; k < upTo; k++) {
      this.arenasMax[k] = k === this.cur ? Math.max(this.curMax, s.arenasAllocatedCurrent) : s.arenasAllocatedCurrent;
      this.arenasEnd[k] = s.arenasAllocatedCurrent;
      this.poolsEnd[k] = used;
      for (const c of s.classes) {
        this.pools[c.index]![k] = c.pools;
        this.blocks[c.index]![k] = c.blocksInUse;
      }
    }
    this.cur = upTo;
    this.curMax = s.arenasAllocatedCurrent;
  }

  /** All MAX_BUCKETS buckets closed: merge pairs (most arenas: the larger; ends: the later). */
  private coarsen(): void {
    const half = MAX_BUCKETS / 2;
    for (let j = 0; j < half; j++) {
      const l = 2 * j;
      const r = l + 1;
      this.arenasMax[j] = Math.max(this.arenasMax[l]!, this.arenasMax[r]!);
      this.arenasEnd[j] = this.arenasEnd[r]!;
      this.poolsEnd[j] = this.poolsEnd[r]!;
      for (let c = 0; c < this.pools.length; c++) {
        this.pools[c]![j] = this.pools[c]![r]!;
        this.blocks[c]![j] = this.blocks[c]![r]!;
      }
    }
    this.cur = half;
    this.widthUs *= 2;
  }
}

/**
 * Reads the capture into a builder; null when the capture has no pymalloc (or a geometry the model
 * refuses).
 */
export async function buildArenaTimeline(path: string, fixed?: { widthUs: number; buckets: number }): Promise<ArenaTimelineBuilder | null> {
  let builder: ArenaTimelineBuilder | null = null;
  let refused = false;
  const stop = new Error('stop');
  try {
    await readCapture(
      path,
      {
        header: (h: CaptureHeader) => {
          try {
            checkArenaHeader(path, h);
          } catch (e) {
            if (e instanceof PymemprofError) {
              refused = true;
              throw stop;
            }
            throw e;
          }
          builder = new ArenaTimelineBuilder(h, fixed);
        },
        batch: (b) => builder!.batch(b),
      },
      // On a worker of its own (startArenaTimeline) it decodes there too.
      { reuseBatches: true, worker: isMainThread ? undefined : false },
    );
  } catch (e) {
    if (e !== stop) throw e;
  }
  return refused ? null : builder;
}

/**
 * The timeline for `buckets` buckets of `widthUs`; null when the capture has no pymalloc (or a
 * geometry the model refuses).
 */
export async function arenaTimeline(path: string, widthUs: number, buckets: number): Promise<ArenaTimeline | null> {
  const b = await buildArenaTimeline(path, { widthUs, buckets });
  return b === null ? null : b.result(widthUs, buckets);
}

/**
 * Starts building the timeline on a worker thread, on the report reducer's buckets as they will come
 * out, so that it overlaps the report pass: `fit(widthUs, buckets)` then gives the timeline for the
 * report's buckets (reading again only if they differ). Null when no worker is worth it (a small
 * capture, or running from sources): call arenaTimeline after the report pass.
 */
export function startArenaTimeline(
  path: string,
  /** The compiled worker script (tests), and the smallest capture worth a worker (default WORKER_MIN_BYTES). */
  options: { script?: string; minBytes?: number } = {},
): { answer: Promise<ArenaWorkerAnswer>; fit(widthUs: number, buckets: number): Promise<ArenaTimeline | null>; cancel(): void } | null {
  const script = options.script ?? join(__dirname, 'arena-timeline-worker.js');
  if (!script.endsWith('.js') || !existsSync(script)) return null;
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    return null;
  }
  if (size < (options.minBytes ?? WORKER_MIN_BYTES)) return null;
  const worker = new Worker(script, { workerData: { path } });
  const asked = new Promise<ArenaWorkerAnswer>((resolve) => {
    worker.once('message', (m: ArenaWorkerAnswer) => resolve(m));
    worker.once('error', (e) => resolve({ error: e.message }));
    worker.once('exit', () => resolve({ error: 'the arena timeline worker stopped' }));
  });
  return {
    answer: asked,
    async fit(widthUs: number, buckets: number): Promise<ArenaTimeline | null> {
      const m = await asked;
      void worker.terminate();
      return fitArenaAnswer(path, m, widthUs, buckets);
    },
    cancel(): void {
      void worker.terminate();
    },
  };
}

export type ArenaWorkerAnswer = { none: true } | { timeline: ArenaTimeline } | { error: string };

/**
 * The timeline on the report's buckets from a builder's answer (its own worker's, or the report
 * stage's): as it is when its buckets are the report's, else read again on this thread with them
 * fixed (its buckets differ, or it failed: the second read reports the problem).
 */
export async function fitArenaAnswer(path: string, m: ArenaWorkerAnswer, widthUs: number, buckets: number): Promise<ArenaTimeline | null> {
  if ('none' in m) return null;
  if ('timeline' in m && m.timeline.widthUs === widthUs && m.timeline.arenasEnd.length === Math.max(1, buckets)) return m.timeline;
  return arenaTimeline(path, widthUs, buckets);
}

/**
 * pymalloc over time, on the flamegraph report's time buckets (bucket k covers [k*width, (k+1)*width)
 * microseconds; records past the last bucket belong to it): the most arenas alive at any moment of
 * each bucket, and at each bucket's end the arenas, the pools in use and, per size class, pools and
 * blocks in use: the exact model state at that moment (arena-model.ts).
 */
import { readCapture, CaptureHeader } from '../capture/reader';
import { KIND } from '../capture/batch-decoder';
import { PymemprofError } from '../errors';
import { ArenaModel } from './arena-model';
import { checkArenaHeader } from './arena-query';

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
 * The timeline for `buckets` buckets of `widthUs`; null when the capture has no pymalloc (or a
 * geometry the model refuses).
 */
export async function arenaTimeline(path: string, widthUs: number, buckets: number): Promise<ArenaTimeline | null> {
  let model: ArenaModel | null = null;
  let refused = false;
  const nb = Math.max(1, buckets);
  const arenasMax = new Array<number>(nb).fill(0);
  const arenasEnd = new Array<number>(nb).fill(0);
  const poolsEnd = new Array<number>(nb).fill(0);
  const pools: number[][] = [];
  const blocks: number[][] = [];
  let cur = 0; // bucket of the records being applied
  let curMax = 0;
  const close = (upTo: number): void => {
    // Buckets cur..upTo-1 end with the current state.
    const s = model!.snapshot();
    const used = s.classes.reduce((n, c) => n + c.pools, 0);
    for (let k = cur; k < upTo; k++) {
      arenasMax[k] = k === cur ? Math.max(curMax, s.arenasAllocatedCurrent) : s.arenasAllocatedCurrent;
      arenasEnd[k] = s.arenasAllocatedCurrent;
      poolsEnd[k] = used;
      for (const c of s.classes) {
        pools[c.index]![k] = c.pools;
        blocks[c.index]![k] = c.blocksInUse;
      }
    }
    cur = upTo;
    curMax = s.arenasAllocatedCurrent;
  };
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
          model = new ArenaModel(h.geometry, { pythonHexversion: h.pythonHexversion });
          for (let i = 0; i < model.numClasses; i++) {
            pools.push(new Array<number>(nb).fill(0));
            blocks.push(new Array<number>(nb).fill(0));
          }
        },
        batch: (b) => {
          const m = model!;
          const { kind, address, size, stack, timeUs } = b;
          for (let i = 0; i < b.count; i++) {
            let k = Math.floor(timeUs[i]! / widthUs);
            if (k >= nb) k = nb - 1;
            if (k > cur) close(k);
            const kd = kind[i]!;
            m.apply(kd, address[i]!, size[i]!, stack[i]!);
            if (kd === KIND.ARENA_ALLOC) {
              if (m.currentArenas > curMax) curMax = m.currentArenas;
            }
          }
        },
      },
      { reuseBatches: true },
    );
  } catch (e) {
    if (e !== stop) throw e;
  }
  if (refused || model === null) return null;
  const mdl: ArenaModel = model;
  close(nb);
  const classes: number[] = [];
  for (let c = 0; c < mdl.numClasses; c++) if (pools[c]!.some((v) => v > 0)) classes.push(c);
  return {
    widthUs,
    arenaSize: mdl.geometry.arenaSize,
    poolSize: mdl.geometry.poolSize,
    arenasMax,
    arenasEnd,
    poolsEnd,
    classes,
    pools: classes.map((c) => pools[c]!),
    blocks: classes.map((c) => blocks[c]!),
    anomalies: mdl.anomalies,
  };
}

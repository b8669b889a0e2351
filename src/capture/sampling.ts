/**
 * Sampled captures (`run --sample-bytes N`): the tracer recorded an allocation of s bytes with
 * probability 1 - exp(-s/N) (byte-based Poisson sampling). The reader gives each sampled
 * allocation the size s / (1 - exp(-s/N)), its expected share of all bytes allocated, so that every
 * reducer's byte figures (totals, peak, leaks, per location) are unbiased estimates without knowing
 * about sampling. Frees carry no size: they remove what their allocation added. Counts stay counts
 * of samples.
 */
import type { DecodedBatch } from './batch-decoder';
import type { CaptureHeader, CaptureVisitor } from './reader';

/** The weighted size of a sampled allocation of `size` bytes with mean interval `sampleBytes`. */
export function sampledSize(size: number, sampleBytes: number): number {
  if (size <= 0) return size;
  const p = -Math.expm1(-size / sampleBytes); // 1 - exp(-s/N), accurate for small s/N
  return size / p;
}

/** Rewrites the sizes of the allocation records (ALLOC_*, RESIZE_*) of a batch in place. */
export function weightSampledBatch(b: DecodedBatch, sampleBytes: number): void {
  const { kind, size } = b;
  for (let i = 0; i < b.count; i++) {
    const k = kind[i]!;
    if (k <= 3 || (k >= 7 && k <= 9)) size[i] = sampledSize(size[i]!, sampleBytes);
  }
}

/**
 * The peak of a sampled capture from the tracer's exact count of live bytes (RecordBatch.live_bytes:
 * the usable size of every live block, sampled or not, as the allocator sees it) less the rounding
 * of the live blocks (usable size − requested size), which is estimated from the samples like any
 * other byte figure. The rounding is a small part of the heap (pymalloc rounds to 16 bytes), so its
 * sampling error is a small part of the peak's: this is the figure the sampled capture's peak is
 * given as, where the capture has the counts. Null when any sampled record lacks them (older
 * captures, PYTHONMALLOC's debug hooks).
 */
export interface ExactPeak {
  /** Estimated requested bytes live at the peak: liveUsableBytes − estimated rounding. */
  bytes: number;
  timeUs: number;
  /** The process's live bytes at that moment, exact, as usable sizes. */
  liveUsableBytes: number;
  /**
   * Where the peak lies in the capture's records: right after this many of them (every kind counts,
   * in order). The record that carried the highest live bytes is included when it is an allocation
   * or resize, left out when it is a free (its live bytes are the highest since the thread's
   * previous sampled record, reached before the free).
   */
  afterRecords: number;
}

export class ExactPeakTracker {
  /** Weighted rounding (usable − requested) / P(sampled) of each live sampled block, by address. */
  private readonly rounding = new Map<number, number>();
  private roundingSum = 0;
  private best: ExactPeak | null = null;
  /** Allocation and free records, and those without live bytes (a side record lost to a full ring). */
  private records = 0;
  private unknown = 0;
  /** Records of every kind in the batches before this one. */
  private before = 0;

  constructor(private readonly sampleBytes: number) {}

  /**
   * A batch with the sizes as recorded (before weightSampledBatch). With `out`, each record's estimate
   * (NaN: none) is written there.
   */
  batch(b: DecodedBatch, out?: Float64Array): void {
    const { kind, address, size, timeUs, liveBytes, usableSize } = b;
    const n = b.count;
    out?.fill(NaN, 0, n);
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      if (k > 9) continue; // arenas and marks carry no live bytes
      this.records++;
      const a = address[i]!;
      const before = this.rounding.get(a);
      if (before !== undefined) {
        this.roundingSum -= before;
        this.rounding.delete(a);
      }
      if (k <= 3) {
        // usable_size is left out of a batch without allocations; 0: not known (rounding taken as 0)
        const s = size[i]!;
        const u = usableSize ? usableSize[i]! : 0;
        if (s > 0 && u > s) {
          const w = (u - s) / -Math.expm1(-s / this.sampleBytes);
          this.rounding.set(a, w);
          this.roundingSum += w;
        }
      }
      const live = liveBytes ? liveBytes[i]! : 0;
      if (live === 0) {
        this.unknown++;
        continue;
      }
      const e = live - this.roundingSum;
      if (out) out[i] = e;
      if (this.best === null || e > this.best.bytes) {
        this.best = { bytes: e, timeUs: timeUs[i]!, liveUsableBytes: live, afterRecords: this.before + i + (k >= 4 && k <= 6 ? 0 : 1) };
      }
    }
    this.before += n;
  }

  /** Null unless nearly every record had its live bytes (a capture that lost them could miss the peak). */
  result(): ExactPeak | null {
    if (this.best === null || this.unknown * 1000 > this.records) return null;
    return { ...this.best, bytes: Math.round(this.best.bytes) };
  }
}

/**
 * A visitor that weights the batches of a sampled capture before `next` sees them; with `exact`, it
 * also puts an ExactPeakTracker there (sampled captures only) and feeds it the batches as recorded.
 */
export function withSampleWeights(next: CaptureVisitor, exact?: { tracker: ExactPeakTracker | null }): CaptureVisitor {
  let sampleBytes = 0;
  let estimates = new Float64Array(0);
  return {
    ...next,
    header: (h: CaptureHeader) => {
      sampleBytes = h.sampleBytes;
      if (sampleBytes > 0 && exact) exact.tracker = new ExactPeakTracker(sampleBytes);
      next.header?.(h);
    },
    batch: next.batch
      ? (b) => {
          if (sampleBytes > 0) {
            const tracker = exact?.tracker;
            if (tracker) {
              if (estimates.length < b.count) estimates = new Float64Array(Math.max(b.count, 2 * estimates.length));
              tracker.batch(b, estimates);
              b.exactLive = estimates;
            }
            weightSampledBatch(b, sampleBytes);
          }
          return next.batch!(b);
        }
      : undefined,
  };
}

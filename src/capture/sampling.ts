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

/** A visitor that weights the batches of a sampled capture before `next` sees them. */
export function withSampleWeights(next: CaptureVisitor): CaptureVisitor {
  let sampleBytes = 0;
  return {
    ...next,
    header: (h: CaptureHeader) => {
      sampleBytes = h.sampleBytes;
      next.header?.(h);
    },
    batch: next.batch
      ? (b) => {
          if (sampleBytes > 0) weightSampledBatch(b, sampleBytes);
          return next.batch!(b);
        }
      : undefined,
  };
}

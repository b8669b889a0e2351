/**
 * `pymemprof stats`: one streaming pass over a capture → the StatsJson contract
 * (docs: ARCHITECTURE.md, "pymemprof stats --json FILE" fields).
 */
import { BadCaptureError } from '../errors';
import { CaptureTables, readCapture, ReadOptions, ReadResult, withTables } from '../capture/reader';
import type { ExactPeak } from '../capture/sampling';
import { PeakLocation, StatsReducer } from './stats';

/** Exactly the fields of `pymemprof stats --json`, in this order. */
export interface StatsJson {
  format_version: number;
  python_version: string;
  argv: string[];
  /** 0: every allocation recorded; N: a sampled capture (byte figures are estimates, counts are samples). */
  sample_bytes: number;
  duration_ms: number;
  allocations: number;
  frees: number;
  total_allocated_bytes: number;
  /**
   * The high-water mark of live bytes. Sampled captures: from the tracer's exact count of live bytes
   * less the estimated rounding (capture/sampling.ts, ExactPeak) when the capture has the counts,
   * else the samples' own estimate.
   */
  peak_bytes: number;
  peak_time_ms: number;
  /** Only when peak_bytes came from the exact counts: the samples' own estimate of the peak. */
  sampled_peak_bytes?: number;
  end_bytes: number;
  threads: { id: number; name: string }[];
  top_peak_locations: PeakLocation[];
}

export interface StatsAnalysis {
  stats: StatsJson;
  /** Problems that did not stop the analysis (truncation, missing trailer, dropped records...). */
  warnings: string[];
  read: ReadResult;
  reducer: StatsReducer;
  tables: CaptureTables;
}

export const TOP_PEAK_LOCATIONS = 20;

/** Reads the capture once and computes the stats, keeping the reducer and tables for further use. */
export async function analyzeStats(path: string, options: ReadOptions = {}): Promise<StatsAnalysis> {
  const tables = new CaptureTables();
  const reducer = new StatsReducer(tables);
  const read = await readCapture(path, withTables(tables, { batch: (b) => reducer.add(b) }), { ...options, reuseBatches: true });
  const header = read.header;
  if (!header) {
    throw new BadCaptureError(`${path}: capture is truncated before its header was complete`);
  }
  const f = reducer.figures();
  const warnings = [...read.warnings];
  // Frees of unknown addresses are expected and not warned about: CPython allocates some blocks with
  // its default allocator swapped in temporarily (path configuration), then frees them through ours.
  if (f.unknownStacks > 0) warnings.push(`${path}: ${f.unknownStacks} records refer to undefined stack nodes`);
  const durationMs = read.trailer ? read.trailer.durationUs / 1000 : f.lastTimeUs / 1000;
  const threads = [...tables.threads.values()].sort((a, b) => a.id - b.id).map((t) => ({ id: t.id, name: t.name }));
  const stats: StatsJson = {
    format_version: header.formatVersion,
    python_version: header.pythonVersion,
    argv: header.argv,
    sample_bytes: header.sampleBytes,
    duration_ms: durationMs,
    allocations: f.allocations,
    frees: f.frees,
    total_allocated_bytes: f.totalAllocatedBytes,
    ...peakFields(header.sampleBytes, f.peakBytes, f.peakTimeUs, read.exactPeak),
    end_bytes: f.liveBytes,
    threads,
    top_peak_locations: await peakLocations(path, options, reducer, header.sampleBytes > 0 ? read.exactPeak : null),
  };
  roundSampledStats(stats);
  return { stats, warnings, read, reducer, tables };
}

/**
 * The top locations at the peak. A sampled capture with the tracer's exact live bytes: at the
 * moment of their peak, read again (a sampled capture holds few records) with the snapshot taken
 * there; the samples' own high-water mark is an estimate's maximum, a moment noise picks,
 * where a large block of the real peak may already be gone.
 */
async function peakLocations(path: string, options: ReadOptions, reducer: StatsReducer, exact: ExactPeak | null | undefined): Promise<PeakLocation[]> {
  if (!exact) return reducer.peakLocations(TOP_PEAK_LOCATIONS);
  const tables = new CaptureTables();
  const atPeak = new StatsReducer(tables, { snapshotAfterRecords: exact.afterRecords });
  await readCapture(path, withTables(tables, { batch: (b) => atPeak.add(b) }), { ...options, reuseBatches: true });
  return atPeak.peakLocations(TOP_PEAK_LOCATIONS);
}

/** peak_bytes, peak_time_ms and (sampled captures with exact live bytes) sampled_peak_bytes, in that order. */
export function peakFields(
  sampleBytes: number,
  peakBytes: number,
  peakTimeUs: number,
  exact: ExactPeak | null | undefined,
): Pick<StatsJson, 'peak_bytes' | 'peak_time_ms' | 'sampled_peak_bytes'> {
  if (sampleBytes > 0 && exact) return { peak_bytes: exact.bytes, peak_time_ms: exact.timeUs / 1000, sampled_peak_bytes: peakBytes };
  return { peak_bytes: peakBytes, peak_time_ms: peakTimeUs / 1000 };
}

/** Sampled captures: weighted sizes (capture/sampling.ts) are estimates; whole bytes are precise enough. */
export function roundSampledStats(stats: StatsJson): StatsJson {
  if (stats.sample_bytes > 0) {
    stats.total_allocated_bytes = Math.round(stats.total_allocated_bytes);
    stats.peak_bytes = Math.round(stats.peak_bytes);
    if (stats.sampled_peak_bytes !== undefined) stats.sampled_peak_bytes = Math.round(stats.sampled_peak_bytes);
    stats.end_bytes = Math.round(stats.end_bytes);
    for (const l of stats.top_peak_locations) l.bytes = Math.round(l.bytes);
  }
  return stats;
}

/** The StatsJson of a capture; warnings go to `onWarning` (never into the JSON). */
export async function computeStats(
  path: string,
  options: ReadOptions & { onWarning?: (message: string) => void } = {},
): Promise<StatsJson> {
  const a = await analyzeStats(path, options);
  for (const w of a.warnings) options.onWarning?.(w);
  return a.stats;
}

/**
 * The data embedded in a flamegraph report: compact columnar JSON with a string table. Every array
 * of ids is delta-encoded where that keeps numbers short (parents, rows, temporal rows). The page
 * (page-model.ts) decodes it and recomputes every view, filter and time window from it.
 */
import type { ReportAnalysis, ReportView } from '../analysis/report-analysis';
import { POS_END } from '../analysis/report-reducer';
import type { ArenaTimeline } from '../analysis/arena-timeline';
import { peakFields } from '../analysis/compute-stats';

export const FLAME_DATA_VERSION = 1;

export interface FlameData {
  v: number;
  meta: {
    command: string;
    python: string;
    /** 0: every allocation; N: a sampled capture (bytes are estimates, counts are samples). */
    sample_bytes: number;
    duration_ms: number;
    peak_bytes: number;
    peak_time_ms: number;
    /** Sampled captures whose peak_bytes came from the tracer's exact live bytes: the samples' own peak. */
    sampled_peak_bytes?: number;
    total_bytes: number;
    allocations: number;
    frees: number;
    end_bytes: number;
    records: number;
    truncated: boolean;
    warnings: string[];
    temporary_threshold: number;
    view: ReportView;
    inverted: boolean;
    split_threads: boolean;
    file: string;
  };
  strings: string[];
  /** Per frame: file and function (string indices), line, import machinery flag (1). */
  frames: { file: number[]; func: number[]; line: number[]; imp: number[] };
  /** Tree nodes 1..n (node 0, the root, is implicit): delta to the parent (node - parent), frame. */
  nodes: { up: number[]; frame: number[] };
  threads: { id: number[]; name: number[] };
  /** Rows: tree node (delta-encoded, rows sorted by node) and thread index (omitted when one thread). */
  rows: { node: number[]; thread: number[] | null };
  total: { bytes: number[]; count: number[] };
  /** Sparse: row deltas, bytes, count. */
  temp: { row: number[]; bytes: number[]; count: number[] };
  /** Temporal aggregates (see report-reducer.ts): row deltas, alloc / free positions (-1 = end). */
  temporal: { row: number[]; ap: number[]; fp: number[]; bytes: number[]; count: number[] };
  timeline: { width_ms: number; peak: number[]; end: number[] };
  marks: { name: number; t_ms: number }[];
  /**
   * pymalloc per time bucket (arena-timeline.ts), or null: arenas (most within the bucket, and at its
   * end), pools in use at its end, and per size class listed in `classes` pools and blocks in use at
   * its end. Every series is delta-encoded (each entry is the difference from the previous bucket).
   */
  arenas?: {
    arena_size: number;
    pool_size: number;
    max: number[];
    end: number[];
    pools_end: number[];
    classes: number[];
    pools: number[][];
    blocks: number[][];
    anomalies: number;
  } | null;
}

function deltas(v: ArrayLike<number>): number[] {
  const out = new Array<number>(v.length);
  let prev = 0;
  for (let i = 0; i < v.length; i++) {
    out[i] = v[i]! - prev;
    prev = v[i]!;
  }
  return out;
}

/** The arena timeline as embedded in the page (see FlameData.arenas). */
export function arenaFlameData(t: ArenaTimeline | null | undefined): FlameData['arenas'] {
  if (!t) return null;
  return {
    arena_size: t.arenaSize,
    pool_size: t.poolSize,
    max: deltas(t.arenasMax),
    end: deltas(t.arenasEnd),
    pools_end: deltas(t.poolsEnd),
    classes: t.classes,
    pools: t.pools.map(deltas),
    blocks: t.blocks.map(deltas),
    anomalies: t.anomalies,
  };
}

const IMPORT_FILE = /^<frozen (importlib\._bootstrap(_external)?|zipimport)>$|[\\/]importlib[\\/]_bootstrap(_external)?\.py$/;

export function isImportMachinery(file: string): boolean {
  return IMPORT_FILE.test(file);
}

export function buildFlameData(
  a: ReportAnalysis,
  opts: { view?: ReportView; inverted?: boolean; splitThreads?: boolean; arenas?: ArenaTimeline | null } = {},
): FlameData {
  const t = a.tree;
  const strings = t.strings.slice();
  const sidx = new Map<string, number>();
  strings.forEach((s, i) => sidx.set(s, i));
  const str = (s: string): number => {
    let i = sidx.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      sidx.set(s, i);
    }
    return i;
  };
  const nNodes = t.nodeParent.length;
  const up: number[] = new Array(nNodes - 1);
  const frame: number[] = new Array(nNodes - 1);
  for (let i = 1; i < nNodes; i++) {
    up[i - 1] = i - t.nodeParent[i]!;
    frame[i - 1] = t.nodeFrame[i]!;
  }
  // Rows sorted by tree node (then thread) so node ids delta-encode to small numbers.
  const nRows = t.rowNode.length;
  const order = Array.from({ length: nRows }, (_, i) => i);
  order.sort((x, y) => t.rowNode[x]! - t.rowNode[y]! || t.rowThread[x]! - t.rowThread[y]!);
  const newRow = new Uint32Array(nRows);
  order.forEach((r, i) => (newRow[r] = i));

  const threadIds = [...new Set([...a.threads.map((x) => x.id), ...t.rowThread])].sort((x, y) => x - y);
  const threadIndex = new Map(threadIds.map((id, i) => [id, i]));
  const threadName = new Map(a.threads.map((x) => [x.id, x.name]));

  const rowNode: number[] = new Array(nRows);
  const rowThread: number[] = new Array(nRows);
  let prev = 0;
  for (let i = 0; i < nRows; i++) {
    const r = order[i]!;
    rowNode[i] = t.rowNode[r]! - prev;
    prev = t.rowNode[r]!;
    rowThread[i] = threadIndex.get(t.rowThread[r]!)!;
  }
  const totalBytes: number[] = new Array(nRows);
  const totalCount: number[] = new Array(nRows);
  const temp = { row: [] as number[], bytes: [] as number[], count: [] as number[] };
  let prevTemp = 0;
  for (let i = 0; i < nRows; i++) {
    const r = order[i]!;
    totalBytes[i] = a.totals.bytes[r]!;
    totalCount[i] = a.totals.count[r]!;
    if (a.temporary.count[r]! > 0) {
      temp.row.push(i - prevTemp);
      prevTemp = i;
      temp.bytes.push(a.temporary.bytes[r]!);
      temp.count.push(a.temporary.count[r]!);
    }
  }
  // Temporal entries sorted by row.
  const te = a.temporal;
  const tord = Array.from({ length: te.length }, (_, i) => i);
  tord.sort((x, y) => newRow[te.row[x]!]! - newRow[te.row[y]!]! || te.ap[x]! - te.ap[y]! || te.fp[x]! - te.fp[y]!);
  const temporal = { row: new Array<number>(te.length), ap: new Array<number>(te.length), fp: new Array<number>(te.length), bytes: new Array<number>(te.length), count: new Array<number>(te.length) };
  let prevT = 0;
  tord.forEach((e, i) => {
    const r = newRow[te.row[e]!]!;
    temporal.row[i] = r - prevT;
    prevT = r;
    temporal.ap[i] = te.ap[e]!;
    temporal.fp[i] = te.fp[e]! === POS_END ? -1 : te.fp[e]!;
    temporal.bytes[i] = te.bytes[e]!;
    temporal.count[i] = te.count[e]!;
  });
  const f = a.figures;
  const hdr = a.header;
  return {
    v: FLAME_DATA_VERSION,
    meta: {
      command: hdr.argv.join(' '),
      python: hdr.pythonVersion,
      sample_bytes: hdr.sampleBytes,
      duration_ms: a.durationUs / 1000,
      ...peakFields(hdr.sampleBytes, f.peakBytes, f.peakTimeUs, a.read.exactPeak),
      total_bytes: f.totalAllocatedBytes,
      allocations: f.allocations,
      frees: f.frees,
      end_bytes: f.endBytes,
      records: f.records,
      truncated: a.read.truncated,
      warnings: a.warnings,
      temporary_threshold: a.temporaryThreshold,
      view: opts.view ?? 'peak',
      inverted: !!opts.inverted,
      split_threads: !!opts.splitThreads,
      file: a.path,
    },
    strings,
    frames: {
      file: t.frameFile,
      func: t.frameFunc,
      line: t.frameLine,
      imp: t.frameFile.map((fi) => (isImportMachinery(t.strings[fi]!) ? 1 : 0)),
    },
    nodes: { up, frame },
    threads: { id: threadIds, name: threadIds.map((id) => str(threadName.get(id) ?? '')) },
    rows: { node: rowNode, thread: threadIds.length > 1 ? rowThread : null },
    total: { bytes: totalBytes, count: totalCount },
    temp,
    temporal,
    timeline: { width_ms: a.timeline.widthUs / 1000, peak: a.timeline.peak, end: a.timeline.end },
    marks: f.marks.map((m) => ({ name: str(a.tables.marks.get(m.id)?.name ?? `mark ${m.id}`), t_ms: m.timeUs / 1000 })),
    arenas: arenaFlameData(opts.arenas),
  };
}

/**
 * JSON for embedding inside <script type="application/json">: `<`, `>`, `&`, U+2028 and U+2029 are
 * written as \u escapes so no string from the program can close the element or break the script.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

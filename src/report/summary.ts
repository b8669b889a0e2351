/**
 * Terminal reports over a ReportAnalysis: `summary` (top locations, own and total), `tree` (the
 * biggest stacks as an indented tree) and the extended sections of `stats`. Program-supplied strings
 * go through sanitize(); colour only when asked (TTY and no NO_COLOR, decided by the CLI).
 */
import { DOMAINS } from '../analysis/report-reducer';
import { frameLabel, nodeValues, ReportAnalysis, ReportView, rowValues } from '../analysis/report-analysis';
import { peakFields, roundSampledStats, StatsJson } from '../analysis/compute-stats';
import { formatBytes, formatDuration, samplingNote, sanitize } from './text';

export interface TermOptions {
  width: number;
  color: boolean;
}

const style = (on: boolean, code: string, s: string): string => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

function cut(s: string, max: number): string {
  if (max <= 1) return s.slice(0, Math.max(0, max));
  return s.length <= max ? s : s.slice(0, max - 1) + '…';
}

const pct = (x: number, total: number): string => (total > 0 ? `${((x / total) * 100).toFixed(1)}%` : '-');
const count = (n: number): string => n.toLocaleString('en-US');

export interface SummaryLocation {
  file: string;
  line: number;
  function: string;
  own_bytes: number;
  total_bytes: number;
  own_count: number;
  total_count: number;
}

export interface SummaryJson {
  view: ReportView;
  python_version: string;
  argv: string[];
  /** 0: every allocation; N: sampled capture (bytes are estimates, counts are samples). */
  sample_bytes: number;
  /**
   * The high-water mark of live bytes as the records count them (sampled captures: the samples' own
   * estimate; with the tracer's exact live bytes, the views' high-water mark is where those peak,
   * exact_peak_time_ms).
   */
  peak_bytes: number;
  peak_time_ms: number;
  /** Sampled captures with the tracer's exact live bytes: the peak from them (stats' peak_bytes). */
  exact_peak_bytes?: number;
  exact_peak_time_ms?: number;
  /** Bytes in this view (the root's total). */
  view_bytes: number;
  view_count: number;
  locations: SummaryLocation[];
}

/** Locations (innermost frame file:line:function) with own and total bytes and counts in a view. */
export function locationTable(a: ReportAnalysis, view: ReportView): SummaryLocation[] {
  const t = a.tree;
  const v = nodeValues(a, view);
  const n = t.nodeParent.length;
  const byFrame = new Map<number, SummaryLocation>();
  for (let i = 1; i < n; i++) {
    const f = t.nodeFrame[i]!;
    if (v.totalBytes[i] === 0 && v.totalCount[i] === 0) continue;
    let e = byFrame.get(f);
    if (!e) {
      e = { file: t.strings[t.frameFile[f]!]!, line: t.frameLine[f]!, function: t.strings[t.frameFunc[f]!]!, own_bytes: 0, total_bytes: 0, own_count: 0, total_count: 0 };
      byFrame.set(f, e);
    }
    e.own_bytes += v.selfBytes[i]!;
    e.own_count += v.selfCount[i]!;
    // Total: count a recursive frame once (skip when an ancestor has the same frame).
    let dup = false;
    for (let p = t.nodeParent[i]!; p > 0; p = t.nodeParent[p]!) {
      if (t.nodeFrame[p] === f) {
        dup = true;
        break;
      }
    }
    if (!dup) {
      e.total_bytes += v.totalBytes[i]!;
      e.total_count += v.totalCount[i]!;
    }
  }
  // Live memory with no Python frame at all.
  if (v.selfBytes[0]! !== 0 || v.selfCount[0]! !== 0) {
    byFrame.set(-1, { file: '<unknown>', line: 0, function: '<no Python frame>', own_bytes: v.selfBytes[0]!, total_bytes: v.selfBytes[0]!, own_count: v.selfCount[0]!, total_count: v.selfCount[0]! });
  }
  return [...byFrame.values()].sort(
    (x, y) =>
      y.own_bytes - x.own_bytes ||
      y.own_count - x.own_count ||
      (x.file < y.file ? -1 : x.file > y.file ? 1 : 0) ||
      x.line - y.line ||
      (x.function < y.function ? -1 : x.function > y.function ? 1 : 0),
  );
}

export function summaryData(a: ReportAnalysis, view: ReportView, limit: number): SummaryJson {
  const rv = rowValues(a, view);
  let vb = 0;
  let vc = 0;
  for (let i = 0; i < rv.bytes.length; i++) {
    vb += rv.bytes[i]!;
    vc += rv.count[i]!;
  }
  const locs = locationTable(a, view).filter((l) => l.own_bytes > 0 || l.own_count > 0);
  return {
    view,
    python_version: a.header.pythonVersion,
    argv: a.header.argv,
    sample_bytes: a.header.sampleBytes,
    peak_bytes: a.figures.peakBytes,
    peak_time_ms: a.figures.peakTimeUs / 1000,
    ...(a.header.sampleBytes > 0 && a.read.exactPeak
      ? { exact_peak_bytes: a.read.exactPeak.bytes, exact_peak_time_ms: a.read.exactPeak.timeUs / 1000 }
      : {}),
    view_bytes: vb,
    view_count: vc,
    locations: locs.slice(0, limit),
  };
}

const VIEW_TITLES: Record<ReportView, string> = {
  peak: 'live at the high-water mark',
  leaks: 'still live at the end',
  total: 'allocated over the whole run',
  temporary: 'in temporary allocations',
};

export function formatSummary(s: SummaryJson, o: TermOptions): string {
  const lines: string[] = [];
  if (s.sample_bytes > 0) lines.push(style(o.color, '1;35', samplingNote(s.sample_bytes)));
  const when = s.view === 'peak' ? ` (peak at ${formatDuration(s.peak_time_ms)})` : '';
  if (s.exact_peak_bytes !== undefined && s.exact_peak_time_ms !== undefined) {
    lines.push(`Peak heap ${formatBytes(s.exact_peak_bytes)} at ${formatDuration(s.exact_peak_time_ms)} (exact live bytes less estimated rounding; below, the samples' estimates)`);
  }
  lines.push(style(o.color, '1', `${formatBytes(s.view_bytes)} ${VIEW_TITLES[s.view]}${when}, ${count(s.view_count)} ${s.view === 'peak' || s.view === 'leaks' ? 'blocks' : 'allocations'}`));
  if (s.locations.length === 0) {
    lines.push('  (nothing in this view)');
    return lines.join('\n');
  }
  const rows = s.locations.map((l) => [formatBytes(l.own_bytes), pct(l.own_bytes, s.view_bytes), formatBytes(l.total_bytes), pct(l.total_bytes, s.view_bytes), count(l.own_count)]);
  const head = ['own', '%', 'total', '%', 'count'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fixed = w.reduce((x, y) => x + y + 2, 0);
  const locW = Math.max(20, o.width - fixed - 1);
  lines.push(style(o.color, '2', head.map((h, i) => h.padStart(w[i]!)).join('  ') + '  location'));
  s.locations.forEach((l, i) => {
    const cells = rows[i]!.map((c, j) => c.padStart(w[j]!)).join('  ');
    const loc = cut(`${sanitize(l.function)} ${sanitize(l.file)}:${l.line}`, locW);
    lines.push(`${style(o.color, '33', cells)}  ${loc}`);
  });
  return lines.join('\n');
}

export interface TreeJson {
  function: string;
  file: string;
  line: number;
  bytes: number;
  own_bytes: number;
  count: number;
  children: TreeJson[];
}

export interface TreeReport {
  view: ReportView;
  sample_bytes: number;
  total_bytes: number;
  root: TreeJson;
  /** Leaf stacks shown out of the ones with memory in this view. */
  shown: number;
  stacks: number;
}

/** The `limit` tree nodes with the most own bytes, with their ancestors, as a nested tree. */
export function treeData(a: ReportAnalysis, view: ReportView, limit: number): TreeReport {
  const t = a.tree;
  const v = nodeValues(a, view);
  const n = t.nodeParent.length;
  const leaves: number[] = [];
  for (let i = 0; i < n; i++) if (v.selfBytes[i]! > 0) leaves.push(i);
  leaves.sort((x, y) => v.selfBytes[y]! - v.selfBytes[x]! || x - y);
  const keep = new Uint8Array(n);
  for (const l of leaves.slice(0, limit)) for (let p = l; p >= 0 && !keep[p]; p = t.nodeParent[p]!) keep[p] = 1;
  keep[0] = 1;
  const made = new Map<number, TreeJson>();
  const mk = (i: number): TreeJson => {
    const f = t.nodeFrame[i]!;
    const node: TreeJson = {
      function: f < 0 ? '<root>' : t.strings[t.frameFunc[f]!]!,
      file: f < 0 ? '' : t.strings[t.frameFile[f]!]!,
      line: f < 0 ? 0 : t.frameLine[f]!,
      bytes: v.totalBytes[i]!,
      own_bytes: v.selfBytes[i]!,
      count: v.totalCount[i]!,
      children: [],
    };
    made.set(i, node);
    return node;
  };
  const root = mk(0);
  for (let i = 1; i < n; i++) if (keep[i]) made.get(t.nodeParent[i]!)!.children.push(mk(i));
  const sortRec = (x: TreeJson): void => {
    x.children.sort((p, q) => q.bytes - p.bytes);
    x.children.forEach(sortRec);
  };
  sortRec(root);
  return { view, sample_bytes: a.header.sampleBytes, total_bytes: v.totalBytes[0]!, root, shown: Math.min(limit, leaves.length), stacks: leaves.length };
}

export function formatTree(r: TreeReport, o: TermOptions): string {
  const lines: string[] = [];
  if (r.sample_bytes > 0) lines.push(style(o.color, '1;35', samplingNote(r.sample_bytes)));
  lines.push(style(o.color, '1', `${formatBytes(r.total_bytes)} ${VIEW_TITLES[r.view]}; the ${r.shown} largest of ${count(r.stacks)} allocating stacks:`));
  const walk = (x: TreeJson, prefix: string, last: boolean, top: boolean): void => {
    const branch = top ? '' : last ? '└─ ' : '├─ ';
    const size = `${formatBytes(x.bytes)} (${pct(x.bytes, r.total_bytes)})`;
    const name = top ? '<all>' : `${sanitize(x.function)}`;
    const where = top ? '' : ` ${sanitize(x.file)}:${x.line}`;
    const own = !top && x.own_bytes > 0 && x.children.length > 0 ? ` own ${formatBytes(x.own_bytes)}` : '';
    const plain = `${prefix}${branch}${size} ${name}${where}${own}`;
    const text = cut(plain, o.width);
    if (o.color && text === plain) {
      lines.push(`${prefix}${branch}${style(true, '33', size)} ${style(true, '1', name)}${style(true, '2', where)}${own}`);
    } else {
      lines.push(text);
    }
    const childPrefix = top ? '' : prefix + (last ? '   ' : '│  ');
    x.children.forEach((c, i) => walk(c, childPrefix, i === x.children.length - 1, false));
  };
  walk(r.root, '', true, true);
  return lines.join('\n');
}

export interface StatsExtended {
  size_histogram: { min_bytes: number; max_bytes: number; allocations: number }[];
  domains: { domain: string; allocations: number; bytes: number }[];
  top_locations_by_bytes: SummaryLocation[];
  top_locations_by_count: SummaryLocation[];
}

export function statsExtended(a: ReportAnalysis, limit = 10): StatsExtended {
  const r = a.reducer;
  const hist: StatsExtended['size_histogram'] = [];
  r.sizeHistogram.forEach((c, i) => {
    if (c > 0) hist.push({ min_bytes: i === 0 ? 0 : 2 ** (i - 1), max_bytes: i === 0 ? 0 : 2 ** i - 1, allocations: c });
  });
  const total = locationTable(a, 'total');
  return {
    size_histogram: hist,
    domains: DOMAINS.map((d, i) => ({ domain: d, allocations: r.domainCount[i]!, bytes: r.domainBytes[i]! })),
    top_locations_by_bytes: total.slice(0, limit),
    top_locations_by_count: total.slice().sort((x, y) => y.own_count - x.own_count || y.own_bytes - x.own_bytes).slice(0, limit),
  };
}

/** The StatsJson of `pymemprof stats --json`, from a ReportAnalysis (same figures as computeStats). */
export function statsJsonFromReport(a: ReportAnalysis, top = 20): StatsJson {
  const f = a.figures;
  const peak = locationTable(a, 'peak')
    .filter((l) => l.own_bytes > 0 || l.own_count > 0)
    .map((l) => ({ file: l.file, line: l.line, function: l.function, bytes: l.own_bytes, allocations: l.own_count }))
    .sort(
      (x, y) =>
        y.bytes - x.bytes ||
        y.allocations - x.allocations ||
        (x.file < y.file ? -1 : x.file > y.file ? 1 : 0) ||
        x.line - y.line ||
        (x.function < y.function ? -1 : x.function > y.function ? 1 : 0),
    );
  return roundSampledStats({
    format_version: a.header.formatVersion,
    python_version: a.header.pythonVersion,
    argv: a.header.argv,
    sample_bytes: a.header.sampleBytes,
    duration_ms: a.durationUs / 1000,
    allocations: f.allocations,
    frees: f.frees,
    total_allocated_bytes: f.totalAllocatedBytes,
    ...peakFields(a.header.sampleBytes, f.peakBytes, f.peakTimeUs, a.read.exactPeak),
    end_bytes: f.endBytes,
    threads: a.threads,
    top_peak_locations: peak.slice(0, top),
  });
}

export function formatStatsExtended(x: StatsExtended, o: TermOptions): string {
  const lines: string[] = [];
  lines.push('');
  lines.push(style(o.color, '1', 'Allocations by domain:'));
  for (const d of x.domains) lines.push(`  ${d.domain.padEnd(4)} ${count(d.allocations).padStart(14)}  ${formatBytes(d.bytes).padStart(10)}`);
  lines.push('');
  lines.push(style(o.color, '1', 'Allocation sizes:'));
  const maxC = Math.max(1, ...x.size_histogram.map((h) => h.allocations));
  const barW = Math.max(10, Math.min(40, o.width - 40));
  for (const h of x.size_histogram) {
    const range = h.max_bytes === 0 ? '0 B' : `${formatBytes(h.min_bytes)}-${formatBytes(h.max_bytes + 1)}`;
    const bar = '#'.repeat(Math.max(1, Math.round((h.allocations / maxC) * barW)));
    lines.push(`  ${range.padStart(20)} ${count(h.allocations).padStart(12)} ${style(o.color, '36', bar)}`);
  }
  const table = (title: string, locs: SummaryLocation[]): void => {
    lines.push('');
    lines.push(style(o.color, '1', title));
    for (const l of locs) {
      const left = `  ${formatBytes(l.own_bytes).padStart(10)} ${count(l.own_count).padStart(12)}  `;
      lines.push(left + cut(`${sanitize(l.function)} ${sanitize(l.file)}:${l.line}`, Math.max(20, o.width - left.length)));
    }
  };
  table('Top locations by bytes allocated (bytes, allocations):', x.top_locations_by_bytes);
  table('Top locations by number of allocations (bytes, allocations):', x.top_locations_by_count);
  return lines.join('\n');
}

export { frameLabel };

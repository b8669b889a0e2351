/**
 * Actions of the report commands (flamegraph, summary, tree): argument checks, one pass over the
 * capture, output. Progress goes to stderr only when it is a TTY.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PymemprofError } from '../errors';
import type { ReportAnalysis, ReportView } from '../analysis/report-analysis';

const VIEWS = ['peak', 'leaks', 'total', 'temporary'];

export function checkView(view: string): ReportView {
  if (!VIEWS.includes(view)) throw new PymemprofError(`--view: expected one of ${VIEWS.join(', ')}, got '${view}'`, 'BAD_ARGUMENT', 2);
  return view as ReportView;
}

export function checkPositiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new PymemprofError(`${name}: expected a positive integer, got '${value}'`, 'BAD_ARGUMENT', 2);
  return n;
}

/** From this size up, with 3 or more cores, the arena chart gets a worker of its own. */
const OWN_ARENA_WORKER_BYTES = 64 << 20;

function warn(message: string): void {
  process.stderr.write(`pymemprof: warning: ${message}\n`);
}

/** A "reading FILE: N records" line on stderr, at most every 200 ms, only when stderr is a TTY. */
function progressLine(file: string): { onProgress?: (records: number) => void; done: () => void } {
  if (process.stderr.isTTY !== true) return { done: () => {} };
  let last = 0;
  return {
    onProgress: (records) => {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      process.stderr.write(`\rpymemprof: reading ${file}: ${records.toLocaleString('en-US')} records`);
    },
    done: () => {
      if (last !== 0) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Reads the capture with a progress line on a TTY stderr; prints the warnings. */
export async function analyze(file: string, temporaryThreshold?: number, arenas = false): Promise<ReportAnalysis> {
  const { analyzeReport } = await import('../analysis/report-analysis');
  const progress = progressLine(file);
  const a = await analyzeReport(file, { temporaryThreshold, onProgress: progress.onProgress, arenas });
  progress.done();
  for (const w of a.warnings) warn(w);
  return a;
}

export function defaultHtmlName(file: string): string {
  return file.replace(/\.bin$/i, '') + '.html';
}

export async function flamegraphCommand(
  file: string,
  opts: { output?: string; view: string; inverted?: boolean; splitThreads?: boolean; temporaryThreshold: string },
): Promise<number> {
  const view = checkView(opts.view);
  const threshold = checkPositiveInt('--temporary-threshold', opts.temporaryThreshold);
  // pymalloc's arenas and pools on the same time buckets (none when pymalloc was not in use): built
  // in the report's own pass, or, with cores to spare for a large capture, on a worker of its own
  // (it then decodes the capture again).
  const { fitArenaAnswer, startArenaTimeline } = await import('../analysis/arena-timeline');
  const arenaPass = availableParallelism() >= 3 ? startArenaTimeline(file, { minBytes: OWN_ARENA_WORKER_BYTES }) : null;
  let a: Awaited<ReturnType<typeof analyze>>;
  try {
    a = await analyze(file, threshold, arenaPass === null);
  } catch (e) {
    arenaPass?.cancel();
    throw e;
  }
  const { flamegraphHtml } = await import('../report/html');
  const { widthUs } = a.timeline;
  const buckets = a.timeline.peak.length;
  const arenas = arenaPass
    ? await arenaPass.fit(widthUs, buckets)
    : await fitArenaAnswer(file, a.arenas ?? { error: 'not built' }, widthUs, buckets);
  const html = flamegraphHtml(a, { view, inverted: opts.inverted, splitThreads: opts.splitThreads, arenas });
  const out = opts.output ?? defaultHtmlName(file);
  try {
    writeFileSync(out, html);
  } catch (e) {
    throw new PymemprofError(`${out}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'WRITE_FAILED', 1);
  }
  process.stderr.write(`pymemprof: wrote ${out} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB)\n`);
  return 0;
}

export async function summaryCommand(file: string, opts: { json?: boolean; limit: string; view: string }): Promise<number> {
  const view = checkView(opts.view);
  const limit = checkPositiveInt('--limit', opts.limit);
  const a = await analyze(file);
  const { summaryData, formatSummary } = await import('../report/summary');
  const s = summaryData(a, view, limit);
  process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s, termOptions()) + '\n');
  return 0;
}

export async function treeCommand(file: string, opts: { json?: boolean; limit: string; view: string }): Promise<number> {
  const view = checkView(opts.view);
  const limit = checkPositiveInt('--limit', opts.limit);
  const a = await analyze(file);
  const { treeData, formatTree } = await import('../report/summary');
  const t = treeData(a, view, limit);
  process.stdout.write(opts.json ? JSON.stringify(t, null, 2) + '\n' : formatTree(t, termOptions()) + '\n');
  return 0;
}

export interface TermOptions {
  width: number;
  color: boolean;
}

/** Terminal width (80 when not a TTY) and colour (a TTY, and NO_COLOR unset or empty). */
export function termOptions(): TermOptions {
  const tty = process.stdout.isTTY === true;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return { width: tty ? Math.max(40, process.stdout.columns || 80) : 100, color: tty && !noColor };
}

/** `pymemprof arenas`: pymalloc at one moment, the difference between two, pinning. */
export async function arenasCommand(
  file: string,
  opts: { at?: string[]; diff?: string; pinning?: boolean; limit: string; json?: boolean },
): Promise<number> {
  const { parseMoment, queryArenas } = await import('../analysis/arena-query');
  const at = opts.at ?? [];
  if (at.length > 2) throw new PymemprofError(`--at: at most two moments (a difference), got ${at.length}`, 'BAD_ARGUMENT', 2);
  if (opts.diff !== undefined && at.length > 1) throw new PymemprofError('--diff: give one --at with it (the moment to compare with)', 'BAD_ARGUMENT', 2);
  const moments = at.map((a) => parseMoment(a, '--at'));
  if (opts.diff !== undefined) moments.unshift(parseMoment(opts.diff, '--diff'));
  if (opts.diff !== undefined && moments.length === 1) moments.push(parseMoment('end'));
  if (moments.length === 0) moments.push(parseMoment('end'));
  const limit = checkPositiveInt('--limit', opts.limit);
  const progress = progressLine(file);
  const r = await queryArenas(file, moments, { pinning: opts.pinning === true, onProgress: progress.onProgress });
  progress.done();
  for (const w of r.warnings) warn(w);
  if (r.anomalyCount > 0) {
    const first = r.anomalies.find((m) => m.startsWith('record ')) ?? '';
    const hint = r.anomalyCount > 1000 ? ' (a large number: were debug hooks active, PYTHONMALLOC=debug or pymalloc_debug? the model needs plain pymalloc)' : '';
    warn(`${file}: ${r.anomalyCount} records contradict pymalloc's rules${hint}; the tracer missed or misordered events and figures may be off: ${r.anomalies.filter((m) => !m.startsWith('record ')).join(', ')}; first: ${first}`);
  }
  const rep = await import('../report/arenas');
  const states = r.states;
  const to = states[states.length - 1]!;
  const diff = states.length === 2;
  if (opts.json) {
    const base = { file, python_version: r.header.pythonVersion };
    const anomalies = { count: r.anomalyCount, messages: r.anomalies };
    const pinning = r.pinning ? { pinning: rep.pinningJson(r.pinning, limit) } : {};
    const out = diff
      ? (() => {
          const f = rep.arenaStateJson(r, states[0]!);
          const t = rep.arenaStateJson(r, to);
          return { ...base, from: f, to: t, change: rep.arenaDiffJson(f, t), anomalies, ...pinning };
        })()
      : { ...base, ...rep.arenaStateJson(r, to), anomalies, ...pinning };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  let text = diff ? rep.formatArenaDiff(r, states[0]!, to) : rep.formatArenaState(r, to);
  if (r.pinning) text += '\n' + rep.formatPinning(r.pinning, to, limit);
  process.stdout.write(text);
  return 0;
}

/**
 * Actions of the report commands (flamegraph, summary, tree): argument checks, one pass over the
 * capture, output. Progress goes to stderr only when it is a TTY.
 */
import { writeFileSync } from 'node:fs';
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

function warn(message: string): void {
  process.stderr.write(`pymemprof: warning: ${message}\n`);
}

/** Reads the capture with a progress line on a TTY stderr; prints the warnings. */
export async function analyze(file: string, temporaryThreshold?: number): Promise<ReportAnalysis> {
  const { analyzeReport } = await import('../analysis/report-analysis');
  const tty = process.stderr.isTTY === true;
  let last = 0;
  const a = await analyzeReport(file, {
    temporaryThreshold,
    onProgress: tty
      ? (records) => {
          const now = Date.now();
          if (now - last < 200) return;
          last = now;
          process.stderr.write(`\rpymemprof: reading ${file}: ${records.toLocaleString('en-US')} records`);
        }
      : undefined,
  });
  if (tty && last !== 0) process.stderr.write('\r\x1b[K');
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
  const a = await analyze(file, threshold);
  const { flamegraphHtml } = await import('../report/html');
  const html = flamegraphHtml(a, { view, inverted: opts.inverted, splitThreads: opts.splitThreads });
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

/**
 * Terminal text for stats: the summary printed after `pymemprof run`, and `pymemprof stats FILE`.
 * Every string that came from the traced program (file names, function names, argv, thread names)
 * goes through sanitize() first so a program cannot drive the terminal.
 */
import type { StatsJson } from '../analysis/compute-stats';

// ESC sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte escapes;
// then the 8-bit CSI/OSC introducers; then any remaining C0/C1 control character or DEL.
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]?/g;
const OSC = /\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
const ESC2 = /\x1b[\s\S]?/g;
const C1_CSI = /\x9b[0-?]*[ -/]*[@-~]?/g;
const C1_STR = /[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;

/** Removes terminal control characters and escape sequences; tabs and line breaks become spaces. */
export function sanitize(s: string): string {
  return s
    .replace(/[\t\n\r]/g, ' ')
    .replace(CSI, '')
    .replace(OSC, '')
    .replace(ESC2, '')
    .replace(C1_CSI, '')
    .replace(C1_STR, '')
    .replace(CONTROLS, '');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; 52428857 → "50.0 MiB"; below 1 KiB exact bytes. */
export function formatBytes(n: number): string {
  const neg = n < 0;
  let v = Math.abs(n);
  if (v < 1024) return `${neg ? '-' : ''}${v} B`;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${neg ? '-' : ''}${v.toFixed(1)} ${UNITS[u]}`;
}

/** 1234.5 → "1.23 s"; 12.3 → "12.3 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Number(ms.toPrecision(2))} ms`;
  if (ms < 1000) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  const s = (ms - m * 60_000) / 1000;
  return `${m} min ${s.toFixed(1)} s`;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function locationLine(l: { file: string; line: number; function: string }): string {
  return `${sanitize(l.file)}:${l.line} ${sanitize(l.function)}`;
}

function locationTable(stats: StatsJson, limit: number, indent: string): string[] {
  const locs = stats.top_peak_locations.slice(0, limit);
  if (locs.length === 0) return [`${indent}(nothing live at the peak)`];
  const sizes = locs.map((l) => formatBytes(l.bytes));
  const w = Math.max(...sizes.map((s) => s.length));
  return locs.map((l, i) => {
    const blocks = l.allocations === 1 ? '1 block' : `${formatCount(l.allocations)} blocks`;
    return `${indent}${sizes[i]!.padStart(w)}  ${locationLine(l)} (${blocks})`;
  });
}

/** The line every text report of a sampled capture carries. */
export function samplingNote(sampleBytes: number): string {
  return `Sampled:          one sample per ${formatBytes(sampleBytes)} allocated on average (Poisson); bytes are estimates, counts are samples`;
}

/** Sampled captures whose peak came from the tracer's exact live bytes: says so, with the samples' own figure. */
function exactPeakNote(stats: StatsJson): string {
  if (stats.sampled_peak_bytes === undefined) return '';
  return ` (exact live bytes less estimated rounding; the samples alone: ${formatBytes(stats.sampled_peak_bytes)})`;
}

/** Short summary printed after `pymemprof run`. */
export function formatRunSummary(stats: StatsJson, capturePath: string): string {
  const lines: string[] = [];
  lines.push(`pymemprof: traced for ${formatDuration(stats.duration_ms)}`);
  if (stats.sample_bytes > 0) lines.push(`  ${samplingNote(stats.sample_bytes)}`);
  lines.push(`  allocations:     ${formatCount(stats.allocations)} (${formatBytes(stats.total_allocated_bytes)} allocated in total)`);
  lines.push(`  peak heap:       ${formatBytes(stats.peak_bytes)} at ${formatDuration(stats.peak_time_ms)}${exactPeakNote(stats)}`);
  lines.push(`  at exit:         ${formatBytes(stats.end_bytes)} still allocated`);
  lines.push('  largest at the peak:');
  lines.push(...locationTable(stats, 5, '    '));
  lines.push(`  capture: ${sanitize(capturePath)}`);
  lines.push(`  next:    pymemprof stats ${quoteArg(sanitize(capturePath))}`);
  return lines.join('\n');
}

/** `pymemprof stats FILE` without --json. */
export function formatStats(stats: StatsJson): string {
  const lines: string[] = [];
  lines.push(`Python ${sanitize(stats.python_version)}, capture format ${stats.format_version}`);
  lines.push(`Command:          ${stats.argv.map((a) => quoteArg(sanitize(a))).join(' ')}`);
  if (stats.sample_bytes > 0) lines.push(samplingNote(stats.sample_bytes));
  lines.push(`Duration:         ${formatDuration(stats.duration_ms)}`);
  lines.push(`Allocations:      ${formatCount(stats.allocations)}${stats.sample_bytes > 0 ? ' samples' : ''}`);
  lines.push(`Frees:            ${formatCount(stats.frees)}`);
  lines.push(`Total allocated:  ${formatBytes(stats.total_allocated_bytes)} (${formatCount(stats.total_allocated_bytes)} bytes)`);
  lines.push(`Peak heap:        ${formatBytes(stats.peak_bytes)} (${formatCount(stats.peak_bytes)} bytes) at ${formatDuration(stats.peak_time_ms)}${exactPeakNote(stats)}`);
  lines.push(`Live at the end:  ${formatBytes(stats.end_bytes)} (${formatCount(stats.end_bytes)} bytes)`);
  if (stats.threads.length > 0) {
    lines.push(`Threads:          ${stats.threads.map((t) => `${t.id} ${t.name ? sanitize(t.name) : '(unnamed)'}`).join(', ')}`);
  }
  lines.push('');
  lines.push(`Top ${Math.min(stats.top_peak_locations.length, 20)} locations by memory live at the peak:`);
  lines.push(...locationTable(stats, 20, '  '));
  return lines.join('\n');
}

function quoteArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

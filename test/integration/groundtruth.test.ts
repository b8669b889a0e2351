/**
 * Ground truth from tracemalloc: the same fixture runs once plainly with tracemalloc (snapshot at
 * its peak point) and once under pymemprof (no tracemalloc); per-line live bytes at the peak agree
 * within 1% on the dominant lines (a 50 MiB bytearray, a list of a million ints, a dict of strings
 * built in a comprehension).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { analyzeStats, StatsAnalysis } from '../../src/analysis/compute-stats';
import { describeEachPython } from '../helpers/pythons';
import { expectStatus, fixture, markerLine, plain, tempDir, traced } from './util';

const FIXTURE = fixture('groundtruth.py');
const MARKERS = ['bytearray', 'ints', 'dict'] as const;

interface TmRow {
  file: string;
  line: number;
  size: number;
  count: number;
}

describeEachPython('tracemalloc ground truth', (py) => {
  let dir: string;
  let tm: { file: string; stats: TmRow[] };
  let analysis: StatsAnalysis;
  /** pymemprof's live bytes at the peak folded by (file, line) of the innermost frame. */
  const perLine = new Map<string, number>();

  beforeAll(async () => {
    dir = tempDir(`gt${py.minor}`);
    const tmOut = path.join(dir, 'tracemalloc.json');
    const capture = path.join(dir, 'gt.bin');
    const [p, t] = await Promise.all([
      plain(py.path, [FIXTURE], { env: { ...process.env, PYMEMPROF_TRACEMALLOC_OUT: tmOut } }),
      traced(py.path, capture, [FIXTURE], { env: { ...process.env, PYMEMPROF_TRACEMALLOC_OUT: '' } }),
    ]);
    expectStatus(p, 0, 'plain run with tracemalloc');
    expectStatus(t, 0, 'pymemprof run');
    tm = JSON.parse(fs.readFileSync(tmOut, 'utf8'));
    analysis = await analyzeStats(capture);
    const { reducer, tables } = analysis;
    reducer.forEachNodeAtPeak((node, bytes) => {
      const loc = tables.location(node);
      const key = `${loc.file}:${loc.line}`;
      perLine.set(key, (perLine.get(key) ?? 0) + bytes);
    });
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(MARKERS)('per-line bytes at the peak agree with tracemalloc within 1%%: %s', (marker) => {
    const line = markerLine(FIXTURE, `gt:${marker}`);
    const truth = tm.stats.find((r) => r.line === line && r.file === tm.file);
    expect(truth, `tracemalloc has no statistic for line ${line}`).toBeDefined();
    expect(truth!.size).toBeGreaterThan(10 * 1024 * 1024); // the line dominates
    const ours = perLine.get(`${FIXTURE}:${line}`) ?? 0;
    const rel = Math.abs(ours - truth!.size) / truth!.size;
    expect(rel, `line ${line}: pymemprof ${ours} B, tracemalloc ${truth!.size} B`).toBeLessThanOrEqual(0.01);
  });

  test('top_peak_locations lists the three dominant lines first, with tracemalloc figures', () => {
    const top = analysis.stats.top_peak_locations.slice(0, 3);
    const want = MARKERS.map((m) => markerLine(FIXTURE, `gt:${m}`)).sort((a, b) => a - b);
    expect(top.map((l) => l.file)).toEqual([FIXTURE, FIXTURE, FIXTURE]);
    expect(top.map((l) => l.line).sort((a, b) => a - b)).toEqual(want);
    for (const l of top) {
      const truth = tm.stats.find((r) => r.line === l.line)!;
      expect(Math.abs(l.bytes - truth.size) / truth.size, `line ${l.line}`).toBeLessThanOrEqual(0.01);
      // block counts too: a million ints are a million blocks on both sides
      expect(Math.abs(l.allocations - truth.count) / truth.count, `blocks on line ${l.line}`).toBeLessThanOrEqual(0.01);
    }
  });

  test('the high-water mark holds all three structures, and they are freed by the end', () => {
    const dominant = MARKERS.map((m) => tm.stats.find((r) => r.line === markerLine(FIXTURE, `gt:${m}`))!.size).reduce((a, b) => a + b, 0);
    expect(analysis.stats.peak_bytes).toBeGreaterThanOrEqual(dominant * 0.99);
    expect(analysis.stats.end_bytes).toBeLessThan(analysis.stats.peak_bytes - dominant * 0.99);
    expect(analysis.stats.python_version).toBe(py.version);
  });

  // BUG (reported; fails on 3.9, 3.10, 3.12, 3.13, passes on 3.11): a few frees (1-4 per run, at
  // interpreter finalisation) are of blocks whose allocation was never recorded. They are made
  // (most likely) while the tracer's own guard (`in_hook`) is set, e.g. in start_tracing() (imports of threading,
  // atexit and pymemprof, setprofile) and in code_id() (PyUnicode_AsUTF8 caches a UTF-8 copy inside
  // the program's own co_name/co_filename strings); the frees of those blocks are recorded anyway.
  test('no allocation was missed: every free matches an allocation recorded while tracing', () => {
    // Hooks are installed before pre-initialisation, so every block the program frees was seen.
    expect(analysis.reducer.figures().unknownFrees).toBe(0);
    expect(analysis.reducer.figures().unknownStacks).toBe(0);
    expect(analysis.read.trailer?.droppedRecords ?? 0).toBe(0);
  });
});

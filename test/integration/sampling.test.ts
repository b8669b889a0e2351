/**
 * Sampling mode (`run --sample-bytes N`): the same program traced fully and sampled; the sampled
 * capture's estimates against the full capture's exact figures, frees of sampled blocks matched,
 * the header and every report saying the capture is sampled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { analyzeReport } from '../../src/analysis/report-analysis';
import { summaryData } from '../../src/report/summary';
import { readCapture } from '../../src/capture/reader';
import { describeEachPython } from '../helpers/pythons';
import { cli, expectStatus, fixture, markerLine, tempDir, traced } from './util';

const N = 4096;
const SCRIPT = fixture('sampling.py');

describeEachPython('sampling mode', (py) => {
  let dir: string;
  let full: string;
  let sampled: string;
  beforeAll(async () => {
    dir = tempDir(`sample${py.minor}`);
    full = path.join(dir, 'full.bin');
    sampled = path.join(dir, 'sampled.bin');
    const [f, s] = await Promise.all([
      traced(py.path, full, [SCRIPT]),
      cli(['run', '-q', '--sample-bytes', String(N), '-o', sampled, '--python', py.path, SCRIPT]),
    ]);
    expectStatus(f, 0, 'full tracing');
    expectStatus(s, 0, 'sampled');
    expect(s.stdout).toBe(f.stdout); // the program behaves the same
  }, 120_000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the header says sampled; peak, end and total estimates are within 5% of the exact figures', async () => {
    const [f, s] = [await analyzeStats(full), await analyzeStats(sampled)];
    expect(f.stats.sample_bytes).toBe(0);
    expect(s.stats.sample_bytes).toBe(N);
    expect(s.read.header!.sampleBytes).toBe(N);
    // Far fewer records than allocations, but enough samples for the estimates.
    expect(s.stats.allocations).toBeLessThan(f.stats.allocations / 20);
    expect(s.stats.allocations).toBeGreaterThan(5000);
    const near = (est: number, exact: number) => expect(Math.abs(est - exact) / exact, `${est} vs ${exact}`).toBeLessThan(0.05);
    near(s.stats.peak_bytes, f.stats.peak_bytes);
    near(s.stats.end_bytes, f.stats.end_bytes);
    near(s.stats.total_allocated_bytes, f.stats.total_allocated_bytes);
  });

  test('the top peak locations are those of full tracing, with bytes within 10%', async () => {
    const [f, s] = [await analyzeStats(full), await analyzeStats(sampled)];
    const key = (l: { file: string; line: number }) => `${path.basename(l.file)}:${l.line}`;
    for (const site of ['big', 'small']) {
      const line = markerLine(SCRIPT, `site-${site}`);
      const exact = f.stats.top_peak_locations.find((l) => key(l) === `sampling.py:${line}`);
      const est = s.stats.top_peak_locations.find((l) => key(l) === `sampling.py:${line}`);
      expect(exact, site).toBeDefined();
      expect(est, `${site} in the sampled capture`).toBeDefined();
      expect(Math.abs(est!.bytes - exact!.bytes) / exact!.bytes, site).toBeLessThan(0.1);
    }
    // The two biggest sites lead in both, in the same order.
    expect(s.stats.top_peak_locations.slice(0, 2).map(key)).toEqual(f.stats.top_peak_locations.slice(0, 2).map(key));
    // Short-lived churn is never more than one list: it is not among the sampled peak's locations.
    const churn = markerLine(SCRIPT, 'site-churn');
    const c = s.stats.top_peak_locations.find((l) => key(l) === `sampling.py:${churn}`);
    expect(c?.bytes ?? 0).toBeLessThan(64 * 1024);
  });

  test('every recorded free is of a sampled block, recorded before it, and threads are sampled too', async () => {
    const live = new Set<number>();
    let frees = 0;
    const threadsWithSamples = new Set<number>();
    await readCapture(sampled, {
      batch: (b) => {
        for (let i = 0; i < b.count; i++) {
          const k = b.kind[i]!;
          if (k >= 1 && k <= 3) {
            live.add(b.address[i]!);
            threadsWithSamples.add(b.thread[i]!);
          } else if (k >= 4 && k <= 6) {
            frees++;
            expect(live.delete(b.address[i]!), `free of ${b.address[i]} without a sampled allocation`).toBe(true);
          }
        }
      },
    });
    expect(frees).toBeGreaterThan(1000);
    expect(threadsWithSamples.size).toBeGreaterThanOrEqual(4); // main + 3 workers (each allocates 2 MB)
  });

  test("the peak comes from the tracer's exact live bytes when the capture has them", async () => {
    const s = await analyzeStats(sampled);
    expect(s.read.exactPeak).toBeTruthy();
    expect(s.stats.peak_bytes).toBe(s.read.exactPeak!.bytes);
    expect(s.stats.sampled_peak_bytes).toBeGreaterThan(0);
    // The rounding estimated from the samples is a small part of the exact usable bytes.
    const rounding = s.read.exactPeak!.liveUsableBytes - s.read.exactPeak!.bytes;
    expect(rounding).toBeGreaterThan(0);
    expect(rounding / s.read.exactPeak!.liveUsableBytes).toBeLessThan(0.15);
  });

  test('reports say the capture is sampled', async () => {
    const stats = await cli(['stats', sampled]);
    expectStatus(stats, 0, 'stats');
    expect(stats.stdout).toMatch(/Sampled: +one sample per 4\.0 KiB allocated on average/);
    expect(stats.stdout).toMatch(/Allocations: +[0-9,]+ samples/);
    const summary = await cli(['summary', sampled]);
    expect(summary.stdout.split('\n')[0]).toMatch(/^Sampled:/);
    const tree = await cli(['tree', sampled]);
    expect(tree.stdout.split('\n')[0]).toMatch(/^Sampled:/);
    const json = JSON.parse((await cli(['summary', '--json', sampled])).stdout);
    expect(json.sample_bytes).toBe(N);
    // The peak from the exact live bytes, as stats gives it, beside the samples' own.
    expect(summary.stdout.split('\n')[1]).toMatch(/^Peak heap .* \(exact live bytes less estimated rounding/);
    expect(json.exact_peak_bytes).toBe((await analyzeStats(sampled)).stats.peak_bytes);
    const html = path.join(dir, 'sampled.html');
    expectStatus(await cli(['flamegraph', sampled, '-o', html]), 0, 'flamegraph');
    expect(fs.readFileSync(html, 'utf8')).toContain(`"sample_bytes":${N}`);
    // The arena model needs every allocation: a clear refusal, not wrong figures.
    const arenas = await cli(['arenas', sampled]);
    expect(arenas.status).toBe(2);
    expect(arenas.stderr).toMatch(/sampled.*arena model needs every allocation/);
  });
});

// The sampled peak against full tracing's where the peak is the same in every run (one thread): from
// the tracer's exact live bytes it must be within 1% at the default N, where the samples' own
// estimate carries several percent of noise; under PYTHONMALLOC=debug (no exact counts) the capture
// falls back to the samples' estimate.
describeEachPython('sampled peak from exact live bytes', (py) => {
  const script = fixture('sampling_peak.py');
  let dir: string;
  beforeAll(() => {
    dir = tempDir(`exactpeak${py.minor}`);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('within 1% of the traced peak; the debug allocators fall back to the samples', async () => {
    const full = path.join(dir, 'full.bin');
    const sampled = path.join(dir, 'sampled.bin');
    const debug = path.join(dir, 'debug.bin');
    const mallocOnly = path.join(dir, 'malloc.bin');
    const sampledRun = (out: string, allocator?: string) =>
      cli(['run', '-q', '--sample-bytes', '16384', '-o', out, '--python', py.path, script], allocator ? { env: { ...process.env, PYTHONMALLOC: allocator } } : {});
    const runs = await Promise.all([traced(py.path, full, [script]), sampledRun(sampled), sampledRun(debug, 'debug'), sampledRun(mallocOnly, 'malloc')]);
    runs.forEach((r, i) => expectStatus(r, 0, ['full', 'sampled', 'debug', 'malloc'][i]!));
    const f = await analyzeStats(full);
    // pymalloc's size classes, and malloc_usable_size alone (PYTHONMALLOC=malloc)
    for (const file of [sampled, mallocOnly]) {
      const s = await analyzeStats(file);
      const error = (s.stats.peak_bytes - f.stats.peak_bytes) / f.stats.peak_bytes;
      expect(Math.abs(error), `${path.basename(file)}: exact ${s.stats.peak_bytes} (samples alone ${s.stats.sampled_peak_bytes}) vs traced ${f.stats.peak_bytes}`).toBeLessThan(0.01);
      expect(s.stats.sampled_peak_bytes).toBeDefined();
    }
    const d = await analyzeStats(debug);
    expect(d.read.exactPeak ?? null).toBeNull();
    expect(d.stats.sampled_peak_bytes).toBeUndefined();
    expect(d.stats.peak_bytes).toBeGreaterThan(0);
  }, 120_000);

  // The locations at the peak are taken at the exact peak's moment: both 20 MB blocks, not the
  // plateau's small objects where the samples' own high-water mark often falls at this N.
  test('top locations at the exact peak: the moment the live bytes were highest, not the samples\' maximum', async () => {
    const moment = fixture('sampling_moment.py');
    const lines = fs.readFileSync(moment, 'utf8').split('\n');
    const lineOf = (text: string) => lines.findIndex((l) => l.startsWith(text)) + 1;
    const [first, second, many] = [lineOf('first ='), lineOf('second ='), lineOf('many =')];
    for (let run = 0; run < 3; run++) {
      const out = path.join(dir, `moment${run}.bin`);
      const r = await cli(['run', '-q', '--sample-bytes', '1048576', '-o', out, '--python', py.path, moment]);
      expectStatus(r, 0, `moment run ${run}`);
      const s = await analyzeStats(out);
      expect(s.read.exactPeak, 'exact live bytes recorded').toBeTruthy();
      const at = (line: number) => s.stats.top_peak_locations.find((l) => l.file === moment && l.line === line)?.bytes ?? 0;
      const where = JSON.stringify(s.stats.top_peak_locations.slice(0, 4).map((l) => [l.line, l.bytes]));
      expect(at(first), where).toBeGreaterThan(19_000_000);
      expect(at(second), where).toBeGreaterThan(19_000_000);
      expect(at(many), where).toBeLessThan(1_000_000);
      // The report pass (flamegraph, summary, tree) puts its high-water mark at the same moment.
      const report = summaryData(await analyzeReport(out), 'peak', 50);
      const own = (line: number) => report.locations.find((l) => l.file === moment && l.line === line)?.own_bytes ?? 0;
      const reportWhere = JSON.stringify(report.locations.slice(0, 4).map((l) => [l.line, l.own_bytes]));
      expect(own(first), reportWhere).toBeGreaterThan(19_000_000);
      expect(own(second), reportWhere).toBeGreaterThan(19_000_000);
      expect(own(many), reportWhere).toBeLessThan(1_000_000);
    }
  }, 120_000);

  // mimalloc's blocks are not malloc's: no exact count, and no crash.
  test.runIf(py.minor >= 13)('PYTHONMALLOC=mimalloc falls back to the samples', async () => {
    const out = path.join(dir, 'mimalloc.bin');
    const r = await cli(['run', '-q', '--sample-bytes', '16384', '-o', out, '--python', py.path, script], { env: { ...process.env, PYTHONMALLOC: 'mimalloc' } });
    expectStatus(r, 0, 'mimalloc');
    const s = await analyzeStats(out);
    expect(s.read.exactPeak ?? null).toBeNull();
    expect(s.stats.peak_bytes).toBeGreaterThan(0);
  }, 120_000);
});

test('--sample-bytes needs a positive whole number', async () => {
  for (const bad of ['0', '-5', 'x', '1.5']) {
    const r = await cli(['run', '--sample-bytes', bad, 'whatever.py']);
    expect(r.status, bad).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--sample-bytes');
  }
});

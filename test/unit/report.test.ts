import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeReport, collapsedView } from '../../src/analysis/report-analysis';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { buildFlameData, scriptSafeJson } from '../../src/report/flame-data';
import { pageScript, renderFlamegraphHtml } from '../../src/report/html';
import { buildDisplayTree, decodeModel, searchTree, viewRowValues } from '../../src/report/page-model';
import { statsJsonFromReport, summaryData, treeData, formatTree, formatSummary } from '../../src/report/summary';
import { CaptureBuilder, cleanupTemp, tempDir, writeTempBytes } from '../helpers/capture-builder';
import { MB, reportFixture } from './report-fixture';
import { bigCapture } from './big-fixture';

afterAll(cleanupTemp);

const M = 'app.py:<module>:30;app.py:main';

describe('report reducers', () => {
  it('peak, leaks, total and temporary as collapsed stacks', async () => {
    const a = await analyzeReport(reportFixture().writeTemp());
    expect(a.figures.peakBytes).toBe(13 * MB + 4096);
    expect(a.figures.peakTimeUs).toBe(21000);
    expect(collapsedView(a, 'peak')).toEqual([
      '<frozen importlib._bootstrap>:_load:100;lib.py:helper:7 1000000',
      `${M}:21;app.py:phase_two:12 12000000`,
      `${M}:21;app.py:phase_two:13 4096`,
    ]);
    expect(collapsedView(a, 'leaks')).toEqual(['<frozen importlib._bootstrap>:_load:100;lib.py:helper:7 1000000', `${M}:21;app.py:phase_two:12 12000000`]);
    expect(collapsedView(a, 'total')).toEqual([
      '<frozen importlib._bootstrap>:_load:100;lib.py:helper:7 1000000',
      `${M}:20;app.py:phase_one:5 8000000`,
      `${M}:21;app.py:phase_two:12 12000000`,
      `${M}:21;app.py:phase_two:13 40960`,
    ]);
    expect(collapsedView(a, 'temporary')).toEqual([`${M}:21;app.py:phase_two:13 40960`]);
    expect(collapsedView(a, 'temporary', 'count')).toEqual([`${M}:21;app.py:phase_two:13 10`]);
  });

  it('agrees with the stats reducer on the peak and the end on a capture with 100k stacks', async () => {
    const path = bigCapture(20_000).writeTemp();
    const [a, s] = await Promise.all([analyzeReport(path), analyzeStats(path)]);
    expect(collapsedView(a, 'peak')).toEqual(s.reducer.peakCollapsed());
    expect(collapsedView(a, 'leaks')).toEqual(s.reducer.endCollapsed());
    expect(statsJsonFromReport(a)).toEqual(s.stats);
  });

  it('keeps the peak exact when buckets are merged many times', async () => {
    // Records spread over ~60 s force the 128 µs buckets to coarsen ~9 times.
    const b = new CaptureBuilder().header().code({ id: 1, filename: 'x.py', qualname: 'f' }, { id: 2, filename: 'x.py', qualname: 'g' });
    b.nodes([{ id: 1, parent: 0, code: 1, offset: 0 }, { id: 2, parent: 0, code: 2, offset: 0 }]);
    const recs = [];
    let live: number[] = [];
    let t = 0;
    let x = 12345;
    for (let i = 0; i < 5000; i++) {
      t += 1 + (x % 20000);
      x = (x * 1103515245 + 12345) % 2147483648;
      if (live.length && x % 3 === 0) recs.push({ kind: 6, address: live.splice(x % live.length, 1)[0]!, timeUs: t });
      else {
        const addr = 0x1000 + i * 16;
        live.push(addr);
        recs.push({ kind: 3, address: addr, size: 1 + (x % 5000), stack: 1 + (x % 2), timeUs: t });
      }
    }
    b.batch(recs);
    const path = b.writeTemp();
    const [a, s] = await Promise.all([analyzeReport(path), analyzeStats(path)]);
    expect(a.timeline.widthUs).toBeGreaterThan(128 * 64);
    expect(collapsedView(a, 'peak')).toEqual(s.reducer.peakCollapsed());
    expect(collapsedView(a, 'leaks')).toEqual(s.reducer.endCollapsed());
  });
});

describe('page model', () => {
  it('recomputes views, windows, threads, hidden frames and search from the embedded data', async () => {
    const a = await analyzeReport(reportFixture().writeTemp());
    const data = JSON.parse(JSON.stringify(buildFlameData(a)));
    const m = decodeModel(data);
    const all = viewRowValues(m, 'peak', null, -1);
    expect(all.bytes.reduce((x, y) => x + y, 0)).toBe(13 * MB + 4096);
    // Window over the first 10 ms: phase_one's 8 MB and the helper's 1 MB.
    const k10 = Math.floor(10 / data.timeline.width_ms);
    const w = viewRowValues(m, 'peak', [0, k10], -1);
    expect(w.bytes.reduce((x, y) => x + y, 0)).toBe(9 * MB);
    const leaks = viewRowValues(m, 'leaks', [0, k10], -1);
    expect(leaks.bytes.reduce((x, y) => x + y, 0)).toBe(1 * MB);
    const t2 = viewRowValues(m, 'total', null, 1);
    expect(t2.bytes.reduce((x, y) => x + y, 0)).toBe(1 * MB);
    const shown = buildDisplayTree(m, all.bytes, all.count, { hideImports: false, inverted: false, splitThreads: false });
    const hidden = buildDisplayTree(m, all.bytes, all.count, { hideImports: true, inverted: false, splitThreads: false });
    expect(hidden.n).toBe(shown.n - 1);
    expect(hidden.totalBytes[0]).toBe(13 * MB + 4096);
    const inv = buildDisplayTree(m, all.bytes, all.count, { hideImports: true, inverted: true, splitThreads: true });
    expect(inv.frame[inv.childList[0]!]).toBeLessThan(-1); // thread pseudo-frames first
    const s = searchTree(m, hidden, 'PHASE_two');
    expect(s.count).toBe(2);
    expect(s.bytes).toBe(12 * MB + 4096);
  });
});

describe('HTML', () => {
  it('escapes the embedded JSON for a script context', () => {
    const j = scriptSafeJson({ s: '</script><!-- \u2028\u2029 & >' });
    expect(j).not.toMatch(/[<>\u2028\u2029&]/);
    expect(JSON.parse(j)).toEqual({ s: '</script><!-- \u2028\u2029 & >' });
  });

  it('embeds a script that uses no module bindings and a hostile name only as escaped data', async () => {
    expect(pageScript()).toContain('function pageMain(');
    const evil = '</script><img src=x onerror=alert(1)>.py';
    const a = await analyzeReport(reportFixture({ file: evil, argv: [evil] }).writeTemp());
    const html = renderFlamegraphHtml(buildFlameData(a));
    expect(html.split('</script>').length).toBe(3);
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('keeps a 100 000-stack report under 5 MB', async () => {
    const a = await analyzeReport(bigCapture(100_000).writeTemp());
    const html = renderFlamegraphHtml(buildFlameData(a));
    expect(Buffer.byteLength(html)).toBeLessThan(5e6);
  });
});

describe('summary and tree', () => {
  it('gives own and total bytes per location and the biggest stacks', async () => {
    const a = await analyzeReport(reportFixture().writeTemp());
    const s = summaryData(a, 'peak', 10);
    expect(s.locations.map((l) => [l.function, l.line, l.own_bytes, l.total_bytes, l.own_count])).toEqual([
      ['phase_two', 12, 12 * MB, 12 * MB, 1],
      ['helper', 7, 1 * MB, 1 * MB, 1],
      ['phase_two', 13, 4096, 4096, 1],
    ]);
    const text = formatSummary(s, { width: 100, color: false });
    expect(text).toContain('12.4 MiB live at the high-water mark (peak at 21 ms), 3 blocks');
    expect(text).not.toContain('\x1b[');
    const t = treeData(a, 'peak', 2);
    expect(formatTree(t, { width: 100, color: false })).toBe(
      [
        '12.4 MiB live at the high-water mark; the 2 largest of 3 allocating stacks:',
        '12.4 MiB (100.0%) <all>',
        '├─ 11.4 MiB (92.3%) <module> app.py:30',
        '│  └─ 11.4 MiB (92.3%) main app.py:21',
        '│     └─ 11.4 MiB (92.3%) phase_two app.py:12',
        '└─ 976.6 KiB (7.7%) _load <frozen importlib._bootstrap>:100',
        '   └─ 976.6 KiB (7.7%) helper lib.py:7',
      ].join('\n'),
    );
  });
});

describe('CLI', () => {
  const bin = resolve(__dirname, '../../bin/pymemprof.js');
  const built = (() => {
    try {
      require.resolve('../../dist/cli/reports.js');
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!built)('flamegraph, summary, tree and stats on a fixture; bad input exits 2 with one line', () => {
    const cap = reportFixture().writeTemp();
    const out = join(tempDir(), 'r.html');
    const r = spawnSync(process.execPath, [bin, 'flamegraph', cap, '-o', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`wrote ${out}`);
    const env = { ...process.env, NO_COLOR: '1' };
    const summary = execFileSync(process.execPath, [bin, 'summary', '--json', cap], { encoding: 'utf8', env });
    expect(JSON.parse(summary).locations[0]).toMatchObject({ function: 'phase_two', line: 12, own_bytes: 12 * MB });
    const tree = execFileSync(process.execPath, [bin, 'tree', cap], { encoding: 'utf8', env });
    expect(tree).toContain('phase_two app.py:12');
    const stats = execFileSync(process.execPath, [bin, 'stats', cap], { encoding: 'utf8', env });
    expect(stats).toContain('Allocations by domain:');
    expect(stats).toContain('Top locations by number of allocations');
    const json = JSON.parse(execFileSync(process.execPath, [bin, 'stats', '--json', cap], { encoding: 'utf8' }));
    expect(Object.keys(json)).not.toContain('extended');
    const bad = writeTempBytes(new TextEncoder().encode('hello, not a capture'), 'bad.bin');
    for (const cmd of ['flamegraph', 'summary', 'tree', 'stats']) {
      const e = spawnSync(process.execPath, [bin, cmd, bad], { encoding: 'utf8' });
      expect(e.status).toBe(2);
      expect(e.stderr.trim().split('\n')).toEqual([`pymemprof: ${bad}: not a pymemprof capture`]);
    }
    const truncated = reportFixture({ trailer: false }).writeTemp('cut.bin');
    const t = spawnSync(process.execPath, [bin, 'flamegraph', truncated, '-o', join(tempDir(), 't.html')], { encoding: 'utf8' });
    expect(t.status).toBe(0);
    expect(t.stderr).toContain('warning');
    const v = spawnSync(process.execPath, [bin, 'flamegraph', cap, '--view', 'nope'], { encoding: 'utf8' });
    expect(v.status).toBe(2);
    writeFileSync(join(tempDir(), 'x'), '');
  });
});

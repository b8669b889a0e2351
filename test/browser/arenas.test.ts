/**
 * The pymalloc chart of the flamegraph report in headless Chromium: drawn under the heap chart when
 * the capture has arenas (hidden otherwise), its summary follows the time window chosen on either
 * chart, the per-class table opens, no errors, no network. Screenshots go to test-output/browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { analyzeReport } from '../../src/analysis/report-analysis';
import { arenaTimeline } from '../../src/analysis/arena-timeline';
import { flamegraphHtml } from '../../src/report/html';
import { KIND } from '../../src/capture/batch-decoder';
import { CaptureBuilder, cleanupTemp, tempDir, TestRecord } from '../helpers/capture-builder';
import { reportFixture } from '../unit/report-fixture';

const CHROMIUM = process.env.PYMEMPROF_CHROMIUM ?? '/usr/bin/chromium';
const OUT = resolve(__dirname, '../../test-output/browser');
const haveChromium = existsSync(CHROMIUM);

let browser: Browser;
beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(OUT, { recursive: true });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
});
afterAll(async () => {
  await browser?.close();
  cleanupTemp();
});

const A = 0x7f0000000000;
const POOL = 16384;

/**
 * 0-10 ms: four arenas filled with 64-byte blocks from grow() (40 pools each); 10-20 ms: all but
 * the first arena's blocks freed, three arenas released; 20-30 ms: 1000 16-byte blocks in the first arena.
 */
function arenaCapture(): CaptureBuilder {
  const recs: TestRecord[] = [];
  let t = 0;
  const blocks: number[] = [];
  for (let a = 0; a < 4; a++) {
    recs.push({ kind: KIND.ARENA_ALLOC, address: A + a * (2 << 20), size: 1 << 20, timeUs: (t += 10) });
    for (let p = 0; p < 40; p++) {
      for (let i = 0; i < 255; i += 5) {
        const addr = A + a * (2 << 20) + p * POOL + 48 + i * 64;
        blocks.push(addr);
        recs.push({ kind: KIND.ALLOC_OBJ, address: addr, size: 64, stack: 1, timeUs: (t += 1) });
      }
    }
  }
  t = 10_000;
  for (const addr of blocks.slice(40 * 51)) recs.push({ kind: KIND.FREE_OBJ, address: addr, timeUs: (t += 1) });
  for (let a = 1; a < 4; a++) recs.push({ kind: KIND.ARENA_FREE, address: A + a * (2 << 20), timeUs: (t += 1) });
  t = 20_000;
  for (let i = 0; i < 1000; i++) recs.push({ kind: KIND.ALLOC_OBJ, address: A + 50 * POOL + 48 + i * 16, size: 16, stack: 2, timeUs: (t += 10) });
  return new CaptureBuilder()
    .header()
    .code({ id: 1, filename: 'app.py', qualname: 'grow', firstLine: 1, lineStarts: [0, 10], lines: [2, 3] })
    .nodes([
      { id: 1, parent: 0, code: 1, offset: 0 },
      { id: 2, parent: 0, code: 1, offset: 10 },
    ])
    .batch(recs)
    .trailer();
}

async function report(b: CaptureBuilder, name: string, withArenas = true): Promise<string> {
  const file = b.writeTemp();
  const a = await analyzeReport(file);
  const arenas = withArenas ? await arenaTimeline(file, a.timeline.widthUs, a.timeline.peak.length) : null;
  const path = join(tempDir(), name);
  writeFileSync(path, flamegraphHtml(a, { arenas }));
  return path;
}

async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto('file://' + path);
  await page.waitForFunction(() => (window as any).pymemprof?.ready === true, null, { timeout: 10000 });
  return { page, errors, requests };
}

describe.skipIf(!haveChromium)('pymalloc chart', () => {
  it('shows arenas and pools over time; the summary follows the window', async () => {
    const { page, errors, requests } = await open(await report(arenaCapture(), 'arenas.html'));
    expect(await page.locator('#arena-wrap').isVisible()).toBe(true);
    const whole = await page.evaluate(() => (window as any).pymemprof.arenas());
    expect(whole.arenasMax).toBe(4);
    expect(whole.arenasAfter).toBe(1);
    expect(whole.classes.map((c: any) => [c.index, c.poolsAfter, c.blocksAfter])).toEqual([
      [0, 1, 1000],
      [3, 40, 40 * 51],
    ]);
    expect(await page.locator('#arena-summary').innerText()).toMatch(/^pymalloc: at most 4 arenas \(4\.0 MiB, in .*\); at the end 1 arenas, 41 pools in use$/);
    await page.screenshot({ path: join(OUT, 'arenas-1-whole.png'), fullPage: true });

    // Drag on the pymalloc chart over the second third (the release phase).
    const box = (await page.locator('#arena-chart').boundingBox())!;
    const ms = await page.evaluate(() => (window as any).pymemprof.bucketMs * (window as any).pymemprof.buckets);
    const x = (t: number): number => box.x + 1 + (t / ms) * (box.width - 2);
    await page.mouse.move(x(9), box.y + 40);
    await page.mouse.down();
    await page.mouse.move(x(15), box.y + 40, { steps: 3 });
    await page.mouse.move(x(19.5), box.y + 40, { steps: 3 });
    await page.mouse.up();
    const range = (await page.evaluate(() => (window as any).pymemprof.state().range)) as [number, number];
    expect(range).not.toBeNull();
    const w = await page.evaluate(() => (window as any).pymemprof.arenas());
    expect([w.arenasBefore, w.arenasAfter, w.arenasMax]).toEqual([4, 1, 4]);
    expect(w.classes).toEqual([{ index: 3, size: 64, poolsBefore: 160, poolsAfter: 40, blocksBefore: 160 * 51, blocksAfter: 40 * 51 }]);
    expect(await page.locator('#arena-summary').innerText()).toMatch(/^pymalloc in the window: arenas 4 → 1 \(at most 4, in .*\), pools in use 160 → 40$/);
    // the heap chart shows the same window
    expect(await page.locator('#range-label').innerText()).toMatch(/^Window /);
    await page.locator('#arena-details summary').click();
    const rows = await page.locator('#arena-classes tr').allInnerTexts();
    expect(rows[1]).toMatch(/^3\s+64 B\s+160 → 40\s+8,160 → 2,040$/);
    await page.mouse.move(x(5), box.y + 30);
    expect(await page.locator('#tooltip').innerText()).toMatch(/arenas: \d+ at the end/);
    await page.screenshot({ path: join(OUT, 'arenas-2-window.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('stays hidden when the capture has no pymalloc arenas data', async () => {
    const { page, errors } = await open(await report(reportFixture(), 'noarenas.html', false));
    expect(await page.locator('#arena-wrap').isHidden()).toBe(true);
    expect(await page.evaluate(() => (window as any).pymemprof.arenas())).toBeNull();
    expect(errors).toEqual([]);
    await page.close();
  });
});

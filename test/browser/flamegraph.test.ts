/**
 * The flamegraph report in a real headless Chromium (Debian's chromium driven by playwright-core):
 * zoom, search, views, thread filter, time window, hostile names. Screenshots go to test-output/browser.
 * Skipped (with a message) when /usr/bin/chromium (or $PYMEMPROF_CHROMIUM) is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { analyzeReport } from '../../src/analysis/report-analysis';
import { flamegraphHtml } from '../../src/report/html';
import { cleanupTemp, tempDir } from '../helpers/capture-builder';
import { MB, reportFixture } from '../unit/report-fixture';

const CHROMIUM = process.env.PYMEMPROF_CHROMIUM ?? '/usr/bin/chromium';
const OUT = resolve(__dirname, '../../test-output/browser');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`);

let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(OUT, { recursive: true });
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  cleanupTemp();
});

async function report(builder = reportFixture(), name = 'report.html'): Promise<string> {
  const a = await analyzeReport(builder.writeTemp());
  const path = join(tempDir(), name);
  writeFileSync(path, flamegraphHtml(a));
  return path;
}

interface Frame {
  func: string;
  file: string;
  line: number;
  bytes: number;
  x: number;
  y: number;
  w: number;
  h: number;
  matched: boolean;
}

async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) requests.push(r.url());
  });
  await page.goto('file://' + path);
  await page.waitForFunction(() => (window as any).pymemprof?.ready === true, null, { timeout: 10000 });
  return { page, errors, requests };
}

const frames = (page: Page): Promise<Frame[]> => page.evaluate(() => (window as any).pymemprof.frames());
const status = (page: Page): Promise<string> => page.locator('#status').innerText();
const frame = async (page: Page, func: string): Promise<Frame> => {
  const f = (await frames(page)).find((x) => x.func === func);
  if (!f) throw new Error(`no frame ${func}; have ${(await frames(page)).map((x) => x.func).join(', ')}`);
  return f;
};

describe.skipIf(!haveChromium)('flamegraph page in Chromium', () => {
  it('shows the peak, zooms, searches, switches views and threads, and recomputes for a time window', async () => {
    const { page, errors, requests } = await open(await report());
    await expect(page.locator('#cmd').innerText()).resolves.toBe('app.py --fast');
    expect(await page.locator('#facts').innerText()).toContain('3.12.1');
    expect(await status(page)).toMatch(/high-water mark at 21 ms: 12\.4 MiB in 3 blocks/);
    let fs = await frames(page);
    expect(fs.map((f) => f.func).sort()).toEqual(['<module>', 'all', 'helper', 'main', 'phase_two', 'phase_two']);
    // Import machinery hidden by default: helper sits right under the root.
    expect(fs.some((f) => f.func === '_load')).toBe(false);
    await page.screenshot({ path: join(OUT, '1-peak.png'), fullPage: true });

    // Click a frame to zoom.
    const helper = await frame(page, 'helper');
    const main = await frame(page, 'main');
    expect(main.w).toBeGreaterThan(helper.w * 5);
    await page.mouse.click(helper.x + 2, helper.y + helper.h / 2);
    expect(await status(page)).toContain('zoomed to helper: 976.6 KiB (7.69%)');
    fs = await frames(page);
    expect(fs.find((f) => f.func === 'helper')!.w).toBeGreaterThan(1000);
    expect(fs.some((f) => f.func === 'phase_two')).toBe(false);
    // Tooltip on hover.
    await page.mouse.move(helper.x + 2, (await frame(page, 'helper')).y + 5);
    const tip = await page.locator('#tooltip').innerText();
    expect(tip).toContain('lib.py:7');
    expect(tip).toContain('total: 976.6 KiB');
    await page.screenshot({ path: join(OUT, '2-zoomed.png'), fullPage: true });
    await page.click('#reset-zoom');
    expect(await status(page)).not.toContain('zoomed');

    // Search shows matches and their share.
    await page.fill('#search', 'phase');
    expect(await page.locator('#search-result').innerText()).toBe('2 matching frames: 11.4 MiB (92.3% of this view)');
    expect((await frame(page, 'phase_two')).matched).toBe(true);
    await page.screenshot({ path: join(OUT, '3-search.png'), fullPage: true });
    await page.fill('#search', '');

    // Views.
    await page.click('#views button[data-view=total]');
    expect(await status(page)).toMatch(/^Everything allocated: 20\.1 MiB in 13 allocations/);
    expect((await frames(page)).some((f) => f.func === 'phase_one')).toBe(true);
    await page.click('#views button[data-view=temporary]');
    expect(await status(page)).toContain('40.0 KiB in 10 allocations');
    expect((await frames(page)).map((f) => f.func).sort()).toEqual(['<module>', 'all', 'main', 'phase_two']);
    await page.click('#views button[data-view=leaks]');
    expect(await status(page)).toContain('still live at the end (leaks): 12.4 MiB in 2 blocks');
    await page.screenshot({ path: join(OUT, '4-leaks.png'), fullPage: true });

    // Import machinery shown on request.
    await page.uncheck('#hide-imports');
    expect((await frames(page)).some((f) => f.func === '_load')).toBe(true);
    await page.check('#hide-imports');

    // Thread filter.
    await page.selectOption('#thread', { label: 'thread 2 loader' });
    expect(await status(page)).toContain('976.6 KiB in 1 blocks · thread 2');
    await page.selectOption('#thread', '-1');

    // Time window: drag over the first 10 ms of the chart → the peak there is phase_one's.
    await page.click('#views button[data-view=peak]');
    const info = await page.evaluate(() => ({ buckets: (window as any).pymemprof.buckets, ms: (window as any).pymemprof.bucketMs }));
    const box = (await page.locator('#chart').boundingBox())!;
    const xOfMs = (ms: number): number => box.x + (ms / (info.buckets * info.ms)) * box.width;
    await page.mouse.move(xOfMs(0.2), box.y + 40);
    await page.mouse.down();
    await page.mouse.move(xOfMs(5), box.y + 40, { steps: 4 });
    await page.mouse.move(xOfMs(9.5), box.y + 40, { steps: 4 });
    await page.mouse.up();
    const range = await page.evaluate(() => (window as any).pymemprof.state().range);
    expect(range).not.toBeNull();
    expect(await status(page)).toContain('8.6 MiB in 2 blocks');
    expect(await page.locator('#range-label').innerText()).toContain('high-water mark 8.6 MiB');
    fs = await frames(page);
    expect(fs.some((f) => f.func === 'phase_one')).toBe(true);
    expect(fs.some((f) => f.func === 'phase_two')).toBe(false);
    await page.screenshot({ path: join(OUT, '5-window.png'), fullPage: true });
    // Leaks of the window: what was allocated in it and still live at its end.
    await page.click('#views button[data-view=leaks]');
    expect(await status(page)).toContain('and still live at its end: 976.6 KiB in 1 blocks');
    await page.click('#range-reset');
    expect(await page.evaluate(() => (window as any).pymemprof.state().range)).toBeNull();

    // Icicle orientation puts the root on top.
    await page.check('#icicle');
    const fsI = await frames(page);
    expect(fsI.find((f) => f.func === 'all')!.y).toBeLessThan(fsI.find((f) => f.func === 'main')!.y);

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('renders hostile program names as text and runs no script from them', async () => {
    const evil = '</script><img src=x onerror=alert(1)>.py';
    const path = await report(reportFixture({ file: evil, func: '<b onmouseover=alert(2)>f\u2028</b>', argv: [evil, '\u2029<svg onload=alert(3)>'] }), 'evil.html');
    const { page, errors } = await open(path);
    expect(await page.locator('#cmd').innerText()).toBe(`${evil} \u2029<svg onload=alert(3)>`.replace('\u2029', '\u2029'));
    expect(await page.locator('img, svg, b').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    await page.click('#views button[data-view=total]');
    const f = (await frames(page)).find((x) => x.file === evil);
    expect(f).toBeTruthy();
    await page.mouse.move(f!.x + 2, f!.y + 5);
    expect(await page.locator('#tooltip').innerText()).toContain(evil);
    await page.screenshot({ path: join(OUT, '6-hostile.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    await page.close();
  });

  it('shows a warning for a truncated capture', async () => {
    const { page, errors } = await open(await report(reportFixture({ trailer: false }), 'truncated.html'));
    expect(await page.locator('#warn').isVisible()).toBe(true);
    expect(await page.locator('#warn').innerText()).toContain('Truncated capture');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says visibly that a sampled capture is sampled', async () => {
    const { page, errors } = await open(await report(reportFixture({ sampleBytes: 65536 }), 'sampled.html'));
    expect(await page.locator('#sampled').isVisible()).toBe(true);
    expect(await page.locator('#sampled').innerText()).toMatch(/Sampled capture: one allocation sampled per 64(\.0)? KiB/);
    expect(await page.locator('#facts').innerText()).toContain('Sampled');
    await page.screenshot({ path: join(OUT, 'sampled.png'), fullPage: true });
    // A full capture has no such banner.
    const full = await open(await report(reportFixture(), 'full.html'));
    expect(await full.page.locator('#sampled').isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
    await full.page.close();
  });

  it('loads a report of 100 000 distinct stacks under 5 MB and within 2 s', async () => {
    const { bigCapture } = await import('../unit/big-fixture');
    const path = await report(bigCapture(100_000), 'big.html');
    const size = statSync(path).size;
    console.log(`100k-stack report: ${(size / 1e6).toFixed(2)} MB`);
    expect(size).toBeLessThan(5e6);
    const t0 = Date.now();
    const { page, errors } = await open(path);
    const loadMs = Date.now() - t0;
    const inPage = await page.evaluate(() => (window as any).pymemprof.loadMs);
    console.log(`100k-stack report: interactive ${loadMs} ms after navigation (page script ${inPage.toFixed(0)} ms)`);
    expect(loadMs).toBeLessThan(2000);
    await page.fill('#search', 'func_7');
    expect(await page.locator('#search-result').innerText()).toMatch(/matching frames/);
    await page.screenshot({ path: join(OUT, '7-big.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});

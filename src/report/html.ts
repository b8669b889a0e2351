/**
 * `pymemprof flamegraph`: the self-contained HTML report. One file, no network fetches (a
 * Content-Security-Policy forbids them), the data embedded as script-safe JSON in a
 * <script type="application/json"> element, the page script made of the functions of page-model.ts
 * and page-ui.ts (their compiled bodies, via Function.prototype.toString).
 */
import { buildFlameData, FlameData, scriptSafeJson } from './flame-data';
import * as model from './page-model';
import { pageMain } from './page-ui';
import type { ReportAnalysis, ReportView } from '../analysis/report-analysis';
import type { ArenaTimeline } from '../analysis/arena-timeline';

const MODEL_FUNCTIONS = [
  model.decodeModel,
  model.decodeArenas,
  model.arenaWindow,
  model.pagePeakBucket,
  model.viewRowValues,
  model.buildDisplayTree,
  model.displayFrame,
  model.searchTree,
  model.nodeAt,
];

let cachedScript: string | null = null;

/** The page script (without data). Throws if a compiled body refers to a module binding. */
export function pageScript(): string {
  if (cachedScript) return cachedScript;
  const parts = [...MODEL_FUNCTIONS, pageMain].map((f) => f.toString());
  const src = `'use strict';\n${parts.join('\n')}\npageMain(JSON.parse(document.getElementById('pymemprof-data').textContent));\n`;
  if (/\b\w+_\d+\.\w+|\brequire\(|\bexports\./.test(src)) throw new Error('page script refers to a module binding');
  if (/<\/script|<!--/i.test(src)) throw new Error('page script contains a sequence that would end its element');
  cachedScript = src;
  return src;
}

const CSS = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
header { padding: 10px 16px 6px; border-bottom: 1px solid var(--line); }
h1 { font-size: 16px; margin: 0 0 4px; font-weight: 600; }
h1 .brand { color: #c0501a; margin-right: 8px; }
#cmd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 400; word-break: break-all; }
#facts { display: flex; flex-wrap: wrap; gap: 2px 18px; margin: 4px 0 0; }
#facts dt { color: var(--muted); }
#facts dt::after { content: ":"; }
#facts dd { margin: 0 0 0 -14px; font-variant-numeric: tabular-nums; }
.warn { margin-top: 6px; padding: 4px 8px; background: #fff3cd; border: 1px solid #e6c65c; border-radius: 4px; }
#chart-wrap { position: relative; padding: 6px 16px 0; }
#chart { display: block; cursor: crosshair; border: 1px solid var(--line); border-radius: 3px; }
#arena-wrap { padding: 4px 16px 0; }
#arena-chart { display: block; cursor: crosshair; border: 1px solid var(--line); border-radius: 3px; }
#arena-summary { padding: 3px 0; font-size: 13px; color: #333; }
#arena-details summary { cursor: pointer; font-size: 13px; color: var(--muted); }
#arena-classes { border-collapse: collapse; font-size: 12px; font-variant-numeric: tabular-nums; margin-bottom: 4px; }
#arena-classes th, #arena-classes td { padding: 1px 10px 1px 6px; text-align: right; border-bottom: 1px solid #eee; }
#arena-classes th { color: var(--muted); font-weight: 500; }
#range-bar { display: flex; gap: 10px; align-items: center; padding: 4px 16px; color: var(--muted); font-size: 13px; }
#controls { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; padding: 6px 16px; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); background: #fafafa; }
#views { display: inline-flex; }
#views button { border: 1px solid #bbb; background: #fff; padding: 3px 10px; margin-right: -1px; cursor: pointer; font: inherit; }
#views button:first-child { border-radius: 4px 0 0 4px; }
#views button:last-child { border-radius: 0 4px 4px 0; }
#views button[aria-pressed="true"] { background: #c0501a; color: #fff; border-color: #a0400f; }
#search { width: 220px; padding: 3px 6px; font: inherit; }
#search-result { color: #7a2a8a; }
#status { padding: 6px 16px; font-size: 13px; color: #333; }
#flame-wrap { padding: 0 16px 16px; }
#flame { display: block; cursor: pointer; }
#empty { padding: 20px 16px; color: var(--muted); }
#tooltip { position: absolute; z-index: 10; max-width: 640px; pointer-events: none; background: rgba(30,30,30,0.94); color: #fff; padding: 6px 9px; border-radius: 4px; font-size: 12px; word-break: break-all; }
#tooltip .fn { font-weight: 600; }
`;

const BODY = `
<header>
  <h1><span class="brand">pymemprof</span><span id="cmd"></span></h1>
  <dl id="facts"></dl>
  <div id="sampled" class="warn" hidden></div>
  <div id="warn" class="warn" hidden></div>
</header>
<section id="chart-wrap" aria-label="Memory over time"><canvas id="chart"></canvas></section>
<section id="arena-wrap" aria-label="pymalloc arenas and pools over time" hidden><canvas id="arena-chart"></canvas><div id="arena-summary"></div><details id="arena-details"><summary>per size class</summary><table id="arena-classes"></table></details></section>
<div id="range-bar"><span id="range-label"></span><button id="range-reset" type="button">Whole run</button></div>
<nav id="controls">
  <span id="views" role="group" aria-label="View">
    <button type="button" data-view="peak" title="Memory live at the high-water mark">Peak</button>
    <button type="button" data-view="leaks" title="Memory still live at the end">Leaks</button>
    <button type="button" data-view="total" title="Everything ever allocated">Total</button>
    <button type="button" data-view="temporary" title="Allocations freed almost at once">Temporary</button>
  </span>
  <label><input type="checkbox" id="icicle"> icicle</label>
  <label><input type="checkbox" id="inverted"> inverted</label>
  <label><input type="checkbox" id="hide-imports"> hide import machinery</label>
  <label><input type="checkbox" id="split-threads"> split threads</label>
  <select id="thread" aria-label="Thread"><option value="-1">all threads</option></select>
  <input id="search" type="search" placeholder="Search functions and files" aria-label="Search">
  <span id="search-result"></span>
  <button id="reset-zoom" type="button">Reset zoom</button>
</nav>
<div id="status"></div>
<div id="flame-wrap"><canvas id="flame"></canvas><div id="empty" hidden>Nothing to show in this view.</div></div>
<div id="tooltip" hidden></div>
`;

export function renderFlamegraphHtml(data: FlameData): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>pymemprof flamegraph</title>',
    `<style>${CSS}</style>`,
    '</head><body>',
    BODY,
    `<script type="application/json" id="pymemprof-data">${scriptSafeJson(data)}</script>`,
    `<script>${pageScript()}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

export function flamegraphHtml(
  a: ReportAnalysis,
  opts: { view?: ReportView; inverted?: boolean; splitThreads?: boolean; arenas?: ArenaTimeline | null } = {},
): string {
  return renderFlamegraphHtml(buildFlameData(a, opts));
}

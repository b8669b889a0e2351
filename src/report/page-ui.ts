/// <reference lib="dom" />
/**
 * The flamegraph page's user interface: header, memory-over-time chart with a draggable window,
 * controls and a canvas flamegraph. Embedded in the report with Function.prototype.toString next to
 * the functions of page-model.ts, which it calls by name (see html.ts). Everything from the traced
 * program reaches the page as text: textContent for DOM, fillText for the canvas.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import type * as PM from './page-model';

// Provided in the page by the functions of page-model.ts embedded beside pageMain (see html.ts);
// declared, not imported, so the compiled body refers to them by bare name.
declare const arenaWindow: typeof PM.arenaWindow;
declare const buildDisplayTree: typeof PM.buildDisplayTree;
declare const decodeArenas: typeof PM.decodeArenas;
declare const decodeModel: typeof PM.decodeModel;
declare const displayFrame: typeof PM.displayFrame;
declare const nodeAt: typeof PM.nodeAt;
declare const pagePeakBucket: typeof PM.pagePeakBucket;
declare const searchTree: typeof PM.searchTree;
declare const viewRowValues: typeof PM.viewRowValues;

export function pageMain(data: any): void {
  const t0 = performance.now();
  const doc = document;
  const $ = (id: string): any => doc.getElementById(id);
  const m = decodeModel(data);
  const meta = data.meta;
  const VIEWS: Record<string, string> = {
    peak: 'Memory live at the high-water mark',
    leaks: 'Memory still live at the end (leaks)',
    total: 'Everything allocated',
    temporary: 'Temporary allocations',
  };
  const state = {
    view: meta.view in VIEWS ? meta.view : 'peak',
    range: null as [number, number] | null,
    thread: -1,
    hideImports: true,
    inverted: !!meta.inverted,
    splitThreads: !!meta.split_threads,
    icicle: false,
    search: '',
    zoom: 0,
  };
  let tree: any = null;
  let search: any = null;
  let rects: { node: number; x: number; y: number; w: number; h: number }[] = [];

  const fmtBytes = (n: number): string => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Math.abs(n);
    if (v < 1024) return `${n} B`;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return `${n < 0 ? '-' : ''}${v.toFixed(1)} ${units[u]}`;
  };
  const fmtMs = (ms: number): string => (ms < 1000 ? `${Number(ms.toFixed(1))} ms` : `${(ms / 1000).toFixed(2)} s`);
  const fmtCount = (n: number): string => Math.round(n).toLocaleString('en-US');
  const pct = (x: number): string => `${(x * 100).toFixed(x >= 0.1 ? 1 : 2)}%`;
  const setText = (id: string, s: string): void => {
    $(id).textContent = s;
  };

  // ---- header ----
  doc.title = `pymemprof: ${meta.command}`;
  setText('cmd', meta.command);
  const facts: [string, string][] = [
    ['Python', meta.python],
    ['Duration', fmtMs(meta.duration_ms)],
    [
      'Peak',
      `${fmtBytes(meta.peak_bytes)} at ${fmtMs(meta.peak_time_ms)}` +
        (meta.sampled_peak_bytes !== undefined ? ` (exact live bytes less estimated rounding; the samples alone: ${fmtBytes(meta.sampled_peak_bytes)})` : ''),
    ],
    ['Allocated in total', `${fmtBytes(meta.total_bytes)} in ${fmtCount(meta.allocations)} ${meta.sample_bytes > 0 ? 'samples' : 'allocations'}`],
    ['Live at the end', fmtBytes(meta.end_bytes)],
  ];
  if (meta.sample_bytes > 0) facts.unshift(['Sampled', `1 per ${fmtBytes(meta.sample_bytes)}`]);
  const dl = $('facts');
  for (const [k, v] of facts) {
    const dt = doc.createElement('dt');
    dt.textContent = k;
    const dd = doc.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  if (meta.sample_bytes > 0) {
    const s = $('sampled');
    s.hidden = false;
    s.textContent = `Sampled capture: one allocation sampled per ${fmtBytes(meta.sample_bytes)} allocated on average (Poisson). Bytes are unbiased estimates; counts are numbers of samples.`;
  }
  if (meta.truncated || meta.warnings.length) {
    const w = $('warn');
    w.hidden = false;
    w.textContent = (meta.truncated ? 'Truncated capture: showing what was complete. ' : '') + meta.warnings.join(' ');
  }

  // ---- controls ----
  const viewButtons: any[] = Array.from(doc.querySelectorAll('#views button'));
  for (const b of viewButtons) {
    b.addEventListener('click', () => {
      state.view = b.dataset.view;
      rebuild();
    });
  }
  const threadSel = $('thread');
  m.threadIds.forEach((id: number, i: number) => {
    const o = doc.createElement('option');
    o.value = String(i);
    o.textContent = `thread ${id}${m.threadNames[i] ? ' ' + m.threadNames[i] : ''}`;
    threadSel.append(o);
  });
  threadSel.disabled = m.threadIds.length < 2;
  threadSel.addEventListener('change', () => {
    state.thread = Number(threadSel.value);
    rebuild();
  });
  const bindCheck = (id: string, key: 'hideImports' | 'inverted' | 'splitThreads' | 'icicle', full: boolean): void => {
    const el = $(id);
    el.checked = state[key];
    el.addEventListener('change', () => {
      state[key] = el.checked;
      if (full) rebuild();
      else draw();
    });
  };
  bindCheck('hide-imports', 'hideImports', true);
  bindCheck('inverted', 'inverted', true);
  bindCheck('split-threads', 'splitThreads', true);
  bindCheck('icicle', 'icicle', false);
  const searchBox = $('search');
  searchBox.addEventListener('input', () => {
    state.search = searchBox.value;
    runSearch();
    draw();
  });
  $('reset-zoom').addEventListener('click', () => {
    state.zoom = 0;
    draw();
  });
  $('range-reset').addEventListener('click', () => {
    state.range = null;
    rebuild();
  });

  // ---- the tree ----
  function rebuild(): void {
    const v = viewRowValues(m, state.view, state.range, state.thread);
    tree = buildDisplayTree(m, v.bytes, v.count, { hideImports: state.hideImports, inverted: state.inverted, splitThreads: state.splitThreads });
    state.zoom = 0;
    for (const b of viewButtons) b.setAttribute('aria-pressed', String(b.dataset.view === state.view));
    runSearch();
    draw();
    drawChart();
  }
  function runSearch(): void {
    search = state.search ? searchTree(m, tree, state.search) : null;
    setText(
      'search-result',
      search ? `${search.count} matching frame${search.count === 1 ? '' : 's'}: ${fmtBytes(search.bytes)} (${pct(search.share)} of this view)` : '',
    );
  }
  function describe(): string {
    const total = tree.totalBytes[0];
    const count = tree.totalCount[0];
    const win = state.range ? ` in the window ${fmtMs(state.range[0] * m.widthMs)} – ${fmtMs((state.range[1] + 1) * m.widthMs)}` : '';
    let s = '';
    if (state.view === 'peak') {
      const a = state.range ? state.range[0] : 0;
      const b = state.range ? state.range[1] : m.peak.length - 1;
      const k = pagePeakBucket(m.peak, a, b);
      const when = state.range ? ` (high-water mark ${fmtBytes(m.peak[k])} near ${fmtMs((k + 0.5) * m.widthMs)})` : ` at ${fmtMs(meta.peak_time_ms)}`;
      s = `${VIEWS.peak}${win}${when}: ${fmtBytes(total)} in ${fmtCount(count)} blocks`;
    } else if (state.view === 'leaks') {
      s = state.range ? `Allocated${win} and still live at its end: ${fmtBytes(total)} in ${fmtCount(count)} blocks` : `${VIEWS.leaks}: ${fmtBytes(total)} in ${fmtCount(count)} blocks`;
    } else if (state.view === 'total') {
      s = `${VIEWS.total}: ${fmtBytes(total)} in ${fmtCount(count)} allocations${state.range ? ' (whole run; the window applies to peak and leaks)' : ''}`;
    } else {
      s = `${VIEWS.temporary} (freed before ${meta.temporary_threshold} other allocation${meta.temporary_threshold === 1 ? '' : 's'}): ${fmtBytes(total)} in ${fmtCount(count)} allocations`;
    }
    if (state.thread >= 0) s += ` · thread ${m.threadIds[state.thread]}`;
    if (state.zoom > 0) {
      const f = displayFrame(m, tree, state.zoom);
      s += ` · zoomed to ${f.func}: ${fmtBytes(tree.totalBytes[state.zoom])} (${pct(total > 0 ? tree.totalBytes[state.zoom] / total : 0)})`;
    }
    return s;
  }

  // ---- flamegraph ----
  const canvas = $('flame');
  const ctx = canvas.getContext('2d');
  const ROW = 18;
  const hash = (s: string): number => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return h >>> 0;
  };
  const colorOf = (node: number, dim: boolean): string => {
    const f = tree.frame[node];
    if (search && search.matched[node]) return '#c040d0';
    if (f === -1) return '#bbb';
    if (f < -1) return '#7fa7d9';
    const fr = displayFrame(m, tree, node);
    const h = hash(fr.func + fr.file);
    const imp = m.fImp[f];
    const hue = imp ? 40 : 10 + (h % 40);
    const sat = imp ? 10 : 70 + ((h >> 8) % 20);
    const lig = (imp ? 70 : 55 + ((h >> 16) % 15)) + (dim ? 15 : 0);
    return `hsl(${hue},${sat}%,${lig}%)`;
  };
  function draw(): void {
    const wrap = $('flame-wrap');
    const W = Math.max(200, wrap.clientWidth - 32);
    const rowsN = tree.maxDepth + 1;
    const H = rowsN * ROW;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    canvas.style.width = `${W}px`;
    canvas.style.height = `${H}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
    ctx.textBaseline = 'middle';
    const charW = ctx.measureText('m').width || 7;
    rects = [];
    const z = state.zoom;
    const zt = tree.totalBytes[z];
    const yOf = (d: number): number => (state.icicle ? d * ROW : (tree.maxDepth - d) * ROW);
    const box = (node: number, x: number, w: number, dim: boolean): void => {
      const y = yOf(tree.depth[node]);
      ctx.fillStyle = colorOf(node, dim);
      ctx.fillRect(x, y, Math.max(w - 0.5, 0.5), ROW - 1);
      rects.push({ node, x, y, w, h: ROW - 1 });
      if (w > charW * 3) {
        const fr = displayFrame(m, tree, node);
        let label = fr.file ? `${fr.func} (${fr.file}:${fr.line})` : fr.func;
        const max = Math.floor((w - 6) / charW);
        if (label.length > max) label = label.slice(0, Math.max(0, max - 1)) + '…';
        ctx.fillStyle = '#111';
        ctx.fillText(label, x + 3, y + ROW / 2);
      }
    };
    // Ancestors of the zoom root span the width.
    for (let a = tree.parent[z]; a >= 0; a = tree.parent[a]) box(a, 0, W, true);
    if (zt > 0 || tree.totalCount[z] > 0) {
      const stack = [z];
      const x0 = tree.x[z];
      while (stack.length) {
        const node = stack.pop()!;
        const w = zt > 0 ? (tree.totalBytes[node] / zt) * W : node === z ? W : 0;
        if (w < 0.3) continue;
        box(node, zt > 0 ? ((tree.x[node] - x0) / zt) * W : 0, w, false);
        for (let j = tree.childStart[node + 1] - 1; j >= tree.childStart[node]; j--) stack.push(tree.childList[j]);
      }
    }
    setText('status', describe());
    $('empty').hidden = tree.totalBytes[0] > 0 || tree.totalCount[0] > 0;
  }
  const tip = $('tooltip');
  const hit = (ev: any): number => {
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    const row = Math.floor(y / ROW);
    const d = state.icicle ? row : tree.maxDepth - row;
    if (d < 0 || d > tree.maxDepth) return -1;
    return nodeAt(tree, state.zoom, x / r.width, d);
  };
  canvas.addEventListener('mousemove', (ev: any) => {
    const node = hit(ev);
    if (node < 0) {
      tip.hidden = true;
      return;
    }
    const fr = displayFrame(m, tree, node);
    const total = tree.totalBytes[0];
    const lines = [
      fr.func,
      fr.file ? `${fr.file}:${fr.line}` : '',
      `total: ${fmtBytes(tree.totalBytes[node])} (${pct(total > 0 ? tree.totalBytes[node] / total : 0)})`,
      `own: ${fmtBytes(tree.selfBytes[node])}`,
      `${state.view === 'peak' || state.view === 'leaks' ? 'blocks' : 'allocations'}: ${fmtCount(tree.totalCount[node])} (own ${fmtCount(tree.selfCount[node])})`,
    ].filter((s) => s);
    tip.replaceChildren(
      ...lines.map((s, i) => {
        const div = doc.createElement('div');
        div.textContent = s;
        if (i === 0) div.className = 'fn';
        return div;
      }),
    );
    tip.hidden = false;
    const tx = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = `${Math.max(0, tx) + window.scrollX}px`;
    tip.style.top = `${ev.clientY + 14 + window.scrollY}px`;
  });
  canvas.addEventListener('mouseleave', () => (tip.hidden = true));
  canvas.addEventListener('click', (ev: any) => {
    const node = hit(ev);
    if (node < 0) return;
    state.zoom = node;
    draw();
  });

  // ---- memory over time ----
  const chart = $('chart');
  const cctx = chart.getContext('2d');
  const CH = 110;
  let drag: { from: number; to: number } | null = null;
  const nb = m.peak.length;
  const bucketAt = (clientX: number): number => {
    const r = chart.getBoundingClientRect();
    return Math.max(0, Math.min(nb - 1, Math.floor(((clientX - r.left) / r.width) * nb)));
  };
  function drawChart(): void {
    const W = Math.max(200, $('chart-wrap').clientWidth - 32);
    const dpr = window.devicePixelRatio || 1;
    chart.width = Math.round(W * dpr);
    chart.height = Math.round(CH * dpr);
    chart.style.width = `${W}px`;
    chart.style.height = `${CH}px`;
    cctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    cctx.clearRect(0, 0, W, CH);
    let max = 1;
    for (let k = 0; k < nb; k++) if (m.peak[k] > max) max = m.peak[k];
    const top = 14;
    const bottom = CH - 14;
    const yOf = (v: number): number => bottom - (v / max) * (bottom - top);
    const bw = W / nb;
    const sel = drag ? [Math.min(drag.from, drag.to), Math.max(drag.from, drag.to)] : state.range;
    if (sel) {
      cctx.fillStyle = 'rgba(60,120,220,0.18)';
      cctx.fillRect(sel[0] * bw, 0, (sel[1] - sel[0] + 1) * bw, CH);
    }
    cctx.fillStyle = 'rgba(230,110,40,0.55)';
    cctx.beginPath();
    cctx.moveTo(0, bottom);
    for (let k = 0; k < nb; k++) {
      cctx.lineTo(k * bw, yOf(m.peak[k]));
      cctx.lineTo((k + 1) * bw, yOf(m.peak[k]));
    }
    cctx.lineTo(W, bottom);
    cctx.closePath();
    cctx.fill();
    cctx.strokeStyle = '#8a3a10';
    cctx.beginPath();
    for (let k = 0; k < nb; k++) {
      const y = yOf(m.end[k]);
      if (k === 0) cctx.moveTo(0, y);
      cctx.lineTo((k + 1) * bw, y);
    }
    cctx.stroke();
    // Marks.
    cctx.font = '11px sans-serif';
    cctx.textBaseline = 'top';
    for (const mk of data.marks) {
      const x = (mk.t_ms / (m.widthMs * nb)) * W;
      cctx.strokeStyle = '#2a6';
      cctx.beginPath();
      cctx.moveTo(x, 0);
      cctx.lineTo(x, CH);
      cctx.stroke();
      cctx.fillStyle = '#174';
      cctx.fillText(String(data.strings[mk.name]), x + 2, 1);
    }
    // The high-water mark of the window.
    const a = sel ? sel[0] : 0;
    const b = sel ? sel[1] : nb - 1;
    const k = pagePeakBucket(m.peak, a, b);
    cctx.fillStyle = '#c02020';
    cctx.beginPath();
    cctx.arc((k + 0.5) * bw, yOf(m.peak[k]), 3.5, 0, 7);
    cctx.fill();
    cctx.fillStyle = '#333';
    cctx.textBaseline = 'bottom';
    cctx.fillText(`0`, 2, CH);
    const endLabel = fmtMs(nb * m.widthMs);
    cctx.fillText(endLabel, W - cctx.measureText(endLabel).width - 2, CH);
    cctx.textBaseline = 'top';
    const maxLabel = fmtBytes(max);
    cctx.fillText(maxLabel, W - cctx.measureText(maxLabel).width - 2, 1);
    setText(
      'range-label',
      sel
        ? `Window ${fmtMs(sel[0] * m.widthMs)} – ${fmtMs((sel[1] + 1) * m.widthMs)}: high-water mark ${fmtBytes(m.peak[k])}`
        : `Whole run (drag on the chart to choose a window): high-water mark ${fmtBytes(m.peak[k])}`,
    );
    $('range-reset').disabled = !state.range;
    drawArenaChart(sel as [number, number] | null);
  }

  // ---- pymalloc over time (arenas, pools per size class) ----
  const ar = decodeArenas(data);
  const achart = $('arena-chart');
  const actx = achart.getContext('2d');
  const AH = 96;
  const classColor = (c: number): string => `hsl(${(c * 47) % 360},55%,${c % 2 ? 58 : 68}%)`;
  let arenaSummary: any = null;
  function drawArenaChart(sel: [number, number] | null): void {
    if (!ar) return;
    $('arena-wrap').hidden = false;
    const W = Math.max(200, $('chart-wrap').clientWidth - 32);
    const dpr = window.devicePixelRatio || 1;
    achart.width = Math.round(W * dpr);
    achart.height = Math.round(AH * dpr);
    achart.style.width = `${W}px`;
    achart.style.height = `${AH}px`;
    actx.setTransform(dpr, 0, 0, dpr, 0, 0);
    actx.clearRect(0, 0, W, AH);
    const n = ar.max.length;
    let max = 1;
    for (let k = 0; k < n; k++) if (ar.max[k]! * ar.arenaSize > max) max = ar.max[k]! * ar.arenaSize;
    const top = 14;
    const bottom = AH - 14;
    const scale = (bottom - top) / max;
    const bw = W / n;
    if (sel) {
      actx.fillStyle = 'rgba(60,120,220,0.18)';
      actx.fillRect(sel[0] * bw, 0, (sel[1] - sel[0] + 1) * bw, AH);
    }
    // Pools in use per size class, stacked (bytes: pools * pool size), at each bucket's end.
    for (let i = 0; i < ar.classes.length; i++) {
      actx.fillStyle = classColor(ar.classes[i]!);
      for (let k = 0; k < n; k++) {
        let below = 0;
        for (let j = 0; j < i; j++) below += ar.pools[j]![k]!;
        const h = ar.pools[i]![k]! * ar.poolSize * scale;
        if (h > 0) actx.fillRect(k * bw, bottom - below * ar.poolSize * scale - h, bw + 0.3, h);
      }
    }
    // Arenas: the most within each bucket (bytes: arenas * arena size).
    actx.strokeStyle = '#123';
    actx.lineWidth = 1.5;
    actx.beginPath();
    for (let k = 0; k < n; k++) {
      const y = bottom - ar.max[k]! * ar.arenaSize * scale;
      if (k === 0) actx.moveTo(0, y);
      else actx.lineTo(k * bw, y);
      actx.lineTo((k + 1) * bw, y);
    }
    actx.stroke();
    actx.lineWidth = 1;
    actx.strokeStyle = 'rgba(34,170,102,0.6)';
    for (const mk of data.marks) {
      const x = (mk.t_ms / (m.widthMs * n)) * W;
      actx.beginPath();
      actx.moveTo(x, 0);
      actx.lineTo(x, AH);
      actx.stroke();
    }
    actx.font = '11px sans-serif';
    actx.fillStyle = '#333';
    actx.textBaseline = 'top';
    actx.fillText('pymalloc: arenas (line), pools in use per size class (areas)', 2, 1);
    const maxLabel = `${fmtCount(max / ar.arenaSize)} arenas, ${fmtBytes(max)}`;
    actx.fillText(maxLabel, W - actx.measureText(maxLabel).width - 2, 1);
    // Summary of the window (or the whole run).
    const a = sel ? sel[0] : 0;
    const b = sel ? sel[1] : n - 1;
    const w = arenaWindow(ar, a, b);
    arenaSummary = w;
    const when = `${fmtMs(w.arenasMaxBucket * m.widthMs)} – ${fmtMs((w.arenasMaxBucket + 1) * m.widthMs)}`;
    setText(
      'arena-summary',
      (sel
        ? `pymalloc in the window: arenas ${fmtCount(w.arenasBefore)} → ${fmtCount(w.arenasAfter)} (at most ${fmtCount(w.arenasMax)}, in ${when}), pools in use ${fmtCount(w.poolsBefore)} → ${fmtCount(w.poolsAfter)}`
        : `pymalloc: at most ${fmtCount(w.arenasMax)} arenas (${fmtBytes(w.arenasMax * ar.arenaSize)}, in ${when}); at the end ${fmtCount(w.arenasAfter)} arenas, ${fmtCount(w.poolsAfter)} pools in use`) +
        (ar.anomalies ? ` · ${fmtCount(ar.anomalies)} records contradicted pymalloc: figures may be off` : ''),
    );
    const table = $('arena-classes');
    const row = (cells: string[], head: boolean): any => {
      const tr = doc.createElement('tr');
      for (const c of cells) {
        const td = doc.createElement(head ? 'th' : 'td');
        td.textContent = c;
        tr.append(td);
      }
      return tr;
    };
    const change = (x: number, y: number): string => (sel ? `${fmtCount(x)} → ${fmtCount(y)}` : fmtCount(y));
    table.replaceChildren(
      row(['class', 'block size', sel ? 'pools in use' : 'pools in use at the end', sel ? 'blocks in use' : 'blocks in use at the end'], true),
      ...w.classes.map((c) => {
        const tr = row([String(c.index), `${c.size} B`, change(c.poolsBefore, c.poolsAfter), change(c.blocksBefore, c.blocksAfter)], false);
        tr.firstChild.style.borderLeft = `10px solid ${classColor(c.index)}`;
        return tr;
      }),
    );
  }
  if (ar) {
    achart.addEventListener('mousedown', (ev: any) => {
      const k = bucketAt(ev.clientX);
      drag = { from: k, to: k };
      ev.preventDefault();
      drawChart();
    });
    achart.addEventListener('mousemove', (ev: any) => {
      if (drag) return;
      const k = bucketAt(ev.clientX);
      const top3 = ar.classes
        .map((c, i) => [c, ar.pools[i]![k]!, ar.blocks[i]![k]!])
        .filter((x) => x[1]! > 0)
        .sort((x, y) => y[1]! - x[1]!)
        .slice(0, 3);
      const lines = [
        `${fmtMs(k * m.widthMs)} – ${fmtMs((k + 1) * m.widthMs)}`,
        `arenas: ${fmtCount(ar.end[k]!)} at the end (at most ${fmtCount(ar.max[k]!)})`,
        `pools in use: ${fmtCount(ar.poolsEnd[k]!)}`,
        ...top3.map((x) => `class ${x[0]} (${(x[0]! + 1) * 16} B): ${fmtCount(x[1]!)} pools, ${fmtCount(x[2]!)} blocks`),
      ];
      tip.replaceChildren(
        ...lines.map((s2) => {
          const div = doc.createElement('div');
          div.textContent = s2;
          return div;
        }),
      );
      tip.hidden = false;
      const tx = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
      tip.style.left = `${Math.max(0, tx) + window.scrollX}px`;
      tip.style.top = `${ev.clientY + 14 + window.scrollY}px`;
    });
    achart.addEventListener('mouseleave', () => (tip.hidden = true));
  }
  chart.addEventListener('mousedown', (ev: any) => {
    const k = bucketAt(ev.clientX);
    drag = { from: k, to: k };
    ev.preventDefault();
    drawChart();
  });
  window.addEventListener('mousemove', (ev: any) => {
    if (!drag) return;
    drag.to = bucketAt(ev.clientX);
    drawChart();
  });
  window.addEventListener('mouseup', () => {
    if (!drag) return;
    const a = Math.min(drag.from, drag.to);
    const b = Math.max(drag.from, drag.to);
    drag = null;
    state.range = a === 0 && b === nb - 1 ? null : [a, b];
    rebuild();
  });
  window.addEventListener('resize', () => {
    draw();
    drawChart();
  });

  rebuild();
  const w = window as any;
  w.pymemprof = {
    ready: true,
    loadMs: performance.now() - t0,
    state: () => ({ ...state, range: state.range ? state.range.slice() : null }),
    /** Drawn frames with page coordinates of their boxes. */
    frames: () => {
      const r = canvas.getBoundingClientRect();
      return rects.map((b) => {
        const fr = displayFrame(m, tree, b.node);
        return {
          node: b.node,
          func: fr.func,
          file: fr.file,
          line: fr.line,
          bytes: tree.totalBytes[b.node],
          x: r.left + window.scrollX + b.x,
          y: r.top + window.scrollY + b.y,
          w: b.w,
          h: b.h,
          matched: !!(search && search.matched[b.node]),
        };
      });
    },
    total: () => tree.totalBytes[0],
    buckets: nb,
    bucketMs: m.widthMs,
    /** pymalloc in the current window (or the whole run); null without arena data. */
    arenas: () => (ar ? arenaSummary : null),
  };
}

/**
 * Output of `pymemprof arenas`: CPython's PYTHONMALLOCSTATS layout (byte for byte the text of
 * `_PyObject_DebugMallocStats` for the same state), the difference between two moments, pinning
 * tables, and the JSON of the contract in ARCHITECTURE.md (arena_size, pool_size, size_classes[{index,
 * size, pools, blocks_in_use, avail_blocks}], arenas_allocated_total, arenas_reclaimed,
 * arenas_highwater, arenas_allocated_current, unused_pools, plus the byte lines).
 */
import * as path from 'node:path';
import type { ArenaSnapshot, ArenaMapLayout, PymallocGeometry } from '../analysis/arena-model';
import type { ArenaQueryResult, MomentState } from '../analysis/arena-query';
import type { PinningReport } from '../analysis/arena-pinning';

/** CPython's printone(): the message padded to 35 columns, '=', the value with commas in 21 columns. */
export function printone(msg: string, value: number): string {
  return msg.padEnd(35, ' ') + '=' + withCommas(value).padStart(21, ' ') + '\n';
}

function withCommas(n: number): string {
  const neg = n < 0;
  let s = String(Math.abs(Math.round(n)));
  let out = '';
  while (s.length > 3) {
    out = ',' + s.slice(-3) + out;
    s = s.slice(0, -3);
  }
  return (neg ? '-' : '') + s + out;
}

/**
 * The text `_PyObject_DebugMallocStats` prints for this state. `mapLayout` adds the "arena map
 * counts" section of 3.10+.
 */
export function formatMallocStats(s: ArenaSnapshot, g: PymallocGeometry, mapLayout: ArenaMapLayout | null): string {
  let out = `Small block threshold = ${g.smallRequestThreshold}, in ${s.classes.length} size classes.\n`;
  out += '\n';
  out += 'class   size   num pools   blocks in use  avail blocks\n';
  out += '-----   ----   ---------   -------------  ------------\n';
  for (const c of s.classes) {
    if (c.pools === 0) continue;
    out +=
      String(c.index).padStart(5) +
      ' ' +
      String(c.size).padStart(6) +
      ' ' +
      String(c.pools).padStart(11) +
      ' ' +
      String(c.blocksInUse).padStart(15) +
      ' ' +
      String(c.availBlocks).padStart(13) +
      '\n';
  }
  out += '\n';
  out += printone('# arenas allocated total', s.arenasAllocatedTotal);
  out += printone('# arenas reclaimed', s.arenasReclaimed);
  out += printone('# arenas highwater mark', s.arenasHighwater);
  out += printone('# arenas allocated current', s.arenasAllocatedCurrent);
  out += printone(`${s.arenasAllocatedCurrent} arenas * ${g.arenaSize} bytes/arena`, s.totalBytes);
  out += '\n';
  out += printone('# bytes in allocated blocks', s.bytesInAllocatedBlocks);
  out += printone('# bytes in available blocks', s.bytesInAvailableBlocks);
  out += printone(`${s.unusedPools} unused pools * ${g.poolSize} bytes`, s.bytesInUnusedPools);
  out += printone('# bytes lost to pool headers', s.bytesLostToPoolHeaders);
  out += printone('# bytes lost to quantization', s.bytesLostToQuantization);
  out += printone('# bytes lost to arena alignment', s.bytesLostToArenaAlignment);
  const total =
    s.bytesInAllocatedBlocks + s.bytesInAvailableBlocks + s.bytesInUnusedPools + s.bytesLostToPoolHeaders + s.bytesLostToQuantization + s.bytesLostToArenaAlignment;
  out += printone('Total', total);
  if (mapLayout !== null && s.arenaMap !== null) {
    out += '\n';
    out += 'arena map counts\n';
    out += printone('# arena map mid nodes', s.arenaMap.midNodes);
    out += printone('# arena map bot nodes', s.arenaMap.botNodes);
    out += '\n';
    const root = mapLayout.rootBytes;
    const mid = s.arenaMap.midNodes * mapLayout.midNodeBytes;
    const bot = s.arenaMap.botNodes * mapLayout.botNodeBytes;
    out += printone('# bytes lost to arena map root', root);
    out += printone('# bytes lost to arena map mid', mid);
    out += printone('# bytes lost to arena map bot', bot);
    out += printone('Total', root + mid + bot);
  }
  return out;
}

/** "mark:grown at 12.345 ms (record 4,567)" */
export function describeMoment(st: MomentState): string {
  const ms = (st.timeUs / 1000).toFixed(3);
  const what = st.moment.kind === 'peak' ? `peak (heap high-water mark ${withCommas(st.heapPeakBytes ?? 0)} bytes)` : st.moment.text;
  return `${what} at ${ms} ms, after ${withCommas(st.record)} records`;
}

function headline(r: ArenaQueryResult): string {
  const g = r.header.geometry;
  return `CPython ${r.header.pythonVersion}: ${g.arenaSize / 1024} KiB arenas, ${g.poolSize / 1024} KiB pools`;
}

/** One moment: a context line, a blank line, then CPython's text for the state. */
export function formatArenaState(r: ArenaQueryResult, st: MomentState): string {
  return `pymalloc at ${describeMoment(st)} (${path.basename(r.file)}; ${headline(r)})\n\n` + formatMallocStats(st.snapshot, r.header.geometry, r.model.mapLayout);
}

function signed(n: number): string {
  return n > 0 ? `+${withCommas(n)}` : n < 0 ? withCommas(n) : '0';
}

/** The difference between two moments, `to` minus `from`. */
export function formatArenaDiff(r: ArenaQueryResult, from: MomentState, to: MomentState): string {
  const a = from.snapshot;
  const b = to.snapshot;
  let out = `pymalloc from ${describeMoment(from)}\n          to ${describeMoment(to)}\n(${path.basename(r.file)}; ${headline(r)})\n\n`;
  const head = ['class', 'size', 'pools', 'change', 'blocks in use', 'change', 'avail blocks', 'change'];
  const rows: string[][] = [];
  for (let i = 0; i < b.classes.length; i++) {
    const x = a.classes[i]!;
    const y = b.classes[i]!;
    if (x.pools === 0 && y.pools === 0) continue;
    rows.push([
      String(y.index),
      String(y.size),
      withCommas(y.pools),
      signed(y.pools - x.pools),
      withCommas(y.blocksInUse),
      signed(y.blocksInUse - x.blocksInUse),
      withCommas(y.availBlocks),
      signed(y.availBlocks - x.availBlocks),
    ]);
  }
  out += table(head, rows, [true, true, true, true, true, true, true, true]);
  out += '\n';
  const figures: [string, number, number][] = [
    ['# arenas allocated total', a.arenasAllocatedTotal, b.arenasAllocatedTotal],
    ['# arenas reclaimed', a.arenasReclaimed, b.arenasReclaimed],
    ['# arenas highwater mark', a.arenasHighwater, b.arenasHighwater],
    ['# arenas allocated current', a.arenasAllocatedCurrent, b.arenasAllocatedCurrent],
    ['unused pools', a.unusedPools, b.unusedPools],
    ['# bytes in arenas', a.totalBytes, b.totalBytes],
    ['# bytes in allocated blocks', a.bytesInAllocatedBlocks, b.bytesInAllocatedBlocks],
    ['# bytes in available blocks', a.bytesInAvailableBlocks, b.bytesInAvailableBlocks],
    ['# bytes in unused pools', a.bytesInUnusedPools, b.bytesInUnusedPools],
    ['# bytes lost to pool headers', a.bytesLostToPoolHeaders, b.bytesLostToPoolHeaders],
    ['# bytes lost to quantization', a.bytesLostToQuantization, b.bytesLostToQuantization],
    ['# bytes lost to arena alignment', a.bytesLostToArenaAlignment, b.bytesLostToArenaAlignment],
  ];
  out += table(
    ['', 'from', 'to', 'change'],
    figures.map(([name, x, y]) => [name, withCommas(x), withCommas(y), signed(y - x)]),
    [false, true, true, true],
  );
  return out;
}

function table(head: string[], rows: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('   ')
      .trimEnd() + '\n';
  return line(head) + line(w.map((n) => '-'.repeat(n))) + rows.map(line).join('');
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function where(file: string, line: number, fn: string): string {
  return `${file}:${line} ${fn}`.replace(CONTROL, '?');
}

export function formatPinning(p: PinningReport, st: MomentState, limit: number): string {
  let out = `pinning at ${describeMoment(st)}: ${withCommas(p.arenas)} arenas, ${withCommas(p.pools)} pools in use, ${withCommas(p.blocks)} blocks (${withCommas(
    p.blockBytes,
  )} bytes) keep ${withCommas(p.idleBytes)} bytes without live blocks\n\n`;
  out += 'source lines by the bytes they keep idle (their share of free space in the pools and arenas their blocks keep alive)\n';
  const rows = p.lines
    .slice(0, limit)
    .map((l) => [
      withCommas(l.idleBytes),
      withCommas(l.blocks),
      withCommas(l.blockBytes),
      withCommas(l.pools),
      withCommas(l.poolsAlone),
      withCommas(l.arenas),
      withCommas(l.arenasAlone),
      where(l.file, l.line, l.function),
    ]);
  out += table(['idle bytes', 'blocks', 'block bytes', 'pools', 'alone', 'arenas', 'alone', 'location'], rows, [true, true, true, true, true, true, true, false]);
  if (p.lines.length > limit) out += `(${p.lines.length - limit} more lines)\n`;
  out += '\nsparsest arenas\n';
  out += table(
    ['arena', 'pools', 'blocks', 'block bytes', 'held by'],
    p.sparsestArenas.map((a) => [
      '0x' + a.address.toString(16),
      withCommas(a.usedPools),
      withCommas(a.blocks),
      withCommas(a.blockBytes),
      a.holders.map((h) => `${where(path.basename(h.file), h.line, h.function)} (${h.blocks})`).join(', '),
    ]),
    [false, true, true, true, false],
  );
  return out;
}

// ---- JSON ---------------------------------------------------------------------------------------

export interface ArenaStateJson {
  at: { spec: string; time_ms: number; record: number; heap_peak_bytes?: number };
  arena_size: number;
  pool_size: number;
  alignment: number;
  small_request_threshold: number;
  size_classes: { index: number; size: number; pools: number; blocks_in_use: number; avail_blocks: number }[];
  arenas_allocated_total: number;
  arenas_reclaimed: number;
  arenas_highwater: number;
  arenas_allocated_current: number;
  unused_pools: number;
  bytes_in_allocated_blocks: number;
  bytes_in_available_blocks: number;
  bytes_in_unused_pools: number;
  bytes_lost_to_pool_headers: number;
  bytes_lost_to_quantization: number;
  bytes_lost_to_arena_alignment: number;
  total_bytes: number;
  arena_map?: { mid_nodes: number; bot_nodes: number };
}

export function arenaStateJson(r: ArenaQueryResult, st: MomentState): ArenaStateJson {
  const g = r.header.geometry;
  const s = st.snapshot;
  const at: ArenaStateJson['at'] = { spec: st.moment.text, time_ms: st.timeUs / 1000, record: st.record };
  if (st.heapPeakBytes !== undefined) at.heap_peak_bytes = st.heapPeakBytes;
  const out: ArenaStateJson = {
    at,
    arena_size: g.arenaSize,
    pool_size: g.poolSize,
    alignment: g.alignment,
    small_request_threshold: g.smallRequestThreshold,
    size_classes: s.classes.map((c) => ({ index: c.index, size: c.size, pools: c.pools, blocks_in_use: c.blocksInUse, avail_blocks: c.availBlocks })),
    arenas_allocated_total: s.arenasAllocatedTotal,
    arenas_reclaimed: s.arenasReclaimed,
    arenas_highwater: s.arenasHighwater,
    arenas_allocated_current: s.arenasAllocatedCurrent,
    unused_pools: s.unusedPools,
    bytes_in_allocated_blocks: s.bytesInAllocatedBlocks,
    bytes_in_available_blocks: s.bytesInAvailableBlocks,
    bytes_in_unused_pools: s.bytesInUnusedPools,
    bytes_lost_to_pool_headers: s.bytesLostToPoolHeaders,
    bytes_lost_to_quantization: s.bytesLostToQuantization,
    bytes_lost_to_arena_alignment: s.bytesLostToArenaAlignment,
    total_bytes: s.totalBytes,
  };
  if (s.arenaMap !== null) out.arena_map = { mid_nodes: s.arenaMap.midNodes, bot_nodes: s.arenaMap.botNodes };
  return out;
}

const NUMERIC_FIELDS = [
  'arenas_allocated_total',
  'arenas_reclaimed',
  'arenas_highwater',
  'arenas_allocated_current',
  'unused_pools',
  'bytes_in_allocated_blocks',
  'bytes_in_available_blocks',
  'bytes_in_unused_pools',
  'bytes_lost_to_pool_headers',
  'bytes_lost_to_quantization',
  'bytes_lost_to_arena_alignment',
  'total_bytes',
] as const;

/** `to` minus `from`, field by field (size classes by index). */
export function arenaDiffJson(from: ArenaStateJson, to: ArenaStateJson): Record<string, unknown> {
  const change: Record<string, unknown> = {
    size_classes: to.size_classes.map((c, i) => {
      const f = from.size_classes[i]!;
      return { index: c.index, size: c.size, pools: c.pools - f.pools, blocks_in_use: c.blocks_in_use - f.blocks_in_use, avail_blocks: c.avail_blocks - f.avail_blocks };
    }),
  };
  for (const k of NUMERIC_FIELDS) change[k] = to[k] - from[k];
  return change;
}

export function pinningJson(p: PinningReport, limit: number): Record<string, unknown> {
  return {
    arenas: p.arenas,
    pools: p.pools,
    blocks: p.blocks,
    block_bytes: p.blockBytes,
    idle_bytes: p.idleBytes,
    lines: p.lines.slice(0, limit).map((l) => ({
      file: l.file,
      line: l.line,
      function: l.function,
      idle_bytes: l.idleBytes,
      blocks: l.blocks,
      block_bytes: l.blockBytes,
      pools: l.pools,
      pools_alone: l.poolsAlone,
      arenas: l.arenas,
      arenas_alone: l.arenasAlone,
    })),
    sparsest_arenas: p.sparsestArenas.map((a) => ({
      address: a.address,
      used_pools: a.usedPools,
      blocks: a.blocks,
      block_bytes: a.blockBytes,
      holders: a.holders,
    })),
  };
}

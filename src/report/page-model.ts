/**
 * The flamegraph page's data model: pure functions that run in the browser (embedded with
 * Function.prototype.toString, so they must not use imports or each other through modules) and are
 * unit-tested in Node. They decode the embedded FlameData, compute a view's per-row values (with a
 * time window and a thread filter), build the displayed tree (hidden import frames, inverted stacks,
 * per-thread roots), lay it out and search it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

export interface PageModel {
  strings: string[];
  fFile: Int32Array;
  fFunc: Int32Array;
  fLine: Int32Array;
  fImp: Uint8Array;
  nParent: Int32Array;
  nFrame: Int32Array;
  nRows: number;
  rowNode: Int32Array;
  rowThread: Int32Array | null;
  totalBytes: Float64Array;
  totalCount: Float64Array;
  tempBytes: Float64Array;
  tempCount: Float64Array;
  tRow: Int32Array;
  tAp: Int32Array;
  tFp: Int32Array;
  tBytes: Float64Array;
  tCount: Float64Array;
  peak: number[];
  end: number[];
  widthMs: number;
  threadIds: number[];
  threadNames: string[];
}

export function decodeModel(d: any): PageModel {
  const nNodes = d.nodes.up.length + 1;
  const nParent = new Int32Array(nNodes);
  const nFrame = new Int32Array(nNodes);
  nParent[0] = -1;
  nFrame[0] = -1;
  for (let i = 1; i < nNodes; i++) {
    nParent[i] = i - d.nodes.up[i - 1];
    nFrame[i] = d.nodes.frame[i - 1];
  }
  const nRows = d.rows.node.length;
  const rowNode = new Int32Array(nRows);
  let acc = 0;
  for (let i = 0; i < nRows; i++) rowNode[i] = acc += d.rows.node[i];
  const tempBytes = new Float64Array(nRows);
  const tempCount = new Float64Array(nRows);
  acc = 0;
  for (let i = 0; i < d.temp.row.length; i++) {
    acc += d.temp.row[i];
    tempBytes[acc] = d.temp.bytes[i];
    tempCount[acc] = d.temp.count[i];
  }
  const nt = d.temporal.row.length;
  const tRow = new Int32Array(nt);
  const tFp = new Int32Array(nt);
  const end = 2 * d.timeline.peak.length + 1; // beyond every window
  acc = 0;
  for (let i = 0; i < nt; i++) {
    tRow[i] = acc += d.temporal.row[i];
    const fp = d.temporal.fp[i];
    tFp[i] = fp < 0 ? end : fp;
  }
  return {
    strings: d.strings,
    fFile: Int32Array.from(d.frames.file),
    fFunc: Int32Array.from(d.frames.func),
    fLine: Int32Array.from(d.frames.line),
    fImp: Uint8Array.from(d.frames.imp),
    nParent,
    nFrame,
    nRows,
    rowNode,
    rowThread: d.rows.thread ? Int32Array.from(d.rows.thread) : null,
    totalBytes: Float64Array.from(d.total.bytes),
    totalCount: Float64Array.from(d.total.count),
    tempBytes,
    tempCount,
    tRow,
    tAp: Int32Array.from(d.temporal.ap),
    tFp,
    tBytes: Float64Array.from(d.temporal.bytes),
    tCount: Float64Array.from(d.temporal.count),
    peak: d.timeline.peak,
    end: d.timeline.end,
    widthMs: d.timeline.width_ms,
    threadIds: d.threads.id,
    threadNames: d.threads.name.map((i: number) => d.strings[i]),
  };
}

/** Bucket with the highest peak in [a, b] (earliest on ties). */
export function pagePeakBucket(peak: ArrayLike<number>, a: number, b: number): number {
  let best = a;
  for (let k = a + 1; k <= b; k++) if (peak[k]! > peak[best]!) best = k;
  return best;
}

/**
 * Per-row values of a view. `range` [a, b] (bucket indices, inclusive) applies to peak and leaks;
 * `thread` is a thread index or -1 for all.
 */
export function viewRowValues(m: PageModel, view: string, range: [number, number] | null, thread: number): { bytes: Float64Array; count: Float64Array } {
  const n = m.nRows;
  let bytes: Float64Array;
  let count: Float64Array;
  if (view === 'total' || view === 'temporary') {
    bytes = Float64Array.from(view === 'total' ? m.totalBytes : m.tempBytes);
    count = Float64Array.from(view === 'total' ? m.totalCount : m.tempCount);
  } else {
    bytes = new Float64Array(n);
    count = new Float64Array(n);
    const a = range ? range[0] : 0;
    const b = range ? range[1] : m.peak.length - 1;
    const nt = m.tRow.length;
    const tRow = m.tRow;
    const tAp = m.tAp;
    const tFp = m.tFp;
    const tB = m.tBytes;
    const tC = m.tCount;
    if (view === 'leaks') {
      const lo = 2 * a;
      const hi = 2 * b + 1;
      for (let i = 0; i < nt; i++) {
        const ap = tAp[i]!;
        if (ap >= lo && ap <= hi && tFp[i]! > hi) {
          bytes[tRow[i]!] += tB[i]!;
          count[tRow[i]!] += tC[i]!;
        }
      }
    } else {
      const p = 2 * pagePeakBucket(m.peak, a, b);
      for (let i = 0; i < nt; i++) {
        if (tAp[i]! <= p && tFp[i]! > p) {
          bytes[tRow[i]!] += tB[i]!;
          count[tRow[i]!] += tC[i]!;
        }
      }
    }
  }
  if (thread >= 0 && m.rowThread) {
    for (let r = 0; r < n; r++) {
      if (m.rowThread[r] !== thread) {
        bytes[r] = 0;
        count[r] = 0;
      }
    }
  } else if (thread > 0) {
    bytes.fill(0);
    count.fill(0);
  }
  return { bytes, count };
}

export interface DisplayTree {
  n: number;
  parent: Int32Array;
  /** Frame id; -1 for the root; -(t + 2) for the pseudo-frame of thread index t. */
  frame: Int32Array;
  selfBytes: Float64Array;
  selfCount: Float64Array;
  totalBytes: Float64Array;
  totalCount: Float64Array;
  depth: Int32Array;
  maxDepth: number;
  /** Children of node i: childList[childStart[i] .. childStart[i+1]), largest first. */
  childStart: Int32Array;
  childList: Int32Array;
  /** Offset of the node within its root, in bytes (the same unit as totalBytes). */
  x: Float64Array;
}

/** Builds the displayed tree of per-row values (skips rows with neither bytes nor count). */
export function buildDisplayTree(
  m: PageModel,
  bytes: Float64Array,
  count: Float64Array,
  opts: { hideImports: boolean; inverted: boolean; splitThreads: boolean },
): DisplayTree {
  let cap = 1024;
  let parent = new Int32Array(cap);
  let frame = new Int32Array(cap);
  let sb = new Float64Array(cap);
  let sc = new Float64Array(cap);
  let n = 1;
  parent[0] = -1;
  frame[0] = -1;
  const index = new Map<number, number>();
  const intern = (p: number, f: number): number => {
    const key = p * 16777216 + (f + 65538);
    let c = index.get(key);
    if (c === undefined) {
      if (n === cap) {
        cap *= 2;
        const np = new Int32Array(cap);
        np.set(parent);
        parent = np;
        const nf = new Int32Array(cap);
        nf.set(frame);
        frame = nf;
        const nb = new Float64Array(cap);
        nb.set(sb);
        sb = nb;
        const nc = new Float64Array(cap);
        nc.set(sc);
        sc = nc;
      }
      c = n++;
      parent[c] = p;
      frame[c] = f;
      index.set(key, c);
    }
    return c;
  };
  const hide = opts.hideImports;
  const nNodes = m.nParent.length;
  const threadOf = (r: number): number => (m.rowThread ? m.rowThread[r]! : 0);
  if (!opts.inverted) {
    // Memo per thread root: source node → display node.
    const memos = new Map<number, Int32Array>();
    const chain: number[] = [];
    for (let r = 0; r < m.nRows; r++) {
      if (bytes[r] === 0 && count[r] === 0) continue;
      const g = opts.splitThreads ? threadOf(r) : -1;
      let memo = memos.get(g);
      if (!memo) {
        memo = new Int32Array(nNodes).fill(-1);
        memo[0] = g >= 0 ? intern(0, -(g + 2)) : 0;
        memos.set(g, memo);
      }
      let s = m.rowNode[r]!;
      chain.length = 0;
      while (memo[s]! < 0) {
        chain.push(s);
        s = m.nParent[s]!;
      }
      let d = memo[s]!;
      for (let i = chain.length - 1; i >= 0; i--) {
        const node = chain[i]!;
        const f = m.nFrame[node]!;
        if (!(hide && m.fImp[f])) d = intern(d, f);
        memo[node] = d;
      }
      sb[d] += bytes[r]!;
      sc[d] += count[r]!;
    }
  } else {
    for (let r = 0; r < m.nRows; r++) {
      if (bytes[r] === 0 && count[r] === 0) continue;
      let d = opts.splitThreads ? intern(0, -(threadOf(r) + 2)) : 0;
      for (let s = m.rowNode[r]!; s > 0; s = m.nParent[s]!) {
        const f = m.nFrame[s]!;
        if (!(hide && m.fImp[f])) d = intern(d, f);
      }
      sb[d] += bytes[r]!;
      sc[d] += count[r]!;
    }
  }
  parent = parent.subarray(0, n);
  frame = frame.subarray(0, n);
  const selfBytes = sb.slice(0, n);
  const selfCount = sc.slice(0, n);
  const totalBytes = selfBytes.slice();
  const totalCount = selfCount.slice();
  for (let i = n - 1; i > 0; i--) {
    totalBytes[parent[i]!] += totalBytes[i]!;
    totalCount[parent[i]!] += totalCount[i]!;
  }
  const depth = new Int32Array(n);
  let maxDepth = 0;
  const nChildren = new Int32Array(n + 1);
  for (let i = 1; i < n; i++) {
    depth[i] = depth[parent[i]!]! + 1;
    if (depth[i]! > maxDepth) maxDepth = depth[i]!;
    nChildren[parent[i]!]++;
  }
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i]! + nChildren[i]!;
  const fill = childStart.slice(0, n);
  const childList = new Int32Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) childList[fill[parent[i]!]!++] = i;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = childStart[i]!;
    const e = childStart[i + 1]!;
    if (e - s > 1) {
      const sorted = Array.from(childList.subarray(s, e)).sort((p, q) => totalBytes[q]! - totalBytes[p]! || totalCount[q]! - totalCount[p]! || p - q);
      childList.set(sorted, s);
    }
    let off = x[i]!;
    for (let j = s; j < e; j++) {
      const c = childList[j]!;
      x[c] = off;
      off += totalBytes[c]!;
    }
  }
  return { n, parent, frame, selfBytes, selfCount, totalBytes, totalCount, depth, maxDepth, childStart, childList, x };
}

/** Function, file and line of a displayed node (thread pseudo-frames name the thread). */
export function displayFrame(m: PageModel, t: DisplayTree, node: number): { func: string; file: string; line: number } {
  const f = t.frame[node]!;
  if (f === -1) return { func: 'all', file: '', line: 0 };
  if (f < -1) {
    const ti = -f - 2;
    const name = m.threadNames[ti] || '';
    return { func: `thread ${m.threadIds[ti]}${name ? ' ' + name : ''}`, file: '', line: 0 };
  }
  return { func: m.strings[m.fFunc[f]!]!, file: m.strings[m.fFile[f]!]!, line: m.fLine[f]! };
}

/**
 * Marks the nodes whose function or file:line contains `query` (case-insensitive); the share counts
 * each matching subtree once (matches under a matching ancestor are not added again).
 */
export function searchTree(m: PageModel, t: DisplayTree, query: string): { matched: Uint8Array; count: number; bytes: number; share: number } {
  const matched = new Uint8Array(t.n);
  const q = query.toLowerCase();
  let count = 0;
  let bytes = 0;
  if (!q) return { matched, count, bytes, share: 0 };
  const covered = new Uint8Array(t.n);
  for (let i = 1; i < t.n; i++) {
    const fr = displayFrame(m, t, i);
    const hay = `${fr.func} ${fr.file}:${fr.line}`.toLowerCase();
    if (hay.indexOf(q) >= 0) {
      matched[i] = 1;
      count++;
      if (!covered[t.parent[i]!]) bytes += t.totalBytes[i]!;
      covered[i] = 1;
    } else if (covered[t.parent[i]!]) {
      covered[i] = 1;
    }
  }
  const total = t.totalBytes[0]!;
  return { matched, count, bytes, share: total > 0 ? bytes / total : 0 };
}

/** The node under fraction `fx` (0..1 of the zoomed width) at depth `d` below zoom root `z`, or -1. */
export function nodeAt(t: DisplayTree, z: number, fx: number, d: number): number {
  if (d < t.depth[z]!) {
    // Ancestors of the zoom root span the whole width.
    let a = z;
    while (t.depth[a]! > d) a = t.parent[a]!;
    return a;
  }
  const total = t.totalBytes[z]!;
  if (total <= 0) return -1;
  const target = t.x[z]! + fx * total;
  let cur = z;
  while (t.depth[cur]! < d) {
    let next = -1;
    for (let j = t.childStart[cur]!; j < t.childStart[cur + 1]!; j++) {
      const c = t.childList[j]!;
      if (target >= t.x[c]! && target < t.x[c]! + t.totalBytes[c]!) {
        next = c;
        break;
      }
    }
    if (next < 0) return -1;
    cur = next;
  }
  return cur;
}

/** pymalloc per time bucket, decoded (FlameData.arenas). */
export interface ArenaSeries {
  arenaSize: number;
  poolSize: number;
  /** Most arenas within each bucket; at its end; pools in use at its end. */
  max: Float64Array;
  end: Float64Array;
  poolsEnd: Float64Array;
  /** Size classes listed, and per class (same order) pools and blocks in use at each bucket's end. */
  classes: number[];
  pools: Float64Array[];
  blocks: Float64Array[];
  anomalies: number;
}

export function decodeArenas(d: any): ArenaSeries | null {
  const a = d.arenas;
  if (!a) return null;
  const undo = (v: number[]): Float64Array => {
    const out = new Float64Array(v.length);
    let acc = 0;
    for (let i = 0; i < v.length; i++) out[i] = acc += v[i]!;
    return out;
  };
  return {
    arenaSize: a.arena_size,
    poolSize: a.pool_size,
    max: undo(a.max),
    end: undo(a.end),
    poolsEnd: undo(a.pools_end),
    classes: a.classes.slice(),
    pools: a.pools.map(undo),
    blocks: a.blocks.map(undo),
    anomalies: a.anomalies,
  };
}

export interface ArenaWindow {
  /** The state before the window (end of bucket a - 1; nothing at a = 0) and at its end (bucket b). */
  arenasBefore: number;
  arenasAfter: number;
  /** Most arenas at any moment of the window. */
  arenasMax: number;
  /** First bucket of the window where that many arenas were alive. */
  arenasMaxBucket: number;
  poolsBefore: number;
  poolsAfter: number;
  /** Classes with pools before or after, by class index. */
  classes: { index: number; size: number; poolsBefore: number; poolsAfter: number; blocksBefore: number; blocksAfter: number }[];
}

/** pymalloc over buckets a..b (inclusive) of the series. */
export function arenaWindow(s: ArenaSeries, a: number, b: number): ArenaWindow {
  const at = (v: Float64Array, k: number): number => (k < 0 ? 0 : v[k]!);
  let mx = -1;
  let mk = a;
  for (let k = a; k <= b; k++) {
    if (s.max[k]! > mx) {
      mx = s.max[k]!;
      mk = k;
    }
  }
  const classes: ArenaWindow['classes'] = [];
  for (let i = 0; i < s.classes.length; i++) {
    const pb = at(s.pools[i]!, a - 1);
    const pa = at(s.pools[i]!, b);
    if (pb === 0 && pa === 0) continue;
    classes.push({ index: s.classes[i]!, size: (s.classes[i]! + 1) * 16, poolsBefore: pb, poolsAfter: pa, blocksBefore: at(s.blocks[i]!, a - 1), blocksAfter: at(s.blocks[i]!, b) });
  }
  return {
    arenasBefore: at(s.end, a - 1),
    arenasAfter: at(s.end, b),
    arenasMax: Math.max(0, mx),
    arenasMaxBucket: mk,
    poolsBefore: at(s.poolsEnd, a - 1),
    poolsAfter: at(s.poolsEnd, b),
    classes,
  };
}

#!/usr/bin/env node
/**
 * Aggregation throughput of the report reducers: writes (once, cached) a synthetic capture of N
 * records shaped like a real one (allocs and frees of short- and long-lived blocks over many stacks
 * and 2 threads; addresses as pymalloc hands them out: 16 KiB pools of one size class each, freed
 * blocks reused last-in first-out), then times analyzeReport (file → reducers' results, the flamegraph's input) and,
 * for comparison, the stats pass. Run `npx tsc -p tsconfig.json` first.
 *
 *   node scripts/bench-report.js [--real] [--records 50000000] [--stacks 20000] [--file /tmp/pymemprof-bench-50000000.bin]
 *                                [--html] [--stats] [--runs N (best of N)] [--no-worker (read on the main thread)]
 *
 * --file may also name a real capture (`pymemprof run -o FILE ...`); it is then read, not written.
 * --real: the capture of a real program instead (scripts/bench-report-program.py traced by
 * `pymemprof run` with python3, once, cached; format 3 as the tracer writes it, ~90 M records).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const N = Number(opt('--records', '50000000'));
const STACKS = Number(opt('--stacks', '20000'));
const REAL = args.includes('--real');
const FILE = opt('--file', path.join(require('node:os').tmpdir(), REAL ? 'pymemprof-bench-real.bin' : `pymemprof-bench-${N}-${STACKS}-pools.bin`));
const dist = path.resolve(__dirname, '../dist');

class W {
  constructor(n) {
    this.b = Buffer.allocUnsafe(n);
    this.p = 0;
  }
  ensure(n) {
    if (this.p + n <= this.b.length) return;
    const nb = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.p + n));
    this.b.copy(nb, 0, 0, this.p);
    this.b = nb;
  }
  v(x) {
    this.ensure(10);
    while (x >= 128) {
      this.b[this.p++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.b[this.p++] = x;
  }
  bytes(u8) {
    this.ensure(u8.length);
    this.b.set(u8, this.p);
    this.p += u8.length;
  }
  out() {
    return this.b.subarray(0, this.p);
  }
}
const field = (w, num, payload) => {
  w.v(num * 8 + 2);
  w.v(payload.length);
  w.bytes(payload);
};
const frame = (fd, num, payload) => {
  const f = new W(payload.length + 16);
  field(f, num, payload);
  const d = new W(f.p + 10);
  d.v(f.p);
  d.bytes(f.out());
  fs.writeSync(fd, d.out());
};

function generate() {
  const pb = require(path.join(dist, 'capture/generated/capture.js')).pymemprof.capture;
  const fd = fs.openSync(FILE + '.tmp', 'w');
  const enc = (m) => pb.Frame.encode(m).finish();
  const rawFrame = (bytes) => {
    const d = new W(bytes.length + 10);
    d.v(bytes.length);
    d.bytes(bytes);
    fs.writeSync(fd, d.out());
  };
  rawFrame(enc({ header: { magic: 'pymemprof', formatVersion: 1, pythonVersion: '3.11.7', argv: ['bench.py'], geometry: {} } }));
  const codes = [];
  for (let i = 1; i <= 500; i++) codes.push({ id: i, name: `f${i}`, qualname: `f${i}`, filename: `mod${i % 20}.py`, firstLine: i, lineStarts: [0, 8, 16], lines: [i, i + 1, i + 2] });
  rawFrame(enc({ codeObjects: { code: codes } }));
  const nodes = { id: [], parent: [], code: [], offset: [] };
  for (let i = 1; i <= STACKS; i++) {
    nodes.id.push(i);
    nodes.parent.push(i <= 20 ? 0 : 1 + ((i * 7919) % Math.min(i - 1, 2000)));
    nodes.code.push(1 + (i % 500));
    nodes.offset.push((i % 3) * 8);
  }
  rawFrame(enc({ stackNodes: nodes }));
  rawFrame(enc({ threads: { thread: [{ id: 1, nativeId: 1, name: 'MainThread' }, { id: 2, nativeId: 2, name: 'worker' }] } }));
  // Records: a pool of live blocks; ~half the allocations die almost at once, the rest later.
  const LIVE = 1 << 16;
  const pool = new Float64Array(LIVE);
  const poolClass = new Uint8Array(LIVE);
  let poolN = 0;
  let seed = 42;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  // pymalloc-like addresses: per size class (16-byte steps) a free list and the pool being carved.
  const POOL_BYTES = 16384;
  const freeLists = Array.from({ length: 34 }, () => []);
  const carve = new Float64Array(34);
  const carveEnd = new Float64Array(34);
  let nextPool = 0x7f0000000000;
  const blockAt = (cls) => {
    const fl = freeLists[cls];
    if (fl.length > 0) return fl.pop();
    if (carve[cls] + cls * 16 > carveEnd[cls]) {
      carve[cls] = nextPool + 48;
      carveEnd[cls] = nextPool + POOL_BYTES;
      nextPool += POOL_BYTES;
    }
    const a = carve[cls];
    carve[cls] += cls * 16;
    return a;
  };
  let t = 0;
  const B = 65536;
  let written = 0;
  let allocs = 0;
  let frees = 0;
  while (written < N) {
    const n = Math.min(B, N - written);
    const kind = new W(n), addr = new W(n * 6), size = new W(n * 2), stack = new W(n * 2), thread = new W(n), time = new W(n);
    let prevA = 0;
    let i = 0;
    const base = t;
    let prevT = base;
    let pendingFree = 0;
    let pendingClass = 0;
    while (i < n) {
      const r = rnd();
      let a, k, sz = 0;
      if (pendingFree) {
        k = 6;
        a = pendingFree;
        freeLists[pendingClass].push(a);
        pendingFree = 0;
      } else if (poolN > 0 && (poolN >= LIVE || r % 5 < 2)) {
        k = 6;
        const j = (r >>> 8) % poolN;
        a = pool[j];
        freeLists[poolClass[j]].push(a);
        pool[j] = pool[--poolN];
        poolClass[j] = poolClass[poolN];
      } else {
        k = 1 + (r % 3);
        sz = 16 + ((r >>> 5) % 500);
        const cls = Math.ceil(sz / 16);
        a = blockAt(cls);
        if ((r >>> 12) % 2 === 0) {
          pendingFree = a;
          pendingClass = cls;
        } else {
          pool[poolN] = a;
          poolClass[poolN++] = cls;
        }
      }
      kind.v(k);
      const d = a - prevA;
      addr.v(d >= 0 ? d * 2 : -d * 2 - 1);
      prevA = a;
      if (k <= 3) {
        size.v(sz);
        stack.v(1 + ((r >>> 9) % STACKS));
        allocs++;
      } else frees++;
      thread.v(1 + ((r >>> 20) & 1 ? 1 : 0) * ((r >>> 21) % 8 === 0 ? 1 : 0));
      if (r % 4 === 0) t += 1;
      time.v(t - prevT);
      prevT = t;
      i++;
    }
    const bw = new W(n * 12);
    field(bw, 1, kind.out());
    field(bw, 2, addr.out());
    field(bw, 3, size.out());
    field(bw, 4, stack.out());
    field(bw, 5, thread.out());
    field(bw, 6, time.out());
    bw.v(7 * 8);
    bw.v(base);
    frame(fd, 5, bw.out());
    written += n;
  }
  rawFrame(enc({ trailer: { records: N, allocations: allocs, frees, durationUs: t, batches: Math.ceil(N / B) } }));
  fs.closeSync(fd);
  fs.renameSync(FILE + '.tmp', FILE);
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'analysis/report-analysis.js'))) throw new Error('build first: npx tsc -p tsconfig.json');
  if (!fs.existsSync(FILE) && REAL) {
    process.stderr.write(`tracing scripts/bench-report-program.py into ${FILE}...\n`);
    const cli = path.resolve(__dirname, '../bin/pymemprof.js');
    const r = require('node:child_process').spawnSync(process.execPath, [cli, 'run', '-q', '-o', FILE + '.tmp', path.join(__dirname, 'bench-report-program.py')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`pymemprof run exited with ${r.status}`);
    fs.renameSync(FILE + '.tmp', FILE);
  }
  if (!fs.existsSync(FILE)) {
    const t0 = Date.now();
    process.stderr.write(`writing ${N.toLocaleString('en-US')} records to ${FILE}...\n`);
    generate();
    process.stderr.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const size = fs.statSync(FILE).size;
  const { analyzeReport } = require(path.join(dist, 'analysis/report-analysis.js'));
  const { analyzeStats } = require(path.join(dist, 'analysis/compute-stats.js'));
  const RUNS = Number(opt('--runs', '1'));
  const worker = args.includes('--no-worker') ? { worker: false } : {};
  /** Best of RUNS (this machine is shared: single runs vary). */
  const best = async (fn) => {
    let out = null;
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const res = await fn();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (out === null || s < out.s) out = { s, res };
    }
    return out;
  };
  const { s, res: a } = await best(() => analyzeReport(FILE, worker));
  const rec = a.figures.records;
  console.log(`report pass: ${rec.toLocaleString('en-US')} records (${(size / 1e6).toFixed(0)} MB) in ${s.toFixed(2)} s = ${(rec / s / 1e6).toFixed(1)} M records/s; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB; ${a.tree.rowNode.length} rows, ${a.temporal.length} temporal entries`);
  if (args.includes('--html')) {
    const { flamegraphHtml } = require(path.join(dist, 'report/html.js'));
    const t1 = Date.now();
    const html = flamegraphHtml(a);
    console.log(`html: ${(Buffer.byteLength(html) / 1e6).toFixed(2)} MB in ${Date.now() - t1} ms`);
  }
  if (args.includes('--stats')) {
    const { s: s2 } = await best(() => analyzeStats(FILE, worker));
    console.log(`stats pass: ${rec.toLocaleString('en-US')} records in ${s2.toFixed(2)} s = ${(rec / s2 / 1e6).toFixed(1)} M records/s`);
  }
}
main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

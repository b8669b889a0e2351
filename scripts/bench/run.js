#!/usr/bin/env node
// Overhead benchmark: pymemprof (every allocation, and sampled) against the plain interpreter,
// tracemalloc and memray, plus sampling accuracy and report times.
//
//   node scripts/bench/run.js [--python 3.11,3.12] [--runs 5] [--workloads a,b] [--tools t,u]
//                             [--sample-bytes 16384] [--report-runs 3] [--out docs/benchmarks.md]
//                             [--no-write] [--render build/bench-results.json]
//
// For each CPython version: prepares build/bench-venvs/py<version> (python -m venv; pip install
// memray numpy sympy networkx — benchmark-only, never runtime dependencies of pymemprof), then for
// each workload in scripts/bench/workloads interleaves `runs` rounds of every tool (the tool order
// rotates from round to round) and times each run's wall clock. Tools: plain, pymemprof,
// pymemprof_sampled (`pymemprof run --sample-bytes N`), tracemalloc1, tracemalloc25, memray_pyalloc
// (memray --trace-python-allocators), memray. Reports medians, ratios against plain, geometric
// means, the fixed startup cost (the empty program); the accuracy of every sampled run against the
// full pymemprof captures of the same rounds (peak, top peak locations); capture size per
// allocation event against memray's file; and report times (stats, flamegraph) against memray's,
// median of up to --report-runs runs. Writes docs/benchmarks.md and the raw figures as JSON
// (build/bench-results.json). --no-write prints the markdown instead of writing it, and keeps the
// raw figures in build/bench-results.no-write.json. --render FILE runs nothing: it renders the
// markdown again from raw figures written earlier (with their machine and command line).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const workloadDir = path.join(__dirname, 'workloads');
const venvRoot = path.join(root, 'build', 'bench-venvs');
const pymemprofBin = path.join(root, 'bin', 'pymemprof.js');
const PACKAGES = ['memray', 'numpy', 'sympy', 'networkx'];
const DEFAULT_SAMPLE_BYTES = 16384;
// Top peak locations compared between a sampled and the full capture: the full capture's top
// TOP_MATCH_RANK holding at least TOP_MATCH_MIN_SAMPLES × N bytes at the peak.
const TOP_MATCH_RANK = 3;
const TOP_MATCH_MIN_SAMPLES = 4;
// ... except that a location of B traced bytes may be replaced by one holding at least
// B - TOP_MATCH_TIE_SD·sqrt(N·B) traced bytes: a near tie, closer than that many standard deviations
// of a sampled estimate of B (sqrt(N·B) for blocks much smaller than N), which sampling cannot order.
const TOP_MATCH_TIE_SD = 2;
// Targets the doc reports against.
const TARGET_SAMPLED_OVERHEAD = 1.1;   // geometric mean of sampled / plain
const TARGET_PEAK_ERROR_PCT = 5;       // |sampled peak - traced peak| / traced peak, every workload
const TARGET_REPORT_SPEEDUP = 5;       // memray report time / pymemprof report time
// A report whose first run takes longer than this is not repeated.
const REPORT_REPEAT_LIMIT_S = 30;

// ---------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = {
    pythons: ['3.11', '3.12'], runs: 5, workloads: null, tools: null, out: 'docs/benchmarks.md', write: true,
    sampleBytes: DEFAULT_SAMPLE_BYTES, reportRuns: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--python') o.pythons = val().split(',').filter(Boolean);
    else if (a === '--runs') o.runs = Math.max(1, parseInt(val(), 10));
    else if (a === '--workloads') o.workloads = val().split(',').filter(Boolean);
    else if (a === '--tools') o.tools = val().split(',').filter(Boolean);
    else if (a === '--out') o.out = val();
    else if (a === '--sample-bytes') {
      const v = val();
      if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`--sample-bytes needs a whole number of bytes >= 1, not ${v}`);
      o.sampleBytes = parseInt(v, 10);
    } else if (a === '--report-runs') o.reportRuns = Math.max(1, parseInt(val(), 10));
    else if (a === '--no-write') o.write = false;
    else if (a === '--render') o.render = val();
    else if (a === '-h' || a === '--help') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function sh(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

// A version like "3.11" → an interpreter: pyenv's, else python3.11 on PATH; a path is used as is.
function findPython(spec) {
  if (spec.includes('/')) return spec;
  const pyenv = path.join(process.env.PYENV_ROOT || path.join(os.homedir(), '.pyenv'), 'versions');
  if (fs.existsSync(pyenv)) {
    const dirs = fs.readdirSync(pyenv).filter((d) => d === spec || d.startsWith(spec + '.'))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    for (const d of dirs) {
      const p = path.join(pyenv, d, 'bin', 'python3');
      if (fs.existsSync(p)) return p;
    }
  }
  const r = sh('python' + spec, ['-c', 'import sys; print(sys.executable)']);
  if (r.status === 0) return r.stdout.trim();
  throw new Error(`no CPython ${spec} found (pyenv or python${spec} on PATH)`);
}

function prepareVenv(spec) {
  const base = findPython(spec);
  const dir = path.join(venvRoot, 'py' + spec);
  const py = path.join(dir, 'bin', 'python');
  if (!fs.existsSync(py)) {
    console.error(`bench: creating ${path.relative(root, dir)} from ${base}`);
    const r = sh(base, ['-m', 'venv', dir], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`python -m venv failed for ${base}`);
  }
  const missing = PACKAGES.filter((p) => sh(py, ['-c', `import ${p}`]).status !== 0);
  if (missing.length) {
    console.error(`bench: pip install ${missing.join(' ')} into ${path.relative(root, dir)}`);
    for (const p of missing) {  // one by one: a library missing for a version only skips its workload
      const r = sh(py, ['-m', 'pip', 'install', '-q', p], { stdio: 'inherit' });
      if (r.status !== 0) console.error(`bench: warning: pip install ${p} failed`);
    }
  }
  return py;
}

// ---------------------------------------------------------------------------------------------
// cmd(py, workload, output file, options) → [command, args]. Tools writing a capture name its suffix.
const TOOLS = {
  plain: { label: () => 'plain', cmd: (py, wl) => [py, [wl]] },
  pymemprof: {
    label: () => 'pymemprof',
    cmd: (py, wl, out) => [pymemprofBin, ['run', '-q', '--python', py, '-o', out, wl]],
    output: '.pymemprof.bin',
  },
  pymemprof_sampled: {
    label: (o) => `pymemprof --sample-bytes ${o.sampleBytes}`,
    cmd: (py, wl, out, o) => [pymemprofBin,
      ['run', '-q', '--sample-bytes', String(o.sampleBytes), '--python', py, '-o', out, wl]],
    output: '.pymemprof-sampled.bin',
  },
  tracemalloc1: { label: () => 'tracemalloc 1 frame', cmd: (py, wl) => [py, ['-X', 'tracemalloc=1', wl]] },
  tracemalloc25: { label: () => 'tracemalloc 25 frames', cmd: (py, wl) => [py, ['-X', 'tracemalloc=25', wl]] },
  memray_pyalloc: {
    label: () => 'memray --trace-python-allocators',
    cmd: (py, wl, out) => [py, ['-m', 'memray', 'run', '--trace-python-allocators', '-q', '-f', '-o', out, wl]],
    output: '.memray-pyalloc.bin',
  },
  memray: {
    label: () => 'memray',
    cmd: (py, wl, out) => [py, ['-m', 'memray', 'run', '-q', '-f', '-o', out, wl]],
    output: '.memray.bin',
  },
};

function timeRun(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) return { s, error: `exit ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  return { s };
}

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = sh(cmd, args);
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, r };
}

// A report command timed `runs` times (median), or once when its first run is slow or fails.
// Returns { s, n, r (the last run's result) } or { error }.
function timeReport(cmd, args, runs) {
  const xs = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t = timed(cmd, args);
    last = t.r;
    if (t.r.status !== 0) {
      return { error: `exit ${t.r.status ?? t.r.signal}: ${(t.r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
    }
    xs.push(t.s);
    if (t.s > REPORT_REPEAT_LIMIT_S) break;
  }
  return { s: median(xs), n: xs.length, all: xs, r: last };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : NaN);

// `pymemprof stats --json` of a capture, reduced to what the accuracy comparison needs.
function captureStats(file) {
  const r = sh(pymemprofBin, ['stats', '--json', file]);
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-3).join(' | ') };
  const j = JSON.parse(r.stdout);
  return {
    sample_bytes: j.sample_bytes,
    allocations: j.allocations,
    frees: j.frees,
    peak_bytes: j.peak_bytes,
    // Sampled captures with the tracer's exact live bytes: the samples' own estimate of the peak
    // (peak_bytes is then the exact count less the estimated rounding).
    sampled_peak_bytes: j.sampled_peak_bytes ?? null,
    total_allocated_bytes: j.total_allocated_bytes,
    end_bytes: j.end_bytes,
    top: j.top_peak_locations.slice(0, 10).map((l) => ({ file: l.file, line: l.line, function: l.function, bytes: l.bytes })),
  };
}

// ---------------------------------------------------------------------------------------------
function benchVersion(spec, opts, tmp) {
  const py = prepareVenv(spec);
  const version = sh(py, ['-c', 'import sys; print(sys.version.split()[0])']).stdout.trim();
  const memrayVersion = sh(py, ['-c', 'import memray; print(memray.__version__)']).stdout.trim() || 'missing';
  const tools = (opts.tools || Object.keys(TOOLS)).filter((t) => {
    if (!TOOLS[t]) throw new Error(`unknown tool ${t} (${Object.keys(TOOLS).join(', ')})`);
    return !(t.startsWith('memray') && memrayVersion === 'missing');
  });
  let workloads = fs.readdirSync(workloadDir).filter((f) => f.endsWith('.py') && f !== 'empty.py').sort();
  if (opts.workloads) workloads = workloads.filter((f) => opts.workloads.includes(f.replace(/\.py$/, '')));
  const cmdOf = (t, wl, out) => TOOLS[t].cmd(py, wl, out, opts);

  // Warm-up (builds the pymemprof addon for this interpreter on first use) and startup cost.
  console.error(`bench: Python ${version} (${py}), memray ${memrayVersion}`);
  const emptyWl = path.join(workloadDir, 'empty.py');
  const startup = {};
  for (const t of tools) {
    const [c, a] = cmdOf(t, emptyWl, path.join(tmp, 'empty' + (TOOLS[t].output || '')));
    const w = timeRun(c, a);
    if (w.error) console.error(`bench: warning: ${t} on the empty program: ${w.error}`);
  }
  for (let i = 0; i < Math.max(5, opts.runs); i++) {
    for (const t of tools) {
      const [c, a] = cmdOf(t, emptyWl, path.join(tmp, 'empty' + (TOOLS[t].output || '')));
      const w = timeRun(c, a);
      if (!w.error) (startup[t] = startup[t] || []).push(w.s);
    }
  }
  const startupMedian = Object.fromEntries(Object.entries(startup).map(([t, xs]) => [t, median(xs)]));

  const results = [];
  for (const wl of workloads) {
    const name = wl.replace(/\.py$/, '');
    const wlPath = path.join(workloadDir, wl);
    const probe = timeRun(py, [wlPath]);
    if (probe.error) {
      console.error(`bench: skipping ${name} on ${version}: ${probe.error}`);
      results.push({ name, skipped: probe.error });
      continue;
    }
    const times = Object.fromEntries(tools.map((t) => [t, []]));
    const errors = {};
    // Stats of every round's pymemprof captures, full and sampled (not timed; between rounds).
    const accuracy = { traced: [], sampled: [] };
    for (let run = 0; run < opts.runs; run++) {
      const order = tools.map((_, i) => tools[(i + run) % tools.length]);
      const ok = {};
      for (const t of order) {
        const out = path.join(tmp, name + (TOOLS[t].output || ''));
        fs.rmSync(out, { force: true });
        const [c, a] = cmdOf(t, wlPath, out);
        const w = timeRun(c, a);
        if (w.error) errors[t] = w.error;
        else {
          times[t].push(w.s);
          ok[t] = true;
        }
      }
      for (const [t, list] of [['pymemprof', accuracy.traced], ['pymemprof_sampled', accuracy.sampled]]) {
        if (!ok[t]) continue;
        const st = captureStats(path.join(tmp, name + TOOLS[t].output));
        if (st.error) console.error(`bench: pymemprof stats failed on ${name} (${t}): ${st.error}`);
        else list.push({ round: run, ...st });
      }
      process.stderr.write(`bench: ${version} ${name} round ${run + 1}/${opts.runs}: ` +
        tools.map((t) => `${t} ${ok[t] ? times[t][times[t].length - 1].toFixed(2) : 'ERR'}`).join(', ') + '\n');
    }
    const med = Object.fromEntries(tools.map((t) => [t, median(times[t])]));
    const entry = { name, times, median: med, errors, sizes: {}, reports: {}, reportRuns: {}, accuracy };
    for (const [t, e] of Object.entries(errors)) console.error(`bench: ${version} ${name} ${t} failed: ${e}`);
    if (accuracy.sampled.length && accuracy.traced.length) {
      const a = sampledAccuracy(accuracy, opts.sampleBytes);
      console.error(`bench: ${version} ${name} sampled peak error ${a.errors.map((e) => e.toFixed(1) + '%').join(' ')}; ` +
        `top-${TOP_MATCH_RANK} (${a.checked} location(s) >= ${TOP_MATCH_MIN_SAMPLES}N) matched ${a.matched}/${a.runs}` +
        (a.tied ? ` (${a.tied} by a near tie: ${a.ties.join(', ')})` : '') + (a.misses.length ? `; missed ${a.misses.join(', ')}` : ''));
    }

    // Capture sizes and report times, on the captures of the last round.
    const report = (key, cmd, args) => {
      const t = timeReport(cmd, args, opts.reportRuns);
      if (t.error) console.error(`bench: ${key} failed on ${name}: ${t.error}`);
      else {
        entry.reports[key] = t.s;
        entry.reportRuns[key] = t.all;
      }
      return t;
    };
    const html = path.join(tmp, name + '.report.html');
    const pmp = path.join(tmp, name + TOOLS.pymemprof.output);
    const pmpFresh = accuracy.traced.length && accuracy.traced[accuracy.traced.length - 1].round === opts.runs - 1;
    if (tools.includes('pymemprof') && pmpFresh) {
      const last = accuracy.traced[accuracy.traced.length - 1];
      entry.events = { allocations: last.allocations, frees: last.frees };
      entry.sizes.pymemprof = fs.statSync(pmp).size;
      report('pymemprof_stats', pymemprofBin, ['stats', '--json', pmp]);
      report('pymemprof_flamegraph', pymemprofBin, ['flamegraph', '-o', html, pmp]);
      fs.rmSync(html, { force: true });
    }
    const mp = path.join(tmp, name + TOOLS.memray_pyalloc.output);
    if (tools.includes('memray_pyalloc') && fs.existsSync(mp)) {
      entry.sizes.memray_pyalloc = fs.statSync(mp).size;
      const mj = path.join(tmp, name + '.memray-stats.json');
      const st = report('memray_stats', py, ['-m', 'memray', 'stats', '--json', '-f', '-o', mj, mp]);
      if (!st.error) {
        try {
          const j = JSON.parse(fs.readFileSync(mj, 'utf8'));
          entry.memray_allocations = j.total_num_allocations;
        } catch { /* keep going without memray's own count */ }
      }
      report('memray_flamegraph', py, ['-m', 'memray', 'flamegraph', '-f', '-o', html, mp]);
      // memray's file uncompressed (not timed).
      const mu = path.join(tmp, name + '.memray-pyalloc-nocompress.bin');
      const r = sh(py, ['-m', 'memray', 'run', '--trace-python-allocators', '--no-compress', '-q', '-f', '-o', mu, wlPath]);
      if (r.status === 0) entry.sizes.memray_pyalloc_uncompressed = fs.statSync(mu).size;
      for (const f of [mu, mj, html]) fs.rmSync(f, { force: true });
    }
    const rep = entry.reports;
    if (Object.keys(rep).length) {
      console.error(`bench: ${version} ${name} reports: ` +
        Object.entries(rep).map(([k, s]) => `${k} ${s.toFixed(2)}s`).join(', '));
    }
    for (const t of tools) if (TOOLS[t].output) fs.rmSync(path.join(tmp, name + TOOLS[t].output), { force: true });
    results.push(entry);
  }
  return {
    spec, python: py, version, memray: memrayVersion, tools, sampleBytes: opts.sampleBytes,
    startup: startupMedian, results,
  };
}

// Accuracy of the sampled runs of one workload against the full captures.
// Peak: each sampled run's peak against the median traced peak of the full runs (error in %).
// Top locations: the full capture of the same round (else the last full one) gives its top
// TOP_MATCH_RANK locations at the peak; those holding >= TOP_MATCH_MIN_SAMPLES × N bytes must all be
// among the sampled capture's top TOP_MATCH_RANK (order free), except that one may be replaced by a
// location of nearly as many traced bytes (TOP_MATCH_TIE_SD; counted as a near tie). A location is
// function at file:line.
function sampledAccuracy(acc, sampleBytes) {
  const tracedPeaks = acc.traced.map((t) => t.peak_bytes);
  const tracedPeak = median(tracedPeaks);
  const errors = acc.sampled.map((s) => ((s.peak_bytes - tracedPeak) / tracedPeak) * 100);
  const samplesErrors = acc.sampled.filter((s) => s.sampled_peak_bytes != null).map((s) => ((s.sampled_peak_bytes - tracedPeak) / tracedPeak) * 100);
  const key = (l) => `${l.function} ${l.file}:${l.line}`;
  const short = (l) => `${path.basename(l.file)}:${l.line}`;
  const min = TOP_MATCH_MIN_SAMPLES * sampleBytes;
  let matched = 0;
  let tied = 0;
  let checked = 0;
  const misses = [];
  const ties = [];
  for (const s of acc.sampled) {
    const ref = acc.traced.find((t) => t.round === s.round) || acc.traced[acc.traced.length - 1];
    const refTop = new Set(ref.top.slice(0, TOP_MATCH_RANK).map(key));
    const refBytes = new Map(ref.top.map((l) => [key(l), l.bytes]));
    const want = ref.top.slice(0, TOP_MATCH_RANK).filter((l) => l.bytes >= min);
    checked = Math.max(checked, want.length);
    const got = s.top.slice(0, TOP_MATCH_RANK);
    const gotKeys = new Set(got.map(key));
    // Locations of the sampled top that are not in the traced top: candidates for a near tie.
    const extra = got.filter((l) => !refTop.has(key(l)));
    let runTies = 0;
    let runMisses = 0;
    for (const l of want.filter((w) => !gotKeys.has(key(w)))) {
      const tie = l.bytes - TOP_MATCH_TIE_SD * Math.sqrt(sampleBytes * l.bytes);
      const i = extra.findIndex((m) => (refBytes.get(key(m)) ?? 0) >= tie);
      if (i >= 0) {
        runTies++;
        ties.push(`${short(l)} ~ ${short(extra[i])}`);
        extra.splice(i, 1);
      } else {
        runMisses++;
        misses.push(short(l));
      }
    }
    if (!runMisses) matched++;
    if (!runMisses && runTies) tied++;
  }
  return {
    tracedPeak,
    tracedSpreadPct: tracedPeaks.length > 1 ? ((Math.max(...tracedPeaks) - Math.min(...tracedPeaks)) / tracedPeak) * 100 : NaN,
    sampledPeak: median(acc.sampled.map((s) => s.peak_bytes)),
    errors,
    medianError: median(errors),
    worstError: errors.reduce((w, e) => (Math.abs(e) > Math.abs(w) ? e : w), 0),
    samplesWorstError: samplesErrors.length ? samplesErrors.reduce((w, e) => (Math.abs(e) > Math.abs(w) ? e : w), 0) : NaN,
    checked,
    matched,
    tied,
    runs: acc.sampled.length,
    misses: [...new Set(misses)],
    ties: [...new Set(ties)],
  };
}

// ---------------------------------------------------------------------------------------------
function machine() {
  let cpu = 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  if (cpu === 'unknown' && os.cpus().length) cpu = os.cpus()[0].model;
  const git = sh('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).stdout.trim();
  const dirty = sh('git', ['status', '--porcelain', '--', 'native', 'src'], { cwd: root }).stdout.trim() ? ' (with uncommitted changes in native/ or src/)' : '';
  return {
    nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    cpu, kernel: `${os.type()} ${os.release()}`, node: process.version, commit: git + dirty,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const pct = (x, d = 1) => (Number.isFinite(x) ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(d)}%` : '—');
const mb = (b) => (Number.isFinite(b) ? (b / 1e6).toFixed(2) : '—');
const status = (met) => (met === null ? 'not measured' : met ? '**met**' : '**not met**');

// The figures the tables and the target lines share, for one CPython version.
function derive(v) {
  const ok = (r, t) => !r.skipped && r.times && r.times[t] && r.times[t].length && r.times.plain && r.times.plain.length;
  const live = v.results.filter((r) => !r.skipped);
  const sampled = live.filter((r) => ok(r, 'pymemprof_sampled')).map((r) => {
    const fixed = (v.startup.pymemprof_sampled ?? NaN) - (v.startup.plain ?? NaN);
    return {
      name: r.name,
      ratio: r.median.pymemprof_sampled / r.median.plain,
      adjusted: (r.median.pymemprof_sampled - fixed) / r.median.plain,
      acc: r.accuracy && r.accuracy.sampled.length && r.accuracy.traced.length ? sampledAccuracy(r.accuracy, v.sampleBytes) : null,
    };
  });
  const speedups = (p, q) => live.filter((r) => r.reports && r.reports[p] > 0 && r.reports[q] > 0)
    .map((r) => ({ name: r.name, x: r.reports[q] / r.reports[p] }));
  return {
    sampled,
    stats: speedups('pymemprof_stats', 'memray_stats'),
    flame: speedups('pymemprof_flamegraph', 'memray_flamegraph'),
  };
}

function targetLines(all, opts) {
  const L = [];
  const N = opts.sampleBytes;
  const per = (f) => all.map((v) => `CPython ${v.version}: ${f(v, derive(v))}`);
  L.push('- Full tracing: geometric mean of `pymemprof` / plain ≤ 1.50×, no workload above 3×, below `memray --trace-python-allocators` on every workload:');
  for (const s of per((v) => {
    const rs = v.results.filter((r) => !r.skipped && r.median && r.median.pymemprof > 0 && r.median.plain > 0);
    if (!rs.length) return status(null);
    const q = rs.map((r) => ({ name: r.name, x: r.median.pymemprof / r.median.plain, m: r.median.memray_pyalloc }));
    const g = geomean(q.map((x) => x.x));
    const worst = q.reduce((a, b) => (b.x > a.x ? b : a));
    const slower = rs.filter((r) => r.median.memray_pyalloc > 0 && r.median.pymemprof >= r.median.memray_pyalloc).map((r) => r.name);
    const met = g <= 1.5 && worst.x <= 3 && !slower.length;
    return `${status(met)} — geometric mean ${ratio(g)}, highest ${worst.name} ${ratio(worst.x)}` +
      (slower.length ? `; not below memray on: ${slower.join(', ')}.` : '; below memray on every workload.');
  })) L.push(`  - ${s}`);
  L.push(`- Sampled overhead — geometric mean of \`pymemprof --sample-bytes ${N}\` / plain ≤ ${TARGET_SAMPLED_OVERHEAD.toFixed(2)}×:`);
  for (const s of per((v, d) => {
    if (!d.sampled.length) return status(null);
    const g = geomean(d.sampled.map((x) => x.ratio));
    const ga = geomean(d.sampled.map((x) => x.adjusted));
    return `${ratio(g)} — ${status(g <= TARGET_SAMPLED_OVERHEAD)} as measured (Node's start and the child process included); ` +
      `${ratio(ga)} with pymemprof's fixed startup cost subtracted (that would ${ga <= TARGET_SAMPLED_OVERHEAD ? '' : 'not '}meet it).`;
  })) L.push(`  - ${s}`);
  L.push(`- Sampled peak within ${TARGET_PEAK_ERROR_PCT}% of the traced peak on every workload (every sampled run):`);
  for (const s of per((v, d) => {
    const a = d.sampled.filter((x) => x.acc);
    if (!a.length) return status(null);
    const bad = a.filter((x) => Math.abs(x.acc.worstError) > TARGET_PEAK_ERROR_PCT).sort((x, y) => Math.abs(y.acc.worstError) - Math.abs(x.acc.worstError));
    return `${status(!bad.length)} — ${a.length - bad.length} of ${a.length} workloads within` +
      (bad.length ? `; outside: ${bad.map((x) => `${x.name} ${pct(x.acc.worstError)}` +
        (Number.isFinite(x.acc.tracedSpreadPct) ? ` (its full runs spread ${fmt(x.acc.tracedSpreadPct, 2)}%)` : '')).join(', ')}.` : '.');
  })) L.push(`  - ${s}`);
  L.push(`- Top peak locations match for allocations above ${TOP_MATCH_MIN_SAMPLES}·N (rule in the sampling section), every sampled run:`);
  for (const s of per((v, d) => {
    const a = d.sampled.filter((x) => x.acc && x.acc.checked > 0);
    const none = d.sampled.filter((x) => x.acc && x.acc.checked === 0).map((x) => x.name);
    if (!a.length) return status(null) + (none.length ? ` (no location ≥ ${TOP_MATCH_MIN_SAMPLES}·N: ${none.join(', ')})` : '');
    const bad = a.filter((x) => x.acc.matched < x.acc.runs);
    const tied = a.filter((x) => x.acc.tied > 0);
    return `${status(!bad.length)} — ${a.length - bad.length} of ${a.length} workloads in every run` +
      (bad.length ? `; not: ${bad.map((x) => `${x.name} (${x.acc.matched}/${x.acc.runs} runs; missed ${x.acc.misses.join(', ')})`).join(', ')}` : '') +
      (tied.length ? `; matched only through a near tie in some runs: ${tied.map((x) => `${x.name} (${x.acc.ties.join(', ')})`).join(', ')}` : '') +
      (none.length ? `; no location ≥ ${TOP_MATCH_MIN_SAMPLES}·N in the top ${TOP_MATCH_RANK}: ${none.join(', ')}` : '') + '.';
  })) L.push(`  - ${s}`);
  for (const [key, what] of [['stats', '`stats`'], ['flame', '`flamegraph`']]) {
    L.push(`- Report time, ${what}: pymemprof at least ${TARGET_REPORT_SPEEDUP}× faster than memray (memray time / pymemprof time ≥ ${TARGET_REPORT_SPEEDUP}) on every workload:`);
    for (const s of per((v, d) => {
      const xs = d[key];
      if (!xs.length) return status(null);
      const bad = xs.filter((x) => x.x < TARGET_REPORT_SPEEDUP).sort((a, b) => a.x - b.x);
      return `${status(!bad.length)} — ${xs.length - bad.length} of ${xs.length} workloads; geometric mean ${ratio(geomean(xs.map((x) => x.x)))}` +
        (bad.length ? `; below: ${bad.map((x) => `${x.name} ${ratio(x.x)}`).join(', ')}.` : '.');
    })) L.push(`  - ${s}`);
  }
  L.push("- Capture size per allocation event at or below memray's (its file as written by default) on every workload:");
  for (const s of per((v) => {
    const xs = v.results
      .filter((r) => !r.skipped && r.events && r.sizes && r.sizes.pymemprof && r.sizes.memray_pyalloc)
      .map((r) => ({ name: r.name, ours: r.sizes.pymemprof, theirs: r.sizes.memray_pyalloc, ev: r.events.allocations + r.events.frees }));
    if (!xs.length) return status(null);
    const bad = xs.filter((x) => x.ours > x.theirs);
    return `${status(!bad.length)} — ${xs.length - bad.length} of ${xs.length} workloads` +
      (bad.length ? `; above: ${bad.map((x) => `${x.name} ${fmt(x.ours / x.ev, 2)} vs ${fmt(x.theirs / x.ev, 2)} B/event`).join(', ')}.` : '.');
  })) L.push(`  - ${s}`);
  return L;
}

function markdown(all, m, command, opts) {
  const N = opts.sampleBytes;
  const L = [];
  L.push('# Benchmarks', '');
  L.push('Overhead of tracing every allocation — and of sampling them — side by side with tracemalloc and');
  L.push('memray, measured by `scripts/bench/run.js`. Wall time of the whole process, median of interleaved');
  L.push('runs; ratios are against the plain interpreter on the same workload; the geometric mean is over the');
  L.push('workloads. pymemprof runs as users run it (`bin/pymemprof.js run -q --python <venv python> -o FILE`, the command');
  L.push('that `npx pymemprof` runs, and with `--sample-bytes N` for sampling), so its times include Node\'s start and the child');
  L.push('process; that fixed cost is reported separately (the empty program) and is **not** subtracted, except');
  L.push('in the one column that says so. Also measured: how close a sampled capture comes to the full one,');
  L.push('capture sizes, and how long reports take against memray\'s.', '');
  L.push('## Reproduce', '', '```sh', command, '```', '');
  L.push('The first run creates `build/bench-venvs/py<version>` (memray, numpy, sympy, networkx from PyPI; for');
  L.push('benchmarking only) and builds the pymemprof addon for each interpreter. Options: `--python 3.9,3.13`,');
  L.push('`--runs N` (default 5), `--workloads fib_bigints,json_roundtrip`, `--tools plain,pymemprof,pymemprof_sampled`,');
  L.push(`\`--sample-bytes N\` (default ${DEFAULT_SAMPLE_BYTES}), \`--report-runs N\` (default 3), \`--out FILE\`, \`--no-write\` (print`);
  L.push('the markdown only). Raw figures go to `build/bench-results.json`; `--render FILE` renders this page again');
  L.push('from them without running anything. `scripts/bench/sample-sweep.js` compares several `--sample-bytes`');
  L.push('values (wall and CPU time, accuracy) to choose the default.', '');
  L.push('## Machine', '');
  L.push(`- CPU: ${m.cpu}, nproc ${m.nproc}`);
  L.push(`- ${m.kernel}, Node ${m.node}, pymemprof ${m.commit}`);
  L.push(`- Date: ${m.date}`);
  for (const v of all) L.push(`- CPython ${v.version} (${v.python}), memray ${v.memray}`);
  L.push('');
  L.push('## Workloads (scripts/bench/workloads)', '');
  for (const f of fs.readdirSync(workloadDir).filter((f) => f.endsWith('.py') && f !== 'empty.py').sort()) {
    const first = fs.readFileSync(path.join(workloadDir, f), 'utf8').split('\n')[0].replace(/^#\s*/, '');
    L.push(`- \`${f.replace(/\.py$/, '')}\`: ${first}`);
  }
  L.push('');
  L.push('## Targets', '');
  L.push(...targetLines(all, opts));
  L.push('');
  for (const v of all) {
    const tools = v.tools;
    const others = tools.filter((t) => t !== 'plain');
    const label = (t) => TOOLS[t].label(v);
    const d = derive(v);
    L.push(`## CPython ${v.version} — ${v.results.find((r) => r.times) ? v.results.find((r) => r.times).times.plain.length : 0} runs per tool and workload`, '');
    L.push('Median wall time in seconds, and the ratio to plain.', '');
    L.push(`| workload | plain s | ${others.map(label).join(' | ')} |`);
    L.push(`|---|---:|${others.map(() => '---:').join('|')}|`);
    const ratios = Object.fromEntries(others.map((t) => [t, []]));
    for (const r of v.results) {
      if (r.skipped) {
        L.push(`| ${r.name} | skipped: ${r.skipped.replace(/\|/g, '/')} |${others.map(() => ' |').join('')}`);
        continue;
      }
      const p = r.median.plain;
      const cells = others.map((t) => {
        if (r.errors[t] && !r.times[t].length) return 'failed';
        const q = r.median[t] / p;
        ratios[t].push(q);
        return `${fmt(r.median[t])} (${ratio(q)})`;
      });
      L.push(`| ${r.name} | ${fmt(p)} | ${cells.join(' | ')} |`);
    }
    L.push(`| **geometric mean** | | ${others.map((t) => `**${ratio(geomean(ratios[t]))}**`).join(' | ')} |`);
    L.push(`| max | | ${others.map((t) => ratio(Math.max(...ratios[t]))).join(' | ')} |`);
    L.push('');
    const below = v.results.filter((r) => !r.skipped && others.some((t) => r.median[t] < r.median.plain)).map((r) => r.name);
    if (below.length) {
      L.push(`Ratios below 1× (${below.join(', ')}) do not mean tracing is free. The plain interpreter can spend`);
      L.push('much of its time in the kernel when glibc\'s malloc keeps returning freed memory to the system and');
      L.push('mapping it again (on fib_bigints most of the plain wall time is system time, and');
      L.push('`GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432` removes');
      L.push('it); run by pymemprof, the churn can disappear: glibc adapts its thresholds to the whole process\'s', 'allocations and frees, the tracer\'s own buffers included.', '');
    }
    L.push('Fixed startup cost (median wall time of the empty program, seconds): ' +
      tools.map((t) => `${label(t)} ${fmt(v.startup[t], 3)}`).join(', ') + '.', '');
    const failures = v.results.flatMap((r) => Object.entries(r.errors || {}).map(([t, e]) => `${r.name} / ${t}: ${e}`));
    if (failures.length) {
      L.push('Failed runs (excluded from the medians):', '');
      for (const f of failures) L.push(`- ${f.replace(/\n/g, ' ')}`);
      L.push('');
    }

    if (d.sampled.length) {
      const runsOf = Math.max(...d.sampled.map((x) => (x.acc ? x.acc.runs : 0)));
      L.push(`### Sampling: \`--sample-bytes ${v.sampleBytes}\` against the full capture`, '');
      L.push(runsOf
        ? `Every sampled run (${runsOf} per workload, the ones timed above) is compared with the full pymemprof`
        : 'Accuracy not measured (it needs the `pymemprof` tool too); otherwise every sampled run is compared with the full pymemprof');
      L.push('captures of the same rounds. *Without fixed startup*: the sampled median minus the difference of');
      L.push('the two empty-program medians (pymemprof sampled − plain), over plain. *Traced peak*: median over the');
      L.push('full runs, with its run-to-run spread ((max − min) / median), a floor under what sampling can show.');
      L.push('*Peak error*: (sampled peak − traced peak) / traced peak, the median and the largest in magnitude');
      L.push('over the sampled runs. A sampled capture\'s peak is the tracer\'s exact count of live bytes (usable');
      L.push('sizes) less the rounding estimated from the samples; *samples alone* is the worst error of the');
      L.push('samples\' own estimate (the maximum over time of a noisy estimate: it leans high when the live bytes');
      L.push(`are made of many blocks much smaller than N, and its error is about √(N / peak)). *Top ${TOP_MATCH_RANK}*: a location is a function at file:line, and`);
      L.push(`locations are ranked by their bytes at the peak (\`top_peak_locations\`); the rule: the full capture's top ${TOP_MATCH_RANK}`);
      L.push(`locations holding at least ${TOP_MATCH_MIN_SAMPLES}·N = ${TOP_MATCH_MIN_SAMPLES * v.sampleBytes} bytes must all be among the sampled capture's top ${TOP_MATCH_RANK}`);
      L.push('(in any order), except that a location of B bytes may be replaced by one holding at least');
      L.push(`B − ${TOP_MATCH_TIE_SD}·√(N·B) bytes in the full capture — a near tie, closer than ${TOP_MATCH_TIE_SD} standard deviations of a`);
      L.push('sampled estimate of B (√(N·B) when the blocks are much smaller than N), which sampling cannot');
      L.push('order; such runs are counted in brackets. *Checked* is how many locations the rule covers, *match*');
      L.push('in how many runs it held. MB = 10⁶ bytes.', '');
      L.push(`| workload | sampled / plain | without fixed startup | traced peak MB | traced spread | sampled peak MB | peak error median | peak error worst | samples alone worst | top-${TOP_MATCH_RANK} checked | top-${TOP_MATCH_RANK} match |`);
      L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const x of d.sampled) {
        const a = x.acc;
        L.push(`| ${x.name} | ${ratio(x.ratio)} | ${ratio(x.adjusted)} | ` + (a
          ? `${mb(a.tracedPeak)} | ${pct(a.tracedSpreadPct, 2).replace(/^\+/, '')} | ${mb(a.sampledPeak)} | ${pct(a.medianError)} | ${pct(a.worstError)} | ` +
            `${Number.isFinite(a.samplesWorstError) ? pct(a.samplesWorstError) : '—'} | ` +
            `${a.checked} | ${a.checked ? `${a.matched}/${a.runs}${a.tied ? ` (${a.tied} by a near tie)` : ''}` : 'n/a'} |`
          : '— | — | — | — | — | — | — | — |'));
      }
      const worst = d.sampled.filter((x) => x.acc).reduce((w, x) => (!Number.isFinite(w) || Math.abs(x.acc.worstError) > Math.abs(w) ? x.acc.worstError : w), NaN);
      L.push(`| **geometric mean** | **${ratio(geomean(d.sampled.map((x) => x.ratio)))}** | **${ratio(geomean(d.sampled.map((x) => x.adjusted)))}** | | | | | ${pct(worst)} (worst) | | | |`);
      L.push('');
    }

    const sized = v.results.filter((r) => !r.skipped && r.events);
    if (sized.length) {
      L.push('### Capture size', '');
      L.push('Bytes per allocation event (events = allocations + frees as pymemprof counts them; memray traced');
      L.push('with `--trace-python-allocators`, its file as written by default (lz4) and with `--no-compress`),');
      L.push('on the captures of the last round:', '');
      L.push('| workload | events | pymemprof B/event | memray B/event | memray uncompressed B/event |');
      L.push('|---|---:|---:|---:|---:|');
      for (const r of sized) {
        const ev = r.events.allocations + r.events.frees;
        const per = (b) => (b ? fmt(b / ev, 2) : '—');
        L.push(`| ${r.name} | ${ev} | ${per(r.sizes.pymemprof)} | ${per(r.sizes.memray_pyalloc)} | ${per(r.sizes.memray_pyalloc_uncompressed)} |`);
      }
      L.push('');
    }

    const withReports = v.results.filter((r) => !r.skipped && r.reports && Object.keys(r.reports).length);
    if (withReports.length) {
      L.push('### Report time', '');
      L.push('Wall time in seconds of each report on the captures of the last round — the full pymemprof');
      L.push('capture and memray\'s with `--trace-python-allocators` — and memray\'s time over pymemprof\'s:');
      L.push('`pymemprof stats --json FILE` against `memray stats --json -f -o OUT FILE`, and');
      L.push('`pymemprof flamegraph -o OUT.html FILE` against `memray flamegraph -f -o OUT.html FILE` (memray\'s page');
      L.push('shows the high-water mark; pymemprof\'s opens on the peak and also carries its leaks, total and');
      L.push(`temporary views). Median of ${v.reportRuns || opts.reportRuns} runs; † a report whose first run took over ${REPORT_REPEAT_LIMIT_S} s, run once.`, '');
      L.push('| workload | pymemprof stats s | memray stats s | stats: memray / pymemprof | pymemprof flamegraph s | memray flamegraph s | flamegraph: memray / pymemprof |');
      L.push('|---|---:|---:|---:|---:|---:|---:|');
      const cell = (r, k) => (r.reports[k] > 0 ? fmt(r.reports[k]) + ((r.reportRuns[k] || []).length === 1 && (v.reportRuns || opts.reportRuns) > 1 ? ' †' : '') : '—');
      const q = (r, p, m) => (r.reports[p] > 0 && r.reports[m] > 0 ? ratio(r.reports[m] / r.reports[p]) : '—');
      for (const r of withReports) {
        L.push(`| ${r.name} | ${cell(r, 'pymemprof_stats')} | ${cell(r, 'memray_stats')} | ${q(r, 'pymemprof_stats', 'memray_stats')} | ` +
          `${cell(r, 'pymemprof_flamegraph')} | ${cell(r, 'memray_flamegraph')} | ${q(r, 'pymemprof_flamegraph', 'memray_flamegraph')} |`);
      }
      L.push(`| **geometric mean** | | | **${ratio(geomean(d.stats.map((x) => x.x)))}** | | | **${ratio(geomean(d.flame.map((x) => x.x)))}** |`);
      L.push(`| min | | | ${ratio(Math.min(...d.stats.map((x) => x.x)))} | | | ${ratio(Math.min(...d.flame.map((x) => x.x)))} |`);
      L.push('');
    }
  }
  return L.join('\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.render) {
    const raw = JSON.parse(fs.readFileSync(path.resolve(root, opts.render), 'utf8'));
    const ropts = { ...opts, ...(raw.options || {}), write: opts.write, out: opts.out };
    const md = markdown(raw.results, raw.machine, raw.command || 'node scripts/bench/run.js', ropts);
    if (opts.write) {
      fs.writeFileSync(path.resolve(root, opts.out), md + '\n');
      console.error(`bench: wrote ${opts.out} from ${opts.render}`);
    }
    console.log(md);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pymemprof-bench-'));
  const all = [];
  try {
    for (const spec of opts.pythons) all.push({ ...benchVersion(spec, opts, tmp), reportRuns: opts.reportRuns });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const m = machine();
  const command = ('node scripts/bench/run.js ' + process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')).trim();
  const md = markdown(all, m, command, opts);
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  // A --no-write run (development) keeps the raw figures of the last written benchmark intact.
  const raw = path.join(root, 'build', opts.write ? 'bench-results.json' : 'bench-results.no-write.json');
  fs.writeFileSync(raw, JSON.stringify({ machine: m, command, options: opts, results: all }, null, 2));
  if (opts.write) {
    const out = path.resolve(root, opts.out);
    fs.writeFileSync(out, md + '\n');
    console.error(`bench: wrote ${path.relative(root, out)}`);
  } else console.error(`bench: --no-write: ${path.relative(root, opts.out)} not written; raw figures in ${path.relative(root, raw)}`);
  console.log(md);
}

if (require.main === module) main();
// For scripts/bench/sample-sweep.js.
module.exports = { TOOLS, prepareVenv, captureStats, sampledAccuracy, median, geomean, sh, workloadDir };

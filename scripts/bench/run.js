#!/usr/bin/env node
// Overhead benchmark: pymemprof against the plain interpreter, tracemalloc and memray.
//
//   node scripts/bench/run.js [--python 3.11,3.12] [--runs 5] [--workloads a,b] [--tools t,u]
//                             [--out docs/benchmarks.md] [--no-write]
//
// For each CPython version: prepares build/bench-venvs/py<version> (python -m venv; pip install
// memray numpy sympy networkx — benchmark-only, never runtime dependencies of pymemprof), then for
// each workload in scripts/bench/workloads interleaves `runs` rounds of every tool (the tool order
// rotates from round to round) and times each run's wall clock. Reports medians, ratios against
// plain, geometric means, the fixed startup cost (the empty program), capture size per allocation
// event against memray's file, and report time (stats) against memray's. Writes docs/benchmarks.md
// and the raw figures as JSON next to it (build/bench-results.json).
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

// ---------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { pythons: ['3.11', '3.12'], runs: 5, workloads: null, tools: null, out: 'docs/benchmarks.md', write: true };
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
    else if (a === '--no-write') o.write = false;
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 13).join('\n'));
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
const TOOLS = {
  plain: { label: 'plain', cmd: (py, wl) => [py, [wl]] },
  pymemprof: {
    label: 'pymemprof',
    cmd: (py, wl, out) => [process.execPath, [pymemprofBin, 'run', '-q', '--python', py, '-o', out, wl]],
    output: '.pymemprof.bin',
  },
  tracemalloc1: { label: 'tracemalloc 1 frame', cmd: (py, wl) => [py, ['-X', 'tracemalloc=1', wl]] },
  tracemalloc25: { label: 'tracemalloc 25 frames', cmd: (py, wl) => [py, ['-X', 'tracemalloc=25', wl]] },
  memray_pyalloc: {
    label: 'memray --trace-python-allocators',
    cmd: (py, wl, out) => [py, ['-m', 'memray', 'run', '--trace-python-allocators', '-q', '-f', '-o', out, wl]],
    output: '.memray-pyalloc.bin',
  },
  memray: {
    label: 'memray',
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : NaN);

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

  // Warm-up (builds the pymemprof addon for this interpreter on first use) and startup cost.
  console.error(`bench: Python ${version} (${py}), memray ${memrayVersion}`);
  const emptyWl = path.join(workloadDir, 'empty.py');
  const startup = {};
  for (const t of tools) {
    const [c, a] = TOOLS[t].cmd(py, emptyWl, path.join(tmp, 'empty' + (TOOLS[t].output || '')));
    const w = timeRun(c, a);
    if (w.error) console.error(`bench: warning: ${t} on the empty program: ${w.error}`);
  }
  for (let i = 0; i < Math.max(5, opts.runs); i++) {
    for (const t of tools) {
      const [c, a] = TOOLS[t].cmd(py, emptyWl, path.join(tmp, 'empty' + (TOOLS[t].output || '')));
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
    for (let run = 0; run < opts.runs; run++) {
      const order = tools.map((_, i) => tools[(i + run) % tools.length]);
      for (const t of order) {
        const out = path.join(tmp, name + (TOOLS[t].output || ''));
        const [c, a] = TOOLS[t].cmd(py, wlPath, out);
        const w = timeRun(c, a);
        if (w.error) errors[t] = w.error;
        else times[t].push(w.s);
      }
      process.stderr.write(`bench: ${version} ${name} round ${run + 1}/${opts.runs}: ` +
        tools.map((t) => `${t} ${times[t].length ? times[t][times[t].length - 1].toFixed(2) : 'ERR'}`).join(', ') + '\n');
    }
    const med = Object.fromEntries(tools.map((t) => [t, median(times[t])]));
    const entry = { name, times, median: med, errors, sizes: {}, reports: {} };
    for (const [t, e] of Object.entries(errors)) console.error(`bench: ${version} ${name} ${t} failed: ${e}`);

    // Capture sizes and report times (on the captures of the last round).
    const pmp = path.join(tmp, name + TOOLS.pymemprof.output);
    if (tools.includes('pymemprof') && fs.existsSync(pmp)) {
      const st = timed(process.execPath, [pymemprofBin, 'stats', '--json', pmp]);
      if (st.r.status === 0) {
        const j = JSON.parse(st.r.stdout);
        entry.events = { allocations: j.allocations, frees: j.frees };
        entry.reports.pymemprof_stats = st.s;
      } else console.error(`bench: pymemprof stats failed on ${name}: ${st.r.stderr}`);
      entry.sizes.pymemprof = fs.statSync(pmp).size;
    }
    const mp = path.join(tmp, name + TOOLS.memray_pyalloc.output);
    if (tools.includes('memray_pyalloc') && fs.existsSync(mp)) {
      entry.sizes.memray_pyalloc = fs.statSync(mp).size;
      const mj = path.join(tmp, name + '.memray-stats.json');
      const st = timed(py, ['-m', 'memray', 'stats', '--json', '-f', '-o', mj, mp]);
      if (st.r.status === 0) {
        entry.reports.memray_stats = st.s;
        try {
          const j = JSON.parse(fs.readFileSync(mj, 'utf8'));
          entry.memray_allocations = j.total_num_allocations;
        } catch { /* keep going without memray's own count */ }
      } else console.error(`bench: memray stats failed on ${name}: ${st.r.stderr}`);
      // memray's file uncompressed (not timed).
      const mu = path.join(tmp, name + '.memray-pyalloc-nocompress.bin');
      const r = sh(py, ['-m', 'memray', 'run', '--trace-python-allocators', '--no-compress', '-q', '-f', '-o', mu, wlPath]);
      if (r.status === 0) entry.sizes.memray_pyalloc_uncompressed = fs.statSync(mu).size;
      for (const f of [mu, mj]) fs.rmSync(f, { force: true });
    }
    results.push(entry);
  }
  return { spec, python: py, version, memray: memrayVersion, tools, startup: startupMedian, results };
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

function markdown(all, m, command) {
  const L = [];
  L.push('# Benchmarks', '');
  L.push('Overhead of tracing every allocation, side by side with tracemalloc and memray, measured by');
  L.push('`scripts/bench/run.js`. Wall time of the whole process, median of interleaved runs; ratios are');
  L.push('against the plain interpreter on the same workload; the geometric mean is over the workloads.');
  L.push('pymemprof runs as users run it (`node bin/pymemprof.js run -q --python <venv python> -o FILE');
  L.push('script.py`), so its times include Node\'s start and the child process; that fixed cost is');
  L.push('reported separately (the empty program) and is **not** subtracted.', '');
  L.push('## Reproduce', '', '```sh', command, '```', '');
  L.push('The first run creates `build/bench-venvs/py<version>` (memray, numpy, sympy, networkx from PyPI; for');
  L.push('benchmarking only) and builds the pymemprof addon for each interpreter. Options: `--python 3.9,3.13`,');
  L.push('`--runs N` (default 5), `--workloads fib_bigints,json_roundtrip`, `--tools plain,pymemprof`,');
  L.push('`--out FILE`, `--no-write`. Raw figures go to `build/bench-results.json`.', '');
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
  for (const v of all) {
    const tools = v.tools;
    const others = tools.filter((t) => t !== 'plain');
    L.push(`## CPython ${v.version} — ${v.results.find((r) => r.times) ? v.results.find((r) => r.times).times.plain.length : 0} runs per tool and workload`, '');
    L.push('Median wall time in seconds, and the ratio to plain.', '');
    L.push(`| workload | plain s | ${others.map((t) => TOOLS[t].label).join(' | ')} |`);
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
    L.push('Fixed startup cost (median wall time of the empty program, seconds): ' +
      tools.map((t) => `${TOOLS[t].label} ${fmt(v.startup[t], 3)}`).join(', ') + '.', '');
    const failures = v.results.flatMap((r) => Object.entries(r.errors || {}).map(([t, e]) => `${r.name} / ${t}: ${e}`));
    if (failures.length) {
      L.push('Failed runs (excluded from the medians):', '');
      for (const f of failures) L.push(`- ${f.replace(/\n/g, ' ')}`);
      L.push('');
    }
    L.push('Capture size per allocation event (events = allocations + frees as pymemprof counts them;');
    L.push('memray traced with `--trace-python-allocators`, its file as written by default (lz4) and with');
    L.push('`--no-compress`), and report time (`pymemprof stats --json` vs `memray stats --json`, one run):', '');
    L.push('| workload | events | pymemprof B/event | memray B/event | memray uncompressed B/event | pymemprof stats s | memray stats s |');
    L.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of v.results) {
      if (r.skipped || !r.events) continue;
      const ev = r.events.allocations + r.events.frees;
      const per = (b) => (b ? fmt(b / ev, 2) : '—');
      L.push(`| ${r.name} | ${ev} | ${per(r.sizes.pymemprof)} | ${per(r.sizes.memray_pyalloc)} | ` +
        `${per(r.sizes.memray_pyalloc_uncompressed)} | ${fmt(r.reports.pymemprof_stats)} | ${fmt(r.reports.memray_stats)} |`);
    }
    L.push('');
  }
  return L.join('\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pymemprof-bench-'));
  const all = [];
  try {
    for (const spec of opts.pythons) all.push(benchVersion(spec, opts, tmp));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const m = machine();
  const command = 'node scripts/bench/run.js ' + process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
  const md = markdown(all, m, command.trim());
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'bench-results.json'), JSON.stringify({ machine: m, results: all }, null, 2));
  if (opts.write) {
    const out = path.resolve(root, opts.out);
    fs.writeFileSync(out, md + '\n');
    console.error(`bench: wrote ${path.relative(root, out)}`);
  }
  console.log(md);
}

main();

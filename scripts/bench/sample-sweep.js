#!/usr/bin/env node
// Choosing the sampling interval: `pymemprof run --sample-bytes N` for several N against the plain
// interpreter (overhead) and the full pymemprof capture (accuracy), on a few workloads.
//
//   node scripts/bench/sample-sweep.js [--python 3.11] [--sample-bytes 4096,16384,65536,262144]
//                                      [--workloads fib_bigints,object_graph,regex,threads] [--runs 5]
//
// Per workload: `runs` interleaved rounds of plain and every N (the order rotates), each timed as
// wall time and CPU time (user + sys of the process tree, from /usr/bin/time — much less disturbed
// than wall time when the machine is busy), plus one full capture per round as the reference. The
// empty program gives the fixed cost (Node's start, loading the tracer), reported both included
// and subtracted. Accuracy as in run.js: each sampled peak against the median traced peak, and the
// full capture's top 3 locations holding >= 4·N bytes among the sampled top 3 (near ties allowed).
// Prints markdown; writes nothing else. Needs GNU time (/usr/bin/time).
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { TOOLS, prepareVenv, captureStats, sampledAccuracy, median, geomean, sh, workloadDir } = require('./run.js');

function parseArgs(argv) {
  const o = { python: '3.11', ns: [4096, 16384, 65536, 262144], workloads: ['fib_bigints', 'object_graph', 'regex', 'threads'], runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--python') o.python = val();
    else if (a === '--sample-bytes') o.ns = val().split(',').filter(Boolean).map((x) => parseInt(x, 10));
    else if (a === '--workloads') o.workloads = val().split(',').filter(Boolean);
    else if (a === '--runs') o.runs = Math.max(1, parseInt(val(), 10));
    else if (a === '-h' || a === '--help') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// Wall and CPU seconds of one run, via GNU time.
function measure(cmd, args, tmp) {
  const tf = path.join(tmp, 'time.txt');
  const r = sh('/usr/bin/time', ['-f', '%e %U %S', '-o', tf, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const [wall, user, sys] = fs.readFileSync(tf, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  return { wall, cpu: user + sys };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const py = prepareVenv(o.python);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pymemprof-sweep-'));
  const variants = [
    { key: 'plain', cmd: (wl, out) => TOOLS.plain.cmd(py, wl, out) },
    { key: 'full', cmd: (wl, out) => TOOLS.pymemprof.cmd(py, wl, out), full: true },
    ...o.ns.map((n) => ({ key: `N=${n}`, n, cmd: (wl, out) => TOOLS.pymemprof_sampled.cmd(py, wl, out, { sampleBytes: n }) })),
  ];
  try {
    // Fixed cost: the empty program (after a warm-up run of each variant).
    const empty = path.join(workloadDir, 'empty.py');
    const fixed = {};
    for (const v of variants) measure(...v.cmd(empty, path.join(tmp, 'empty.bin')), tmp);
    for (let i = 0; i < Math.max(5, o.runs); i++) {
      for (const v of variants) (fixed[v.key] = fixed[v.key] || []).push(measure(...v.cmd(empty, path.join(tmp, 'empty.bin')), tmp));
    }
    const fixedMed = Object.fromEntries(variants.map((v) => [v.key, {
      wall: median(fixed[v.key].map((x) => x.wall)), cpu: median(fixed[v.key].map((x) => x.cpu)),
    }]));

    const rows = [];
    for (const name of o.workloads) {
      const wl = path.join(workloadDir, name + '.py');
      const t = Object.fromEntries(variants.map((v) => [v.key, []]));
      const acc = Object.fromEntries(o.ns.map((n) => [n, { traced: [], sampled: [] }]));
      for (let run = 0; run < o.runs; run++) {
        const order = variants.map((_, i) => variants[(i + run) % variants.length]);
        for (const v of order) {
          const out = path.join(tmp, `${name}.${v.key}.bin`);
          t[v.key].push(measure(...v.cmd(wl, out), tmp));
          if (v.key === 'plain') continue;
          const st = captureStats(out);
          fs.rmSync(out, { force: true });
          if (st.error) throw new Error(`stats ${name} ${v.key}: ${st.error}`);
          if (v.full) for (const n of o.ns) acc[n].traced.push({ round: run, ...st });
          else acc[v.n].sampled.push({ round: run, ...st });
        }
        process.stderr.write(`sweep: ${name} round ${run + 1}/${o.runs}: ` +
          variants.map((v) => `${v.key} ${t[v.key][run].wall.toFixed(2)}s/${t[v.key][run].cpu.toFixed(2)}cpu`).join(', ') + '\n');
      }
      const med = Object.fromEntries(variants.map((v) => [v.key, {
        wall: median(t[v.key].map((x) => x.wall)), cpu: median(t[v.key].map((x) => x.cpu)),
      }]));
      rows.push({ name, med, acc: Object.fromEntries(o.ns.map((n) => [n, sampledAccuracy(acc[n], n)])), samples: Object.fromEntries(o.ns.map((n) => [n, median(acc[n].sampled.map((s) => s.allocations))])) });
    }

    const r2 = (x) => `${x.toFixed(2)}×`;
    const pc = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}%`;
    const ratios = (key, what, adjust) => rows.map((r) => {
      const f = adjust ? fixedMed[key][what] - fixedMed.plain[what] : 0;
      return (r.med[key][what] - f) / r.med.plain[what];
    });
    const L = [];
    L.push(`# Sampling interval sweep — CPython ${o.python}, ${o.runs} runs`, '');
    L.push('Fixed cost (empty program, median wall / CPU s): ' +
      variants.map((v) => `${v.key} ${fixedMed[v.key].wall.toFixed(3)} / ${fixedMed[v.key].cpu.toFixed(3)}`).join(', ') + '.', '');
    L.push('Overhead against plain (geometric mean over the workloads; "− fixed": the empty-program difference subtracted):', '');
    L.push('| variant | wall | wall − fixed | CPU | CPU − fixed |');
    L.push('|---|---:|---:|---:|---:|');
    for (const v of variants.slice(1)) {
      L.push(`| ${v.key} | ${r2(geomean(ratios(v.key, 'wall', false)))} | ${r2(geomean(ratios(v.key, 'wall', true)))} | ` +
        `${r2(geomean(ratios(v.key, 'cpu', false)))} | ${r2(geomean(ratios(v.key, 'cpu', true)))} |`);
    }
    L.push('');
    L.push('Per workload: CPU − fixed ratio; peak error median / worst over the runs; top-3 (≥ 4·N) match; samples per run.', '');
    L.push(`| workload | plain CPU s | traced peak MB | ${o.ns.map((n) => `N=${n}`).join(' | ')} |`);
    L.push(`|---|---:|---:|${o.ns.map(() => '---').join('|')}|`);
    for (const r of rows) {
      const cells = o.ns.map((n) => {
        const a = r.acc[n];
        const adj = (r.med[`N=${n}`].cpu - (fixedMed[`N=${n}`].cpu - fixedMed.plain.cpu)) / r.med.plain.cpu;
        return `${r2(adj)}; ${pc(a.medianError)} / ${pc(a.worstError)}; ${a.checked ? `${a.matched}/${a.runs}${a.tied ? ` (${a.tied} tie)` : ''}` : 'n/a'}; ${Math.round(r.samples[n])}`;
      });
      L.push(`| ${r.name} | ${r.med.plain.cpu.toFixed(2)} | ${(r.acc[o.ns[0]].tracedPeak / 1e6).toFixed(2)} | ${cells.join(' | ')} |`);
    }
    console.log(L.join('\n'));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();

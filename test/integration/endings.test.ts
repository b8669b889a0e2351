/**
 * How programs end and what they see: exit statuses, uncaught exceptions, os._exit (each with a
 * complete capture: trailer present, no warnings), input() from stdin, sys.argv / sys.executable /
 * sys.path[0] as under the plain interpreter, -m and -c modes; through the CLI and through the Node
 * API (run() from dist/, as the child process runs from there).
 * Crashes and signals (abort, segfault, SIGKILL, Ctrl+C) are in signals.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeStats } from '../../src/analysis/compute-stats';
// The Node API as a package user gets it, from dist/.
import { run } from '../../dist/index';
import { anyPython, describeEachPython } from '../helpers/pythons';
import { CLI, expectStatus, FIXTURES, fixture, lastJson, plain, spawnCollect, tempDir, traced } from './util';

describeEachPython('endings and environment', (py) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir(`end${py.minor}`);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const out = (name: string) => path.join(dir, name);

  test('sys.exit(3) gives status 3 (CLI) and ending {exit, 3} (API)', async () => {
    const r = await traced(py.path, out('exit.bin'), [fixture('exit_code.py')]);
    expect(r.status, r.stderr).toBe(3);
    const api = await run({ script: fixture('exit_code.py'), python: py.path, output: out('exit-api.bin'), stdio: 'pipe' });
    expect(api.ending).toMatchObject({ kind: 'exit', code: 3, status: 3, signal: null });
    expect(api.stats?.allocations).toBeGreaterThan(0);
  });

  test('an uncaught exception gives status 1 and the same traceback as the plain interpreter', async () => {
    const [t, p] = await Promise.all([
      traced(py.path, out('raise.bin'), [fixture('raises.py')]),
      plain(py.path, [fixture('raises.py')]),
    ]);
    expect(p.status).toBe(1);
    expect(t.status, t.stderr).toBe(1);
    expect(t.stderr).toContain('Traceback (most recent call last):');
    expect(t.stderr).toContain('ValueError: boom from the fixture');
    // The traceback itself is the plain interpreter's, line for line.
    const tb = (s: string) => s.slice(s.indexOf('Traceback')).split('\n').filter((l) => !l.startsWith('pymemprof:')).join('\n');
    expect(tb(t.stderr)).toBe(tb(p.stderr));
  });

  test('os._exit(7) gives status 7 and the capture is still readable', async () => {
    const capture = out('osexit.bin');
    const r = await traced(py.path, capture, [fixture('os_exit.py')]);
    expect(r.status, r.stderr).toBe(7);
    expect(r.stdout).toContain('before os._exit');
    const a = await analyzeStats(capture);
    expect(a.stats.python_version).toBe(py.version);
    expect(a.stats.allocations).toBeGreaterThan(0);
    // atexit never runs after os._exit, but the tracer's wrapper of os._exit completes the capture.
    expect(a.read.trailer).not.toBeNull();
    expect(a.warnings).toEqual([]);
    const api = await run({ script: fixture('os_exit.py'), python: py.path, output: out('osexit-api.bin'), stdio: 'pipe' });
    expect(api.ending).toMatchObject({ kind: 'exit', code: 7, status: 7 });
    expect(api.warnings).toEqual([]);
  });

  test('every normal ending leaves a complete capture: return, sys.exit(3), an uncaught exception (CLI and API)', async () => {
    const cases = [
      { args: ['-c', 'x = bytearray(1_000_001)'], status: 0, name: 'return' },
      { args: [fixture('exit_code.py')], status: 3, name: 'exit' },
      { args: [fixture('raises.py')], status: 1, name: 'raise' },
    ];
    for (const c of cases) {
      const capture = out(`complete-${c.name}.bin`);
      const r = await traced(py.path, capture, c.args);
      expect(r.status, r.stderr).toBe(c.status);
      const a = await analyzeStats(capture);
      expect(a.read.trailer, c.name).not.toBeNull();
      expect(a.warnings, c.name).toEqual([]);
      expect(a.stats.top_peak_locations.some((l) => l.bytes >= 1_000_002), c.name).toBe(true);
    }
    const api = await run({ script: fixture('raises.py'), python: py.path, output: out('raise-api.bin'), stdio: 'pipe' });
    expect(api.ending).toMatchObject({ kind: 'exit', code: 1, signal: null, status: 1, description: 'exited with status 1' });
    expect(api.warnings).toEqual([]);
    expect(api.stats?.allocations).toBeGreaterThan(0);
  });

  test('input() reads lines from stdin (CLI with piped input)', async () => {
    const r = await traced(py.path, out('stdin.bin'), [fixture('reads_stdin.py')], { input: 'alice\nbob\n' });
    expectStatus(r, 0, 'reads_stdin.py');
    expect(r.stdout).toBe('name? got: ALICE | bob\n');
  });

  test('input() reads lines from stdin (API with stdio pipe)', async () => {
    let stdout = '';
    const api = await run({
      script: fixture('reads_stdin.py'),
      python: py.path,
      output: out('stdin-api.bin'),
      stdio: 'pipe',
      noStats: true,
      onSpawn: (child) => {
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stdin!.end('carol\nxyz\n');
      },
    });
    expect(api.ending.status).toBe(0);
    expect(stdout).toBe('name? got: CAROL | zyx\n');
  });

  test('script mode: sys.argv, sys.executable, sys.path[0], sys.prefix are as under plain python', async () => {
    const args = [fixture('probe.py'), 'one', '--two', 'three four'];
    const [t, p] = await Promise.all([traced(py.path, out('probe.bin'), args, { cwd: dir }), plain(py.path, args, { cwd: dir })]);
    expectStatus(t, 0, 'probe.py traced');
    expectStatus(p, 0, 'probe.py plain');
    const tj = lastJson(t.stdout);
    const pj = lastJson(p.stdout);
    expect(tj).toEqual(pj);
    expect(tj.executable).not.toMatch(/node/);
    expect(fs.realpathSync(tj.executable)).toBe(fs.realpathSync(py.path));
    expect(tj.path0).toBe(FIXTURES);
  });

  test('script given by a relative path: sys.argv[0] and sys.path[0] as under plain python', async () => {
    const args = [path.join('test', 'fixtures', 'probe.py'), 'x'];
    const root = path.resolve(FIXTURES, '..', '..');
    const [t, p] = await Promise.all([traced(py.path, out('probe-rel.bin'), args, { cwd: root }), plain(py.path, args, { cwd: root })]);
    expectStatus(t, 0, 'probe.py traced');
    expect(lastJson(t.stdout)).toEqual(lastJson(p.stdout));
  });

  test('-m module mode works as under plain python', async () => {
    const args = ['-m', 'probepkg', 'arg1'];
    const [t, p] = await Promise.all([traced(py.path, out('mod.bin'), args, { cwd: FIXTURES }), plain(py.path, args, { cwd: FIXTURES })]);
    expectStatus(t, 0, '-m probepkg traced');
    expectStatus(p, 0, '-m probepkg plain');
    expect(lastJson(t.stdout)).toEqual(lastJson(p.stdout));
    expect(lastJson(t.stdout).name).toBe('__main__');
  });

  test('-c code mode works as under plain python', async () => {
    const code = 'import sys, json; x = bytearray(1234567); print(json.dumps({"argv": sys.argv, "path0": sys.path[0], "exe": sys.executable}))';
    const [t, p] = await Promise.all([
      traced(py.path, out('c.bin'), ['-c', code, 'a', 'b'], { cwd: dir }),
      plain(py.path, ['-c', code, 'a', 'b'], { cwd: dir }),
    ]);
    expectStatus(t, 0, '-c traced');
    expect(lastJson(t.stdout)).toEqual(lastJson(p.stdout));
    expect(lastJson(t.stdout).argv).toEqual(['-c', 'a', 'b']);
    const a = await analyzeStats(out('c.bin'));
    const top = a.stats.top_peak_locations.find((l) => l.bytes >= 1234568 && l.bytes < 1234568 + 1024);
    expect(top, JSON.stringify(a.stats.top_peak_locations.slice(0, 3))).toMatchObject({ file: '<string>', line: 1, function: '<module>' });
  });

  test('the API resolves the capture path, the ending and the stats', async () => {
    const r = await run({ script: fixture('probe.py'), python: py.path, output: out('api.bin'), stdio: 'pipe', cwd: dir });
    expect(r.capturePath).toBe(out('api.bin'));
    expect(fs.existsSync(r.capturePath)).toBe(true);
    expect(r.ending).toMatchObject({ kind: 'exit', code: 0, status: 0 });
    expect(r.stats?.python_version).toBe(py.version);
    expect(r.stats?.argv).toEqual([fixture('probe.py')]);
  });
});

// run() imported from src/ (as vitest does) once looked for its child script next to the .ts
// sources and failed as if the program had exited with status 1.
describe('Node API imported from src/', () => {
  test('run() from src/index works too (or fails with a clear error)', async () => {
    const py = anyPython();
    if (!py) return;
    const dir = tempDir('srcapi');
    try {
      const { run: runFromSrc } = await import('../../src/index');
      const r = await runFromSrc({ code: 'print("hi")', python: py.path, output: path.join(dir, 'src.bin'), stdio: 'pipe', noStats: true });
      expect(r.ending.status).toBe(0);
      expect(fs.existsSync(r.capturePath)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('environment', () => {
  test('the program sees the caller environment, NODE_EXTRA_CA_CERTS included', async () => {
    const py = anyPython();
    if (!py) return;
    const dir = tempDir('env');
    try {
      const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/extra-ca.pem', PYMEMPROF_TEST_VAR: 'x y' };
      const code = 'import os, json; print(json.dumps({k: os.environ.get(k) for k in ("NODE_EXTRA_CA_CERTS", "PYMEMPROF_TEST_VAR", "PATH")}))';
      const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'env.bin'), ['-c', code], { env }), plain(py.path, ['-c', code], { env })]);
      expectStatus(t, 0, 'traced');
      expect(JSON.parse(t.stdout)).toEqual(JSON.parse(p.stdout));
      expect(JSON.parse(t.stdout).NODE_EXTRA_CA_CERTS).toBe('/nonexistent/extra-ca.pem');
      // The CLI's own Node never read the file (it makes no TLS connections; Node 20 parses the file
      // at start and warns here when it cannot): run as a command, bin/pymemprof.js hides it.
      expect(t.stderr).not.toContain('extra certs');
      const direct = await spawnCollect(process.execPath, [CLI, '--version'], { env });
      expect(direct.stderr).toContain('extra certs');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

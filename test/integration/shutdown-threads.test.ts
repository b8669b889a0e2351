/**
 * Interpreter shutdown with threads still running, on every CPython version, compared with the
 * plain interpreter: daemon threads allocating at exit (normal return, sys.exit(3), an uncaught
 * exception, os._exit(4)), and threads started by a C extension (test/fixtures/native_threads.c,
 * compiled here against the interpreter's headers) that call into Python through
 * PyGILState_Ensure, some joined, some still calling when the program exits.
 *
 * Each: the same status, stdout and stderr as plain python (no crash, no "Fatal Python error"), a
 * complete capture (trailer present); for the C extension's joined threads, the capture's count of
 * their marker allocations equals the program's own count, on three threads other than the main one.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { describeEachPython } from '../helpers/pythons';
import { bytearrayBuffer, collectRecords, expectStatus, fixture, lastJson, plain, tempDir, traced } from './util';

const DAEMON = fixture('daemon_exit.py');
const NATIVE = fixture('native_threads.py');

function hasCompiler(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describeEachPython('shutdown with threads running', (py) => {
  let dir: string;
  let extDir: string;
  beforeAll(() => {
    dir = tempDir(`shut${py.minor}`);
    extDir = path.join(dir, 'ext');
    fs.mkdirSync(extDir);
    if (!hasCompiler()) return;
    const [include, suffix] = execFileSync(py.path, ['-c', 'import sysconfig; print(sysconfig.get_paths()["include"]); print(sysconfig.get_config_var("EXT_SUFFIX"))'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    execFileSync('cc', ['-shared', '-fPIC', '-O1', `-I${include}`, fixture('native_threads.c'), '-o', path.join(extDir, `native_threads${suffix}`), '-lpthread'], {
      stdio: 'pipe',
    });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const out = (name: string) => path.join(dir, name);

  test.each([
    ['return', 0],
    ['exit3', 3],
    ['raise', 1],
    ['os_exit', 4],
  ] as const)('daemon threads allocating at exit (%s): status %i, output as under plain python, complete capture', async (mode, status) => {
    const capture = out(`daemon-${mode}.bin`);
    const [t, p] = await Promise.all([traced(py.path, capture, [DAEMON, mode]), plain(py.path, [DAEMON, mode])]);
    expectStatus(p, status, `python daemon_exit.py ${mode}`);
    expectStatus(t, status, `pymemprof run daemon_exit.py ${mode}`);
    expect(t.stdout).toBe(p.stdout);
    expect(t.stderr).toBe(p.stderr);
    expect(t.stderr).not.toMatch(/Fatal Python error|Segmentation|Aborted|pymemprof:/);
    const a = await analyzeStats(capture);
    expect(a.read.trailer, a.warnings.join('\n')).not.toBeNull();
    expect(a.warnings).toEqual([]);
    const names = a.stats.threads.map((x) => x.name);
    for (let k = 0; k < 4; k++) expect(names).toContain(`daemon-${k}`);
  });

  test('threads started by a C extension call into Python (PyGILState_Ensure), some still running at exit', async (ctx) => {
    if (!hasCompiler()) ctx.skip(); // no C compiler: cannot build the extension
    const capture = out('native.bin');
    const [t, p] = await Promise.all([traced(py.path, capture, [NATIVE, extDir]), plain(py.path, [NATIVE, extDir])]);
    expectStatus(p, 5, 'python native_threads.py');
    expectStatus(t, 5, 'pymemprof run native_threads.py');
    expect(t.stderr).toBe(p.stderr);
    expect(t.stderr).toBe('');
    const own = lastJson<{ joined: number; counted: number; mark_size: number }>(t.stdout);
    expect(own).toEqual(lastJson(p.stdout));
    expect(own).toMatchObject({ joined: 1500, counted: 1500 });
    const { records, tables, read } = await collectRecords(capture, (s) => s === bytearrayBuffer(own.mark_size));
    expect(read.trailer).not.toBeNull();
    expect(records.length).toBe(own.counted);
    const threads = new Set(records.map((r) => r.thread));
    expect(threads.size).toBe(3);
    const main = [...tables.threads.values()].find((x) => x.name === 'MainThread')?.id;
    expect(main).toBeDefined();
    expect(threads.has(main!)).toBe(false);
  });
});

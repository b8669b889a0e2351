/**
 * The capture's disk fills up during the run, two ways: a 2 MiB tmpfs (ENOSPC; needs root and
 * mount, as on the CI machine, else skipped with the reason) and a file size limit (RLIMIT_FSIZE
 * through prlimit: EFBIG; Node ignores SIGXFSZ as python does). Fixture disk_fill.py writes 5
 * markers, pauses, then makes far more records than fit.
 *
 * Expected: the program runs to its end with its own status and output (the same as under plain
 * python), the tracer prints exactly one warning line saying recording stopped and when, its hooks
 * are off afterwards (pymemprof.is_tracing() is False at the end), and the capture reads back up to
 * the failure (header, the markers, no partial frame: the reader finds no cut frame, only no
 * trailer), with every record no later than the time the warning gives. Also: a read-only
 * directory for -o is refused before the program starts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyzeStats } from '../../src/analysis/compute-stats';
import { run } from '../../dist/index';
import { anyPython } from '../helpers/pythons';
import { forEachRecord, isAlloc } from './proc-util';
import { bytearrayBuffer, CLI, expectStatus, fixture, lastJson, plain, spawnCollect, tempDir, ProcResult } from './util';

const FIXTURE = fixture('disk_fill.py');
const py = anyPython();
const LIMIT = 2 * 1024 * 1024;
const WARNING = /^pymemprof: warning: (.+): (no space left on device|file too large); recording stopped at (\d+\.\d{3}) s, the capture holds everything before$/;

function tryMount(dir: string, options: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return ((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim().split('\n')[0]!;
  }
}

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The run's one warning line; the capture read back up to it. */
async function expectStoppedCleanly(t: ProcResult, p: ProcResult, capture: string, reason: string): Promise<void> {
  expectStatus(p, 6, 'python disk_fill.py');
  expectStatus(t, 6, 'pymemprof run disk_fill.py (disk full)');
  const own = lastJson(t.stdout);
  expect(own.total).toBe(lastJson(p.stdout).total); // the program did all its work
  expect(own.tracing_at_end).toBe(false); // the hooks are off after the failure
  const lines = t.stderr.split('\n').filter((l) => l !== '');
  expect(lines, t.stderr).toHaveLength(1);
  const m = WARNING.exec(lines[0]!);
  expect(m, lines[0]).not.toBeNull();
  expect(m![1]).toBe(capture);
  expect(m![2]).toBe(reason);
  const stoppedMs = Number(m![3]) * 1000;
  expect(stoppedMs).toBeGreaterThan(0);

  expect(fs.statSync(capture).size).toBeLessThanOrEqual(LIMIT);
  const a = await analyzeStats(capture);
  expect(a.read.trailer).toBeNull();
  // Ends on a frame boundary: the partial frame was cut off again, so no "truncated (...)" frame.
  expect(a.warnings).toEqual([`${capture}: capture has no trailer (truncated: trailer missing); the traced program may not have finished`]);
  expect(a.stats.allocations).toBeGreaterThan(10_000);
  let markers = 0;
  let lastUs = 0;
  await forEachRecord(capture, (kind, _a, size, _t, _s, timeUs) => {
    if (isAlloc(kind) && size === bytearrayBuffer(own.mark_size)) markers++;
    lastUs = Math.max(lastUs, timeUs);
  });
  expect(markers).toBe(5);
  expect(lastUs / 1000).toBeLessThanOrEqual(stoppedMs + 1);
}

describe.runIf(py)('disk full during a run', () => {
  let dir: string;
  let full: string;
  let mountError: string | null = 'not tried';
  beforeAll(() => {
    dir = tempDir('diskfull');
    full = path.join(dir, 'full');
    fs.mkdirSync(full);
    mountError = tryMount(full, `size=${LIMIT}`);
  });
  afterAll(() => {
    if (!mountError) execFileSync('umount', [full]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('ENOSPC (a 2 MiB tmpfs): CLI', async (ctx) => {
    if (mountError) ctx.skip(`cannot mount a tmpfs here (${mountError}): needs root`);
    const capture = path.join(full, 'cli.bin');
    const [t, p] = await Promise.all([
      spawnCollect(process.execPath, [CLI, 'run', '-q', '-o', capture, '--python', py!.path, FIXTURE]),
      plain(py!.path, [FIXTURE]),
    ]);
    await expectStoppedCleanly(t, p, capture, 'no space left on device');
    // The reports read it and say the trailer is missing.
    const s = await spawnCollect(process.execPath, [CLI, 'stats', capture]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/trailer missing/);
    fs.rmSync(capture);
  });

  test('ENOSPC (a 2 MiB tmpfs): Node API', async (ctx) => {
    if (mountError) ctx.skip(`cannot mount a tmpfs here (${mountError}): needs root`);
    const capture = path.join(full, 'api.bin');
    let stderr = '';
    const r = await run({
      script: FIXTURE,
      python: py!.path,
      output: capture,
      stdio: 'pipe',
      onSpawn: (child) => child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d)),
    });
    expect(r.ending).toMatchObject({ kind: 'exit', code: 6, status: 6 });
    expect(stderr.trim()).toMatch(WARNING);
    expect(r.warnings.join('\n')).toMatch(/trailer missing/);
    expect(r.stats?.allocations).toBeGreaterThan(10_000);
    fs.rmSync(capture);
  });

  test('EFBIG (file size limit through prlimit)', async (ctx) => {
    if (!hasPrlimit()) ctx.skip('prlimit (util-linux) not installed');
    const capture = path.join(dir, 'fsize.bin');
    const [t, p] = await Promise.all([
      spawnCollect('prlimit', [`--fsize=${LIMIT}`, process.execPath, CLI, 'run', '-q', '-o', capture, '--python', py!.path, FIXTURE]),
      plain(py!.path, [FIXTURE]),
    ]);
    await expectStoppedCleanly(t, p, capture, 'file too large');
  });

  test('-o in a read-only directory: one-line error before the program starts', async (ctx) => {
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    const err = tryMount(ro, 'ro,size=1m');
    if (err) ctx.skip(`cannot mount a read-only tmpfs here (${err}): needs root`);
    try {
      const started = path.join(dir, 'started');
      const code = `open(${JSON.stringify(started)}, "w").write("x")`;
      const r = await spawnCollect(process.execPath, [CLI, 'run', '-o', path.join(ro, 'x.bin'), '--python', py!.path, '-c', code]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`pymemprof: -o ${path.join(ro, 'x.bin')}: directory ${ro} is on a read-only file system; choose another -o`]);
      expect(fs.existsSync(started)).toBe(false);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

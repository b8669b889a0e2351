/**
 * CLI errors: a missing script, --python that is not a Python, -o into a missing directory, and a
 * few more. Each gives one line on stderr ("pymemprof: ..."), a non-zero exit status, no stack
 * trace, and leaves no capture behind. Needs no particular interpreter except where noted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anyPython } from '../helpers/pythons';
import { cli, fixture, tempDir, ProcResult } from './util';

const py = anyPython();

function expectOneLineError(r: ProcResult, mentions: string | RegExp): void {
  expect(r.status, `exit status; stderr: ${r.stderr}`).not.toBe(0);
  expect(r.status).not.toBeNull();
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pymemprof: /);
  expect(lines[0]).toMatch(mentions);
  expect(r.stderr).not.toMatch(/^\s+at /m); // no JavaScript stack trace
  expect(r.stderr).not.toMatch(/internal error|Traceback/);
  expect(r.stdout).toBe('');
}

describe('CLI errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('clierr');
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const pyArgs = () => (py ? ['--python', py.path] : []);
  const leftovers = () => fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));

  test('a script that does not exist', async () => {
    const r = await cli(['run', ...pyArgs(), 'no_such_script.py', 'arg'], { cwd: dir });
    expectOneLineError(r, /no_such_script\.py/);
    expect(leftovers()).toEqual([]);
  });

  test('--python /bin/false', async () => {
    const r = await cli(['run', '--python', '/bin/false', fixture('probe.py')], { cwd: dir });
    expectOneLineError(r, /\/bin\/false/);
    expect(leftovers()).toEqual([]);
  });

  // BUG (reported): the message for an interpreter that fails to run quotes pymemprof's internal
  // sysconfig query ("Command failed: /bin/false -I -c  import json, os, sys, sysconfig v = ...").
  test('--python /bin/false: the message does not quote the internal query', async () => {
    const r = await cli(['run', '--python', '/bin/false', fixture('probe.py')], { cwd: dir });
    expect(r.stderr).not.toMatch(/sysconfig|get_config_var|import json/);
  });

  test('--python pointing to a text file (not executable, then executable)', async () => {
    const text = path.join(dir, 'not-python.txt');
    fs.writeFileSync(text, 'hello, I am not a Python\n');
    expectOneLineError(await cli(['run', '--python', text, fixture('probe.py')], { cwd: dir }), /not-python\.txt/);
    fs.chmodSync(text, 0o755);
    expectOneLineError(await cli(['run', '--python', text, fixture('probe.py')], { cwd: dir }), /not-python\.txt/);
    expect(leftovers()).toEqual([]);
  });

  test('--python that does not exist', async () => {
    expectOneLineError(await cli(['run', '--python', path.join(dir, 'missing', 'python3'), fixture('probe.py')], { cwd: dir }), /missing\/python3/);
  });

  test('-o into a directory that does not exist', async () => {
    const out = path.join(dir, 'no', 'such', 'dir', 'capture.bin');
    const r = await cli(['run', ...pyArgs(), '-o', out, fixture('probe.py')], { cwd: dir });
    expectOneLineError(r, /no\/such\/dir/);
    expect(fs.existsSync(path.join(dir, 'no'))).toBe(false);
  });

  test('-o naming an existing directory', async () => {
    expectOneLineError(await cli(['run', ...pyArgs(), '-o', dir, fixture('probe.py')], { cwd: dir }), /is a directory/);
  });

  test('nothing to run, and an empty -m', async () => {
    expectOneLineError(await cli(['run', ...pyArgs()], { cwd: dir }), /nothing to run|script|module/);
    expectOneLineError(await cli(['run', ...pyArgs(), '-m', ''], { cwd: dir }), /-m/);
  });

  test('stats on a file that is not a capture, and on a missing file', async () => {
    const text = path.join(dir, 'plain.txt');
    fs.writeFileSync(text, 'not a capture at all\n');
    expectOneLineError(await cli(['stats', '--json', text], { cwd: dir }), /plain\.txt/);
    expectOneLineError(await cli(['stats', '--json', path.join(dir, 'absent.bin')], { cwd: dir }), /absent\.bin/);
  });

  test('an unsupported interpreter version (3.8 or older, if present)', async (ctx) => {
    const old = ['3.8', '3.7', '3.6'].map((v) => {
      try {
        const root = path.join(process.env.PYENV_ROOT || path.join(require('node:os').homedir(), '.pyenv'), 'versions');
        const d = fs.readdirSync(root).find((n) => n.startsWith(v + '.'));
        return d ? path.join(root, d, 'bin', 'python3') : null;
      } catch {
        return null;
      }
    }).find((p) => p && fs.existsSync(p));
    if (!old) ctx.skip();
    expectOneLineError(await cli(['run', '--python', old!, fixture('probe.py')], { cwd: dir }), /not supported/);
  });
});

/**
 * Bad input that is the program's or the interpreter's, not pymemprof's own arguments:
 *
 *  - `-m` naming a module that does not exist, and a module that raises on import: exactly the plain
 *    interpreter's message and status (e.g. "python3: No module named nosuch", 1), nothing of ours,
 *    on every version;
 *  - `--python` naming something that is not a usable CPython 3.9-3.13 with a shared libpython:
 *    Python 2.7 and 3.6-3.8 (those present), a directory, an executable that is not Python, an
 *    interpreter without a shared libpython and one without headers (both simulated with a
 *    virtualenv whose sitecustomize changes what sysconfig reports): one line each, saying what to
 *    do, no stack trace, exit status 1, the program never started.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anyPython, describeEachPython } from '../helpers/pythons';
import { cli, expectStatus, plain, ProcResult, tempDir, traced } from './util';

/** A line of a JavaScript stack trace. */
const JS_STACK = /^\s+at (?:.+ \()?(?:node:|file:|\/).*:\d+:\d+\)?$/m;

function expectOneLineError(r: ProcResult, mentions: RegExp): void {
  expect(r.status, `exit status; stderr: ${r.stderr}`).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pymemprof: --python /);
  expect(lines[0]).toMatch(mentions);
  expect(r.stderr).not.toMatch(JS_STACK);
  expect(r.stderr).not.toMatch(/internal error|Traceback|sysconfig|import json/);
  expect(r.stdout).toBe('');
}

describeEachPython('the program cannot be imported', (py) => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir(`badmod${py.minor}`);
    fs.writeFileSync(path.join(dir, 'badmod.py'), 'import json\nraise ImportError("broken on purpose")\n');
    fs.writeFileSync(path.join(dir, 'uses_badmod.py'), 'print("before")\nimport badmod\n');
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('-m a module that does not exist: the plain interpreter’s one line and status', async () => {
    const args = ['-m', 'no_such_module_pmp'];
    const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'nosuch.bin'), args, { cwd: dir }), plain(py.path, args, { cwd: dir })]);
    expect(p.status).toBe(1);
    expect(p.stderr).toBe(`${py.path}: No module named no_such_module_pmp\n`);
    expectStatus(t, 1, 'pymemprof run -m no_such_module_pmp');
    expect(t.stderr).toBe(p.stderr);
    expect(t.stdout).toBe('');
    // Without -q: the same line, then only our run summary; no stack trace of ours.
    const full = await cli(['run', '-o', path.join(dir, 'nosuch2.bin'), '--python', py.path, ...args], { cwd: dir });
    expect(full.status).toBe(1);
    expect(full.stderr.startsWith(p.stderr)).toBe(true);
    expect(full.stderr).not.toMatch(JS_STACK);
    expect(full.stderr).not.toMatch(/Traceback/);
  });

  test('-m a module that raises on import: the plain interpreter’s traceback and status', async () => {
    const args = ['-m', 'badmod'];
    const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'badm.bin'), args, { cwd: dir }), plain(py.path, args, { cwd: dir })]);
    expect(p.status).toBe(1);
    expect(p.stderr).toMatch(/^ImportError: broken on purpose$/m);
    expectStatus(t, 1, 'pymemprof run -m badmod');
    expect(t.stderr).toBe(p.stderr);
  });

  test('a script whose import raises: the plain interpreter’s output, traceback and status', async () => {
    const args = [path.join(dir, 'uses_badmod.py')];
    const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'uses.bin'), args, { cwd: dir }), plain(py.path, args, { cwd: dir })]);
    expect(p.status).toBe(1);
    expectStatus(t, 1, 'pymemprof run uses_badmod.py');
    expect(t.stdout).toBe(p.stdout);
    expect(t.stderr).toBe(p.stderr);
  });
});

describe('--python that is not a usable CPython 3.9-3.13', () => {
  const py = anyPython();
  let dir: string;
  beforeAll(() => {
    dir = tempDir('badpy');
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  const leftovers = () => fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
  const runWith = (python: string) => {
    const started = path.join(dir, 'started');
    return cli(['run', '-o', path.join(dir, 'x.bin'), '--python', python, '-c', `open(${JSON.stringify(started)}, "w")`], { cwd: dir }).then((r) => {
      expect(fs.existsSync(started), 'the program must not start').toBe(false);
      expect(leftovers()).toEqual([]);
      return r;
    });
  };

  const pyenvVersions = (() => {
    const root = path.join(process.env.PYENV_ROOT || path.join(require('node:os').homedir(), '.pyenv'), 'versions');
    try {
      return fs.readdirSync(root).map((n) => ({ name: n, dir: path.join(root, n) }));
    } catch {
      return [];
    }
  })();
  const old = pyenvVersions
    .filter((v) => /^(2\.7|3\.[678])\.\d+$/.test(v.name))
    .map((v) => ({ version: v.name, path: [path.join(v.dir, 'bin', 'python3'), path.join(v.dir, 'bin', 'python')].find((p) => fs.existsSync(p)) }))
    .filter((v): v is { version: string; path: string } => !!v.path);

  test.runIf(old.length > 0).each(old)('Python $version: "not supported; use CPython 3.9 to 3.13"', async ({ version, path: p }) => {
    expectOneLineError(await runWith(p), new RegExp(`Python ${version.replace(/\./g, '\\.')} is not supported; use CPython 3\\.9 to 3\\.13$`));
  });

  test('a directory (an installation prefix): says to pass the interpreter inside it', async () => {
    const prefix = py ? path.dirname(path.dirname(py.path)) : dir;
    expectOneLineError(await runWith(prefix), new RegExp(`is a directory; pass the interpreter itself, e.g. --python ${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/bin/python3$`));
  });

  test('an executable that is not Python (node)', async () => {
    expectOneLineError(await runWith(process.execPath), /cannot run this interpreter .*; pass --python \/path\/to\/python3 \(CPython 3\.9-3\.13\)$/);
  });

  /** A virtualenv whose sysconfig answers differently (sitecustomize runs even under -I). */
  function fakeVenv(name: string, patch: string): string {
    const venv = path.join(dir, name);
    const made = require('node:child_process').spawnSync(py!.path, ['-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const python = path.join(venv, 'bin', 'python');
    const site = require('node:child_process')
      .execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' })
      .trim();
    fs.writeFileSync(path.join(site, 'sitecustomize.py'), `import sysconfig\n${patch}\n`);
    return python;
  }

  test.runIf(py)('an interpreter without a shared libpython (simulated): says to build with --enable-shared', async () => {
    const python = fakeVenv(
      'static',
      '_v = sysconfig.get_config_var\nsysconfig.get_config_var = lambda n: 0 if n == "Py_ENABLE_SHARED" else _v(n)',
    );
    expectOneLineError(await runWith(python), new RegExp(`Python ${py!.version.replace(/\./g, '\\.')} has no shared libpython; use an interpreter built with --enable-shared`));
  });

  test.runIf(py)('an interpreter without headers (simulated): says to install the development package', async () => {
    const python = fakeVenv(
      'noheaders',
      '_p = sysconfig.get_paths\ndef get_paths(*a, **k):\n    d = dict(_p(*a, **k))\n    d["include"] = "/nonexistent/include"\n    return d\nsysconfig.get_paths = get_paths',
    );
    expectOneLineError(await runWith(python), /has no headers \(Python\.h not in \/nonexistent\/include\); install its development package/);
  });
});

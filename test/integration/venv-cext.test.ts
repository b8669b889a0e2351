/**
 * A virtualenv with a package only it has (`--python venv/bin/python` sees it; sys.prefix is the
 * venv), and C extension modules (json, decimal, sqlite3, hashlib, ssl; numpy where importable).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { collectRecords, expectStatus, fixture, lastJson, plain, tempDir, traced } from './util';
import { describeEachPython } from '../helpers/pythons';

const PKG = 'pymemprof_venv_only_pkg';
const PKG_SIZE = 4_321_001;

describeEachPython('virtualenv', (py) => {
  let dir: string;
  let venvPython: string;
  let pkgFile: string;

  beforeAll(async () => {
    dir = tempDir(`venv${py.minor}`);
    const venv = path.join(dir, 'venv');
    // --without-pip: no network, fast; the package is placed straight into site-packages.
    expectStatus(await plain(py.path, ['-m', 'venv', '--without-pip', venv]), 0, 'python -m venv');
    venvPython = path.join(venv, 'bin', 'python');
    const site = (await plain(venvPython, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'])).stdout.trim();
    expect(site.startsWith(fs.realpathSync(dir)) || site.startsWith(dir)).toBe(true);
    fs.mkdirSync(path.join(site, PKG), { recursive: true });
    pkgFile = path.join(site, PKG, '__init__.py');
    fs.writeFileSync(
      pkgFile,
      ['WHERE = "venv"', '', '', 'def build():', `    return bytearray(${PKG_SIZE})  # in the venv package`, ''].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'use_pkg.py'),
      [
        'import json, sys',
        `import ${PKG}`,
        `keep = ${PKG}.build()`,
        `print(json.dumps({"prefix": sys.prefix, "base_prefix": sys.base_prefix, "executable": sys.executable, "where": ${PKG}.WHERE, "pkg": ${PKG}.__file__}))`,
        '',
      ].join('\n'),
    );
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the base interpreter does not have the package', async () => {
    const r = await plain(py.path, ['-c', `import ${PKG}`]);
    expect(r.status).not.toBe(0);
  });

  test('--python venv/bin/python sees the venv package; sys.prefix is the venv', async () => {
    const capture = path.join(dir, 'venv.bin');
    const script = path.join(dir, 'use_pkg.py');
    const [t, p] = await Promise.all([traced(venvPython, capture, [script]), plain(venvPython, [script])]);
    expectStatus(p, 0, 'plain venv python');
    expectStatus(t, 0, 'traced with --python venv/bin/python');
    const tj = lastJson(t.stdout);
    expect(tj).toEqual(lastJson(p.stdout));
    expect(tj.where).toBe('venv');
    expect(fs.realpathSync(tj.prefix)).toBe(fs.realpathSync(path.join(dir, 'venv')));
    expect(tj.prefix).not.toBe(tj.base_prefix);
    expect(tj.executable).toBe(venvPython);
    // and the allocation made in the venv's package is attributed to its file and line
    const { records, tables } = await collectRecords(capture, (s) => s === PKG_SIZE + 1);
    expect(records.length).toBe(1);
    expect(tables.location(records[0]!.stack)).toEqual({ file: pkgFile, line: 5, function: 'build' });
  });
});


describeEachPython('C extension modules', (py) => {
  let dir: string;
  let hasNumpy = false;
  beforeAll(async () => {
    dir = tempDir(`cext${py.minor}`);
    hasNumpy = (await plain(py.path, ['-c', 'import numpy'])).status === 0;
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('json, decimal, sqlite3, hashlib and ssl import and give the plain interpreter’s results', async () => {
    const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'cext.bin'), [fixture('cext.py')]), plain(py.path, [fixture('cext.py')])]);
    expectStatus(p, 0, 'plain cext.py');
    expectStatus(t, 0, 'traced cext.py');
    const tj = lastJson(t.stdout);
    expect(tj).toEqual(lastJson(p.stdout));
    expect(Object.keys(tj).sort()).toEqual(['decimal', 'json', 'md5', 'sha256', 'sqlite', 'ssl']);
  });

  test('numpy (when importable by this interpreter)', async (ctx) => {
    if (!hasNumpy) {
      console.warn(`[C extension modules] numpy is not importable by CPython ${py.version}: numpy check skipped`);
      ctx.skip();
    }
    const args = [fixture('cext.py'), '--numpy'];
    const [t, p] = await Promise.all([traced(py.path, path.join(dir, 'np.bin'), args), plain(py.path, args)]);
    expectStatus(t, 0, 'traced cext.py --numpy');
    expect(lastJson(t.stdout)).toEqual(lastJson(p.stdout));
  });
});

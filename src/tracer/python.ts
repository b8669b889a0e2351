/**
 * Finds out what we need to know about an interpreter by asking it (one short subprocess):
 * its version, real executable, shared libpython and headers. `--python`, then $PYMEMPROF_PYTHON,
 * then `python3` on PATH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PythonNotFoundError, oneLine } from '../errors';

export interface PythonInfo {
  /** sys.executable: the real interpreter (pyenv shims resolved), or the virtualenv's python. */
  executable: string;
  version: string; // "3.11.7"
  major: number;
  minor: number;
  /** Absolute path of the shared libpython, or '' when the interpreter is statically linked. */
  libpython: string;
  libdir: string;
  includeDir: string;
  /** True when Python.h exists in includeDir. */
  hasHeaders: boolean;
  freeThreaded: boolean;
}

const QUERY = `
import json, os, sys, sysconfig
v = sysconfig.get_config_var
libdir = v('LIBDIR') or ''
ldlib = v('LDLIBRARY') or ''
lib = os.path.join(libdir, ldlib) if v('Py_ENABLE_SHARED') and ldlib else ''
if lib and not os.path.exists(lib):
    lib = ''
inc = sysconfig.get_paths().get('include') or v('INCLUDEPY') or ''
print(json.dumps({'executable': sys.executable, 'version': '%d.%d.%d' % sys.version_info[:3],
  'major': sys.version_info[0], 'minor': sys.version_info[1], 'libpython': lib, 'libdir': libdir,
  'includeDir': inc, 'freeThreaded': bool(v('Py_GIL_DISABLED'))}))
`;

export const SUPPORTED_MINORS = [9, 10, 11, 12, 13];

export function defaultPython(): string {
  return process.env.PYMEMPROF_PYTHON || 'python3';
}

/** Finds `name` the way the shell would: as a path when it has a slash, else on PATH. */
function resolveCommand(name: string): string | null {
  if (name.includes('/')) return path.resolve(name);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const f = path.join(dir || '.', name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * A cache of answers, for interpreters that are real binaries (not wrapper scripts such as pyenv's
 * shims, whose answer depends on the directory and environment): keyed by the path as invoked (a
 * virtualenv's python is a symlink whose answer differs from its target's), its target and the
 * target's size and time.
 */
function cacheKey(python: string): string | null {
  const invoked = resolveCommand(python);
  if (!invoked) return null;
  try {
    const real = fs.realpathSync(invoked);
    const fd = fs.openSync(real, 'r');
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    fs.closeSync(fd);
    if (magic.toString('latin1') !== '\x7fELF') return null;
    const st = fs.statSync(real);
    const venv = path.join(path.dirname(path.dirname(invoked)), 'pyvenv.cfg');
    const venvTime = fs.statSync(venv, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    return JSON.stringify([invoked, real, st.size, st.mtimeMs, venvTime, process.env.PYTHONHOME ?? '']);
  } catch {
    return null;
  }
}

const cacheFile = () => path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pymemprof', 'pythons.json');

function readCache(): Record<string, PythonInfo> {
  try {
    return JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as Record<string, PythonInfo>;
  } catch {
    return {};
  }
}

function writeCache(key: string, info: PythonInfo): void {
  try {
    const all = readCache();
    all[key] = info;
    fs.mkdirSync(path.dirname(cacheFile()), { recursive: true });
    const tmp = `${cacheFile()}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(all));
    fs.renameSync(tmp, cacheFile());
  } catch {
    // a cache that cannot be written only costs the query next time
  }
}

export function queryPython(python: string = defaultPython()): PythonInfo {
  const key = cacheKey(python);
  const cached = key ? readCache()[key] : undefined;
  if (cached && fs.existsSync(cached.libpython)) return cached;
  const info = askPython(python);
  if (key) writeCache(key, info);
  return info;
}

/** Major.minor.micro of an interpreter that cannot run the query (Python 2 has no -I), or null. */
function plainVersion(python: string): string | null {
  try {
    const out = execFileSync(python, ['-c', 'import sys; print("%d.%d.%d" % tuple(sys.version_info[:3]))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    }).trim();
    return /^\d+\.\d+\.\d+$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

function askPython(python: string): PythonInfo {
  const resolved = resolveCommand(python);
  if (resolved && fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
    throw new PythonNotFoundError(`--python ${python}: is a directory; pass the interpreter itself, e.g. --python ${path.join(python, 'bin', 'python3')}`);
  }
  let out: string;
  try {
    out = execFileSync(python, ['-I', '-c', QUERY], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; status?: number | null; signal?: string | null };
    const v = err.code === undefined && err.status ? plainVersion(python) : null;
    const old = v && !(v.startsWith('3.') && SUPPORTED_MINORS.includes(Number(v.split('.')[1]))) ? v : null;
    if (old) throw new PythonNotFoundError(`--python ${python}: Python ${old} is not supported; use CPython 3.9 to 3.13`);
    const lastLine = String(err.stderr ?? '').trim().split('\n').pop() ?? '';
    const why =
      err.code === 'ENOENT' ? 'not found'
      : err.code === 'EACCES' ? 'not executable'
      : lastLine ? oneLine(lastLine).slice(0, 200)
      : err.signal ? `killed by ${err.signal}`
      : `exit status ${err.status ?? '?'}`;
    throw new PythonNotFoundError(`--python ${python}: cannot run this interpreter (${why}); pass --python /path/to/python3 (CPython 3.9-3.13)`);
  }
  let info: Omit<PythonInfo, 'hasHeaders'>;
  try {
    info = JSON.parse(out.trim().split('\n').pop() || '');
  } catch {
    throw new PythonNotFoundError(`--python ${python}: not a CPython interpreter (its answer to a sysconfig query was not understood)`);
  }
  const hasHeaders = !!info.includeDir && fs.existsSync(path.join(info.includeDir, 'Python.h'));
  return { ...info, hasHeaders };
}

/** Throws a one-line error saying what is missing and what to do. */
export function checkSupported(p: PythonInfo, asGiven: string): void {
  if (p.major !== 3 || !SUPPORTED_MINORS.includes(p.minor)) {
    throw new PythonNotFoundError(`--python ${asGiven}: Python ${p.version} is not supported; use CPython 3.9 to 3.13`);
  }
  if (p.freeThreaded) {
    throw new PythonNotFoundError(`--python ${asGiven}: free-threaded CPython builds are not supported; use a standard build`);
  }
  if (!p.libpython) {
    throw new PythonNotFoundError(
      `--python ${asGiven}: Python ${p.version} has no shared libpython; use an interpreter built with --enable-shared (e.g. PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ${p.version})`,
    );
  }
  if (!p.hasHeaders) {
    throw new PythonNotFoundError(
      `--python ${asGiven}: Python ${p.version} has no headers (Python.h not in ${p.includeDir}); install its development package (e.g. python3-dev)`,
    );
  }
}

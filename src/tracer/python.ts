/**
 * Finds out what we need to know about an interpreter by asking it (one short subprocess):
 * its version, real executable, shared libpython and headers. `--python`, then $PYMEMPROF_PYTHON,
 * then `python3` on PATH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
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

export function queryPython(python: string = defaultPython()): PythonInfo {
  let out: string;
  try {
    out = execFileSync(python, ['-I', '-c', QUERY], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; status?: number | null; signal?: string | null };
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

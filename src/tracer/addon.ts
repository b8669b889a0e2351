/**
 * The native addons. The tracer's, one per CPython installation: compiled against that interpreter's
 * headers and linked to its libpython; built with cmake-js on first use (or at install for the default
 * interpreter), cached under build/addons/<key>/, loaded with node-gyp-build. The report passes'
 * (pymemprof_reader.node, no libpython): built at install, cached under build/addons/reader/; the
 * report commands use it when it is there and current, else their TypeScript passes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildError, oneLine } from '../errors';
import type { PythonInfo } from './python';

export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** A stable name for one interpreter installation: version plus where its libpython lives. */
export function addonKey(p: PythonInfo): string {
  // FNV-1a (64 bits) of the path: a name, not a secret, and node:crypto's loading alone cost every
  // run ~6 ms.
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(fs.realpathSync(p.libpython))) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return `cp${p.major}${p.minor}-${h.toString(16).padStart(16, '0').slice(0, 10)}`;
}

function writable(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** $PYMEMPROF_ADDON_DIR, else build/addons in the package, else the user's cache directory. */
export function addonsRoot(): string {
  if (process.env.PYMEMPROF_ADDON_DIR) return path.resolve(process.env.PYMEMPROF_ADDON_DIR);
  const inPackage = path.join(PACKAGE_ROOT, 'build', 'addons');
  if (writable(inPackage)) return inPackage;
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'pymemprof', 'addons');
}

export function addonDir(p: PythonInfo): string {
  return path.join(addonsRoot(), addonKey(p));
}

export function addonFile(p: PythonInfo): string {
  return path.join(addonDir(p), 'build', 'Release', 'pymemprof.node');
}

/** The traced process's executable, built with the addon (native/binding/launcher.cpp). */
export function launcherFile(addonDirectory: string): string {
  return path.join(addonDirectory, 'build', 'Release', 'pymemprof-launch');
}

/** What each addon is built from (CMakeLists.txt): a change to the other addon's sources leaves it current. */
const TRACER_SOURCES = ['native/tracer', 'native/capture', 'native/third_party', 'native/binding/addon.cpp', 'native/binding/launcher.cpp', 'CMakeLists.txt'];
const READER_SOURCES = ['native/reader', 'native/capture', 'native/binding/reader_addon.cpp', 'CMakeLists.txt'];

/** Newest modification time of the given native sources: a cached addon older than them is rebuilt. */
function sourcesMtime(sources: readonly string[]): number {
  let newest = 0;
  const walk = (f: string) => {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of fs.readdirSync(f)) walk(path.join(f, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const s of sources) walk(path.join(PACKAGE_ROOT, s));
  return newest;
}

/** The report passes' addon (no libpython, one per package): build/addons/reader. */
export function readerAddonFile(): string {
  return path.join(addonsRoot(), 'reader', 'build', 'Release', 'pymemprof_reader.node');
}

function isCurrent(file: string, sources: readonly string[]): boolean {
  return fs.existsSync(file) && fs.statSync(file).mtimeMs >= sourcesMtime(sources);
}

export function isAddonCurrent(p: PythonInfo): boolean {
  return isBuilt(tracerSpec(p));
}

export function isReaderAddonCurrent(): boolean {
  return isCurrent(readerAddonFile(), READER_SOURCES);
}

/** The tracer's addon and launcher for this interpreter. */
function tracerSpec(p: PythonInfo): BuildSpec {
  const dir = addonDir(p);
  return {
    dir,
    file: addonFile(p),
    also: launcherFile(dir),
    what: `the native addon for Python ${p.version}`,
    sources: TRACER_SOURCES,
    cmakeArgs: [`--CDPYTHON_INCLUDE_DIR=${p.includeDir}`, `--CDPYTHON_LIBRARY=${p.libpython}`, `--CDPYTHON_VERSION=${p.version}`],
  };
}

/** Builds the addon for this interpreter unless a current one is cached. `log` gets progress lines. */
export function ensureAddon(p: PythonInfo, log: (line: string) => void = () => {}): string {
  const spec = tracerSpec(p);
  ensureBuilt(spec, log);
  return spec.dir;
}

/** Builds the report passes' addon unless a current one is cached; returns its file. */
export function ensureReaderAddon(log: (line: string) => void = () => {}): string {
  const file = readerAddonFile();
  ensureBuilt({ dir: path.join(addonsRoot(), 'reader'), file, what: 'the report passes\' native addon', sources: READER_SOURCES, cmakeArgs: [] }, log);
  return file;
}

interface BuildSpec {
  dir: string;
  file: string;
  /** Another file the build makes: missing, the build is redone. */
  also?: string;
  what: string;
  sources: readonly string[];
  cmakeArgs: string[];
}

/** Both files there (the other one made by the same build) and the addon newer than its sources. */
function isBuilt(spec: BuildSpec): boolean {
  return isCurrent(spec.file, spec.sources) && (spec.also === undefined || fs.existsSync(spec.also));
}

function ensureBuilt(spec: BuildSpec, log: (line: string) => void): void {
  if (isBuilt(spec)) return;
  const dir = spec.dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // Concurrent runs (or test workers) wanting the same new addon: one builds, the others wait.
  const lock = `${dir}.lock`;
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs!;
      if (age > 10 * 60_000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed build
      if (Date.now() > deadline) throw new BuildError(`timed out waiting for another build of ${dir} (remove ${lock} if none is running)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!isBuilt(spec)) build(spec, log);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function build(spec: BuildSpec, log: (line: string) => void): void {
  const { dir, file, what } = spec;
  log(`pymemprof: building ${what} (once; cached in ${dir})`);
  const started = new Date();
  fs.mkdirSync(dir, { recursive: true });
  // node-gyp-build reads the package name from here when given this directory.
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'pymemprof-addon', private: true }) + '\n');
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [
    cmakeJs, 'compile',
    '--directory', PACKAGE_ROOT,
    '--out', path.join(dir, 'build'),
    '--config', 'Release',
    '--parallel', String(Math.max(1, os.cpus().length)),
    ...spec.cmakeArgs,
  ];
  // node:child_process only here: the report commands load this module (readerAddonFile) and never build.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: PACKAGE_ROOT, maxBuffer: 64 * 1024 * 1024 });
  const built = r.status === 0 && fs.existsSync(file) && (spec.also === undefined || fs.existsSync(spec.also));
  fs.writeFileSync(path.join(dir, 'build.log'), `${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  if (!built) {
    const tail = oneLine(`${r.stderr || ''} ${r.stdout || ''}`.split('\n').filter((l) => /error|Error|not found/.test(l)).slice(-3).join(' | '));
    throw new BuildError(
      `building ${what} failed (log: ${path.join(dir, 'build.log')})${tail ? `: ${tail.slice(0, 300)}` : ''}; it needs cmake and a C++17 compiler`,
    );
  }
  // A change that does not touch the addon's own sources (e.g. a test target in CMakeLists.txt)
  // leaves the file as it was: stamp it with the build's start so it counts as current.
  if (fs.statSync(file).mtime < started) fs.utimesSync(file, started, started);
}

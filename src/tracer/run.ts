/**
 * `run()`: profile a Python program in a child process and resolve with the capture, how the
 * program ended and its stats. A crash of the program (segfault, abort, os._exit) ends only the
 * child; the caller gets told how it ended.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PymemprofError, oneLine } from '../errors';
import type { StatsJson } from '../analysis/compute-stats';
import { ensureAddon, launcherFile } from './addon';
import { checkSupported, defaultPython, queryPython } from './python';

export interface RunOptions {
  /** Exactly one of script, module, code. */
  script?: string;
  module?: string;
  code?: string;
  /** Arguments for the program (sys.argv[1:]). */
  args?: string[];
  /** Interpreter to use (also a virtualenv's bin/python). Default $PYMEMPROF_PYTHON, else python3. */
  python?: string;
  /** Capture file. Default pymemprof-<script>.<pid>.bin in the current directory. */
  output?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'inherit' (default) passes the caller's stdin/stdout/stderr through; 'pipe' exposes them on the child. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Progress lines such as "building the addon"; default: none. */
  log?: (line: string) => void;
  /** Called with the child process once it is spawned (e.g. to write to its stdin when stdio is 'pipe'). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  /** Skip computing stats after the run. */
  noStats?: boolean;
  /**
   * Record a Poisson sample of the allocations, one per this many bytes on average (each weighted
   * so totals stay unbiased; no per-call work), instead of every allocation.
   */
  sampleBytes?: number;
}

export interface ProgramEnding {
  /** 'exit' with its code, or 'signal' with the signal that ended it. */
  kind: 'exit' | 'signal';
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What a shell would see: the exit code, or 128 + signal number. */
  status: number;
  description: string;
}

export interface RunResult {
  capturePath: string;
  ending: ProgramEnding;
  stats: StatsJson | null;
  warnings: string[];
}

function describeEnding(code: number | null, signal: NodeJS.Signals | null): ProgramEnding {
  if (signal) {
    const num = os.constants.signals[signal] ?? 0;
    return { kind: 'signal', code: null, signal, status: 128 + num, description: `killed by signal ${signal}` };
  }
  const c = code ?? 0;
  return { kind: 'exit', code: c, signal: null, status: c, description: `exited with status ${c}` };
}

function targetArgv(o: RunOptions): { argv: string[]; label: string } {
  const given = [o.script, o.module, o.code].filter((x) => x !== undefined).length;
  if (given !== 1) throw new PymemprofError('run: give exactly one of a script, -m module or -c code', 'BAD_ARGUMENT', 2);
  const args = o.args ?? [];
  if (o.script !== undefined) {
    const full = path.resolve(o.cwd ?? process.cwd(), o.script);
    if (!fs.existsSync(full)) throw new PymemprofError(`${o.script}: no such file`, 'SCRIPT_NOT_FOUND', 2);
    if (fs.statSync(full).isDirectory() && !fs.existsSync(path.join(full, '__main__.py')))
      throw new PymemprofError(`${o.script}: is a directory without __main__.py`, 'SCRIPT_NOT_FOUND', 2);
    return { argv: [o.script, ...args], label: path.basename(o.script).replace(/\.py$/, '') };
  }
  if (o.module !== undefined) {
    if (!o.module) throw new PymemprofError('-m: module name is empty', 'BAD_ARGUMENT', 2);
    return { argv: ['-m', o.module, ...args], label: o.module };
  }
  return { argv: ['-c', o.code!, ...args], label: 'c' };
}

function checkOutputWritable(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) throw new PymemprofError(`-o ${file}: directory ${dir} does not exist; create it or choose another -o`, 'BAD_OUTPUT', 2);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EROFS' ? 'is on a read-only file system' : 'is not writable';
    throw new PymemprofError(`-o ${file}: directory ${dir} ${why}; choose another -o`, 'BAD_OUTPUT', 2);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new PymemprofError(`-o ${file}: is a directory; give a file name`, 'BAD_OUTPUT', 2);
}

/** What the traced process (native/binding/launcher.cpp) writes to its status file. */
interface ChildStatus {
  capture?: string;
  error?: string;
  code?: string;
}

export async function run(options: RunOptions): Promise<RunResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const { argv, label } = targetArgv({ ...options, cwd });
  const pythonArg = options.python ?? defaultPython();
  const python = queryPython(pythonArg);
  checkSupported(python, pythonArg);
  const output = options.output
    ? path.resolve(cwd, options.output)
    : path.join(cwd, `pymemprof-${label.replace(/[^A-Za-z0-9_.-]/g, '_')}.{pid}.bin`);
  checkOutputWritable(output);
  const addonDir = ensureAddon(python, options.log);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pymemprof-run-'));
  const statusFile = path.join(tmp, 'status.json');
  // The traced process is the addon's launcher executable, not a Node process: no Node start-up
  // (tens of ms, more with NODE_EXTRA_CA_CERTS) in front of the program.
  const launcherArgs = [statusFile, output, String(options.sampleBytes ?? 0), python.libpython, python.executable, '--', ...argv];
  try {
    const child = spawn(launcherFile(addonDir), launcherArgs, {
      cwd,
      env: options.env ?? process.env,
      stdio: options.stdio ?? 'inherit',
    });
    options.onSpawn?.(child);
    const ending = await new Promise<ProgramEnding>((resolve, reject) => {
      child.on('error', (e) => reject(new PymemprofError(`cannot start the traced process: ${e.message}`, 'SPAWN_FAILED')));
      child.on('exit', (code, signal) => resolve(describeEnding(code, signal)));
    });
    let status: ChildStatus = {};
    try {
      status = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as ChildStatus;
    } catch {
      // the child died before reporting: the ending says how
    }
    if (status.error) throw new PymemprofError(oneLine(status.error), status.code ?? 'TRACER_START', 1);
    if (!status.capture) {
      throw new PymemprofError(`the traced process failed to start (it ${ending.description} before loading the tracer)`, 'TRACER_START', 1);
    }
    const capturePath = status.capture ?? output.replace('{pid}', String(child.pid));
    const warnings: string[] = [];
    let stats: StatsJson | null = null;
    if (!options.noStats && fs.existsSync(capturePath)) {
      const { computeStats } = await import('../analysis/compute-stats');
      try {
        stats = await computeStats(capturePath, { onWarning: (w) => warnings.push(w) });
      } catch (e) {
        warnings.push(e instanceof Error ? e.message : String(e));
      }
    } else if (!fs.existsSync(capturePath)) {
      warnings.push(`${capturePath}: no capture was written (${describeEnding(ending.code, ending.signal).description})`);
    }
    return { capturePath, ending, stats, warnings };
  } finally {
    // Not fs.rmSync: its first use loads a module (a few ms) for one file.
    try {
      fs.unlinkSync(statusFile);
    } catch {
      // never written (the process did not start)
    }
    fs.rmdirSync(tmp);
  }
}

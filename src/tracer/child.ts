/**
 * Entry of the traced child process: `node child.js <options.json>`. Loads the addon for the chosen
 * interpreter and runs the program in this process; the parent (run.ts) never traces in its own.
 * Never touches process.stdout/stdin/stderr: the Python program owns fds 0-2.
 */
import * as fs from 'node:fs';
import { loadNative } from '../native';

export interface ChildOptions {
  addonDir: string;
  libpython: string;
  executable: string;
  argv: string[];
  /** Capture path; "{pid}" is replaced by this process's pid, which is the traced program's. */
  capture: string;
  /** Poisson sampling interval in bytes; 0 or absent: every allocation. */
  sampleBytes?: number;
  /** NODE_EXTRA_CA_CERTS of the caller, restored for the program (see run.ts). */
  nodeExtraCaCerts?: string;
  /** Where to report the capture path and any failure to start, as JSON. */
  statusFile: string;
}

export interface ChildStatus {
  capture?: string;
  error?: string;
  code?: string;
}

/**
 * Node installs its own handlers for SIGINT and SIGTERM (restore the terminal, then re-raise) and
 * SIGUSR1 (start the inspector). CPython installs its SIGINT handler (KeyboardInterrupt) only when
 * SIGINT is at SIG_DFL, so with Node's handler in place Ctrl+C would kill the program without a
 * KeyboardInterrupt, and SIGUSR1 would start a debugger instead of ending the program. Adding and
 * removing a listener leaves each at SIG_DFL (libuv restores the default when its last watcher of
 * a signal goes), as the plain interpreter finds them.
 */
function defaultSignalDispositions(): void {
  for (const s of ['SIGINT', 'SIGTERM', 'SIGUSR1'] as const) {
    const noop = () => {};
    process.on(s, noop);
    process.off(s, noop);
  }
}

function main(): void {
  const options = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as ChildOptions;
  defaultSignalDispositions();
  if (options.nodeExtraCaCerts !== undefined) process.env.NODE_EXTRA_CA_CERTS = options.nodeExtraCaCerts;
  const capture = options.capture.replace('{pid}', String(process.pid));
  const report = (s: ChildStatus) => fs.writeFileSync(options.statusFile, JSON.stringify(s));
  report({ capture });
  let status: number;
  try {
    const native = loadNative(options.addonDir);
    status = native.run({ libpython: options.libpython, executable: options.executable, argv: options.argv, capture, sampleBytes: options.sampleBytes ?? 0 });
  } catch (e) {
    const err = e as Error & { code?: string };
    report({ capture, error: err.message, code: err.code ?? 'TRACER_START' });
    process.exit(1);
  }
  process.exit(status);
}

main();

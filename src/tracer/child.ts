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
  /** Where to report the capture path and any failure to start, as JSON. */
  statusFile: string;
}

export interface ChildStatus {
  capture?: string;
  error?: string;
  code?: string;
}

function main(): void {
  const options = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as ChildOptions;
  const capture = options.capture.replace('{pid}', String(process.pid));
  const report = (s: ChildStatus) => fs.writeFileSync(options.statusFile, JSON.stringify(s));
  report({ capture });
  let status: number;
  try {
    const native = loadNative(options.addonDir);
    status = native.run({ libpython: options.libpython, executable: options.executable, argv: options.argv, capture });
  } catch (e) {
    const err = e as Error & { code?: string };
    report({ capture, error: err.message, code: err.code ?? 'TRACER_START' });
    process.exit(1);
  }
  process.exit(status);
}

main();

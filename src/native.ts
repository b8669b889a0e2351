/**
 * The one place that loads the native addon. Imported lazily (only `run` and the test harness
 * need it) so that `pymemprof --help` and the report commands work without a compiler.
 */
import * as path from 'node:path';
import { BuildError } from './errors';

export interface NativeRunOptions {
  libpython: string;
  executable: string;
  argv: string[];
  capture: string;
  /** 0: every allocation; N: Poisson sampling, one sample per N bytes on average. */
  sampleBytes?: number;
}

export interface TestRecord {
  kind: number;
  address: number | bigint;
  size: number | bigint;
  stack: number;
  thread: number;
  timeUs: number;
}

export interface TestCaptureSpec {
  header: {
    pythonVersion: string;
    pythonHexversion: number;
    arenaSize: number;
    poolSize: number;
    alignment: number;
    smallRequestThreshold: number;
    pid: number;
    argv: string[];
    startTimeUnixUs: number;
    executable: string;
  };
  codes?: { id: number; name: string; qualname: string; filename: string; firstLine: number; lineStarts: number[]; lines: number[] }[];
  nodes?: { id: number; parent: number; code: number; offset: number }[];
  threads?: { id: number; nativeId: number; name: string }[];
  marks?: { id: number; name: string }[];
  batches: TestRecord[][];
  trailer?: { records: number; allocations: number; frees: number; durationUs: number; batches: number };
  /** Large frames LZ4-compressed as the tracer's writer thread writes them. */
  compress?: boolean;
}

export interface NativeBinding {
  /** Runs a Python program under the tracer in this process; returns its exit status. */
  run(options: NativeRunOptions): number;
  /** Test-only: writes a capture with the tracer's own encoders. Returns the bytes written. */
  writeTestCapture(file: string, spec: TestCaptureSpec): number;
  pythonVersion: string;
}

/** Loads the addon from a directory made by ensureAddon(); $PYMEMPROF_ADDON overrides the file. */
export function loadNative(addonDirectory: string): NativeBinding {
  const override = process.env.PYMEMPROF_ADDON;
  try {
    if (override) return require(path.resolve(override)) as NativeBinding;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return nodeGypBuild(addonDirectory);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new BuildError(
      [
        `cannot load the pymemprof native addon from ${override || addonDirectory}: ${reason}`,
        'Possible solutions:',
        '- Rebuild it: delete that directory and run pymemprof again (it rebuilds on first use)',
        '- Make sure the interpreter chosen with --python still exists and has its shared libpython',
        '- Set PYMEMPROF_ADDON to a pymemprof.node built for this interpreter',
      ].join('\n'),
    );
  }
}

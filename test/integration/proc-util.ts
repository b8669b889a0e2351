/**
 * Helpers of the robustness suites (signals, stress, shutdown, disk full): processes that announce
 * when they are ready (a JSON line with "ready") so a test can act on them, ending statuses as a
 * shell sees them, and a pass over every record of a capture.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import { readCapture, withTables, CaptureTables, ReadResult } from '../../src/capture/reader';
export { CaptureTables };
import { isAlloc, isFree, isResize } from '../../src/capture/batch-decoder';
import { CLI, ProcResult, ROOT } from './util';

export interface Watched {
  child: ChildProcess;
  /** Resolves with the parsed ready line (the first stdout line that is JSON with "ready"). */
  ready: Promise<any>;
  result: Promise<ProcResult>;
}

/** Watches a child's stdout for the ready line; collects stdout/stderr. */
export function watch(child: ChildProcess, timeoutMs = 90_000): Watched {
  let stdout = '';
  let stderr = '';
  let readyResolve: (v: any) => void;
  let readyReject: (e: Error) => void;
  let isReady = false;
  const ready = new Promise<any>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => {}); // observed through `result` when the process ends first
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    if (isReady) return;
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"ready"')) continue;
      try {
        const j = JSON.parse(line);
        isReady = true;
        readyResolve(j);
      } catch {
        // not complete yet
      }
      break;
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<ProcResult>((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      if (!isReady) readyReject(new Error(`ended before it was ready: status ${status} signal ${signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
      resolve({ status, signal, stdout, stderr });
    });
  });
  return { child, ready, result };
}

/**
 * Spawns a process in its own process group (like a shell's foreground job), so that a test can
 * send a signal to the whole group as a terminal's Ctrl+C does.
 */
export function spawnWatched(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; group?: boolean } = {},
): Watched {
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.group ?? false,
  });
  return watch(child, opts.timeoutMs);
}

/** `bin/pymemprof.js ARGS` run as a command, watched. */
export function cliWatched(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; group?: boolean } = {}): Watched {
  return spawnWatched(CLI, args, opts);
}

/** The status a shell reports: the exit code, or 128 + the signal's number. */
export function shellStatus(r: { status: number | null; signal: NodeJS.Signals | null }): number {
  if (r.signal) return 128 + (os.constants.signals[r.signal] ?? 0);
  return r.status ?? -1;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal` to the process group led by `pid` (a terminal's Ctrl+C reaches the whole group). */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  process.kill(-pid, signal);
}

/** Visits every record of a capture in stream order. Addresses are exact (user space is < 2^53). */
export async function forEachRecord(
  file: string,
  fn: (kind: number, address: number, size: number, thread: number, stack: number, timeUs: number) => void,
  /** Filled as the capture is read: the tables a record refers to are there when it is visited. */
  tables = new CaptureTables(),
): Promise<{ tables: CaptureTables; read: ReadResult }> {
  const read = await readCapture(
    file,
    withTables(tables, {
      batch: (b) => {
        for (let i = 0; i < b.count; i++) fn(b.kind[i]!, b.address[i]!, b.size[i]!, b.thread[i]!, b.stack[i]!, b.timeUs[i]!);
      },
    }),
  );
  return { tables, read };
}

export { isAlloc, isFree, isResize };

/**
 * address -> small tag (1..255), for checking a whole record stream: open addressing on a
 * Float64Array (a Map keyed by heap numbers is two orders of magnitude slower on 10^7 records).
 */
export class AddressTags {
  private keys = new Float64Array(1 << 16);
  private tags = new Uint8Array(1 << 16);
  private mask = (1 << 16) - 1;
  private used = 0;

  private slot(addr: number): number {
    // Fibonacci hashing of the address without its alignment bits, from both 32-bit halves.
    const lo = (addr / 16) >>> 0;
    const hi = Math.floor(addr / 2 ** 36) >>> 0;
    return (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0) & this.mask;
  }

  get(addr: number): number {
    const k = this.keys;
    for (let i = this.slot(addr); ; i = (i + 1) & this.mask) {
      if (k[i] === addr) return this.tags[i]!;
      if (k[i] === 0) return 0;
    }
  }

  set(addr: number, tag: number): void {
    if (addr === 0) return;
    const k = this.keys;
    let i = this.slot(addr);
    for (; k[i] !== 0 && k[i] !== addr; i = (i + 1) & this.mask);
    if (k[i] === 0) {
      k[i] = addr;
      if (++this.used * 2 > this.mask) {
        this.tags[i] = tag;
        this.grow();
        return;
      }
    }
    this.tags[i] = tag;
  }

  delete(addr: number): void {
    const k = this.keys;
    let i = this.slot(addr);
    for (; k[i] !== addr; i = (i + 1) & this.mask) if (k[i] === 0) return;
    // Backward-shift deletion keeps every probe chain unbroken.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      if (k[j] === 0) break;
      const home = this.slot(k[j]!);
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        k[i] = k[j]!;
        this.tags[i] = this.tags[j]!;
        i = j;
      }
    }
    k[i] = 0;
    this.tags[i] = 0;
    this.used--;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldT = this.tags;
    this.keys = new Float64Array(oldK.length * 2);
    this.tags = new Uint8Array(oldK.length * 2);
    this.mask = oldK.length * 2 - 1;
    this.used = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== 0) this.set(oldK[i]!, oldT[i]!);
  }
}

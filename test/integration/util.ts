/**
 * Shared helpers of the integration suites: run the real CLI / the plain interpreter, read captures,
 * find marker lines in fixtures. The CLI and the traced child run from dist/ (rebuild it first:
 * `npx tsc -p tsconfig.json`); the readers are imported from src/.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCapture, withTables, CaptureTables, ReadResult, FrameLocation } from '../../src/capture/reader';
import { isAlloc, isResize } from '../../src/capture/batch-decoder';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const CLI = path.join(ROOT, 'bin', 'pymemprof.js');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface ProcResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function spawnCollect(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the program may exit without reading
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** `bin/pymemprof.js ARGS` run as a command, as npx runs it (the real CLI, from dist/). */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  return spawnCollect(CLI, args, opts);
}

/** `pymemprof run -q -o OUT --python PY TARGET...` */
export function traced(
  python: string,
  out: string,
  target: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return cli(['run', '-q', '-o', out, '--python', python, ...target], opts);
}

/** The plain interpreter, for ground truth. */
export function plain(
  python: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ProcResult> {
  return spawnCollect(python, args, opts);
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `pymemprof-it-${label}-`));
}

/** Line numbers (1-based) of the lines of `file` carrying `# @<marker>` (exact marker, not a prefix). */
export function markerLines(file: string, marker: string): number[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const re = new RegExp(`#\\s*@${marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (re.test(l)) out.push(i + 1);
  });
  return out;
}

export function markerLine(file: string, marker: string): number {
  const l = markerLines(file, marker);
  if (l.length !== 1) throw new Error(`${file}: marker @${marker} found ${l.length} times`);
  return l[0]!;
}

/** All `# @site:NAME` markers of a file with their line and the bytearray(N) size on that line. */
export function sites(file: string): { name: string; line: number; size: number }[] {
  const out: { name: string; line: number; size: number }[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      const m = /#\s*@site:([\w-]+)\s*$/.exec(l);
      const s = /bytearray\(([\d_]+)\)/.exec(l);
      if (m && s) out.push({ name: m[1]!, line: i + 1, size: Number(s[1]!.replace(/_/g, '')) });
    });
  return out;
}

export interface SizedRecord {
  kind: number;
  size: number;
  stack: number;
  thread: number;
}

/**
 * Reads a capture; keeps the allocation/resize records whose size passes `want` (with their stack
 * and thread), plus the tables. Stacks are resolved after the whole file is read.
 */
export async function collectRecords(
  file: string,
  want: (size: number) => boolean,
): Promise<{ records: SizedRecord[]; tables: CaptureTables; read: ReadResult }> {
  const tables = new CaptureTables();
  const records: SizedRecord[] = [];
  const read = await readCapture(
    file,
    withTables(tables, {
      batch: (b) => {
        for (let i = 0; i < b.count; i++) {
          const k = b.kind[i]!;
          if ((isAlloc(k) || isResize(k)) && want(b.size[i]!)) {
            records.push({ kind: k, size: b.size[i]!, stack: b.stack[i]!, thread: b.thread[i]! });
          }
        }
      },
    }),
  );
  return { records, tables, read };
}

/** A bytearray(N) allocates an N + 1 byte buffer (the trailing NUL). */
export function bytearrayBuffer(n: number): number {
  return n + 1;
}

export function fmtStack(frames: FrameLocation[]): string {
  return frames.map((f) => `${path.basename(f.file)}:${f.function}:${f.line}`).join(' > ');
}

/** Parses the last line of stdout that is a JSON object. */
export function lastJson<T = any>(stdout: string): T {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trim().startsWith('{'));
  if (!line) throw new Error(`no JSON line in output: ${stdout.slice(0, 500)}`);
  return JSON.parse(line) as T;
}

/** Fails with the process's output when it did not exit with `status`. */
export function expectStatus(r: ProcResult, status: number, what: string): void {
  if (r.status !== status) {
    throw new Error(`${what}: exit status ${r.status} (signal ${r.signal}), expected ${status}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  }
}

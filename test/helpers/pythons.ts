/**
 * The CPython interpreters the integration suites run against: one per minor version 3.9-3.13.
 *
 * $PYMEMPROF_TEST_PYTHONS (paths separated by ',', ':' or whitespace) overrides discovery; otherwise
 * every pyenv version (`pyenv root`/versions/X.Y.Z/bin/python3, newest patch per minor) and, last,
 * python3.X on PATH. A minor version that is not found is reported (console note) and its suites are
 * skipped, never failed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'vitest';

export const WANTED_MINORS = [9, 10, 11, 12, 13] as const;

export interface TestPython {
  /** "3.11" */
  label: string;
  /** "3.11.7" */
  version: string;
  minor: number;
  /** Path to give as --python (and to run plainly). */
  path: string;
}

function askVersion(python: string): { version: string; minor: number } | null {
  try {
    const out = execFileSync(python, ['-I', '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    }).trim();
    const m = /^3\.(\d+)\.(\d+)$/.exec(out);
    return m ? { version: out, minor: Number(m[1]) } : null;
  } catch {
    return null;
  }
}

function pyenvRoot(): string | null {
  if (process.env.PYENV_ROOT && fs.existsSync(process.env.PYENV_ROOT)) return process.env.PYENV_ROOT;
  try {
    return execFileSync('pyenv', ['root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    const guess = path.join(os.homedir(), '.pyenv');
    return fs.existsSync(guess) ? guess : null;
  }
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function candidates(): string[] {
  const env = process.env.PYMEMPROF_TEST_PYTHONS;
  if (env && env.trim()) return env.split(/[,:\s]+/).filter(Boolean);
  const out: string[] = [];
  const root = pyenvRoot();
  if (root) {
    const versionsDir = path.join(root, 'versions');
    let names: string[] = [];
    try {
      names = fs.readdirSync(versionsDir);
    } catch {
      // no versions
    }
    // Plain release directories only ("3.11.7"), not "3.13.0t" (free-threaded) or virtualenvs.
    for (const n of names.filter((n) => /^3\.\d+\.\d+$/.test(n)).sort(cmpVersion).reverse()) {
      const p = path.join(versionsDir, n, 'bin', 'python3');
      if (fs.existsSync(p)) out.push(p);
    }
  }
  for (const m of WANTED_MINORS) out.push(`python3.${m}`);
  return out;
}

let cached: { found: TestPython[]; missing: string[] } | null = null;

/** Interpreters found (one per minor, ascending) and the minors missing, e.g. ["3.9"]. */
export function discoverPythons(): { found: TestPython[]; missing: string[] } {
  if (cached) return cached;
  const byMinor = new Map<number, TestPython>();
  for (const c of candidates()) {
    const v = askVersion(c);
    if (!v || byMinor.has(v.minor) || !(WANTED_MINORS as readonly number[]).includes(v.minor)) continue;
    const resolved = c.includes('/') ? path.resolve(c) : c;
    byMinor.set(v.minor, { label: `3.${v.minor}`, version: v.version, minor: v.minor, path: resolved });
  }
  const found = [...byMinor.values()].sort((a, b) => a.minor - b.minor);
  const missing = WANTED_MINORS.filter((m) => !byMinor.has(m)).map((m) => `3.${m}`);
  cached = { found, missing };
  return cached;
}

const noted = new Set<string>();

/**
 * The interpreters for a suite's describe.each. Prints a note for each missing version (once per
 * suite name); returns [] when none is present, so callers should use `describeEachPython`.
 */
export function testPythons(suite: string): TestPython[] {
  const { found, missing } = discoverPythons();
  if (missing.length && !noted.has(suite)) {
    noted.add(suite);
    console.warn(`[${suite}] CPython ${missing.join(', ')} not found on this machine: skipped (set PYMEMPROF_TEST_PYTHONS to add them)`);
  }
  return found;
}

/** A default interpreter for suites that need just one: the newest found. */
export function anyPython(): TestPython | null {
  const { found } = discoverPythons();
  return found.length ? found[found.length - 1]! : null;
}


/**
 * describe.each over the interpreters present; each missing minor version gets a skipped describe
 * block named after it, so the report shows it was skipped rather than silently absent.
 */
export function describeEachPython(suite: string, fn: (py: TestPython) => void): void {
  const found = testPythons(suite);
  const { missing } = discoverPythons();
  if (found.length) describe.each(found.map((p) => [p.version, p] as const))(`${suite} on CPython %s`, (_v, py) => fn(py));
  for (const m of missing) {
    describe.skip(`${suite} on CPython ${m} (not found on this machine)`, () => {
      test(`CPython ${m} missing`, () => {});
    });
  }
}

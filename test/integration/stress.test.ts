/**
 * Stress: 16 threads allocate and free concurrently (fixture stress.py) for 30 s on CPython 3.12
 * and a few seconds on the other versions ($PYMEMPROF_STRESS_SECONDS overrides both). Checks, on
 * the whole record stream between the program's "stress-start" and "stress-end" marks:
 *
 *  - every FREE matches an earlier, still live ALLOC of the same address in the same domain, every
 *    RESIZE a live block, every ARENA_FREE a live arena, and no ALLOC returns an address that is
 *    still live (a free that went missing);
 *  - per-thread counts of each thread's marker bytearray equal what the thread itself counted;
 *  - peak RSS (VmHWM, read by the program itself at the end) of the traced process stays within the
 *    plain interpreter's plus the budget stated in docs/ARCHITECTURE.md ("Memory budget").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KIND } from '../../src/capture/batch-decoder';
import { describeEachPython } from '../helpers/pythons';
import { AddressTags, CaptureTables, forEachRecord } from './proc-util';
import { bytearrayBuffer, expectStatus, fixture, lastJson, plain, tempDir, traced } from './util';

const FIXTURE = fixture('stress.py');
const THREADS = 16;
const MiB = 1024 * 1024;

/**
 * The traced process's memory budget over the plain interpreter's (docs/ARCHITECTURE.md): the Node
 * runtime and the addon, the writer's encoding buffers, and per traced thread its record ring,
 * the writer's drained copy of it and the tracer's per-thread caches.
 */
export function memoryBudgetBytes(threads: number): number {
  const NODE_AND_ADDON = 64 * MiB;
  const WRITER = 8 * MiB;
  const PER_THREAD = 4 * MiB /* ring: 131 072 x 32 B */ + 5 * MiB /* drained copy: reserved for a full ring plus a quarter */ + 80 * 1024; /* caches */
  return NODE_AND_ADDON + WRITER + threads * PER_THREAD;
}

function seconds(minor: number): number {
  const env = process.env.PYMEMPROF_STRESS_SECONDS;
  if (env) return Number(env);
  return minor === 12 ? 30 : 4;
}

interface Own {
  threads: Record<string, { size: number; count: number }>;
  vmhwm_kb: number;
  vmrss_kb: number;
  seconds: number;
}

describeEachPython('stress: 16 threads', (py) => {
  const secs = seconds(py.minor);
  let dir: string;
  let own: Own;
  let ownPlain: Own;
  const counted = new Map<string, number>(); // "thread name|size" -> ALLOC records
  const problems = { unmatchedFree: 0, wrongDomainFree: 0, deadResize: 0, liveRealloc: 0, unmatchedArenaFree: 0 };
  const examples: string[] = [];
  let checkedFrees = 0;
  let records = 0;
  let window = { start: false, end: false };

  beforeAll(async () => {
    dir = tempDir(`stress${py.minor}`);
    const capture = path.join(dir, 'stress.bin');
    const env = { ...process.env, STRESS_SECONDS: String(secs) };
    const timeoutMs = secs * 1000 * 4 + 120_000;
    // Both at once: the comparison is of memory, not speed.
    const t0 = Date.now();
    const [t, p] = await Promise.all([traced(py.path, capture, [FIXTURE], { env, timeoutMs }), plain(py.path, [FIXTURE], { env, timeoutMs })]);
    const t1 = Date.now();
    expectStatus(t, 0, 'pymemprof run stress.py');
    expectStatus(p, 0, 'python stress.py');
    own = lastJson<Own>(t.stdout);
    ownPlain = lastJson<Own>(p.stdout);

    const markerSizes = new Set(Object.values(own.threads).map((x) => bytearrayBuffer(x.size)));
    const tables = new CaptureTables();
    const live = new AddressTags(); // address -> domain (1 raw, 2 mem, 3 obj); 0: not live
    const arenas = new AddressTags();
    let startId = -1;
    let endId = -1;
    let inWindow = false;
    const note = (what: string) => {
      if (examples.length < 10) examples.push(what);
    };
    await forEachRecord(
      capture,
      (kind, address, size, thread) => {
        records++;
        if (kind === KIND.MARK) {
          if (startId < 0) for (const m of tables.marks.values()) if (m.name === 'stress-start') startId = m.id;
          if (endId < 0) for (const m of tables.marks.values()) if (m.name === 'stress-end') endId = m.id;
          if (size === startId) inWindow = window.start = true;
          if (size === endId) {
            inWindow = false;
            window.end = true;
          }
          return;
        }
        if (kind <= KIND.ALLOC_OBJ) {
          if (inWindow && live.get(address) !== 0) {
            problems.liveRealloc++;
            note(`ALLOC ${address.toString(16)} while live`);
          }
          live.set(address, kind);
          if (markerSizes.has(size)) {
            const key = `${tables.threads.get(thread)?.name ?? `<thread ${thread}>`}|${size}`;
            counted.set(key, (counted.get(key) ?? 0) + 1);
          }
        } else if (kind <= KIND.FREE_OBJ) {
          const domain = live.get(address);
          if (inWindow) {
            checkedFrees++;
            if (domain === 0) {
              problems.unmatchedFree++;
              note(`FREE ${address.toString(16)} of no live block (kind ${kind})`);
            } else if (domain !== kind - 3) {
              problems.wrongDomainFree++;
              note(`FREE kind ${kind} of a block allocated with kind ${domain}`);
            }
          }
          live.delete(address);
        } else if (kind <= KIND.RESIZE_OBJ) {
          if (inWindow && live.get(address) !== kind - 6) {
            problems.deadResize++;
            note(`RESIZE ${address.toString(16)} of no live block`);
          }
          live.set(address, kind - 6);
        } else if (kind === KIND.ARENA_ALLOC) {
          arenas.set(address, 1);
        } else if (kind === KIND.ARENA_FREE) {
          if (inWindow && arenas.get(address) === 0) problems.unmatchedArenaFree++;
          arenas.delete(address);
        }
      },
      tables,
    );
    console.log(`[stress] CPython ${py.version}: runs ${((t1 - t0) / 1000).toFixed(1)} s, capture ${(fs.statSync(capture).size / MiB).toFixed(0)} MiB read and checked in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }, 30 * 60_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the program ran 16 threads that each allocated', () => {
    expect(Object.keys(own.threads)).toHaveLength(THREADS);
    for (const t of Object.values(own.threads)) expect(t.count).toBeGreaterThan(100);
    expect(window).toEqual({ start: true, end: true });
  });

  test('every free matches an earlier live allocation of the same address', () => {
    const total = Object.values(own.threads).reduce((s, t) => s + t.count, 0);
    console.log(
      `[stress] CPython ${py.version}, ${secs} s: ${records.toLocaleString('en-US')} records, ${checkedFrees.toLocaleString('en-US')} frees checked, ${total.toLocaleString('en-US')} markers`,
    );
    expect(checkedFrees).toBeGreaterThan(total);
    expect({ problems, examples }).toEqual({
      problems: { unmatchedFree: 0, wrongDomainFree: 0, deadResize: 0, liveRealloc: 0, unmatchedArenaFree: 0 },
      examples: [],
    });
  });

  test('per-thread marker counts equal the program’s own', () => {
    const want = Object.fromEntries(Object.entries(own.threads).map(([name, t]) => [`${name}|${bytearrayBuffer(t.size)}`, t.count]));
    expect(Object.fromEntries(counted)).toEqual(want);
  });

  test('peak RSS stays within the plain interpreter’s plus the stated budget', () => {
    const budget = memoryBudgetBytes(THREADS + 1);
    const tracedB = own.vmhwm_kb * 1024;
    const plainB = ownPlain.vmhwm_kb * 1024;
    console.log(
      `[stress] CPython ${py.version}: VmHWM plain ${(plainB / MiB).toFixed(1)} MiB, traced ${(tracedB / MiB).toFixed(1)} MiB, ` +
        `over plain ${((tracedB - plainB) / MiB).toFixed(1)} MiB, budget ${(budget / MiB).toFixed(1)} MiB`,
    );
    expect(plainB).toBeGreaterThan(0);
    expect(tracedB).toBeLessThanOrEqual(plainB + budget);
  });
});

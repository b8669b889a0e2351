/**
 * Threads: four named threads allocate concurrently; the capture's per-thread count of each thread's
 * distinctive size equals what the program itself counted, and the thread names are recorded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { computeStats } from '../../src/analysis/compute-stats';
import type { StatsJson } from '../../src/analysis/compute-stats';
import type { CaptureTables } from '../../src/capture/reader';
import { describeEachPython } from '../helpers/pythons';
import { bytearrayBuffer, collectRecords, expectStatus, fixture, lastJson, markerLine, plain, tempDir, traced, SizedRecord } from './util';

const FIXTURE = fixture('threads.py');

describeEachPython('threads', (py) => {
  let dir: string;
  let own: Record<string, { size: number; count: number }>;
  let records: SizedRecord[];
  let tables: CaptureTables;
  let stats: StatsJson;

  beforeAll(async () => {
    dir = tempDir(`thr${py.minor}`);
    const capture = path.join(dir, 'threads.bin');
    const r = await traced(py.path, capture, [FIXTURE]);
    expectStatus(r, 0, 'pymemprof run threads.py');
    own = lastJson<{ threads: Record<string, { size: number; count: number }> }>(r.stdout).threads;
    const sizes = new Set(Object.values(own).map((t) => bytearrayBuffer(t.size)));
    ({ records, tables } = await collectRecords(capture, (s) => sizes.has(s)));
    stats = await computeStats(capture);
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the program made what it was told to', () => {
    expect(Object.keys(own).sort()).toEqual(['alloc-alpha', 'alloc-beta', 'alloc-delta', 'alloc-gamma']);
  });

  test('per-thread allocation counts equal the program’s own', () => {
    const counted = new Map<string, number>(); // "thread name|size" → records
    for (const r of records) {
      const name = tables.threads.get(r.thread)?.name ?? `<thread ${r.thread}>`;
      const key = `${name}|${r.size}`;
      counted.set(key, (counted.get(key) ?? 0) + 1);
    }
    const want = new Map(Object.entries(own).map(([name, t]) => [`${name}|${bytearrayBuffer(t.size)}`, t.count]));
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(want));
  });

  test('each thread’s allocations are attributed to the worker line', () => {
    const line = markerLine(FIXTURE, 'site:thread');
    for (const r of records) {
      expect(tables.location(r.stack)).toEqual({ file: FIXTURE, line, function: 'work' });
    }
  });

  test('thread names are recorded in stats.threads', () => {
    const names = stats.threads.map((t) => t.name);
    for (const n of Object.keys(own)) expect(names).toContain(n);
    expect(names).toContain('MainThread');
    expect(new Set(stats.threads.map((t) => t.id)).size).toBe(stats.threads.length);
  });
});

describeEachPython('thread names without importing threading', (py) => {
  const program = [
    'import sys',
    'before = sorted(m for m in ("threading", "collections", "functools") if m in sys.modules)',
    'import threading, json',
    'class Sub(threading.Thread):',
    '    def run(self): self.data = [bytearray(1000) for _ in range(10)]',
    't = Sub(name="subclassed"); t.start(); t.join()',
    'u = threading.Thread(target=lambda: [bytearray(1000) for _ in range(10)], name="plain-target"); u.start(); u.join()',
    'profile = threading.getprofile() if hasattr(threading, "getprofile") else None',
    'print(json.dumps({"before": before, "profile": repr(profile)}))',
  ].join('\n');

  for (const early of [false, true]) {
    test(`names recorded, and the program sees the modules and profile hook plain Python gives it${early ? ' (threading imported by sitecustomize)' : ''}`, async () => {
      const dir = tempDir(`thn${py.minor}`);
      try {
        const script = path.join(dir, 'names.py');
        fs.writeFileSync(script, program);
        const env = { ...process.env };
        if (early) {
          fs.mkdirSync(path.join(dir, 'site'));
          fs.writeFileSync(path.join(dir, 'site', 'sitecustomize.py'), 'import threading\n');
          env.PYTHONPATH = path.join(dir, 'site');
        }
        const capture = path.join(dir, 'names.bin');
        const [t, p] = await Promise.all([traced(py.path, capture, [script], { env }), plain(py.path, [script], { env })]);
        expectStatus(t, 0, 'traced');
        expect(lastJson(t.stdout)).toEqual(lastJson(p.stdout));
        const names = (await computeStats(capture)).threads.map((x) => x.name);
        expect(names).toEqual(expect.arrayContaining(['MainThread', 'subclassed', 'plain-target']));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/**
 * Processes: multiprocessing with the fork, forkserver and spawn start methods and a bare os.fork
 * give the right results under the tracer, and children never write into the parent's capture.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeEachPython } from '../helpers/pythons';
import { bytearrayBuffer, collectRecords, expectStatus, fixture, lastJson, tempDir, traced, SizedRecord } from './util';

const FIXTURE = fixture('processes.py');

describeEachPython('processes', (py) => {
  let dir: string;
  let results: Record<string, number>;
  let records: SizedRecord[];

  beforeAll(async () => {
    dir = tempDir(`proc${py.minor}`);
    const capture = path.join(dir, 'processes.bin');
    const r = await traced(py.path, capture, [FIXTURE]);
    expectStatus(r, 0, 'pymemprof run processes.py');
    results = lastJson<Record<string, number>>(r.stdout);
    const sizes = new Set([bytearrayBuffer(7_000_003), bytearrayBuffer(5_000_011)]);
    ({ records } = await collectRecords(capture, (s) => sizes.has(s)));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('children compute the same results as under plain python', () => {
    expect(results).toEqual({ fork: 285, forkserver: 285, spawn: 285, 'os.fork exit': 5, parent: 5_000_011 });
  });

  test("the parent's own allocation is in the capture and no child's is", () => {
    expect(records.filter((r) => r.size === bytearrayBuffer(5_000_011)).length).toBe(1);
    expect(records.filter((r) => r.size === bytearrayBuffer(7_000_003)).length).toBe(0);
  });
});

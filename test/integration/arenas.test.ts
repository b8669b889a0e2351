/**
 * The arena model against CPython's own figures: fixtures call pymemprof._malloc_stats_at_mark(NAME)
 * (the marker, then _PyObject_DebugMallocStats with no Python code in between) at every phase of a
 * workload that grows and shrinks pymalloc; at each marker the model's state must EQUAL CPython's:
 * per size class pools / blocks in use / available blocks, arenas allocated total / reclaimed /
 * highwater / current, unused pools, the byte lines, the arena map counts (3.10+), and the CLI's text
 * must be CPython's text byte for byte. Pinning is checked on a fixture that keeps one object per pool.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queryArenas, ArenaQueryResult, parseMoment } from '../../src/analysis/arena-query';
import { parseMallocStats, ParsedMallocStats } from '../../src/report/arenas-parse';
import { formatMallocStats } from '../../src/report/arenas';
import type { ArenaSnapshot } from '../../src/analysis/arena-model';
import { describeEachPython } from '../helpers/pythons';
import { CaptureBuilder } from '../helpers/capture-builder';
import { KIND } from '../../src/capture/batch-decoder';
import { cli, expectStatus, fixture, markerLine, tempDir, traced, ProcResult } from './util';

const WORKLOAD = fixture('arena_workload.py');
const PINNING = fixture('arena_pinning.py');
const MARKERS = ['start', 'grown', 'shrunk', 'emptied', 'reclassed', 'realloc-grown', 'realloc-shrunk', 'lists', 'big', 'threads', 'final'];

/** The model's figures in the shape of the parsed text (classes without pools left out, as CPython does). */
function modelFigures(s: ArenaSnapshot, arenaSize: number, poolSize: number): ParsedMallocStats {
  return {
    smallRequestThreshold: 512,
    numClasses: s.classes.length,
    classes: s.classes.filter((c) => c.pools > 0).map((c) => ({ ...c })),
    arenasAllocatedTotal: s.arenasAllocatedTotal,
    arenasReclaimed: s.arenasReclaimed,
    arenasHighwater: s.arenasHighwater,
    arenasAllocatedCurrent: s.arenasAllocatedCurrent,
    arenaSize,
    unusedPools: s.unusedPools,
    poolSize,
    bytesInAllocatedBlocks: s.bytesInAllocatedBlocks,
    bytesInAvailableBlocks: s.bytesInAvailableBlocks,
    bytesLostToPoolHeaders: s.bytesLostToPoolHeaders,
    bytesLostToQuantization: s.bytesLostToQuantization,
    bytesLostToArenaAlignment: s.bytesLostToArenaAlignment,
    total: s.totalBytes,
    arenaMap: s.arenaMap,
  };
}

/** Per-class differences as readable lines (empty when equal). */
function classDiff(truth: ParsedMallocStats, ours: ParsedMallocStats): string[] {
  const out: string[] = [];
  const byIndex = (p: ParsedMallocStats) => new Map(p.classes.map((c) => [c.index, c]));
  const t = byIndex(truth);
  const o = byIndex(ours);
  for (let i = 0; i < 64; i++) {
    const a = t.get(i);
    const b = o.get(i);
    if (!a && !b) continue;
    const fa = a ? `${a.pools}/${a.blocksInUse}/${a.availBlocks}` : '-';
    const fb = b ? `${b.pools}/${b.blocksInUse}/${b.availBlocks}` : '-';
    if (fa !== fb) out.push(`class ${i}: CPython pools/blocks/avail ${fa}, model ${fb}`);
  }
  return out;
}

function body(stdout: string): string {
  // The CLI prints one context line and a blank line before CPython's text.
  const i = stdout.indexOf('\n\n');
  return stdout.slice(i + 2);
}

function json(r: ProcResult): any {
  expectStatus(r, 0, 'pymemprof arenas');
  return JSON.parse(r.stdout);
}

describeEachPython('arena model', (py) => {
  let dir: string;
  let capture: string;
  let truth: Map<string, string>;
  let result: ArenaQueryResult;
  let pinCapture: string;
  let pinTruth: { kept: number; pools: number; stats: string };

  beforeAll(async () => {
    dir = tempDir(`arenas${py.minor}`);
    capture = path.join(dir, 'workload.bin');
    pinCapture = path.join(dir, 'pinning.bin');
    const truthFile = path.join(dir, 'workload.json');
    const pinFile = path.join(dir, 'pinning.json');
    const [w, p] = await Promise.all([traced(py.path, capture, [WORKLOAD, truthFile]), traced(py.path, pinCapture, [PINNING, pinFile])]);
    expectStatus(w, 0, 'pymemprof run arena_workload.py');
    expectStatus(p, 0, 'pymemprof run arena_pinning.py');
    truth = new Map(JSON.parse(fs.readFileSync(truthFile, 'utf8')) as [string, string][]);
    pinTruth = JSON.parse(fs.readFileSync(pinFile, 'utf8'));
    result = await queryArenas(capture, MARKERS.map((m) => parseMoment(`mark:${m}`)));
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('CPython gave its statistics at every marker', () => {
    expect([...truth.keys()]).toEqual(MARKERS);
  });

  test('the records never contradict pymalloc (no anomalies)', () => {
    expect(result.anomalies).toEqual([]);
  });

  test('the workload exercised reclaimed arenas, pools changing class, resizes, big requests', () => {
    const at = (m: string) => result.states[MARKERS.indexOf(m)]!.snapshot;
    expect(at('shrunk').arenasReclaimed).toBeGreaterThan(0);
    expect(at('shrunk').arenasAllocatedCurrent).toBeLessThan(at('grown').arenasAllocatedCurrent);
    expect(at('reclassed').unusedPools).toBeLessThan(at('emptied').unusedPools);
    const c = result.model.counts;
    expect(c.poolClassChanges).toBeGreaterThan(100);
    expect(c.resizesInArenas).toBeGreaterThan(300); // in place, in the pool's class
    expect(c.smallResizesOutsideArenas).toBeGreaterThan(100); // moved to the system allocator, stays there
    expect(c.largeRequests).toBeGreaterThan(1000);
  });

  test.each(MARKERS)('at mark %s the model equals CPython figure for figure', (marker) => {
    const st = result.states[MARKERS.indexOf(marker)]!;
    const g = result.header.geometry;
    const cpy = parseMallocStats(truth.get(marker)!);
    const ours = modelFigures(st.snapshot, g.arenaSize, g.poolSize);
    expect(classDiff(cpy, ours), `size classes at ${marker}`).toEqual([]);
    expect(ours).toEqual(cpy);
    // and the whole text, byte for byte
    expect(formatMallocStats(st.snapshot, g, result.model.mapLayout)).toBe(truth.get(marker));
  });

  test('the CLI prints CPython text byte for byte (text) and the contract fields (--json)', async () => {
    for (const marker of ['shrunk', 'reclassed', 'final']) {
      const r = await cli(['arenas', '--at', `mark:${marker}`, capture]);
      expectStatus(r, 0, `arenas --at mark:${marker}`);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^pymalloc at mark:${marker} at [\\d.]+ ms`));
      expect(body(r.stdout)).toBe(truth.get(marker));
    }
    const j = json(await cli(['arenas', '--json', '--at', 'mark:grown', capture]));
    const cpy = parseMallocStats(truth.get('grown')!);
    expect(j.arena_size).toBe(cpy.arenaSize);
    expect(j.pool_size).toBe(cpy.poolSize);
    expect(j.size_classes).toHaveLength(32);
    expect(j.size_classes.filter((c: any) => c.pools > 0)).toEqual(
      cpy.classes.map((c) => ({ index: c.index, size: c.size, pools: c.pools, blocks_in_use: c.blocksInUse, avail_blocks: c.availBlocks })),
    );
    expect({
      arenas_allocated_total: j.arenas_allocated_total,
      arenas_reclaimed: j.arenas_reclaimed,
      arenas_highwater: j.arenas_highwater,
      arenas_allocated_current: j.arenas_allocated_current,
      unused_pools: j.unused_pools,
    }).toEqual({
      arenas_allocated_total: cpy.arenasAllocatedTotal,
      arenas_reclaimed: cpy.arenasReclaimed,
      arenas_highwater: cpy.arenasHighwater,
      arenas_allocated_current: cpy.arenasAllocatedCurrent,
      unused_pools: cpy.unusedPools,
    });
    expect(j.at.spec).toBe('mark:grown');
    expect(j.anomalies.count).toBe(0);
  });

  test('two markers: the difference, with both ends equal to CPython', async () => {
    const j = json(await cli(['arenas', '--json', '--at', 'mark:grown', '--at', 'mark:shrunk', capture]));
    const a = parseMallocStats(truth.get('grown')!);
    const b = parseMallocStats(truth.get('shrunk')!);
    expect(j.from.arenas_allocated_current).toBe(a.arenasAllocatedCurrent);
    expect(j.to.arenas_allocated_current).toBe(b.arenasAllocatedCurrent);
    expect(j.change.arenas_allocated_current).toBe(b.arenasAllocatedCurrent - a.arenasAllocatedCurrent);
    expect(j.change.arenas_reclaimed).toBe(b.arenasReclaimed - a.arenasReclaimed);
    expect(j.change.unused_pools).toBe(b.unusedPools - a.unusedPools);
    for (const c of j.change.size_classes) {
      const pa = a.classes.find((x) => x.index === c.index);
      const pb = b.classes.find((x) => x.index === c.index);
      expect(c.blocks_in_use, `class ${c.index}`).toBe((pb?.blocksInUse ?? 0) - (pa?.blocksInUse ?? 0));
      expect(c.pools, `class ${c.index}`).toBe((pb?.pools ?? 0) - (pa?.pools ?? 0));
    }
    // --diff is the same comparison
    const d = json(await cli(['arenas', '--json', '--diff', 'mark:grown', '--at', 'mark:shrunk', capture]));
    expect(d.change).toEqual(j.change);
    const t = await cli(['arenas', '--at', 'mark:grown', '--at', 'mark:shrunk', capture]);
    expectStatus(t, 0, 'arenas diff text');
    expect(t.stdout).toMatch(/^pymalloc from mark:grown at .*\n\s+to mark:shrunk at /);
    expect(t.stdout).toMatch(/# arenas reclaimed\s+\d+\s+\d+\s+\+\d+/);
  });

  test('--at peak is the moment stats reports as the peak; --at end and a time work', async () => {
    const stats = json(await cli(['stats', '--json', capture]));
    const peak = json(await cli(['arenas', '--json', '--at', 'peak', capture]));
    expect(peak.at.time_ms).toBeCloseTo(stats.peak_time_ms, 6);
    expect(peak.at.heap_peak_bytes).toBe(stats.peak_bytes);
    const end = json(await cli(['arenas', '--json', capture]));
    expect(end.at.spec).toBe('end');
    // the final marker is near the end: arenas there are at most those at the end plus what
    // interpreter teardown frees later
    const final = result.states[MARKERS.indexOf('final')]!;
    const ms = (final.timeUs / 1000).toFixed(3);
    const byTime = json(await cli(['arenas', '--json', '--at', `${ms}ms`, capture]));
    expect(byTime.at.record).toBeGreaterThanOrEqual(final.record);
    expect(end.arenas_allocated_total).toBeGreaterThanOrEqual(byTime.arenas_allocated_total);
  });

  test('pinning: the line that keeps one object per pool ranks first with every one of those pools', async () => {
    const j = json(await cli(['arenas', '--json', '--pinning', '--at', 'mark:pinned', pinCapture]));
    // the state itself equals CPython's
    const cpy = parseMallocStats(pinTruth.stats);
    expect(j.size_classes.filter((c: any) => c.pools > 0).map((c: any) => [c.index, c.pools, c.blocks_in_use])).toEqual(
      cpy.classes.map((c) => [c.index, c.pools, c.blocksInUse]),
    );
    expect(j.arenas_allocated_current).toBe(cpy.arenasAllocatedCurrent);
    const top = j.pinning.lines[0];
    expect(top.file).toBe(PINNING);
    expect(top.line).toBe(markerLine(PINNING, 'pin:alloc'));
    expect(top.blocks).toBe(pinTruth.kept);
    expect(top.pools).toBe(pinTruth.pools);
    expect(top.pools_alone).toBeGreaterThanOrEqual(pinTruth.pools - 2);
    expect(top.arenas).toBeGreaterThanOrEqual(1);
    expect(top.arenas_alone).toBeGreaterThanOrEqual(1);
    // each kept object holds (nearly) a whole pool idle
    expect(top.idle_bytes).toBeGreaterThan(pinTruth.pools * (j.pool_size - 512));
    expect(top.idle_bytes).toBeGreaterThan(2 * j.pinning.lines[1].idle_bytes);
    // the idle bytes of all lines add up to the arenas minus the live blocks
    expect(j.pinning.idle_bytes).toBe(j.total_bytes - j.bytes_in_allocated_blocks);
    expect(j.pinning.blocks).toBe(j.size_classes.reduce((n: number, c: any) => n + c.blocks_in_use, 0));
    // the sparsest arenas are held by that line
    expect(j.pinning.sparsest_arenas[1].holders[0].line).toBe(top.line);
    const text = await cli(['arenas', '--pinning', '-n', '5', '--at', 'mark:pinned', pinCapture]);
    expectStatus(text, 0, 'arenas --pinning');
    expect(text.stdout).toContain(`arena_pinning.py:${top.line}`);
    expect(text.stdout).toMatch(/sparsest arenas/);
  });
});

describe('arenas: bad input', () => {
  let dir: string;
  let good: string;
  beforeAll(async () => {
    dir = tempDir('arenas-bad');
    good = path.join(dir, 'good.bin');
    const A = 0x7f0000000000;
    await fs.promises.writeFile(
      good,
      new CaptureBuilder()
        .header()
        .marks([{ id: 1, name: 'here' }])
        .batch([
          { kind: KIND.ARENA_ALLOC, address: A, size: 1 << 20, timeUs: 1 },
          { kind: KIND.ALLOC_OBJ, address: A + 48, size: 10, stack: 0, timeUs: 2 },
          { kind: KIND.MARK, address: 0, size: 1, stack: 0, timeUs: 3 },
        ])
        .trailer()
        .bytes(),
    );
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function expectOneLineError(r: ProcResult, mentions: RegExp): void {
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^pymemprof: /);
    expect(lines[0]).toMatch(mentions);
    expect(r.stdout).toBe('');
  }

  test('a missing file, a file that is not a capture', async () => {
    expectOneLineError(await cli(['arenas', path.join(dir, 'nope.bin')]), /nope\.bin/);
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, 'hello, not a capture\n');
    expectOneLineError(await cli(['arenas', junk]), /junk\.bin/);
  });

  test('bad --at values and an unknown mark', async () => {
    expectOneLineError(await cli(['arenas', '--at', 'sometime', good]), /--at: .*'sometime'/);
    expectOneLineError(await cli(['arenas', '--at', 'mark:', good]), /--at/);
    expectOneLineError(await cli(['arenas', '--at', 'mark:nowhere', good]), /mark:nowhere.*no mark named 'nowhere'.*good\.bin.*here/);
    expectOneLineError(await cli(['arenas', '--at', 'mark:here#2', good]), /'here' occurs 1 time/);
    expectOneLineError(await cli(['arenas', '--at', 'end', '--at', 'end', '--at', 'peak', good]), /--at: at most two/);
    expectOneLineError(await cli(['arenas', '--diff', 'nonsense', good]), /--diff: .*'nonsense'/);
    expectOneLineError(await cli(['arenas', '--pinning', '-n', '0', good]), /--limit/);
  });

  test('a capture without pymalloc, a sampled capture', async () => {
    const none = path.join(dir, 'nopymalloc.bin');
    fs.writeFileSync(none, new CaptureBuilder().header({ geometry: { arenaSize: 0, poolSize: 0, alignment: 0, smallRequestThreshold: 0 } }).trailer().bytes());
    expectOneLineError(await cli(['arenas', none]), /nopymalloc\.bin.*pymalloc/);
    // PYTHONMALLOC=malloc on 3.11+: the only arena-allocator blocks are 16 KiB frame data stack chunks
    const chunks = path.join(dir, 'chunks.bin');
    fs.writeFileSync(chunks, new CaptureBuilder().header({ geometry: { arenaSize: 16384, poolSize: 256, alignment: 16, smallRequestThreshold: 512 } }).trailer().bytes());
    expectOneLineError(await cli(['arenas', chunks]), /chunks\.bin.*not pymalloc's/);
    const sampled = path.join(dir, 'sampled.bin');
    fs.writeFileSync(sampled, new CaptureBuilder().header({ sampleBytes: 4096 }).trailer().bytes());
    expectOneLineError(await cli(['arenas', sampled]), /sampled\.bin.*sampled/);
  });

  test('the hand-built capture reads fine at its mark', async () => {
    const r = await cli(['arenas', '--json', '--at', 'mark:here', good]);
    const j = json(r);
    expect(j.size_classes[0]).toEqual({ index: 0, size: 16, pools: 1, blocks_in_use: 1, avail_blocks: 1020 });
    expect(j.arenas_allocated_current).toBe(1);
    expect(j.unused_pools).toBe(63);
  });
});

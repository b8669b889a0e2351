/**
 * The arena model on hand-made record sequences (one rule of obmalloc each) and, differentially,
 * against an independent pymalloc simulation (arena-sim.ts) over random workloads.
 */
import { describe, expect, test } from 'vitest';
import { ArenaModel, arenaMapLayout, PymallocGeometry } from '../../src/analysis/arena-model';
import { KIND } from '../../src/capture/batch-decoder';
import { rng } from '../helpers/random';
import { PymallocSim, randomWorkload } from './arena-sim';

const G310: PymallocGeometry = { arenaSize: 1 << 20, poolSize: 1 << 14, alignment: 16, smallRequestThreshold: 512 };
const G39: PymallocGeometry = { arenaSize: 1 << 18, poolSize: 1 << 12, alignment: 16, smallRequestThreshold: 512 };
const HEX311 = 0x030b07f0;
const HEX39 = 0x030912f0;
const A = 0x7f1234500000; // 1 MiB aligned
const POOL = 1 << 14;

function model(g = G310, hex = HEX311, trackStacks = false): ArenaModel {
  return new ArenaModel(g, { pythonHexversion: hex, trackStacks });
}

/** Address of block `i` of a `size`-byte class in pool `p` of an arena whose first pool is at `first`. */
function block(first: number, p: number, size: number, i: number): number {
  return first + p * POOL + 48 + i * size;
}

describe('ArenaModel: one rule at a time', () => {
  test('geometry: NUMBLOCKS, 32 classes, 64 pools', () => {
    const m = model();
    expect(m.numClasses).toBe(32);
    expect(m.maxPools).toBe(64);
    expect(m.numBlocks[0]).toBe(1021); // (16384 - 48) / 16
    expect(m.numBlocks[31]).toBe(31); // 16336 / 512
    expect(model(G39, HEX39).numBlocks[0]).toBe(253); // (4096 - 48) / 16
  });

  test('an aligned arena: 64 pools, no alignment loss; blocks fill a pool of their class', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    for (let i = 0; i < 3; i++) m.apply(KIND.ALLOC_OBJ, block(A, 0, 64, i), 50 + i, 1); // class 3
    m.apply(KIND.ALLOC_MEM, block(A, 1, 16, 0), 16, 1); // class 0
    const s = m.snapshot();
    expect(s.classes[3]).toEqual({ index: 3, size: 64, pools: 1, blocksInUse: 3, availBlocks: 255 - 3 });
    expect(s.classes[0]).toEqual({ index: 0, size: 16, pools: 1, blocksInUse: 1, availBlocks: 1020 });
    expect(s.arenasAllocatedCurrent).toBe(1);
    expect(s.unusedPools).toBe(62);
    expect(s.bytesLostToArenaAlignment).toBe(0);
    expect(s.bytesInAllocatedBlocks).toBe(3 * 64 + 16);
    expect(s.bytesLostToPoolHeaders).toBe(2 * 48);
    expect(s.bytesLostToQuantization).toBe((16336 % 64) + (16336 % 16));
    expect(
      s.bytesInAllocatedBlocks + s.bytesInAvailableBlocks + s.bytesInUnusedPools + s.bytesLostToPoolHeaders + s.bytesLostToQuantization + s.bytesLostToArenaAlignment,
    ).toBe(s.totalBytes);
  });

  test('an arena that is not pool-aligned: first pool at the next pool boundary, 63 pools, a pool lost', () => {
    const m = model();
    const base = A + 0x3000; // page-aligned, not 16 KiB-aligned
    m.apply(KIND.ARENA_ALLOC, base, 1 << 20, 0);
    const first = A + POOL;
    m.apply(KIND.ALLOC_OBJ, block(first, 0, 32, 0), 32, 1);
    m.apply(KIND.ALLOC_OBJ, block(first, 62, 32, 0), 32, 1); // the last pool
    const s = m.snapshot();
    expect(s.classes[1]!.pools).toBe(2);
    expect(s.unusedPools).toBe(61);
    expect(s.bytesLostToArenaAlignment).toBe(POOL);
    expect(m.anomalies).toBe(0);
    // neither the head before the first pool nor the tail after the last holds blocks
    m.apply(KIND.ALLOC_OBJ, base + 48, 32, 1);
    m.apply(KIND.ALLOC_OBJ, block(first, 63, 32, 0), 32, 1);
    expect(block(first, 63, 32, 0)).toBeLessThan(base + (1 << 20));
    expect(m.anomalyCounts.get('not-a-block-boundary')).toBe(2);
  });

  test('a pool emptied returns to the free pools and takes a new class with its next block', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 48, 0), 40, 1);
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 48, 1), 40, 1);
    m.apply(KIND.FREE_OBJ, block(A, 0, 48, 0), 0, 0);
    expect(m.snapshot().classes[2]!.pools).toBe(1);
    m.apply(KIND.FREE_OBJ, block(A, 0, 48, 1), 0, 0);
    let s = m.snapshot();
    expect(s.classes[2]!.pools).toBe(0);
    expect(s.unusedPools).toBe(64);
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 208, 0), 200, 1); // class 12 now
    s = m.snapshot();
    expect(s.classes[12]).toEqual({ index: 12, size: 208, pools: 1, blocksInUse: 1, availBlocks: 78 - 1 });
    expect(m.counts.poolClassChanges).toBe(1);
    expect(m.anomalies).toBe(0);
  });

  test('a resize in place keeps the block in its pool class, even at a size of another class', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    const b = block(A, 0, 64, 0);
    m.apply(KIND.ALLOC_OBJ, b, 64, 1);
    m.apply(KIND.RESIZE_OBJ, b, 49, 2); // 49 bytes is class 3 too; 4 * 49 > 3 * 64: stays
    m.apply(KIND.RESIZE_MEM, b, 60, 2);
    const s = m.snapshot();
    expect(s.classes[3]!.blocksInUse).toBe(1);
    expect(m.anomalies).toBe(0);
    // pymalloc would have moved these: flagged
    m.apply(KIND.RESIZE_OBJ, b, 65, 2);
    m.apply(KIND.RESIZE_OBJ, b, 40, 2);
    expect(m.anomalyCounts.get('resize-outside-class')).toBe(2);
    expect(m.snapshot().classes[3]!.blocksInUse).toBe(1);
  });

  test('a moving realloc (ALLOC new, FREE old) moves the block between classes', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    const old = block(A, 0, 32, 0);
    m.apply(KIND.ALLOC_OBJ, old, 30, 1);
    m.apply(KIND.ALLOC_OBJ, block(A, 1, 96, 0), 90, 1);
    m.apply(KIND.FREE_OBJ, old, 0, 0);
    const s = m.snapshot();
    expect(s.classes[1]!.pools).toBe(0);
    expect(s.classes[5]!.blocksInUse).toBe(1);
  });

  test('blocks outside the arenas are not pymalloc: above the threshold, RAW, and resized system blocks', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    const raw = 0x5600000010;
    m.apply(KIND.ALLOC_OBJ, raw, 4000, 1);
    m.apply(KIND.RESIZE_OBJ, raw, 100, 1); // the system allocator keeps it
    m.apply(KIND.ALLOC_RAW, raw + 8192, 32, 1);
    m.apply(KIND.FREE_RAW, raw + 8192, 0, 0);
    m.apply(KIND.FREE_OBJ, raw, 0, 0);
    m.apply(KIND.ALLOC_MEM, raw + 16384, 24, 1); // e.g. a raw block moved by realloc
    const s = m.snapshot();
    expect(s.classes.every((c) => c.pools === 0 && c.blocksInUse === 0)).toBe(true);
    expect(m.counts.largeRequests).toBe(1);
    expect(m.counts.smallResizesOutsideArenas).toBe(1);
    expect(m.smallOutsideArenas).toBe(1);
    expect(m.anomalies).toBe(0);
  });

  test('arenas released: reclaimed, highwater, current; an address reused by a new arena starts empty', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m.apply(KIND.ARENA_ALLOC, A + (4 << 20), 1 << 20, 0);
    m.apply(KIND.ALLOC_OBJ, block(A, 5, 16, 0), 8, 1);
    m.apply(KIND.FREE_OBJ, block(A, 5, 16, 0), 0, 0);
    m.apply(KIND.ARENA_FREE, A, 0, 0);
    let s = m.snapshot();
    expect([s.arenasAllocatedTotal, s.arenasReclaimed, s.arenasHighwater, s.arenasAllocatedCurrent]).toEqual([2, 1, 2, 1]);
    expect(s.unusedPools).toBe(64);
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m.apply(KIND.ALLOC_OBJ, block(A, 5, 16, 0), 8, 1);
    s = m.snapshot();
    expect([s.arenasAllocatedTotal, s.arenasReclaimed, s.arenasHighwater, s.arenasAllocatedCurrent]).toEqual([3, 1, 2, 2]);
    expect(s.classes[0]!.blocksInUse).toBe(1);
    expect(m.counts.poolClassChanges).toBe(0);
    expect(m.anomalies).toBe(0);
  });

  test('arena allocator blocks of another size (3.11+ frame data stack chunks) are not arenas', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, 0x7f00aa000000 + 0x1000, 16384, 0);
    m.apply(KIND.ARENA_ALLOC, 0x7f00ab000000, 65536, 0);
    m.apply(KIND.ALLOC_OBJ, 0x7f00aa000000 + 0x1000 + 48, 16, 1); // not inside an arena
    m.apply(KIND.ARENA_FREE, 0x7f00aa000000 + 0x1000, 0, 0);
    const s = m.snapshot();
    expect(s.arenasAllocatedTotal).toBe(0);
    expect(s.classes[0]!.pools).toBe(0);
    expect(m.otherChunks.size).toBe(1);
    expect(m.anomalies).toBe(0);
  });

  test('records that contradict pymalloc are counted as anomalies with examples', () => {
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m.apply(KIND.FREE_OBJ, block(A, 0, 16, 0), 0, 0); // never allocated
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 16, 0), 16, 1);
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 16, 0), 16, 1); // twice
    m.apply(KIND.ALLOC_OBJ, block(A, 0, 16, 1), 100, 1); // class 6 from a class-0 pool
    m.apply(KIND.ALLOC_OBJ, block(A, 1, 16, 0) + 8, 16, 1); // between blocks
    m.apply(KIND.ALLOC_OBJ, block(A, 2, 16, 0), 1000, 1); // too big for pymalloc
    m.apply(KIND.ARENA_ALLOC, A + 4096, 1 << 20, 0); // overlaps
    m.apply(KIND.ARENA_FREE, A + (8 << 20), 0, 0); // unknown
    m.apply(KIND.ARENA_FREE, A, 0, 0); // with blocks in it
    expect(Object.fromEntries(m.anomalyCounts)).toEqual({
      'free-not-live': 1,
      'alloc-already-live': 1,
      'class-mismatch': 1,
      'not-a-block-boundary': 1,
      'size-not-pymalloc': 1,
      'arena-overlap': 1,
      'arena-free-unknown': 1,
      'arena-free-not-empty': 1,
    });
    expect(m.anomalyExamples[0]).toMatchObject({ kind: 'free-not-live', record: 1 });
    expect(m.anomalyMessages().some((s) => /^record 1: free-not-live at 0x7f1234500030/.test(s))).toBe(true);
    // the arena released with blocks leaves nothing behind
    const s = m.snapshot();
    expect(s.arenasAllocatedCurrent).toBe(0);
    expect(s.classes.every((c) => c.pools === 0 && c.blocksInUse === 0)).toBe(true);
    expect(s.unusedPools).toBe(0);
  });

  test('arena map (3.10+): interior nodes per distinct address prefix, never freed; unaligned arenas also mark their end', () => {
    expect(arenaMapLayout(HEX39, G39)).toBeNull();
    expect(arenaMapLayout(0x030a0df0, G310)).toMatchObject({ topBits: 10, midBits: 10, botBits: 8, rootBytes: 8192, midNodeBytes: 8192, botNodeBytes: 2048 });
    expect(arenaMapLayout(HEX311, G310)).toMatchObject({ topBits: 15, midBits: 15, botBits: 14, rootBytes: 262144, midNodeBytes: 262144, botNodeBytes: 131072 });
    const m = model();
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    expect(m.snapshot().arenaMap).toEqual({ midNodes: 1, botNodes: 1 });
    // 2^34 bytes further: another bottom node (3.11+: bottom level covers 2^34 bytes)
    const far = A + 2 ** 34;
    m.apply(KIND.ARENA_ALLOC, far, 1 << 20, 0);
    m.apply(KIND.ARENA_FREE, far, 0, 0);
    expect(m.snapshot().arenaMap).toEqual({ midNodes: 1, botNodes: 2 }); // not freed
    // an unaligned arena whose end crosses into the next 2^34 region marks both
    const edge = Math.floor(A / 2 ** 34) * 2 ** 34 + 3 * 2 ** 34 - (1 << 19);
    m.apply(KIND.ARENA_ALLOC, edge, 1 << 20, 0);
    expect(m.snapshot().arenaMap).toEqual({ midNodes: 1, botNodes: 4 });
    // 3.10: bottom nodes cover 2^28 bytes
    const m10 = model(G310, 0x030a0df0);
    m10.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m10.apply(KIND.ARENA_ALLOC, A + (1 << 28), 1 << 20, 0);
    expect(m10.snapshot().arenaMap).toEqual({ midNodes: 1, botNodes: 2 });
    expect(model(G39, HEX39).snapshot().arenaMap).toBeNull();
  });
});

describe('ArenaModel against an independent pymalloc simulation', () => {
  const cases = [
    { name: '1 MiB arenas, 16 KiB pools, most arenas unaligned', g: G310, unaligned: 0.7, seed: 1 },
    { name: '1 MiB arenas, 16 KiB pools, aligned', g: G310, unaligned: 0, seed: 2 },
    { name: '256 KiB arenas, 4 KiB pools', g: G39, unaligned: 0.2, seed: 3 },
    { name: '256 KiB arenas, 4 KiB pools, another seed', g: G39, unaligned: 0.5, seed: 4 },
  ];
  test.each(cases)('$name: equal at every checkpoint', ({ g, unaligned, seed }) => {
    const rand = rng(seed);
    const sim = new PymallocSim({ arenaSize: g.arenaSize, poolSize: g.poolSize, unaligned, rand });
    const m = new ArenaModel(g, { pythonHexversion: HEX39 });
    let applied = 0;
    let checks = 0;
    let maxArenas = 0;
    let reclaimed = 0;
    randomWorkload(sim, rand, 150_000, (i) => {
      for (; applied < sim.records.length; applied++) {
        const r = sim.records[applied]!;
        m.apply(r.kind, r.address, r.size, r.stack);
      }
      if (i % 997 === 0) {
        const { arenaMap, ...ours } = m.snapshot();
        void arenaMap;
        expect(ours).toEqual(sim.stats());
        checks++;
        maxArenas = Math.max(maxArenas, ours.arenasAllocatedCurrent);
        reclaimed = ours.arenasReclaimed;
      }
    });
    for (; applied < sim.records.length; applied++) {
      const r = sim.records[applied]!;
      m.apply(r.kind, r.address, r.size, r.stack);
    }
    const { arenaMap, ...end } = m.snapshot();
    void arenaMap;
    expect(end).toEqual(sim.stats());
    reclaimed = end.arenasReclaimed;
    expect(end.classes.every((c) => c.blocksInUse === 0)).toBe(true);
    expect(m.anomalyMessages()).toEqual([]);
    expect(checks).toBeGreaterThan(100);
    expect(maxArenas).toBeGreaterThan(2);
    expect(reclaimed).toBeGreaterThan(0);
    expect(m.counts.poolClassChanges).toBeGreaterThan(10);
    expect(m.counts.resizesInArenas).toBeGreaterThan(10);
  });
});

/**
 * The live-block tables with their small-block slots, on streams shaped like a real program's:
 * pymalloc pools of one size class each (blocks handed out and taken back in LIFO order, pools
 * emptied and reused for another class), heap blocks of any size (some shrunk in place to a small
 * size, some grown again), frees whose allocation was never seen and allocations whose free was lost.
 * Every answer is checked against a Map.
 */
import { describe, expect, it } from 'vitest';
import { LiveTable } from '../../src/analysis/live-table';
import { BlockTable } from '../../src/analysis/block-table';
import { rng } from '../helpers/random';

type Op = { op: 'set'; addr: number; size: number } | { op: 'free'; addr: number };

/** A pymalloc-like allocator plus a heap, as a list of operations. */
function programLikeStream(seed: number, n: number): Op[] {
  const r = rng(seed);
  const POOL = 16384;
  const arenaBase = 0x7f3a00000000;
  const pools: { base: number; width: number; free: number[]; live: Set<number>; next: number }[] = [];
  for (let p = 0; p < 64; p++) pools.push({ base: arenaBase + p * POOL, width: 0, free: [], live: new Set(), next: 48 });
  const heap = new Map<number, number>();
  let heapTop = 0x55d000001000;
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.45) {
      // Small allocation from a pool of its class (a pool with room, or an empty one it takes over).
      const size = 1 + Math.floor(r() * r() * 512);
      const width = Math.ceil(size / 16) * 16;
      let pool = pools.find((p) => p.width === width && (p.free.length > 0 || p.next + width <= POOL));
      if (!pool) pool = pools.find((p) => p.live.size === 0);
      if (!pool) continue;
      if (pool.width !== width) Object.assign(pool, { width, free: [], next: 48 });
      const addr = pool.free.length > 0 ? pool.free.pop()! : pool.base + ((pool.next += width) - width);
      pool.live.add(addr);
      ops.push({ op: 'set', addr, size });
    } else if (x < 0.85) {
      // Small free, mostly recent blocks (LIFO-ish).
      const pool = pools[Math.floor(r() * pools.length)]!;
      if (pool.live.size === 0) continue;
      const live = [...pool.live];
      const addr = live[live.length - 1 - Math.floor(r() * r() * live.length)]!;
      pool.live.delete(addr);
      pool.free.push(addr);
      ops.push({ op: 'free', addr });
    } else if (x < 0.92) {
      const size = 513 + Math.floor(r() * 100000);
      heap.set(heapTop, size);
      ops.push({ op: 'set', addr: heapTop, size });
      heapTop += Math.ceil((size + 16) / 16) * 16;
    } else if (x < 0.97 && heap.size > 0) {
      // Resize in place: shrink to a small size or grow again.
      const addrs = [...heap.keys()];
      const addr = addrs[Math.floor(r() * addrs.length)]!;
      const size = r() < 0.6 ? 1 + Math.floor(r() * 512) : 513 + Math.floor(r() * 5000);
      heap.set(addr, size);
      ops.push({ op: 'set', addr, size });
    } else if (x < 0.99 && heap.size > 0) {
      const addrs = [...heap.keys()];
      const addr = addrs[Math.floor(r() * addrs.length)]!;
      heap.delete(addr);
      ops.push({ op: 'free', addr });
    } else {
      // A free never allocated, or an allocation over a live block whose free was lost.
      const addr = arenaBase + Math.floor(r() * 64 * 1024) * 16;
      ops.push(r() < 0.5 ? { op: 'free', addr } : { op: 'set', addr, size: 1 + Math.floor(r() * 600) });
    }
  }
  return ops;
}

describe('live-block tables with small-block slots', () => {
  for (const seed of [1, 2, 3]) {
    it(`LiveTable matches a Map on a program-like stream (seed ${seed})`, () => {
      const t = new LiveTable(16);
      const m = new Map<number, [number, number]>();
      let i = 0;
      for (const o of programLikeStream(seed, 60000)) {
        i++;
        if (o.op === 'set') {
          const had = t.set(o.addr, o.size, i);
          expect(had).toBe(m.has(o.addr));
          if (had) expect([t.foundSize, t.foundStack]).toEqual(m.get(o.addr));
          m.set(o.addr, [o.size, i]);
        } else {
          const had = t.delete(o.addr);
          expect(had).toBe(m.has(o.addr));
          if (had) expect([t.foundSize, t.foundStack]).toEqual(m.get(o.addr));
          m.delete(o.addr);
        }
        expect(t.size).toBe(m.size);
      }
      const seen = new Map<number, [number, number]>();
      t.forEach((a, size, stack) => seen.set(a, [size, stack]));
      expect(seen).toEqual(m);
      for (const a of m.keys()) expect(t.get(a)).toBe(true);
      // Everything freed: the table is empty and takes blocks again.
      for (const a of [...m.keys()]) expect(t.delete(a)).toBe(true);
      expect(t.size).toBe(0);
      let n = 0;
      t.forEach(() => n++);
      expect(n).toBe(0);
      expect(t.set(0x7f3a00000030, 32, 1)).toBe(false);
      expect(t.get(0x7f3a00000030) && t.foundSize).toBe(32);
    });

    it(`BlockTable matches a Map on a program-like stream (seed ${seed})`, () => {
      const t = new BlockTable(16);
      const m = new Map<number, number[]>();
      let i = 0;
      for (const o of programLikeStream(seed + 10, 60000)) {
        i++;
        if (o.op === 'set') {
          const e = [o.size, i % 97, i, i * 3];
          const had = t.set(o.addr, e[0]!, e[1]!, e[2]!, e[3]!);
          expect(had).toBe(m.has(o.addr));
          if (had) expect([t.foundSize, t.foundRow, t.foundIdx, t.foundTime]).toEqual(m.get(o.addr));
          m.set(o.addr, e);
        } else {
          const had = t.delete(o.addr);
          expect(had).toBe(m.has(o.addr));
          if (had) expect([t.foundSize, t.foundRow, t.foundIdx, t.foundTime]).toEqual(m.get(o.addr));
          m.delete(o.addr);
        }
        expect(t.size).toBe(m.size);
      }
      const seen = new Map<number, number[]>();
      t.forEach((a, size, row, idx, time) => seen.set(a, [size, row, idx, time]));
      expect(seen).toEqual(m);
    });
  }

  it('keeps blocks 4 GiB apart, unaligned and at region edges apart', () => {
    const t = new LiveTable();
    const addrs = [0x7f0000000ff0, 0x7f0100000ff0, 0x7f0000001000, 0x7f0000000ff8, 0x7f0000000010, 16];
    addrs.forEach((a, i) => expect(t.set(a, 16, i + 1)).toBe(false));
    addrs.forEach((a, i) => expect(t.get(a) && t.foundStack).toBe(i + 1));
    // A block shrunk in place from the hash table into the slots, then grown back out of them.
    expect(t.set(0x55d000001010, 4096, 9)).toBe(false);
    expect(t.set(0x55d000001010, 100, 9)).toBe(true);
    expect(t.foundSize).toBe(4096);
    expect(t.set(0x55d000001010, 2048, 9)).toBe(true);
    expect(t.foundSize).toBe(100);
    expect(t.delete(0x55d000001010) && t.foundSize).toBe(2048);
    expect(t.get(0x55d000001010)).toBe(false);
    expect(t.size).toBe(addrs.length);
  });
});

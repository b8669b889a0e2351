/**
 * A small independent pymalloc (after Objects/obmalloc.c) for tests: it hands out real-looking
 * addresses, emits the records the tracer would write (ARENA_ALLOC before the block that needed it,
 * FREE before the ARENA_FREE it causes, moving reallocs as ALLOC(new) + FREE(old)), and computes its
 * statistics the way _PyObject_DebugMallocStats does: walking each arena's carved pools up to
 * pool_address, skipping pools without blocks, summing nfreepools.
 */
import { KIND } from '../../src/capture/batch-decoder';
import type { ArenaSnapshot } from '../../src/analysis/arena-model';

export interface SimRecord {
  kind: number;
  address: number;
  size: number;
  stack: number;
}

interface SimPool {
  address: number;
  arena: SimArena;
  szidx: number;
  count: number;
  free: number[]; // freed block addresses (LIFO)
  nextoffset: number;
}

interface SimArena {
  address: number;
  poolAddress: number; // next pool to carve
  firstPool: number;
  nfreepools: number;
  ntotalpools: number;
  freepools: SimPool[];
  pools: Map<number, SimPool>;
}

export interface SimOptions {
  arenaSize: number;
  poolSize: number;
  /** Probability that a new arena is not pool-aligned. */
  unaligned: number;
  rand: () => number;
}

const ALIGN = 16;
const OVERHEAD = 48;

export class PymallocSim {
  readonly records: SimRecord[] = [];
  private readonly arenas: SimArena[] = [];
  private readonly usedpools: SimPool[][] = Array.from({ length: 32 }, () => []);
  private readonly blocks = new Map<number, { pool: SimPool | null; size: number }>();
  private nextArenaBase = 0x7f0000000000;
  private nextRaw = 0x560000000000;
  private readonly chunks: number[] = [];
  ntimes = 0;
  highwater = 0;

  constructor(private readonly o: SimOptions) {}

  private emit(kind: number, address: number, size = 0, stack = 0): void {
    this.records.push({ kind, address, size, stack });
  }

  private newArena(): SimArena {
    const o = this.o;
    this.nextArenaBase += o.arenaSize * (2 + Math.floor(o.rand() * 2));
    let address = this.nextArenaBase;
    // mmap gives page-aligned arenas, which 16 KiB pools do not divide; any 16-byte offset is fine here
    if (o.rand() < o.unaligned) address += 16 * (1 + Math.floor(o.rand() * (o.poolSize / 16 - 1)));
    const excess = address % o.poolSize;
    const first = excess ? address + o.poolSize - excess : address;
    const n = o.arenaSize / o.poolSize - (excess ? 1 : 0);
    const a: SimArena = { address, poolAddress: first, firstPool: first, nfreepools: n, ntotalpools: n, freepools: [], pools: new Map() };
    this.arenas.push(a);
    this.ntimes++;
    this.highwater = Math.max(this.highwater, this.arenas.length);
    this.emit(KIND.ARENA_ALLOC, address, o.arenaSize);
    return a;
  }

  /** pymalloc_alloc; null for requests it does not serve. */
  private pyAlloc(nbytes: number): { address: number; pool: SimPool } | null {
    if (nbytes === 0 || nbytes > 512) return null;
    const size = (nbytes - 1) >> 4;
    const used = this.usedpools[size]!;
    let pool = used[0];
    if (pool === undefined) {
      // a free pool of the usable arena with the fewest free pools
      let arena: SimArena | undefined;
      for (const a of this.arenas) if (a.nfreepools > 0 && (!arena || a.nfreepools < arena.nfreepools)) arena = a;
      if (!arena) arena = this.newArena();
      let p = arena.freepools.pop();
      if (!p) {
        p = { address: arena.poolAddress, arena, szidx: -1, count: 0, free: [], nextoffset: OVERHEAD };
        arena.pools.set(p.address, p);
        arena.poolAddress += this.o.poolSize;
      }
      arena.nfreepools--;
      if (p.szidx !== size) {
        p.szidx = size;
        p.free = [];
        p.nextoffset = OVERHEAD;
      }
      used.unshift(p);
      pool = p;
    }
    const bsize = (size + 1) * ALIGN;
    let address: number;
    if (pool.free.length) address = pool.free.pop()!;
    else {
      address = pool.address + pool.nextoffset;
      pool.nextoffset += bsize;
    }
    pool.count++;
    if (pool.count === Math.floor((this.o.poolSize - OVERHEAD) / bsize)) used.splice(used.indexOf(pool), 1); // full
    return { address, pool };
  }

  /** pymalloc_free: returns the arena to release, if any (released after the FREE record). */
  private pyFree(address: number, pool: SimPool): SimArena | null {
    const bsize = (pool.szidx + 1) * ALIGN;
    const wasFull = pool.count === Math.floor((this.o.poolSize - OVERHEAD) / bsize);
    pool.free.push(address);
    pool.count--;
    const used = this.usedpools[pool.szidx]!;
    if (wasFull) used.unshift(pool);
    if (pool.count > 0) return null;
    used.splice(used.indexOf(pool), 1);
    const a = pool.arena;
    a.freepools.push(pool);
    a.nfreepools++;
    if (a.nfreepools === a.ntotalpools && this.arenas.filter((x) => x.nfreepools > 0).length > 1) return a;
    return null;
  }

  private releaseArena(a: SimArena): void {
    this.arenas.splice(this.arenas.indexOf(a), 1);
    this.emit(KIND.ARENA_FREE, a.address);
  }

  private raw(size: number): number {
    this.nextRaw += 64 + Math.ceil(size / 16) * 16;
    return this.nextRaw;
  }

  malloc(size: number, stack = 0): number {
    const r = this.pyAlloc(size);
    const address = r ? r.address : this.raw(size);
    this.blocks.set(address, { pool: r ? r.pool : null, size });
    this.emit(KIND.ALLOC_OBJ, address, size, stack);
    return address;
  }

  free(address: number): void {
    const b = this.blocks.get(address)!;
    this.blocks.delete(address);
    this.emit(KIND.FREE_OBJ, address);
    if (b.pool) {
      const a = this.pyFree(address, b.pool);
      if (a) this.releaseArena(a);
    }
  }

  /** _PyObject_Realloc */
  realloc(address: number, nbytes: number, stack = 0): number {
    const b = this.blocks.get(address)!;
    if (!b.pool) {
      // the system allocator keeps it: in place or moved, never to pymalloc
      if (this.o.rand() < 0.5) {
        b.size = nbytes;
        this.emit(KIND.RESIZE_OBJ, address, nbytes, stack);
        return address;
      }
      const n = this.raw(nbytes);
      this.blocks.delete(address);
      this.blocks.set(n, { pool: null, size: nbytes });
      this.emit(KIND.ALLOC_OBJ, n, nbytes, stack);
      this.emit(KIND.FREE_OBJ, address);
      return n;
    }
    const size = (b.pool.szidx + 1) * ALIGN;
    if (nbytes <= size && 4 * nbytes > 3 * size) {
      b.size = nbytes;
      this.emit(KIND.RESIZE_OBJ, address, nbytes, stack);
      return address;
    }
    // malloc new (may raise ARENA_ALLOC first), then free old (may release an arena after)
    const r = this.pyAlloc(nbytes);
    const n = r ? r.address : this.raw(nbytes);
    this.blocks.set(n, { pool: r ? r.pool : null, size: nbytes });
    this.emit(KIND.ALLOC_OBJ, n, nbytes, stack);
    this.blocks.delete(address);
    this.emit(KIND.FREE_OBJ, address);
    const a = this.pyFree(address, b.pool);
    if (a) this.releaseArena(a);
    return n;
  }

  rawMalloc(size: number): number {
    const a = this.raw(size);
    this.emit(KIND.ALLOC_RAW, a, size);
    return a;
  }

  /** A frame data-stack chunk (3.11+) from the arena allocator. */
  chunk(): void {
    if (this.chunks.length && this.o.rand() < 0.5) {
      this.emit(KIND.ARENA_FREE, this.chunks.pop()!);
      return;
    }
    const a = this.raw(16384);
    this.chunks.push(a);
    this.emit(KIND.ARENA_ALLOC, a, 16384);
  }

  liveAddresses(): number[] {
    return [...this.blocks.keys()];
  }

  /** _PyObject_DebugMallocStats' figures. */
  stats(): Omit<ArenaSnapshot, 'arenaMap'> {
    const o = this.o;
    const pools = new Array(32).fill(0);
    const blocks = new Array(32).fill(0);
    const freeb = new Array(32).fill(0);
    let unused = 0;
    let alignment = 0;
    for (const a of this.arenas) {
      unused += a.nfreepools;
      if (a.address % o.poolSize) alignment += o.poolSize;
      for (let base = a.firstPool; base < a.poolAddress; base += o.poolSize) {
        const p = a.pools.get(base)!;
        if (p.count === 0) continue;
        pools[p.szidx]++;
        blocks[p.szidx] += p.count;
        freeb[p.szidx] += Math.floor((o.poolSize - OVERHEAD) / ((p.szidx + 1) * ALIGN)) - p.count;
      }
    }
    let allocated = 0;
    let available = 0;
    let headers = 0;
    let quant = 0;
    const classes = pools.map((p: number, i: number) => {
      const size = (i + 1) * ALIGN;
      allocated += blocks[i] * size;
      available += freeb[i] * size;
      headers += p * OVERHEAD;
      quant += p * ((o.poolSize - OVERHEAD) % size);
      return { index: i, size, pools: p, blocksInUse: blocks[i], availBlocks: freeb[i] };
    });
    const n = this.arenas.length;
    return {
      classes,
      arenasAllocatedTotal: this.ntimes,
      arenasReclaimed: this.ntimes - n,
      arenasHighwater: this.highwater,
      arenasAllocatedCurrent: n,
      unusedPools: unused,
      bytesInAllocatedBlocks: allocated,
      bytesInAvailableBlocks: available,
      bytesInUnusedPools: unused * o.poolSize,
      bytesLostToPoolHeaders: headers,
      bytesLostToQuantization: quant,
      bytesLostToArenaAlignment: alignment,
      totalBytes: n * o.arenaSize,
    };
  }
}

/**
 * Runs a random workload of `steps` operations in phases: grow, shrink (freeing mostly the newest
 * blocks, so whole arenas become free), grow, ... and finally frees everything, newest first.
 */
export function randomWorkload(sim: PymallocSim, rand: () => number, steps: number, onStep?: (i: number) => void): void {
  const live: number[] = []; // -1: freed (a hole)
  let count = 0;
  const pickSize = (): number => {
    const q = rand();
    if (q < 0.05) return 513 + Math.floor(rand() * 3000); // above the threshold
    if (q < 0.07) return 0;
    if (q < 0.5) return 1 + Math.floor(rand() * 64);
    return 1 + Math.floor(rand() * 512);
  };
  const randomLive = (): number => {
    for (;;) {
      const k = Math.floor(rand() * live.length);
      if (live[k] !== -1) return k;
    }
  };
  const freeAt = (k: number): void => {
    sim.free(live[k]!);
    live[k] = -1;
    count--;
  };
  const freeNewest = (): void => {
    while (live.length && live[live.length - 1] === -1) live.pop();
    freeAt(live.length - 1);
    live.pop();
  };
  let i = 0;
  for (; i < steps; i++) {
    const phase = Math.floor(i / (steps / 6)) % 2; // grow, shrink, grow, ...
    const r = rand();
    if (r < 0.02) sim.chunk();
    else if (r < 0.03) sim.rawMalloc(100);
    else if (r < (phase === 0 ? 0.75 : 0.2) || count === 0) {
      live.push(sim.malloc(pickSize(), 1 + (i % 7)));
      count++;
    } else if (r < 0.9) {
      if (phase === 1 && rand() < 0.9) freeNewest();
      else freeAt(randomLive());
    } else {
      const k = randomLive();
      live[k] = sim.realloc(live[k]!, pickSize() || 1, 1 + (i % 5));
    }
    onStep?.(i);
  }
  while (count > 0) {
    freeNewest();
    onStep?.(i++);
  }
}

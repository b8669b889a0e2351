/**
 * pymalloc reconstructed from a capture's records: arenas, pools, size classes and blocks, exactly as
 * CPython's Objects/obmalloc.c (3.9-3.13) keeps them, so that a snapshot at any record equals what
 * `_PyObject_DebugMallocStats` prints at that moment.
 *
 * What the model relies on (and what obmalloc does):
 *  - ARENA_ALLOC(address, ARENA_SIZE) is `new_arena`: the first pool is at the next pool-aligned address,
 *    an arena that is not pool-aligned has one pool less (63 instead of 64) and loses POOL_SIZE to
 *    "arena alignment". Counters: arenas allocated total, current, highwater. ARENA_FREE is the
 *    release of a wholly free arena (obmalloc decides when; the event says that it did). Arena
 *    allocator blocks of other sizes are not arenas: since 3.11 the frames' data stack chunks
 *    (16 KiB, or a power of two times that) come from the same allocator.
 *  - A MEM/OBJ block is pymalloc's exactly when its address lies inside a live arena (obmalloc's own
 *    `address_in_range`); everything else (requests of 0 or more than 512 bytes, and blocks pymalloc
 *    handed to the system allocator before, which stay there when resized) is not. RAW records never are.
 *  - The pool of a block is its address rounded down to POOL_SIZE; the pool's size class (szidx) is set
 *    by the allocation that takes an empty pool and kept while the pool has blocks. A resize in place
 *    keeps the block where it is, in its pool's class (obmalloc resizes in place when the new size is
 *    at most the class size and more than 3/4 of it), so classes are tracked per pool, not per block.
 *  - A pool whose last block is freed returns to its arena's free pools ("unused pools").
 *  - Per class: pools with blocks, blocks in use, available blocks = pools * NUMBLOCKS - blocks, where
 *    NUMBLOCKS(i) = (POOL_SIZE - POOL_OVERHEAD) / ((i + 1) * ALIGNMENT), POOL_OVERHEAD = 48 on 64-bit.
 *  - 3.10+ (radix tree): the arena map's interior nodes are created for every arena's first address
 *    (and, for an arena not aligned to ARENA_SIZE, for its end) and never freed while the interpreter
 *    runs, so their counts are the numbers of distinct address prefixes ever used.
 *
 * Anything that contradicts this (a free of a block that is not live, a block at an address that is
 * not a block boundary of its pool's class, a pool asked for two classes at once, an arena released
 * with blocks in it, ...) is counted as an anomaly with the first few examples: the tracer missed or
 * misordered an event.
 */
import { KIND } from '../capture/batch-decoder';

export interface PymallocGeometry {
  arenaSize: number;
  poolSize: number;
  alignment: number;
  smallRequestThreshold: number;
}

/** The arena map (radix tree) of 3.10+ on 64-bit: bits of each level below the arena bits. */
export interface ArenaMapLayout {
  /** Address bits covered by the root (top) level. */
  topBits: number;
  midBits: number;
  botBits: number;
  /** log2(ARENA_SIZE). */
  arenaBits: number;
  /** Bytes of the root node, of one mid node and of one bottom node. */
  rootBytes: number;
  midNodeBytes: number;
  botNodeBytes: number;
}

/**
 * The arena map of this CPython (from its hexversion), or null when it has none (3.9) or the geometry
 * is not the 64-bit one with 1 MiB arenas. 3.10: the 48 physical address bits (10 + 10 + 8 above the
 * 20 arena bits); 3.11+: all 64 bits (15 + 15 + 14).
 */
export function arenaMapLayout(pythonHexversion: number, g: PymallocGeometry): ArenaMapLayout | null {
  const minor = (pythonHexversion >>> 16) & 0xff;
  const major = (pythonHexversion >>> 24) & 0xff;
  if (major !== 3 || minor < 10 || g.arenaSize !== 1 << 20 || g.alignment !== 16) return null;
  const [topBits, midBits, botBits] = minor === 10 ? [10, 10, 8] : [15, 15, 14];
  return {
    topBits,
    midBits,
    botBits,
    arenaBits: 20,
    rootBytes: 2 ** topBits * 8,
    midNodeBytes: 2 ** midBits * 8,
    botNodeBytes: 2 ** botBits * 8, // arena_coverage_t: two int32
  };
}

export interface SizeClassFigures {
  index: number;
  /** Block size in bytes. */
  size: number;
  pools: number;
  blocksInUse: number;
  availBlocks: number;
}

/** The figures `_PyObject_DebugMallocStats` prints, at one moment. */
export interface ArenaSnapshot {
  /** One entry per size class (all of them, also those without pools). */
  classes: SizeClassFigures[];
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighwater: number;
  arenasAllocatedCurrent: number;
  unusedPools: number;
  bytesInAllocatedBlocks: number;
  bytesInAvailableBlocks: number;
  bytesInUnusedPools: number;
  bytesLostToPoolHeaders: number;
  bytesLostToQuantization: number;
  bytesLostToArenaAlignment: number;
  /** arenas allocated current * ARENA_SIZE (the sum of the six lines above). */
  totalBytes: number;
  /** 3.10+: interior nodes of the arena map; null when the interpreter has none. */
  arenaMap: { midNodes: number; botNodes: number } | null;
}

export type AnomalyKind =
  | 'free-not-live'
  | 'alloc-already-live'
  | 'resize-not-live'
  | 'resize-outside-class'
  | 'class-mismatch'
  | 'not-a-block-boundary'
  | 'size-not-pymalloc'
  | 'arena-overlap'
  | 'arena-free-unknown'
  | 'arena-free-not-empty';

export interface AnomalyExample {
  kind: AnomalyKind;
  /** Index of the record among all records of the capture (0-based). */
  record: number;
  address: number;
  size: number;
  detail: string;
}

const MAX_EXAMPLES = 20;

/** One live arena. Arrays are indexed by pool number: (pool address - first pool) / POOL_SIZE. */
export class ArenaState {
  base = 0;
  /** Address of its first pool (the next pool-aligned address). */
  firstPool = 0;
  /** 64, or 63 when the arena is not pool-aligned. */
  totalPools = 0;
  usedPools = 0;
  blocks = 0;
  /** Blocks in use per pool. */
  readonly count: Uint16Array;
  /** Size class per pool; meaningful while count > 0 (-1: never used). */
  readonly cls: Int8Array;
  /** One bit per block slot: live or not. */
  readonly live: Uint32Array;
  /** Stack node per block slot, per pool (only when stacks are tracked). */
  readonly stacks: (Uint32Array | null)[] | null;

  constructor(maxPools: number, wordsPerPool: number, trackStacks: boolean) {
    this.count = new Uint16Array(maxPools);
    this.cls = new Int8Array(maxPools).fill(-1);
    this.live = new Uint32Array(maxPools * wordsPerPool);
    this.stacks = trackStacks ? new Array<Uint32Array | null>(maxPools).fill(null) : null;
  }

  reset(): void {
    this.usedPools = 0;
    this.blocks = 0;
    this.count.fill(0);
    this.cls.fill(-1);
    this.live.fill(0);
  }
}

export interface ArenaModelOptions {
  /** Keep the stack node of every live block (for pinning). */
  trackStacks?: boolean;
  /** sys.hexversion of the traced interpreter (selects the arena map layout). */
  pythonHexversion?: number;
}

export class ArenaModel {
  readonly geometry: PymallocGeometry;
  readonly maxPools: number;
  readonly numClasses: number;
  readonly poolOverhead: number;
  /** NUMBLOCKS per class. */
  readonly numBlocks: Int32Array;
  readonly mapLayout: ArenaMapLayout | null;
  readonly trackStacks: boolean;

  /** Records applied so far (also the index of the next one). */
  records = 0;

  // Aggregates, kept current so that a snapshot costs O(classes).
  private readonly classPools: Float64Array;
  private readonly classBlocks: Float64Array;
  private arenasCurrent = 0;
  private arenasTotal = 0;
  private arenasHighwater = 0;
  private totalPoolsInArenas = 0;
  private usedPoolsAll = 0;
  private unalignedArenas = 0;
  private readonly midNodes = new Set<number>();
  private readonly botNodes = new Set<number>();

  /** Live arenas by floor(base / ARENA_SIZE) (unique: arenas do not overlap). */
  private readonly arenas = new Map<number, ArenaState>();
  private readonly spare: ArenaState[] = [];
  private last: ArenaState | null = null;
  private readonly wordsPerPool: number;

  /** Live blocks of the arena allocator that are not arenas (3.11+: frame data stack chunks). */
  readonly otherChunks = new Map<number, number>();
  /** MEM/OBJ allocations of 1..threshold bytes outside every arena (pymalloc's raw fallbacks). */
  smallOutsideArenas = 0;
  /** What the records exercised (for tests and curiosity). */
  readonly counts = {
    /** Blocks resized in place inside an arena. */
    resizesInArenas: 0,
    /** Resizes of 1..threshold bytes outside the arenas (blocks the system allocator keeps). */
    smallResizesOutsideArenas: 0,
    /** MEM/OBJ requests above the threshold (or of 0 bytes). */
    largeRequests: 0,
    /** Pools that took a size class other than the one they had before. */
    poolClassChanges: 0,
    /** Pools taken from an arena's free pools (first use or reuse). */
    poolsTaken: 0,
  };
  readonly anomalyCounts = new Map<AnomalyKind, number>();
  readonly anomalyExamples: AnomalyExample[] = [];

  // Scratch results of locate().
  private locArena: ArenaState | null = null;
  private locPool = 0;
  private locSlot = 0;

  constructor(geometry: PymallocGeometry, options: ArenaModelOptions = {}) {
    const g = geometry;
    if (!(g.arenaSize > 0 && g.poolSize > 0 && g.alignment > 0 && g.smallRequestThreshold > 0)) {
      throw new RangeError('ArenaModel: the capture has no pymalloc geometry');
    }
    if (g.arenaSize % g.poolSize !== 0 || g.smallRequestThreshold % g.alignment !== 0) {
      throw new RangeError(`ArenaModel: inconsistent pymalloc geometry ${JSON.stringify(g)}`);
    }
    this.geometry = { ...g };
    this.maxPools = g.arenaSize / g.poolSize;
    this.numClasses = g.smallRequestThreshold / g.alignment;
    // sizeof(struct pool_header) rounded up to ALIGNMENT: 48 with 8-byte pointers (ALIGNMENT 16),
    // 32 with 4-byte pointers (ALIGNMENT 8).
    this.poolOverhead = g.alignment >= 16 ? 48 : 32;
    this.numBlocks = new Int32Array(this.numClasses);
    for (let i = 0; i < this.numClasses; i++) this.numBlocks[i] = Math.floor((g.poolSize - this.poolOverhead) / ((i + 1) * g.alignment));
    this.wordsPerPool = Math.ceil(this.numBlocks[0]! / 32);
    this.classPools = new Float64Array(this.numClasses);
    this.classBlocks = new Float64Array(this.numClasses);
    this.mapLayout = arenaMapLayout(options.pythonHexversion ?? 0, g);
    this.trackStacks = options.trackStacks === true;
  }

  /** Applies one capture record. */
  apply(kind: number, address: number, size: number, stack: number): void {
    switch (kind) {
      case KIND.ALLOC_MEM:
      case KIND.ALLOC_OBJ:
        this.alloc(address, size, stack);
        break;
      case KIND.FREE_MEM:
      case KIND.FREE_OBJ:
        this.free(address);
        break;
      case KIND.RESIZE_MEM:
      case KIND.RESIZE_OBJ:
        this.resize(address, size, stack);
        break;
      case KIND.ARENA_ALLOC:
        this.arenaAlloc(address, size);
        break;
      case KIND.ARENA_FREE:
        this.arenaFree(address);
        break;
      default:
        break; // RAW domain, MARK
    }
    this.records++;
  }

  /** The live arena holding `address`, or null. */
  arenaOf(address: number): ArenaState | null {
    const size = this.geometry.arenaSize;
    const l = this.last;
    if (l !== null && address >= l.base && address - l.base < size) return l;
    const key = Math.floor(address / size);
    let a = this.arenas.get(key);
    if (a !== undefined && address >= a.base) return (this.last = a);
    a = this.arenas.get(key - 1);
    if (a !== undefined && address - a.base < size) return (this.last = a);
    return null;
  }

  /** Arenas alive now (in no particular order). */
  liveArenas(): IterableIterator<ArenaState> {
    return this.arenas.values();
  }

  private anomaly(kind: AnomalyKind, address: number, size: number, detail: string): void {
    this.anomalyCounts.set(kind, (this.anomalyCounts.get(kind) ?? 0) + 1);
    if (this.anomalyExamples.length < MAX_EXAMPLES) {
      this.anomalyExamples.push({ kind, record: this.records, address, size, detail });
    }
  }

  get anomalies(): number {
    let n = 0;
    for (const c of this.anomalyCounts.values()) n += c;
    return n;
  }

  /**
   * Finds the pool and block slot of `address` inside arena `a` for a block of class `cls`.
   * Returns false (and records an anomaly) when the address is not a block boundary.
   */
  private locate(a: ArenaState, address: number, cls: number, size: number): boolean {
    const g = this.geometry;
    const rel = address - a.firstPool;
    const pool = Math.floor(rel / g.poolSize);
    const off = rel - pool * g.poolSize - this.poolOverhead;
    const bsize = (cls + 1) * g.alignment;
    const slot = off / bsize;
    if (rel < 0 || pool >= a.totalPools || off < 0 || slot !== Math.floor(slot) || slot >= this.numBlocks[cls]!) {
      this.anomaly('not-a-block-boundary', address, size, `not a ${bsize}-byte block boundary in the arena at 0x${a.base.toString(16)}`);
      return false;
    }
    this.locArena = a;
    this.locPool = pool;
    this.locSlot = slot;
    return true;
  }

  alloc(address: number, size: number, stack: number): void {
    const a = this.arenaOf(address);
    const g = this.geometry;
    if (a === null) {
      if (size >= 1 && size <= g.smallRequestThreshold) this.smallOutsideArenas++;
      else this.counts.largeRequests++;
      return;
    }
    if (!(size >= 1 && size <= g.smallRequestThreshold)) {
      this.anomaly('size-not-pymalloc', address, size, `a ${size}-byte request inside an arena (pymalloc serves 1..${g.smallRequestThreshold})`);
      return;
    }
    const want = Math.floor((size - 1) / g.alignment);
    const pool = Math.floor((address - a.firstPool) / g.poolSize);
    let cls = want;
    const inUse = pool >= 0 && pool < a.totalPools && a.count[pool]! > 0;
    if (inUse && a.cls[pool] !== want) {
      cls = a.cls[pool]!;
      this.anomaly('class-mismatch', address, size, `class ${want} requested from a pool of class ${cls}`);
    }
    if (!this.locate(a, address, cls, size)) return;
    const p = this.locPool;
    const slot = this.locSlot;
    const w = p * this.wordsPerPool + (slot >>> 5);
    const bit = 1 << (slot & 31);
    if (a.live[w]! & bit) {
      this.anomaly('alloc-already-live', address, size, 'allocated again without a free in between');
      if (a.stacks !== null) a.stacks[p]![slot] = stack;
      return;
    }
    if (a.count[p] === 0) {
      this.counts.poolsTaken++;
      if (a.cls[p] !== cls && a.cls[p] !== -1) this.counts.poolClassChanges++;
      a.cls[p] = cls;
      a.usedPools++;
      this.usedPoolsAll++;
      this.classPools[cls]++;
    }
    a.live[w] = a.live[w]! | bit;
    a.count[p]++;
    a.blocks++;
    this.classBlocks[cls]++;
    if (a.stacks !== null) {
      let s = a.stacks[p];
      const n = this.numBlocks[cls]!;
      if (s === null || s === undefined || s.length < n) s = a.stacks[p] = new Uint32Array(n);
      s[slot] = stack;
    }
  }

  free(address: number): void {
    const a = this.arenaOf(address);
    if (a === null) return;
    const g = this.geometry;
    const pool = Math.floor((address - a.firstPool) / g.poolSize);
    if (pool < 0 || pool >= a.totalPools || a.count[pool] === 0) {
      this.anomaly('free-not-live', address, 0, 'freed, but its pool has no blocks in use');
      return;
    }
    const cls = a.cls[pool]!;
    if (!this.locate(a, address, cls, 0)) return;
    const slot = this.locSlot;
    const w = pool * this.wordsPerPool + (slot >>> 5);
    const bit = 1 << (slot & 31);
    if (!(a.live[w]! & bit)) {
      this.anomaly('free-not-live', address, 0, 'freed, but not live');
      return;
    }
    a.live[w] = a.live[w]! & ~bit;
    a.blocks--;
    this.classBlocks[cls]--;
    if (--a.count[pool] === 0) {
      a.usedPools--;
      this.usedPoolsAll--;
      this.classPools[cls]--;
    }
  }

  resize(address: number, size: number, stack: number): void {
    const a = this.arenaOf(address);
    const g = this.geometry;
    if (a === null) {
      if (size >= 1 && size <= g.smallRequestThreshold) this.counts.smallResizesOutsideArenas++;
      return;
    }
    this.counts.resizesInArenas++;
    const pool = Math.floor((address - a.firstPool) / g.poolSize);
    if (pool < 0 || pool >= a.totalPools || a.count[pool] === 0) {
      this.anomaly('resize-not-live', address, size, 'resized in place, but its pool has no blocks in use');
      return;
    }
    const cls = a.cls[pool]!;
    if (!this.locate(a, address, cls, size)) return;
    const slot = this.locSlot;
    if (!(a.live[pool * this.wordsPerPool + (slot >>> 5)]! & (1 << (slot & 31)))) {
      this.anomaly('resize-not-live', address, size, 'resized in place, but not live');
      return;
    }
    const bsize = (cls + 1) * g.alignment;
    if (!(size <= bsize && 4 * size > 3 * bsize)) {
      this.anomaly('resize-outside-class', address, size, `resized in place to ${size} bytes in a ${bsize}-byte block (pymalloc would move it)`);
    }
    if (a.stacks !== null) a.stacks[pool]![slot] = stack;
  }

  arenaAlloc(address: number, size: number): void {
    const g = this.geometry;
    if (size !== g.arenaSize) {
      // Not an arena: since 3.11 the frames' data stack takes its chunks (16 KiB and larger) from the
      // same allocator (_PyObject_VirtualAlloc).
      this.otherChunks.set(address, size);
      return;
    }
    if (this.arenaOf(address) !== null || this.arenaOf(address + g.arenaSize - 1) !== null) {
      this.anomaly('arena-overlap', address, size, 'arena overlaps a live arena');
      return;
    }
    const a = this.spare.pop() ?? new ArenaState(this.maxPools, this.wordsPerPool, this.trackStacks);
    a.base = address;
    const excess = address % g.poolSize;
    a.firstPool = excess === 0 ? address : address + g.poolSize - excess;
    a.totalPools = excess === 0 ? this.maxPools : this.maxPools - 1;
    this.arenas.set(Math.floor(address / g.arenaSize), a);
    if (excess !== 0) this.unalignedArenas++;
    this.totalPoolsInArenas += a.totalPools;
    this.arenasCurrent++;
    this.arenasTotal++;
    if (this.arenasCurrent > this.arenasHighwater) this.arenasHighwater = this.arenasCurrent;
    const m = this.mapLayout;
    if (m !== null) {
      this.markArenaMap(address);
      if (address % g.arenaSize !== 0) this.markArenaMap(address + g.arenaSize);
    }
  }

  private markArenaMap(address: number): void {
    const m = this.mapLayout!;
    // Indexes of the top level, and of (top, mid), over the address bits the tree covers.
    const botShift = 2 ** m.arenaBits;
    const midShift = botShift * 2 ** m.botBits;
    const topShift = midShift * 2 ** m.midBits;
    const covered = topShift * 2 ** m.topBits;
    const a = covered >= 2 ** 53 ? address : address % covered;
    this.midNodes.add(Math.floor(a / topShift));
    this.botNodes.add(Math.floor(a / midShift));
  }

  arenaFree(address: number): void {
    const g = this.geometry;
    if (this.otherChunks.delete(address)) return;
    const key = Math.floor(address / g.arenaSize);
    const a = this.arenas.get(key);
    if (a === undefined || a.base !== address) {
      this.anomaly('arena-free-unknown', address, 0, 'release of an arena that is not live');
      return;
    }
    if (a.usedPools > 0) {
      this.anomaly('arena-free-not-empty', address, 0, `arena released with ${a.blocks} blocks in ${a.usedPools} pools`);
      for (let p = 0; p < a.totalPools; p++) {
        const c = a.count[p]!;
        if (c === 0) continue;
        this.classBlocks[a.cls[p]!] -= c;
        this.classPools[a.cls[p]!]--;
      }
      this.usedPoolsAll -= a.usedPools;
    }
    this.arenas.delete(key);
    if (this.last === a) this.last = null;
    if (a.firstPool !== a.base) this.unalignedArenas--;
    this.totalPoolsInArenas -= a.totalPools;
    this.arenasCurrent--;
    a.reset();
    this.spare.push(a);
  }

  /** Arenas alive now. */
  get currentArenas(): number {
    return this.arenasCurrent;
  }

  /** Size class of a live pool (-1 when the pool has no blocks). */
  poolClass(a: ArenaState, pool: number): number {
    return a.count[pool]! > 0 ? a.cls[pool]! : -1;
  }

  snapshot(): ArenaSnapshot {
    const g = this.geometry;
    const classes: SizeClassFigures[] = [];
    let allocated = 0;
    let available = 0;
    let headers = 0;
    let quantization = 0;
    for (let i = 0; i < this.numClasses; i++) {
      const size = (i + 1) * g.alignment;
      const pools = this.classPools[i]!;
      const blocks = this.classBlocks[i]!;
      const avail = pools * this.numBlocks[i]! - blocks;
      classes.push({ index: i, size, pools, blocksInUse: blocks, availBlocks: avail });
      allocated += blocks * size;
      available += avail * size;
      headers += pools * this.poolOverhead;
      quantization += pools * ((g.poolSize - this.poolOverhead) % size);
    }
    const unused = this.totalPoolsInArenas - this.usedPoolsAll;
    return {
      classes,
      arenasAllocatedTotal: this.arenasTotal,
      arenasReclaimed: this.arenasTotal - this.arenasCurrent,
      arenasHighwater: this.arenasHighwater,
      arenasAllocatedCurrent: this.arenasCurrent,
      unusedPools: unused,
      bytesInAllocatedBlocks: allocated,
      bytesInAvailableBlocks: available,
      bytesInUnusedPools: unused * g.poolSize,
      bytesLostToPoolHeaders: headers,
      bytesLostToQuantization: quantization,
      bytesLostToArenaAlignment: this.unalignedArenas * g.poolSize,
      totalBytes: this.arenasCurrent * g.arenaSize,
      arenaMap: this.mapLayout === null ? null : { midNodes: this.midNodes.size, botNodes: this.botNodes.size },
    };
  }

  /** Anomalies as one-line messages (counts, then the first examples). */
  anomalyMessages(): string[] {
    const out: string[] = [];
    for (const [k, n] of this.anomalyCounts) out.push(`${n} x ${k}`);
    for (const e of this.anomalyExamples) {
      out.push(`record ${e.record}: ${e.kind} at 0x${e.address.toString(16)}${e.size ? ` (${e.size} bytes)` : ''}: ${e.detail}`);
    }
    return out;
  }
}

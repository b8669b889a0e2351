/**
 * Live small blocks kept by where they are: the address space is cut into 4 KiB regions, and a region
 * holding live blocks gets a dense chunk of slots, one per `width` bytes, so a block's slot is
 * (address − region start) / width. pymalloc hands out neighbouring blocks of one size class from
 * the same pool, so consecutive allocations and frees touch the same few cache lines here — where a
 * hash table sends every address to a random line (a cache and TLB miss per record once the live set
 * outgrows the cache, which is what bounded the report pass on real captures).
 *
 * Nothing here depends on pymalloc being right about anything: a slot stores its block's address and
 * is checked on every lookup; a block that would share a slot with another live block, or that is not
 * 16-byte aligned, is refused (-1) and the caller keeps it in its hash table instead. A region's slot
 * width is fixed when it gets its first block (that block's size rounded up to 16: pymalloc's size
 * class); an emptied region keeps its chunk until EMPTY_KEPT other regions have emptied since.
 *
 * The caller keeps an address live in at most one of the two places: before it fills a free slot it
 * asks mayBeElsewhere() (a count of the caller's other blocks per region, read with the same locality)
 * and, when that says so, takes the address out of its hash table first (a RESIZE of a heap block
 * shrunk in place, or an ALLOC whose block's free was never recorded).
 *
 * Entries are `stride` doubles in `data`: [address (0: empty), payload…]; the caller reads and writes
 * the payload at the offset returned.
 */
import { AddrMap } from './arena-addr-map';

/** Largest block size kept here (pymalloc's SMALL_REQUEST_THRESHOLD on every supported CPython). */
export const SMALL_BLOCK_MAX = 512;
const REGION_BYTES = 4096;
const GRANULE = 16;
/** Empty regions kept open, most recently emptied (a power of two). */
const EMPTY_KEPT = 256;
/** Buckets of the count of blocks kept elsewhere: region number modulo this (4 GiB of addresses). */
const ELSEWHERE_BUCKETS = 1 << 20;

export class SmallBlockSlots {
  /** Entries, stride doubles each, in per-region chunks. */
  data: Float64Array;
  readonly stride: number;
  /** Open regions: holding live blocks, or emptied recently (see vacate). */
  regions = 0;
  /** Live blocks kept here. */
  count = 0;
  /** Region of the last find/take (what filled/vacate act on). */
  private region = -1;

  /** Region directory: region number + 1 (AddrMap keys are nonzero) → region id. */
  private readonly directory = new AddrMap(64);
  // Per region id: its number, slot width, first entry offset, live blocks.
  private regNumber = new Float64Array(64);
  private regWidth = new Int32Array(64);
  private regBase = new Float64Array(64);
  private regLive = new Int32Array(64);
  private regOpen = new Uint8Array(64);
  /** Ring of regions that became empty, oldest first (entries may be stale: checked when leaving). */
  private readonly emptyQueue = new Int32Array(EMPTY_KEPT);
  private emptyTail = 0;
  private emptyQueued = 0;
  private freeIds: number[] = [];
  private nextId = 0;
  /** Released chunks per slot width (index width / 16), reused before the end of data grows. */
  private freeChunks: number[][] = [];
  private dataEnd = 0;
  // One-entry cache: consecutive records mostly fall in the same region.
  private lastNumber = -1;
  private lastId = -1;
  /** Per region number modulo ELSEWHERE_BUCKETS: how many of the caller's hashed blocks start there. */
  private readonly elsewhere = new Uint32Array(ELSEWHERE_BUCKETS);

  constructor(stride: number) {
    this.stride = stride;
    this.data = new Float64Array(1 << 16);
    for (let w = 0; w <= SMALL_BLOCK_MAX / GRANULE; w++) this.freeChunks.push([]);
  }

  /** Offset of addr's entry when it is live here, else -1. */
  find(addr: number): number {
    if (this.regions === 0 || addr % GRANULE !== 0) return -1;
    const number = Math.floor(addr / REGION_BYTES);
    const id = number === this.lastNumber ? this.lastId : this.lookup(number);
    if (id < 0) return -1;
    this.region = id;
    const o = this.regBase[id]! + Math.floor((addr - number * REGION_BYTES) / this.regWidth[id]!) * this.stride;
    return this.data[o] === addr ? o : -1;
  }

  /**
   * The slot where a block of `size` bytes at addr goes: data[o] is then 0 (free: fill it and call
   * filled()) or addr (live here already). -1 when it cannot be kept here.
   */
  take(addr: number, size: number): number {
    if (addr % GRANULE !== 0 || size <= 0 || size > SMALL_BLOCK_MAX) return -1;
    const number = Math.floor(addr / REGION_BYTES);
    let id = number === this.lastNumber ? this.lastId : this.lookup(number);
    if (id < 0) id = this.open(number, Math.ceil(size / GRANULE) * GRANULE);
    else if (this.regLive[id] === 0) this.rewidth(id, Math.ceil(size / GRANULE) * GRANULE);
    this.region = id;
    const o = this.regBase[id]! + Math.floor((addr - number * REGION_BYTES) / this.regWidth[id]!) * this.stride;
    const k = this.data[o]!;
    return k === 0 || k === addr ? o : -1;
  }

  /** Counts the block just stored at the slot take() returned. */
  filled(): void {
    this.regLive[this.region]!++;
    this.count++;
  }

  /**
   * Empties the slot find() or take() returned. A region left empty keeps its chunk for a while: a
   * pool whose one block is allocated and freed in a loop would otherwise open and close it each time.
   */
  vacate(o: number): void {
    this.data[o] = 0;
    this.count--;
    const id = this.region;
    if (--this.regLive[id]! === 0) this.emptied(id);
  }

  /** The caller now keeps a block at addr outside these slots (delta +1), or no longer (−1). */
  noteElsewhere(addr: number, delta: number): void {
    this.elsewhere[Math.floor(addr / REGION_BYTES) % ELSEWHERE_BUCKETS] += delta;
  }

  /** False when no block the caller keeps elsewhere can be at addr. */
  mayBeElsewhere(addr: number): boolean {
    return this.elsewhere[Math.floor(addr / REGION_BYTES) % ELSEWHERE_BUCKETS] !== 0;
  }

  /** Calls fn with the offset of every live entry. */
  forEachOffset(fn: (o: number) => void): void {
    const d = this.data;
    const stride = this.stride;
    for (let id = 0; id < this.nextId; id++) {
      if (this.regLive[id]! <= 0) continue;
      const base = this.regBase[id]!;
      const end = base + chunkSlots(this.regWidth[id]!) * stride;
      for (let o = base; o < end; o += stride) if (d[o] !== 0) fn(o);
    }
  }

  private lookup(number: number): number {
    const id = this.directory.get(number + 1);
    if (id === undefined) return -1;
    this.lastNumber = number;
    this.lastId = id;
    return id;
  }

  private open(number: number, width: number): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.newId();
    this.regNumber[id] = number;
    this.regWidth[id] = width;
    this.regLive[id] = 0;
    this.regOpen[id] = 1;
    this.regBase[id] = this.chunk(width);
    this.directory.set(number + 1, id);
    this.regions++;
    this.lastNumber = number;
    this.lastId = id;
    return id;
  }

  /** Queues an emptied region; the oldest queued ones still empty are closed. */
  private emptied(id: number): void {
    const q = this.emptyQueue;
    q[this.emptyTail] = id;
    this.emptyTail = (this.emptyTail + 1) & (EMPTY_KEPT - 1);
    if (++this.emptyQueued < EMPTY_KEPT) return;
    const old = q[this.emptyTail]!; // the oldest entry (the ring is full)
    this.emptyQueued--;
    if (this.regLive[old] === 0 && this.regOpen[old] === 1) this.close(old);
  }

  /** Gives an empty region a chunk of another slot width. */
  private rewidth(id: number, width: number): void {
    if (this.regWidth[id] === width) return;
    this.freeChunks[this.regWidth[id]! / GRANULE]!.push(this.regBase[id]!);
    this.regWidth[id] = width;
    this.regBase[id] = this.chunk(width);
  }

  private chunk(width: number): number {
    const free = this.freeChunks[width / GRANULE]!;
    if (free.length > 0) return free.pop()!;
    const doubles = chunkSlots(width) * this.stride;
    if (this.dataEnd + doubles > this.data.length) this.growData(this.dataEnd + doubles);
    const base = this.dataEnd;
    this.dataEnd += doubles;
    return base;
  }

  private close(id: number): void {
    this.regOpen[id] = 0;
    const number = this.regNumber[id]!;
    this.regLive[id] = 0;
    this.freeChunks[this.regWidth[id]! / GRANULE]!.push(this.regBase[id]!);
    this.freeIds.push(id);
    this.directory.delete(number + 1);
    this.regions--;
    this.region = -1;
    if (this.lastNumber === number) {
      this.lastNumber = -1;
      this.lastId = -1;
    }
  }

  private newId(): number {
    const id = this.nextId++;
    if (id >= this.regNumber.length) {
      const n = this.regNumber.length * 2;
      this.regNumber = grown(this.regNumber, new Float64Array(n));
      this.regWidth = grown(this.regWidth, new Int32Array(n));
      this.regBase = grown(this.regBase, new Float64Array(n));
      this.regLive = grown(this.regLive, new Int32Array(n));
      this.regOpen = grown(this.regOpen, new Uint8Array(n));
    }
    return id;
  }

  private growData(need: number): void {
    let n = this.data.length;
    while (n < need) n *= 2;
    const d = new Float64Array(n);
    d.set(this.data.subarray(0, this.dataEnd));
    this.data = d;
  }
}

/** Slots in a region's chunk: one per `width` bytes of the region. */
function chunkSlots(width: number): number {
  return Math.ceil(REGION_BYTES / width);
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(old: T, fresh: T): T {
  fresh.set(old as never);
  return fresh;
}

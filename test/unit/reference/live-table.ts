// Reference copy of src/analysis/live-table.ts before the throughput work (commit 8f320a4): the
// straightforward version the optimized reducers must agree with, figure for figure (reducers-equivalence.test.ts).
/**
 * Live allocations keyed by address: an open-addressing hash table (linear probing, backward-shift
 * deletion, no tombstones) over typed arrays. Holds millions of blocks without per-entry objects.
 * Address 0 is the empty marker and is never stored (allocators never return NULL blocks that get
 * recorded).
 */
export class LiveTable {
  private keys: Float64Array;
  private sizes: Float64Array;
  private stacks: Uint32Array;
  private mask: number;
  private used = 0;
  /** Set by lookup/remove: the size and stack of the entry found. */
  foundSize = 0;
  foundStack = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.stacks = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  private slot(addr: number): number {
    const lo = addr >>> 0; // low 32 bits (addresses are < 2^53)
    const hi = (addr / 4294967296) >>> 0;
    let h = Math.imul(lo ^ (lo >>> 16), 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
    h ^= h >>> 13;
    h = Math.imul(h, 0x27d4eb2f);
    h ^= h >>> 16;
    return h & this.mask;
  }

  /**
   * Inserts or replaces. Returns true when the address was already live; then foundSize/foundStack
   * hold the previous entry.
   */
  set(addr: number, size: number, stack: number): boolean {
    if (addr === 0) return false;
    const keys = this.keys;
    let i = this.slot(addr);
    while (true) {
      const k = keys[i]!;
      if (k === 0) break;
      if (k === addr) {
        this.foundSize = this.sizes[i]!;
        this.foundStack = this.stacks[i]!;
        this.sizes[i] = size;
        this.stacks[i] = stack;
        return true;
      }
      i = (i + 1) & this.mask;
    }
    keys[i] = addr;
    this.sizes[i] = size;
    this.stacks[i] = stack;
    if (++this.used * 2 > this.mask) this.grow();
    return false;
  }

  /** Looks up an address; on success foundSize/foundStack hold the entry. */
  get(addr: number): boolean {
    if (addr === 0) return false;
    const keys = this.keys;
    let i = this.slot(addr);
    while (true) {
      const k = keys[i]!;
      if (k === 0) return false;
      if (k === addr) {
        this.foundSize = this.sizes[i]!;
        this.foundStack = this.stacks[i]!;
        return true;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes an address; returns false when unknown. On success foundSize/foundStack hold the entry. */
  delete(addr: number): boolean {
    if (addr === 0) return false;
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slot(addr);
    while (true) {
      const k = keys[i]!;
      if (k === 0) return false;
      if (k === addr) break;
      i = (i + 1) & mask;
    }
    this.foundSize = this.sizes[i]!;
    this.foundStack = this.stacks[i]!;
    // Backward-shift deletion.
    let j = i;
    while (true) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === 0) break;
      const home = this.slot(k);
      // Move k into the hole at i when its home is not cyclically within (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        keys[i] = k;
        this.sizes[i] = this.sizes[j]!;
        this.stacks[i] = this.stacks[j]!;
        i = j;
      }
    }
    keys[i] = 0;
    this.sizes[i] = 0;
    this.stacks[i] = 0;
    this.used--;
    return true;
  }

  /** Calls fn for every live block (unordered). */
  forEach(fn: (addr: number, size: number, stack: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) fn(k, this.sizes[i]!, this.stacks[i]!);
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldSizes = this.sizes;
    const oldStacks = this.stacks;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.stacks = new Uint32Array(cap);
    this.mask = cap - 1;
    const keys = this.keys;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s]!;
      if (k === 0) continue;
      let i = this.slot(k);
      while (keys[i] !== 0) i = (i + 1) & this.mask;
      keys[i] = k;
      this.sizes[i] = oldSizes[s]!;
      this.stacks[i] = oldStacks[s]!;
    }
  }
}

/**
 * Live allocations keyed by address: an open-addressing hash table (linear probing, backward-shift
 * deletion, no tombstones) over one typed array. Holds millions of blocks without per-entry objects.
 * Address 0 is the empty marker and is never stored (allocators never return NULL blocks that get
 * recorded).
 *
 * Speed matters here (one lookup per record): a slot is [address, size, stack, -] in one
 * Float64Array, so a lookup touches one cache line rather than one per column, and the hash is a
 * single multiplication (Fibonacci hashing: the top bits of the product spread the 16-byte-aligned,
 * clustered addresses of an allocator evenly).
 */

/** 2^32 / golden ratio, odd. */
const FIB = 0x9e3779b1;
const TWO32 = 4294967296;
const STRIDE = 4;

/**
 * Home slot of an address in a table of 2^(32 - shift) slots. Mixes in the bits above 32 so
 * addresses 4 GiB apart do not collide (addresses are < 2^53, exact as doubles).
 */
export function addressHash(addr: number, shift: number): number {
  return Math.imul((addr >>> 0) ^ ((addr / TWO32) >>> 0), FIB) >>> shift;
}

export class LiveTable {
  /** STRIDE doubles per slot: address (0: empty), size, stack. */
  private slots: Float64Array;
  /** 32 - log2(number of slots). */
  private shift: number;
  /** Mask of a slot's first index (number of slots * STRIDE - 1, stride-aligned by construction). */
  private mask: number;
  private used = 0;
  /** Slots in use beyond which the table doubles (half the slots). */
  private limit: number;
  /** Set by set/get/delete: the size and stack of the entry found. */
  foundSize = 0;
  foundStack = 0;

  // Starts small: a table much larger than the live set spreads fresh addresses over cold cache lines.
  constructor(initialCapacity = 256) {
    let bits = 4;
    while (1 << bits < initialCapacity * 2) bits++;
    this.slots = new Float64Array((1 << bits) * STRIDE);
    this.shift = 32 - bits;
    this.mask = (1 << bits) * STRIDE - 1;
    this.limit = 1 << (bits - 1);
  }

  get size(): number {
    return this.used;
  }

  /**
   * Inserts or replaces. Returns true when the address was already live; then foundSize/foundStack
   * hold the previous entry.
   */
  set(addr: number, size: number, stack: number): boolean {
    if (addr === 0) return false;
    const s = this.slots;
    const mask = this.mask;
    let i = addressHash(addr, this.shift) * STRIDE;
    while (true) {
      const k = s[i]!;
      if (k === addr) {
        this.foundSize = s[i + 1]!;
        this.foundStack = s[i + 2]!;
        s[i + 1] = size;
        s[i + 2] = stack;
        return true;
      }
      if (k === 0) break;
      i = (i + STRIDE) & mask;
    }
    s[i] = addr;
    s[i + 1] = size;
    s[i + 2] = stack;
    if (++this.used > this.limit) this.grow();
    return false;
  }

  /** Looks up an address; on success foundSize/foundStack hold the entry. */
  get(addr: number): boolean {
    if (addr === 0) return false;
    const s = this.slots;
    const mask = this.mask;
    let i = addressHash(addr, this.shift) * STRIDE;
    while (true) {
      const k = s[i]!;
      if (k === addr) {
        this.foundSize = s[i + 1]!;
        this.foundStack = s[i + 2]!;
        return true;
      }
      if (k === 0) return false;
      i = (i + STRIDE) & mask;
    }
  }

  /** Removes an address; returns false when unknown. On success foundSize/foundStack hold the entry. */
  delete(addr: number): boolean {
    if (addr === 0) return false;
    const s = this.slots;
    const mask = this.mask;
    const shift = this.shift;
    let i = addressHash(addr, shift) * STRIDE;
    while (true) {
      const k = s[i]!;
      if (k === addr) break;
      if (k === 0) return false;
      i = (i + STRIDE) & mask;
    }
    this.foundSize = s[i + 1]!;
    this.foundStack = s[i + 2]!;
    // Backward-shift deletion: move later entries of the run into the hole unless that would put
    // them before their home slot.
    let j = i;
    while (true) {
      j = (j + STRIDE) & mask;
      const k = s[j]!;
      if (k === 0) break;
      const home = addressHash(k, shift) * STRIDE;
      // Leave k when its home is cyclically within (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        s[i] = k;
        s[i + 1] = s[j + 1]!;
        s[i + 2] = s[j + 2]!;
        i = j;
      }
    }
    s[i] = 0;
    this.used--;
    return true;
  }

  /** Calls fn for every live block (unordered). */
  forEach(fn: (addr: number, size: number, stack: number) => void): void {
    const s = this.slots;
    for (let i = 0; i < s.length; i += STRIDE) {
      const k = s[i]!;
      if (k !== 0) fn(k, s[i + 1]!, s[i + 2]!);
    }
  }

  private grow(): void {
    const old = this.slots;
    const bits = 32 - this.shift + 1;
    const s = new Float64Array((1 << bits) * STRIDE);
    this.slots = s;
    this.shift = 32 - bits;
    this.mask = (1 << bits) * STRIDE - 1;
    this.limit = 1 << (bits - 1);
    const mask = this.mask;
    for (let o = 0; o < old.length; o += STRIDE) {
      const k = old[o]!;
      if (k === 0) continue;
      let i = addressHash(k, this.shift) * STRIDE;
      while (s[i] !== 0) i = (i + STRIDE) & mask;
      s[i] = k;
      s[i + 1] = old[o + 1]!;
      s[i + 2] = old[o + 2]!;
    }
  }
}

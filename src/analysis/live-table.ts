/**
 * Live allocations keyed by address. Small blocks (pymalloc's) are kept by where they are
 * (SmallBlockSlots: neighbouring blocks share cache lines); the rest, and any small block those slots
 * refuse, in an open-addressing hash table (linear probing, backward-shift deletion, no tombstones)
 * over one typed array. Holds millions of blocks without per-entry objects. Address 0 is the empty
 * marker and is never stored (allocators never return NULL blocks that get recorded).
 *
 * An address is live in at most one of the two parts: a block that becomes small at an address the
 * hash table holds (a heap block shrunk in place, an ALLOC whose free was never recorded) is taken
 * out of the table first.
 *
 * Speed matters here (one lookup per record): a hash slot is [address, size, stack, -] in one
 * Float64Array, so a lookup touches one cache line rather than one per column, and the hash is a
 * single multiplication (Fibonacci hashing: the top bits of the product spread the 16-byte-aligned,
 * clustered addresses of an allocator evenly).
 */

import { addressHash } from './address-hash';
import { SMALL_BLOCK_MAX, SmallBlockSlots } from './small-blocks';

export { addressHash };

const STRIDE = 4;

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
  private readonly small = new SmallBlockSlots(3);

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
    return this.used + this.small.count;
  }

  /**
   * Inserts or replaces. Returns true when the address was already live; then foundSize/foundStack
   * hold the previous entry.
   */
  set(addr: number, size: number, stack: number): boolean {
    if (addr === 0) return false;
    const small = this.small;
    if (size > 0 && size <= SMALL_BLOCK_MAX) {
      const o = small.take(addr, size);
      if (o >= 0) {
        const d = small.data;
        let was = false;
        if (d[o] === addr) {
          this.foundSize = d[o + 1]!;
          this.foundStack = d[o + 2]!;
          was = true;
        } else {
          if (small.mayBeElsewhere(addr)) was = this.hashDelete(addr);
          d[o] = addr;
          small.filled();
        }
        d[o + 1] = size;
        d[o + 2] = stack;
        return was;
      }
    } else if (small.regions > 0) {
      const o = small.find(addr);
      if (o >= 0) {
        const d = small.data;
        this.foundSize = d[o + 1]!;
        this.foundStack = d[o + 2]!;
        d[o + 1] = size;
        d[o + 2] = stack;
        return true;
      }
    }
    return this.hashSet(addr, size, stack);
  }

  /** Looks up an address; on success foundSize/foundStack hold the entry. */
  get(addr: number): boolean {
    const o = this.small.find(addr);
    if (o >= 0) {
      this.foundSize = this.small.data[o + 1]!;
      this.foundStack = this.small.data[o + 2]!;
      return true;
    }
    return this.hashGet(addr);
  }

  /** Removes an address; returns false when unknown. On success foundSize/foundStack hold the entry. */
  delete(addr: number): boolean {
    const small = this.small;
    const o = small.find(addr);
    if (o >= 0) {
      this.foundSize = small.data[o + 1]!;
      this.foundStack = small.data[o + 2]!;
      small.vacate(o);
      return true;
    }
    return this.hashDelete(addr);
  }

  /** Calls fn for every live block (unordered). */
  forEach(fn: (addr: number, size: number, stack: number) => void): void {
    const s = this.slots;
    for (let i = 0; i < s.length; i += STRIDE) {
      const k = s[i]!;
      if (k !== 0) fn(k, s[i + 1]!, s[i + 2]!);
    }
    const d = this.small.data;
    this.small.forEachOffset((o) => fn(d[o]!, d[o + 1]!, d[o + 2]!));
  }

  private hashSet(addr: number, size: number, stack: number): boolean {
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
    this.small.noteElsewhere(addr, 1);
    if (++this.used > this.limit) this.grow();
    return false;
  }

  private hashGet(addr: number): boolean {
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

  private hashDelete(addr: number): boolean {
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
    this.small.noteElsewhere(addr, -1);
    this.used--;
    return true;
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

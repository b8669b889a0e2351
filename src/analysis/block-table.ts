/**
 * Live blocks keyed by address for the report reducer: like LiveTable (small blocks kept by where they
 * are, the rest in a hash table with open addressing, linear probing, backward-shift deletion, the
 * same hash and the same rules between the two parts) but each entry also carries its row (stack
 * node × thread), the allocation's index among all allocations and its time. Address 0 is the empty
 * marker.
 *
 * A slot is [address, size, row, index, time] in one Float64Array: a lookup touches one or two
 * cache lines instead of one per column.
 */
import { addressHash } from './address-hash';
import { SMALL_BLOCK_MAX, SmallBlockSlots } from './small-blocks';

const STRIDE = 5;

export class BlockTable {
  private slots: Float64Array;
  /** 32 - log2(number of slots). */
  private shift: number;
  /** slots.length: the index after the last slot (probing wraps to 0 there). */
  private end: number;
  private used = 0;
  /** Slots in use beyond which the table doubles (half the slots). */
  private limit: number;
  /** Set by set (when replacing) and delete: the entry found. */
  foundSize = 0;
  foundRow = 0;
  foundIdx = 0;
  foundTime = 0;
  private readonly small = new SmallBlockSlots(5);

  // Starts small: a table much larger than the live set spreads fresh addresses over cold cache lines.
  constructor(initialCapacity = 256) {
    let bits = 4;
    while (1 << bits < initialCapacity * 2) bits++;
    this.slots = new Float64Array((1 << bits) * STRIDE);
    this.shift = 32 - bits;
    this.end = this.slots.length;
    this.limit = 1 << (bits - 1);
  }

  get size(): number {
    return this.used + this.small.count;
  }

  /**
   * Inserts or replaces; returns true when the address was live (found* then hold the old entry).
   */
  set(addr: number, size: number, row: number, index: number, time: number): boolean {
    if (addr === 0) return false;
    const small = this.small;
    let o = -1;
    if (size > 0 && size <= SMALL_BLOCK_MAX) {
      o = small.take(addr, size);
      if (o >= 0 && small.data[o] !== addr) {
        const was = small.mayBeElsewhere(addr) && this.hashDelete(addr);
        const d = small.data;
        d[o] = addr;
        d[o + 1] = size;
        d[o + 2] = row;
        d[o + 3] = index;
        d[o + 4] = time;
        small.filled();
        return was;
      }
    } else if (small.regions > 0) {
      o = small.find(addr);
    }
    if (o < 0) return this.hashSet(addr, size, row, index, time);
    // Live in the small part: replace in place.
    const d = small.data;
    this.foundSize = d[o + 1]!;
    this.foundRow = d[o + 2]!;
    this.foundIdx = d[o + 3]!;
    this.foundTime = d[o + 4]!;
    d[o + 1] = size;
    d[o + 2] = row;
    d[o + 3] = index;
    d[o + 4] = time;
    return true;
  }

  /** Removes an address; false when unknown. On success found* hold the entry. */
  delete(addr: number): boolean {
    const small = this.small;
    const o = small.find(addr);
    if (o < 0) return this.hashDelete(addr);
    const d = small.data;
    this.foundSize = d[o + 1]!;
    this.foundRow = d[o + 2]!;
    this.foundIdx = d[o + 3]!;
    this.foundTime = d[o + 4]!;
    small.vacate(o);
    return true;
  }

  private hashSet(addr: number, size: number, row: number, index: number, time: number): boolean {
    const s = this.slots;
    const end = this.end;
    let i = addressHash(addr, this.shift) * STRIDE;
    while (true) {
      const k = s[i]!;
      if (k === addr) {
        this.foundSize = s[i + 1]!;
        this.foundRow = s[i + 2]!;
        this.foundIdx = s[i + 3]!;
        this.foundTime = s[i + 4]!;
        s[i + 1] = size;
        s[i + 2] = row;
        s[i + 3] = index;
        s[i + 4] = time;
        return true;
      }
      if (k === 0) break;
      i += STRIDE;
      if (i === end) i = 0;
    }
    s[i] = addr;
    s[i + 1] = size;
    s[i + 2] = row;
    s[i + 3] = index;
    s[i + 4] = time;
    this.small.noteElsewhere(addr, 1);
    if (++this.used > this.limit) this.grow();
    return false;
  }

  private hashDelete(addr: number): boolean {
    if (addr === 0) return false;
    const s = this.slots;
    const end = this.end;
    const shift = this.shift;
    let i = addressHash(addr, shift) * STRIDE;
    while (true) {
      const k = s[i]!;
      if (k === addr) break;
      if (k === 0) return false;
      i += STRIDE;
      if (i === end) i = 0;
    }
    this.foundSize = s[i + 1]!;
    this.foundRow = s[i + 2]!;
    this.foundIdx = s[i + 3]!;
    this.foundTime = s[i + 4]!;
    // Backward-shift deletion (see LiveTable.delete).
    let j = i;
    while (true) {
      j += STRIDE;
      if (j === end) j = 0;
      const k = s[j]!;
      if (k === 0) break;
      const home = addressHash(k, shift) * STRIDE;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        s[i] = k;
        s[i + 1] = s[j + 1]!;
        s[i + 2] = s[j + 2]!;
        s[i + 3] = s[j + 3]!;
        s[i + 4] = s[j + 4]!;
        i = j;
      }
    }
    s[i] = 0;
    this.small.noteElsewhere(addr, -1);
    this.used--;
    return true;
  }

  /** Calls fn for every live block (unordered). */
  forEach(fn: (addr: number, size: number, row: number, index: number, time: number) => void): void {
    const s = this.slots;
    for (let i = 0; i < s.length; i += STRIDE) {
      const k = s[i]!;
      if (k !== 0) fn(k, s[i + 1]!, s[i + 2]!, s[i + 3]!, s[i + 4]!);
    }
    const d = this.small.data;
    this.small.forEachOffset((o) => fn(d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!, d[o + 4]!));
  }

  private grow(): void {
    const old = this.slots;
    const bits = 32 - this.shift + 1;
    const s = new Float64Array((1 << bits) * STRIDE);
    this.slots = s;
    this.shift = 32 - bits;
    this.end = s.length;
    this.limit = 1 << (bits - 1);
    for (let o = 0; o < old.length; o += STRIDE) {
      const k = old[o]!;
      if (k === 0) continue;
      let i = addressHash(k, this.shift) * STRIDE;
      while (s[i] !== 0) {
        i += STRIDE;
        if (i === s.length) i = 0;
      }
      s[i] = k;
      s[i + 1] = old[o + 1]!;
      s[i + 2] = old[o + 2]!;
      s[i + 3] = old[o + 3]!;
      s[i + 4] = old[o + 4]!;
    }
  }
}

// Reference copy of src/analysis/block-table.ts before the throughput work (commit 8f320a4): the
// straightforward version the optimized reducers must agree with, figure for figure (reducers-equivalence.test.ts).
/**
 * Live blocks keyed by address for the report reducer: like LiveTable (open addressing, linear
 * probing, backward-shift deletion) but each entry also carries its row (stack node × thread), the
 * allocation's index among all allocations and its time. Address 0 is the empty marker.
 */
export class BlockTable {
  private keys: Float64Array;
  private sizes: Float64Array;
  private rows: Uint32Array;
  private idx: Float64Array;
  private times: Float64Array;
  private mask: number;
  private used = 0;
  /** Set by set (when replacing) and delete: the entry found. */
  foundSize = 0;
  foundRow = 0;
  foundIdx = 0;
  foundTime = 0;

  constructor(initialCapacity = 1 << 16) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.rows = new Uint32Array(cap);
    this.idx = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  private slot(addr: number): number {
    const lo = addr >>> 0;
    const hi = (addr / 4294967296) >>> 0;
    let h = Math.imul(lo ^ (lo >>> 16), 0x85ebca6b) ^ Math.imul(hi, 0xc2b2ae35);
    h ^= h >>> 13;
    h = Math.imul(h, 0x27d4eb2f);
    h ^= h >>> 16;
    return h & this.mask;
  }

  /** Inserts or replaces; returns true when the address was live (found* then hold the old entry). */
  set(addr: number, size: number, row: number, index: number, time: number): boolean {
    if (addr === 0) return false;
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slot(addr);
    while (true) {
      const k = keys[i]!;
      if (k === 0) break;
      if (k === addr) {
        this.foundSize = this.sizes[i]!;
        this.foundRow = this.rows[i]!;
        this.foundIdx = this.idx[i]!;
        this.foundTime = this.times[i]!;
        this.sizes[i] = size;
        this.rows[i] = row;
        this.idx[i] = index;
        this.times[i] = time;
        return true;
      }
      i = (i + 1) & mask;
    }
    keys[i] = addr;
    this.sizes[i] = size;
    this.rows[i] = row;
    this.idx[i] = index;
    this.times[i] = time;
    if (++this.used * 2 > this.mask) this.grow();
    return false;
  }

  /** Removes an address; false when unknown. On success found* hold the entry. */
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
    this.foundRow = this.rows[i]!;
    this.foundIdx = this.idx[i]!;
    this.foundTime = this.times[i]!;
    let j = i;
    while (true) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === 0) break;
      const home = this.slot(k);
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        keys[i] = k;
        this.sizes[i] = this.sizes[j]!;
        this.rows[i] = this.rows[j]!;
        this.idx[i] = this.idx[j]!;
        this.times[i] = this.times[j]!;
        i = j;
      }
    }
    keys[i] = 0;
    this.used--;
    return true;
  }

  /** Calls fn for every live block (unordered). */
  forEach(fn: (addr: number, size: number, row: number, index: number, time: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== 0) fn(k, this.sizes[i]!, this.rows[i]!, this.idx[i]!, this.times[i]!);
    }
  }

  private grow(): void {
    const ok = this.keys;
    const os = this.sizes;
    const orow = this.rows;
    const oi = this.idx;
    const ot = this.times;
    const cap = ok.length * 2;
    this.keys = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.rows = new Uint32Array(cap);
    this.idx = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.mask = cap - 1;
    const keys = this.keys;
    for (let s = 0; s < ok.length; s++) {
      const k = ok[s]!;
      if (k === 0) continue;
      let i = this.slot(k);
      while (keys[i] !== 0) i = (i + 1) & this.mask;
      keys[i] = k;
      this.sizes[i] = os[s]!;
      this.rows[i] = orow[s]!;
      this.idx[i] = oi[s]!;
      this.times[i] = ot[s]!;
    }
  }
}

/**
 * address → number hash map with open addressing (linear probing, backward-shift deletion) over
 * typed arrays. JavaScript's Map is slow with addresses as keys (they are not small integers).
 * Keys are non-negative integers below 2^53; 0 is not a valid key (no block lives at address 0).
 */
export class AddrMap {
  private keys: Float64Array;
  private values: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Float64Array(cap);
    this.mask = cap - 1;
  }

  private slot(key: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }

  /** The value at `key`, or undefined. */
  get(key: number): number | undefined {
    const keys = this.keys;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i]!;
      if (k === key) return this.values[i];
      if (k === 0) return undefined;
      i = (i + 1) & this.mask;
    }
  }

  /** Sets `key` to `value`; returns the previous value or undefined. */
  set(key: number, value: number): number | undefined {
    const keys = this.keys;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        const old = this.values[i];
        this.values[i] = value;
        return old;
      }
      if (k === 0) break;
      i = (i + 1) & this.mask;
    }
    keys[i] = key;
    this.values[i] = value;
    if (++this.size * 2 > keys.length) this.grow();
    return undefined;
  }

  /** Removes `key`; returns its value or undefined. */
  delete(key: number): number | undefined {
    const keys = this.keys;
    const values = this.values;
    const mask = this.mask;
    let i = this.slot(key);
    for (;;) {
      const k = keys[i]!;
      if (k === 0) return undefined;
      if (k === key) break;
      i = (i + 1) & mask;
    }
    const old = values[i];
    // Backward-shift: move later entries of the probe run into the hole.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === 0) break;
      const home = this.slot(k);
      // Move k when its home is not cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        keys[i] = k;
        values[i] = values[j]!;
        i = j;
      }
    }
    keys[i] = 0;
    values[i] = 0;
    this.size--;
    return old;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.values = new Float64Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k !== 0) this.set(k, oldValues[i]!);
    }
  }
}

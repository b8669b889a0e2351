/**
 * A map from a pair of uint32 (a, b) to a non-negative int32, for the report reducer's small indexes
 * ((stack, thread) → row, (row, position) → aggregate). Open addressing over typed arrays: a JS Map
 * would need a key a * 2^k + b beyond the small-integer range, which it hashes as a heap number.
 *
 * clear() is O(1): a slot counts as used only when it carries the current epoch.
 */
export class PairIndex {
  private keys: Uint32Array;
  private values: Int32Array;
  private epochs: Uint32Array;
  private epoch = 1;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 64) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap * 2);
    this.values = new Int32Array(cap);
    this.epochs = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.used;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
  }

  /** The value of (a, b), or -1 when absent. */
  get(a: number, b: number): number {
    const mask = this.mask;
    const keys = this.keys;
    const epochs = this.epochs;
    const epoch = this.epoch;
    let i = PairIndex.hash(a, b) & mask;
    while (epochs[i] === epoch) {
      if (keys[2 * i] === a && keys[2 * i + 1] === b) return this.values[i]!;
      i = (i + 1) & mask;
    }
    return -1;
  }

  /** Sets (a, b) → value (value >= 0). */
  set(a: number, b: number, value: number): void {
    const mask = this.mask;
    const keys = this.keys;
    const epochs = this.epochs;
    const epoch = this.epoch;
    let i = PairIndex.hash(a, b) & mask;
    while (epochs[i] === epoch) {
      if (keys[2 * i] === a && keys[2 * i + 1] === b) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    epochs[i] = epoch;
    keys[2 * i] = a;
    keys[2 * i + 1] = b;
    this.values[i] = value;
    if (++this.used * 2 > mask) this.grow();
  }

  clear(): void {
    this.used = 0;
    if (++this.epoch === 0xffffffff) {
      this.epochs.fill(0);
      this.epoch = 1;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldEpochs = this.epochs;
    const oldEpoch = this.epoch;
    const cap = oldValues.length * 2;
    this.keys = new Uint32Array(cap * 2);
    this.values = new Int32Array(cap);
    this.epochs = new Uint32Array(cap);
    this.epoch = 1;
    this.mask = cap - 1;
    this.used = 0;
    for (let i = 0; i < oldValues.length; i++) {
      if (oldEpochs[i] === oldEpoch) this.set(oldKeys[2 * i]!, oldKeys[2 * i + 1]!, oldValues[i]!);
    }
  }
}

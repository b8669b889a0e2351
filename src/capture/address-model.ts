/**
 * The address model of record batches (capture format 3; RecordBatch fields 8-9 in
 * proto/capture.proto): a port of native/capture/address_model.h, which is the reference — same
 * state, same update rules, same ops, same checks. Addresses and 64-bit state are doubles here: the
 * decoder refuses every address outside [0, 2^53), where doubles and uint64 agree, and the sums it
 * forms around that bound round the same side of it (rounding is monotonic). uint32 counters wrap
 * with `>>> 0` as the C++ ones do.
 *
 * The decoder's state runs through all the batches of a capture: one AddressDecoder per capture,
 * fed every batch in order (startBatch() before each). The encoder (the writer's side) is here for
 * tests: it makes the same choices as the C++ one, so it writes the same ops and args.
 */

export const WINDOW = 1 << 16; // allocations a free may refer back to
const WINDOW_MASK = WINDOW - 1;
const DEPTH = 4; // recently freed blocks kept per size class
export const SMALL_CLASSES = 32; // pymalloc's (16-byte steps up to 512)
const LAST_LARGE_STEP = 4095;
export const CLASSES = SMALL_CLASSES + LAST_LARGE_STEP + 2; // + one for everything larger
const POOL_TABLE = 4096; // pool (4 KiB region) -> small class, direct-mapped
const POOL_BYTES = 4096;
export const MAX_EXACT = 9007199254740992; // 2^53

export const OP = {
  OTHER16: 0, // other kinds: prevR + 16 * arg
  RAW: 1, // any kind: the address itself (off the 16-byte grid of its base; rare)
  FREE_DELTA: 2, // free: prevF[domain] + 16 * arg
  REUSE_TOP: 3, // alloc: the most recently freed block of its class
  NEXT_IN_POOL: 4, // alloc (small class c): the class's last allocation + 16 * (c + 1)
  ALLOC_DELTA: 5, // alloc: prevA[small or not] + 16 * arg
  REUSE_AT: 6, // alloc: the arg-th most recently freed block of its class
  FREE_RECENT_ARG: 8, // free: the block of allocation number nalloc - 1 - arg
  FREE_SEQ_ARG: 9, // free: the block of allocation number oprev + 1 + arg
  CLASS_DELTA: 10, // alloc: the class's last allocation + 16 * arg
  FREE_RECENT0: 16, // 16..31: FREE_RECENT_ARG with arg op - 16
  FREE_SEQ0: 32, // 32..47: FREE_SEQ_ARG with arg op - 32
  FREE_CLASS0: 48, // 48..79: free, small class op - 48 (by its pool): the class's last free + 16 * arg
} as const;

/**
 * OP_USE[kind * 256 + op]: 0 when the decoder refuses op for records of that kind (kinds 1..12),
 * 1 when it takes no arg, 2 when it reads one. Lets a reader fetch the arg before decode().
 */
export const OP_USE = new Uint8Array(13 * 256);
for (let k = 1; k <= 12; k++) {
  const row = k * 256;
  OP_USE[row + OP.RAW] = 2;
  if (k >= 4 && k <= 6) {
    OP_USE[row + OP.FREE_RECENT_ARG] = 2;
    OP_USE[row + OP.FREE_SEQ_ARG] = 2;
    OP_USE[row + OP.FREE_DELTA] = 2;
    for (let op = OP.FREE_RECENT0; op < OP.FREE_CLASS0; op++) OP_USE[row + op] = 1;
    for (let op = OP.FREE_CLASS0; op < OP.FREE_CLASS0 + SMALL_CLASSES; op++) OP_USE[row + op] = 2;
  } else if (k >= 1 && k <= 3) {
    OP_USE[row + OP.REUSE_TOP] = 1;
    OP_USE[row + OP.REUSE_AT] = 2;
    OP_USE[row + OP.NEXT_IN_POOL] = 1; // small classes only: decode() checks
    OP_USE[row + OP.CLASS_DELTA] = 2;
    OP_USE[row + OP.ALLOC_DELTA] = 2;
  } else {
    OP_USE[row + OP.OTHER16] = 2;
  }
}

function isAllocKind(k: number): boolean {
  return k >= 1 && k <= 3;
}
function isFreeKind(k: number): boolean {
  return k >= 4 && k <= 6;
}
/** 0 RAW, 1 MEM and OBJ, 2 the other kinds. */
function domain(k: number): number {
  return k === 1 || k === 4 || k === 7 ? 0 : k >= 2 && k <= 9 ? 1 : 2;
}

/**
 * Size class of an allocation: pymalloc's for small MEM/OBJ requests, else 16-byte steps of the
 * size plus malloc's header, with one class for everything above 65512 bytes. `size` holds a
 * non-negative integer (floor is the C++ truncation).
 */
export function sizeClass(kind: number, size: number): number {
  if ((kind === 2 || kind === 3) && size <= 512) return size >= 1 ? Math.floor((size - 1) / 16) : 0;
  if (size > 65512) return SMALL_CLASSES + LAST_LARGE_STEP + 1;
  const q = Math.floor((size + 23) / 16);
  return SMALL_CLASSES + (q < 2 ? 2 : q);
}

/** unzigzag of an integer z in [0, 2^53): even z -> z/2, odd z -> -(z+1)/2 (exact). */
function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** What writer and reader both keep (address_model.h's State). */
class State {
  nalloc = 0;
  oprev = 0;
  prevR = 0;
  prevA0 = 0;
  prevA1 = 0;
  prevF0 = 0;
  prevF1 = 0;
  prevF2 = 0;
  readonly lifo = new Float64Array(CLASSES * DEPTH);
  readonly lifoN = new Uint8Array(CLASSES);
  readonly last = new Float64Array(CLASSES);
  readonly lastFree = new Float64Array(SMALL_CLASSES);
  readonly poolKey = new Float64Array(POOL_TABLE);
  readonly poolClass = new Uint8Array(POOL_TABLE);
  readonly ringAddr = new Float64Array(WINDOW);
  readonly ringClass = new Uint16Array(WINDOW);

  startBatch(): void {
    this.prevR = 0;
    this.prevA0 = this.prevA1 = 0;
    this.prevF0 = this.prevF1 = this.prevF2 = 0;
  }

  prevF(dom: number): number {
    return dom === 0 ? this.prevF0 : dom === 1 ? this.prevF1 : this.prevF2;
  }
  setPrevF(dom: number, a: number): void {
    if (dom === 0) this.prevF0 = a;
    else if (dom === 1) this.prevF1 = a;
    else this.prevF2 = a;
  }

  /** j-th from the top (0: the most recent). */
  lifoAt(c: number, j: number): number {
    return this.lifo[c * DEPTH + this.lifoN[c]! - 1 - j]!;
  }
  lifoFind(c: number, a: number): number {
    for (let j = 0; j < this.lifoN[c]!; j++) if (this.lifoAt(c, j) === a) return j;
    return -1;
  }
  lifoTake(c: number, j: number): void {
    const l = this.lifo;
    const base = c * DEPTH;
    const n = this.lifoN[c]!;
    for (let i = n - 1 - j; i + 1 < n; i++) l[base + i] = l[base + i + 1]!;
    this.lifoN[c] = n - 1;
  }
  /** A freed block of class c (the oldest of DEPTH drops out). */
  freed(c: number, a: number): void {
    const l = this.lifo;
    const base = c * DEPTH;
    let n = this.lifoN[c]!;
    if (n === DEPTH) {
      for (let i = 0; i + 1 < DEPTH; i++) l[base + i] = l[base + i + 1]!;
      n--;
    }
    l[base + n] = a;
    this.lifoN[c] = n + 1;
    if (c < SMALL_CLASSES) this.lastFree[c] = a;
  }
  poolClassOf(a: number): number {
    const key = Math.floor(a / POOL_BYTES);
    const slot = key % POOL_TABLE;
    return this.poolKey[slot] === key + 1 ? this.poolClass[slot]! : -1;
  }
  /** Allocation number nalloc made block a of class c. */
  allocated(c: number, a: number): void {
    this.last[c] = a;
    if (c < SMALL_CLASSES) {
      this.prevA0 = a;
      const key = Math.floor(a / POOL_BYTES);
      const slot = key % POOL_TABLE;
      this.poolKey[slot] = key + 1;
      this.poolClass[slot] = c;
    } else {
      this.prevA1 = a;
    }
    const r = this.nalloc & WINDOW_MASK;
    this.ringAddr[r] = a;
    this.ringClass[r] = c;
    this.nalloc = (this.nalloc + 1) >>> 0;
  }
  /** Allocation number o, when it is within the window: d = nalloc - 1 - o < min(WINDOW, nalloc). */
  inWindow(o: number): boolean {
    const d = (this.nalloc - 1 - o) >>> 0;
    return d < WINDOW && d < this.nalloc;
  }
}

/** Why AddressDecoder.decode returned -1 (in `failure`; a figure for the message in `failValue`). */
export const ModelFailure = {
  NONE: 0,
  /** The op does not apply to the record's kind (failValue: -1), or NEXT_IN_POOL for a large class (failValue: the class). */
  OP: 1,
  /** The arg is missing or not below 2^53 (failValue: the arg, -1 when missing). */
  ARG: 2,
  /** A free's allocation is outside the window (failValue: how many allocations before the latest it is). */
  WINDOW: 3,
  /** A reuse op's index is beyond the class's list of freed blocks (failValue: the index). */
  REUSE: 4,
  /** The address leaves [0, 2^53) (failValue: the address as computed). */
  ADDRESS: 5,
} as const;

/** The reader's side (address_model.h's Decoder). */
export class AddressDecoder {
  private readonly s = new State();
  /** After decode() returned -1: why, and a figure for the message. */
  failure: number = ModelFailure.NONE;
  failValue = 0;

  startBatch(): void {
    this.s.startBatch();
  }

  /** Entries in the reuse list of the class that an allocation of (kind, size) belongs to (for messages). */
  reuseListLength(kind: number, size: number): number {
    return this.s.lifoN[sizeClass(kind, size)]!;
  }

  /** Allocations made so far (mod 2^32; for messages). */
  get allocations(): number {
    return this.s.nalloc;
  }

  /**
   * The address of a record of `kind` (1..12; `size` its size entry, read for allocations) whose op
   * is `op`; `arg` is the op's arg when OP_USE says it reads one (-1: missing or malformed), else
   * ignored. -1 when the op is invalid for the kind, refers outside the model, or the address leaves
   * [0, 2^53); the state is then as before the call.
   */
  decode(kind: number, size: number, op: number, arg: number): number {
    const s = this.s;
    let a: number;
    if (op === OP.RAW) {
      if (arg < 0 || arg >= MAX_EXACT) return this.fail(ModelFailure.ARG, arg);
      a = arg;
      if (isFreeKind(kind)) {
        const c = s.poolClassOf(a);
        if (c >= 0) s.freed(c, a);
        s.setPrevF(domain(kind), a);
      } else if (isAllocKind(kind)) {
        s.allocated(sizeClass(kind, size), a);
      }
    } else if (isFreeKind(kind)) {
      let c: number;
      if ((op >= OP.FREE_RECENT0 && op < OP.FREE_CLASS0) || op === OP.FREE_RECENT_ARG || op === OP.FREE_SEQ_ARG) {
        let o: number;
        if (op === OP.FREE_RECENT_ARG || (op >= OP.FREE_RECENT0 && op < OP.FREE_SEQ0)) {
          const d = op === OP.FREE_RECENT_ARG ? arg : op - OP.FREE_RECENT0;
          if (d < 0) return this.fail(ModelFailure.ARG, d);
          if (d >= WINDOW) return this.fail(ModelFailure.WINDOW, d);
          o = (s.nalloc - 1 - d) >>> 0;
        } else {
          const z = op === OP.FREE_SEQ_ARG ? arg : op - OP.FREE_SEQ0;
          if (z < 0 || z >= MAX_EXACT) return this.fail(ModelFailure.ARG, z);
          o = (s.oprev + 1 + unzigzag(z)) >>> 0;
        }
        if (!s.inWindow(o)) return this.fail(ModelFailure.WINDOW, (s.nalloc - 1 - o) >>> 0);
        const r = o & WINDOW_MASK;
        a = s.ringAddr[r]!;
        c = s.ringClass[r]!;
        s.oprev = o;
      } else if (op === OP.FREE_DELTA || (op >= OP.FREE_CLASS0 && op < OP.FREE_CLASS0 + SMALL_CLASSES)) {
        if (arg < 0 || arg >= MAX_EXACT) return this.fail(ModelFailure.ARG, arg);
        const base = op === OP.FREE_DELTA ? s.prevF(domain(kind)) : s.lastFree[op - OP.FREE_CLASS0]!;
        a = base + unzigzag(arg) * 16;
        if (!(a >= 0 && a < MAX_EXACT)) return this.fail(ModelFailure.ADDRESS, a);
        c = s.poolClassOf(a);
      } else {
        return this.fail(ModelFailure.OP, -1);
      }
      if (c >= 0) s.freed(c, a);
      s.setPrevF(domain(kind), a);
    } else if (isAllocKind(kind)) {
      const c = sizeClass(kind, size);
      if (op === OP.REUSE_TOP || op === OP.REUSE_AT) {
        const j = op === OP.REUSE_TOP ? 0 : arg;
        if (j < 0 || j >= s.lifoN[c]!) return this.fail(j < 0 ? ModelFailure.ARG : ModelFailure.REUSE, j);
        a = s.lifoAt(c, j);
        s.lifoTake(c, j);
      } else if (op === OP.NEXT_IN_POOL) {
        if (c >= SMALL_CLASSES) return this.fail(ModelFailure.OP, c);
        a = s.last[c]! + 16 * (c + 1);
      } else if (op === OP.CLASS_DELTA || op === OP.ALLOC_DELTA) {
        if (arg < 0 || arg >= MAX_EXACT) return this.fail(ModelFailure.ARG, arg);
        const base = op === OP.CLASS_DELTA ? s.last[c]! : c < SMALL_CLASSES ? s.prevA0 : s.prevA1;
        a = base + unzigzag(arg) * 16;
      } else {
        return this.fail(ModelFailure.OP, -1);
      }
      // A reuse list only holds valid addresses; the sums may leave the range.
      if (!(a >= 0 && a < MAX_EXACT)) return this.fail(ModelFailure.ADDRESS, a);
      s.allocated(c, a);
    } else {
      if (op !== OP.OTHER16) return this.fail(ModelFailure.OP, -1);
      if (arg < 0 || arg >= MAX_EXACT) return this.fail(ModelFailure.ARG, arg);
      a = s.prevR + unzigzag(arg) * 16;
      if (!(a >= 0 && a < MAX_EXACT)) return this.fail(ModelFailure.ADDRESS, a);
    }
    s.prevR = a;
    return a;
  }

  private fail(why: number, value: number): number {
    this.failure = why;
    this.failValue = value;
    return -1;
  }
}

// ---- The writer's side ----

/** zig-zag of an integer (exact: the differences it is used on are below 2^53, shifted by 4). */
function zz(v: number): number {
  return v >= 0 ? 2 * v : -2 * v - 1;
}

const K_HI = 0x9e3779b9;
const K_LO = 0x7f4a7c15;
const HASH_BITS = 18;

/** High 32 bits of the 64-bit product of two uint32s. */
function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const carry = (Math.floor((a0 * b0) / 65536) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** address_model.h's Encoder::hash: top HASH_BITS of (a >> 4) * 0x9E3779B97F4A7C15 mod 2^64. */
export function addressHash(a: number): number {
  const x = Math.floor(a / 16);
  const xl = x >>> 0;
  const xh = Math.floor(x / 4294967296) >>> 0;
  const hi = (mulHi32(xl, K_LO) + Math.imul(xh, K_LO) + Math.imul(xl, K_HI)) >>> 0;
  return hi >>> (32 - HASH_BITS);
}

/**
 * The writer's side (address_model.h's Encoder): chooses each record's op and arg. Addresses are
 * integers below 2^53.
 */
export class AddressEncoder {
  private readonly s = new State();
  private readonly hash = new Uint32Array(1 << HASH_BITS);

  startBatch(): void {
    this.s.startBatch();
  }

  /** The op for a record; pushes its arg (if any) onto `args`. */
  encode(kind: number, a: number, size: number, args: number[]): number {
    const s = this.s;
    let op: number;
    if (isFreeKind(kind)) {
      const dom = domain(kind);
      let c: number;
      const o = this.hash[addressHash(a)]!;
      if (s.inWindow(o) && s.ringAddr[o & WINDOW_MASK] === a) {
        const d = (s.nalloc - 1 - o) >>> 0;
        const zs = zz((o - (s.oprev + 1)) | 0);
        if (zs < d) {
          op = zs < 16 ? OP.FREE_SEQ0 + zs : OP.FREE_SEQ_ARG;
          if (zs >= 16) args.push(zs);
        } else {
          op = d < 16 ? OP.FREE_RECENT0 + d : OP.FREE_RECENT_ARG;
          if (d >= 16) args.push(d);
        }
        s.oprev = o;
        c = s.ringClass[o & WINDOW_MASK]!;
      } else {
        c = s.poolClassOf(a);
        const lf = c >= 0 ? s.lastFree[c]! : 0;
        const pf = s.prevF(dom);
        if (lf !== 0 && (a - lf) % 16 === 0 && (a - pf) % 16 === 0 && zz(Math.floor((a - lf) / 16)) < zz(Math.floor((a - pf) / 16))) {
          op = OP.FREE_CLASS0 + c;
          args.push(zz((a - lf) / 16));
        } else {
          op = this.deltaOrRaw(OP.FREE_DELTA, a, pf, args);
        }
      }
      if (c >= 0) s.freed(c, a);
      s.setPrevF(dom, a);
    } else if (isAllocKind(kind)) {
      const c = sizeClass(kind, size);
      const prevA = c < SMALL_CLASSES ? s.prevA0 : s.prevA1;
      const j = s.lifoFind(c, a);
      const last = s.last[c]!;
      if (j === 0) {
        op = OP.REUSE_TOP;
        s.lifoTake(c, 0);
      } else if (j > 0) {
        op = OP.REUSE_AT;
        args.push(j);
        s.lifoTake(c, j);
      } else if (c < SMALL_CLASSES && last !== 0 && a === last + 16 * (c + 1)) {
        op = OP.NEXT_IN_POOL;
      } else if (last !== 0 && (a - last) % 16 === 0 && (a - prevA) % 16 === 0 && zz(Math.floor((a - last) / 16)) < zz(Math.floor((a - prevA) / 16))) {
        op = OP.CLASS_DELTA;
        args.push(zz((a - last) / 16));
      } else {
        op = this.deltaOrRaw(OP.ALLOC_DELTA, a, prevA, args);
      }
      this.hash[addressHash(a)] = s.nalloc;
      s.allocated(c, a);
    } else {
      op = this.deltaOrRaw(OP.OTHER16, a, s.prevR, args);
    }
    s.prevR = a;
    return op;
  }

  private deltaOrRaw(op: number, a: number, base: number, args: number[]): number {
    const diff = a - base;
    if (diff % 16 !== 0) {
      args.push(a);
      return OP.RAW;
    }
    args.push(zz(diff / 16));
    return op;
  }
}

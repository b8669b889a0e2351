/** Hashing of block addresses for the live-block tables. */

/** 2^32 / golden ratio, odd. */
const FIB = 0x9e3779b1;
const TWO32 = 4294967296;

/**
 * Home slot of an address in a table of 2^(32 - shift) slots. Mixes in the bits above 32 so
 * addresses 4 GiB apart do not collide (addresses are < 2^53, exact as doubles).
 */
export function addressHash(addr: number, shift: number): number {
  return Math.imul((addr >>> 0) ^ ((addr / TWO32) >>> 0), FIB) >>> shift;
}

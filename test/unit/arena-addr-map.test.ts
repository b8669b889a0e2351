/** AddrMap (the address table of the arena tools) against Map, over random inserts and deletes. */
import { expect, test } from 'vitest';
import { AddrMap } from '../../src/analysis/arena-addr-map';
import { rng } from '../helpers/random';

test('AddrMap behaves like Map for addresses, through growth and backward-shift deletion', () => {
  const rand = rng(7);
  const m = new AddrMap(16);
  const ref = new Map<number, number>();
  // addresses in a few clusters, 16-byte aligned, up to 2^47, so probe runs collide and wrap
  const bases = [0x7f0000000000, 0x560000001000, 0x10, 2 ** 47 - 2 ** 20];
  const addr = () => bases[Math.floor(rand() * bases.length)]! + 16 * Math.floor(rand() * 5000);
  for (let i = 0; i < 200_000; i++) {
    const a = addr();
    const r = rand();
    if (r < 0.5) {
      const v = Math.floor(rand() * 1e9);
      expect(m.set(a, v)).toBe(ref.get(a));
      ref.set(a, v);
    } else if (r < 0.9) {
      expect(m.delete(a)).toBe(ref.get(a));
      ref.delete(a);
    } else {
      expect(m.get(a)).toBe(ref.get(a));
    }
    if (i % 20_000 === 0) {
      expect(m.size).toBe(ref.size);
      for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    }
  }
  expect(m.size).toBe(ref.size);
  for (const [k, v] of ref) expect(m.get(k)).toBe(v);
});

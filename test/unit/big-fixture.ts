/** A capture with `n` distinct stacks (for size and load-time checks): a tree of 3 levels. */
import { KIND } from '../../src/capture/batch-decoder';
import { CaptureBuilder, TestRecord } from '../helpers/capture-builder';

export function bigCapture(n: number): CaptureBuilder {
  const nFuncs = 2000;
  const codes = Array.from({ length: nFuncs }, (_, i) => ({
    id: i + 1,
    filename: `pkg/mod_${i % 50}.py`,
    qualname: `func_${i}`,
    firstLine: 1 + (i % 400),
    lineStarts: [0, 10, 20, 30],
    lines: [1 + (i % 400), 2 + (i % 400), 3 + (i % 400), 4 + (i % 400)],
  }));
  const b = new CaptureBuilder().header({ argv: ['big.py'] }).code(...codes);
  // Level 1: 50 nodes; level 2: 50 × 40; leaves: n spread under level 2.
  const nodes: { id: number; parent: number; code: number; offset: number }[] = [];
  let id = 1;
  const l1: number[] = [];
  for (let i = 0; i < 50; i++) {
    nodes.push({ id, parent: 0, code: 1 + i, offset: 0 });
    l1.push(id++);
  }
  const l2: number[] = [];
  for (let i = 0; i < 2000; i++) {
    nodes.push({ id, parent: l1[i % 50]!, code: 1 + ((i * 7) % nFuncs), offset: 10 });
    l2.push(id++);
  }
  const leaves: number[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ id, parent: l2[i % 2000]!, code: 1 + ((i * 13) % nFuncs), offset: (Math.floor(i / 2000) % 4) * 10 });
    leaves.push(id++);
  }
  b.nodes(nodes);
  let t = 0;
  let recs: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    t += 3;
    recs.push({ kind: KIND.ALLOC_OBJ, address: 0x100000 + i * 64, size: 32 + (i % 97) * 8, stack: leaves[i]!, timeUs: t });
    if (i % 3 === 0) recs.push({ kind: KIND.FREE_OBJ, address: 0x100000 + i * 64, timeUs: (t += 1) });
    if (recs.length > 50000) {
      b.batch(recs);
      recs = [];
    }
  }
  if (recs.length) b.batch(recs);
  return b.trailer({ durationUs: t + 10 });
}

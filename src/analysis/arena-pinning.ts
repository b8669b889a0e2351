/**
 * Pinning: which source lines own the blocks that keep pymalloc's pools and arenas alive.
 *
 * A pool is returned to its arena only when its last block is freed, an arena to the system only
 * when all its pools are free; so every live block pins its pool and its arena. For each source line
 * (innermost frame of the block's allocation stack):
 *  - pools / arenas: how many it has blocks in; *_alone: how many hold blocks of no other line
 *    (freeing this line's blocks would release them);
 *  - idle_bytes: the memory those pools and arenas hold without live blocks in it, shared among the
 *    lines by their number of blocks: per pool POOL_SIZE - blocks * block size (free blocks, header,
 *    quantization), per arena its free pools and alignment loss. The lines' idle bytes add up to the
 *    arenas' bytes minus the live blocks' bytes; three blocks keeping a whole arena get ~ARENA_SIZE.
 * Lines are ranked by idle bytes, then pools. The sparsest arenas are listed with their holders.
 */
import type { CaptureTables } from '../capture/reader';
import type { ArenaModel, ArenaState } from './arena-model';

export interface PinningLine {
  file: string;
  line: number;
  function: string;
  blocks: number;
  blockBytes: number;
  pools: number;
  poolsAlone: number;
  arenas: number;
  arenasAlone: number;
  idleBytes: number;
}

export interface PinnedArena {
  address: number;
  usedPools: number;
  blocks: number;
  blockBytes: number;
  /** Lines with blocks in it, most blocks first. */
  holders: { file: string; line: number; function: string; blocks: number }[];
}

export interface PinningReport {
  lines: PinningLine[];
  sparsestArenas: PinnedArena[];
  arenas: number;
  pools: number;
  blocks: number;
  blockBytes: number;
  idleBytes: number;
}

export function computePinning(model: ArenaModel, tables: CaptureTables, options: { arenaLimit?: number; holderLimit?: number } = {}): PinningReport {
  if (!model.trackStacks) throw new Error('computePinning: the model does not track stacks');
  const g = model.geometry;
  const lines: PinningLine[] = [];
  const lineOfKey = new Map<string, number>();
  const lineOfNode = new Map<number, number>();
  const lineIndex = (node: number): number => {
    let li = lineOfNode.get(node);
    if (li !== undefined) return li;
    const loc = tables.location(node);
    const key = `${loc.file}\0${loc.line}\0${loc.function}`;
    li = lineOfKey.get(key);
    if (li === undefined) {
      li = lines.length;
      lineOfKey.set(key, li);
      lines.push({ file: loc.file, line: loc.line, function: loc.function, blocks: 0, blockBytes: 0, pools: 0, poolsAlone: 0, arenas: 0, arenasAlone: 0, idleBytes: 0 });
    }
    lineOfNode.set(node, li);
    return li;
  };

  const inPool = new Map<number, number>();
  const inArena = new Map<number, number>();
  const arenaRows: { arena: ArenaState; blockBytes: number; counts: [number, number][] }[] = [];
  let totalPools = 0;
  let totalBlocks = 0;
  let totalBlockBytes = 0;
  let totalIdle = 0;
  const words = Math.ceil(model.numBlocks[0]! / 32);

  for (const a of model.liveArenas()) {
    inArena.clear();
    let arenaBlockBytes = 0;
    for (let p = 0; p < a.totalPools; p++) {
      const count = a.count[p]!;
      if (count === 0) continue;
      const cls = a.cls[p]!;
      const bsize = (cls + 1) * g.alignment;
      const stacks = a.stacks![p]!;
      inPool.clear();
      const n = model.numBlocks[cls]!;
      for (let s = 0; s < n; s++) {
        if (!(a.live[p * words + (s >>> 5)]! & (1 << (s & 31)))) continue;
        const li = lineIndex(stacks[s]!);
        inPool.set(li, (inPool.get(li) ?? 0) + 1);
      }
      const idle = g.poolSize - count * bsize;
      for (const [li, c] of inPool) {
        const l = lines[li]!;
        l.blocks += c;
        l.blockBytes += c * bsize;
        l.pools++;
        if (inPool.size === 1) l.poolsAlone++;
        l.idleBytes += (idle * c) / count;
        inArena.set(li, (inArena.get(li) ?? 0) + c);
      }
      totalPools++;
      totalBlocks += count;
      arenaBlockBytes += count * bsize;
      totalIdle += idle;
    }
    totalBlockBytes += arenaBlockBytes;
    const arenaIdle = g.arenaSize - a.usedPools * g.poolSize;
    totalIdle += arenaIdle;
    const counts: [number, number][] = [];
    for (const [li, c] of inArena) {
      const l = lines[li]!;
      l.arenas++;
      if (inArena.size === 1) l.arenasAlone++;
      if (a.blocks > 0) l.idleBytes += (arenaIdle * c) / a.blocks;
      counts.push([li, c]);
    }
    arenaRows.push({ arena: a, blockBytes: arenaBlockBytes, counts });
  }

  for (const l of lines) l.idleBytes = Math.round(l.idleBytes);
  const ranked = lines.slice().sort((x, y) => y.idleBytes - x.idleBytes || y.pools - x.pools || y.blocks - x.blocks || (x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line));
  const holderLimit = options.holderLimit ?? 3;
  const sparsest = arenaRows
    .sort((x, y) => x.blockBytes - y.blockBytes || x.arena.base - y.arena.base)
    .slice(0, options.arenaLimit ?? 10)
    .map((r) => ({
      address: r.arena.base,
      usedPools: r.arena.usedPools,
      blocks: r.arena.blocks,
      blockBytes: r.blockBytes,
      holders: r.counts
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, holderLimit)
        .map(([li, c]) => ({ file: lines[li]!.file, line: lines[li]!.line, function: lines[li]!.function, blocks: c })),
    }));
  return { lines: ranked, sparsestArenas: sparsest, arenas: arenaRows.length, pools: totalPools, blocks: totalBlocks, blockBytes: totalBlockBytes, idleBytes: totalIdle };
}

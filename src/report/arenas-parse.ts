/**
 * Parses the text CPython's `_PyObject_DebugMallocStats` prints (PYTHONMALLOCSTATS,
 * sys._debugmallocstats(), pymemprof._malloc_stats_at_mark) into figures: per size class lines,
 * the '# arenas ...' lines, unused pools and the byte lines. Lines it does not know are ignored
 * (sys._debugmallocstats() appends free-list statistics).
 */
export interface ParsedMallocStats {
  smallRequestThreshold: number;
  numClasses: number;
  /** Only the classes CPython lists (those with pools). */
  classes: { index: number; size: number; pools: number; blocksInUse: number; availBlocks: number }[];
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighwater: number;
  arenasAllocatedCurrent: number;
  arenaSize: number;
  unusedPools: number;
  poolSize: number;
  bytesInAllocatedBlocks: number;
  bytesInAvailableBlocks: number;
  bytesLostToPoolHeaders: number;
  bytesLostToQuantization: number;
  bytesLostToArenaAlignment: number;
  total: number;
  arenaMap: { midNodes: number; botNodes: number } | null;
}

function num(s: string): number {
  return Number(s.replace(/,/g, ''));
}

export function parseMallocStats(text: string): ParsedMallocStats {
  const out: ParsedMallocStats = {
    smallRequestThreshold: NaN,
    numClasses: NaN,
    classes: [],
    arenasAllocatedTotal: NaN,
    arenasReclaimed: NaN,
    arenasHighwater: NaN,
    arenasAllocatedCurrent: NaN,
    arenaSize: NaN,
    unusedPools: NaN,
    poolSize: NaN,
    bytesInAllocatedBlocks: NaN,
    bytesInAvailableBlocks: NaN,
    bytesLostToPoolHeaders: NaN,
    bytesLostToQuantization: NaN,
    bytesLostToArenaAlignment: NaN,
    total: NaN,
    arenaMap: null,
  };
  let m: RegExpExecArray | null;
  let inArenaMap = false;
  for (const line of text.split('\n')) {
    if ((m = /^Small block threshold = (\d+), in (\d+) size classes\./.exec(line))) {
      out.smallRequestThreshold = Number(m[1]);
      out.numClasses = Number(m[2]);
    } else if ((m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line))) {
      out.classes.push({ index: Number(m[1]), size: Number(m[2]), pools: Number(m[3]), blocksInUse: Number(m[4]), availBlocks: Number(m[5]) });
    } else if (line.startsWith('arena map counts')) {
      inArenaMap = true;
      out.arenaMap = { midNodes: NaN, botNodes: NaN };
    } else if ((m = /^(.*?)\s*=\s*([\d,]+)\s*$/.exec(line))) {
      const label = m[1]!;
      const v = num(m[2]!);
      let a: RegExpExecArray | null;
      if (label === '# arenas allocated total') out.arenasAllocatedTotal = v;
      else if (label === '# arenas reclaimed') out.arenasReclaimed = v;
      else if (label === '# arenas highwater mark') out.arenasHighwater = v;
      else if (label === '# arenas allocated current') out.arenasAllocatedCurrent = v;
      else if ((a = /^(\d+) arenas \* (\d+) bytes\/arena$/.exec(label))) out.arenaSize = Number(a[2]);
      else if ((a = /^(\d+) unused pools \* (\d+) bytes$/.exec(label))) {
        out.unusedPools = Number(a[1]);
        out.poolSize = Number(a[2]);
      } else if (label === '# bytes in allocated blocks') out.bytesInAllocatedBlocks = v;
      else if (label === '# bytes in available blocks') out.bytesInAvailableBlocks = v;
      else if (label === '# bytes lost to pool headers') out.bytesLostToPoolHeaders = v;
      else if (label === '# bytes lost to quantization') out.bytesLostToQuantization = v;
      else if (label === '# bytes lost to arena alignment') out.bytesLostToArenaAlignment = v;
      else if (label === 'Total' && !inArenaMap) out.total = v;
      else if (label === '# arena map mid nodes' && out.arenaMap) out.arenaMap.midNodes = v;
      else if (label === '# arena map bot nodes' && out.arenaMap) out.arenaMap.botNodes = v;
    }
  }
  return out;
}

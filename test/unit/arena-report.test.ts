/**
 * arenas output and queries: CPython's text reproduced byte for byte from its figures (real samples),
 * the parser, JSON and differences, moments (marks, K-th mark, time, peak, end) and pinning on
 * hand-built captures.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ArenaModel, ArenaSnapshot, arenaMapLayout, PymallocGeometry } from '../../src/analysis/arena-model';
import { queryArenas, parseMoment } from '../../src/analysis/arena-query';
import { findHeapPeak } from '../../src/analysis/arena-peak';
import { computePinning } from '../../src/analysis/arena-pinning';
import { KIND } from '../../src/capture/batch-decoder';
import { parseMallocStats, ParsedMallocStats } from '../../src/report/arenas-parse';
import { arenaDiffJson, arenaStateJson, formatArenaDiff, formatArenaState, formatMallocStats, formatPinning, printone } from '../../src/report/arenas';
import { CaptureBuilder, cleanupTemp, TestRecord } from '../helpers/capture-builder';
import { PymemprofError } from '../../src/errors';

/** CPython 3.11.7, pymemprof._malloc_stats_at_mark (arena_workload.py, "shrunk"). */
const CPY311 = [
  "Small block threshold = 512, in 32 size classes.",
  "",
  "class   size   num pools   blocks in use  avail blocks",
  "-----   ----   ---------   -------------  ------------",
  "    0     16           1             112           909",
  "    1     32         120            2398         58802",
  "    2     48          20            4644          2156",
  "    3     64         399           16813         84932",
  "    4     80         173            8066         27226",
  "    5     96          24            1711          2369",
  "    6    112           6             753           117",
  "    7    128          10            1197            73",
  "    8    144          24             423          2289",
  "    9    160          27            2714            40",
  "   10    176           3             201            75",
  "   11    192          31             364          2271",
  "   12    208           7             523            23",
  "   13    224           7             473            31",
  "   14    240          41             540          2248",
  "   15    256           5             275            40",
  "   16    272           5             254            46",
  "   17    288          47             344          2288",
  "   18    304           3             136            23",
  "   19    320           3             103            50",
  "   20    336          53             260          2284",
  "   21    352           2              92             0",
  "   22    368           3              92            40",
  "   23    384          59             223          2255",
  "   24    400           7             242            38",
  "   25    416           2              66            12",
  "   26    432           2              48            26",
  "   27    448           2              42            30",
  "   28    464           2              44            26",
  "   29    480           2              41            27",
  "   30    496           2              34            30",
  "   31    512           2              54             8",
  "",
  "# arenas allocated total           =                   28",
  "# arenas reclaimed                 =                    0",
  "# arenas highwater mark            =                   28",
  "# arenas allocated current         =                   28",
  "28 arenas * 1048576 bytes/arena    =           29,360,128",
  "",
  "# bytes in allocated blocks        =            4,169,824",
  "# bytes in available blocks        =           13,641,408",
  "671 unused pools * 16384 bytes     =           10,993,664",
  "# bytes lost to pool headers       =               52,512",
  "# bytes lost to quantization       =               60,352",
  "# bytes lost to arena alignment    =              442,368",
  "Total                              =           29,360,128",
  "",
  "arena map counts",
  "# arena map mid nodes              =                    1",
  "# arena map bot nodes              =                    1",
  "",
  "# bytes lost to arena map root     =              262,144",
  "# bytes lost to arena map mid      =              262,144",
  "# bytes lost to arena map bot      =              131,072",
  "Total                              =              655,360",
].join('\n') + '\n';

/** CPython 3.9.18 ("reclassed"). */
const CPY39 = [
  "Small block threshold = 512, in 32 size classes.",
  "",
  "class   size   num pools   blocks in use  avail blocks",
  "-----   ----   ---------   -------------  ------------",
  "    0     16           1              68           185",
  "    1     32         482            2167         58565",
  "    2     48          65            3362          2098",
  "    3     64        1356           12706         72722",
  "    4     80         444            6067         16133",
  "    5     96          77             979          2255",
  "    6    112          14             476            28",
  "    7    128           9             262            17",
  "    8    144         131            1412          2256",
  "    9    160           5             102            23",
  "   10    176          82            1877             9",
  "   11    192         118             225          2253",
  "   12    208        1057           20065            18",
  "   13    224          10             168            12",
  "   14    240         153             202          2246",
  "   15    256           3              42             3",
  "   16    272           3              42             0",
  "   17    288         152             180          1948",
  "   18    304          16             198            10",
  "   19    320           2              19             5",
  "   20    336         152             174          1650",
  "   21    352           2              17             5",
  "   22    368           2              19             3",
  "   23    384         152             164          1356",
  "   24    400           4              37             3",
  "   25    416          11              91             8",
  "   26    432           8              67             5",
  "   27    448           7              60             3",
  "   28    464           6              48             0",
  "   29    480           7              53             3",
  "   30    496           5              32             8",
  "   31    512           6              36             6",
  "",
  "# arenas allocated total           =                  103",
  "# arenas reclaimed                 =                    0",
  "# arenas highwater mark            =                  103",
  "# arenas allocated current         =                  103",
  "103 arenas * 262144 bytes/arena    =           27,000,832",
  "",
  "# bytes in allocated blocks        =            7,029,216",
  "# bytes in available blocks        =           11,113,472",
  "2050 unused pools * 4096 bytes     =            8,396,800",
  "# bytes lost to pool headers       =              218,016",
  "# bytes lost to quantization       =              243,328",
  "# bytes lost to arena alignment    =                    0",
  "Total                              =           27,000,832",
].join('\n') + '\n';

afterAll(() => cleanupTemp());

/** A snapshot with the parsed figures (classes CPython does not list have no pools). */
function snapshotOf(p: ParsedMallocStats, numBlocks: (i: number) => number): ArenaSnapshot {
  const classes = Array.from({ length: p.numClasses }, (_, i) => {
    const c = p.classes.find((x) => x.index === i);
    return c ? { ...c } : { index: i, size: (i + 1) * 16, pools: 0, blocksInUse: 0, availBlocks: 0 };
  });
  void numBlocks;
  return {
    classes,
    arenasAllocatedTotal: p.arenasAllocatedTotal,
    arenasReclaimed: p.arenasReclaimed,
    arenasHighwater: p.arenasHighwater,
    arenasAllocatedCurrent: p.arenasAllocatedCurrent,
    unusedPools: p.unusedPools,
    bytesInAllocatedBlocks: p.bytesInAllocatedBlocks,
    bytesInAvailableBlocks: p.bytesInAvailableBlocks,
    bytesInUnusedPools: p.unusedPools * p.poolSize,
    bytesLostToPoolHeaders: p.bytesLostToPoolHeaders,
    bytesLostToQuantization: p.bytesLostToQuantization,
    bytesLostToArenaAlignment: p.bytesLostToArenaAlignment,
    totalBytes: p.total,
    arenaMap: p.arenaMap,
  };
}

describe('CPython text', () => {
  test('printone pads to 35 columns and right-aligns the value with commas in 21', () => {
    expect(printone('# arenas reclaimed', 0)).toBe('# arenas reclaimed                 =                    0\n');
    expect(printone('28 arenas * 1048576 bytes/arena', 29360128)).toBe('28 arenas * 1048576 bytes/arena    =           29,360,128\n');
    expect(printone('a message longer than thirty-five columns', 1234)).toBe('a message longer than thirty-five columns=                1,234\n');
  });

  test.each([
    ['3.11', CPY311, 0x030b07f0, { arenaSize: 1 << 20, poolSize: 1 << 14, alignment: 16, smallRequestThreshold: 512 }],
    ['3.9', CPY39, 0x030912f0, { arenaSize: 1 << 18, poolSize: 1 << 12, alignment: 16, smallRequestThreshold: 512 }],
  ] as const)('CPython %s: parse, then format the same figures: byte for byte', (_v, text, hex, g) => {
    const p = parseMallocStats(text);
    expect(p.numClasses).toBe(32);
    expect(p.arenaSize).toBe(g.arenaSize);
    expect(p.poolSize).toBe(g.poolSize);
    expect(p.classes.length).toBeGreaterThan(20);
    const s = snapshotOf(p, () => 0);
    expect(formatMallocStats(s, g as PymallocGeometry, arenaMapLayout(hex, g as PymallocGeometry))).toBe(text);
  });

  test('the model\'s own figures are consistent with what CPython derives from them', () => {
    // per class: avail = pools * NUMBLOCKS - blocks, the byte lines from the class lines
    const p = parseMallocStats(CPY311);
    const m = new ArenaModel({ arenaSize: 1 << 20, poolSize: 1 << 14, alignment: 16, smallRequestThreshold: 512 });
    let allocated = 0;
    let quant = 0;
    for (const c of p.classes) {
      expect(c.pools * m.numBlocks[c.index]! - c.blocksInUse, `class ${c.index}`).toBe(c.availBlocks);
      allocated += c.blocksInUse * c.size;
      quant += c.pools * ((16384 - 48) % c.size);
    }
    expect(allocated).toBe(p.bytesInAllocatedBlocks);
    expect(quant).toBe(p.bytesLostToQuantization);
  });

  test('the parser ignores the free-list lines sys._debugmallocstats() adds', () => {
    const p = parseMallocStats(CPY39 + '\n               55 free PyDictObjects * 48 bytes each =                2,640\n');
    expect(p.total).toBe(parseMallocStats(CPY39).total);
    expect(p.arenaMap).toBeNull();
  });
});

const A = 0x7f0000000000;
const POOL = 16384;
const b16 = (pool: number, i: number) => A + pool * POOL + 48 + i * 16;

/** A capture: code objects for two lines of fixture.py, marks a (twice) and b. */
function capture(records: TestRecord[]): string {
  return new CaptureBuilder()
    .header()
    .code({ id: 1, filename: 'fixture.py', qualname: 'build', firstLine: 10, lineStarts: [0, 10], lines: [11, 12] })
    .nodes([
      { id: 1, parent: 0, code: 1, offset: 0 },
      { id: 2, parent: 0, code: 1, offset: 10 },
    ])
    .marks([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ])
    .batch(records)
    .trailer()
    .writeTemp();
}

function scenario(): string {
  let t = 0;
  const r: TestRecord[] = [];
  const rec = (kind: number, address: number, size?: number, stack?: number) => r.push({ kind, address, size, stack, timeUs: (t += 10) });
  rec(KIND.ARENA_ALLOC, A, 1 << 20);
  for (let i = 0; i < 5; i++) rec(KIND.ALLOC_OBJ, b16(0, i), 16, 1); // t=20..60
  rec(KIND.MARK, 0, 1, 0); // a #1 at t=70: 5 blocks
  rec(KIND.ALLOC_RAW, 0x5500000000, 1000, 1); // heap peak at t=80 (5*16 + 1000)
  rec(KIND.FREE_RAW, 0x5500000000);
  for (let i = 0; i < 3; i++) rec(KIND.FREE_OBJ, b16(0, i)); // t=100..120
  rec(KIND.MARK, 0, 1, 0); // a #2 at t=130: 2 blocks
  rec(KIND.ARENA_ALLOC, A + (2 << 20), 1 << 20);
  rec(KIND.ALLOC_MEM, A + (2 << 20) + 48, 100, 2); // t=150, in the second arena
  rec(KIND.MARK, 0, 2, 0); // b at t=160
  rec(KIND.FREE_MEM, A + (2 << 20) + 48);
  rec(KIND.ARENA_FREE, A + (2 << 20)); // t=180
  return capture(r);
}

describe('queryArenas: moments', () => {
  test('marks, the K-th mark, a time, peak and end', async () => {
    const file = scenario();
    const r = await queryArenas(file, ['mark:a', 'mark:a#2', 'mark:b', '0.125ms', 'peak', 'end'].map((s) => parseMoment(s)));
    const [a1, a2, b, t125, peak, end] = r.states.map((s) => s!.snapshot);
    expect(a1!.classes[0]!.blocksInUse).toBe(5);
    expect(r.states[0]!.timeUs).toBe(70);
    expect(a2!.classes[0]!.blocksInUse).toBe(2);
    expect(b!.arenasAllocatedCurrent).toBe(2);
    expect(b!.classes[6]!.blocksInUse).toBe(1);
    expect(t125!.classes[0]!.blocksInUse).toBe(2); // after the free at t=120
    expect(r.states[3]!.timeUs).toBe(125);
    expect(peak!.classes[0]!.blocksInUse).toBe(5);
    expect(r.states[4]!.timeUs).toBe(80);
    expect(r.states[4]!.heapPeakBytes).toBe(1080);
    expect(end!.arenasReclaimed).toBe(1);
    expect(end!.arenasHighwater).toBe(2);
    expect(r.anomalies).toEqual([]);
    expect(await findHeapPeak(file)).toEqual({ records: 8, timeUs: 80, bytes: 1080 });
  });

  test('a time given in seconds; a time past the end is the end', async () => {
    const file = scenario();
    const r = await queryArenas(file, [parseMoment('0.00007s'), parseMoment('99999')]);
    expect(r.states[0]!.timeUs).toBe(70);
    expect(r.states[0]!.snapshot.classes[0]!.blocksInUse).toBe(5);
    expect(r.states[1]!.snapshot.arenasReclaimed).toBe(1);
  });

  test('bad moments and unknown marks are PymemprofErrors with exit status 2', async () => {
    for (const bad of ['', 'soon', 'mark:', '-5', '12 parsecs']) {
      expect(() => parseMoment(bad), bad).toThrow(PymemprofError);
    }
    try {
      parseMoment('later', '--diff');
      expect.unreachable();
    } catch (e) {
      expect((e as PymemprofError).exitCode).toBe(2);
      expect((e as Error).message).toMatch(/^--diff: .*'later'/);
    }
    const file = scenario();
    await expect(queryArenas(file, [parseMoment('mark:zzz')])).rejects.toThrow(/no mark named 'zzz'.*marks: a, b/);
    await expect(queryArenas(file, [parseMoment('mark:a#3')])).rejects.toThrow(/'a' occurs 2 times, not 3/);
  });
});

describe('report text and JSON', () => {
  test('one moment: a context line, then CPython text; JSON with the contract fields', async () => {
    const file = scenario();
    const r = await queryArenas(file, [parseMoment('mark:a')]);
    const text = formatArenaState(r, r.states[0]!);
    expect(text.split('\n')[0]).toMatch(/^pymalloc at mark:a at 0\.070 ms, after 6 records \(capture\.bin; CPython 3\.11\.7: 1024 KiB arenas, 16 KiB pools\)$/);
    expect(text).toContain('    0     16           1               5          1016\n');
    expect(text).toContain('# arenas allocated current         =                    1\n');
    expect(text).toContain('63 unused pools * 16384 bytes      =            1,032,192\n');
    const j = arenaStateJson(r, r.states[0]!);
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(['arena_size', 'pool_size', 'size_classes', 'arenas_allocated_total', 'arenas_reclaimed', 'arenas_highwater', 'arenas_allocated_current', 'unused_pools']),
    );
    expect(j.size_classes[0]).toEqual({ index: 0, size: 16, pools: 1, blocks_in_use: 5, avail_blocks: 1016 });
    expect(j.at).toEqual({ spec: 'mark:a', time_ms: 0.07, record: 6 });
    expect(j.arena_map).toEqual({ mid_nodes: 1, bot_nodes: 1 });
  });

  test('two moments: the difference', async () => {
    const file = scenario();
    const r = await queryArenas(file, [parseMoment('mark:a'), parseMoment('mark:b')]);
    const from = arenaStateJson(r, r.states[0]!);
    const to = arenaStateJson(r, r.states[1]!);
    const d = arenaDiffJson(from, to) as any;
    expect(d.size_classes[0]).toEqual({ index: 0, size: 16, pools: 0, blocks_in_use: -3, avail_blocks: 3 });
    expect(d.size_classes[6]).toEqual({ index: 6, size: 112, pools: 1, blocks_in_use: 1, avail_blocks: 144 });
    expect(d.arenas_allocated_current).toBe(1);
    expect(d.unused_pools).toBe(63);
    const text = formatArenaDiff(r, r.states[0]!, r.states[1]!);
    expect(text).toMatch(/^pymalloc from mark:a at 0\.070 ms, after 6 records\n\s+to mark:b at 0\.160 ms/);
    expect(text).toMatch(/\n\s+0\s+16\s+1\s+0\s+2\s+-3\s+1,019\s+\+3\n/);
    expect(text).toMatch(/# arenas allocated current\s+1\s+2\s+\+1\n/);
  });

  test('pinning: lines ranked by the idle bytes of the pools and arenas their blocks keep', async () => {
    const file = scenario();
    const r = await queryArenas(file, [parseMoment('mark:b')], { pinning: true });
    const p = r.pinning!;
    expect(p.arenas).toBe(2);
    expect(p.pools).toBe(2);
    expect(p.blocks).toBe(3);
    expect(p.blockBytes).toBe(2 * 16 + 112);
    expect(p.idleBytes).toBe(2 * (1 << 20) - p.blockBytes);
    // each line keeps a whole arena: line 11 (node 1) with two 16-byte blocks, line 12 with one of 112
    expect(p.lines.map((l) => [l.line, l.blocks, l.pools, l.poolsAlone, l.arenas, l.arenasAlone, l.idleBytes])).toEqual([
      [11, 2, 1, 1, 1, 1, (1 << 20) - 32],
      [12, 1, 1, 1, 1, 1, (1 << 20) - 112],
    ]);
    expect(p.sparsestArenas[0]).toEqual({ address: A, usedPools: 1, blocks: 2, blockBytes: 32, holders: [{ file: 'fixture.py', line: 11, function: 'build', blocks: 2 }] });
    const text = formatPinning(p, r.states[0]!, 10);
    expect(text).toMatch(/^pinning at mark:b .*: 2 arenas, 2 pools in use, 3 blocks \(144 bytes\) keep 2,097,008 bytes without live blocks/);
    expect(text).toMatch(/1,048,464\s+1\s+112\s+1\s+1\s+1\s+1\s+fixture\.py:12 build\n/);
    expect(text).toMatch(/0x7f0000000000\s+1\s+2\s+32\s+fixture\.py:11 build \(2\)/);
  });

  test('pinning shares a pool between lines by their blocks', () => {
    const m = new ArenaModel({ arenaSize: 1 << 20, poolSize: 1 << 14, alignment: 16, smallRequestThreshold: 512 }, { trackStacks: true });
    m.apply(KIND.ARENA_ALLOC, A, 1 << 20, 0);
    m.apply(KIND.ALLOC_OBJ, b16(0, 0), 16, 1);
    m.apply(KIND.ALLOC_OBJ, b16(0, 1), 16, 1);
    m.apply(KIND.ALLOC_OBJ, b16(0, 2), 16, 2);
    m.apply(KIND.RESIZE_OBJ, b16(0, 1), 15, 2); // the resize's stack now owns it
    const tables = { location: (n: number) => ({ file: 'f.py', line: n, function: 'g' }) };
    const p = computePinning(m, tables as any);
    expect(p.lines.map((l: any) => [l.line, l.blocks, l.pools, l.poolsAlone])).toEqual([
      [2, 2, 1, 0],
      [1, 1, 1, 0],
    ]);
    expect(p.lines[0].idleBytes + p.lines[1].idleBytes).toBe((1 << 20) - 48);
  });
});

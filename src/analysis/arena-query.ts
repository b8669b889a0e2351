/**
 * `arenas` queries: the pymalloc model (arena-model.ts) at chosen moments of a capture.
 *
 * Moments: `peak` (the heap's high-water mark, as `stats` reports it: found by a first pass), `end`,
 * `mark:NAME` (the first pymemprof.mark(NAME); `mark:NAME#K` the K-th), or a time in milliseconds
 * since tracing began (`250`, `250ms`, `1.5s`): the state after every record up to that time.
 * The state at a mark is the state right when it was recorded (every earlier record applied), which
 * is when `pymemprof._malloc_stats_at_mark` takes CPython's own figures.
 */
import { readCapture, withTables, CaptureTables, CaptureHeader, ReadResult } from '../capture/reader';
import { KIND } from '../capture/batch-decoder';
import { PymemprofError } from '../errors';
import { ArenaModel, ArenaSnapshot } from './arena-model';
import { computePinning, PinningReport } from './arena-pinning';
import { findHeapPeak, HeapPeak } from './arena-peak';

export type Moment =
  | { kind: 'peak'; text: string }
  | { kind: 'end'; text: string }
  | { kind: 'mark'; text: string; name: string }
  | { kind: 'time'; text: string; us: number };

function badArgument(option: string, message: string): PymemprofError {
  return new PymemprofError(`${option}: ${message}`, 'BAD_ARGUMENT', 2);
}

/** Parses one --at value. Throws a PymemprofError (exit status 2) naming `option`. */
export function parseMoment(text: string, option = '--at'): Moment {
  const t = text.trim();
  if (t === 'peak') return { kind: 'peak', text: t };
  if (t === 'end') return { kind: 'end', text: t };
  if (t.startsWith('mark:')) {
    const name = t.slice(5);
    if (name === '') throw badArgument(option, `'${text}' names no mark (mark:NAME)`);
    return { kind: 'mark', text: t, name };
  }
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)?$/.exec(t);
  if (m) {
    const v = Number(m[1]);
    const us = Math.round(m[2] === 's' ? v * 1e6 : v * 1e3);
    return { kind: 'time', text: t, us };
  }
  throw badArgument(option, `expected peak, end, mark:NAME or a time in milliseconds, got '${text}'`);
}

export interface MomentState {
  moment: Moment;
  snapshot: ArenaSnapshot;
  /** Records applied (the index of the next record). */
  record: number;
  /** Microseconds since tracing began. */
  timeUs: number;
  /** For `peak`: the heap's high-water mark in bytes. */
  heapPeakBytes?: number;
}

export interface ArenaQueryResult {
  file: string;
  header: CaptureHeader;
  /** One per requested moment, in the order given. */
  states: MomentState[];
  /** At the last requested moment, when asked for. */
  pinning: PinningReport | null;
  /** Inconsistencies between the records and pymalloc (see ArenaModel), as messages. */
  anomalies: string[];
  anomalyCount: number;
  /** MEM/OBJ blocks of 1..512 bytes outside the arenas up to the last moment. */
  smallOutsideArenas: number;
  warnings: string[];
  tables: CaptureTables;
  model: ArenaModel;
}

export interface ArenaQueryOptions {
  pinning?: boolean;
  onProgress?: (records: number) => void;
}

class StopReading extends Error {}

interface Pending {
  index: number;
  moment: Moment;
  /** For marks: the mark name to look for and which occurrence (1-based). */
  markName?: string;
  occurrence?: number;
}

/** Checks the header for what the model needs; throws a PymemprofError (exit status 2). */
export function checkArenaHeader(file: string, h: CaptureHeader): void {
  const g = h.geometry;
  if (!g || g.arenaSize === 0) {
    throw new PymemprofError(`${file}: the traced interpreter did not use pymalloc (no arena size in the capture header): no arenas to show`, 'NO_PYMALLOC', 2);
  }
  if (!(g.poolSize > 0 && g.alignment > 0 && g.smallRequestThreshold > 0) || g.arenaSize % g.poolSize !== 0 || g.smallRequestThreshold % g.alignment !== 0) {
    throw new PymemprofError(`${file}: the capture header's pymalloc geometry is inconsistent (${JSON.stringify(g)})`, 'BAD_CAPTURE', 2);
  }
  // Pools too small for the largest class: the "arena" size the tracer saw was not a pymalloc arena
  // (since 3.11 the frames' data stack chunks, 16 KiB, come from the arena allocator too; with
  // PYTHONMALLOC=malloc they are all it sees).
  if (g.poolSize < g.smallRequestThreshold + 48) {
    throw new PymemprofError(
      `${file}: the capture header's pymalloc geometry (${g.arenaSize}-byte arenas, ${g.poolSize}-byte pools) is not pymalloc's: the traced interpreter probably did not use pymalloc (PYTHONMALLOC=malloc?)`,
      'NO_PYMALLOC',
      2,
    );
  }
  if (h.sampleBytes > 0) {
    throw new PymemprofError(`${file}: the capture is sampled (every ${h.sampleBytes} bytes): the arena model needs every allocation`, 'SAMPLED_CAPTURE', 2);
  }
}

export async function queryArenas(file: string, moments: Moment[], options: ArenaQueryOptions = {}): Promise<ArenaQueryResult> {
  if (moments.length === 0) moments = [{ kind: 'end', text: 'end' }];
  let peak: HeapPeak | null = null;
  if (moments.some((m) => m.kind === 'peak')) peak = await findHeapPeak(file);

  const tables = new CaptureTables();
  let model: ArenaModel | null = null;
  const states: (MomentState | null)[] = moments.map(() => null);
  const pending: Pending[] = [];
  for (let i = 0; i < moments.length; i++) pending.push({ index: i, moment: moments[i]! });
  const pinningAt = options.pinning ? moments.length - 1 : -1;
  let pinning: PinningReport | null = null;
  let lastTimeUs = 0;
  const markSeen = new Map<string, number>();
  let marksResolved = false;

  const take = (p: Pending, timeUs: number): void => {
    states[p.index] = {
      moment: p.moment,
      snapshot: model!.snapshot(),
      record: model!.records,
      timeUs,
      heapPeakBytes: p.moment.kind === 'peak' ? peak!.bytes : undefined,
    };
    if (p.index === pinningAt) pinning = computePinning(model!, tables);
  };
  const removeTaken = (): void => {
    for (let i = pending.length - 1; i >= 0; i--) if (states[pending[i]!.index] !== null) pending.splice(i, 1);
    if (pending.length === 0) throw new StopReading();
  };
  // Marks resolve against the names known when the first batch arrives (tables precede batches,
  // and new marks arrive with the batches that use them).
  const resolveMarks = (): void => {
    for (const p of pending) {
      if (p.moment.kind !== 'mark') continue;
      const name = p.moment.name;
      const known = [...tables.marks.values()].some((m) => m.name === name);
      const hash = /^(.*)#(\d+)$/.exec(name);
      if (!known && hash && Number(hash[2]) >= 1) {
        p.markName = hash[1]!;
        p.occurrence = Number(hash[2]);
      } else {
        p.markName = name;
        p.occurrence = 1;
      }
    }
  };

  let read: ReadResult;
  try {
    read = await readCapture(
      file,
      withTables(tables, {
        header: (h) => {
          checkArenaHeader(file, h);
          model = new ArenaModel(h.geometry, { trackStacks: pinningAt >= 0, pythonHexversion: h.pythonHexversion });
        },
        marks: () => {
          if (marksResolved) resolveMarks();
        },
        batch: (b) => {
          const m = model!;
          if (!marksResolved) {
            resolveMarks();
            marksResolved = true;
          }
          // The next time and record position at which something is due.
          let nextTime = Infinity;
          let nextRecord = Infinity;
          let wantMarks = false;
          const recompute = (): void => {
            nextTime = Infinity;
            nextRecord = Infinity;
            wantMarks = false;
            for (const p of pending) {
              if (p.moment.kind === 'time') nextTime = Math.min(nextTime, p.moment.us);
              else if (p.moment.kind === 'peak') nextRecord = Math.min(nextRecord, peak!.records);
              else if (p.moment.kind === 'mark') wantMarks = true;
            }
          };
          recompute();
          const { kind, address, size, stack, timeUs } = b;
          const n = b.count;
          for (let i = 0; i < n; i++) {
            const k = kind[i]!;
            const t = timeUs[i]!;
            if (m.records >= nextRecord || t > nextTime) {
              for (const p of pending) {
                if ((p.moment.kind === 'peak' && m.records >= peak!.records) || (p.moment.kind === 'time' && t > p.moment.us)) {
                  take(p, p.moment.kind === 'time' ? p.moment.us : peak!.timeUs);
                }
              }
              removeTaken();
              recompute();
            }
            if (k === KIND.MARK && wantMarks) {
              const name = tables.marks.get(size[i]!)?.name;
              if (name !== undefined) {
                const seen = (markSeen.get(name) ?? 0) + 1;
                markSeen.set(name, seen);
                let hit = false;
                for (const p of pending) {
                  if (p.moment.kind === 'mark' && p.markName === name && p.occurrence === seen) {
                    take(p, t);
                    hit = true;
                  }
                }
                if (hit) {
                  removeTaken();
                  recompute();
                }
              }
            }
            m.apply(k, address[i]!, size[i]!, stack[i]!);
          }
          if (n > 0) lastTimeUs = timeUs[n - 1]!;
          options.onProgress?.(m.records);
        },
      }),
      { reuseBatches: true },
    );
  } catch (e) {
    if (!(e instanceof StopReading)) throw e;
    read = { header: tables.header, trailer: null, warnings: [], frames: 0, batches: 0, records: 0, truncated: false, bytesRead: 0 };
  }
  const header = tables.header;
  if (header === null || model === null) throw new PymemprofError(`${file}: the capture has no header`, 'BAD_CAPTURE', 2);
  const mdl: ArenaModel = model;
  // Whatever is still pending is at the end: `end`, `peak` at the last record, times past the end.
  for (const p of pending.slice()) {
    if (p.moment.kind === 'mark') {
      const names = [...new Set([...tables.marks.values()].map((mk) => mk.name))];
      const seen = markSeen.get(p.markName!) ?? 0;
      const what = seen > 0 ? `mark '${p.markName}' occurs ${seen} time${seen === 1 ? '' : 's'}, not ${p.occurrence}` : `no mark named '${p.moment.name}'`;
      throw new PymemprofError(
        `--at ${p.moment.text}: ${what} in ${file} (${names.length ? `marks: ${names.slice(0, 20).join(', ')}` : 'it has no marks'})`,
        'BAD_ARGUMENT',
        2,
      );
    }
    take(p, p.moment.kind === 'time' ? p.moment.us : p.moment.kind === 'peak' ? peak!.timeUs : lastTimeUs);
  }
  return {
    file,
    header,
    states: states as MomentState[],
    pinning,
    anomalies: mdl.anomalyMessages(),
    anomalyCount: mdl.anomalies,
    smallOutsideArenas: mdl.smallOutsideArenas,
    warnings: read.warnings,
    tables,
    model: mdl,
  };
}

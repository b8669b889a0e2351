/**
 * The heap's high-water mark as a record position, with the accounting of `stats` (tracemalloc's:
 * requested bytes of the RAW, MEM and OBJ domains; an ALLOC at a live address replaces the block, a
 * FREE of an unknown address is ignored, a RESIZE replaces or inserts). The peak is the first record
 * after which live bytes reached their maximum, so `arenas --at peak` shows pymalloc at the moment
 * `stats` reports as peak_time_ms.
 */
import { readCapture } from '../capture/reader';
import { AddrMap } from './arena-addr-map';

export interface HeapPeak {
  /** Number of records applied at the peak (the peak record's index + 1; 0 when nothing was live). */
  records: number;
  timeUs: number;
  bytes: number;
}

export async function findHeapPeak(path: string): Promise<HeapPeak> {
  const live = new AddrMap();
  let bytes = 0;
  let index = 0;
  const peak: HeapPeak = { records: 0, timeUs: 0, bytes: 0 };
  await readCapture(
    path,
    {
      batch: (b) => {
        const { kind, address, size, timeUs } = b;
        for (let i = 0; i < b.count; i++, index++) {
          const k = kind[i]!;
          const addr = address[i]!;
          if (addr === 0) continue;
          if (k >= 4 && k <= 6) {
            const old = live.delete(addr);
            if (old !== undefined) bytes -= old;
            continue;
          }
          if (k > 9 || k === 0) continue; // ARENA_*, MARK
          const old = live.set(addr, size[i]!);
          if (old !== undefined) bytes -= old;
          bytes += size[i]!;
          if (bytes > peak.bytes) {
            peak.bytes = bytes;
            peak.records = index + 1;
            peak.timeUs = timeUs[i]!;
          }
        }
      },
    },
    { reuseBatches: true },
  );
  return peak;
}

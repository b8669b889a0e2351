/**
 * A hand-built capture for the report tests (two phases, two threads, import machinery frames):
 *   app.py <module>:30 → main:20 → phase_one:5   allocates 8 MB at 1 ms, freed at 9 ms
 *   app.py <module>:30 → main:21 → phase_two:12  allocates 12 MB at 20 ms, never freed (leak)
 *   app.py <module>:30 → main:21 → phase_two:13  4 KB temporaries at 21..22 ms (freed at once)
 *   <frozen importlib._bootstrap>:_load:100 → lib.py:helper:7   1 MB at 2 ms on thread 2, never freed
 * Peak: 12 MB + 1 MB + 4096 at 21 ms (the first temporary). In the window [0, 10 ms] the peak is 8 MB + 1 MB at 2 ms.
 */
import { KIND } from '../../src/capture/batch-decoder';
import { CaptureBuilder, TestRecord } from '../helpers/capture-builder';

export const MB = 1_000_000;

export function reportFixture(opts: { file?: string; func?: string; argv?: string[]; trailer?: boolean; sampleBytes?: number } = {}): CaptureBuilder {
  const file = opts.file ?? 'app.py';
  const b = new CaptureBuilder()
    .header({ argv: opts.argv ?? [file, '--fast'], pythonVersion: '3.12.1', sampleBytes: opts.sampleBytes ?? 0 })
    .code(
      { id: 1, filename: file, qualname: '<module>', firstLine: 1, lineStarts: [0], lines: [30] },
      { id: 2, filename: file, qualname: 'main', firstLine: 19, lineStarts: [0, 10], lines: [20, 21] },
      { id: 3, filename: file, qualname: opts.func ?? 'phase_one', firstLine: 4, lineStarts: [0], lines: [5] },
      { id: 4, filename: file, qualname: 'phase_two', firstLine: 11, lineStarts: [0, 10], lines: [12, 13] },
      { id: 5, filename: '<frozen importlib._bootstrap>', qualname: '_load', firstLine: 99, lineStarts: [0], lines: [100] },
      { id: 6, filename: 'lib.py', qualname: 'helper', firstLine: 6, lineStarts: [0], lines: [7] },
    )
    .nodes([
      { id: 1, parent: 0, code: 1, offset: 0 },
      { id: 2, parent: 1, code: 2, offset: 2 },
      { id: 3, parent: 2, code: 3, offset: 0 },
      { id: 4, parent: 1, code: 2, offset: 12 },
      { id: 5, parent: 4, code: 4, offset: 2 },
      { id: 6, parent: 4, code: 4, offset: 12 },
      { id: 7, parent: 0, code: 5, offset: 0 },
      { id: 8, parent: 7, code: 6, offset: 0 },
    ])
    .threads([
      { id: 1, name: 'MainThread' },
      { id: 2, name: 'loader' },
    ])
    .marks([{ id: 1, name: 'phase two' }]);
  const recs: TestRecord[] = [
    { kind: KIND.ALLOC_OBJ, address: 0x10000, size: 8 * MB, stack: 3, timeUs: 1000 },
    { kind: KIND.ALLOC_MEM, address: 0x20000, size: 1 * MB, stack: 8, thread: 2, timeUs: 2000 },
    { kind: KIND.FREE_OBJ, address: 0x10000, timeUs: 9000 },
    { kind: KIND.MARK, address: 0, size: 1, stack: 2, timeUs: 19000 },
    { kind: KIND.ALLOC_RAW, address: 0x30000, size: 12 * MB, stack: 5, timeUs: 20000 },
  ];
  for (let i = 0; i < 10; i++) {
    recs.push({ kind: KIND.ALLOC_OBJ, address: 0x40000 + i * 0x1000, size: 4096, stack: 6, timeUs: 21000 + i * 100 });
    recs.push({ kind: KIND.FREE_OBJ, address: 0x40000 + i * 0x1000, timeUs: 21000 + i * 100 + 10 });
  }
  b.batch(recs.slice(0, 3)).batch(recs.slice(3));
  if (opts.trailer !== false) b.trailer({ records: recs.length, allocations: 13, frees: 11, durationUs: 25000, batches: 2 });
  return b;
}

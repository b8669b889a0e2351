/**
 * The flamegraph's reading-side stage: the row stage (row-stage.ts) and the arena chart's timeline
 * (arena-timeline.ts) over the same decoded batches, on the thread that decodes the capture (the
 * reader's worker for large files). One decode and one worker serve both: on two cores a separate
 * arena worker decoding the capture a second time cost as much CPU as it saved wall time, and on
 * small captures its start-up (V8, module loading) was most of the report's time.
 */
import { DecodedBatch } from '../capture/batch-decoder';
import type { BatchStage, CaptureHeader, StackNodesChunk } from '../capture/reader';
import { PymemprofError } from '../errors';
import { checkArenaHeader } from './arena-query';
import { ArenaTimelineBuilder, ArenaWorkerAnswer } from './arena-timeline';
import { RowStage, RowStageState } from './row-stage';

export interface ReportStageResult {
  rows: RowStageState;
  /** The timeline on the buckets the report reducer's coarsening gives for the same records. */
  arenas: ArenaWorkerAnswer;
}

export class ReportStage implements BatchStage {
  private readonly rows = new RowStage();
  private arenas: ArenaTimelineBuilder | null = null;
  private answer: ArenaWorkerAnswer | null = null;

  header(h: CaptureHeader): void {
    try {
      checkArenaHeader('', h);
      this.arenas = new ArenaTimelineBuilder(h);
    } catch (e) {
      // No pymalloc, a sampled capture, or a geometry the model refuses: no chart.
      this.answer = e instanceof PymemprofError ? { none: true } : { error: e instanceof Error ? e.message : String(e) };
    }
  }

  stackNodes(nodes: StackNodesChunk): void {
    this.rows.stackNodes(nodes);
  }

  batch(b: DecodedBatch): void {
    // Before the row stage, which writes rows over the stack column.
    if (this.arenas) {
      try {
        this.arenas.batch(b);
      } catch (e) {
        // The report goes on; the flamegraph command reads the timeline again and reports the problem.
        this.answer = { error: e instanceof Error ? e.message : String(e) };
        this.arenas = null;
      }
    }
    this.rows.batch(b);
  }

  result(): ReportStageResult {
    const arenas = this.arenas ? { timeline: this.arenas.ownResult() } : (this.answer ?? { none: true });
    return { rows: this.rows.result(), arenas };
  }
}

export function createBatchStage(): ReportStage {
  return new ReportStage();
}

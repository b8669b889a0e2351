/** The Node API. `run()` profiles a program; `computeStats()` reads a capture. */
export { run } from './tracer/run';
export type { RunOptions, RunResult, ProgramEnding } from './tracer/run';
export { computeStats, analyzeStats } from './analysis/compute-stats';
export type { StatsJson } from './analysis/compute-stats';
export { readCapture, CaptureTables } from './capture/reader';
export { PymemprofError, BadCaptureError, PythonNotFoundError, BuildError } from './errors';

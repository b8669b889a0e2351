export { LiveTable } from './live-table';
export { StatsReducer, foldByLocation, collapse } from './stats';
export type { PeakLocation, StatsFigures } from './stats';
export { analyzeStats, computeStats, TOP_PEAK_LOCATIONS } from './compute-stats';
export type { StatsJson, StatsAnalysis } from './compute-stats';

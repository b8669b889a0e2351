export { decodeRecordBatch, KIND, kindHasSize, kindHasStack, isAlloc, isFree, isResize } from './batch-decoder';
export type { DecodedBatch } from './batch-decoder';
export { referenceDecodeRecordBatch, referenceDecodeBatchFrame } from './reference-decoder';
export {
  readCapture,
  readCaptureBytes,
  withTables,
  CaptureTables,
  resolveLineIn,
  CAPTURE_MAGIC,
  SUPPORTED_FORMAT_VERSION,
  MAX_FRAME_BYTES,
} from './reader';
export type {
  CaptureHeader,
  CaptureTrailer,
  CaptureVisitor,
  CodeObjectInfo,
  FrameLocation,
  MarkInfo,
  ReadOptions,
  ReadResult,
  StackNodesChunk,
  ThreadInfo,
} from './reader';

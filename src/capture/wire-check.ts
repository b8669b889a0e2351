/**
 * Structural check of a Frame (proto/capture.proto) before protobufjs decodes it.
 *
 * protobufjs is lenient where a corrupt capture needs strictness: it reads lengths and uint32 fields
 * as 32-bit varints and steps over the rest of a longer varint blindly (a length of 2^60 reads as 0,
 * and the bytes after it as the next field), and it decodes a field of the wrong wire type as if it
 * were right. So a corrupt table frame could decode as wrong tables instead of failing. This walks a
 * frame by the schema: every length within its message, every varint terminated (32-bit fields within
 * 5 bytes and 2^32), only the wire types the schema allows. Record batches are checked by their own
 * decoder (batch-decoder.ts); here a batch is only a length-delimited field.
 */

/** Field kinds. A schema maps field numbers to a kind or to a nested schema. */
const U32 = 1; // uint32 / sint32, one varint
const U64 = 2; // uint64, one varint
const BYTES = 3; // string, bytes, or a message checked elsewhere (the record batch)
const REP32 = 4; // repeated uint32 / sint32: packed, or one varint per occurrence

interface Schema {
  [field: number]: number | Schema;
}

const GEOMETRY: Schema = { 1: U32, 2: U32, 3: U32, 4: U32 };
const HEADER: Schema = { 1: BYTES, 2: U32, 3: BYTES, 4: U32, 5: GEOMETRY, 6: U32, 7: BYTES, 8: U64, 9: BYTES, 10: U64 };
const CODE_OBJECT: Schema = { 1: U32, 2: BYTES, 3: BYTES, 4: BYTES, 5: U32, 6: REP32, 7: REP32 };
const STACK_NODES: Schema = { 1: REP32, 2: REP32, 3: REP32, 4: REP32 };
const THREAD: Schema = { 1: U32, 2: U64, 3: BYTES };
const MARK: Schema = { 1: U32, 2: BYTES };
const TRAILER: Schema = { 1: U64, 2: U64, 3: U64, 4: U64, 5: U64, 6: U64 };
const FRAME: Schema = {
  1: HEADER,
  2: { 1: CODE_OBJECT },
  3: STACK_NODES,
  4: { 1: THREAD },
  5: BYTES,
  6: { 1: MARK },
  7: TRAILER,
  8: { 1: U32, 2: BYTES },
};

/** End of the varint last read by varint(). */
let vend = 0;

/** The varint at p (< end) as a double, its end in `vend`; -1 when it runs past end or beyond 10 bytes. */
function varint(buf: Uint8Array, p: number, end: number): number {
  let value = 0;
  let mul = 1;
  for (let q = p; q < end && q < p + 10; q++) {
    const b = buf[q]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) {
      vend = q + 1;
      return value;
    }
    mul *= 128;
  }
  return -1;
}

/** A problem with the 32-bit varints back to back in buf[p, end), or null. */
function check32(buf: Uint8Array, p: number, end: number): string | null {
  let run = 0;
  for (let i = p; i < end; i++) {
    const b = buf[i]!;
    if (b & 0x80) {
      if (++run > 4) return 'a 32-bit varint longer than 5 bytes';
    } else {
      if (run === 4 && b > 0x0f) return 'a 32-bit value out of range';
      run = 0;
    }
  }
  return run ? 'a varint runs past the end' : null;
}

/** A one-line description of what is wrong with the Frame in buf[start, end), or null when it is sound. */
export function checkFrame(buf: Uint8Array, start: number, end: number): string | null {
  return checkMessage(buf, start, end, FRAME, 'frame');
}

function checkMessage(buf: Uint8Array, start: number, end: number, schema: Schema, name: string): string | null {
  let p = start;
  while (p < end) {
    const tag = varint(buf, p, end);
    if (tag < 0) return `${name}: bad field tag at byte ${p - start}`;
    p = vend;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0 || field >= 2 ** 29) return `${name}: field number ${field} out of range`;
    const kind = schema[field];
    const where = `${name} field ${field}`;
    if (kind === undefined) {
      // Unknown field: skipped by its wire type (groups, 3 and 4, are not used by proto3).
      if (wire === 0) {
        if (varint(buf, p, end) < 0) return `${where}: bad varint`;
        p = vend;
      } else if (wire === 1 || wire === 5) {
        p += wire === 1 ? 8 : 4;
        if (p > end) return `${where} runs past the end`;
      } else if (wire === 2) {
        const len = varint(buf, p, end);
        if (len < 0 || len > end - vend) return `${where}: length ${len < 0 ? '(bad varint)' : len} runs past the end`;
        p = vend + len;
      } else {
        return `${where} has wire type ${wire}`;
      }
      continue;
    }
    if (wire === 2) {
      if (kind === U32 || kind === U64) return `${where} has wire type 2`;
      const len = varint(buf, p, end);
      if (len < 0 || len > end - vend) return `${where}: length ${len < 0 ? '(bad varint)' : len} runs past the end`;
      const s = vend;
      p = s + len;
      if (kind === REP32) {
        const bad = check32(buf, s, p);
        if (bad) return `${where}: ${bad}`;
      } else if (typeof kind === 'object') {
        const bad = checkMessage(buf, s, p, kind, where);
        if (bad) return bad;
      }
    } else if (wire === 0 && (kind === U32 || kind === U64 || kind === REP32)) {
      const v = varint(buf, p, end);
      if (v < 0) return `${where}: bad varint`;
      if (kind !== U64) {
        const bad = check32(buf, p, vend);
        if (bad) return `${where}: ${bad}`;
      }
      p = vend;
    } else {
      return `${where} has wire type ${wire}`;
    }
  }
  return null;
}

/**
 * [start, end) of the RecordBatch payload when the Frame in buf[start, end) holds one (field 5, and
 * no later member of the oneof), else null: no batch, or anything unusual, for checkFrame to judge.
 * Unknown scalar fields are stepped over, so a sound frame with a batch never comes back null.
 */
export function findBatchField(buf: Uint8Array, start: number, end: number): [number, number] | null {
  let found: [number, number] | null = null;
  let p = start;
  while (p < end) {
    const tag = varint(buf, p, end);
    if (tag < 0) return null;
    p = vend;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 2) {
      const len = varint(buf, p, end);
      if (len < 0 || len > end - vend) return null;
      p = vend + len;
      if (field === 5) found = [vend, p];
      else if (field >= 1 && field <= 8) found = null; // a later oneof member wins
    } else if (field >= 1 && field <= 8) {
      return null;
    } else if (wire === 0) {
      if (varint(buf, p, end) < 0) return null;
      p = vend;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
      if (p > end) return null;
    } else {
      return null;
    }
  }
  return found;
}

/**
 * A compressed frame (Frame field 8, proto/capture.proto) in buf[start, end): its raw size and the
 * [from, to) of its LZ4 block; null when the frame is not one (or is unusual: checkFrame judges).
 */
export function findCompressedField(buf: Uint8Array, start: number, end: number): { rawSize: number; from: number; to: number } | null {
  let p = start;
  let body: [number, number] | null = null;
  while (p < end) {
    const tag = varint(buf, p, end);
    if (tag < 0 || tag % 8 !== 2) return null;
    const len = varint(buf, vend, end);
    if (len < 0 || len > end - vend) return null;
    body = Math.floor(tag / 8) === 8 ? [vend, vend + len] : null; // the last oneof member wins
    p = vend + len;
  }
  if (body === null) return null;
  let rawSize = 0;
  let from = -1;
  let to = -1;
  for (p = body[0]; p < body[1]; ) {
    const tag = varint(buf, p, body[1]);
    if (tag < 0) return null;
    p = vend;
    if (tag === 8) {
      rawSize = varint(buf, p, body[1]);
      if (rawSize < 0) return null;
      p = vend;
    } else if (tag === 18) {
      const len = varint(buf, p, body[1]);
      if (len < 0 || len > body[1] - vend) return null;
      from = vend;
      to = vend + len;
      p = to;
    } else {
      return null;
    }
  }
  return from < 0 ? { rawSize, from: body[1], to: body[1] } : { rawSize, from, to };
}

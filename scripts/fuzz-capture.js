#!/usr/bin/env node
/**
 * Mutation fuzzer for the capture decoders. Mutates small valid captures (bit flips, interesting
 * bytes, truncation, chunk and frame duplication/removal, splicing, varints and length fields
 * rewritten to huge values with or without fixing the enclosing lengths...) and feeds every input
 * through each decode path: readCaptureBytes with the fresh, reuse and append decoders (the last is
 * what the worker runs) at random chunk sizes, readCapture on a file (every 61st input) and on a
 * worker thread (every 4099th), and per batch frame decodeRecordBatch, checkedDecodeRecordBatch and
 * the reference decoder. Run `npx tsc -p tsconfig.json` first.
 *
 *   node scripts/fuzz-capture.js [--iterations 1000000] [--seconds T] [--seed S] [--out DIR]
 *        [--jobs N] [--timeout-ms 2000] [--max-alloc-mb 256] [--seed-file CAPTURE]... [--replay I]
 *
 * An input passes when every path either succeeds or throws a PymemprofError with a string code and
 * a one-line message naming the input, and the paths agree with each other (same outcome, same
 * records). Anything else is a finding, saved to DIR (default test-output/fuzz-findings) with a
 * .txt describing it: an untyped exception, a disagreement, an allocation above the limit (a guard
 * wraps the typed array constructors and Buffer.alloc*), an input slower than the timeout, a hang
 * (a watchdog on the main thread terminates the worker), a worker out of memory, or the process
 * over 2 GiB RSS / 1 GiB array buffers. Exit status 1 when there are findings. Iteration I's input
 * depends only on (--seed, I), so `--replay I` reproduces it. --seed-file adds a real capture (its
 * frames within the first 16 KiB) to the generated seeds.
 *
 * The engine (everything above main) takes the decoders as an argument: test/unit/fuzz-capture.test.ts
 * runs it on the TypeScript sources.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// ---------- PRNG ----------

/** mulberry32: floats in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG seed of iteration i: every input is reproducible on its own. */
function iterationSeed(seed, i) {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i >>> 0, 0xc2b2ae35) ^ Math.floor(i / 4294967296);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const int = (r, n) => Math.floor(r() * n);
const pick = (r, a) => a[int(r, a.length)];

// ---------- bytes ----------

/** Varint bytes of a non-negative integer (number or bigint, up to 2^64 - 1). */
function varint(v) {
  let x = BigInt(v);
  const out = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}

function concat(parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** buf with [a, b) replaced by `ins`. */
function splice(buf, a, b, ins) {
  return concat([buf.subarray(0, a), ins, buf.subarray(b)]);
}

/** Where the varint last read by looseVarint ends. */
let vend = 0;

/** The varint at p before end (its end in `vend`), or -1 when it runs past end or beyond 10 bytes. */
function looseVarint(b, p, end) {
  let v = 0;
  let mul = 1;
  for (let q = p; q < end && q < p + 10; q++) {
    const x = b[q];
    v += (x & 0x7f) * mul;
    mul *= 128;
    if (x < 0x80) {
      vend = q + 1;
      return v;
    }
  }
  return -1;
}

// ---------- structure (a tolerant parse, to aim mutations) ----------

/**
 * Frames, and inside them fields as far as they parse: `tags` and `varints` as flat [start, end)
 * pairs; `regions`: length-delimited payloads as [lengthStart, lengthEnd, payloadStart, payloadEnd]
 * (frame length prefixes included), so that a change inside can fix the lengths around it.
 */
function parseStructure(b) {
  const s = { frames: [], tags: [], varints: [], regions: [], packed: [] };
  let p = 0;
  while (p < b.length) {
    const len = looseVarint(b, p, b.length);
    if (len < 0) break;
    const q = vend;
    const end = Math.min(b.length, q + len);
    s.regions.push(p, q, q, end);
    s.frames.push(p, end);
    parseMessage(b, q, end, s, 0);
    p = end;
  }
  return s;
}

function parseMessage(b, start, end, s, depth) {
  const mark = [s.tags.length, s.varints.length, s.regions.length, s.packed.length];
  let p = start;
  while (p < end) {
    const t = looseVarint(b, p, end);
    if (t < 0) break;
    s.tags.push(p, vend);
    p = vend;
    const wire = t % 8;
    if (wire === 0) {
      if (looseVarint(b, p, end) < 0) break;
      s.varints.push(p, vend);
      p = vend;
    } else if (wire === 2) {
      const len = looseVarint(b, p, end);
      if (len < 0) break;
      const q = vend;
      const pe = q + len;
      if (pe > end) break;
      s.regions.push(p, q, q, pe);
      if (depth >= 3 || !parseMessage(b, q, pe, s, depth + 1)) packedVarints(b, q, pe, s);
      p = pe;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
    } else break;
  }
  if (p === end) return true;
  // Not a message: forget what this level added (the caller may read it as packed varints).
  if (depth > 0) {
    s.tags.length = mark[0];
    s.varints.length = mark[1];
    s.regions.length = mark[2];
    s.packed.length = mark[3];
  }
  return false;
}

function packedVarints(b, start, end, s) {
  const n = s.varints.length;
  let p = start;
  while (p < end) {
    if (looseVarint(b, p, end) < 0) {
      s.varints.length = n;
      return;
    }
    s.varints.push(p, vend);
    p = vend;
  }
  if (end > start) s.packed.push(start, end);
}

/**
 * Replaces b[a, e) with `ins` and rewrites the length of every region around the change, so the
 * structure stays valid and the decoders look deeper.
 */
function replaceFixed(b, s, a, e, ins) {
  const around = [];
  for (let j = 0; j < s.regions.length; j += 4) {
    if (s.regions[j + 1] <= a && s.regions[j + 3] >= e && s.regions[j + 2] <= a) around.push(j);
  }
  // Innermost first (their length fields lie inside the outer payloads): edits from the back.
  around.sort((x, y) => s.regions[y] - s.regions[x]);
  const edits = [[a, e, ins]];
  let delta = ins.length - (e - a);
  for (const j of around) {
    const len = s.regions[j + 3] - s.regions[j + 2] + delta;
    const enc = varint(len);
    edits.push([s.regions[j], s.regions[j + 1], enc]);
    delta += enc.length - (s.regions[j + 1] - s.regions[j]);
  }
  let out = b;
  for (const [x, y, bytes] of edits) out = splice(out, x, y, bytes); // descending positions
  return out;
}

// ---------- mutations ----------

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x2a, 0x08, 0x10, 0x3a, 0x81];
const P = (e) => 2n ** BigInt(e);
const INTERESTING_VALUES = [0n, 1n, 12n, 13n, 0x7fn, 0x80n, 0x3fffn, 0x4000n, P(31) - 1n, P(31), P(32) - 1n, P(32), P(32) + 1n, P(53) - 1n, P(53), P(53) + 1n, P(60), P(63) - 1n, P(63), P(64) - 1n];
const ODD_VARINTS = [
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 2^64 - 1, as -1 is encoded
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // 10 bytes, beyond 64 bits
  Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11 bytes
  new Uint8Array(12).fill(0x80), // never ends
  Uint8Array.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), // 1, overlong
  Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), // 2^60
];

function interestingVarint(r) {
  return r() < 0.2 ? pick(r, ODD_VARINTS) : varint(pick(r, INTERESTING_VALUES));
}

function hugeLength(r, len, remaining) {
  return pick(r, [0, 1, len + 1, Math.max(0, len - 1), remaining + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + len, 2 ** 53, 2n ** 60n, 2n ** 63n - 1n, 2n ** 64n - 1n]);
}

/** One mutation of b (a new array, or b itself when it does not apply). */
function mutateOnce(b, seeds, r) {
  const n = b.length;
  const op = int(r, 18);
  if (n === 0 && op < 15) return pick(r, seeds).bytes.subarray(0, int(r, 64));
  switch (op) {
    case 0: {
      const out = Uint8Array.from(b);
      for (let k = 1 + int(r, 4); k > 0; k--) out[int(r, n)] ^= 1 << int(r, 8);
      return out;
    }
    case 1:
    case 2: {
      const out = Uint8Array.from(b);
      for (let k = 1 + int(r, 3); k > 0; k--) out[int(r, n)] = op === 1 ? pick(r, INTERESTING_BYTES) : int(r, 256);
      return out;
    }
    case 3: {
      // Truncate: anywhere, or near a frame end.
      const s = parseStructure(b);
      if (s.frames.length && r() < 0.5) {
        const j = 2 * int(r, s.frames.length / 2);
        return b.subarray(0, Math.max(0, Math.min(n, s.frames[j + 1] + int(r, 5) - 2)));
      }
      return b.subarray(0, int(r, n + 1));
    }
    case 4: {
      const a = int(r, n);
      return splice(b, a, Math.min(n, a + 1 + int(r, 64)), new Uint8Array(0));
    }
    case 5: {
      const a = int(r, n);
      const chunk = b.slice(a, Math.min(n, a + 1 + int(r, 64)));
      const at = int(r, n + 1);
      return splice(b, at, at, chunk);
    }
    case 6: {
      // A whole frame: removed, duplicated (up to many times), or moved.
      const s = parseStructure(b);
      if (!s.frames.length) return b;
      const j = 2 * int(r, s.frames.length / 2);
      const f = b.slice(s.frames[j], s.frames[j + 1]);
      const what = int(r, 3);
      if (what === 0) return splice(b, s.frames[j], s.frames[j + 1], new Uint8Array(0));
      if (what === 1) {
        const times = Math.max(1, Math.min(r() < 0.05 ? 2000 : 4, Math.floor(32768 / Math.max(1, f.length))));
        const reps = [];
        for (let k = 0; k < times; k++) reps.push(f);
        return splice(b, s.frames[j + 1], s.frames[j + 1], concat(reps));
      }
      const at = s.frames[2 * int(r, s.frames.length / 2)];
      const without = splice(b, s.frames[j], s.frames[j + 1], new Uint8Array(0));
      const pos = at > s.frames[j] ? at - f.length : at;
      return splice(without, Math.max(0, pos), Math.max(0, pos), f);
    }
    case 7: {
      // Splice with another seed: at frame boundaries or anywhere.
      const other = pick(r, seeds).bytes;
      if (r() < 0.5) {
        const s1 = parseStructure(b);
        const s2 = parseStructure(other);
        if (s1.frames.length && s2.frames.length) {
          const cut1 = s1.frames[2 * int(r, s1.frames.length / 2) + 1];
          const from2 = s2.frames[2 * int(r, s2.frames.length / 2)];
          return concat([b.subarray(0, cut1), other.subarray(from2)]);
        }
      }
      return concat([b.subarray(0, int(r, n + 1)), other.subarray(int(r, other.length + 1))]);
    }
    case 8:
    case 9: {
      // A varint rewritten to an interesting value; op 9 fixes the lengths around it.
      const s = parseStructure(b);
      if (!s.varints.length) return b;
      const j = 2 * int(r, s.varints.length / 2);
      const v = interestingVarint(r);
      return op === 9 ? replaceFixed(b, s, s.varints[j], s.varints[j + 1], v) : splice(b, s.varints[j], s.varints[j + 1], v);
    }
    case 10: {
      // A length field (frame prefix or field) set to a huge or off-by-one value.
      const s = parseStructure(b);
      if (!s.regions.length) return b;
      const j = 4 * int(r, s.regions.length / 4);
      const len = s.regions[j + 3] - s.regions[j + 2];
      return splice(b, s.regions[j], s.regions[j + 1], varint(hugeLength(r, len, n - s.regions[j + 1])));
    }
    case 11: {
      // A tag: another field number and/or wire type.
      const s = parseStructure(b);
      if (!s.tags.length) return b;
      const j = 2 * int(r, s.tags.length / 2);
      const field = r() < 0.8 ? int(r, 9) : pick(r, [15, 16, 2047, 2 ** 29 - 1, 2 ** 29, 2 ** 32, 2 ** 60]);
      const tag = BigInt(field) * 8n + BigInt(int(r, 8));
      return splice(b, s.tags[j], s.tags[j + 1], varint(tag));
    }
    case 12: {
      // Zero-length frames (a long run of 0x00) at a frame boundary.
      const s = parseStructure(b);
      const at = s.frames.length ? s.frames[2 * int(r, s.frames.length / 2) + 1] : n;
      return splice(b, at, at, new Uint8Array(r() < 0.05 ? 20000 : 1 + int(r, 16)));
    }
    case 13: {
      // Entries added to a packed column (a huge repeated count), lengths fixed around them.
      const s = parseStructure(b);
      if (!s.packed.length) return b;
      const j = 2 * int(r, s.packed.length / 2);
      const count = r() < 0.05 ? 1 + int(r, 20000) : 1 + int(r, 8);
      const one = r() < 0.5 ? Uint8Array.of(int(r, 128)) : interestingVarint(r);
      const ins = new Uint8Array(count * one.length);
      for (let k = 0; k < count; k++) ins.set(one, k * one.length);
      const at = s.packed[j + 1 - int(r, 2)];
      return replaceFixed(b, s, at, at, ins);
    }
    case 14: {
      // A packed column emptied or cut short, lengths fixed.
      const s = parseStructure(b);
      if (!s.packed.length) return b;
      const j = 2 * int(r, s.packed.length / 2);
      const a = s.packed[j] + int(r, s.packed[j + 1] - s.packed[j] + 1);
      return replaceFixed(b, s, a, s.packed[j + 1], new Uint8Array(0));
    }
    case 15: {
      // Hostile tail: a frame claiming a huge length, or one of odd varints.
      return concat([b, r() < 0.5 ? varint(hugeLength(r, 0, 0)) : pick(r, ODD_VARINTS), new Uint8Array(int(r, 32)).fill(int(r, 256))]);
    }
    case 16: {
      // Random bytes inserted.
      const ins = new Uint8Array(1 + int(r, 16));
      for (let k = 0; k < ins.length; k++) ins[k] = r() < 0.5 ? pick(r, INTERESTING_BYTES) : int(r, 256);
      const at = int(r, n + 1);
      return splice(b, at, at, ins);
    }
    default: {
      // A varint inserted inside a message (an extra field or entry), lengths fixed.
      const s = parseStructure(b);
      if (!s.tags.length) return b;
      const j = 2 * int(r, s.tags.length / 2);
      const ins = concat([varint(BigInt(int(r, 10)) * 8n + BigInt(pick(r, [0, 0, 2, 1, 5]))), interestingVarint(r)]);
      return replaceFixed(b, s, s.tags[j], s.tags[j], ins);
    }
  }
}

/** A mutated input from r: a seed, then 1 to ~6 mutations. Bounded size (so inputs stay fast). */
function makeInput(seeds, r, maxBytes = 1 << 18) {
  let b = pick(r, seeds).bytes;
  let k = 1;
  while (k < 8 && r() < 0.45) k++;
  for (let i = 0; i < k; i++) {
    b = mutateOnce(b, seeds, r);
    if (b.length > maxBytes) b = b.subarray(0, maxBytes);
  }
  return b;
}

// ---------- seeds ----------

/** Small valid captures, built with the generated protobufjs encoders (`pb` = pymemprof.capture). */
/**
 * A small greedy LZ4 block compressor (literal runs and matches found through a hash of 4 bytes), for
 * seeds and tests: the tracer's frames come from the reference LZ4 (native/third_party/lz4).
 */
function lz4Encode(src) {
  const out = [];
  const n = src.length;
  const table = new Map();
  const length = (r) => {
    while (r >= 255) {
      out.push(255);
      r -= 255;
    }
    out.push(r);
  };
  const sequence = (litStart, litEnd, matchLen, offset) => {
    const lit = litEnd - litStart;
    const ml = matchLen - 4;
    out.push((Math.min(lit, 15) << 4) | (matchLen > 0 ? Math.min(ml, 15) : 0));
    if (lit >= 15) length(lit - 15);
    for (let k = litStart; k < litEnd; k++) out.push(src[k]);
    if (matchLen > 0) {
      out.push(offset & 255, offset >> 8);
      if (ml >= 15) length(ml - 15);
    }
  };
  let anchor = 0;
  let i = 0;
  // As the format asks: the last 5 bytes are literals, no match starts in the last 12.
  while (i + 12 <= n) {
    const key = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
    const cand = table.get(key);
    table.set(key, i);
    if (cand !== undefined && i - cand <= 65535) {
      let len = 4;
      while (i + len < n - 5 && src[cand + len] === src[i + len]) len++;
      sequence(anchor, i, len, i - cand);
      i += len;
      anchor = i;
    } else {
      i++;
    }
  }
  sequence(anchor, n, 0, 0);
  return Uint8Array.from(out);
}

function makeSeeds(pb) {
  const r = rng(12345);
  const frame = (body) => {
    const f = pb.Frame.encode(body).finish();
    return concat([varint(f.length), f]);
  };
  const header = (extra = {}) =>
    frame({
      header: {
        magic: 'pymemprof',
        formatVersion: 1,
        pythonVersion: '3.12.1',
        pythonHexversion: 0x030c01f0,
        geometry: { arenaSize: 1 << 20, poolSize: 16384, alignment: 16, smallRequestThreshold: 512 },
        pid: 4242,
        argv: ['fuzz.py', '-x'],
        startTimeUnixUs: 1_700_000_000_000_000,
        executable: '/usr/bin/python3',
        sampleBytes: 0,
        ...extra,
      },
    });
  const codes = (n) =>
    frame({
      codeObjects: {
        code: Array.from({ length: n }, (_, i) => ({
          id: i + 1,
          name: `f${i}`,
          qualname: `mod.f${i}`,
          filename: `mod${i % 3}.py`,
          firstLine: 10 * i + 1,
          lineStarts: [0, 6, 20],
          lines: [10 * i + 1, -1, 10 * i + 3],
        })),
      },
    });
  // Absolute columns (formats 1-3) or, half the time, format 4's implied ids and parents counted back.
  const nodes = (n) => {
    const parent = Array.from({ length: n }, (_, i) => (i < 2 ? 0 : 1 + int(r, i)));
    const code = Array.from({ length: n }, (_, i) => 1 + (i % 5));
    const offset = Array.from({ length: n }, (_, i) => (i % 3) * 6);
    if (r() < 0.5) return frame({ stackNodes: { firstId: 1, parentBack: parent.map((p, i) => i + 1 - p), code, offset } });
    return frame({ stackNodes: { id: Array.from({ length: n }, (_, i) => i + 1), parent, code, offset } });
  };
  const threads = frame({ threads: { thread: [{ id: 1, nativeId: 1001, name: 'MainThread' }, { id: 2, nativeId: 1002, name: '' }] } });
  const marks = frame({ marks: { mark: [{ id: 1, name: 'start' }, { id: 2, name: 'phase 2' }] } });
  const trailer = (records, extra = {}) => frame({ trailer: { records, allocations: records, frees: 0, durationUs: 5000, batches: 1, droppedRecords: 0, ...extra } });

  const hasSize = (k) => (k >= 1 && k <= 3) || (k >= 7 && k <= 10) || k === 12;
  const hasStack = (k) => (k >= 1 && k <= 3) || (k >= 7 && k <= 9) || k === 12;
  /** A RecordBatch message of n records (big: values far beyond what a program makes). */
  const batchMessage = (n, big, t0 = 1000) => {
    const m = { kind: [], addressDelta: [], size: [], stack: [], thread: [], timeDeltaUs: [], baseTimeUs: t0 };
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const k = i < 12 ? i + 1 : 1 + int(r, 12);
      const addr = big && r() < 0.3 ? Math.floor(r() * 2 ** 52) : 0x7f0000000000 + int(r, 4096) * 16;
      m.kind.push(k);
      m.addressDelta.push(addr - prev);
      prev = addr;
      if (hasSize(k)) m.size.push(k === 12 ? 1 + int(r, 2) : big && r() < 0.3 ? Math.floor(r() * 2 ** 50) : int(r, 4096));
      if (hasStack(k)) m.stack.push(big && r() < 0.3 ? 0xffffffff : int(r, 12));
      m.thread.push(big && r() < 0.3 ? 0xffffffff : 1 + int(r, 2));
      m.timeDeltaUs.push(big && r() < 0.2 ? Math.floor(r() * 2 ** 45) : int(r, 3));
    }
    return m;
  };
  const batch = (n, big, t0) => frame({ batch: batchMessage(n, big, t0) });
  /** A frame as the writer compresses it (Frame.compressed holding the encoded frame). */
  const compressed = (body) => {
    const inner = pb.Frame.encode(body).finish();
    return frame({ compressed: { rawSize: inner.length, lz4: lz4Encode(inner) } });
  };

  // A batch the way protobuf allows but the writer never writes: fields out of order, split packed
  // columns, non-packed entries, multi-byte kinds, unknown fields of every wire type.
  const oddBatch = () => {
    const m = batchMessage(40, false);
    const packed = (field, values, zig) =>
      concat([varint(field * 8 + 2), varint(values.reduce((s, v) => s + varint(zig ? (v >= 0 ? 2 * v : -2 * v - 1) : v).length, 0)), ...values.map((v) => varint(zig ? (v >= 0 ? 2 * v : -2 * v - 1) : v))]);
    const single = (field, v) => concat([varint(field * 8), varint(v)]);
    const payload = concat([
      single(7, 5000),
      packed(6, m.timeDeltaUs),
      concat([varint(99 * 8 + 1), new Uint8Array(8)]), // unknown fixed64
      packed(2, m.addressDelta.slice(0, 20), true),
      packed(1, m.kind.slice(0, 25)),
      concat([varint(1 * 8 + 2), varint(m.kind.slice(25).length * 2), ...m.kind.slice(25).map((k) => Uint8Array.of(0x80 | k, 0x00))]),
      packed(2, m.addressDelta.slice(20), true),
      ...m.size.map((v) => single(3, v)),
      concat([varint(100 * 8 + 5), new Uint8Array(4)]), // unknown fixed32
      packed(4, m.stack),
      concat([varint(101 * 8 + 2), varint(3), Uint8Array.of(1, 2, 3)]), // unknown bytes
      packed(5, m.thread),
    ]);
    return concat([varint(payload.length + 1 + varint(payload.length).length), Uint8Array.of(0x2a), varint(payload.length), payload]);
  };

  return [
    { name: 'small', bytes: concat([header(), codes(5), nodes(8), threads, batch(14, false, 1000), marks, batch(6, false, 2000), trailer(20)]) },
    { name: 'batch300', bytes: concat([header(), codes(5), nodes(30), threads, batch(300, false, 10), trailer(300)]) },
    { name: 'big-values', bytes: concat([header({ sampleBytes: 2 ** 40 }), codes(2), nodes(4), batch(60, true, 2 ** 50), trailer(60, { droppedRecords: 7 })]) },
    { name: 'odd-batch', bytes: concat([header(), codes(3), nodes(5), threads, oddBatch()]) },
    { name: 'empty-frames', bytes: concat([header(), frame({ batch: {} }), Uint8Array.of(0), frame({ codeObjects: {} }), frame({ stackNodes: {} }), batch(3, false, 1), trailer(3)]) },
    { name: 'tables-late', bytes: concat([header(), batch(20, false, 5), codes(4), nodes(12), marks, threads, batch(20, false, 50), trailer(40)]) },
    {
      name: 'compressed',
      bytes: concat([
        header({ formatVersion: 2 }),
        compressed({ codeObjects: { code: [{ id: 1, name: 'f', qualname: 'f', filename: 'm.py', firstLine: 1, lineStarts: [0], lines: [1] }] } }),
        nodes(6),
        compressed({ batch: batchMessage(200, false, 100) }),
        compressed({ marks: { mark: [{ id: 1, name: 'x'.repeat(300) }] } }),
        batch(5, false, 5000),
        trailer(205),
      ]),
    },
  ];
}

/** The first n varints of buf[s, e) (a packed column), as they are. */
function firstVarints(buf, s, e, n) {
  let p = s;
  for (let i = 0; i < n && p < e; i++) {
    if (looseVarint(buf, p, e) < 0) break;
    p = vend;
  }
  return buf.subarray(s, p);
}

/** The fields of a message as [field, wire, payload]: the length-delimited content, or the varint. */
function fieldsOf(buf, s, e) {
  const out = [];
  let p = s;
  while (p < e) {
    const tag = looseVarint(buf, p, e);
    if (tag < 0) break;
    p = vend;
    const wire = tag % 8;
    if (wire === 2) {
      const len = looseVarint(buf, p, e);
      if (len < 0 || vend + len > e) break;
      out.push([Math.floor(tag / 8), 2, buf.subarray(vend, vend + len)]);
      p = vend + len;
    } else if (wire === 0) {
      if (looseVarint(buf, p, e) < 0) break;
      out.push([Math.floor(tag / 8), 0, buf.subarray(p, vend)]);
      p = vend;
    } else break;
  }
  return out;
}

const fieldBytes = (field, wire, payload) => concat(wire === 2 ? [varint(field * 8 + 2), varint(payload.length), payload] : [varint(field * 8), payload]);

/**
 * A real capture as a seed, in the writer's own encoding but small: its frames up to ~32 KiB, code
 * object tables cut to their first entries, stack node columns and record batches to their first
 * `keep` entries (the sparse size and stack columns to what those records need).
 */
function seedFromFile(file, keep = 40) {
  const b = new Uint8Array(fs.readFileSync(file));
  const frames = [];
  let p = 0;
  let total = 0;
  while (p < b.length && total < 32768) {
    const len = looseVarint(b, p, b.length);
    if (len < 0 || vend + len > b.length) break;
    const start = vend;
    p = start + len;
    const [body] = fieldsOf(b, start, p);
    if (!body) continue;
    const [field, , payload] = body;
    let out = payload;
    if (field === 2) out = concat(fieldsOf(payload, 0, payload.length).slice(0, 6).map((f) => fieldBytes(...f)));
    else if (field === 3) out = concat(fieldsOf(payload, 0, payload.length).map(([f, w, v]) => fieldBytes(f, w, w === 2 ? firstVarints(v, 0, v.length, keep) : v)));
    else if (field === 5) {
      const fields = fieldsOf(payload, 0, payload.length);
      const kinds = fields.find(([f]) => f === 1)?.[2] ?? new Uint8Array(0);
      let sizes = 0;
      let stacks = 0;
      let q = 0;
      for (let i = 0; i < keep && q < kinds.length; i++) {
        const k = looseVarint(kinds, q, kinds.length);
        if (k < 0) break;
        q = vend;
        if ((k >= 1 && k <= 3) || (k >= 7 && k <= 10) || k === 12) sizes++;
        if ((k >= 1 && k <= 3) || (k >= 7 && k <= 9) || k === 12) stacks++;
      }
      const n = { 1: keep, 2: keep, 3: sizes, 4: stacks, 5: keep, 6: keep };
      out = concat(fields.map(([f, w, v]) => fieldBytes(f, w, w === 2 && n[f] !== undefined ? firstVarints(v, 0, v.length, n[f]) : v)));
    }
    const framed = fieldBytes(field, 2, out);
    frames.push(varint(framed.length), framed);
    total += framed.length;
  }
  return { name: path.basename(file), bytes: concat(frames) };
}

// ---------- allocation guard ----------

/**
 * Wraps the typed array constructors and Buffer.alloc* so that one allocation above `guard.limit`
 * bytes is recorded in guard.tripped and refused (the decoders promise memory proportional to the
 * input, so a length field claiming 2^60 bytes must never reach an allocation).
 */
function installAllocGuard(g = globalThis) {
  const guard = { limit: Infinity, tripped: null, uninstall: null };
  const check = (bytes, what) => {
    if (bytes > guard.limit) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 10;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      guard.tripped ??= `${what} of ${bytes} bytes (limit ${guard.limit}) at ${stack.split('\n').slice(3, 7).map((l) => l.trim()).join(' < ')}`;
      throw new Error(`fuzz allocation guard: ${what} of ${bytes} bytes`);
    }
  };
  const saved = [];
  for (const [name, bpe] of [['Uint8Array', 1], ['Int8Array', 1], ['Uint16Array', 2], ['Int32Array', 4], ['Uint32Array', 4], ['Float64Array', 8], ['Float32Array', 4], ['BigInt64Array', 8], ['ArrayBuffer', 1], ['SharedArrayBuffer', 1]]) {
    const C = g[name];
    if (!C) continue;
    const proxy = new Proxy(C, {
      construct(target, args, newTarget) {
        if (typeof args[0] === 'number') check(args[0] * bpe, `new ${name}`);
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
      },
    });
    saved.push([g, name, C]);
    g[name] = proxy;
  }
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const f = Buffer[name];
    saved.push([Buffer, name, f]);
    Buffer[name] = function (size, ...rest) {
      check(size, `Buffer.${name}`);
      return f.call(this, size, ...rest);
    };
  }
  guard.uninstall = () => {
    for (const [o, name, v] of saved) o[name] = v;
  };
  return guard;
}

// ---------- running one input ----------

const NAME = 'fuzz-input.bin';
const TWO53 = 2 ** 53;
const CHUNKS = [16, 17, 64, 1000, 4096, 8 << 20];

/**
 * The outcome of one decode path: {ok, code?, ...} or a problem. An error is accepted only as a
 * PymemprofError with a non-empty string code and a one-line message containing `name`.
 */
function classify(api, err, name) {
  if (err instanceof api.PymemprofError && typeof err.code === 'string' && err.code !== '') {
    const msg = String(err.message);
    if (/[\r\n]/.test(msg)) return { problem: 'message', detail: `${err.code} message is not one line: ${JSON.stringify(msg.slice(0, 300))}` };
    if (!msg.includes(name)) return { problem: 'message', detail: `${err.code} message does not name the input (${name}): ${msg.slice(0, 300)}` };
    return { ok: false, code: err.code, message: msg };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const top = (e.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' < ');
  return { problem: 'crash', detail: `${e.name}: ${String(e.message).slice(0, 300)} at ${top}` };
}

/** Folds every batch into sums (the same records in the same order give the same sums). */
function summer() {
  const s = { records: 0, k: 0, a: 0, z: 0, st: 0, th: 0, t: 0 };
  const add = (b) => {
    s.records += b.count;
    for (let i = 0; i < b.count; i++) {
      s.k += b.kind[i];
      s.a += b.address[i];
      s.z += b.size[i];
      s.st += b.stack[i];
      s.th += b.thread[i];
      s.t += b.timeUs[i];
    }
    if (b.count > b.kind.length) throw new Error(`fuzz: batch count ${b.count} beyond its arrays`);
  };
  return { s, add };
}

const sumsKey = (s) => `${s.records}/${s.k}/${s.a}/${s.z}/${s.st}/${s.th}/${s.t}`;

/** A reader path: {ok, frames, batches, records, truncated, warnings, sums} or {ok: false, code} or a problem. */
async function readPath(api, input, decoderMode, chunkSize, withTablesToo) {
  const { s, add } = summer();
  const tables = withTablesToo ? new api.CaptureTables() : null;
  const stacks = [];
  const visitor = tables
    ? api.withTables(tables, {
        batch: (b) => {
          add(b);
          if (stacks.length < 8 && b.count) stacks.push(b.stack[0]);
        },
      })
    : { batch: add };
  try {
    const decoder = new api.BatchDecoder(decoderMode);
    if (decoderMode === 'append') decoder.detach(api.newBatchArrays(64));
    const res = await api.readCaptureBytes(input, NAME, visitor, { chunkSize, reuseBatches: decoderMode !== 'fresh' }, decoder);
    if (tables) for (const n of stacks) tables.stack(n); // what a report resolves
    return { ok: true, frames: res.frames, batches: res.batches, records: res.records, truncated: res.truncated, warnings: res.warnings.length, sums: sumsKey(s), header: res.header !== null };
  } catch (err) {
    return classify(api, err, NAME);
  }
}

const outcomeKey = (o) => (o.ok ? `ok frames=${o.frames} batches=${o.batches} records=${o.records} truncated=${o.truncated} warnings=${o.warnings} sums=${o.sums}` : `error ${o.code}`);

/** Compares two decoded batches; values of 2^53 and beyond (rounded differently) end the column's comparison. */
function sameBatch(x, y) {
  if (x.count !== y.count) return `count ${x.count} vs ${y.count}`;
  for (const col of ['kind', 'address', 'size', 'stack', 'thread', 'timeUs']) {
    const a = x[col];
    const b = y[col];
    for (let i = 0; i < x.count; i++) {
      if (Math.abs(a[i]) >= TWO53 || Math.abs(b[i]) >= TWO53) break;
      if (a[i] !== b[i]) return `${col}[${i}] ${a[i]} vs ${b[i]}`;
    }
  }
  return null;
}

/** Frames as the file holds them (tolerant split): [start of frame body, end] pairs, at most `max`. */
function splitFrames(b, max) {
  const out = [];
  let p = 0;
  while (p < b.length && out.length < 2 * max) {
    const len = looseVarint(b, p, b.length);
    if (len < 0) break;
    const end = Math.min(b.length, vend + len);
    out.push(vend, end);
    p = end;
  }
  return out;
}

/**
 * Runs every in-memory decode path on `input`; returns the problems found ([] when the input
 * passed) and the fresh reader's outcome.
 */
async function fuzzOne(api, input, r) {
  const problems = [];
  const fresh = await readPath(api, input, 'fresh', pick(r, CHUNKS), true);
  const reuse = await readPath(api, input, 'reuse', pick(r, CHUNKS), false);
  const append = await readPath(api, input, 'append', pick(r, CHUNKS), false);
  const paths = { 'reader/fresh': fresh, 'reader/reuse': reuse, 'reader/append': append };
  for (const [p, o] of Object.entries(paths)) if (o.problem) problems.push({ kind: o.problem, path: p, detail: o.detail });
  if (!problems.length) {
    const k = outcomeKey(fresh);
    for (const [p, o] of Object.entries(paths)) {
      if (outcomeKey(o) !== k) problems.push({ kind: 'mismatch', path: p, detail: `reader paths disagree: fresh: ${k}; ${p}: ${outcomeKey(o)}` });
    }
  }

  // Per batch frame (body starting with field 5, and now and then any frame): the batch decoders
  // and the reference decoder, which must agree when they succeed.
  const frames = splitFrames(input, 256);
  let tried = 0;
  for (let j = 0; j < frames.length && tried < 4; j += 2) {
    const fs0 = frames[j];
    const fe = frames[j + 1];
    if (input[fs0] !== 0x2a && r() > 0.05) continue;
    tried++;
    const ctx = `${NAME}: frame at byte offset ${fs0}`;
    const ref = attempt(api, () => api.referenceDecodeBatchFrame(input.subarray(fs0, fe), ctx), ctx);
    if (ref.problem) problems.push({ kind: ref.problem, path: 'referenceDecodeBatchFrame', detail: ref.detail });
    // The batch payload: field 5 with a length at the frame's start, else the whole frame body.
    let ps = fs0;
    let pe = fe;
    if (input[fs0] === 0x2a) {
      const len = looseVarint(input, fs0 + 1, fe);
      if (len >= 0) {
        ps = vend;
        pe = Math.min(fe, vend + len);
      }
    }
    const fast = attempt(api, () => api.decodeRecordBatch(input, ps, pe, ctx), ctx);
    const checked = attempt(api, () => api.checkedDecodeRecordBatch(input, ps, pe, ctx), ctx);
    const refb = attempt(api, () => api.referenceDecodeRecordBatch(input.subarray(ps, pe), ctx), ctx);
    for (const [p, o] of [['decodeRecordBatch', fast], ['checkedDecodeRecordBatch', checked], ['referenceDecodeRecordBatch', refb]]) {
      if (o.problem) problems.push({ kind: o.problem, path: p, detail: o.detail });
    }
    if (fast.batch && fast.batch.count > pe - ps) problems.push({ kind: 'mismatch', path: 'decodeRecordBatch', detail: `${fast.batch.count} records from ${pe - ps} bytes` });
    if (!!fast.batch !== !!checked.batch && !fast.problem && !checked.problem) {
      problems.push({ kind: 'mismatch', path: 'decodeRecordBatch', detail: `fast decoder ${fast.batch ? 'accepts' : `rejects (${fast.message})`} what the checked decoder ${checked.batch ? 'accepts' : `rejects (${checked.message})`}` });
    }
    if (fast.batch && checked.batch) {
      const d = sameBatch(fast.batch, checked.batch);
      if (d) problems.push({ kind: 'mismatch', path: 'decodeRecordBatch', detail: `fast and checked decoders differ: ${d}` });
    }
    if (fast.batch && refb.batch) {
      const d = sameBatch(fast.batch, refb.batch);
      if (d) problems.push({ kind: 'mismatch', path: 'referenceDecodeRecordBatch', detail: `fast and reference decoders differ: ${d}` });
    }
  }
  return { problems, fresh };
}

function attempt(api, fn, name) {
  try {
    return { ok: true, batch: fn() };
  } catch (err) {
    return classify(api, err, name);
  }
}

// ---------- the loop ----------

/**
 * Runs iterations start, start + stride, ... below `end` (or until `deadline`, a Date.now() value).
 * Calls onFinding({iteration, kind, path, detail, input}) and returns the counts.
 */
async function runLoop(api, seeds, o) {
  const guard = o.guard ?? null;
  const stats = { inputs: 0, bytes: 0, ok: 0, errors: {}, truncated: 0, findings: 0, slowest: 0 };
  const every = o.progressEvery ?? 1000;
  for (let i = o.start; i < o.end; i += o.stride) {
    if (o.heartbeat) Atomics.store(o.heartbeat, o.slot, i % 2 ** 31);
    if (o.deadline && stats.inputs % 64 === 0 && Date.now() > o.deadline) break;
    const r = rng(iterationSeed(o.seed, i));
    const input = makeInput(seeds, r, o.maxInputBytes);
    if (guard) {
      guard.tripped = null;
      guard.limit = o.maxAllocBytes ?? 256 << 20;
    }
    const t0 = performance.now();
    let res;
    try {
      res = await fuzzOne(api, input, r);
    } finally {
      if (guard) guard.limit = Infinity;
    }
    let ms = performance.now() - t0;
    const problems = res.problems;
    if (guard?.tripped) problems.push({ kind: 'alloc', path: 'allocation', detail: guard.tripped });
    const timeout = o.timeoutMs ?? 2000;
    if (ms > timeout) {
      // Once more, to tell a slow input from a busy machine (or a collection) at the wrong moment.
      const t1 = performance.now();
      await fuzzOne(api, input, rng(iterationSeed(o.seed, i)));
      const again = performance.now() - t1;
      if (again > timeout / 2) problems.push({ kind: 'slow', path: 'all', detail: `${ms.toFixed(0)} ms, then ${again.toFixed(0)} ms, for ${input.length} bytes` });
      ms = Math.min(ms, again);
    }
    // The file and worker paths: not timed (a thread's start-up is not the decoder's).
    if (o.extra) problems.push(...(await o.extra(input, res.fresh, i)));
    stats.slowest = Math.max(stats.slowest, ms);
    stats.inputs++;
    stats.bytes += input.length;
    if (res.fresh.ok) {
      stats.ok++;
      if (res.fresh.truncated) stats.truncated++;
    } else if (res.fresh.code) stats.errors[res.fresh.code] = (stats.errors[res.fresh.code] ?? 0) + 1;
    if (problems.length) {
      stats.findings++;
      o.onFinding?.({ iteration: i, input, problems });
    }
    if (o.heartbeat) Atomics.add(o.heartbeat, o.slot + 1, 1);
    if (o.onProgress && stats.inputs % every === 0) o.onProgress(stats);
  }
  return stats;
}

// ---------- CLI ----------

function parseArgs(argv) {
  const o = { iterations: 1_000_000, seconds: 0, seed: 1, out: path.join(__dirname, '../test-output/fuzz-findings'), jobs: Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8)), timeoutMs: 2000, maxAllocMb: 256, seedFiles: [], replay: null, maxInputBytes: 1 << 18 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const num = () => {
      const s = v();
      const n = Number(s);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a}: not a number: ${s}`);
      return n;
    };
    if (a === '--iterations') o.iterations = num();
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--out') o.out = v();
    else if (a === '--jobs') o.jobs = Math.max(1, num());
    else if (a === '--timeout-ms') o.timeoutMs = num();
    else if (a === '--max-alloc-mb') o.maxAllocMb = num();
    else if (a === '--seed-file') o.seedFiles.push(v());
    else if (a === '--replay') o.replay = num();
    else if (a === '--help' || a === '-h') o.help = true;
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

/** The decoders from dist/. */
function distApi() {
  const dist = path.resolve(__dirname, '../dist');
  if (!fs.existsSync(path.join(dist, 'capture/reader.js'))) throw new Error('build first: npx tsc -p tsconfig.json');
  const reader = require(path.join(dist, 'capture/reader.js'));
  const bd = require(path.join(dist, 'capture/batch-decoder.js'));
  const ref = require(path.join(dist, 'capture/reference-decoder.js'));
  const errors = require(path.join(dist, 'errors.js'));
  const pb = require(path.join(dist, 'capture/generated/capture.js')).pymemprof.capture;
  if (typeof reader.readCaptureBytes !== 'function') throw new Error('dist is stale (no readCaptureBytes): npx tsc -p tsconfig.json');
  return {
    readCaptureBytes: reader.readCaptureBytes,
    readCapture: reader.readCapture,
    CaptureTables: reader.CaptureTables,
    withTables: reader.withTables,
    BatchDecoder: bd.BatchDecoder,
    newBatchArrays: bd.newBatchArrays,
    decodeRecordBatch: bd.decodeRecordBatch,
    checkedDecodeRecordBatch: bd.checkedDecodeRecordBatch,
    referenceDecodeRecordBatch: ref.referenceDecodeRecordBatch,
    referenceDecodeBatchFrame: ref.referenceDecodeBatchFrame,
    PymemprofError: errors.PymemprofError,
    pb,
    workerFile: path.join(dist, 'capture/read-worker.js'),
  };
}

function loadSeeds(api, o) {
  return [...makeSeeds(api.pb), ...o.seedFiles.map((f) => seedFromFile(f))];
}

/**
 * The file and worker paths (slow: a file write, a thread start), on some inputs: readCapture on a
 * file in /dev/shm must give the in-memory reader's outcome, and so must the worker for what it reports.
 */
function filePaths(api, tmpFile, fileEvery, workerEvery) {
  return async (input, fresh, i) => {
    const problems = [];
    const jobs = [];
    if (i % fileEvery === 0) jobs.push(['readCapture/file', { reuseBatches: true, worker: false }]);
    if (i % workerEvery === 0) jobs.push(['readCapture/worker', { reuseBatches: true, worker: true, workerFile: api.workerFile }]);
    if (!jobs.length || fresh.problem) return problems;
    fs.writeFileSync(tmpFile, input);
    for (const [p, opts] of jobs) {
      const { s, add } = summer();
      let o;
      try {
        const res = await api.readCapture(tmpFile, { batch: add }, opts);
        o = { ok: true, frames: res.frames, batches: res.batches, records: res.records, truncated: res.truncated, warnings: res.warnings.length, sums: sumsKey(s) };
      } catch (err) {
        o = classify(api, err, tmpFile);
      }
      if (o.problem) problems.push({ kind: o.problem, path: p, detail: o.detail });
      else if (outcomeKey(o) !== outcomeKey(fresh)) problems.push({ kind: 'mismatch', path: p, detail: `in memory: ${outcomeKey(fresh)}; ${p}: ${outcomeKey(o)}` });
    }
    return problems;
  };
}

/** Saves a finding (at most `perSignature` inputs for one signature); returns its signature. */
function saveFinding(out, seen, f, perSignature = 3) {
  const p0 = f.problems[0];
  const sig = `${p0.kind} ${p0.path} ${p0.detail.replace(/\d+/g, 'N').replace(/at .*/, '').slice(0, 160)}`;
  const n = (seen.get(sig) ?? 0) + 1;
  seen.set(sig, n);
  if (n <= perSignature) {
    fs.mkdirSync(out, { recursive: true });
    const base = path.join(out, `${p0.kind}-${f.iteration}`);
    fs.writeFileSync(`${base}.bin`, f.input);
    fs.writeFileSync(`${base}.txt`, `iteration ${f.iteration} (replay: --seed ${f.seed} --replay ${f.iteration}), ${f.input.length} bytes\n${f.problems.map((p) => `${p.kind} [${p.path}] ${p.detail}`).join('\n')}\n`);
  }
  return { sig, first: n === 1 };
}

/** The file the file and worker paths read (one per job; worker threads share the process id). */
const tmpFileOf = (slot) => path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `pymemprof-fuzz-${process.pid}-${slot}.bin`);

async function workerMain(wd) {
  const { parentPort } = require('node:worker_threads');
  const api = distApi();
  const seeds = loadSeeds(api, wd.opts);
  const guard = installAllocGuard();
  Error.stackTraceLimit = 4; // capturing stacks is a large part of the cost of an error
  const heartbeat = new Int32Array(wd.heartbeat);
  const tmpFile = tmpFileOf(wd.slot);
  const stats = await runLoop(api, seeds, {
    seed: wd.opts.seed,
    start: wd.start,
    end: wd.end,
    stride: wd.stride,
    deadline: wd.deadline,
    guard,
    maxAllocBytes: wd.opts.maxAllocMb * 2 ** 20,
    timeoutMs: wd.opts.timeoutMs,
    maxInputBytes: wd.opts.maxInputBytes,
    heartbeat,
    slot: 2 * wd.slot,
    extra: filePaths(api, tmpFile, 61, 4099),
    onFinding: (f) => parentPort.postMessage({ t: 'finding', f: { ...f, input: Buffer.from(f.input) } }),
    onProgress: (s) => parentPort.postMessage({ t: 'progress', stats: s }),
    progressEvery: 2000,
  });
  parentPort.postMessage({ t: 'done', stats });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.help) {
    process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
    return 0;
  }
  const api = distApi();
  const seeds = loadSeeds(api, o);
  if (o.replay !== null) {
    const r = rng(iterationSeed(o.seed, o.replay));
    const input = makeInput(seeds, r, o.maxInputBytes);
    const guard = installAllocGuard();
    guard.limit = o.maxAllocMb * 2 ** 20;
    const res = await fuzzOne(api, input, r);
    guard.uninstall();
    console.log(`iteration ${o.replay}: ${input.length} bytes; fresh reader: ${res.fresh.ok !== undefined ? outcomeKey(res.fresh) : res.fresh.detail}`);
    if (res.fresh.message) console.log(`  ${res.fresh.message}`);
    for (const p of res.problems) console.log(`${p.kind} [${p.path}] ${p.detail}`);
    if (guard.tripped) console.log(`alloc ${guard.tripped}`);
    fs.mkdirSync(o.out, { recursive: true });
    fs.writeFileSync(path.join(o.out, `replay-${o.replay}.bin`), input);
    return res.problems.length || guard.tripped ? 1 : 0;
  }

  const { Worker } = require('node:worker_threads');
  const t0 = Date.now();
  const deadline = o.seconds ? t0 + o.seconds * 1000 : 0;
  const jobs = Math.min(o.jobs, Math.max(1, o.iterations));
  const heartbeat = new Int32Array(new SharedArrayBuffer(8 * jobs));
  const seen = new Map();
  const totals = Array.from({ length: jobs }, () => ({ inputs: 0, bytes: 0, ok: 0, errors: {}, truncated: 0, findings: 0, slowest: 0 }));
  const carried = Array.from({ length: jobs }, () => ({ inputs: 0, bytes: 0, ok: 0, errors: {}, truncated: 0, findings: 0, slowest: 0 }));
  let findings = 0;
  const report = (f) => {
    findings++;
    const { sig, first } = saveFinding(o.out, seen, { ...f, seed: o.seed });
    if (first) process.stderr.write(`finding at iteration ${f.iteration}: ${f.problems.map((p) => `${p.kind} [${p.path}] ${p.detail}`).join('; ').slice(0, 400)}\n`);
    void sig;
  };
  const merge = (a, b) => {
    a.inputs += b.inputs;
    a.bytes += b.bytes;
    a.ok += b.ok;
    a.truncated += b.truncated;
    a.findings += b.findings;
    a.slowest = Math.max(a.slowest, b.slowest);
    for (const [k, v] of Object.entries(b.errors)) a.errors[k] = (a.errors[k] ?? 0) + v;
  };
  const sum = () => {
    const s = { inputs: 0, bytes: 0, ok: 0, errors: {}, truncated: 0, findings: 0, slowest: 0 };
    for (let j = 0; j < jobs; j++) {
      merge(s, carried[j]);
      merge(s, totals[j]);
    }
    // Exact, even when a worker was lost between its progress messages.
    s.inputs = 0;
    for (let j = 0; j < jobs; j++) s.inputs += Atomics.load(heartbeat, 2 * j + 1);
    return s;
  };

  /** One worker for iterations slot, slot + jobs, ... from `start`; restarted after a hang or a crash. */
  const runWorker = (slot, start) =>
    new Promise((resolve) => {
      Atomics.store(heartbeat, 2 * slot, start % 2 ** 31);
      const w = new Worker(__filename, {
        workerData: { fuzzWorker: true, opts: o, slot, start, end: o.iterations, stride: jobs, deadline, heartbeat: heartbeat.buffer },
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      });
      const firstBeat = Atomics.load(heartbeat, 2 * slot + 1);
      let lastBeat = -1;
      let lastChange = Date.now();
      let over = false;
      const finish = (restartFrom) => {
        if (over) return;
        over = true;
        clearInterval(watch);
        merge(carried[slot], totals[slot]);
        totals[slot] = { inputs: 0, bytes: 0, ok: 0, errors: {}, truncated: 0, findings: 0, slowest: 0 };
        void w.terminate();
        if (restartFrom !== null && restartFrom < o.iterations && (!deadline || Date.now() < deadline)) resolve(runWorker(slot, restartFrom));
        else resolve();
      };
      const lost = (kind, detail) => {
        // The input being decoded is regenerated from (seed, iteration).
        const cur = Atomics.load(heartbeat, 2 * slot);
        const r = rng(iterationSeed(o.seed, cur));
        report({ iteration: cur, input: makeInput(seeds, r, o.maxInputBytes), problems: [{ kind, path: 'worker', detail }] });
        carried[slot].findings++;
        finish(cur + jobs);
      };
      const watch = setInterval(() => {
        const beat = Atomics.load(heartbeat, 2 * slot + 1);
        if (beat !== lastBeat) {
          lastBeat = beat;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > (beat === firstBeat ? 60000 : Math.max(o.timeoutMs * 5, 10000))) {
          // (the first input waits for the worker's start-up, slow on a busy machine)
          lost('hang', `no progress for ${Date.now() - lastChange} ms (worker terminated)`);
        }
        const mem = process.memoryUsage();
        if (mem.rss > 2 ** 31 || mem.arrayBuffers > 2 ** 30) {
          lost('memory', `process RSS ${(mem.rss / 2 ** 20).toFixed(0)} MiB, array buffers ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);
        }
      }, 250);
      w.on('message', (m) => {
        if (m.t === 'finding') report({ ...m.f, input: new Uint8Array(m.f.input) });
        else if (m.t === 'progress') totals[slot] = m.stats;
        else if (m.t === 'done') {
          totals[slot] = m.stats;
          finish(null);
        }
      });
      w.on('error', (err) => lost(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash', `worker died: ${err.code ?? ''} ${err.message}`));
      w.on('exit', () => finish(null));
    });

  const ticker = setInterval(() => {
    const s = sum();
    const el = (Date.now() - t0) / 1000;
    process.stderr.write(`${s.inputs.toLocaleString('en-US')} inputs in ${el.toFixed(0)} s (${Math.round(s.inputs / el).toLocaleString('en-US')}/s), findings ${findings}\n`);
  }, 10000);
  await Promise.all(Array.from({ length: jobs }, (_, slot) => runWorker(slot, slot)));
  clearInterval(ticker);
  // Here, not in the workers: a worker is terminated as soon as it is done (or hung).
  for (let slot = 0; slot < jobs; slot++) fs.rmSync(tmpFileOf(slot), { force: true });
  const s = sum();
  const el = (Date.now() - t0) / 1000;
  const pct = (n) => `${((100 * n) / Math.max(1, s.inputs)).toFixed(1)}%`;
  console.log(`fuzz-capture: ${s.inputs.toLocaleString('en-US')} inputs (${(s.bytes / 2 ** 20).toFixed(0)} MiB, seed ${o.seed}, ${jobs} jobs) in ${el.toFixed(1)} s = ${Math.round(s.inputs / el).toLocaleString('en-US')} inputs/s; slowest input ${s.slowest.toFixed(0)} ms`);
  console.log(`  fresh reader: ok ${pct(s.ok)} (truncated ${pct(s.truncated)}), ${Object.entries(s.errors).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
  console.log(`  findings: ${findings}${findings ? ` (${seen.size} distinct, inputs in ${path.resolve(o.out)})` : ''}`);
  for (const [sig, n] of seen) console.log(`    ${n}x ${sig}`);
  return findings ? 1 : 0;
}

module.exports = { lz4Encode, seedFromFile, rng, iterationSeed, varint, makeSeeds, makeInput, mutateOnce, parseStructure, installAllocGuard, fuzzOne, runLoop, classify };

const wt = require('node:worker_threads');
if (!wt.isMainThread && wt.workerData?.fuzzWorker) {
  workerMain(wt.workerData).catch((err) => {
    console.error(`fuzz-capture worker: ${err.stack ?? err}`);
    process.exit(3);
  });
} else if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`fuzz-capture: ${err.message}`);
      process.exit(2);
    },
  );
}

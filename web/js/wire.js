// wire.js: pubtrail's canonical msgpack (docs/PROTOCOL.md section 5) and
// its messages: entries, receipts, proof answers, lookup answers.
//
// The values are decoded by @msgpack/msgpack.  What that library does not
// do is refuse every encoding but the canonical one, so a walk over the
// headers (no allocation by declared sizes) checks the rules first, as
// proto/wire.c does, and notes where each top-level value starts and ends:
// the office's signature covers the record's exact bytes inside the entry.

import { Decoder } from '../lib/msgpack/index.mjs';
import { FormatError, fromUtf8 } from './bytes.js';

export const LIMITS = { str: 4096, bin: 4096, map: 32, array: 64, depth: 6 };
export const MAX_ENTRY = 24576;
export const MAX_TPROOF = (16384 + 1 + 16 * 8192) + 128 + 45 * 64;	// WIRE_MAX_TPROOF
export const RECEIPT_LIMITS = { str: MAX_TPROOF, bin: MAX_ENTRY, map: 32, array: 64, depth: 6 };
export const MAX_RECEIPT = MAX_ENTRY + MAX_TPROOF + 64;

function cmpBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// Strict UTF-8 (bytes.js) for b[s..e]; ASCII needs no decoder.
function checkUtf8(b, s, e) {
  for (let i = s; i < e; i++)
    if (b[i] >= 0x80) {
      try {
        fromUtf8(b.subarray(s, e));
      } catch (err) {
        throw new FormatError('bad_utf8: string is not valid UTF-8');
      }
      return;
    }
}

// One decoder per set of limits, reused (it keeps a cache of map keys).
const decoders = new Map();
function decoderFor(lim) {
  let d = decoders.get(lim);
  if (d === undefined) {
    d = new Decoder({ useBigInt64: true, maxStrLength: lim.str, maxBinLength: lim.bin,
      maxArrayLength: lim.array, maxMapLength: lim.map });
    decoders.set(lim, d);
  }
  return d;
}

// Walk one canonical value at b[o..]; returns the offset after it.
// spans (optional) gets { key: [start, end] } of a top-level map's values.
function walk(b, o, lim, depth, spans) {
  const need = (n) => {
    if (o + n > b.length) throw new FormatError('truncated');
  };
  const be = (n) => {
    need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[o + i];
    o += n;
    return v;
  };
  need(1);
  const t = b[o++];
  const nonCanon = () => { throw new FormatError('non_canonical encoding'); };
  let kind, len;
  if (t <= 0x7f || t >= 0xe0) return o;	// fixint
  if (t >= 0x80 && t <= 0x8f) { kind = 'map'; len = t & 15; }
  else if (t >= 0x90 && t <= 0x9f) { kind = 'array'; len = t & 15; }
  else if (t >= 0xa0 && t <= 0xbf) { kind = 'str'; len = t & 31; }
  else {
    switch (t) {
    case 0xcc: if (be(1) < 0x80) nonCanon(); return o;
    case 0xcd: if (be(2) < 0x100) nonCanon(); return o;
    case 0xce: if (be(4) < 0x10000) nonCanon(); return o;
    case 0xcf: if (be(4) === 0) nonCanon(); be(4); return o;
    case 0xd0: { need(1); const v = (b[o] << 24) >> 24; o += 1; if (v >= -32) nonCanon(); return o; }
    case 0xd1: { need(2); const v = ((b[o] << 24) >> 16) | b[o + 1]; o += 2; if (v >= -128) nonCanon(); return o; }
    case 0xd2: { need(4); const v = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]; o += 4; if (v >= -32768) nonCanon(); return o; }
    case 0xd3: {
      need(8);
      const hi = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
      const lo = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
      o += 8;
      // canonical int64: v < -2^31, so hi < -1, or hi == -1 and lo < 2^31
      if (!(hi < -1 || (hi === -1 && lo < 0x80000000))) nonCanon();
      return o;
    }
    case 0xd9: kind = 'str'; len = be(1); if (len < 32) nonCanon(); break;
    case 0xda: kind = 'str'; len = be(2); if (len < 0x100) nonCanon(); break;
    case 0xdb: kind = 'str'; len = be(4); if (len < 0x10000) nonCanon(); break;
    case 0xc4: kind = 'bin'; len = be(1); break;
    case 0xc5: kind = 'bin'; len = be(2); if (len < 0x100) nonCanon(); break;
    case 0xc6: kind = 'bin'; len = be(4); if (len < 0x10000) nonCanon(); break;
    case 0xdc: kind = 'array'; len = be(2); if (len < 16) nonCanon(); break;
    case 0xdd: kind = 'array'; len = be(4); if (len < 0x10000) nonCanon(); break;
    case 0xde: kind = 'map'; len = be(2); if (len < 16) nonCanon(); break;
    case 0xdf: kind = 'map'; len = be(4); if (len < 0x10000) nonCanon(); break;
    case 0xc1: throw new FormatError('malformed (0xc1)');
    default: throw new FormatError('wrong_type: nil, boolean, float or ext');
    }
  }
  const remain = b.length - o;
  if (kind === 'str' || kind === 'bin') {
    if (len > lim[kind]) throw new FormatError('too_big: ' + kind + ' of ' + len + ' bytes');
    if (len > remain) throw new FormatError('truncated');
    if (kind === 'str') checkUtf8(b, o, o + len);
    return o + len;
  }
  if (len > lim[kind]) throw new FormatError('too_big: ' + kind + ' of ' + len);
  if (len * (kind === 'map' ? 2 : 1) > remain) throw new FormatError('truncated');
  if (depth + 1 > lim.depth) throw new FormatError('too_deep');
  if (kind === 'array') {
    for (let i = 0; i < len; i++) o = walk(b, o, lim, depth + 1, null);
    return o;
  }
  let prev = null;
  for (let i = 0; i < len; i++) {
    need(1);
    const k0 = b[o];
    if (!((k0 >= 0xa0 && k0 <= 0xbf) || k0 === 0xd9 || k0 === 0xda || k0 === 0xdb))
      throw new FormatError('wrong_type: map key is not a string');
    const ks = o;
    o = walk(b, o, lim, depth + 1, null);
    const hdr = k0 <= 0xbf ? 1 : k0 === 0xd9 ? 2 : k0 === 0xda ? 3 : 5;
    const key = b.subarray(ks + hdr, o);
    if (prev !== null) {
      const c = cmpBytes(prev, key);
      if (c === 0) throw new FormatError('duplicate_key');
      if (c > 0) throw new FormatError('non_canonical: keys out of order');
    }
    prev = key;
    const vs = o;
    o = walk(b, o, lim, depth + 1, null);
    if (spans) spans[fromUtf8(key)] = [vs, o];
  }
  return o;
}

// Check b is exactly one canonical value; decode it.  Integers of the
// 64-bit formats come back as BigInt, others as Number.
export function decodeCanonical(b, lim = LIMITS) {
  if (b.length === 0) throw new FormatError('truncated (empty)');
  const spans = {};
  const end = walk(b, 0, lim, 0, spans);
  if (end !== b.length) throw new FormatError('trailing_bytes after the value');
  const value = decoderFor(lim).decode(b);
  return { value, spans };
}

function isMap(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) &&
    !(v instanceof Uint8Array);
}

function exactKeys(v, keys, what) {
  if (!isMap(v)) throw new FormatError(what + ': not a map');
  for (const k of Object.keys(v))
    if (!keys.includes(k)) throw new FormatError(what + ': unknown key "' + k + '"');
  for (const k of keys)
    if (!(k in v)) throw new FormatError(what + ': missing "' + k + '"');
}

export function toNumber(v, what) {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER))
    throw new FormatError(what + ' out of range');
  return Number(n);
}

// An entry (PROTOCOL.md 7.2): { record (decoded), recordBytes, sig,
// submitter (string), time (ms, Number), bytes }.
export function decodeEntry(bytes) {
  if (bytes.length > MAX_ENTRY) throw new FormatError('entry too big');
  const { value, spans } = decodeCanonical(bytes);
  exactKeys(value, ['record', 'sig', 'submitter', 'time'], 'entry');
  if (!isMap(value.record)) throw new FormatError('entry: record is not a map');
  if (!(value.sig instanceof Uint8Array) || value.sig.length !== 64)
    throw new FormatError('entry: sig is not 64 bytes');
  if (typeof value.submitter !== 'string') throw new FormatError('entry: submitter is not a string');
  if (typeof value.time !== 'number' && typeof value.time !== 'bigint')
    throw new FormatError('entry: time is not an integer');
  return {
    bytes,
    record: value.record,
    recordBytes: bytes.subarray(spans.record[0], spans.record[1]),
    sig: value.sig,
    submitter: value.submitter,
    time: toNumber(value.time, 'entry time'),
  };
}

// A receipt (PROTOCOL.md 7.3): { entry (bytes), index, proof (text) }.
export function decodeReceipt(bytes) {
  if (bytes.length > MAX_RECEIPT) throw new FormatError('receipt too big');
  const { value } = decodeCanonical(bytes, RECEIPT_LIMITS);
  exactKeys(value, ['entry', 'index', 'proof'], 'receipt');
  if (!(value.entry instanceof Uint8Array)) throw new FormatError('receipt: entry is not bytes');
  if (typeof value.proof !== 'string') throw new FormatError('receipt: proof is not text');
  return { entry: value.entry, index: toNumber(value.index, 'receipt index'), proof: value.proof };
}

// An inclusion proof answer {index, proof, size}.
export function decodeInclusion(bytes) {
  const { value } = decodeCanonical(bytes);
  exactKeys(value, ['index', 'proof', 'size'], 'inclusion proof');
  if (!Array.isArray(value.proof)) throw new FormatError('proof is not a list');
  for (const h of value.proof)
    if (!(h instanceof Uint8Array) || h.length !== 32) throw new FormatError('proof hash is not 32 bytes');
  return { index: toNumber(value.index, 'index'), size: toNumber(value.size, 'size'), proof: value.proof };
}

// A consistency proof answer {new, old, proof}.
export function decodeConsistency(bytes) {
  const { value } = decodeCanonical(bytes);
  exactKeys(value, ['new', 'old', 'proof'], 'consistency proof');
  if (!Array.isArray(value.proof)) throw new FormatError('proof is not a list');
  for (const h of value.proof)
    if (!(h instanceof Uint8Array) || h.length !== 32) throw new FormatError('proof hash is not 32 bytes');
  return { old: toNumber(value.old, 'old'), new: toNumber(value.new, 'new'), proof: value.proof };
}

// A lookup answer {entry, index} (msgpack, entry as bytes).  Later
// versions may add keys (a list of corrections): those are kept in
// `extra` for corrections.js and otherwise ignored.
export function decodeLookup(bytes) {
  const { value } = decodeCanonical(bytes, RECEIPT_LIMITS);
  if (!isMap(value) || !(value.entry instanceof Uint8Array))
    throw new FormatError('lookup answer: no entry');
  const extra = Object.assign({}, value);
  delete extra.entry;
  delete extra.index;
  return { entry: value.entry, index: toNumber(value.index, 'index'), extra };
}

function uintList(v, what, max) {
  if (!Array.isArray(v) || v.length > max) throw new FormatError(what + ': not a list of at most ' + max);
  return v.map((x) => toNumber(x, what));
}

function flag(v, what) {
  const n = toNumber(v, what);
  if (n > 1) throw new FormatError(what + ': not 0 or 1');
  return n === 1;
}

const CORR_LIMITS = { ...LIMITS, array: 256 };	// PT_MAX_CORRECTIONS_LISTED
const INDEX_LIMITS = { ...LIMITS, array: 4096 };	// PT_MAX_CORRECTIONS_PAGE

// GET /corrections/<I> answer {corrections, index, more} (docs/API.md).
export function decodeCorrections(bytes) {
  const { value } = decodeCanonical(bytes, CORR_LIMITS);
  exactKeys(value, ['corrections', 'index', 'more'], 'corrections answer');
  return { corrections: uintList(value.corrections, 'corrections', 256),
    index: toNumber(value.index, 'index'), more: flag(value.more, 'more') };
}

// GET /corrections answer {corrections: [[target, index, kind]...], more}.
export function decodeCorrectionsIndex(bytes) {
  const { value } = decodeCanonical(bytes, INDEX_LIMITS);
  exactKeys(value, ['corrections', 'more'], 'corrections index');
  if (!Array.isArray(value.corrections)) throw new FormatError('corrections index: not a list');
  const list = value.corrections.map((t) => {
    if (!Array.isArray(t) || t.length !== 3 || (t[2] !== 'void' && t[2] !== 'amend'))
      throw new FormatError('corrections index: not [target, index, "void"|"amend"]');
    return [toNumber(t[0], 'target'), toNumber(t[1], 'index'), t[2]];
  });
  return { corrections: list, more: flag(value.more, 'more') };
}

// GET /office-keys answer {indexes, size}.
export function decodeOfficeKeys(bytes) {
  const { value } = decodeCanonical(bytes);
  exactKeys(value, ['indexes', 'size'], 'office-keys answer');
  return { indexes: uintList(value.indexes, 'indexes', 64), size: toNumber(value.size, 'size') };
}

// The top-level spans of a canonical map ({ key: [start, end] }).
export function mapSpans(bytes) {
  return decodeCanonical(bytes).spans;
}

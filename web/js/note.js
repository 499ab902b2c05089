// note.js: C2SP signed-note keys and notes, tlog-checkpoint bodies and
// tlog-cosignature v1 lines, as docs/PROTOCOL.md sections 2 and 3 say (the
// same rules as proto/note.c and proto/ckpt.c).

import { FormatError, b64, concat, equal, fromB64, fromUtf8, hex,
  parseDecimal, utf8 } from './bytes.js';
import { ed25519Verify, mldsa44Verify, sha256 } from './crypto.js';

export const ALG_ED25519 = 0x01;
export const ALG_COSIG_V1 = 0x04;
export const ALG_MLDSA44_COSIG = 0x06;	// verified where WebCrypto has ML-DSA-44
const NOTE_MAX_TEXT = 16384;
const NOTE_MAX_LINE = 1024;
const NOTE_MAX_SIG_LINE = 8192;
const NOTE_MAX_SIGS = 64;
export const NOTE_MAX = NOTE_MAX_TEXT + 1 + 16 * NOTE_MAX_SIG_LINE;
const MAX_KEY_NAME = 128;
const MAX_VKEY = 256;
const MAX_VKEY_MLDSA = 2048;
const MAX_ORIGIN = 256;
const CKPT_MAX_EXT = 16;
export const COSIG_SKEW_S = 300;

// Unicode white space (signed-note) and control characters (pubtrail).
const BAD_NAME = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/u;

export function validKeyName(name) {
  const n = utf8(name).length;
  return n >= 1 && n <= MAX_KEY_NAME && !BAD_NAME.test(name);
}

export async function keyId(name, alg, pub) {
  const h = await sha256(concat(utf8(name), new Uint8Array([10, alg]), pub));
  return h.slice(0, 4);
}

// Parse "<name>+<8 hex>+<base64(alg || key)>" and check the key ID: an
// Ed25519 key (0x01) or cosignature key (0x04) of 32 bytes, or an
// ML-DSA-44 cosignature key (0x06) of 1312 bytes (which the page, like the
// C client, cannot verify).  wantAlg: one type or a list of types.
// Returns { name, id (4 bytes), alg, pub, text }.  Parsed keys are kept
// (an explorer meets every entry's submitter key, a few keys in all).
const parsedKeys = new Map();
export function parseVkey(text, wantAlg) {
  const k = (wantAlg === undefined ? '' : [].concat(wantAlg).join(',')) + ' ' + text;
  let p = parsedKeys.get(k);
  if (p === undefined) {
    p = parseVkeyOnce(text, wantAlg);
    parsedKeys.set(k, p);
    p.catch(() => parsedKeys.delete(k));
    if (parsedKeys.size > 4096) parsedKeys.delete(parsedKeys.keys().next().value);
  }
  return p;
}

async function parseVkeyOnce(text, wantAlg) {
  if (typeof text !== 'string') throw new FormatError('no key');
  text = text.trim();
  if (utf8(text).length > MAX_VKEY_MLDSA) throw new FormatError('key string too long');
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) throw new FormatError('not a verifier key (name+hash+base64)');
  const [, name, idhex, data] = m;
  if (!validKeyName(name)) throw new FormatError('invalid key name');
  const raw = fromB64(data);
  const alg = raw[0];
  if (alg !== ALG_ED25519 && alg !== ALG_COSIG_V1 && alg !== ALG_MLDSA44_COSIG)
    throw new FormatError('unknown key type ' + alg);
  if (raw.length !== (alg === ALG_MLDSA44_COSIG ? 1313 : 33))
    throw new FormatError('key data has the wrong length for its type');
  if (alg !== ALG_MLDSA44_COSIG && utf8(text).length > MAX_VKEY)
    throw new FormatError('key string too long');
  const want = wantAlg === undefined ? null : [].concat(wantAlg);
  if (want && !want.includes(alg))
    throw new FormatError(want.includes(ALG_ED25519) ?
      'not an Ed25519 (0x01) key' : 'not a cosignature (0x04 or 0x06) key');
  const pub = raw.slice(1);
  const id = await keyId(name, alg, pub);
  if (hex(id) !== idhex) throw new FormatError('key hash does not match the key');
  return { name, id, alg, pub, text };
}

// Split a signed note into text and signature lines (PROTOCOL.md 2.2).
// Returns { text (string, with final newline), textBytes, sigs: [{ name,
// id (4 bytes), sig (bytes after the id), line }] }.
export function parseNote(bytes) {
  if (typeof bytes === 'string') bytes = utf8(bytes);
  if (bytes.length > NOTE_MAX) throw new FormatError('note too big');
  const s = fromUtf8(bytes);
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s))
    throw new FormatError('control character in note');
  if (!s.endsWith('\n')) throw new FormatError('note does not end in a newline');
  const cut = s.lastIndexOf('\n\n');
  if (cut < 0) throw new FormatError('note has no blank line');
  if (s.startsWith('\n')) throw new FormatError('note text is empty');
  const text = s.slice(0, cut + 1);
  if (utf8(text).length > NOTE_MAX_TEXT) throw new FormatError('note text too big');
  for (const line of text.split('\n'))
    if (utf8(line).length > NOTE_MAX_LINE) throw new FormatError('note line too long');
  const lines = s.slice(cut + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') throw new FormatError('note has no signature');
  if (lines.length > NOTE_MAX_SIGS) throw new FormatError('too many signatures');
  const sigs = [];
  for (const line of lines) {
    if (utf8(line).length + 1 > NOTE_MAX_SIG_LINE) throw new FormatError('signature line too long');
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!m) throw new FormatError('malformed signature line');
    if (!validKeyName(m[1])) throw new FormatError('invalid key name in signature');
    const raw = fromB64(m[2]);
    if (raw.length < 5) throw new FormatError('signature too short');
    const id = raw.slice(0, 4);
    sigs.push({ name: m[1], id, sig: raw.slice(4), line });
  }
  return { text, textBytes: utf8(text), sigs };
}

// A checkpoint body: { origin, size (Number), root (32 bytes), ext }.
export function parseCheckpoint(text) {
  if (!text.endsWith('\n')) throw new FormatError('checkpoint does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new FormatError('checkpoint has fewer than three lines');
  const [origin, sizeText, rootText, ...ext] = lines;
  const olen = utf8(origin).length;
  if (olen < 1 || olen > MAX_ORIGIN || origin.trim() !== origin)
    throw new FormatError('bad origin line');
  let size;
  try {
    size = parseDecimal(sizeText);
  } catch (e) {
    if (/^[1-9][0-9]*$/.test(sizeText))
      throw new FormatError('tree size too large for this page');
    throw new FormatError('bad tree size line');
  }
  const root = fromB64(rootText);
  if (root.length !== 32) throw new FormatError('root hash is not 32 bytes');
  if (ext.length > CKPT_MAX_EXT) throw new FormatError('too many extension lines');
  for (const e of ext) if (e === '') throw new FormatError('empty extension line');
  return { origin, size, root, ext };
}

// The signature line of a trusted key; two of them make the note
// malformed (lines by unknown keys are ignored, duplicates included).
function findSig(note, key) {
  const all = note.sigs.filter((s) => s.name === key.name && equal(s.id, key.id));
  if (all.length > 1) throw new FormatError('two signature lines by the key ' + key.name);
  return all[0];
}

// The message a tlog-cosignature v1 signs.
function cosigMessage(ts, textBytes) {
  return concat(utf8('cosignature/v1\ntime ' + ts.toString() + '\n'), textBytes);
}

// The message an ML-DSA-44 cosignature signs (C2SP tlog-cosignature,
// cosigned_message for a checkpoint: start 0, end = size).
export function subtreeMessage(name, ts, origin, size, root) {
  const n = utf8(name), o = utf8(origin);
  if (n.length < 1 || n.length > 255 || o.length < 1 || o.length > 255)
    throw new FormatError('name or origin too long for a cosigned message');
  const m = new Uint8Array(12 + 1 + n.length + 8 + 1 + o.length + 8 + 8 + 32);
  const dv = new DataView(m.buffer);
  let p = 0;
  m.set(utf8('subtree/v1\n\0'), p);
  p += 12;
  m[p++] = n.length;
  m.set(n, p);
  p += n.length;
  dv.setBigUint64(p, ts);
  p += 8;
  m[p++] = o.length;
  m.set(o, p);
  p += o.length;
  dv.setBigUint64(p, 0n);
  p += 8;
  dv.setBigUint64(p, BigInt(size));
  p += 8;
  m.set(root, p);
  return m;
}

// Verify one witness's cosignature line, if present.  Returns null (no
// line by that key), or { ok, time (seconds, BigInt), why }; ok is null
// for an ML-DSA-44 cosignature this browser cannot verify.  ckpt (the
// parsed checkpoint body) is needed for ML-DSA-44, which signs the origin,
// size and root rather than the note's text.
export async function checkCosignature(note, wkey, ckpt) {
  const s = findSig(note, wkey);
  if (!s) return null;
  const mldsa = wkey.alg === ALG_MLDSA44_COSIG;
  const want = mldsa ? 8 + 2420 : 72;
  if (s.sig.length !== want) return { ok: false, why: 'cosignature is not ' + want + ' bytes' };
  const dv = new DataView(s.sig.buffer, s.sig.byteOffset, 8);
  const ts = dv.getBigUint64(0);
  if (ts > 0x7fffffffffffffffn) return { ok: false, why: 'timestamp out of range' };
  let ok;
  if (mldsa) {
    if (!ckpt) ckpt = parseCheckpoint(note.text);
    ok = await mldsa44Verify(wkey.pub, s.sig.slice(8), subtreeMessage(wkey.name, ts, ckpt.origin, ckpt.size, ckpt.root));
    if (ok === null) return { ok: null, time: ts, why: 'ML-DSA-44 cannot be verified in this browser' };
  } else {
    ok = await ed25519Verify(wkey.pub, s.sig.slice(8), cosigMessage(ts, note.textBytes));
  }
  return { ok, time: ts, why: ok ? '' : 'cosignature does not verify' };
}

// Open a signed checkpoint with the log key (ckpt_open): the note parses,
// the log key's signature line is present and verifies, the origin is the
// key's name.  Throws VerifyError-like Errors with a plain reason.
// Returns { note, ckpt }.
export async function openCheckpoint(bytes, logKey) {
  const note = parseNote(bytes);
  const ckpt = parseCheckpoint(note.text);
  const s = findSig(note, logKey);
  if (!s) throw new Error('no signature by the trusted log key ' +
    logKey.name + '+' + hex(logKey.id));
  if (s.sig.length !== 64 || !(await ed25519Verify(logKey.pub, s.sig, note.textBytes)))
    throw new Error('the log key\'s signature does not verify');
  if (ckpt.origin !== logKey.name)
    throw new Error('origin "' + ckpt.origin + '" is not the log key\'s name "' +
      logKey.name + '"');
  return { note, ckpt };
}

export { b64 };

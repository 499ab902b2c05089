// bytes.js: byte strings, hex, canonical base64, strict UTF-8.
// Everything that reads text or bytes from a log goes through here, so a
// malformed value fails the same way everywhere.

export class FormatError extends Error {
  constructor(msg) {
    super(msg);
    this.name = 'FormatError';
  }
}

const utf8dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8enc = new TextEncoder();

export function utf8(s) {
  return utf8enc.encode(s);
}

// Strict UTF-8 decoding: overlong forms, surrogates, truncated sequences
// and code points above U+10FFFF throw.
export function fromUtf8(b) {
  try {
    return utf8dec.decode(b);
  } catch (e) {
    throw new FormatError('not valid UTF-8');
  }
}

export function concat(...parts) {
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

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const HEX = '0123456789abcdef';

export function hex(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

// Lower-case hex only, even length.
export function fromHex(s) {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s))
    throw new FormatError('not lower-case hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function b64(b) {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  if (i + 1 === b.length) {
    const v = b[i] << 16;
    s += B64[v >> 18] + B64[(v >> 12) & 63] + '==';
  } else if (i + 2 === b.length) {
    const v = (b[i] << 16) | (b[i + 1] << 8);
    s += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + '=';
  }
  return s;
}

// Canonical padded base64 (RFC 4648 section 4) only: the decoded bytes must
// encode back to exactly the same text, so one value has one spelling.
export function fromB64(s) {
  if (typeof s !== 'string' || s.length % 4 !== 0 ||
      !/^[A-Za-z0-9+/]*={0,2}$/.test(s))
    throw new FormatError('not canonical base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = (B64.indexOf(s[i]) << 18) | (B64.indexOf(s[i + 1]) << 12) |
      ((s[i + 2] === '=' ? 0 : B64.indexOf(s[i + 2])) << 6) |
      (s[i + 3] === '=' ? 0 : B64.indexOf(s[i + 3]));
    if (o < out.length) out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  if (b64(out) !== s) throw new FormatError('not canonical base64');
  return out;
}

// A decimal without sign or leading zeros, at most max (a Number no larger
// than Number.MAX_SAFE_INTEGER).
export function parseDecimal(s, max = Number.MAX_SAFE_INTEGER) {
  if (typeof s !== 'string' || !/^(0|[1-9][0-9]*)$/.test(s) || s.length > 16)
    throw new FormatError('not a decimal number: ' + JSON.stringify(String(s).slice(0, 40)));
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v > max)
    throw new FormatError('number out of range: ' + s);
  return v;
}

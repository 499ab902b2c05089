// merkle.js: RFC 9162 proofs, and C2SP tlog-tiles paths and tile checks
// (docs/PROTOCOL.md sections 1 and 4).  Indexes and sizes are Numbers no
// larger than Number.MAX_SAFE_INTEGER; the bit arithmetic uses BigInt so
// nothing is cut to 32 bits.

import { equal } from './bytes.js';
import { leafHash, nodeHash } from './crypto.js';

export const MAX_PROOF = 64;

function bitLength(x) {
  let n = 0;
  while (x > 0n) {
    n++;
    x >>= 1n;
  }
  return n;
}

function popcount(x) {
  let n = 0;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

// Length of the inclusion proof of index i in a tree of size n.
export function inclusionLength(i, n) {
  const bi = BigInt(i), bn = BigInt(n);
  const inner = bitLength(bi ^ (bn - 1n));
  return inner + popcount(bi >> BigInt(inner));
}

// RFC 9162 2.1.3.2.  Throws an Error saying why; returns nothing when the
// proof leads from leaf at index to root in a tree of size.
export async function verifyInclusion(leaf, index, size, proof, root) {
  if (!(index < size)) throw new Error('index ' + index + ' is not below the tree size ' + size);
  if (proof.length > MAX_PROOF) throw new Error('proof too long');
  const want = inclusionLength(index, size);
  if (proof.length !== want)
    throw new Error('proof has ' + proof.length + ' hashes, a tree of size ' + size +
      ' needs ' + want);
  let fn = BigInt(index), sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) throw new Error('proof hash is not 32 bytes');
    if (sn === 0n) throw new Error('proof too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n)
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof too short');
  if (!equal(r, root)) throw new Error('the proof does not lead to the signed root');
}

// RFC 9162 2.1.4.2 consistency proof from (m, oldRoot) to (n, newRoot).
export async function verifyConsistency(m, n, oldRoot, newRoot, proof) {
  if (m === 0) throw new Error('nothing is provable from the empty tree');
  if (m > n) throw new Error('the old tree is larger than the new one');
  if (m === n) {
    if (proof.length !== 0) throw new Error('a proof between equal sizes must be empty');
    if (!equal(oldRoot, newRoot)) throw new Error('same size, different roots: the log forked');
    return;
  }
  if (proof.length === 0 || proof.length > MAX_PROOF) throw new Error('bad proof length');
  let bm = BigInt(m), bn = BigInt(n);
  let t = 0n;
  while (((bm >> t) & 1n) === 0n) t++;
  const pow2 = (bm & (bm - 1n)) === 0n;
  const want = inclusionLength(Number((bm - 1n) >> t), Number(((bn - 1n) >> t) + 1n)) +
    (pow2 ? 0 : 1);
  if (proof.length !== want) throw new Error('proof has ' + proof.length + ' hashes, needs ' + want);
  const p = pow2 ? [oldRoot, ...proof] : proof.slice();
  let fn = bm - 1n, sn = bn - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = p[0], sr = p[0];
  for (const c of p.slice(1)) {
    if (sn === 0n) throw new Error('proof too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error('proof too short');
  if (!equal(fr, oldRoot)) throw new Error('the proof does not lead to the old root');
  if (!equal(sr, newRoot)) throw new Error('the proof does not lead to the new root');
}

// --- tiles (height 8) ---

// "x001/x234/067" for 1234067.
export function tileIndexPath(n) {
  let s = String(n % 1000).padStart(3, '0');
  n = Math.floor(n / 1000);
  while (n > 0) {
    s = 'x' + String(n % 1000).padStart(3, '0') + '/' + s;
    n = Math.floor(n / 1000);
  }
  return s;
}

export function tilePath(level, n, width) {
  return 'tile/' + level + '/' + tileIndexPath(n) + (width < 256 ? '.p/' + width : '');
}

export function bundlePath(n, width) {
  return 'tile/entries/' + tileIndexPath(n) + (width < 256 ? '.p/' + width : '');
}

// Hashes at tree level 8*level for a tree of size: floor(size / 256^level).
export function levelCount(size, level) {
  return Math.floor(size / Math.pow(256, level));
}

// Width of tile (level, n) in a tree of size: 256, 1..255, or 0 (absent).
export function tileWidth(size, level, n) {
  const c = levelCount(size, level);
  if (c >= (n + 1) * 256) return 256;
  if (Math.floor(c / 256) === n) return c % 256;
  return 0;
}

// The root of `count` hashes (a power of two).
export async function hashUp(hashes) {
  let row = hashes;
  while (row.length > 1) {
    const next = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i], row[i + 1]));
    row = await Promise.all(next);
  }
  return row[0];
}

// Split a tile's bytes into 32-byte hashes.
export function tileHashes(bytes, width) {
  if (bytes.length !== width * 32)
    throw new Error('tile is ' + bytes.length + ' bytes, want ' + width * 32);
  const out = [];
  for (let i = 0; i < width; i++) out.push(bytes.subarray(32 * i, 32 * i + 32));
  return out;
}

// Split an entry bundle: width entries, each a big-endian uint16 length
// and that many bytes, nothing after them.
export function bundleEntries(bytes, width) {
  const out = [];
  let o = 0;
  while (o < bytes.length) {
    if (o + 2 > bytes.length) throw new Error('entry bundle: length prefix cut short');
    const n = (bytes[o] << 8) | bytes[o + 1];
    o += 2;
    if (o + n > bytes.length) throw new Error('entry bundle: entry runs past the end');
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  if (out.length !== width)
    throw new Error('entry bundle holds ' + out.length + ' entries, want ' + width);
  return out;
}

export { leafHash, nodeHash };

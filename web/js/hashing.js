// hashing.js: RFC 9162 hashes of whole tiles and bundles at once, with as
// little of the page's own work per hash as WebCrypto allows.
//
// WebCrypto's digest() is asynchronous: each call copies its input, runs on
// the browser's crypto thread and resolves a promise.  That round trip, not
// SHA-256, is the cost (a few microseconds, against ~1.5 for hashing a
// 480-byte entry).  So: one buffer per bundle or tile level holds every
// input back to back (no allocation per hash), a few digests are in flight
// at once (enough to keep the crypto thread busy, few enough not to queue
// thousands of promises), and results are written into one output array.
// Used in the page's workers (hashworker.js) and, where there are none
// (Node's tests), in the calling thread.

const INFLIGHT = 8;

// Digest n inputs, input(i) giving a Uint8Array view; returns n * 32 bytes.
export async function digestMany(n, input) {
  const out = new Uint8Array(32 * n);
  let next = 0;
  const run = async () => {
    while (next < n) {
      const i = next++;
      out.set(new Uint8Array(await crypto.subtle.digest('SHA-256', input(i))), 32 * i);
    }
  };
  const ws = [];
  for (let k = 0; k < Math.min(INFLIGHT, n); k++) ws.push(run());
  await Promise.all(ws);
  return out;
}

// Split an entry bundle (C2SP tlog-tiles: big-endian uint16 length, then
// the entry, width times, nothing after): [start0, end0, start1, ...].
export function bundleOffsets(bytes, width) {
  const off = new Uint32Array(2 * width);
  let o = 0, i = 0;
  while (o < bytes.length) {
    if (o + 2 > bytes.length) throw new Error('entry bundle: length prefix cut short');
    const n = (bytes[o] << 8) | bytes[o + 1];
    o += 2;
    if (o + n > bytes.length) throw new Error('entry bundle: entry runs past the end');
    if (i < width) {
      off[2 * i] = o;
      off[2 * i + 1] = o + n;
    }
    i++;
    o += n;
  }
  if (i !== width) throw new Error('entry bundle holds ' + i + ' entries, want ' + width);
  return off;
}

// Leaf hashes SHA-256(0x00 || entry) of every entry of a bundle: one copy
// of the bundle in which each entry's length byte before it becomes the
// 0x00 prefix (the original is left as it is).
export async function leafHashes(bytes, off) {
  const w = off.length / 2;
  const buf = bytes.slice();
  for (let i = 0; i < w; i++) buf[off[2 * i] - 1] = 0;
  return digestMany(w, (i) => buf.subarray(off[2 * i] - 1, off[2 * i + 1]));
}

// The root of count (a power of two) 32-byte hashes back to back:
// SHA-256(0x01 || left || right) level by level, one buffer per level.
export async function rootOf(hashes, count) {
  let row = hashes.subarray(0, 32 * count), n = count;
  while (n > 1) {
    const half = n / 2;
    const buf = new Uint8Array(65 * half);
    for (let i = 0; i < half; i++) {
      buf[65 * i] = 1;
      buf.set(row.subarray(64 * i, 64 * i + 64), 65 * i + 1);
    }
    row = await digestMany(half, (i) => buf.subarray(65 * i, 65 * i + 65));
    n = half;
  }
  return row.slice(0, 32);
}

// A bundle's offsets, leaf hashes and (width 256) the root of its leaves:
// what a level-1 tile holds for it.  Hashes computed: width + width - 1.
export async function proveBundle(bytes, width) {
  const off = bundleOffsets(bytes, width);
  const leaves = await leafHashes(bytes, off);
  const root = width === 256 ? await rootOf(leaves, 256) : null;
  return { off, leaves, root };
}

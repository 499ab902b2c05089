// tiles.js: entries proven from C2SP tiles against one verified checkpoint.
//
// For a tree of size n, the last (partial) tile of each level holds exactly
// the hashes of the complete subtrees that the root is folded from (bits
// 8T..8T+7 of n at tile level T).  So the partial tiles are checked once,
// by recomputing the signed root from them.  A full tile (T, N) is checked
// by hashing its 256 hashes up eight levels and comparing with hash N mod
// 256 of tile (T+1, N / 256), itself checked the same way, up to a partial
// tile.  An entry bundle is checked by hashing each entry and comparing
// with its level-0 tile.  Every tile is fetched once and kept.
//
// A partial tile or bundle may be gone once the full one exists (C2SP
// tlog-tiles; a mirror of a log that grew): then the full one is fetched and
// its first W hashes or entries are used, checked exactly the same way.

import { equal } from './bytes.js';
import { bundleEntries, hashUp, leafHash, levelCount, nodeHash, tileHashes,
  tileWidth } from './merkle.js';

// Fetch partial tile (T, N) of width w, or, when the log answers 404, the
// full tile and its first w items.  Returns the tile's bytes (a hash tile)
// or the bundle's w entries.
async function partialOrFull(client, kind, T, N, w) {
  const get = (width) => (kind === 'tile' ? client.tile(T, N, width) : client.bundle(N, width));
  try {
    const b = await get(w);
    return kind === 'tile' ? b : bundleEntries(b, w);
  } catch (e) {
    if (!e || e.status !== 404) throw e;
    const full = await get(256);
    if (kind === 'bundle') return bundleEntries(full, 256).slice(0, w);
    tileHashes(full, 256);	// exactly 256 hashes
    return full.slice(0, 32 * w);
  }
}

export class TileVerifier {
  // client: LogClient; ckpt: a checkpoint whose signature was verified.
  constructor(client, ckpt) {
    this.client = client;
    this.size = ckpt.size;
    this.root = ckpt.root;
    this.tiles = new Map();	// "T/N" -> Promise of verified hashes
    this.ready = null;
    this.hashes = 0;		// SHA-256 computations, for the progress line
  }

  // Fetch the partial tiles and recompute the root from them.
  init() {
    if (this.ready === null) this.ready = this._init();
    return this.ready;
  }

  async _init() {
    const n = this.size;
    if (n === 0) throw new Error('the log is empty');
    const subtrees = [];	// [{ level b, hashes }], left to right
    let prefix = 0;
    for (let b = 52; b >= 0; b--) {
      const span = Math.pow(2, b);
      if (Math.floor(n / span) % 2 === 0) continue;
      subtrees.push({ b, first: prefix });
      prefix += span;
    }
    const partial = new Map();
    for (const s of subtrees) {
      const T = Math.floor(s.b / 8);
      if (!partial.has(T)) {
        const c = levelCount(n, T);
        const N = Math.floor(c / 256);
        const w = c % 256;
        partial.set(T, { N, w, p: partialOrFull(this.client, 'tile', T, N, w) });
      }
    }
    for (const [T, t] of partial) t.hashes = tileHashes(await t.p, t.w);
    const subHashes = [];
    for (const s of subtrees) {
      const T = Math.floor(s.b / 8);
      const t = partial.get(T);
      const per = Math.pow(2, s.b - 8 * T);
      const start = s.first / Math.pow(256, T) - t.N * 256;
      subHashes.push(await hashUp(t.hashes.slice(start, start + per)));
      this.hashes += per - 1;
    }
    let h = subHashes[subHashes.length - 1];
    for (let i = subHashes.length - 2; i >= 0; i--) {
      h = await nodeHash(subHashes[i], h);
      this.hashes++;
    }
    if (!equal(h, this.root))
      throw new Error('the partial tiles do not give the signed root: the log serves tiles that are not its tree');
    for (const [T, t] of partial) this.tiles.set(T + '/' + t.N, Promise.resolve(t.hashes));
  }

  // The verified hashes of tile (T, N).
  async tile(T, N) {
    await this.init();
    const k = T + '/' + N;
    let p = this.tiles.get(k);
    if (p === undefined) {
      p = this._full(T, N);
      this.tiles.set(k, p);
      p.catch(() => this.tiles.delete(k));
    }
    return p;
  }

  async _full(T, N) {
    const w = tileWidth(this.size, T, N);
    if (w !== 256) throw new Error('tile ' + T + '/' + N + ' is not in the tree');
    const [bytes, parent] = await Promise.all([this.client.tile(T, N, 256),
      this.tile(T + 1, Math.floor(N / 256))]);
    const hashes = tileHashes(bytes, 256);
    const top = await hashUp(hashes);
    this.hashes += 255;
    if (!equal(top, parent[N % 256]))
      throw new Error('tile ' + T + '/' + N + ' does not hash to its parent tile');
    return hashes;
  }

  // The entries of bundle N, each proven: [{ index, bytes, leaf }].
  async entries(N) {
    const w = tileWidth(this.size, 0, N);
    if (w === 0) throw new Error('entry bundle ' + N + ' is not in the tree');
    const [entries, leaves] = await Promise.all([
      w < 256 ? partialOrFull(this.client, 'bundle', 0, N, w) :
        this.client.bundle(N, w).then((b) => bundleEntries(b, w)),
      this.tile(0, N)]);
    const hashes = await Promise.all(entries.map((e) => leafHash(e)));
    this.hashes += entries.length;
    const out = [];
    for (let i = 0; i < w; i++) {
      if (!equal(hashes[i], leaves[i]))
        throw new Error('entry ' + (N * 256 + i) + ' in the bundle does not match its leaf hash');
      out.push({ index: N * 256 + i, bytes: entries[i], leaf: hashes[i] });
    }
    return out;
  }

  bundles() {
    return Math.ceil(this.size / 256);
  }

  // The root of the first m entries (0 < m <= size), from verified tiles of
  // this tree: the complete subtrees m splits into are stored hashes of
  // this tree (PROTOCOL.md 1.2), folded right to left.  Equal to an older
  // checkpoint's root exactly when that checkpoint is a prefix of this one
  // (what a consistency proof shows; a static copy of a log serves no
  // proofs, only tiles).
  async rootAt(m) {
    if (!(m > 0 && m <= this.size)) throw new Error('no tree of size ' + m + ' inside ' + this.size);
    await this.init();
    const subs = [];
    let prefix = 0;
    for (let b = 52; b >= 0; b--) {
      const span = Math.pow(2, b);
      if (Math.floor(m / span) % 2 === 0) continue;
      const T = Math.floor(b / 8);
      const first = prefix / Math.pow(256, T);	// index at tree level 8T
      const per = Math.pow(2, b - 8 * T);
      const N = Math.floor(first / 256);
      const hashes = await this.tile(T, N);
      const part = hashes.slice(first - N * 256, first - N * 256 + per);
      if (part.length !== per) throw new Error('tile ' + T + '/' + N + ' is too short');
      subs.push(await hashUp(part));
      this.hashes += per - 1;
      prefix += span;
    }
    let h = subs[subs.length - 1];
    for (let i = subs.length - 2; i >= 0; i--) {
      h = await nodeHash(subs[i], h);
      this.hashes++;
    }
    return h;
  }

  // Entry index, proven: { index, bytes, leaf }.
  async entry(index) {
    if (!(index >= 0 && index < this.size)) throw new Error('entry ' + index + ' is not in the tree');
    const es = await this.entries(Math.floor(index / 256));
    return es[index % 256];
  }
}

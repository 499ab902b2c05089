// tiles.js: entries proven from C2SP tiles against one verified checkpoint.
//
// For a tree of size n, the last (partial) tile of each level holds exactly
// the hashes of the complete subtrees that the root is folded from (bits
// 8T..8T+7 of n at tile level T).  So the partial tiles are checked once,
// by recomputing the signed root from them.  A full tile (T, N) is checked
// by hashing its 256 hashes up eight levels and comparing with hash N mod
// 256 of tile (T+1, N / 256), itself checked the same way, up to a partial
// tile.  A full entry bundle N is checked the same way one level lower: its
// 256 leaf hashes hashed up to hash N mod 256 of level-1 tile N / 256 (so
// full level-0 tiles are never needed: the bundle gives them); the last,
// partial bundle is checked against the partial level-0 tile.  Every tile
// is fetched once and kept.
//
// Full bundles are fetched and hashed by a pool of workers, one per core
// (hashworker.js; hashing.js batches the digests): the page's own thread
// only compares one root per bundle and reads the entries.  Without
// workers (Node's tests, or a browser that refuses them) the same code
// runs in the calling thread.
//
// A partial tile or bundle may be gone once the full one exists (C2SP
// tlog-tiles; a mirror of a log that grew): then the full one is fetched and
// its first W hashes or entries are used, checked exactly the same way.

import { equal } from './bytes.js';
import { bundleJob, decodeAll } from './bundlejob.js';
import { leafHashes, bundleOffsets, rootOf } from './hashing.js';
import { HttpError } from './log.js';
import { hashUp, levelCount, nodeHash, tileHashes,
  tileWidth } from './merkle.js';

// Jobs given to each worker at once: one bundle arrives while the last is
// hashed.
const SLOTS = 2;

// Workers that fetch and hash full bundles, shared by every TileVerifier
// of the page.  null where there are none.
class BundlePool {
  constructor(k) {
    this.workers = [];
    this.idle = [];
    this.queue = [];
    this.pending = new Map();
    this.seq = 0;
    this.broken = false;
    for (let i = 0; i < k; i++) {
      const w = new Worker(new URL('./hashworker.js', import.meta.url), { type: 'module' });
      w.onmessage = (ev) => this._done(w, ev.data);
      // A worker that fails, or an answer that cannot be read here: no job
      // is left waiting, they all go back to the page's own thread.
      w.onerror = (ev) => this._broken(ev);
      w.onmessageerror = (ev) => this._broken(ev);
      this.workers.push(w);
    }
    for (let j = 0; j < SLOTS; j++) this.idle.push(...this.workers);
  }

  static shared() {
    if (BundlePool.pool === undefined) {
      BundlePool.pool = null;
      if (typeof Worker === 'function' && typeof window !== 'undefined') {
        try {
          // One per core, at most 4; window.PT_WORKERS (the tests) may
          // say how many, 0 for none.
          const k = window.PT_WORKERS !== undefined ? window.PT_WORKERS :
            Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
          if (k === 0) throw new Error('no workers');
          BundlePool.pool = new BundlePool(k);
        } catch (e) {
          BundlePool.pool = null;
        }
      }
    }
    return BundlePool.pool && !BundlePool.pool.broken ? BundlePool.pool : null;
  }

  // Bundle n (full) of the log at base: { bytes, off, leaves, root,
  // entries? } (hashworker.js).
  run(base, n, opts) {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.seq, base, n, opts, resolve, reject });
      this._next();
    });
  }

  _next() {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop();
      const job = this.queue.shift();
      this.pending.set(job.id, job);
      w.postMessage({ id: job.id, base: job.base, n: job.n, decode: !!job.opts.decode,
        origin: job.opts.origin || null });
    }
  }

  _done(w, m) {
    const job = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.idle.push(w);
    if (job) {
      if (m.error !== undefined) {
        job.reject(m.status ? new HttpError(m.status, m.error) : new Error(m.error));
      } else {
        job.resolve(m);
      }
    }
    this._next();
  }

  // A worker that cannot run (a policy that forbids workers, a module the
  // browser cannot load): the jobs go back to their callers' own thread.
  _broken(ev) {
    if (ev && ev.preventDefault) ev.preventDefault();
    this.broken = true;
    const jobs = [...this.pending.values(), ...this.queue];
    this.pending.clear();
    this.queue = [];
    for (const w of this.workers) w.terminate();
    for (const j of jobs) j.reject(Object.assign(new Error('workers unavailable'), { noWorkers: true }));
  }
}

// Fetch partial tile (T, N) of width w, or, when the log answers 404, the
// full tile and its first w items.  Returns the tile's bytes (a hash tile)
// or the bundle's bytes and the offsets of its first w entries.
async function partialOrFull(client, kind, T, N, w) {
  const get = (width) => (kind === 'tile' ? client.tile(T, N, width) : client.bundle(N, width));
  try {
    const b = await get(w);
    return kind === 'tile' ? b : { bytes: b, off: bundleOffsets(b, w) };
  } catch (e) {
    if (!e || e.status !== 404) throw e;
    const full = await get(256);
    if (kind === 'bundle') return { bytes: full, off: bundleOffsets(full, 256).slice(0, 2 * w) };
    tileHashes(full, 256);	// exactly 256 hashes
    return full.slice(0, 32 * w);
  }
}

export class TileVerifier {
  // client: LogClient; ckpt: a checkpoint whose signature was verified;
  // opts.workers false: hash in this thread.
  constructor(client, ckpt, opts = {}) {
    this.client = client;
    this.size = ckpt.size;
    this.root = ckpt.root;
    this.tiles = new Map();	// "T/N" -> Promise of verified hashes
    this.ready = null;
    this.hashes = 0;		// SHA-256 computations, for the progress line
    this.workers = opts.workers === false ? false : 0;	// bundle workers used
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
    const top = await rootOf(bytes, 256);
    this.hashes += 255;
    if (!equal(top, parent[N % 256]))
      throw new Error('tile ' + T + '/' + N + ' does not hash to its parent tile');
    return hashes;
  }

  // A full bundle, fetched and hashed (by a worker when there are some).
  async _fullBundle(N, opts) {
    const pool = this.workers === false ? null : BundlePool.shared();
    if (pool) {
      try {
        const m = await pool.run(this.client.base, N, opts);
        this.client.bytesRead += m.read;
        this.workers = pool.workers.length;
        return m;
      } catch (e) {
        if (!e.noWorkers) throw e;
      }
    }
    const bytes = await this.client.bundle(N, 256);
    return { bytes, ...(await bundleJob(bytes, 256, opts)) };
  }

  // The entries of bundle N, each proven: [{ index, bytes, leaf }]; with
  // opts.decode each also read and checked: entry (wire.js decodeEntry),
  // or error (why it is not a valid entry); with opts.origin also its
  // office's signature (an error when it does not verify).
  async entries(N, opts = {}) {
    const w = tileWidth(this.size, 0, N);
    if (w === 0) throw new Error('entry bundle ' + N + ' is not in the tree');
    let bytes, off, leaves, decoded;
    if (w === 256) {
      const [b, parent] = await Promise.all([this._fullBundle(N, opts), this.tile(1, Math.floor(N / 256))]);
      this.hashes += 511;
      if (!equal(b.root, parent[N % 256]))
        throw new Error('entry bundle ' + N + ' does not hash to its level-1 tile: an entry in it is not the ' +
          'one the signed tree holds');
      ({ bytes, off, leaves, entries: decoded } = b);
    } else {
      const [got, tile] = await Promise.all([partialOrFull(this.client, 'bundle', 0, N, w), this.tile(0, N)]);
      ({ bytes, off } = got);
      leaves = await leafHashes(bytes, off);
      this.hashes += w;
      for (let i = 0; i < w; i++)
        if (!equal(leaves.subarray(32 * i, 32 * i + 32), tile[i]))
          throw new Error('entry ' + (N * 256 + i) + ' in the bundle does not match its leaf hash');
      if (opts.decode) decoded = await decodeAll(bytes, off, opts.origin);
    }
    const out = new Array(w);
    for (let i = 0; i < w; i++) {
      const e = { index: N * 256 + i, bytes: bytes.subarray(off[2 * i], off[2 * i + 1]),
        leaf: leaves.subarray(32 * i, 32 * i + 32) };
      if (opts.decode) {
        if (decoded[i].entry) e.entry = decoded[i].entry;
        else e.error = decoded[i].error;
      }
      out[i] = e;
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

// log.js: reading a pubtrail log over HTTP (docs/API.md): the C2SP
// tlog-tiles routes and the convenience routes.  Every answer is capped
// while it is read (by what it can be: a tile is at most 8 KiB), every
// request has a deadline, and nothing here is trusted: verify.js and
// tiles.js check what comes back.

import { FormatError, fromUtf8, hex } from './bytes.js';
import { bundlePath, tilePath } from './merkle.js';
import { NOTE_MAX } from './note.js';
import { MAX_ENTRY, MAX_RECEIPT, decodeConsistency, decodeCorrections,
  decodeCorrectionsIndex, decodeInclusion, decodeLookup, decodeOfficeKeys } from './wire.js';

const TIMEOUT_MS = 30000;

export class HttpError extends Error {
  constructor(status, msg) {
    super(msg);
    this.name = 'HttpError';
    this.status = status;
  }
}

export class LogClient {
  // base: the log's URL ("" = this page's own origin).
  constructor(base) {
    let b = base || '';
    if (b === '') b = location.origin + '/';
    if (!b.endsWith('/')) b += '/';
    this.base = b;
    this.tiles = new Map();
    this.bytesRead = 0;
  }

  url(path) {
    return new URL(path, this.base).href;
  }

  // GET path; returns the body (Uint8Array) of a 200 answer no longer than
  // max bytes.  Throws HttpError for other statuses (with the server's
  // one-line reason, cut short) and Error for network failures.
  async get(path, max, opts = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeout || TIMEOUT_MS);
    try {
      let resp;
      try {
        resp = await fetch(this.url(path), {
          signal: ctl.signal,
          cache: opts.cache || 'default',
          headers: { Accept: 'application/msgpack, text/plain' },
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
          redirect: 'error',
        });
      } catch (e) {
        throw new Error('could not reach ' + this.url(path) + ' (' +
          (ctl.signal.aborted ? 'timed out' : e.message) + ')');
      }
      const body = await readCapped(resp, resp.status === 200 ? max : 1024, path);
      this.bytesRead += body.length;
      if (resp.status !== 200) {
        let why = '';
        try {
          why = fromUtf8(body.subarray(0, 200)).split('\n')[0];
        } catch (e) { /* not text */ }
        throw new HttpError(resp.status, path + ': HTTP ' + resp.status +
          (why ? ' (' + why.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?') + ')' : ''));
      }
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  async checkpoint() {
    return this.get('checkpoint', NOTE_MAX, { cache: 'no-store' });
  }

  // Hash tile bytes (not verified).
  async tile(level, n, width) {
    return this.get(tilePath(level, n, width), width * 32);
  }

  // Entry bundle bytes (not verified).
  async bundle(n, width) {
    return this.get(bundlePath(n, width), width * (MAX_ENTRY + 2));
  }

  async entry(index) {
    return this.get('entry/' + index, MAX_ENTRY, { cache: 'no-store' });
  }

  async lookup(submitterId, id) {
    const q = 'lookup?submitter=' + hex(submitterId) + '&id=' + encodeURIComponent(id);
    return decodeLookup(await this.get(q, MAX_RECEIPT, { cache: 'no-store' }));
  }

  async inclusion(index, size) {
    return decodeInclusion(await this.get('proof/inclusion?index=' + index +
      '&size=' + size, 64 + 35 * 64, { cache: 'no-store' }));
  }

  // GET /corrections/<I>[?from=J]: the corrections the log lists for
  // entry I (a claim: each is fetched and proven by the caller).
  async corrections(index, from) {
    return decodeCorrections(await this.get('corrections/' + index + (from ? '?from=' + from : ''),
      64 + 9 * 256, { cache: 'no-store' }));
  }

  // GET /corrections[?target=T&index=C]: a page of the whole index.
  async correctionsIndex(target, index) {
    return decodeCorrectionsIndex(await this.get('corrections' + (target || index ?
      '?target=' + target + '&index=' + index : ''), 64 + 30 * 4096, { cache: 'no-store' }));
  }

  // GET /office-keys?size=N&from=I: the log's office_key entries below N.
  async officeKeys(size, from) {
    return decodeOfficeKeys(await this.get('office-keys?size=' + size + '&from=' + from,
      64 + 10 * 64, { cache: 'no-store' }));
  }

  // GET /registrar.vkey: the registrar's verifier key string as the log
  // serves it, or null (404: the log has none, or a mirror copied none).
  async registrarKey() {
    try {
      const b = await this.get('registrar.vkey', 2048 + 2, { cache: 'no-cache' });
      return fromUtf8(b);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return null;
      throw e;
    }
  }

  async consistency(old, size) {
    return decodeConsistency(await this.get('proof/consistency?old=' + old +
      '&new=' + size, 64 + 35 * 64, { cache: 'no-store' }));
  }
}

// Read a response body, refusing (and cancelling) one longer than max.
async function readCapped(resp, max, path) {
  const len = resp.headers.get('Content-Length');
  if (len !== null && Number(len) > max) {
    try { await resp.body.cancel(); } catch (e) { /* gone */ }
    throw new FormatError(path + ': answer of ' + len + ' bytes is over ' + max);
  }
  const reader = resp.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      try { await reader.cancel(); } catch (e) { /* gone */ }
      throw new FormatError(path + ': answer over ' + max + ' bytes');
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

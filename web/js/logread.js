// logread.js: reading a whole log, every entry proven, and what only a
// whole read can show: every entry judged by the grants rule in index
// order (grants.js), every correction found in the entries themselves, and
// the log's own lists (GET /corrections, GET /office-keys) compared with
// what the entries say.  The explorer reads the whole log anyway; the
// verify screen does it when asked to prove that the log's lists left
// nothing out, or by itself on a static copy of a log that serves no lists.

import { hex } from './bytes.js';
import { ed25519Verify } from './crypto.js';
import { OfficeKeys, TYPE, prepare } from './grants.js';
import { HttpError } from './log.js';
import { entryMessage } from './trust.js';

// Bundles in flight: enough that the workers (tiles.js) always have the
// next one while this thread reads the last.
const PARALLEL = 8;

// Read and prove every entry of the tree tv was made for (tiles.js), each
// decoded (wire.js) and checked (record.js); with sigOrigin also its
// office's signature for that log origin.  Returns { items (by index; null
// for an entry that failed), bad: [{ index, why }], sigs (signatures
// checked) }.  progress(done, total) after each bundle.
export async function readAll(tv, { sigOrigin = null, progress = null } = {}) {
  await tv.init();
  const n = tv.bundles();
  const items = new Array(tv.size).fill(null);
  const bad = [];
  let done = 0, next = 0, sigs = 0;
  const worker = async () => {
    while (next < n) {
      const b = next++;
      const entries = await tv.entries(b, { decode: true, origin: sigOrigin });
      for (const e of entries) {
        if (e.error !== undefined) {
          bad.push({ index: e.index, why: e.error });
          continue;
        }
        items[e.index] = { index: e.index, leaf: e.leaf, entry: e.entry, record: e.entry.record };
        if (sigOrigin) sigs++;
      }
      done += entries.length;
      if (progress) progress(done, tv.size);
    }
  };
  const ws = [];
  for (let i = 0; i < PARALLEL; i++) ws.push(worker());
  await Promise.all(ws);
  bad.sort((a, b) => a.index - b.index);
  return { items, bad, sigs };
}

// Check the registrar's signature of an office_key entry (in its own
// domain, PROTOCOL.md 6.6): throws when it does not verify.
export async function checkRegistrarSignature(s, entry, origin) {
  const ok = await ed25519Verify(s.submitterKey.pub, entry.sig,
    entryMessage(origin, entry.record, entry.recordBytes));
  if (!ok) throw new Error('the signature of office_key entry by ' + s.submitterKey.name + '+' +
    hex(s.submitterKey.id) + ' does not verify for the log "' + origin + '"');
}

// Judge every read entry by the grants rule, in index order (an audit's
// replay, client/okeys.c): { keys (OfficeKeys), violations: Map index ->
// why, okeyIndexes: [] }.  Entries that could not be read are left out (they
// failed already).  A correction's target office is checked when its
// target was read.
export async function judgeAll(items, { logKey, registrarKey, origin }) {
  const keys = new OfficeKeys(logKey, registrarKey);
  const okeyIndexes = [];
  for (const it of items) {
    if (!it) continue;
    let s;
    try {
      s = await prepare(it.entry);
      if (s.type === TYPE.office_key) {
        okeyIndexes.push(it.index);
        await checkRegistrarSignature(s, it.entry, origin);
      }
    } catch (e) {
      keys.bad.push({ index: it.index, why: e.message });
      continue;
    }
    it.s = s;
    let target = null;
    if (s.type === TYPE.correction && s.targetIndex < it.index && items[s.targetIndex])
      target = items[s.targetIndex].entry.submitter;
    keys.judge(it.index, s, target);
  }
  keys.finish();
  const violations = new Map();
  for (const b of keys.bad) if (!violations.has(b.index)) violations.set(b.index, b.why);
  return { keys, violations, okeyIndexes };
}

// Every correction in the entries, as the log's index lists them:
// [[target, index, kind]] in (target, index) order.
export function correctionsIn(items) {
  const out = [];
  for (const it of items) {
    if (!it || it.record.type !== 'correction') continue;
    out.push([Number(it.record.target_index), it.index, it.record.action]);
  }
  out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return out;
}

// Compare the log's whole corrections index (GET /corrections, paged) with
// the corrections found in the entries (below size).  Returns { state:
// 'ok' | 'fail' | 'none', words, problems: [{ index, why }] }; 'none' when
// the server has no index (a static copy of the log).
export async function compareCorrectionsIndex(client, size, found) {
  const listed = [];
  try {
    let t = 0, c = 0;
    for (let page = 0; ; page++) {
      const a = await client.correctionsIndex(t, c);
      for (const x of a.corrections) if (x[1] < size) listed.push(x);
      if (!a.more) break;
      if (a.corrections.length === 0 || page > 10000) throw new Error('the corrections index pages without end');
      const last = a.corrections[a.corrections.length - 1];
      [t, c] = [last[0], last[1] + 1];
    }
  } catch (e) {
    if (e instanceof HttpError && e.status === 404)
      return { state: 'none', problems: [], words: 'This server lists no corrections index (a static copy ' +
        'of the log): the corrections were found by reading every entry.' };
    return { state: 'fail', problems: [], words: 'Could not read the log\'s corrections index: ' + e.message };
  }
  const key = (x) => x[0] + '/' + x[1];
  const want = new Map(found.map((x) => [key(x), x]));
  const got = new Map(listed.map((x) => [key(x), x]));
  const problems = [];
  for (const [k, x] of want) {
    const g = got.get(k);
    if (!g) problems.push({ index: x[1], why: 'the log\'s corrections index leaves out #' + x[1] +
      ', a ' + x[2] + ' of #' + x[0] });
    else if (g[2] !== x[2]) problems.push({ index: x[1], why: 'the log\'s corrections index lists #' + x[1] +
      ' as a ' + g[2] + ' of #' + x[0] + ', the entry is a ' + x[2] });
  }
  for (const [k, g] of got)
    if (!want.has(k)) problems.push({ index: g[1], why: 'the log\'s corrections index lists #' + g[1] +
      ' as a correction of #' + g[0] + ', but it is not' });
  problems.sort((a, b) => a.index - b.index);
  if (problems.length)
    return { state: 'fail', problems, words: 'The log\'s corrections index does not match its entries: ' +
      problems.slice(0, 5).map((p) => p.why).join('; ') + (problems.length > 5 ? '; …' : '') + '.' };
  return { state: 'ok', problems, words: 'The log\'s corrections index lists exactly the ' + found.length +
    ' corrections found in the entries.' };
}

// GET /office-keys?size=N, every page: the indexes the log names, checked
// to increase and to be below size.  null when the server has no such
// route (404: a static copy of the log).
export async function officeKeyList(client, size) {
  const all = [];
  let from = 0;
  for (;;) {
    let a;
    try {
      a = await client.officeKeys(size, from);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) return null;
      throw e;
    }
    if (a.size !== size) throw new Error('GET /office-keys: not the list of the tree of size ' + size + ' asked for');
    for (const i of a.indexes) {
      if (i < from || i >= size || (all.length && i <= all[all.length - 1]))
        throw new Error('the log\'s /office-keys answer is out of order or range (#' + i + ')');
      all.push(i);
    }
    if (all.length > 2 * 10000 + 64) throw new Error('the log names more office_key entries than a log can have');
    if (a.indexes.length < 64) return all;
    from = a.indexes[a.indexes.length - 1] + 1;
  }
}

// Compare GET /office-keys with the office_key entries read.
export async function compareOfficeKeyList(client, size, seen) {
  let listed;
  try {
    listed = await officeKeyList(client, size);
  } catch (e) {
    return { state: 'fail', problems: [], words: e.message };
  }
  if (listed === null)
    return { state: 'none', problems: [], words: 'This server lists no office keys (a static copy of the ' +
      'log): the grants were read from the entries.' };
  const a = new Set(listed), b = new Set(seen);
  const problems = [];
  for (const i of seen) if (!a.has(i)) problems.push({ index: i, why: 'the log\'s /office-keys leaves out the office_key entry #' + i });
  for (const i of listed) if (!b.has(i)) problems.push({ index: i, why: 'the log\'s /office-keys names entry #' + i + ', which is not an office_key entry' });
  problems.sort((x, y) => x.index - y.index);
  if (problems.length)
    return { state: 'fail', problems, words: problems.slice(0, 5).map((p) => p.why).join('; ') + '.' };
  return { state: 'ok', problems, words: 'The log\'s /office-keys lists exactly the ' + seen.length +
    ' office_key entries found in the entries.' };
}

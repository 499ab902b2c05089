// grants.test.mjs: the citizen page's port of the grants rule
// (build/web/js/grants.js) against the C rule itself (proto/grants.c) and
// the C reader's words (client/okeys.c): tests/tools/grants_vectors
// replays the scenarios of tests/unit/test_grants.c and random ones and
// records every answer; here the same entries go through the JS rule, and
// every answer, reason, late verdict, key state and description must be
// the same, word for word.
//
//   BUILD=build node --test tests/browser/grants.test.mjs
//   (PT_GRANTS_RANDOM=N: N random replays, default 400; PT_GRANTS_SEED)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.join(here, '..', '..');
const BUILD = process.env.BUILD || path.join(top, 'build');
const WEB = process.env.PT_WEB_DIR || path.join(BUILD, 'web');
const load = (f) => import(pathToFileURL(path.join(WEB, 'js', f)).href);

const { fromHex } = await load('bytes.js');
const { decodeEntry } = await load('wire.js');
const { parseVkey } = await load('note.js');
const { Grants, OfficeKeys, prepare } = await load('grants.js');

const tool = path.join(BUILD, 'tools', 'grants_vectors');
const vectors = JSON.parse(execFileSync(tool, ['--seed', process.env.PT_GRANTS_SEED || '1',
  '--random', process.env.PT_GRANTS_RANDOM || '400'], { maxBuffer: 512 * 1024 * 1024 }));

// Replay one scenario in JS; returns what the C tool recorded, recomputed.
async function replay(sc) {
  const g = new Grants(sc.mode);
  const logKey = sc.log_key ? await parseVkey(sc.log_key) : null;
  const pin = sc.pin ? await parseVkey(sc.pin) : null;
  if (logKey) g.setLogKey(logKey);
  if (pin) g.pinRegistrar(pin);
  const ops = [];
  const kept = [];
  const late = () => {
    for (let l = g.nextLate(); l !== null; l = g.nextLate())
      ops.push({ op: 'late', index: l.index, why: l.why });
  };
  for (const o of sc.ops) {
    if (o.op === 'late') continue;	// recomputed after each apply and at the end
    if (o.op === 'end') {
      g.end();
      ops.push({ op: 'end' });
      late();
      continue;
    }
    const entry = decodeEntry(fromHex(o.entry));
    const s = await prepare(entry);
    assert.equal(s.time, o.time, 'the entry carries its time');
    const err = o.op === 'apply' ? g.apply(o.index, s.time, s, o.target) : g.check(o.index, s.time, s, o.target);
    const mine = { op: o.op, index: o.index, time: o.time, entry: o.entry, rc: err ? err.code : 'ok',
      why: err ? err.message : '' };
    if (o.target !== undefined) mine.target = o.target;
    ops.push(mine);
    kept.push({ index: o.index, s, applied: o.op === 'apply' });
    if (o.op === 'apply') late();
  }
  const keys = g.keys.map((k) => ({ vkey: k.vkey, name: k.name, granted_at: k.grantedAt,
    revoked_at: k.revokedAt === Number.MAX_SAFE_INTEGER ? null : k.revokedAt, types: k.types,
    valid_from_ms: k.validFrom }));
  // The reader (client/okeys.c): every applied entry judged in order.
  const rd = new OfficeKeys(logKey, pin);
  for (const k of kept) if (k.applied) rd.judge(k.index, k.s, null);
  rd.finish();
  const reader = {
    bad: rd.bad.slice(0, 100).map((b) => ({ index: b.index, why: b.why })),
    count: rd.bad.length,
    describe: kept.map((k, i) => {
      const d = rd.describe(k.s, k.index);
      return { index: k.index, op: i, held: d.held, words: d.words };
    }),
  };
  return { ops, keys, registrar: g.registrar ? g.registrar.text : null,
    first_office_key: g.firstOkey === Number.MAX_SAFE_INTEGER ? null : g.firstOkey, reader };
}

test('the vectors are the scenarios of test_grants.c and random replays', () => {
  const names = vectors.scenarios.map((s) => s.name);
  for (const n of ['grant_and_revoke', 'names_and_keys', 'pinned_registrar', 'valid_from',
    'corrections', 'legacy_prefix', 'legacy_no_grants'])
    assert.ok(names.includes(n), n);
  const all = vectors.scenarios.flatMap((s) => s.ops);
  // Known answers of tests/unit/test_grants.c, as the C rule gave them.
  const whys = all.map((o) => o.why || '').join('\n');
  for (const w of ['was revoked at #3', 'already revoked at #3', 'key name finance-office is already granted',
    'public key is already granted', 'is valid from 2026-03-01', 'submitted by another office',
    'the replacement in a correction', 'does not allow correction', 'granted no office keys',
    'the registrar\'s key signs office_key entries only', 'applied after entry'])
    assert.ok(whys.includes(w), w);
  // Every kind of answer occurs often enough to mean something.
  const count = (rc) => all.filter((o) => o.rc === rc).length;
  for (const rc of ['ok', 'PT_EUNKNOWNSIGNER', 'PT_EFORBIDDEN', 'PT_ECONFLICT', 'PT_ESCHEMA', 'PT_ERANGE'])
    assert.ok(count(rc) >= (vectors.scenarios.length > 100 ? 20 : 1), rc + ': ' + count(rc));
  assert.ok(all.filter((o) => o.op === 'late').length >= 5);
});

test('every answer of the C rule, reason for reason', async () => {
  let n = 0;
  for (const sc of vectors.scenarios) {
    const got = await replay(sc);
    const want = { ops: sc.ops, keys: sc.keys, registrar: sc.registrar, first_office_key: sc.first_office_key,
      reader: sc.reader };
    assert.deepEqual(got, want, sc.name);
    n += sc.ops.length;
  }
  assert.ok(n > 1000 || vectors.scenarios.length < 50, 'ops replayed: ' + n);
});

test('describe: the reader\'s words for every signer (okc_describe)', async () => {
  const words = vectors.scenarios.flatMap((s) => s.reader.describe.map((d) => d.words)).join('\n');
  for (const w of ['granted at #0 by registrar.example+', 'REVOKED at #', 'NO GRANT in this log',
    'in the log\'s migration', 'but NOT for this record', 'the log\'s registrar', 'only valid from a later day'])
    assert.ok(words.includes(w), w);
});

// unit.test.mjs: the citizen page's modules (build/web/js) against known
// answers from the standards and from docs/PROTOCOL.md, run by Node's test
// runner (its WebCrypto has SHA-256 and Ed25519, as Chromium's has).
//
//   PT_WEB_DIR=build/web node --test tests/browser/unit.test.mjs
//
// Known answers: the RFC 6962 test leaves and the proofs of PROTOCOL.md 1;
// golang.org/x/mod/sumdb/note's PeterNeumann note; the C2SP
// tlog-cosignature example of PROTOCOL.md 2.3; the worked example of
// PROTOCOL.md 8 (record, signature, entry, leaf hash, checkpoint, receipt);
// the canonical-msgpack corpus tests/corpus/wire (every ok/ file decodes,
// every bad/ file is refused with its error).  The tile prover is checked
// against a tree computed here by the recursive definition of RFC 9162.
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.join(here, '..', '..');
const WEB = process.env.PT_WEB_DIR || path.join(top, 'build', 'web');
const load = (f) => import(pathToFileURL(path.join(WEB, 'js', f)).href);

const bytes = await load('bytes.js');
const cr = await load('crypto.js');
const merkle = await load('merkle.js');
const note = await load('note.js');
const policy = await load('policy.js');
const record = await load('record.js');
const tiles = await load('tiles.js');
const tproof = await load('tproof.js');
const wire = await load('wire.js');
const corrections = await load('corrections.js');
const { fromHex, hex, utf8 } = bytes;

// --- RFC 9162 ---

const RFC6962_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657',
  '606162636465666768696a6b6c6d6e6f'].map(fromHex);

// The reference tree: node:crypto (OpenSSL), independent of the page's
// WebCrypto code under test.
const H = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const refLeaf = (e) => H(new Uint8Array([0]), e);
const refNode = (l, r) => H(new Uint8Array([1]), l, r);

async function mth(leaves) {	// RFC 9162 2.1.1, by its definition
  if (leaves.length === 0) return H(new Uint8Array(0));
  if (leaves.length === 1) return refLeaf(leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return refNode(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

function refUp(hs) {
  while (hs.length > 1) {
    const next = [];
    for (let i = 0; i < hs.length; i += 2) next.push(refNode(hs[i], hs[i + 1]));
    hs = next;
  }
  return hs[0];
}

async function path9162(m, leaves) {	// PATH(m, D[n]), 2.1.3.1
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...await path9162(m, leaves.slice(0, k)), await mth(leaves.slice(k))];
  return [...await path9162(m - k, leaves.slice(k)), await mth(leaves.slice(0, k))];
}

async function subproof(m, leaves, b) {	// 2.1.4.1
  if (m === leaves.length) return b ? [] : [await mth(leaves)];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m <= k) return [...await subproof(m, leaves.slice(0, k), b), await mth(leaves.slice(k))];
  return [...await subproof(m - k, leaves.slice(k), false), await mth(leaves.slice(0, k))];
}

test('RFC 6962 known answers (PROTOCOL.md section 1)', async () => {
  const l = RFC6962_LEAVES;
  assert.equal(hex(await cr.leafHash(l[0])), hex(refLeaf(l[0])));
  assert.equal(hex(await cr.nodeHash(refLeaf(l[0]), refLeaf(l[1]))), hex(refNode(refLeaf(l[0]), refLeaf(l[1]))));
  assert.equal(hex(await merkle.hashUp(l.map(refLeaf))), hex(await mth(l)));
  assert.equal(hex(refLeaf(l[0])), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  const root3 = await mth(l.slice(0, 3));
  assert.equal(hex(root3), 'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77');
  const p = [fromHex('fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125')];
  await merkle.verifyInclusion(await cr.leafHash(l[2]), 2, 3, p, root3);
  const c = await subproof(2, l.slice(0, 5), true);
  assert.deepEqual(c.map((h) => hex(h).slice(0, 8)), ['5f083f0a', 'bc1a0643']);
  await merkle.verifyConsistency(2, 5, await mth(l.slice(0, 2)), await mth(l.slice(0, 5)), c);
});

test('inclusion and consistency proofs: every index and size of 8 leaves, and the mutations', async () => {
  const l = RFC6962_LEAVES;
  for (let n = 1; n <= 8; n++) {
    const root = await mth(l.slice(0, n));
    for (let i = 0; i < n; i++) {
      const p = await path9162(i, l.slice(0, n));
      const leaf = await cr.leafHash(l[i]);
      await merkle.verifyInclusion(leaf, i, n, p, root);
      await assert.rejects(merkle.verifyInclusion(leaf, i, n, [...p, p[0] || root], root));
      if (p.length) await assert.rejects(merkle.verifyInclusion(leaf, i, n, p.slice(1), root));
      await assert.rejects(merkle.verifyInclusion(leaf, i + 1, n, p, root));
      await assert.rejects(merkle.verifyInclusion(leaf, n, n, p, root));
    }
    for (let m = 1; m <= n; m++) {
      const c = await subproof(m, l.slice(0, n), true);
      const old = await mth(l.slice(0, m));
      await merkle.verifyConsistency(m, n, old, root, c);
      if (m < n) {
        await assert.rejects(merkle.verifyConsistency(m, n, old, root, c.slice(1)));
        await assert.rejects(merkle.verifyConsistency(m, n, root, old, c));
      }
    }
  }
  // Nothing is provable from the empty tree, not even with an empty proof.
  await assert.rejects(merkle.verifyConsistency(0, 3, new Uint8Array(32), await mth(l.slice(0, 3)), []));
});

test('tile paths (C2SP tlog-tiles)', () => {
  assert.equal(merkle.tileIndexPath(1234067), 'x001/x234/067');
  assert.equal(merkle.tileIndexPath(5), '005');
  assert.equal(merkle.tileIndexPath(1000), 'x001/000');
  assert.equal(merkle.tilePath(0, 273, 112), 'tile/0/273.p/112');
  assert.equal(merkle.bundlePath(272, 256), 'tile/entries/272');
  assert.equal(merkle.tileWidth(70000, 0, 273), 112);
  assert.equal(merkle.tileWidth(70000, 1, 1), 17);
  assert.equal(merkle.tileWidth(70000, 2, 0), 1);
  assert.equal(merkle.tileWidth(70000, 0, 274), 0);
});

// A log of n entries in memory, served as C2SP tiles.
async function memoryLog(n) {
  const entries = [];
  for (let i = 0; i < n; i++) entries.push(utf8('entry ' + i));
  let level = entries.map(refLeaf);
  const levels = [level];	// tree levels 0, 8, 16, ... (tile levels)
  for (;;) {
    const up = [];
    for (let j = 0; j + 256 <= level.length; j += 256) up.push(refUp(level.slice(j, j + 256)));
    if (up.length === 0) break;
    levels.push(up);
    level = up;
  }
  const client = {
    bytesRead: 0,
    async tile(T, N, w) {
      if (this.noPartials && w < 256 && (levels[T] || []).length >= N * 256 + 256)
        throw Object.assign(new Error('404'), { status: 404 });
      const hs = (levels[T] || []).slice(N * 256, N * 256 + w);
      if (hs.length !== w) throw new Error('no such tile');
      const out = new Uint8Array(32 * w);
      hs.forEach((h, i) => out.set(h, 32 * i));
      return this.tamper ? this.tamper('tile', T, N, out) : out;
    },
    async bundle(N, w) {
      if (this.noPartials && w < 256 && entries.length >= N * 256 + 256)
        throw Object.assign(new Error('404'), { status: 404 });
      const parts = [];
      for (const e of entries.slice(N * 256, N * 256 + w))
        parts.push(new Uint8Array([e.length >> 8, e.length & 255]), e);
      const out = bytes.concat(...parts);
      return this.tamper ? this.tamper('bundle', 0, N, out) : out;
    },
  };
  return { entries, client, root: await mth(entries) };
}

test('tiles: a 65,836-entry log proven from its tiles; a changed tile or entry is caught', async () => {
  for (const n of [1, 255, 256, 257, 785, 65836]) {
    const { entries, client, root } = await memoryLog(n);
    const tv = new tiles.TileVerifier(client, { size: n, root });
    const last = tv.bundles() - 1;
    for (const b of new Set([0, last, Math.floor(last / 2)])) {
      const got = await tv.entries(b);
      assert.equal(got.length, Math.min(256, n - b * 256));
      assert.deepEqual(got[0].bytes, entries[b * 256]);
      assert.equal(hex(got[got.length - 1].leaf), hex(refLeaf(entries[b * 256 + got.length - 1])));
    }
  }
  // A log that grew past an older verified checkpoint, its partial tiles
  // gone: the full tiles' first hashes and entries are used.
  {
    const { entries, client } = await memoryLog(1100);
    client.noPartials = true;
    const root785 = await mth(entries.slice(0, 785));
    const tv = new tiles.TileVerifier(client, { size: 785, root: root785 });
    const got = await tv.entries(3);
    assert.equal(got.length, 17);
    assert.deepEqual(got[16].bytes, entries[784]);
    await assert.rejects(new tiles.TileVerifier(client, { size: 785,
      root: await mth(entries.slice(0, 786)) }).init(), /signed root/);
  }
  const { client, root } = await memoryLog(785);
  const bad = new tiles.TileVerifier(client, { size: 785, root: new Uint8Array(32) });
  await assert.rejects(bad.init(), /signed root/);
  client.tamper = (kind, T, N, b) => {
    if (kind === 'bundle' && N === 1) b[b.length - 1] ^= 1;
    return b;
  };
  const tv = new tiles.TileVerifier(client, { size: 785, root });
  await tv.entries(0);
  await assert.rejects(tv.entries(1), /does not hash to its level-1 tile/);
  client.tamper = (kind, T, N, b) => {
    if (kind === 'bundle' && N === 3) b[b.length - 1] ^= 1;
    return b;
  };
  const tv2 = new tiles.TileVerifier(client, { size: 785, root });
  await assert.rejects(tv2.entries(3), /does not match its leaf hash/);
  // A full tile above level 0 that is not the tree's.
  {
    const big = await memoryLog(65836);
    big.client.tamper = (kind, T, N, b) => {
      if (kind === 'tile' && T === 1 && N === 0 && b.length === 8192) b[77] ^= 1;
      return b;
    };
    const tv3 = new tiles.TileVerifier(big.client, { size: 65836, root: big.root });
    await tv3.entries(256);	// level-1 tile 1 is partial, checked by the root
    await assert.rejects(tv3.entries(0), /does not hash to its parent/);
    // rootAt: the root of every prefix, from the tiles of the whole tree.
    big.client.tamper = null;
    const tv4 = new tiles.TileVerifier(big.client, { size: 65836, root: big.root });
    for (const m of [1, 2, 3, 255, 256, 257, 1000, 65535, 65536, 65537, 65836])
      assert.equal(hex(await tv4.rootAt(m)), hex(await mth(big.entries.slice(0, m))), 'rootAt ' + m);
    await assert.rejects(tv4.rootAt(65837), /no tree/);
  }
  client.tamper = (kind, T, N, b) => (kind === 'bundle' ? b.subarray(0, b.length - 1) : b);
  await assert.rejects(new tiles.TileVerifier(client, { size: 785, root }).entries(0), /entry bundle/);
});

// --- signed notes and cosignatures ---

test('signed note: golang.org/x/mod/sumdb/note example', async () => {
  const k = await note.parseVkey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  const text = 'If you think cryptography is the answer to your problem,\n' +
    'then you don\'t know what your problem is.\n';
  const n = note.parseNote(text + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n');
  assert.equal(n.text, text);
  assert.equal(n.sigs.length, 1);
  assert.ok(await cr.ed25519Verify(k.pub, n.sigs[0].sig, n.textBytes));
  await assert.rejects(note.parseVkey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), /hash/);
  for (const badNote of ['no blank line\n', '\n\u2014 a AAAAAAAA\n', 'x\n\n\u2014 a AAAAAAAA', 'x\n\n- a AAAAAAAA\n',
    'x\n\n\u2014 a  AAAAAAAA\n', 'x\u0001\n\n\u2014 a AAAAAAAA\n', 'x\n\n\u2014 a AAAA\n'])
    assert.throws(() => note.parseNote(badNote), badNote);
});

test('C2SP checkpoint and tlog-cosignature v1 example (PROTOCOL.md 2.3)', async () => {
  const logKey = await note.parseVkey('example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM');
  const wkey = await note.parseVkey('witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea');
  const n = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
    '\u2014 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n' +
    '\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n';
  const { ckpt, note: parsed } = await note.openCheckpoint(utf8(n), logKey);
  assert.equal(ckpt.size, 20852163);
  assert.equal(ckpt.origin, 'example.com/behind-the-sofa');
  const c = await note.checkCosignature(parsed, wkey);
  assert.ok(c.ok);
  assert.equal(c.time, 1679315147n);
  const pol = await policy.parsePolicy('log ' + logKey.text + '\nwitness w1 ' + wkey.text +
    '\nwitness w2 witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\nquorum w1\n')
    .catch((e) => e);
  assert.ok(pol instanceof Error, 'a duplicate key is refused');
  const one = await policy.parsePolicy('witness w1 ' + wkey.text + '\nquorum w1\n');
  assert.ok((await policy.checkPolicy(one, parsed, 1679315147)).ok);
  const other = await note.parseVkey('witness.example.com/w2+' +
    hex((await note.keyId('witness.example.com/w2', 4, new Uint8Array(32).fill(7)))) + '+' +
    bytes.b64(bytes.concat(new Uint8Array([4]), new Uint8Array(32).fill(7))));
  const both = await policy.parsePolicy('witness w1 ' + wkey.text + '\nwitness w2 ' + other.text +
    '\ngroup both all w1 w2\nquorum both\n');
  const r = await policy.checkPolicy(both, parsed, 1679315147);
  assert.equal(r.ok, false);
  assert.match(r.why, /both of w1, w2/);
  // Dated after now + 300 s: does not count.
  assert.equal((await policy.checkPolicy(one, parsed, 1679315147 - 301)).ok, false);
  // A damaged cosignature rejects the check.
  const damaged = note.parseNote(utf8(n.replace('fm9KqgAAAABkGFDL+', 'fm9KqgAAAABkGFDM+')));
  assert.equal((await policy.checkPolicy(one, damaged, 1679315147)).ok, false);
  // Another log key, or another origin: refused.
  const wrong = await note.parseVkey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
  await assert.rejects(note.openCheckpoint(utf8(n), wrong), /no signature by the trusted log key/);
  for (const bad of ['a\n0020852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'a\n1\n', 'a\n1\nAAAA\n',
    'a\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n'])
    assert.throws(() => note.parseCheckpoint(bad), bad);
});

test('tlog-policy parsing is strict', async () => {
  const w = 'witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
  for (const bad of ['quorum w1\n', 'witness w1 ' + w + '\n', 'witness none ' + w + '\nquorum none\n',
    'witness w1 ' + w + '\nquorum w1\nquorum w1\n', 'witness w1 ' + w + '\ngroup g 2 w1\nquorum g\n',
    'bogus line\nquorum none\n', 'quorum none'])
    await assert.rejects(policy.parsePolicy(bad), JSON.stringify(bad));
  assert.equal((await policy.parsePolicy('# none\n\nquorum none\n')).quorum, null);
});

// --- the worked example of PROTOCOL.md 8 ---

const ENTRY_HEX = `84a67265636f726488ac616d6f756e745f6d696e6f72ce0003d090a863757272
656e6379a3455552a464617465aa323032362d30312d3135ab64657363726970
74696f6eb9526f6164207265737572666163696e672c2070686173652031a269
64ad5041592d323032362d30303031a5706179656584a26964a8303132333435
3637a46b696e64ac6f7267616e697a6174696f6ea46e616d65ae41636d652052
6f616473204c7464a6736368656d65a647422d434f48a5706179657284a26964
a346494ea46b696e64ac6f7267616e697a6174696f6ea46e616d65b64578616d
706c652046696e616e6365204f6666696365a6736368656d65aa58492d455841
4d504c45a474797065a77061796d656e74a3736967c440afcacb41aee206cce9
e758a17ff891dcd24aa19a2ded623fa21aa19335b908f69f09eeb5fe760d808d
bc0525efa379884d239674eaf3fe44fb4fb4b7850d8c0fa97375626d69747465
72d94966696e616e63652e6578616d706c652e676f762b36666364353763392b
41514f6842372f7a7a68432b48584464474f644c774a6c6e354e59776d36554e
58783363686d515356544734a474696d65cf0000019bbef3b000`.replace(/\s/g, '');

test('PROTOCOL.md worked example: entry, leaf hash, office signature, checkpoint, receipt', async () => {
  const entryBytes = fromHex(ENTRY_HEX);
  assert.equal(entryBytes.length, 442);
  const leaf = await cr.leafHash(entryBytes);
  assert.equal(hex(leaf), '145e09e5d61719f320466895aefe9cc36c2bbd43cb3d1ff3767d59a557aa18ae');
  const e = wire.decodeEntry(entryBytes);
  assert.equal(e.recordBytes.length, 265);
  assert.equal(e.time, 1768435200000);
  assert.equal(e.record.amount_minor, 250000);
  assert.equal(e.submitter, 'finance.example.gov+6fcd57c9+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4');
  assert.equal(hex(await cr.sha256(utf8(e.submitter))),
    'c43f35d7e7a1af1b229476994d277c88a385e6dc212442aea6842a3d44a21b1e');
  const k = await note.parseVkey(e.submitter, note.ALG_ED25519);
  const trust = await load('trust.js');
  const msg = trust.submissionMessage('example.gov/payments', e.recordBytes);
  assert.equal(hex(await cr.sha256(msg)), '66c59845a174d895190af0579599a3b7e2a66b92ef3c0a16c239f4ea6b261c29');
  assert.ok(await cr.ed25519Verify(k.pub, e.sig, msg));
  assert.equal(await cr.ed25519Verify(k.pub, e.sig, trust.submissionMessage('example.gov/other', e.recordBytes)), false);
  const logKey = await note.parseVkey('example.gov/payments+a40eb6c0+ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X');
  const ck = 'example.gov/payments\n1\nFF4J5dYXGfMgRmiVrv6cw2wrvUPLPR/zdn1ZpVeqGK4=\n\n' +
    '\u2014 example.gov/payments pA62wESpWl9PT7EVpNUH8o0hK/ITZykvZxrbxw3oX6bFGKEHLs89k8pE3Bac1Xg8H0t9/Cxm6eNdoJ4NzoMcgLT2lAs=\n';
  const { ckpt } = await note.openCheckpoint(utf8(ck), logKey);
  assert.deepEqual(ckpt.root, leaf);
  const tp = tproof.parseTlogProof('c2sp.org/tlog-proof@v1\nindex 0\n\n' + ck);
  assert.equal(tp.index, 0);
  assert.deepEqual(tp.proof, []);
  await merkle.verifyInclusion(leaf, 0, 1, tp.proof, ckpt.root);
  assert.throws(() => tproof.parseTlogProof('c2sp.org/tlog-proof@v1\nindex 01\n\n' + ck));
  assert.throws(() => tproof.parseTlogProof('c2sp.org/tlog-proof@v2\nindex 0\n\n' + ck));
  // Records in words: exact amounts.
  assert.equal(record.money(e.record.amount_minor, e.record.currency), 'EUR 2,500.00');
  assert.equal(record.title(e.record), 'Payment PAY-2026-0001: EUR 2,500.00 to Acme Roads Ltd');
});

test('exact amounts from minor units', () => {
  assert.equal(record.decimal(125000n, 'GBP'), '1,250.00');
  assert.equal(record.decimal(5, 'EUR'), '0.05');
  assert.equal(record.decimal(-5, 'EUR'), '-0.05');
  assert.equal(record.decimal(1234567, 'JPY'), '1,234,567');
  assert.equal(record.decimal(1234567, 'BHD'), '1,234.567');
  assert.equal(record.decimal(9223372036854775807n, 'EUR'), '92,233,720,368,547,758.07');
  assert.equal(record.decimal(-9223372036854775808n, 'EUR'), '-92,233,720,368,547,758.08');
  assert.equal(record.decimal(987654321012n, 'EUR', true), '9876543210.12');
});

test('corrections: the last applicable one decides', async () => {
  const leaf = new Uint8Array(32).fill(1);
  const target = { submitter: 'A', record: { type: 'payment', id: 'P' } };
  const cor = (index, action, submitter = 'A', h = leaf, ti = 3) => ({ index, entry: { submitter,
    time: 0, record: { type: 'correction', action, target_index: ti, target_leaf_hash: h,
      reason: 'r', replacement: action === 'amend' ? { type: 'payment', id: 'P2' } : undefined } } });
  assert.equal(corrections.resolve(3, target, leaf, []).status, 'current');
  let r = corrections.resolve(3, target, leaf, [cor(9, 'amend'), cor(5, 'void')]);
  assert.equal(corrections.statusWords(r), 'amended by #9');
  assert.equal(r.effective.id, 'P2');
  r = corrections.resolve(3, target, leaf, [cor(5, 'amend'), cor(9, 'void'), cor(12, 'void', 'B'),
    cor(13, 'void', 'A', new Uint8Array(32)), cor(14, 'void', 'A', leaf, 4)]);
  assert.equal(corrections.statusWords(r), 'voided by #9');
  assert.equal(r.ignored.length, 2);
});

// --- canonical msgpack: the shared corpus ---

const CORPUS = path.join(top, 'tests', 'corpus', 'wire');
const TOKENS = { bad_utf8: /bad_utf8|UTF-8/, duplicate_key: /duplicate_key/, malformed: /malformed/,
  non_canonical: /non_canonical/, too_big: /too_big|too big/, too_deep: /too_deep/,
  trailing_bytes: /trailing_bytes/, truncated: /truncated/, wrong_type: /wrong_type/ };

test('canonical msgpack corpus (tests/corpus/wire)', () => {
  let n = 0;
  for (const f of readdirSync(path.join(CORPUS, 'ok'))) {
    const b = new Uint8Array(readFileSync(path.join(CORPUS, 'ok', f)));
    const kind = f.split('.')[0];
    if (kind === 'receipt') wire.decodeReceipt(b);
    else if (kind === 'entry') wire.decodeEntry(b);
    else if (kind === 'inclusion') wire.decodeInclusion(b);
    else if (kind === 'consistency') wire.decodeConsistency(b);
    else wire.decodeCanonical(b);
    n++;
  }
  for (const f of readdirSync(path.join(CORPUS, 'bad'))) {
    const b = new Uint8Array(readFileSync(path.join(CORPUS, 'bad', f)));
    const [kind, err] = f.split('.');
    if (kind === 'canonical') {
      assert.throws(() => wire.decodeCanonical(b), TOKENS[err] || /./, f);
      n++;
    } else if (kind === 'entry') {
      assert.throws(() => wire.decodeEntry(b), /./, f);
      n++;
    } else if (kind === 'receipt') {
      assert.throws(() => wire.decodeReceipt(b), /./, f);
      n++;
    } else if (kind === 'inclusion' && err !== 'out_of_range') {
      assert.throws(() => wire.decodeInclusion(b), /./, f);
      n++;
    }
  }
  assert.ok(n > 100, 'corpus files checked: ' + n);
});

// --- post-quantum-sized signature lines and ML-DSA-44 witnesses
// (proto/ptlimits.h, proto/note.c, proto/policy.c; C2SP signed-note: a
// verifier ignores lines by keys it does not know, of any size) ---

const SOFA = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SOFA_LOG = '\u2014 example.com/behind-the-sofa N7xU1+abfjKmQX7u2YhTdYaOXrug9rsbMBefB1zqpTMCh7Qbu95DTTW6yAHrIQI/NYE44uaYFncmQ4kfoZLG679blQk=\n';
const SOFA_W1 = '\u2014 witness.example.com/w1 fm9KqgAAAABkGFDL+TPmh4BYuAjsYRoqMJCWb/gWJaeRF/kmm5tlCr9sJ57DLErur7K0yDXc2ArN+TIuotuB/HbuL3AJsp3bv/aNCQ==\n';
const W1 = 'witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';
const SOFA_KEY = 'example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM';

// A line of ML-DSA-44 cosignature size by an unknown signer: key ID,
// 8-byte timestamp, 2,420 bytes of signature (3,268 bytes with a 19-byte
// name), as tests/integration/witlib.py pq_line makes them.
function pqLine(name, size = 4 + 8 + 2420) {
  const raw = new Uint8Array(size);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 131 + name.length) & 255;
  return '\u2014 ' + name + ' ' + bytes.b64(raw) + '\n';
}

async function mldsaKey(name, fill = 9) {
  const pub = new Uint8Array(1312).fill(fill);
  const id = await note.keyId(name, 6, pub);
  return name + '+' + hex(id) + '+' + bytes.b64(bytes.concat(new Uint8Array([6]), pub));
}

test('signed note: sixteen ML-DSA-44-sized lines by unknown signers are ignored', async () => {
  const lines = Array.from({ length: 16 }, (_, i) => pqLine('pq' + i + '.example/witness'));
  assert.ok(lines.every((l) => utf8(l).length >= 3250));
  const n = SOFA + '\n' + SOFA_LOG + SOFA_W1 + lines.join('');
  assert.ok(utf8(n).length > 50000 && utf8(n).length <= note.NOTE_MAX);
  const logKey = await note.parseVkey(SOFA_KEY);
  const { ckpt, note: parsed } = await note.openCheckpoint(utf8(n), logKey);
  assert.equal(ckpt.size, 20852163);
  assert.equal(parsed.sigs.length, 18);
  const one = await policy.parsePolicy('witness w1 ' + W1 + '\nquorum w1\n');
  const r = await policy.checkPolicy(one, parsed, 1679315147);
  assert.ok(r.ok, r.why);
  // Lines before the log's own, and two by the same unknown key: ignored too.
  const mixed = SOFA + '\n' + lines[0] + lines[0] + SOFA_LOG + lines[1] + SOFA_W1;
  assert.ok((await note.openCheckpoint(utf8(mixed), logKey)).ckpt);
  // The limits of proto/ptlimits.h: a signature line of up to 8,191 bytes
  // (8,192 with its newline), 64 lines, PT_NOTE_MAX bytes in all.
  const longest = pqLine('big.example/wx', 6129);
  assert.equal(utf8(longest).length, 8192);
  assert.ok(note.parseNote(SOFA + '\n' + SOFA_LOG + longest));
  assert.throws(() => note.parseNote(SOFA + '\n' + SOFA_LOG + pqLine('big.example/wx', 6132)), /too long/);
  const small = Array.from({ length: 63 }, (_, i) => pqLine('s' + i, 5));
  assert.equal(note.parseNote(SOFA + '\n' + SOFA_LOG + small.join('')).sigs.length, 64);
  assert.throws(() => note.parseNote(SOFA + '\n' + SOFA_LOG + small.join('') + pqLine('s64', 5)), /too many/);
  const tooMany = Array.from({ length: 19 }, (_, i) => pqLine('x' + i, 6129)).join('');
  assert.throws(() => note.parseNote(SOFA + '\n' + SOFA_LOG + tooMany), /too big/);
  // The note's text keeps its own limit: a line of 1,025 bytes is refused.
  assert.throws(() => note.parseNote(SOFA + 'x'.repeat(1025) + '\n\n' + SOFA_LOG), /line too long/);
});

test('tlog-policy: an ML-DSA-44 witness is loaded, named and (without ML-DSA in WebCrypto) not counted', async () => {
  const pq = await mldsaKey('pq.example/witness');
  const pol = await policy.parsePolicy('log ' + SOFA_KEY + '\nwitness w1 ' + W1 + '\nwitness pq ' + pq +
    '\ngroup any2 any w1 pq\nquorum any2\n');
  assert.equal(pol.witnesses[1].key.alg, 6);
  assert.equal(pol.witnesses[1].key.pub.length, 1312);
  const parsed = note.parseNote(SOFA + '\n' + SOFA_LOG + SOFA_W1 + pqLine('pq.example/witness'));
  const r = await policy.checkPolicy(pol, parsed, 1679315147);
  assert.ok(r.ok, 'a quorum met by the Ed25519 witness passes: ' + r.why);
  const pqState = r.witnesses.find((w) => w.name === 'pq').state;
  if (await cr.haveMLDSA44()) {
    // This runtime verifies ML-DSA-44: the made-up line does not verify.
    assert.equal(pqState, 'bad');
  } else {
    assert.equal(pqState, 'ML-DSA-44, cannot be verified in this browser, not counted');
    const both = await policy.parsePolicy('witness w1 ' + W1 + '\nwitness pq ' + pq +
      '\ngroup both all w1 pq\nquorum both\n');
    const r2 = await policy.checkPolicy(both, parsed, 1679315147);
    assert.equal(r2.ok, false);
    assert.match(r2.why, /both of w1, pq/);
  }
  // The key's hash binds its type: the same bytes with another hash fail.
  await assert.rejects(note.parseVkey(pq.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), /hash/);
  // A key of the wrong length for 0x06 is refused.
  await assert.rejects(note.parseVkey('pq+00000000+' + bytes.b64(new Uint8Array(34).fill(6))), /length/);
  // The cosigned message of C2SP tlog-cosignature for ML-DSA-44.
  const m = note.subtreeMessage('w', 5n, 'o', 7, new Uint8Array(32).fill(0xaa));
  assert.equal(hex(m), hex(utf8('subtree/v1\n\0')) + '0177' + '0000000000000005' + '016f' +
    '0000000000000000' + '0000000000000007' + 'aa'.repeat(32));
});

// verify.js: verify one record, step by step, in plain words.
//
// Input: a receipt file, an entry index (optionally with the leaf hash a
// link or QR code names), or an office and its reference (GET /lookup).
// Every step ends ok, warn (true but worth knowing), info, fail, or skip
// (could not be checked because an earlier step failed or the log could
// not be reached).  A failed step is never hidden, and the record is only
// called verified when no step failed.

import { b64, equal, fromHex, hex } from './bytes.js';
import { checkOfficeSignature } from './bundlejob.js';
import { leafHash } from './crypto.js';
import { IndexSource, resolve, statusWords } from './corrections.js';
import { OfficeKeys, keyLabel, prepare } from './grants.js';
import { HttpError, LogClient } from './log.js';
import { checkRegistrarSignature, compareCorrectionsIndex, compareOfficeKeyList, correctionsIn,
  judgeAll, officeKeyList, readAll } from './logread.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { ALG_ED25519, parseVkey } from './note.js';
import { checkRecord } from './record.js';
import { TileVerifier } from './tiles.js';
import { parseTlogProof } from './tproof.js';
import { openWithPolicy, registrarTrust, registrarWords, submitterId } from './trust.js';
import { decodeEntry, decodeReceipt } from './wire.js';

// The office's signature over a record (bundlejob.js, also run in workers).
export { checkOfficeSignature };

class Steps {
  constructor(onChange) {
    this.list = [];
    this.onChange = onChange || (() => {});
  }

  add(id, title) {
    const s = { id, title, state: 'running', detail: '' };
    const set = (state) => (detail) => {
      s.state = state;
      s.detail = detail || '';
      this.onChange(this.list);
      return s;
    };
    s.ok = set('ok');
    s.fail = set('fail');
    s.warn = set('warn');
    s.info = set('info');
    s.skip = set('skip');
    s.progress = (detail) => {
      s.detail = detail;
      this.onChange(this.list);
    };
    this.list.push(s);
    this.onChange(this.list);
    return s;
  }

  failed() {
    return this.list.some((s) => s.state === 'fail');
  }
}

function cap(t) {
  return t.charAt(0).toUpperCase() + t.slice(1);
}

// A check that could not go on: failed, with what was done so far.
function stopped(out) {
  out.ok = false;
  out.status = 'failed';
  return out;
}

function why(e) {
  return e && e.message ? e.message : String(e);
}

// Resolve the office a person typed: a verifier key string, a 64-hex
// submitter id, or the name of an office the config lists.
export async function officeId(text, offices) {
  const t = text.trim();
  if (/^[0-9a-f]{64}$/.test(t)) return { id: fromHex(t), label: t.slice(0, 16) + '…' };
  if (t.includes('+')) {
    const k = await parseVkey(t, ALG_ED25519);
    return { id: await submitterId(k.text), label: k.name + '+' + hex(k.id) };
  }
  const matches = [];
  for (const o of offices || []) {
    try {
      const k = await parseVkey(o, ALG_ED25519);
      if (k.name === t) matches.push(k);
    } catch (e) { /* skip a bad config line */ }
  }
  if (matches.length === 1)
    return { id: await submitterId(matches[0].text), label: matches[0].name + '+' + hex(matches[0].id) };
  if (matches.length > 1) throw new Error('several office keys are named "' + t + '": give the key');
  throw new Error('unknown office "' + t + '": give its verifier key or submitter id');
}

// Run every check.  ctx from trust.js; input { kind: 'receipt', bytes } |
// { kind: 'index', index, hash } | { kind: 'lookup', office, id };
// onChange(steps) after each change.  Returns { steps, ok, entry, index,
// leaf, record (effective), corrections, status, checkpoint }.
export async function verifyRecord(ctx, input, onChange) {
  const S = new Steps(onChange);
  const out = { steps: S.list, ok: false, status: null };

  const sKey = S.add('key', 'The log key this page trusts');
  if (!ctx.logKey) {
    sKey.fail(ctx.problems.join('; '));
    return stopped(out);
  }
  const keyWords = ctx.logKey.name + '+' + hex(ctx.logKey.id) + ' (SHA-256 of the key: ' +
    ctx.keyHash.slice(0, 16) + '…)';
  if (ctx.keySource === 'pinned')
    sKey.ok(keyWords + ', pinned in this page\'s config.json by whoever hosts this page.');
  else if (ctx.keySource === 'log')
    sKey.warn(keyWords + ', as the log itself announces it. Compare the hash with one ' +
      'published elsewhere (the office\'s notices, a watchdog).');
  else
    sKey.warn(keyWords + ', taken from the link, not pinned by this page.');
  if (ctx.servedByLog)
    S.add('host', 'Who served this page').warn('This page was served by the log it checks. ' +
      'A dishonest log could serve a page that says whatever it likes: for an independent ' +
      'check, open the same link on a copy of the page hosted by a watchdog.');

  const client = new LogClient(ctx.log);
  out.log = client.base;
  let entryBytes, index, tp = null, asked = null, linkHash = null;
  let early = null, fromTiles = false;	// a static copy of a log: the entry from its tiles

  // 1. What are we checking?
  if (input.kind === 'receipt') {
    const s = S.add('receipt', 'The receipt file can be read');
    try {
      const r = decodeReceipt(input.bytes);
      tp = parseTlogProof(r.proof);
      if (tp.index !== r.index) throw new Error('its proof is for entry #' + tp.index +
        ', the receipt says #' + r.index);
      entryBytes = r.entry;
      index = r.index;
      s.ok('A receipt for entry #' + index + ' of the log.');
    } catch (e) {
      s.fail('This is not a valid pubtrail receipt: ' + why(e));
      return stopped(out);
    }
  } else if (input.kind === 'index') {
    index = input.index;
    if (input.hash) linkHash = input.hash;
    const s = S.add('fetch', 'The log sends entry #' + index);
    try {
      entryBytes = await client.entry(index);
      s.ok('Fetched from ' + client.base + '.');
    } catch (e) {
      if (!(e instanceof HttpError && e.status === 404)) {
        s.fail(why(e));
        return stopped(out);
      }
      // No /entry route (a static copy of a log serves only its tiles and
      // bundles), or no such entry: read it from its bundle, proven.
      try {
        early = await openWithPolicy(ctx, await client.checkpoint());
        if (index >= early.ckpt.size)
          throw new Error('The log has no entry #' + index + ': its checkpoint holds ' + early.ckpt.size + ' entries.');
        early.tv = new TileVerifier(client, early.ckpt);
        entryBytes = (await early.tv.entry(index)).bytes;
        fromTiles = true;
        s.ok('Read from entry bundle ' + Math.floor(index / 256) + ' of ' + client.base + ' (this server ' +
          'answers no /entry: a static copy of the log, tiles and bundles only).');
      } catch (e2) {
        s.fail(why(e2));
        return stopped(out);
      }
    }
  } else {
    const s = S.add('fetch', 'The log finds reference "' + input.id + '" of the office');
    try {
      asked = await officeId(input.office, ctx.offices);
      asked.rid = input.id;
      const a = await client.lookup(asked.id, input.id);
      entryBytes = a.entry;
      index = a.index;
      s.ok('The log answers with entry #' + index + '.');
    } catch (e) {
      s.fail(e instanceof HttpError && e.status === 404 ?
        'The log has no record "' + input.id + '" from that office (or this server, a static copy of ' +
        'the log, cannot look records up: search by entry number or permit number).' : why(e));
      return stopped(out);
    }
  }
  out.index = index;

  // 2. The entry itself.
  const sEntry = S.add('entry', 'The entry is a well-formed, signed record');
  let entry;
  try {
    entry = decodeEntry(entryBytes);
    checkRecord(entry.record);
    sEntry.ok('Canonical msgpack; a ' + entry.record.type.replace('_', ' ') + ' with reference ' +
      entry.record.id + ', taken in by the log on ' + new Date(entry.time).toISOString() + '.');
  } catch (e) {
    sEntry.fail(why(e));
  }
  out.entry = entry;
  out.leaf = await leafHash(entryBytes);
  out.entryHash = hex(out.leaf);
  if (asked) {
    const s = S.add('answer', 'The answer is the record asked for');
    if (!entry) s.skip('The entry could not be read.');
    else {
      const sid = await submitterId(entry.submitter);
      if (hex(sid) !== hex(asked.id))
        s.fail('The log answered with a record of another office (' + entry.submitter.split('+')[0] +
          '), not of ' + asked.label + '.');
      else if (entry.record.id !== asked.rid)
        s.fail('The log answered with record "' + entry.record.id + '", not "' + asked.rid + '".');
      else s.ok('Office ' + asked.label + ', reference ' + asked.rid + '.');
    }
  }
  if (linkHash) {
    const s = S.add('answer', 'The entry is the one the link names');
    if (out.entryHash === linkHash) s.ok('Its hash is ' + linkHash.slice(0, 16) + '…, as in the link.');
    else s.fail('The link names entry hash ' + linkHash.slice(0, 16) + '…, the log sent ' +
      out.entryHash.slice(0, 16) + '….');
  }

  // 3. Checkpoints: the log's current one, and the receipt's own.
  let cur = null, rc = null;
  const sCur = S.add('checkpoint', 'The log signed its current checkpoint');
  try {
    cur = early || await openWithPolicy(ctx, await client.checkpoint());
    sCur.ok('A tree of ' + cur.ckpt.size + ' entries, root ' + b64(cur.ckpt.root).slice(0, 12) +
      '…, signed by ' + ctx.logKey.name + '.');
  } catch (e) {
    const net = !(e instanceof HttpError) && /could not reach/.test(why(e));
    if (tp && net) sCur.warn('Could not reach the log (' + why(e) + '): the receipt is checked ' +
      'offline, against its own checkpoint.');
    else sCur.fail(why(e));
  }
  out.checkpoint = cur ? cur.ckpt : null;
  if (tp) {
    const s = S.add('receipt-checkpoint', 'The receipt\'s checkpoint is signed by the log');
    try {
      rc = await openWithPolicy(ctx, tp.note);
      s.ok('A tree of ' + rc.ckpt.size + ' entries, signed by ' + ctx.logKey.name + '.');
    } catch (e) {
      s.fail(why(e));
    }
  }
  const wit = cur || rc;
  const sWit = S.add('witnesses', 'Independent witnesses cosigned the checkpoint');
  if (!wit) sWit.skip('No checkpoint signed by the log to check.');
  else if (wit.witness.state === 'ok') sWit.ok(wit.witness.words);
  else if (wit.witness.state === 'none') sWit.warn(wit.witness.words);
  else sWit.fail(wit.witness.words);

  // 4. Inclusion.
  if (tp) {
    const s = S.add('inclusion', 'Entry #' + index + ' is in the receipt\'s checkpoint');
    if (!rc) s.skip('The receipt\'s checkpoint did not verify.');
    else {
      try {
        await verifyInclusion(out.leaf, index, rc.ckpt.size, tp.proof, rc.ckpt.root);
        s.ok('The ' + tp.proof.length + ' hashes of the receipt\'s proof lead from this entry to the signed root.');
      } catch (e) {
        s.fail(why(e));
      }
    }
    if (cur && rc) {
      const c = S.add('consistency', 'The receipt\'s checkpoint is part of the log\'s history today');
      try {
        const [m, n, mr, nr] = rc.ckpt.size <= cur.ckpt.size ?
          [rc.ckpt.size, cur.ckpt.size, rc.ckpt.root, cur.ckpt.root] :
          [cur.ckpt.size, rc.ckpt.size, cur.ckpt.root, rc.ckpt.root];
        let proof = [];
        if (m !== n) {
          try {
            const a = await client.consistency(m, n);
            if (a.old !== m || a.new !== n) throw new Error('the log answered another question (' +
              a.old + ' to ' + a.new + ')');
            proof = a.proof;
          } catch (e) {
            // A static copy of a log serves no proofs: the older root
            // recomputed from the newer tree's tiles says the same.
            if (!(e instanceof HttpError && e.status === 404 && rc.ckpt.size < cur.ckpt.size)) throw e;
            early = early || { ckpt: cur.ckpt, tv: new TileVerifier(client, cur.ckpt) };
            const r = await early.tv.rootAt(m);
            if (!equal(r, mr)) throw new Error('the log\'s tree of ' + n + ' entries does not extend the ' +
              'receipt\'s tree of ' + m + ': the log forked');
            c.ok('The log\'s tree of ' + n + ' entries extends the receipt\'s tree of ' + m + ' (its first ' + m +
              ' entries, recomputed from the log\'s tiles, give the receipt\'s root: this server serves no proofs).');
            proof = null;
          }
        }
        if (proof !== null) {
          await verifyConsistency(m, n, mr, nr, proof);
          c.ok(rc.ckpt.size <= cur.ckpt.size ?
            'The log\'s tree of ' + cur.ckpt.size + ' entries extends the receipt\'s tree of ' + rc.ckpt.size + '.' :
            'The log served an older checkpoint than the receipt\'s; it is a prefix of it.');
        }
      } catch (e) {
        c.fail(why(e));
      }
    }
  } else {
    const s = S.add('inclusion', 'Entry #' + index + ' is in the log\'s current checkpoint');
    if (!cur) s.skip('No checkpoint signed by the log.');
    else {
      try {
        let a = null;
        if (!fromTiles) {
          try {
            a = await client.inclusion(index, cur.ckpt.size);
          } catch (e) {
            if (!(e instanceof HttpError && e.status === 404)) throw e;
          }
        }
        if (a !== null) {
          if (a.index !== index || a.size !== cur.ckpt.size)
            throw new Error('the log answered another question (entry #' + a.index + ' in ' + a.size + ')');
          await verifyInclusion(out.leaf, index, cur.ckpt.size, a.proof, cur.ckpt.root);
          s.ok('The ' + a.proof.length + ' hashes of the inclusion proof lead from this entry to the signed root.');
        } else {
          // No proof routes (a static copy of the log): from the tiles.
          early = early || { ckpt: cur.ckpt, tv: new TileVerifier(client, cur.ckpt) };
          const e = await early.tv.entry(index);
          if (!equal(e.leaf, out.leaf)) throw new Error('entry #' + index + ' in the log\'s tiles is another entry');
          s.ok('Proven from the log\'s tiles: the entry is in its bundle and level-0 tile, and every tile up ' +
            'to the signed root hashes to the one above it (this server serves no proofs).');
        }
      } catch (e) {
        s.fail(why(e));
      }
    }
  }

  // 5. The office, and its grant.
  const origin = (cur || rc) ? (cur || rc).ckpt.origin : ctx.logKey.name;
  out.origin = origin;
  const sOff = S.add('office', 'The office signed this record for this log');
  if (!entry) sOff.skip('The entry could not be read.');
  else {
    try {
      const k = await checkOfficeSignature(entry, origin);
      out.office = k;
      sOff.ok('Signed by ' + k.name + '+' + hex(k.id) + ' (Ed25519), for the log "' + origin + '".');
    } catch (e) {
      sOff.fail(why(e));
    }
  }
  const tv = cur ? (early && early.ckpt.size === cur.ckpt.size ? early.tv : new TileVerifier(client, cur.ckpt)) : null;
  const env = { ctx, client, cur, tv, index, entry, leaf: out.leaf, origin, S, out };
  if (entry) {
    try {
      env.s = await prepare(entry);
    } catch (e) {
      env.sProblem = why(e);
    }
  }
  const sGrant = S.add('grant', 'The office\'s key was authorised to sign this record');
  const sCor = S.add('corrections', 'Corrections of this entry');
  env.sGrant = sGrant;
  env.sCor = sCor;
  if (!entry) {
    sGrant.skip('The entry could not be read.');
    sCor.skip('The entry could not be read.');
  } else if (!cur) {
    sGrant.skip('Needs the log\'s current checkpoint: not checked.');
    sCor.skip('Needs the log\'s current checkpoint: not checked.');
  } else {
    await registrarTrust(ctx, client);
    sKey.detail += ' Registrar (who grants office keys): ' + registrarWords(ctx) + '.';
    S.onChange(S.list);
    // The log's lists first (cheap); a server without them (a static copy
    // of a log) is read whole, which also proves nothing was left out.
    const quickGrants = await grantsQuick(env);
    const quickCorr = await correctionsQuick(env);
    if (quickGrants === null || quickCorr === null) {
      await wholeLog(env, (d, t) => {
        const w = 'Reading the whole log (this server lists no ' + (quickGrants === null ? 'office keys' : 'corrections') +
          '): ' + d + ' of ' + t + ' entries proven…';
        if (quickGrants === null) sGrant.progress(w);
        if (quickCorr === null) sCor.progress(w);
      });
    }
    if (!out.complete) out.checkAll = (onChange) => checkAll(env, onChange);
  }

  out.ok = !S.failed();
  out.status = out.ok ? (out.corrections ? statusWords(out.corrections) : 'verified offline') : 'failed';
  out.record = out.corrections && out.corrections.effective !== undefined ?
    out.corrections.effective : entry ? entry.record : null;
  onChange && onChange(S.list);
  return out;
}

// "finance-office+27c20f30 (granted at #3 by registrar+…)".
function signedBy(s, d) {
  return 'signed by ' + s.submitterKey.name + '+' + hex(s.submitterKey.id) + ' (' + d.words + ')';
}

// Set the grant step from a replay that covers the entry (keys: OfficeKeys)
// and the violations found (keys.bad), with how the grants were read.
function showGrant(env, keys, how) {
  const { sGrant, s, index, out } = env;
  if (!s) {
    sGrant.fail('The record cannot be judged: ' + env.sProblem);
    return;
  }
  const d = keys.describe(s, index);
  out.grant = d;
  out.signedBy = signedBy(s, d);
  const other = keys.bad.filter((b) => b.index !== index);
  const own = keys.bad.filter((b) => b.index === index);
  const otherWords = other.length ? ' The log\'s grants break the rule elsewhere: ' + other.slice(0, 3)
    .map((b) => '#' + b.index + ': ' + b.why).join('; ') + (other.length > 3 ? '; …' : '') + '.' : '';
  if (!d.held || own.length)
    sGrant.fail('This record is ' + out.signedBy + (own.length ? ': ' + own.map((b) => b.why).join('; ') : '') +
      '. The log appended it for a key that held no grant for it.' + otherWords + ' ' + how);
  else if (other.length)
    sGrant.fail('This record is ' + out.signedBy + '.' + otherWords + ' ' + how);
  else
    sGrant.ok('This record is ' + out.signedBy + '. ' + how);
}

// The grants the quick way: the log's /office-keys list, each entry
// fetched, proven, its registrar signature checked, replayed in order.
// Returns true, or null when the server lists no office keys.
async function grantsQuick(env) {
  const { ctx, client, cur, sGrant } = env;
  if (ctx.registrarProblem) {
    sGrant.fail(ctx.registrarProblem);
    return true;
  }
  try {
    const list = await officeKeyList(client, cur.ckpt.size);
    if (list === null) return null;
    env.okeyList = list;
    const keys = new OfficeKeys(ctx.logKey, ctx.registrarKey);
    const got = await mapLimit(list, 4, (i) => provenEntry(client, cur.ckpt, i));
    for (const e of got) {
      if (e.entry.record.type !== 'office_key')
        throw new Error('the log\'s /office-keys names entry #' + e.index + ', which is not an office_key entry');
      const s = await prepare(e.entry);
      await checkRegistrarSignature(s, e.entry, env.origin);
      keys.judge(e.index, s, null);
    }
    env.quickKeys = keys;
    showGrant(env, keys, 'Read from the log\'s ' + list.length + ' office_key entries (the log\'s ' +
      '/office-keys list), each proven in the checkpoint and signed by the registrar ' +
      (keys.registrar() ? keyLabel(keys.registrar().key) : '(none)') + '. The list is the log\'s claim: ' +
      '"Check the whole log" proves that it left none out.');
  } catch (e) {
    sGrant.fail(why(e));
  }
  return true;
}

// The corrections the quick way: the log's corrections index, each listed
// entry fetched, proven and checked.  Returns true, or null when the
// server has no index.
async function correctionsQuick(env) {
  const { client, cur, index, entry, leaf, sCor } = env;
  try {
    const src = new IndexSource(client, cur.ckpt);
    const cands = await src.find(index, entry, leaf);
    if (cands === null) return null;
    env.corrList = src.listed;
    await showCorrections(env, cands, 'The log\'s corrections index lists ' + (cands.length === 0 ? 'no correction' :
      cands.length === 1 ? 'this correction' : 'these ' + cands.length + ' corrections') + ' of this entry' +
      (cands.length ? ', each fetched, proven in the checkpoint and checked' : '') + '. The list is the log\'s ' +
      'claim: "Check the whole log" proves that it left none out.');
  } catch (e) {
    sCor.fail(why(e));
  }
  return true;
}

// Set the corrections step and the status from proven candidates.
async function showCorrections(env, cands, how) {
  const { index, entry, leaf, origin, sCor, out } = env;
  const res = resolve(index, entry, leaf, cands);
  for (const c of res.applied) await checkOfficeSignature(c.entry, origin);
  out.corrections = res;
  const ign = res.ignored.length ? ' ' + res.ignored.length + ' correction(s) not applied: ' +
    res.ignored.map((c) => '#' + c.index + ' ' + c.why).join(', ') + '.' : '';
  if (res.status === 'current') {
    sCor.ok('None: the record is current. ' + how + ign);
  } else {
    const c = res.applied[res.applied.length - 1];
    sCor.warn((res.status === 'voided' ? 'Voided by #' : 'Amended by #') + res.by + ' on ' +
      new Date(c.entry.time).toISOString().slice(0, 10) + ' (' + c.entry.record.id + '): ' + res.reason + '.' +
      (res.applied.length > 1 ? ' (' + res.applied.length + ' corrections in all; the last one decides.)' : '') +
      ' ' + how + ign);
  }
}

// Read every entry of the log, proven from its tiles: the grants replayed
// over every entry (the late verdicts of a log made before office keys
// included), the corrections of this entry found in the entries, and the
// log's lists (when it serves them) compared with what the entries say.
async function wholeLog(env, progress) {
  const { ctx, client, cur, tv, index, entry, leaf, sGrant, sCor, out } = env;
  const { items, bad } = await readAll(tv, { progress });
  const { keys } = await judgeAll(items, { logKey: ctx.logKey, registrarKey: ctx.registrarKey,
    origin: env.origin });
  const n = cur.ckpt.size;
  const unread = bad.length ? ' ' + bad.length + ' entries could not be read (the first: #' + bad[0].index +
    ': ' + bad[0].why + ').' : '';
  // Grants: every entry judged, and the log's list compared.
  const seen = items.filter((it) => it && it.record.type === 'office_key').map((it) => it.index);
  const list = await compareOfficeKeyList(client, n, seen);
  if (list.state === 'fail') keys.bad.push(...list.problems);
  if (ctx.registrarProblem) sGrant.fail(ctx.registrarProblem);
  else showGrant(env, keys, 'Read from every one of the ' + n + ' entries of the log, each proven from its tiles, ' +
    'and judged in order. ' + (list.state === 'none' ? list.words : list.state === 'ok' ? list.words :
    'The log\'s /office-keys list is wrong: ' + list.words) + unread);
  // Corrections: found in the entries; the index, if any, compared.
  const cands = items.filter((it) => it && it.index > index && it.record.type === 'correction' &&
    Number(it.record.target_index) === index).map((it) => ({ index: it.index, entry: it.entry }));
  let how = 'Every one of the ' + (n - index - 1) + ' later entries was read and proven, so none is left out.';
  const problems = [];
  if (env.corrList === undefined) {
    const ci = await compareCorrectionsIndex(client, n, correctionsIn(items).filter((c) => c[0] === index));
    if (ci.state === 'none') how = ci.words + ' ' + how;
    else if (ci.state === 'fail') problems.push(...ci.problems);
  } else {
    const listed = new Set(env.corrList);
    for (const c of cands) if (!listed.has(c.index))
      problems.push({ index: c.index, why: 'the log\'s corrections index leaves out #' + c.index + ', a ' +
        c.entry.record.action + ' of this entry' });
  }
  try {
    await showCorrections(env, cands, how + unread);
    if (problems.length) sCor.fail(cap(problems.map((p) => p.why).join('; ')) + ': the log\'s list hid it. ' +
      sCor.detail);
  } catch (e) {
    sCor.fail(why(e));
  }
  out.complete = { entries: n, bad, grants: list, problems };
  return out.complete;
}

// "Check the whole log": prove that the log's lists left nothing out.
async function checkAll(env, onChange) {
  const { S, out, tv, cur } = env;
  const s = S.add('complete', 'Nothing was left out of the log\'s lists');
  try {
    const c = await wholeLog(env, (d, t) => s.progress('Reading the whole log: ' + d + ' of ' + t +
      ' entries proven…'));
    const wrong = c.problems.concat(c.grants.state === 'fail' ? c.grants.problems : []);
    if (wrong.length) s.fail('Every entry was read and proven, and the log\'s own lists do not say what the ' +
      'entries say: ' + wrong.slice(0, 5).map((p) => p.why).join('; ') + (wrong.length > 5 ? '; …' : '') + '.');
    else s.ok('Every one of the ' + cur.ckpt.size + ' entries was read and proven from the log\'s tiles (' +
      tv.hashes + ' SHA-256 hashes): the log\'s corrections index and office-key list left nothing out.');
  } catch (e) {
    s.fail(why(e));
  }
  delete out.checkAll;
  out.ok = !S.failed();
  out.status = out.ok ? (out.corrections ? statusWords(out.corrections) : 'verified offline') : 'failed';
  out.record = out.corrections && out.corrections.effective !== undefined ? out.corrections.effective :
    env.entry.record;
  if (onChange) onChange(S.list);
  return out;
}

// Entry i, fetched and proven in the verified checkpoint ckpt.
async function provenEntry(client, ckpt, i) {
  const bytes = await client.entry(i);
  const leaf = await leafHash(bytes);
  const p = await client.inclusion(i, ckpt.size);
  if (p.index !== i || p.size !== ckpt.size)
    throw new Error('the log answered another question (entry #' + p.index + ' in ' + p.size + ')');
  await verifyInclusion(leaf, i, ckpt.size, p.proof, ckpt.root);
  return { index: i, bytes, leaf, entry: decodeEntry(bytes) };
}

// fn over list, at most k at once, results in order.
async function mapLimit(list, k, fn) {
  const out = new Array(list.length);
  let next = 0;
  const w = async () => {
    while (next < list.length) {
      const i = next++;
      out[i] = await fn(list[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(k, list.length) }, w));
  return out;
}

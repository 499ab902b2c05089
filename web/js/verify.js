// verify.js: verify one record, step by step, in plain words.
//
// Input: a receipt file, an entry index (optionally with the leaf hash a
// link or QR code names), or an office and its reference (GET /lookup).
// Every step ends ok, warn (true but worth knowing), info, fail, or skip
// (could not be checked because an earlier step failed or the log could
// not be reached).  A failed step is never hidden, and the record is only
// called verified when no step failed.

import { b64, fromHex, hex } from './bytes.js';
import { ed25519Verify, leafHash } from './crypto.js';
import { ScanSource, resolve, statusWords } from './corrections.js';
import { HttpError, LogClient } from './log.js';
import { verifyConsistency, verifyInclusion } from './merkle.js';
import { ALG_ED25519, parseVkey } from './note.js';
import { checkRecord } from './record.js';
import { TileVerifier } from './tiles.js';
import { parseTlogProof } from './tproof.js';
import { entryMessage, openWithPolicy, submitterId } from './trust.js';
import { decodeEntry, decodeReceipt } from './wire.js';

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

function why(e) {
  return e && e.message ? e.message : String(e);
}

// Office signature over the record for this log's origin.
export async function checkOfficeSignature(entry, origin) {
  const key = await parseVkey(entry.submitter, ALG_ED25519);
  const ok = await ed25519Verify(key.pub, entry.sig, entryMessage(origin, entry.record, entry.recordBytes));
  if (!ok) throw new Error('the signature by ' + key.name + '+' + hex(key.id) +
    ' does not verify for the log "' + origin + '"');
  return key;
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
    return out;
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
      return out;
    }
  } else if (input.kind === 'index') {
    index = input.index;
    if (input.hash) linkHash = input.hash;
    const s = S.add('fetch', 'The log sends entry #' + index);
    try {
      entryBytes = await client.entry(index);
      s.ok('Fetched from ' + client.base + '.');
    } catch (e) {
      s.fail(why(e));
      return out;
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
        'The log has no record "' + input.id + '" from that office.' : why(e));
      return out;
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
    cur = await openWithPolicy(ctx, await client.checkpoint());
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
          const a = await client.consistency(m, n);
          if (a.old !== m || a.new !== n) throw new Error('the log answered another question (' +
            a.old + ' to ' + a.new + ')');
          proof = a.proof;
        }
        await verifyConsistency(m, n, mr, nr, proof);
        c.ok(rc.ckpt.size <= cur.ckpt.size ?
          'The log\'s tree of ' + cur.ckpt.size + ' entries extends the receipt\'s tree of ' + rc.ckpt.size + '.' :
          'The log served an older checkpoint than the receipt\'s; it is a prefix of it.');
      } catch (e) {
        c.fail(why(e));
      }
    }
  } else {
    const s = S.add('inclusion', 'Entry #' + index + ' is in the log\'s current checkpoint');
    if (!cur) s.skip('No checkpoint signed by the log.');
    else {
      try {
        const a = await client.inclusion(index, cur.ckpt.size);
        if (a.index !== index || a.size !== cur.ckpt.size)
          throw new Error('the log answered another question (entry #' + a.index + ' in ' + a.size + ')');
        await verifyInclusion(out.leaf, index, cur.ckpt.size, a.proof, cur.ckpt.root);
        s.ok('The ' + a.proof.length + ' hashes of the inclusion proof lead from this entry to the signed root.');
      } catch (e) {
        s.fail(why(e));
      }
    }
  }

  // 5. The office.
  const origin = (cur || rc) ? (cur || rc).ckpt.origin : ctx.logKey.name;
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
  S.add('grant', 'The office\'s key was authorised to sign').info(
    'This log does not publish office-key grants yet, so the page cannot show who authorised ' +
    (out.office ? out.office.name + '+' + hex(out.office.id) : 'this key') +
    '. Compare the key with the one the office publishes.');

  // 6. Corrections.
  const sCor = S.add('corrections', 'Corrections of this entry');
  if (!entry) sCor.skip('The entry could not be read.');
  else if (!cur) sCor.skip('Needs the log\'s current checkpoint: not checked.');
  else {
    try {
      const tv = new TileVerifier(client, cur.ckpt);
      const src = new ScanSource(tv);
      const cands = await src.find(index, (d, t) => sCor.progress('Reading later entries: ' + d + ' of ' +
        t + ' bundles proven…'));
      const res = resolve(index, entry, out.leaf, cands);
      for (const c of res.applied) await checkOfficeSignature(c.entry, origin);
      out.corrections = res;
      const later = cur.ckpt.size - index - 1;
      const ign = res.ignored.length ? ' ' + res.ignored.length + ' correction(s) not applied: ' +
        res.ignored.map((c) => '#' + c.index + ' ' + c.why).join(', ') + '.' : '';
      if (res.status === 'current')
        sCor.ok('None: the record is current. Checked all ' + later + ' later entries (' + src.name + ').' + ign);
      else {
        const c = res.applied[res.applied.length - 1];
        sCor.warn((res.status === 'voided' ? 'Voided by #' : 'Amended by #') + res.by + ' on ' +
          new Date(c.entry.time).toISOString().slice(0, 10) + ': ' + res.reason + '.' + ign);
      }
    } catch (e) {
      sCor.fail(why(e));
    }
  }

  out.ok = !S.failed();
  out.status = out.ok ? (out.corrections ? statusWords(out.corrections) : 'verified offline') : 'failed';
  out.record = out.corrections && out.corrections.effective !== undefined ?
    out.corrections.effective : entry ? entry.record : null;
  onChange && onChange(S.list);
  return out;
}

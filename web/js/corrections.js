// corrections.js: which later entries correct an entry, and what the
// record means once they are applied.
//
// A correction is a record of type "correction" with target_index and
// target_leaf_hash (docs/PROTOCOL.md 6.5).  It applies when it is signed by
// the same office as its target and names the target's exact leaf hash;
// the last applicable one in log order decides: "void" -> voided by #N,
// "amend" -> amended by #N, whose replacement is the effective record
// (client/cstatus.c applies the same rule).
//
// Two ways to find them:
//   - IndexSource: the log's corrections index (GET /corrections/<I>,
//     docs/API.md), each listed entry fetched and proven in the verified
//     checkpoint and checked by the rule (applies()); a listed entry that
//     is not a correction of this one is the log's fault.  Cheap, but the
//     list is the log's claim: it cannot show that none was left out.
//   - every entry after the target, each proven from the tiles against the
//     verified checkpoint, so no correction can be hidden (logread.js
//     readAll, then resolve()): one pass over the log.  The only way on a
//     static copy of a log (no index: GET /corrections/<I> is 404), and the
//     way to prove the index complete (verify.js "Check the whole log").

import { equal, hex } from './bytes.js';
import { leafHash } from './crypto.js';
import { HttpError } from './log.js';
import { verifyInclusion } from './merkle.js';
import { decodeEntry } from './wire.js';

export const MAX_CORRECTIONS = 1024;	// CST_MAX_CORRECTIONS

// The one rule (cst_applies): null when corr (decoded, at corrIndex)
// corrects the entry at targetIndex (decoded target, leaf hash
// targetLeaf), else the reason.
export function applies(targetIndex, target, targetLeaf, corrIndex, corr) {
  const r = corr.record;
  if (r.type !== 'correction') return 'entry ' + corrIndex + ' is a ' + r.type + ', not a correction';
  if (Number(r.target_index) !== targetIndex)
    return 'entry ' + corrIndex + ' corrects entry ' + r.target_index + ', not ' + targetIndex;
  if (corrIndex <= targetIndex) return 'entry ' + corrIndex + ' comes before its target ' + targetIndex;
  if (!equal(r.target_leaf_hash, targetLeaf))
    return 'entry ' + corrIndex + ' names another leaf hash than entry ' + targetIndex + '\'s';
  if (corr.submitter !== target.submitter)
    return 'entry ' + corrIndex + ' is signed by another office than entry ' + targetIndex;
  return null;
}

// What a set of candidate corrections means for target (decoded entry).
// candidates: [{ index, entry (decoded) }] in any order; those the rule
// refuses are listed in ignored with the reason.
export function resolve(targetIndex, target, targetLeaf, candidates) {
  const applied = [];
  const ignored = [];
  for (const c of candidates.slice().sort((a, b) => a.index - b.index)) {
    const r = c.entry.record;
    if (r.type !== 'correction' || Number(r.target_index) !== targetIndex) continue;
    const why = applies(targetIndex, target, targetLeaf, c.index, c.entry);
    if (why) ignored.push({ ...c, why });
    else applied.push(c);
  }
  const last = applied[applied.length - 1];
  if (!last) return { status: 'current', effective: target.record, applied, ignored };
  const r = last.entry.record;
  if (r.action === 'void')
    return { status: 'voided', by: last.index, reason: r.reason, effective: null, applied, ignored };
  return { status: 'amended', by: last.index, reason: r.reason, effective: r.replacement, applied, ignored };
}

export function statusWords(res) {
  if (res.status === 'voided') return 'voided by #' + res.by;
  if (res.status === 'amended') return 'amended by #' + res.by;
  return 'current';
}

// The log's corrections index for entry targetIndex, each listed entry
// fetched, proven in the verified checkpoint ckpt and checked by the rule.
export class IndexSource {
  constructor(client, ckpt) {
    this.client = client;
    this.ckpt = ckpt;
    this.kind = 'index';
    this.name = 'the log\'s corrections index (GET /corrections/N), each listed entry fetched and proven';
  }

  // The indexes the log lists (below the checkpoint's size), all pages.
  // null when the server has no index (404: a static copy of the log).
  async list(targetIndex) {
    const out = [];
    let from = 0;
    for (;;) {
      let a;
      try {
        a = await this.client.corrections(targetIndex, from);
      } catch (e) {
        if (e instanceof HttpError && e.status === 404 && targetIndex < this.ckpt.size) return null;
        throw e;
      }
      if (a.index !== targetIndex)
        throw new Error('the log answered with the corrections of entry ' + a.index + ', not ' + targetIndex);
      for (const i of a.corrections) {
        if (i < from || (out.length && i <= out[out.length - 1]))
          throw new Error('the log\'s corrections list is out of order (#' + i + ')');
        if (i < this.ckpt.size) out.push(i);
      }
      if (out.length > MAX_CORRECTIONS)
        throw new Error('the log lists more than ' + MAX_CORRECTIONS + ' corrections of entry ' + targetIndex);
      if (!a.more) return out;
      if (a.corrections.length === 0) throw new Error('the log\'s corrections list pages without end');
      from = a.corrections[a.corrections.length - 1] + 1;
    }
  }

  // [{ index, entry }], every one a proven correction of the target; null
  // when the server has no index.  Throws when the log lists an entry that
  // is not a correction of this one.
  async find(targetIndex, target, targetLeaf) {
    const idx = await this.list(targetIndex);
    if (idx === null) return null;
    this.listed = idx;
    const out = [];
    for (const i of idx) {
      const bytes = await this.client.entry(i);
      const leaf = await leafHash(bytes);
      const p = await this.client.inclusion(i, this.ckpt.size);
      if (p.index !== i || p.size !== this.ckpt.size)
        throw new Error('the log answered another question (entry #' + p.index + ' in ' + p.size + ')');
      try {
        await verifyInclusion(leaf, i, this.ckpt.size, p.proof, this.ckpt.root);
      } catch (e) {
        throw new Error('the log lists entry ' + i + ' as a correction, but it is not in the signed tree: ' + e.message);
      }
      const entry = decodeEntry(bytes);
      const why = applies(targetIndex, target, targetLeaf, i, entry);
      if (why) throw new Error('the log lists entry ' + i + ' as a correction of entry ' + targetIndex +
        ', but it is not: ' + why);
      out.push({ index: i, entry, leaf: hex(leaf) });
    }
    return out;
  }
}

// corrections.js: which later entries correct an entry, and what the
// record means once they are applied.
//
// A correction is a record of type "correction" with target_index and
// target_leaf_hash (docs/PROTOCOL.md 6.5).  It applies when it is signed by
// the same office as its target and names the target's exact leaf hash;
// the last applicable one in log order decides: "void" -> voided by #N,
// "amend" -> amended by #N, whose replacement is the effective record.
//
// Finding them is a pluggable source:
//   - ScanSource (today): reads every entry bundle after the target,
//     each proven from tiles against the verified checkpoint, so no
//     correction can be hidden; costs one pass over the rest of the log.
//   - An index source (once the daemon lists the corrections of an entry,
//     docs/WEB.md): give the page a function that returns candidate
//     indexes; each is fetched and proven like any entry.  A daemon's list
//     is a claim, not a proof of completeness, so the page says which
//     source it used.

import { equal } from './bytes.js';
import { decodeEntry } from './wire.js';

// What a set of candidate corrections means for target (decoded entry).
// candidates: [{ index, entry (decoded) }] in any order.
export function resolve(targetIndex, target, targetLeaf, candidates) {
  const applied = [];
  const ignored = [];
  for (const c of candidates.slice().sort((a, b) => a.index - b.index)) {
    const r = c.entry.record;
    if (r.type !== 'correction' || Number(r.target_index) !== targetIndex) continue;
    if (c.index <= targetIndex) {
      ignored.push({ ...c, why: 'comes before its target' });
    } else if (!equal(r.target_leaf_hash, targetLeaf)) {
      ignored.push({ ...c, why: 'names another leaf hash' });
    } else if (c.entry.submitter !== target.submitter) {
      ignored.push({ ...c, why: 'signed by another office' });
    } else {
      applied.push(c);
    }
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

// Scan every entry after targetIndex, proven by tv (TileVerifier), for
// corrections of it.  progress(done, total) is called after each bundle.
export class ScanSource {
  constructor(tv) {
    this.tv = tv;
    this.name = 'a scan of every later entry, each proven from the log\'s tiles';
  }

  async find(targetIndex, progress) {
    const first = Math.floor(targetIndex / 256);
    const last = this.tv.bundles();
    const out = [];
    let done = 0;
    const total = last - first;
    const queue = [];
    for (let n = first; n < last; n++) queue.push(n);
    const worker = async () => {
      while (queue.length) {
        const n = queue.shift();
        for (const e of await this.tv.entries(n)) {
          if (e.index <= targetIndex) continue;
          let d;
          try {
            d = decodeEntry(e.bytes);
          } catch (err) {
            continue;	// not ours to judge here; the audit names it
          }
          if (d.record.type === 'correction' && Number(d.record.target_index) === targetIndex)
            out.push({ index: e.index, entry: d });
        }
        done++;
        if (progress) progress(done, total);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return out;
  }
}

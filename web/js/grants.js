// grants.js: who may append what, from the log's own office_key entries
// (docs/PROTOCOL.md 6.6).  A faithful port of proto/grants.c (grants_apply,
// the one rule the log and every reader replay in index order) and of the
// client's way of describing a signer's standing (client/okeys.c
// verdict()).  The rule's reasons are worded exactly as the C code words
// them: tests/browser/grants.test.mjs runs vectors that
// tests/tools/grants_vectors (the C rule) generates and compares every
// answer, reason included.
//
// The rule, in short.  Replay the office_key entries in index order.  The
// registrar is the pinned key (config.json, or the log's /registrar.vkey)
// or else the signer of the first office_key entry; every office_key entry
// must be signed by it.  A grant at g covers the entries after g; a revoke
// at r ends it for the entries after r; a revoked key is never granted
// again; two keys in force never share a public key or a key name; the
// registrar's and the log's keys are never an office's.  Any other entry at
// i is allowed when its signer was granted before i, not revoked before i,
// valid_from is not after the entry's time, and record_may_append allows
// its type (a correction's replacement's type and target office too).  A
// log made before office keys (a legacy prefix) is judged by the grants of
// its first run of office_key entries (its migration), when that run ends.
//
// Signatures are not checked here (the caller checks them); entries are
// prepared once (prepare(): async, it parses the verifier keys with
// WebCrypto), then the rule is synchronous.

import { equal, hex } from './bytes.js';
import { decodeCanonical } from './wire.js';
import { ALG_ED25519, parseVkey } from './note.js';

export const NEVER = Number.MAX_SAFE_INTEGER;
export const MAX_OFFICE_KEYS = 10000;	// PT_MAX_OFFICE_KEYS

// enum record_type (proto/record.h): the type masks are 1 << type.
export const TYPE = { payment: 1, permit_decision: 2, correction: 3, office_key: 4 };
const TYPE_NAME = { 1: 'payment', 2: 'permit_decision', 3: 'correction', 4: 'office_key' };
export const TYPES_ALL = (1 << 1) | (1 << 2) | (1 << 3);
const NTYPES = 4;

// The rule's refusals, named as proto/pt.h names them.
export const E = {
  UNKNOWNSIGNER: 'PT_EUNKNOWNSIGNER',
  FORBIDDEN: 'PT_EFORBIDDEN',
  CONFLICT: 'PT_ECONFLICT',
  SCHEMA: 'PT_ESCHEMA',
  RANGE: 'PT_ERANGE',
  TOOBIG: 'PT_ETOOBIG',
  INVAL: 'PT_EINVAL',
};

export class GrantError extends Error {
  constructor(code, msg) {
    super(msg);
    this.name = 'GrantError';
    this.code = code;
  }
}

const refuse = (code, msg) => new GrantError(code, msg);
const label = (k) => k.name + '+' + hex(k.id);

// "2026-03-01" for ms since the epoch (day_str).
export function dayString(ms) {
  return new Date(Math.floor(ms / 86400000) * 86400000).toISOString().slice(0, 10);
}

// 00:00 UTC of YYYY-MM-DD in ms, 0 before 1970 (record.c date_ms); null
// when it is not a calendar date (date_valid).
export function dateMs(s) {
  const m = typeof s === 'string' && /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return null;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (y === 0 || mo < 1 || mo > 12) return null;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d < 1 || d > dim) return null;
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  return Math.max(0, t.getTime());
}

// "correction,payment" for a mask (grants_types_str: byte order).
export function typesString(mask) {
  return [3, 4, 1, 2].filter((t) => mask & (1 << t)).map((t) => TYPE_NAME[t]).join(',');
}

// A decoded entry (wire.js decodeEntry) as the rule reads it (struct
// wire_submission's record_info).  Throws an Error for a record the log
// should never have appended (record_check would refuse it).
export async function prepare(entry) {
  const r = entry.record;
  const type = TYPE[r.type];
  if (!type) throw new Error('unknown record type ' + r.type);
  const s = {
    submitter: entry.submitter,
    submitterKey: await parseVkey(entry.submitter, ALG_ED25519),
    type,
    time: entry.time,
  };
  if (type === TYPE.correction) {
    s.targetIndex = Number(r.target_index);
    s.replacementType = r.action === 'amend' && r.replacement ? TYPE[r.replacement.type] || 0 : 0;
  } else if (type === TYPE.office_key) {
    if (r.action !== 'grant' && r.action !== 'revoke') throw new Error('office_key: unknown action');
    s.revoke = r.action === 'revoke';
    s.okeyVkey = r.key;
    try {
      s.okeyKey = await parseVkey(r.key, ALG_ED25519);
    } catch (e) {
      s.okeyKey = null;		// refused by the rule: "key: not a verifier key"
    }
    s.okeyName = r.name;
    // The organisation's exact bytes: a revoke must repeat its grant's.
    const { spans } = decodeCanonical(entry.recordBytes);
    if (!spans.organization) throw new Error('office_key: no organization');
    s.okeyOrg = entry.recordBytes.subarray(spans.organization[0], spans.organization[1]);
    s.okeyTypes = 0;
    if (!s.revoke) {
      if (!Array.isArray(r.types) || r.types.length === 0) throw new Error('office_key: types missing');
      let prev = null;
      for (const t of r.types) {
        if (TYPE[t] === undefined || TYPE[t] === TYPE.office_key)
          throw new Error('office_key: types: want "correction", "payment" or "permit_decision"');
        if (prev !== null && !(prev < t)) throw new Error('office_key: types must be listed once each, in byte order');
        prev = t;
        s.okeyTypes |= 1 << TYPE[t];
      }
    } else if (r.types !== undefined || r.valid_from !== undefined) {
      throw new Error('office_key: a revoke has no types or valid_from');
    }
    s.okeyValidFrom = 0;
    if (r.valid_from !== undefined) {
      const ms = dateMs(r.valid_from);
      if (ms === null) throw new Error('office_key: valid_from: want a calendar date YYYY-MM-DD');
      s.okeyValidFrom = ms;
    }
  }
  return s;
}

// record_may_append (proto/record.c): the office rule for a record.
export function recordMayAppend(s, types, target) {
  if (!(types & (1 << s.type)))
    return refuse(E.FORBIDDEN, 'this office may not append records of type ' + TYPE_NAME[s.type]);
  if (s.type !== TYPE.correction) return null;
  if (s.replacementType && !(types & (1 << s.replacementType)))
    return refuse(E.FORBIDDEN, 'this office may not append records of type ' +
      TYPE_NAME[s.replacementType] + ' (the replacement in a correction)');
  if (target !== null && target !== undefined && target !== s.submitter)
    return refuse(E.FORBIDDEN, 'correction: entry ' + s.targetIndex + ' was submitted by another ' +
      'office; only the office that logged an entry may correct it');
  return null;
}

export class Grants {
  // mode: 'append' (the log: an entry always needs a grant) or 'history'
  // (a reader from index 0: a legacy prefix is judged by the migration).
  constructor(mode) {
    if (mode !== 'append' && mode !== 'history') throw new Error('grants: bad mode');
    this.mode = mode;
    this.keys = [];		// in grant order
    this.slot = new Map();	// verifier key string -> index in keys
    this.registrar = null;	// { text, key }
    this.logKey = null;
    this.firstOkey = NEVER;
    this.lastIndex = 0;
    this.applied = false;
    this.legacy = [];
    this.legacySlot = new Map();
    this.runEnded = false;
    this.lateNext = 0;
  }

  // Pin the registrar (a parsed Ed25519 key).  Throws a GrantError.
  pinRegistrar(key) {
    if (!key || key.alg !== ALG_ED25519)
      throw refuse(E.INVAL, 'the registrar\'s key must be an Ed25519 verifier key string');
    if (this.registrar !== null) {
      if (this.registrar.text === key.text) return;
      throw refuse(E.CONFLICT, 'this log\'s office_key entries are signed by ' +
        label(this.registrar.key) + ', not by the registrar ' + label(key));
    }
    this.registrar = { text: key.text, key };
  }

  setLogKey(key) {
    if (!key || key.alg !== ALG_ED25519) throw refuse(E.INVAL, 'not an Ed25519 key');
    this.logKey = key;
  }

  find(vkey) {
    const i = this.slot.get(vkey);
    return i === undefined ? null : this.keys[i];
  }

  _checkOfficeKey(s) {
    if (this.registrar !== null && s.submitter !== this.registrar.text)
      return { err: refuse(E.UNKNOWNSIGNER, 'office_key entries are signed by this log\'s registrar ' +
        label(this.registrar.key) + ', not by ' + label(s.submitterKey)) };
    const k = s.okeyKey;
    if (!k) return { err: refuse(E.SCHEMA, 'key: not a verifier key') };
    if (equal(k.pub, s.submitterKey.pub) || (this.registrar !== null && equal(k.pub, this.registrar.key.pub)))
      return { err: refuse(E.FORBIDDEN, 'the registrar\'s own key is never an office\'s key') };
    if (this.logKey !== null && equal(k.pub, this.logKey.pub))
      return { err: refuse(E.FORBIDDEN, 'the log\'s checkpoint key is never an office\'s key') };
    const i = this.slot.get(s.okeyVkey);
    if (s.revoke) {
      if (i === undefined)
        return { err: refuse(E.FORBIDDEN, 'revoke: ' + label(k) + ' was never granted in this log') };
      const gk = this.keys[i];
      if (gk.revokedAt !== NEVER)
        return { err: refuse(E.FORBIDDEN, 'revoke: ' + label(k) + ' was already revoked at #' + gk.revokedAt) };
      if (s.okeyName !== gk.name || !equal(s.okeyOrg, gk.org))
        return { err: refuse(E.SCHEMA, 'revoke: name and organization must be those of the grant at #' +
          gk.grantedAt) };
      return { slot: i };
    }
    if (i !== undefined) {
      const gk = this.keys[i];
      if (gk.revokedAt !== NEVER)
        return { err: refuse(E.FORBIDDEN, 'grant: ' + label(k) + ' was revoked at #' + gk.revokedAt +
          ', and a revoked key is never granted again (make a new key)') };
      return { err: refuse(E.CONFLICT, 'grant: ' + label(k) + ' is already granted (at #' + gk.grantedAt + ')') };
    }
    for (const gk of this.keys) {
      if (equal(gk.key.pub, k.pub)) {
        if (gk.revokedAt !== NEVER)
          return { err: refuse(E.FORBIDDEN, 'grant: this public key was revoked at #' + gk.revokedAt +
            ' (as ' + label(gk.key) + '), and a revoked key is never granted again') };
        return { err: refuse(E.CONFLICT, 'grant: this public key is already granted as ' + label(gk.key) +
          ' (at #' + gk.grantedAt + ')') };
      }
      if (gk.revokedAt === NEVER && gk.key.name === k.name)
        return { err: refuse(E.CONFLICT, 'grant: the key name ' + k.name + ' is already granted to ' +
          label(gk.key) + ' (at #' + gk.grantedAt + '); give the new key a name of its own') };
    }
    if (this.keys.length >= MAX_OFFICE_KEYS)
      return { err: refuse(E.FORBIDDEN, 'grant: this log has granted ' + MAX_OFFICE_KEYS +
        ' keys, the most it may') };
    return { slot: -1 };
  }

  _checkOfficeRecord(time, s, target) {
    const i = this.slot.get(s.submitter);
    if (i === undefined) {
      if (this.registrar !== null && s.submitter === this.registrar.text)
        return refuse(E.FORBIDDEN, 'the registrar\'s key signs office_key entries only');
      if (this.firstOkey === NEVER)
        return refuse(E.UNKNOWNSIGNER, 'unknown submitter: this log has granted no office keys yet');
      return refuse(E.UNKNOWNSIGNER, 'unknown submitter: this log has no grant for ' + label(s.submitterKey));
    }
    const gk = this.keys[i];
    if (gk.revokedAt !== NEVER)
      return refuse(E.FORBIDDEN, 'the key ' + label(gk.key) + ' was revoked at #' + gk.revokedAt);
    if (time < gk.validFrom)
      return refuse(E.FORBIDDEN, 'the grant of ' + label(gk.key) + ' (at #' + gk.grantedAt +
        ') is valid from ' + dayString(gk.validFrom));
    return recordMayAppend(s, gk.types, target);
  }

  // May s be appended at index with time (ms), given the entries applied
  // so far?  target: for a correction, the submitter string of the entry
  // it corrects (null: unknown).  Returns null or a GrantError.
  check(index, time, s, target = null) {
    if (s.type === TYPE.office_key) return this._checkOfficeKey(s).err || null;
    if (this.mode === 'history' && this.firstOkey === NEVER) return null;
    return this._checkOfficeRecord(time, s, target);
  }

  // As check, and record an office_key entry that passes.  Indexes must
  // increase.  A refused entry changes nothing.  Returns null or a
  // GrantError.
  apply(index, time, s, target = null) {
    if (this.applied && index <= this.lastIndex)
      return refuse(E.RANGE, 'entry ' + index + ' applied after entry ' + this.lastIndex);
    if (s.type === TYPE.office_key) {
      const r = this._checkOfficeKey(s);
      if (r.err) return r.err;
      if (r.slot >= 0) {
        this.keys[r.slot].revokedAt = index;
        this.keys[r.slot].revokedTime = time;
      } else {
        this.keys.push({
          vkey: s.okeyVkey, key: s.okeyKey, name: s.okeyName, org: s.okeyOrg.slice(),
          types: s.okeyTypes, validFrom: s.okeyValidFrom, grantedAt: index, grantedTime: time,
          revokedAt: NEVER, revokedTime: 0,
        });
        this.slot.set(s.okeyVkey, this.keys.length - 1);
      }
      if (this.registrar === null) this.registrar = { text: s.submitter, key: s.submitterKey };
      if (this.firstOkey === NEVER) this.firstOkey = index;
    } else if (this.mode === 'history' && this.firstOkey === NEVER) {
      const err = this._addLegacy(index, s, target);
      if (err) return err;
    } else {
      if (this.mode === 'history' && !this.runEnded) this.end();
      const err = this._checkOfficeRecord(time, s, target);
      if (err) return err;
    }
    this.applied = true;
    this.lastIndex = index;
    return null;
  }

  _addLegacy(index, s, target) {
    if (s.type === TYPE.correction) {
      const err = recordMayAppend(s, TYPES_ALL, target);
      if (err) return err;
    }
    let l = this.legacy[this.legacySlot.get(s.submitter)];
    if (l === undefined) {
      if (this.legacy.length >= MAX_OFFICE_KEYS)
        return refuse(E.TOOBIG, 'more than ' + MAX_OFFICE_KEYS +
          ' signers before the log\'s first office_key entry');
      l = { vkey: s.submitter, key: s.submitterKey, need: 0, first: {} };
      this.legacySlot.set(s.submitter, this.legacy.length);
      this.legacy.push(l);
    }
    let need = 1 << s.type;
    if (s.type === TYPE.correction && s.replacementType) need |= 1 << s.replacementType;
    for (let t = 1; t <= NTYPES; t++)
      if ((need & (1 << t)) && !(l.need & (1 << t))) l.first[t] = index;
    l.need |= need;
    return null;
  }

  // The replay reached the end of the log (grants_end).
  end() {
    if (this.mode === 'history' && this.firstOkey !== NEVER) this.runEnded = true;
    else if (this.mode === 'history' && this.legacy.length > 0) this.runEnded = true;
  }

  // The next refused legacy entry: { index, code, why }, or null.
  nextLate() {
    if (this.mode !== 'history' || !this.runEnded) return null;
    for (; this.lateNext < this.legacy.length; this.lateNext++) {
      const l = this.legacy[this.lateNext];
      const gk = this.find(l.vkey);
      const miss = gk === null ? l.need : l.need & ~gk.types;
      if (miss === 0) continue;
      let first = NEVER;
      for (let t = 1; t <= NTYPES; t++)
        if ((miss & (1 << t)) && l.first[t] < first) first = l.first[t];
      let code, why;
      if (gk === null && this.firstOkey === NEVER) {
        code = E.UNKNOWNSIGNER;
        why = 'signed by ' + label(l.key) + ', and this log has granted no office keys: who may ' +
          'append is not public';
      } else if (gk === null) {
        code = E.UNKNOWNSIGNER;
        why = 'signed by ' + label(l.key) + ' before the log\'s first office_key entry (#' +
          this.firstOkey + '), and its migration grants no such key';
      } else {
        code = E.FORBIDDEN;
        why = 'signed by ' + label(l.key) + ' before the log\'s first office_key entry (#' +
          this.firstOkey + '), whose grant (#' + gk.grantedAt + ') does not allow ' + typesString(miss);
      }
      this.lateNext++;
      return { index: first, code, why };
    }
    return null;
  }
}

// A reader's replay of a log's grants (client/okeys.c struct okc): every
// entry judged in index order (or only the office_key entries, the quick
// way), the violations kept, the log's migration tracked, and a signer's
// standing described for people.
export class OfficeKeys {
  constructor(logKey, registrarKey) {
    this.g = new Grants('history');
    if (logKey) this.g.setLogKey(logKey);
    if (registrarKey) this.g.pinRegistrar(registrarKey);
    this.seen = [];		// indexes of the office_key entries
    this.bad = [];		// { index, code, why }
    this.migEnd = 0;
    this.runOpen = false;
    this.finished = false;
  }

  // Judge one entry (s from prepare); target: a correction's target's
  // submitter (null when not known).  A refusal is a violation, not an end.
  judge(index, s, target = null) {
    if (s.type === TYPE.office_key) {
      if (this.seen.length === 0) {
        this.migEnd = index + 1;
        this.runOpen = true;
      } else if (this.runOpen && index === this.migEnd) {
        this.migEnd++;
      } else {
        this.runOpen = false;
      }
      this.seen.push(index);
    } else if (this.seen.length > 0) {
      this.runOpen = false;
    }
    const err = this.g.apply(index, s.time, s, target);
    if (err) this.bad.push({ index, code: err.code, why: err.message });
    this._late();
    return err;
  }

  _late() {
    for (let l = this.g.nextLate(); l !== null; l = this.g.nextLate()) this.bad.push(l);
  }

  // The replay reached the end of the log: the late verdicts.
  finish() {
    this.g.end();
    this._late();
    return this.bad;
  }

  registrar() {
    return this.g.registrar;
  }

  // How the signer of s (at index) stood with the grants (the replay must
  // cover index): { held, words, grant } (okeys.c verdict()).
  describe(s, index) {
    const gk = this.g.find(s.submitter);
    const reg = this.g.registrar;
    const rl = reg ? label(reg.key) : '';
    const first = this.g.firstOkey;
    const legacy = first !== NEVER && index < first;
    const out = (held, words) => ({ held, words, grant: gk, registrar: reg });
    if (reg !== null && reg.text === s.submitter) {
      const okey = s.type === TYPE.office_key;
      return out(okey, 'the log\'s registrar' + (okey ? '' : ', which may append office_key entries only'));
    }
    if (s.type === TYPE.office_key)
      return out(false, 'NOT the log\'s registrar' + (reg ? ' ' : '') + rl + ': an office_key entry by another key');
    if (gk === null || (!legacy && gk.grantedAt >= index) || (legacy && gk.grantedAt >= this.migEnd))
      return out(false, 'NO GRANT in this log' + (gk !== null ? ' before this entry' : ''));
    if (gk.revokedAt < index)
      return out(false, 'granted at #' + gk.grantedAt + ', REVOKED at #' + gk.revokedAt + ', before this entry');
    if (!legacy && s.time < gk.validFrom)
      return out(false, 'granted at #' + gk.grantedAt + ' by ' + rl + ', but only valid from a later day');
    const err = recordMayAppend(s, gk.types, null);
    if (err) return out(false, 'granted at #' + gk.grantedAt + ' by ' + rl + ', but NOT for this record: ' + err.message);
    let w = 'granted at #' + gk.grantedAt + ' by ' + rl +
      (legacy ? ', in the log\'s migration (this entry predates office keys)' : '');
    if (gk.revokedAt !== NEVER) w += ', revoked at #' + gk.revokedAt;
    return out(true, w);
  }
}

export { label as keyLabel };

// policy.js: C2SP tlog-policy (which witnesses must cosign), parsed as
// strictly as proto/policy.c, and the quorum rule.
//
//   log <vkey> [<url>]
//   witness <name> <vkey> [<url>]
//   group <name> all|any|<k> <name>...
//   quorum <name>|none

import { FormatError, parseDecimal } from './bytes.js';
import { haveMLDSA44 } from './crypto.js';
import { ALG_COSIG_V1, ALG_ED25519, ALG_MLDSA44_COSIG, COSIG_SKEW_S,
  checkCosignature, parseCheckpoint, parseVkey } from './note.js';

const POLICY_MAX = 65536;
const MAX = 32;

export async function parsePolicy(text) {
  if (text.length > POLICY_MAX) throw new FormatError('policy file too big');
  if (/[^\t\n\u0020-\u007e\u0080-\uffff]/.test(text))
    throw new FormatError('policy: character not allowed');
  if (text !== '' && !text.endsWith('\n'))
    throw new FormatError('policy: last line does not end in a newline');
  const pol = { logs: [], witnesses: [], groups: [], quorum: undefined };
  const names = new Map();	// name -> { kind, ref }
  const pubs = new Set();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = 'policy line ' + (i + 1) + ': ';
    const items = lines[i].trim().split(/[ \t]+/).filter((x) => x !== '');
    if (items.length === 0 || items[0].startsWith('#')) continue;
    const [kw, ...args] = items;
    const fresh = (n) => {
      if (n === 'none') throw new FormatError(where + '"none" is reserved');
      if (names.has(n)) throw new FormatError(where + 'name "' + n + '" defined twice');
    };
    const newKey = async (t, alg) => {
      let k;
      try {
        k = await parseVkey(t, alg);
      } catch (e) {
        throw new FormatError(where + e.message);
      }
      const p = Array.from(k.pub).join(',');
      if (pubs.has(p)) throw new FormatError(where + 'duplicate key');
      pubs.add(p);
      return k;
    };
    if (kw === 'log' && (args.length === 1 || args.length === 2)) {
      if (pol.logs.length >= MAX) throw new FormatError(where + 'too many logs');
      pol.logs.push({ key: await newKey(args[0], ALG_ED25519), url: args[1] || '' });
    } else if (kw === 'witness' && (args.length === 2 || args.length === 3)) {
      if (pol.witnesses.length >= MAX) throw new FormatError(where + 'too many witnesses');
      fresh(args[0]);
      const w = { name: args[0], key: await newKey(args[1], [ALG_COSIG_V1, ALG_MLDSA44_COSIG]),
        url: args[2] || '' };
      names.set(args[0], { kind: 'witness', ref: w });
      pol.witnesses.push(w);
    } else if (kw === 'group' && args.length >= 3) {
      if (pol.groups.length >= MAX) throw new FormatError(where + 'too many groups');
      const [name, kText, ...members] = args;
      fresh(name);
      const seen = new Set();
      const refs = members.map((m) => {
        if (!names.has(m)) throw new FormatError(where + '"' + m + '" is not defined above');
        if (seen.has(m)) throw new FormatError(where + '"' + m + '" listed twice');
        seen.add(m);
        return names.get(m);
      });
      let k;
      if (kText === 'all') k = refs.length;
      else if (kText === 'any') k = 1;
      else k = parseDecimal(kText, refs.length);
      if (k < 1) throw new FormatError(where + 'threshold out of range');
      const g = { name, k, members: refs };
      names.set(name, { kind: 'group', ref: g });
      pol.groups.push(g);
    } else if (kw === 'quorum' && args.length === 1) {
      if (pol.quorum !== undefined) throw new FormatError(where + 'a second quorum line');
      if (args[0] === 'none') pol.quorum = null;
      else if (!names.has(args[0]))
        throw new FormatError(where + '"' + args[0] + '" is not defined above');
      else pol.quorum = names.get(args[0]);
    } else {
      throw new FormatError(where + 'not a log, witness, group or quorum line');
    }
  }
  if (pol.quorum === undefined) throw new FormatError('policy has no quorum line');
  return pol;
}

function met(node, ok) {
  if (node.kind === 'witness') return ok.has(node.ref);
  let n = 0;
  for (const m of node.ref.members) if (met(m, ok)) n++;
  return n >= node.ref.k;
}

// Describe the quorum in words ("both of w1, w2").
export function describeQuorum(pol) {
  const d = (node) => {
    if (node.kind === 'witness') return node.ref.name;
    const g = node.ref;
    const inner = g.members.map(d).join(', ');
    if (g.k === g.members.length) return (g.k === 2 ? 'both of ' : 'all of ') + inner;
    return g.k + ' of ' + inner;
  };
  return pol.quorum === null ? 'no witness required' : d(pol.quorum);
}

// Check a parsed note under the policy: every cosignature by a policy
// witness must verify (one that does not fails the whole check, as
// pol_check_checkpoint does); cosignatures dated more than COSIG_SKEW_S
// after nowS do not count; the rest must meet the quorum.  An ML-DSA-44
// witness's cosignature (type 0x06) is verified where this browser's
// WebCrypto has ML-DSA-44 (Chromium does) and then counts like any other;
// elsewhere it is named and not counted (as the C client, whose OpenSSL
// has no ML-DSA: pol_cosigs), so a quorum that needs it is not met.
// Returns { ok, witnesses: [{ name, state: 'cosigned'|'cosigned
// (ML-DSA-44)'|'missing'|'bad'|'future'|'ML-DSA-44, cannot be verified in
// this browser, not counted', time }], why }.
export async function checkPolicy(pol, note, nowS) {
  const ok = new Set();
  const witnesses = [];
  let bad = null;
  let ckpt = null;
  for (const w of pol.witnesses) {
    if (w.key.alg === ALG_MLDSA44_COSIG) {
      if (!(await haveMLDSA44())) {
        witnesses.push({ name: w.name, key: w.key,
          state: 'ML-DSA-44, cannot be verified in this browser, not counted' });
        continue;
      }
      if (ckpt === null) ckpt = parseCheckpoint(note.text);
    }
    const r = await checkCosignature(note, w.key, ckpt);
    if (r === null) {
      witnesses.push({ name: w.name, key: w.key, state: 'missing' });
    } else if (!r.ok) {
      witnesses.push({ name: w.name, key: w.key, state: 'bad', why: r.why });
      bad = bad || w.name + ': ' + r.why;
    } else if (r.time > BigInt(nowS + COSIG_SKEW_S)) {
      witnesses.push({ name: w.name, key: w.key, state: 'future', time: r.time });
    } else {
      witnesses.push({ name: w.name, key: w.key, time: r.time,
        state: w.key.alg === ALG_MLDSA44_COSIG ? 'cosigned (ML-DSA-44)' : 'cosigned' });
      ok.add(w);
    }
  }
  if (bad) return { ok: false, witnesses, why: 'a cosignature does not verify (' + bad + ')' };
  const q = pol.quorum === null || met(pol.quorum, ok);
  return { ok: q, witnesses, why: q ? '' : 'the quorum (' + describeQuorum(pol) + ') is not met' };
}

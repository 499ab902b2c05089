// trust.js: what the page trusts, and from where.
//
// config.json next to the page (docs/WEB.md) names the log, pins its key and
// may carry the witness policy.  pubtraild answers /config.json with its own
// key and policy when its web directory has none (then served_by_log is
// true).  A watchdog hosting the page writes its own config.json, so the
// key a citizen relies on does not come from the log being checked.

import { concat, fromUtf8, hex, utf8 } from './bytes.js';
import { sha256 } from './crypto.js';
import { ALG_ED25519, openCheckpoint, parseVkey } from './note.js';
import { checkPolicy, describeQuorum, parsePolicy } from './policy.js';

const CONFIG_MAX = 256 * 1024;

export async function loadConfig() {
  let resp;
  try {
    resp = await fetch('config.json', { cache: 'no-cache', credentials: 'omit' });
  } catch (e) {
    return { problem: 'could not load config.json: ' + e.message };
  }
  if (resp.status === 404) return { problem: 'this page has no config.json' };
  if (resp.status !== 200) return { problem: 'config.json: HTTP ' + resp.status };
  const b = new Uint8Array(await resp.arrayBuffer());
  if (b.length > CONFIG_MAX) return { problem: 'config.json is too big' };
  try {
    const c = JSON.parse(fromUtf8(b));
    if (c === null || typeof c !== 'object' || Array.isArray(c))
      return { problem: 'config.json is not an object' };
    return { config: c };
  } catch (e) {
    return { problem: 'config.json is not JSON: ' + e.message };
  }
}

// Build the trust context for checking the log at logURL (from a link, or
// the config).  keyFromLink is a verifier key string given in the link, used
// only when the config pins none.  Returns { log, logKey, keySource,
// keyHash, policy, policyProblem, servedByLog, problems[] }.
export async function trustContext(loaded, linkLog, keyFromLink) {
  const c = loaded.config || {};
  const ctx = { problems: [], policy: null, policyProblem: null };
  if (loaded.problem) ctx.problems.push(loaded.problem);
  ctx.configLog = typeof c.log === 'string' ? c.log : '';
  ctx.log = linkLog || ctx.configLog || '';
  ctx.logURL = new URL(ctx.log || '/', location.href).href;
  ctx.servedByLog = c.served_by_log === true ||
    new URL(ctx.logURL).origin === location.origin;
  let keyText = null;
  if (typeof c.log_key === 'string' && c.log_key !== '') {
    keyText = c.log_key;
    ctx.keySource = c.served_by_log === true ? 'log' : 'pinned';
  } else if (keyFromLink) {
    keyText = keyFromLink;
    ctx.keySource = 'link';
  }
  if (keyText === null) {
    ctx.problems.push('no log key: config.json pins none and the link names none');
    return ctx;
  }
  try {
    ctx.logKey = await parseVkey(keyText, ALG_ED25519);
  } catch (e) {
    ctx.problems.push('the log key is not valid: ' + e.message);
    return ctx;
  }
  if (keyFromLink && ctx.keySource === 'pinned' && keyFromLink.trim() !== keyText.trim())
    ctx.problems.push('the link names another log key than the one this page pins; the pinned key is used');
  ctx.keyHash = hex(await sha256(utf8(ctx.logKey.text)));
  if (typeof c.policy === 'string' && c.policy !== '') {
    try {
      ctx.policy = await parsePolicy(c.policy);
      if (ctx.policy.logs.length > 0 &&
          !ctx.policy.logs.some((l) => l.key.text === ctx.logKey.text))
        ctx.policyProblem = 'the witness policy does not list this log\'s key';
    } catch (e) {
      ctx.policyProblem = 'the witness policy does not parse: ' + e.message;
    }
  }
  ctx.offices = Array.isArray(c.offices) ? c.offices.filter((o) => typeof o === 'string') : [];
  // The registrar (PROTOCOL.md 6.6): whose grants say who may append.
  // Pinned like the log key; else asked of the log (registrarTrust).
  ctx.registrarKey = null;
  ctx.registrarSource = null;
  ctx.registrarProblem = null;
  if (typeof c.registrar_key === 'string' && c.registrar_key !== '') {
    try {
      ctx.registrarKey = await parseVkey(c.registrar_key, ALG_ED25519);
      ctx.registrarSource = c.served_by_log === true ? 'log' : 'pinned';
      ctx.registrarHash = hex(await sha256(utf8(ctx.registrarKey.text)));
    } catch (e) {
      ctx.registrarProblem = 'the registrar key in config.json is not valid: ' + e.message;
    }
  }
  return ctx;
}

// The registrar key to judge grants by: the pinned one, or the one the log
// serves at /registrar.vkey ("as the log announces"), or none (then the
// signer of the log's first office_key entry is its registrar, as every
// reader takes it).  Fills ctx.registrarKey/Source/Hash; returns ctx.
export async function registrarTrust(ctx, client) {
  if (ctx.registrarKey || ctx.registrarProblem || ctx.registrarSource === 'first') return ctx;
  let text = null;
  try {
    text = await client.registrarKey();
  } catch (e) {
    ctx.registrarProblem = 'could not read the log\'s registrar.vkey: ' + e.message;
    return ctx;
  }
  if (text === null) {
    ctx.registrarSource = 'first';
    return ctx;
  }
  try {
    ctx.registrarKey = await parseVkey(text.replace(/\n$/, ''), ALG_ED25519);
    ctx.registrarSource = 'log';
    ctx.registrarHash = hex(await sha256(utf8(ctx.registrarKey.text)));
  } catch (e) {
    ctx.registrarProblem = 'the log\'s registrar.vkey is not an Ed25519 verifier key: ' + e.message;
  }
  return ctx;
}

// The registrar in words, for the key step and the page's footer.
export function registrarWords(ctx) {
  if (ctx.registrarProblem) return ctx.registrarProblem;
  if (ctx.registrarKey) {
    const k = ctx.registrarKey;
    return k.name + '+' + hex(k.id) + ' (SHA-256 of the key: ' + ctx.registrarHash.slice(0, 16) + '…), ' +
      (ctx.registrarSource === 'pinned' ? 'pinned in this page\'s config.json' :
        'as the log itself announces it (registrar.vkey)');
  }
  if (ctx.registrarSource === 'first')
    return 'none pinned and none announced: the signer of the log\'s first office_key entry, as every reader takes it';
  return 'not known yet';
}

// Open a signed checkpoint with the trusted key and apply the policy.
// Returns { ckpt, note, witness: { state: 'none'|'ok'|'fail', words,
// witnesses } }; throws when the log's signature fails.
export async function openWithPolicy(ctx, bytes) {
  const { note, ckpt } = await openCheckpoint(bytes, ctx.logKey);
  let witness;
  if (ctx.policyProblem) {
    witness = { state: 'fail', words: ctx.policyProblem, witnesses: [] };
  } else if (ctx.policy === null) {
    witness = { state: 'none', witnesses: [],
      words: 'This log publishes no witness policy, so no independent witness vouches ' +
        'that everyone is shown this same checkpoint.' };
  } else {
    const r = await checkPolicy(ctx.policy, note, Math.floor(Date.now() / 1000));
    const list = r.witnesses.map((w) => w.name + ': ' + w.state).join('; ');
    witness = { state: r.ok ? 'ok' : 'fail', witnesses: r.witnesses,
      words: (r.ok ? 'Quorum met (' + describeQuorum(ctx.policy) + '). ' :
        'Not accepted: ' + r.why + '. ') + (list ? 'Witnesses: ' + list + '.' : '') };
  }
  return { note, ckpt, witness };
}

export function submitterId(vkeyText) {
  return sha256(utf8(vkeyText));
}

// The message an office signs (PROTOCOL.md 7.1).
export function submissionMessage(origin, recordBytes) {
  return concat(utf8('pubtrail/submission/v1\n' + origin + '\n'), recordBytes);
}

// The message an entry's signature covers: the registrar's own domain for
// an office_key record (a grant or revoke of an office's key), the
// office's for every other record (PROTOCOL.md 6.6, 7.1).
export function entryMessage(origin, record, recordBytes) {
  if (record && record.type === 'office_key')
    return concat(utf8('pubtrail/office-key/v1\n' + origin + '\n'), recordBytes);
  return submissionMessage(origin, recordBytes);
}

// crypto.js: SHA-256 and Ed25519 through the browser's WebCrypto.  Nothing
// here is hand-written cryptography: the page only arranges bytes.

import { concat } from './bytes.js';

export function haveWebCrypto() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined &&
    crypto.subtle !== null;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

// RFC 9162 section 2.1: leaf hash = SHA-256(0x00 || entry).
export function leafHash(entry) {
  const b = new Uint8Array(entry.length + 1);
  b.set(LEAF, 0);
  b.set(entry, 1);
  return sha256(b);
}

// node hash = SHA-256(0x01 || left || right).
export function nodeHash(l, r) {
  const b = new Uint8Array(65);
  b.set(NODE, 0);
  b.set(l, 1);
  b.set(r, 33);
  return sha256(b);
}

const keyCache = new Map();

// Import a raw 32-byte Ed25519 public key once per key.
async function importEd25519(pub) {
  const k = Array.prototype.join.call(pub, ',');
  let p = keyCache.get(k);
  if (p === undefined) {
    p = crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false,
      ['verify']);
    keyCache.set(k, p);
    if (keyCache.size > 4096) keyCache.delete(keyCache.keys().next().value);
  }
  return p;
}

// RFC 8032 Ed25519 (pure) verification: true or false.  Throws only when
// the browser has no Ed25519 in WebCrypto.
export async function ed25519Verify(pub, sig, msg) {
  if (pub.length !== 32 || sig.length !== 64) return false;
  let key;
  try {
    key = await importEd25519(pub);
  } catch (e) {
    if (e && e.name === 'NotSupportedError')
      throw new Error('this browser has no Ed25519 in WebCrypto');
    return false;	// not a valid point
  }
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg);
  } catch (e) {
    return false;
  }
}

// ML-DSA-44 (FIPS 204) in WebCrypto, where the browser has it (Chromium
// does, behind no flag, since the "modern algorithms" work; Node 20 and
// older browsers do not): null when it cannot be checked here, else true
// or false.  Empty context string, as C2SP tlog-cosignature signs.
let mldsa = null;
export function haveMLDSA44() {
  if (mldsa === null) {
    mldsa = (async () => {
      try {
        await crypto.subtle.importKey('raw-public', new Uint8Array(1312), { name: 'ML-DSA-44' }, false, ['verify']);
        return true;
      } catch (e) {
        return false;
      }
    })();
  }
  return mldsa;
}

export async function mldsa44Verify(pub, sig, msg) {
  if (!(await haveMLDSA44())) return null;
  if (pub.length !== 1312 || sig.length !== 2420) return false;
  try {
    const key = await crypto.subtle.importKey('raw-public', pub, { name: 'ML-DSA-44' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ML-DSA-44' }, key, sig, msg);
  } catch (e) {
    return false;
  }
}

export { concat };

// bundlejob.js: everything the page does with one entry bundle before it
// adds anything up, in one place, so that a worker (hashworker.js) can do
// it off the page's thread: the leaf hashes and their root (hashing.js),
// every entry decoded as canonical msgpack (wire.js) and checked
// (record.js), and, when asked, every office's signature.

import { hex } from './bytes.js';
import { ed25519Verify } from './crypto.js';
import { proveBundle } from './hashing.js';
import { ALG_ED25519, parseVkey } from './note.js';
import { checkRecord } from './record.js';
import { entryMessage } from './trust.js';
import { decodeEntry } from './wire.js';

// The office's signature over the record for this log's origin (the
// registrar's domain for an office_key record).  Returns the key.
export async function checkOfficeSignature(entry, origin) {
  const key = await parseVkey(entry.submitter, ALG_ED25519);
  const ok = await ed25519Verify(key.pub, entry.sig, entryMessage(origin, entry.record, entry.recordBytes));
  if (!ok) throw new Error('the signature by ' + key.name + '+' + hex(key.id) +
    ' does not verify for the log "' + origin + '"');
  return key;
}

// Decode and check the entries at off in bytes; with origin, their
// signatures too (a few at once).  Returns [{ entry } | { error }].
export async function decodeAll(bytes, off, origin) {
  const w = off.length / 2;
  const out = new Array(w);
  const sigs = [];
  for (let i = 0; i < w; i++) {
    try {
      const entry = decodeEntry(bytes.subarray(off[2 * i], off[2 * i + 1]));
      checkRecord(entry.record);
      out[i] = { entry };
      if (origin) sigs.push(i);
    } catch (e) {
      out[i] = { error: e.message };
    }
  }
  let next = 0;
  const run = async () => {
    while (next < sigs.length) {
      const i = sigs[next++];
      try {
        await checkOfficeSignature(out[i].entry, origin);
      } catch (e) {
        out[i] = { error: e.message };
      }
    }
  };
  await Promise.all([run(), run(), run(), run()]);
  return out;
}

// A full bundle: its hashes, and (decode) its entries read and checked.
export async function bundleJob(bytes, width, { decode = false, origin = null } = {}) {
  const p = await proveBundle(bytes, width);
  if (decode) p.entries = await decodeAll(bytes, p.off, origin);
  return p;
}

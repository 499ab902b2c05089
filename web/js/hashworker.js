// hashworker.js: a worker that fetches full entry bundles of a log and
// hashes them (hashing.js), so that the page's own thread only compares
// each bundle's root with its verified level-1 tile hash and reads the
// entries.  One per core (tiles.js BundlePool); the page works without
// them (Node's tests hash in the calling thread).
//
// Message in:  { id, base, n, decode, origin }   bundle n (full, width
//                      256) of the log at base; decode: its entries read
//                      and checked too (bundlejob.js), origin: and every
//                      office signature
// Message out: { id, bytes, off, leaves, root, entries?, read }  (buffers
//                      transferred; the entries' bytes are views of bytes)
//              { id, error, status }       a fetch or format failure
import { LogClient } from './log.js';
import { bundleJob } from './bundlejob.js';

const clients = new Map();

self.onmessage = async (ev) => {
  const { id, base, n, decode, origin } = ev.data;
  try {
    let c = clients.get(base);
    if (c === undefined) {
      c = new LogClient(base);
      clients.set(base, c);
    }
    const bytes = await c.bundle(n, 256);
    // What this job read (jobs overlap in a worker: not a difference of
    // the client's running count).
    const read = bytes.length;
    const { off, leaves, root, entries } = await bundleJob(bytes, 256, { decode, origin });
    self.postMessage({ id, bytes, off, leaves, root, entries, read },
      [bytes.buffer, off.buffer, leaves.buffer, root.buffer]);
  } catch (e) {
    self.postMessage({ id, error: e && e.message ? e.message : String(e), status: e && e.status });
  }
};

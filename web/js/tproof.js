// tproof.js: C2SP tlog-proof v1 text (docs/PROTOCOL.md 3.1), parsed as
// strictly as proto/tproof.c.  The note is returned as text; it is opened
// with the log key by note.js.

import { FormatError, fromB64, parseDecimal, utf8 } from './bytes.js';
import { MAX_PROOF } from './merkle.js';

const HEADER = 'c2sp.org/tlog-proof@v1';

export function parseTlogProof(text) {
  let rest = text;
  const line = () => {
    const i = rest.indexOf('\n');
    if (i < 0) throw new FormatError('tlog-proof: line without newline');
    const l = rest.slice(0, i);
    if (utf8(l).length > 1024) throw new FormatError('tlog-proof: line too long');
    rest = rest.slice(i + 1);
    return l;
  };
  if (line() !== HEADER) throw new FormatError('not a c2sp.org/tlog-proof@v1');
  let l = line();
  let extra = null;
  if (l.startsWith('extra ')) {
    extra = fromB64(l.slice(6));
    if (extra.length === 0) throw new FormatError('tlog-proof: empty extra data');
    l = line();
  }
  if (!l.startsWith('index ')) throw new FormatError('tlog-proof: no index line');
  const index = parseDecimal(l.slice(6));
  const proof = [];
  for (;;) {
    l = line();
    if (l === '') break;
    if (proof.length >= MAX_PROOF) throw new FormatError('tlog-proof: too many hashes');
    const h = fromB64(l);
    if (h.length !== 32) throw new FormatError('tlog-proof: hash is not 32 bytes');
    proof.push(h);
  }
  if (rest === '') throw new FormatError('tlog-proof: no checkpoint');
  return { index, proof, extra, note: rest };
}

#!/bin/sh
# The citizen page's modules (build/web/js) against known answers from the
# standards and docs/PROTOCOL.md, in Node's WebCrypto: tests/browser/unit.test.mjs.
cd "$(dirname "$0")/../.." || exit 1
PT_WEB_DIR="${BUILD:-$PWD/build}/web" exec node --test tests/browser/unit.test.mjs

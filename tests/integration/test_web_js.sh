#!/bin/sh
# The citizen page's modules (build/web/js) in Node's WebCrypto: known
# answers from the standards and docs/PROTOCOL.md (tests/browser/unit.test.mjs),
# and the grants rule's JS port against the C rule, from vectors that
# tests/tools/grants_vectors generates with proto/grants.c and client/okeys.c
# (tests/browser/grants.test.mjs).
cd "$(dirname "$0")/../.." || exit 1
BUILD="${BUILD:-$PWD/build}"
export BUILD
[ -x "$BUILD/tools/grants_vectors" ] || { echo "FAIL: $BUILD/tools/grants_vectors missing (make check builds it)"; echo "0 passed, 1 failed"; exit 1; }
PT_WEB_DIR="$BUILD/web" exec node --test tests/browser/unit.test.mjs tests/browser/grants.test.mjs

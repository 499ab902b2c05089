#!/bin/sh
# Interop: pubtrail's Merkle tree and tiles against golang.org/x/mod/sumdb/tlog.
#
# tests/interop/mt_vectors.go (Go's tlog: TreeHash, ProveRecord, ProveTree,
# StoredHashes, NewTiles, ReadTileData at height 8) and tests/tools/mt_dump.c
# (proto/mt.c, proto/tile.c) build the same 70,000-leaf tree and print roots,
# inclusion proofs, consistency proofs, hash tiles (C2SP path + contents) and
# entry bundles, one per line.  The outputs must be byte-identical.  Also
# checks the tile paths the spec's own example (a tree of 70,000) names.
#
# Run by `make check` (tests/run.sh) with BUILD = absolute build dir and the
# repository root as cwd.  Exits non-zero on any mismatch.
set -u

BUILD=${BUILD:?BUILD must name the build directory}
dump="$BUILD/tools/mt_dump"
gobin="$BUILD/interop/mt_vectors"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-interop-tree.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM HUP

fail() {
	echo "FAIL: $*"
	exit 1
}

[ -x "$dump" ] || fail "$dump not built (make $BUILD/tools/mt_dump)"
command -v go >/dev/null 2>&1 || fail "go not installed (golang-go)"
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] ||
	fail "golang.org/x/mod not installed (golang-golang-x-mod-dev)"

mkdir -p "$BUILD/interop" || exit 1
echo "building $gobin with Go $(go env GOVERSION 2>/dev/null)"
(cd tests/interop &&
	GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$BUILD/gocache" \
	GOFLAGS= go build -o "$gobin" mt_vectors.go) ||
	fail "go build tests/interop/mt_vectors.go"

"$gobin" >"$tmp/go.txt" || fail "mt_vectors (Go) exited $?"
"$dump" >"$tmp/c.txt" || fail "mt_dump (C) exited $?"

rc=0
for kind in root incl cons tile bundle; do
	grep "^$kind " "$tmp/go.txt" >"$tmp/go.$kind"
	grep "^$kind " "$tmp/c.txt" >"$tmp/c.$kind"
	ng=$(wc -l <"$tmp/go.$kind")
	nc=$(wc -l <"$tmp/c.$kind")
	if [ "$ng" -eq 0 ]; then
		echo "FAIL $kind: Go printed none"
		rc=1
	elif cmp -s "$tmp/go.$kind" "$tmp/c.$kind"; then
		echo "ok   $kind: $ng lines identical (Go tlog vs pubtrail)"
	else
		echo "FAIL $kind: Go $ng lines, C $nc lines; first difference:"
		diff "$tmp/go.$kind" "$tmp/c.$kind" | head -4 | cut -c1-200
		rc=1
	fi
done
cmp -s "$tmp/go.txt" "$tmp/c.txt" || { echo "FAIL: whole outputs differ"; rc=1; }

# The spec's example: a tree of 70,000 has 273 full level-0 tiles, a level-0
# tile of width 112, one full level-1 tile, a level-1 tile of width 17 and a
# level-2 tile of width 1; a tree of 256 has a level-1 tile of width 1.
for want in "tile 70000 tile/0/272 " "tile 70000 tile/0/273.p/112 " \
    "tile 70000 tile/1/000 " "tile 70000 tile/1/001.p/17 " \
    "tile 70000 tile/2/000.p/1 " "tile 256 tile/0/000 " \
    "tile 256 tile/1/000.p/1 " "bundle 1000 tile/entries/003.p/232 "; do
	if grep -q "^$want" "$tmp/c.tile" "$tmp/c.bundle"; then
		echo "ok   spec path: ${want% }"
	else
		echo "FAIL spec path missing: ${want% }"
		rc=1
	fi
done
n70=$(grep -c "^tile 70000 tile/0/" "$tmp/c.tile")
[ "$n70" -eq 274 ] || { echo "FAIL: $n70 level-0 tiles for 70000, want 274"; rc=1; }
n70=$(grep -c "^tile 70000 " "$tmp/c.tile")
[ "$n70" -eq 277 ] || { echo "FAIL: $n70 tiles for 70000, want 277"; rc=1; }

[ $rc -eq 0 ] && echo "interop tree: all identical"
exit $rc

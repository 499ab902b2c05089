#!/bin/sh
# Interop: our signed notes, keys, cosignatures and checkpoint bodies against
# golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-golang-x-mod-dev),
# in both directions.  Run by `make check` from the repository root with
# BUILD = absolute build directory; exits non-zero on any mismatch.
set -u

BUILD=${BUILD:-$(pwd)/build}
C=$BUILD/tools/note_tool
G=$BUILD/note_interop
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-note.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
n=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { n=$((n + 1)); }

if [ ! -x "$C" ]; then
	echo "FAIL: $C not built"
	exit 1
fi
if ! command -v go >/dev/null 2>&1; then
	echo "FAIL: go not installed (golang-go, golang-golang-x-mod-dev)"
	exit 1
fi
if ! GOCACHE="$BUILD/gocache" GO111MODULE=off GOPATH=/usr/share/gocode \
    go build -o "$G" tests/interop/note_interop.go; then
	echo "FAIL: cannot build tests/interop/note_interop.go"
	exit 1
fi

# b64sha STRING: base64 of SHA-256(STRING), a stand-in root hash.
b64sha() {
	/usr/bin/python3 -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode())' "$1"
}

# same FILE1 FILE2 WHAT: byte-identical files.
same() {
	if cmp -s "$1" "$2"; then ok; else
		fail "$3"; echo "--- ours"; cat "$1"; echo "--- go"; cat "$2"
	fi
}

# --- keys: each side parses the other's private and verifier keys ---------
$G keygen go.example/log > "$tmp/gk" || fail "go keygen"
gsk=$(sed -n 1p "$tmp/gk"); gvk=$(sed -n 2p "$tmp/gk")
$C keygen c.example/log > "$tmp/ck" || fail "c keygen"
csk=$(sed -n 1p "$tmp/ck"); cvk=$(sed -n 2p "$tmp/ck")
[ "$($C vkey "$gsk")" = "$gvk" ] && ok || fail "our vkey of Go's private key"
[ "$($G vkey "$csk")" = "$cvk" ] && ok || fail "Go's vkey of our private key"
$C keygen "c.example/w1" cosig > "$tmp/wk" || fail "c keygen cosig"
wsk=$(sed -n 1p "$tmp/wk"); wvk=$(sed -n 2p "$tmp/wk")
# The Go package documentation's key.
pk="PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
pv="PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
[ "$($C vkey "$pk")" = "$pv" ] && ok || fail "PeterNeumann vkey"

# --- notes, both directions, and byte-identical signatures -----------------
printf 'hello\n' > "$tmp/t1"
printf 'If you think cryptography is the answer to your problem,\nthen you don'\''t know what your problem is.\n' > "$tmp/t2"
printf 'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \303\250 subito sera.\n' > "$tmp/t3"
printf 'a\n\n\nb\n\n' > "$tmp/t4"
printf '\n' > "$tmp/t5"
for t in t1 t2 t3 t4 t5; do
	for k in "$gsk" "$csk" "$pk"; do
		$G sign "$k" < "$tmp/$t" > "$tmp/g.note" || fail "go sign $t"
		$C sign "$k" < "$tmp/$t" > "$tmp/c.note" || fail "c sign $t"
		same "$tmp/c.note" "$tmp/g.note" "signed note $t differs"
	done
	$G sign "$gsk" "$csk" < "$tmp/$t" > "$tmp/g2.note" || fail "go sign2 $t"
	$C sign "$gsk" "$csk" < "$tmp/$t" > "$tmp/c2.note" || fail "c sign2 $t"
	same "$tmp/c2.note" "$tmp/g2.note" "doubly signed note $t differs"
	$C verify "$gvk" < "$tmp/g2.note" > "$tmp/out" 2>/dev/null &&
	    same "$tmp/out" "$tmp/$t" "our text of Go note $t" ||
	    fail "we reject Go's note $t"
	$C verify "$cvk" < "$tmp/g2.note" > /dev/null 2>&1 && ok ||
	    fail "we reject Go's note $t with our key"
	$G verify "$cvk" < "$tmp/c2.note" > "$tmp/out" 2>/dev/null &&
	    same "$tmp/out" "$tmp/$t" "Go's text of our note $t" ||
	    fail "Go rejects our note $t"
	$G verify "$gvk" "$cvk" < "$tmp/c2.note" > /dev/null 2>&1 && ok ||
	    fail "Go rejects our note $t with both keys"
done
# Sumdb's own test note (client_test.go), verified by both.
printf 'go.sum database tree\n6\nwc4SkQt52o5W2nQ8To2ARs+mWuUJjss+sdleoiqxMmM=\n\n\342\200\224 localhost.localdev/sumdb AAAMZ6oRNswlEZ6ZZhxrCvgl1MBy+nusq4JU+TG6Fe2NihWLqOzb+y2c2kzRLoCr4tvw9o36ucQEnhc20e4nA4Qc/wc=\n' > "$tmp/sumdb.note"
sv="localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6"
$C verify "$sv" < "$tmp/sumdb.note" > /dev/null 2>&1 && ok || fail "we reject sumdb note"
$G verify "$sv" < "$tmp/sumdb.note" > /dev/null 2>&1 && ok || fail "Go rejects sumdb note"

# --- post-quantum-sized lines by unknown signers ----------------------------
# C2SP signed-note: verifiers MUST ignore signatures from unknown keys and
# accept at least 16, "post-quantum signatures can be up to nearly 5kB".
# Sixteen lines of ML-DSA-44 cosignature size (3,268 bytes with a 19-byte
# name; random bytes: unknown signers are never verified), one of them under
# the signer's own name with another key ID, then the same with lines of
# ML-DSA-87 size (4,627-byte signatures).
# pq16 SIGBYTES NAME: sixteen such lines, the first named NAME.
pq16() {
	/usr/bin/python3 -c 'import base64, os, sys
n = int(sys.argv[1])
for i in range(16):
    name = sys.argv[2] if i == 0 else "pq%d.example/witness" % i
    raw = bytes([0xfe, 0, 0, i]) + os.urandom(8 + n)
    sys.stdout.write("\u2014 %s %s\n" % (name, base64.b64encode(raw).decode()))' "$1" "$2"
}
for sz in 2420 4627; do
	$G sign "$gsk" < "$tmp/t2" > "$tmp/g.note"
	{ cat "$tmp/g.note"; pq16 $sz go.example/log; } > "$tmp/pq.note"
	[ "$(wc -c < "$tmp/pq.note")" -gt $((16 * 3260)) ] && ok || fail "pq note too small"
	$C verify "$gvk" < "$tmp/pq.note" > "$tmp/out" 2>/dev/null &&
	    same "$tmp/out" "$tmp/t2" "our text of Go's note with pq lines ($sz)" ||
	    fail "we reject Go's note with 16 pq lines ($sz)"
	$G verify "$gvk" < "$tmp/pq.note" > /dev/null 2> "$tmp/err" &&
	    grep -q "verified 1 unverified 16" "$tmp/err" && ok ||
	    fail "Go: note with 16 pq lines ($sz): $(cat "$tmp/err")"
	# Only unknown signers: both refuse.
	{ printf 'x\n\n'; pq16 $sz go.example/log; } > "$tmp/pq2.note"
	if $C verify "$gvk" < "$tmp/pq2.note" > /dev/null 2>&1; then fail "we accept pq-only note"; else ok; fi
	if $G verify "$gvk" < "$tmp/pq2.note" > /dev/null 2>&1; then fail "Go accepts pq-only note"; else ok; fi
done
# The same lines after a cosigned checkpoint: the witness still counts.
$C keygen pq.example/log > "$tmp/pk"
psk=$(sed -n 1p "$tmp/pk"); pvk=$(sed -n 2p "$tmp/pk")
$C ckpt-format pq.example/log 7 "$(b64sha pq)" > "$tmp/body"
$G sign -t 1700000000 "$psk" "$wsk" < "$tmp/body" > "$tmp/g.ck"
{ cat "$tmp/g.ck"; pq16 2420 c.example/w1; } > "$tmp/pq.ck"
$C ckpt-open "$pvk" "$wvk" < "$tmp/pq.ck" > /dev/null 2> "$tmp/err" &&
    grep -q "witnessed 0000000000000001" "$tmp/err" && ok ||
    fail "cosigned checkpoint with pq lines: $(cat "$tmp/err")"
$G verify "$pvk" "$wvk" < "$tmp/pq.ck" > /dev/null 2> "$tmp/err" &&
    grep -q "verified 2 unverified 16" "$tmp/err" && ok ||
    fail "Go: cosigned checkpoint with pq lines: $(cat "$tmp/err")"
# Two lines by an unknown key: ignored by both.
$G sign "$gsk" < "$tmp/t2" > "$tmp/g.note"
{ cat "$tmp/g.note"; tail -n 1 "$tmp/pq.note"; tail -n 1 "$tmp/pq.note"; } > "$tmp/dupu.note"
$C verify "$gvk" < "$tmp/dupu.note" > /dev/null 2>&1 && ok || fail "we reject two lines by an unknown key"
$G verify "$gvk" < "$tmp/dupu.note" > /dev/null 2>&1 && ok || fail "Go rejects two lines by an unknown key"

# --- rejections both sides agree on ------------------------------------------
$G sign "$gsk" < "$tmp/t2" > "$tmp/g.note"
# unknown signer only
if $C verify "$cvk" < "$tmp/g.note" > /dev/null 2>&1; then fail "we accept unknown signer"; else ok; fi
if $G verify "$cvk" < "$tmp/g.note" > /dev/null 2>&1; then fail "Go accepts unknown signer"; else ok; fi
# tampered text, missing final newline, control character, no blank line
sed 's/problem,/problem;/' "$tmp/g.note" > "$tmp/bad1"
head -c -1 "$tmp/g.note" > "$tmp/bad2"
{ printf '\r'; cat "$tmp/g.note"; } > "$tmp/bad3"
grep -v '^$' "$tmp/g.note" > "$tmp/bad4"
{ printf '\377'; cat "$tmp/g.note"; } > "$tmp/bad5"
for b in bad1 bad2 bad3 bad4 bad5; do
	if $C verify "$gvk" < "$tmp/$b" > /dev/null 2>&1; then fail "we accept $b"; else ok; fi
	if $G verify "$gvk" < "$tmp/$b" > /dev/null 2>&1; then fail "Go accepts $b"; else ok; fi
done
# Stricter than Go on purpose: duplicate signature lines.
{ cat "$tmp/g.note"; tail -n 1 "$tmp/g.note"; } > "$tmp/dup"
if $C verify "$gvk" < "$tmp/dup" > /dev/null 2>&1; then fail "we accept duplicate signatures"; else ok; fi

# --- checkpoint bodies: tlog.FormatTree / ParseTree ------------------------
for sz in 0 1 6 123456789012 9223372036854775807; do
	root=$(b64sha "$sz")
	$C ckpt-format "go.sum database tree" "$sz" "$root" > "$tmp/cb" || fail "ckpt-format $sz"
	$G tree-format "$sz" "$root" > "$tmp/gb" || fail "tree-format $sz"
	same "$tmp/cb" "$tmp/gb" "checkpoint body size $sz"
	[ "$($G tree-parse < "$tmp/cb")" = "$sz $root" ] && ok || fail "Go parses our body $sz"
	$C ckpt-parse < "$tmp/gb" > "$tmp/cb2" && same "$tmp/cb2" "$tmp/gb" "reparse $sz" ||
	    fail "we reject Go's body $sz"
done
# Go accepts what we refuse (leading zeros are not: both refuse).
printf 'go.sum database tree\n06\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n' > "$tmp/lz"
if $C ckpt-parse < "$tmp/lz" > /dev/null 2>&1; then fail "we accept leading zero"; else ok; fi
if $G tree-parse < "$tmp/lz" > /dev/null 2>&1; then fail "Go accepts leading zero"; else ok; fi

# --- signed and cosigned checkpoints, both directions ----------------------
$C keygen interop.example/log > "$tmp/lk"
lsk=$(sed -n 1p "$tmp/lk"); lvk=$(sed -n 2p "$tmp/lk")
root=$(b64sha x)
for ext in "" "ext-line"; do
	if [ -n "$ext" ]; then
		$C ckpt-format interop.example/log 42 "$root" "$ext" > "$tmp/body"
	else
		$C ckpt-format interop.example/log 42 "$root" > "$tmp/body"
	fi
	$G sign -t 1700000000 "$lsk" "$wsk" < "$tmp/body" > "$tmp/g.ck" || fail "go sign checkpoint"
	$C sign -t 1700000000 "$lsk" "$wsk" < "$tmp/body" > "$tmp/c.ck" || fail "c sign checkpoint"
	same "$tmp/c.ck" "$tmp/g.ck" "cosigned checkpoint differs (ext='$ext')"
	$C ckpt-open "$lvk" "$wvk" < "$tmp/g.ck" > "$tmp/out" 2> "$tmp/err" &&
	    same "$tmp/out" "$tmp/body" "our parse of Go's checkpoint" ||
	    fail "we reject Go's cosigned checkpoint (ext='$ext'): $(cat "$tmp/err")"
	grep -q "witnessed 0000000000000001" "$tmp/err" && ok || fail "witness not reported"
	$G verify "$lvk" "$wvk" < "$tmp/c.ck" > /dev/null 2> "$tmp/err" &&
	    grep -q "verified 2 " "$tmp/err" && ok ||
	    fail "Go rejects our cosigned checkpoint (ext='$ext')"
	# Different timestamp: different cosignature, both still valid.
	$C sign -t 1700000001 "$lsk" "$wsk" < "$tmp/body" > "$tmp/c2.ck"
	if cmp -s "$tmp/c.ck" "$tmp/c2.ck"; then fail "timestamp not signed"; else ok; fi
	$G verify "$wvk" < "$tmp/c2.ck" > /dev/null 2>&1 && ok || fail "Go rejects cosignature t+1"
done
# Wrong origin: Go-signed checkpoint by a key whose name is not the origin.
$C ckpt-format other.example/log 42 "$root" > "$tmp/body"
$G sign "$lsk" < "$tmp/body" > "$tmp/g.ck"
if $C ckpt-open "$lvk" < "$tmp/g.ck" > /dev/null 2> "$tmp/err"; then fail "wrong origin accepted"; else
	grep -q wrong_origin "$tmp/err" && ok || fail "wrong origin: $(cat "$tmp/err")"
fi

echo "test_interop_note: $n checks passed, $fails failed"
[ "$fails" -eq 0 ]

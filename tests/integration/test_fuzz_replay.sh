#!/bin/sh
# Replay every committed fuzz corpus (tests/fuzz/corpus/<target>/) through
# the plain build of its target, compiled from the proto sources with
# AddressSanitizer and UBSan into $BUILD/fuzz-replay/ (tests/fuzz/build.sh
# replay).  Fails on any sanitizer report or broken invariant, and when a
# target has no corpus.  Run by `make check`.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$top/build}
out=$BUILD/fuzz-replay
targets=$(sh "$top/tests/fuzz/build.sh" replay "$out") || {
	echo "fuzz-replay: build failed"; exit 1; }
fail=0
for t in $targets; do
	dir=$top/tests/fuzz/corpus/$t
	if [ ! -d "$dir" ] || [ -z "$(ls "$dir")" ]; then
		echo "fuzz-replay: $t: no corpus in $dir"
		fail=1
		continue
	fi
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$out/$t" "$dir" >"$out/$t.log" 2>&1; then
		echo "fuzz-replay: $(tail -1 "$out/$t.log")"
	else
		echo "fuzz-replay: $t FAILED:"
		tail -30 "$out/$t.log"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "fuzz-replay: all corpora clean"
exit $fail

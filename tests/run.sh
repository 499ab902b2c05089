#!/bin/sh
# Everything `make check` runs: unit suites (args), then every integration test
# in tests/integration/ (test_*.py with Debian's python3, test_*.sh with sh).
# BUILD is the absolute build directory.  Prints "N passed, N failed" last.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
pass=0; fail=0; failed=""
for t in "$@"; do
	name=$(basename "$t")
	echo "== unit $name"
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $name"; fi
done
for t in "$here"/integration/test_*; do
	[ -f "$t" ] || continue
	name=$(basename "$t")
	echo "== integration $name"
	start=$(date +%s)
	case "$t" in
	*.py) (cd "$top" && BUILD="$BUILD" /usr/bin/python3 "$t") ;;
	*.sh) (cd "$top" && BUILD="$BUILD" sh "$t") ;;
	*) continue ;;
	esac
	rc=$?
	echo "== $name: rc=$rc in $(( $(date +%s) - start )) s"
	if [ $rc -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $name"; fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# Everything `make check` runs: unit suites (args), then every integration test
# in tests/integration/ (test_*.py with Debian's python3, test_*.sh with sh).
# BUILD is the absolute build directory.  Prints "N passed, N failed" last.
#
# The tests are independent (each picks its own free loopback ports and
# temporary directories), so they run in parallel, PT_JOBS at a time, longest
# first.  The default is twice the number of CPUs: most of a test's time is
# spent waiting on sockets, fsync and timers, not on a CPU (measured on 2
# CPUs: 1 at a time 76 s, 2 at a time 40 s, 4 at a time 24 s).  Each test's output goes to a log file
# under $BUILD/test-logs and is printed whole, in one piece, when the test
# ends; a failed test's log is printed again at the end.
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
logs="$BUILD/test-logs"
rm -rf "$logs"
mkdir -p "$logs"
jobs=${PT_JOBS:-$(( 2 * $(nproc 2>/dev/null || echo 1) ))}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=2

# One line per test: "kind path".  Integration tests whose names are listed
# in tests/slow-first run first (they take longest); then the rest, then the
# unit suites (they are quick).
list="$logs/list"
: > "$list"
if [ -f "$here/slow-first" ]; then
	while read -r name; do
		case "$name" in ''|'#'*) continue ;; esac
		[ -f "$here/integration/$name" ] && echo "integration $here/integration/$name" >> "$list"
	done < "$here/slow-first"
fi
for t in "$here"/integration/test_*; do
	case "$t" in *.py|*.sh) ;; *) continue ;; esac
	grep -q " $t\$" "$list" || echo "integration $t" >> "$list"
done
for t in "$@"; do
	echo "unit $t" >> "$list"
done

# Run one test (called through xargs): its log and exit status go to files.
cat > "$logs/one.sh" <<'EOF'
#!/bin/sh
kind=$1; t=$2
name=$(basename "$t")
start=$(date +%s)
{
	echo "== $kind $name"
	case "$kind:$t" in
	unit:*) "$t" ;;
	integration:*.py) cd "$top" && /usr/bin/python3 "$t" ;;
	integration:*.sh) cd "$top" && sh "$t" ;;
	esac
	rc=$?
	# A Python test's own summary counts too (one that forgot to pass
	# run_tests' status to sys.exit would otherwise pass when it failed).
	[ "$rc" = 0 ] && grep -Eq '^[0-9]+ passed, [1-9][0-9]* failed$' \
		"$logs/$name.log" && rc=1
	echo "== $name: rc=$rc in $(( $(date +%s) - start )) s"
	echo "$rc" > "$logs/$name.rc"
} > "$logs/$name.log" 2>&1 < /dev/null
cat "$logs/$name.log"
EOF
start=$(date +%s)
export BUILD top logs
# Each line is "kind path" (this tree's own paths: no spaces or quotes).
xargs -L 1 -P "$jobs" sh "$logs/one.sh" < "$list" || true

pass=0; fail=0; failed=""
while read -r kind t; do
	name=$(basename "$t")
	rc=$(cat "$logs/$name.rc" 2>/dev/null || echo missing)
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
	fi
done < "$list"
for name in $failed; do
	echo
	echo "==== log of failed test $name ($logs/$name.log)"
	cat "$logs/$name.log" 2>/dev/null
done
[ -n "$failed" ] && echo "failed:$failed"
echo "check: $pass passed, $fail failed ($(( $(date +%s) - start )) s, $jobs at a time)"
[ "$fail" -eq 0 ]
